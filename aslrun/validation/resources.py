"""Which Task ``Resource`` values a definition may name, as CreateStateMachine decides.

AWS refuses a machine whose Task names a resource it does not know, with
``SCHEMA_VALIDATION_FAILED`` "The resource provided <arn> is not recognized. The value is not a valid
resource ARN, or the resource is not available in this region." at ``/States/<S>/Resource``
(recorded for ``arn:aws:states:::dynamodb:query``). AWS knows:

- the optimized integrations of :data:`OPTIMIZED`, each in the integration patterns its developer guide
  page lists ("Integrating optimized services with Step Functions" and the per-service pages);
- ``arn:aws:states:::aws-sdk:<service>:<action>`` for a service and operation botocore knows, request-response
  or ``.waitForTaskToken`` (never ``.sync``);
- Lambda function ARNs (with a version or alias) and activity ARNs.

aslrun's integrations may add resources AWS does not know (see
:meth:`aslrun.integrations.registry.IntegrationRegistry.declares`): the check is handed a predicate that
accepts those. Which of these checks run is the caller's choice (:func:`aslrun.validation.validate_definition`
``resources=``): ``aslrun validate`` and ``aslrun run`` run them; parsing alone does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aslrun.integrations.arn import ResourceArn, parse_resource
from aslrun.validation.report import Reporter, closest

__all__ = ["OPTIMIZED", "AwsResources", "ResourceCheck", "check_resource"]

#: accepts a resource AWS does not know (an integration declares it), or not
ResourceCheck = Callable[[ResourceArn], bool]

_RR, _SYNC, _SYNC2, _WAIT = "", ".sync", ".sync:2", ".waitForTaskToken"
_RR_SYNC = frozenset({_RR, _SYNC})
_RR_ONLY = frozenset({_RR})
_RR_WAIT = frozenset({_RR, _WAIT})

#: optimized integrations: service -> action -> the patterns AWS offers for it
OPTIMIZED: dict[str, dict[str, frozenset[str]]] = {
    "lambda": {"invoke": _RR_WAIT},
    "dynamodb": {a: _RR_ONLY for a in ("getItem", "putItem", "updateItem", "deleteItem")},
    "sqs": {"sendMessage": _RR_WAIT},
    "sns": {"publish": _RR_WAIT},
    "events": {"putEvents": _RR_WAIT},
    "states": {"startExecution": frozenset({_RR, _SYNC, _SYNC2, _WAIT})},
    "apigateway": {"invoke": _RR_WAIT},
    "http": {"invoke": _RR_ONLY},
    "ecs": {"runTask": frozenset({_RR, _SYNC, _WAIT})},
    "eks": {"runJob": _RR_SYNC, "call": _RR_ONLY,
            **{a: _RR_SYNC for a in ("createCluster", "deleteCluster", "createFargateProfile",
                                     "deleteFargateProfile", "createNodegroup", "deleteNodegroup")}},
    "batch": {"submitJob": _RR_SYNC},
    "glue": {"startJobRun": _RR_SYNC},
    "databrew": {"startJobRun": _RR_SYNC},
    "athena": {"startQueryExecution": _RR_SYNC, "stopQueryExecution": _RR_ONLY,
               "getQueryExecution": _RR_ONLY, "getQueryResults": _RR_ONLY},
    "codebuild": {**{a: _RR_SYNC for a in ("startBuild", "startBuildBatch", "retryBuild", "retryBuildBatch")},
                  **{a: _RR_ONLY for a in ("stopBuild", "stopBuildBatch", "batchDeleteBuilds",
                                           "batchGetReports", "deleteBuildBatch")}},
    "mediaconvert": {"createJob": _RR_SYNC},
    "bedrock": {"invokeModel": _RR_ONLY, "createModelCustomizationJob": frozenset({_RR, _SYNC, _WAIT})},
    "elasticmapreduce": {**{a: _RR_SYNC for a in ("createCluster", "terminateCluster", "addStep")},
                         **{a: _RR_ONLY for a in ("cancelStep", "setClusterTerminationProtection",
                                                  "modifyInstanceFleetByName", "modifyInstanceGroupByName")}},
    "emr-containers": {"createVirtualCluster": _RR_ONLY, "deleteVirtualCluster": _RR_SYNC, "startJobRun": _RR_SYNC},
    "emr-serverless": {a: _RR_SYNC for a in ("createApplication", "startApplication", "stopApplication",
                                              "deleteApplication", "startJobRun", "cancelJobRun")},
    "sagemaker": {**{a: _RR_SYNC for a in ("createHyperParameterTuningJob", "createLabelingJob",
                                            "createProcessingJob", "createTrainingJob", "createTransformJob")},
                  **{a: _RR_ONLY for a in ("createEndpoint", "createEndpointConfig", "createModel",
                                           "updateEndpoint")}},
}

_NOT_RECOGNIZED = ("The resource provided {arn} is not recognized. The value is not a valid resource ARN, "
                   "or the resource is not available in this region.")
_LAMBDA_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]+)?$")
_ACTIVITY_ARN = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:activity:[A-Za-z0-9_.-]{1,80}$")


class AwsResources:
    """The Task resources AWS knows, and what to write instead of one it does not.

    One per check run: it keeps what it read of botocore's service models (the ``aws-sdk`` services and
    their operations) for the definitions it checks. ``accepts`` takes resources AWS does not know that
    an integration declares (:meth:`aslrun.integrations.registry.IntegrationRegistry.declares`).
    """

    def __init__(self, accepts: ResourceCheck | None = None) -> None:
        self.accepts = accepts
        self._session: Any = None
        self._services: tuple[str, ...] | None = None
        self._actions: dict[str, frozenset[str]] = {}

    def problem(self, resource: str) -> tuple[str, str | None] | None:
        """None for a resource AWS knows (or ``accepts`` takes), else (what to do, the near miss or None)."""
        if "${" in resource:  # a CloudFormation/SAM substitution left unresolved: not the resource's final text
            return None
        parsed = parse_resource(resource)
        if self._aws_knows(parsed) or (self.accepts is not None and self.accepts(parsed)):
            return None
        return self._advice(parsed)

    def _aws_knows(self, parsed: ResourceArn) -> bool:
        if parsed.kind == "lambda-arn":
            return bool(_LAMBDA_ARN.match(parsed.arn))
        if parsed.kind == "activity":
            return bool(_ACTIVITY_ARN.match(parsed.arn))
        if parsed.kind != "integration":
            return False
        if _is_sdk(parsed):
            return parsed.pattern in (_RR, _WAIT) and parsed.action in self.sdk_actions(parsed.service)
        return parsed.pattern in OPTIMIZED.get(parsed.service, {}).get(parsed.action, ())

    def _advice(self, parsed: ResourceArn) -> tuple[str, str | None]:
        """What to write instead of an unknown resource, and the nearest known one."""
        if parsed.kind == "integration" and _is_sdk(parsed):
            return self._sdk_advice(parsed)
        if parsed.kind == "integration" and parsed.service in OPTIMIZED:
            actions = OPTIMIZED[parsed.service]
            if parsed.action in actions:
                offered = ", ".join(f"'{p}'" if p else "request-response" for p in sorted(actions[parsed.action]))
                return (f"{parsed.service}:{parsed.action} does not support the '{parsed.pattern}' integration "
                        f"pattern (it offers {offered}).", None)
            near = closest(parsed.action, actions)
            if near is not None:
                return ("Use an optimized integration AWS offers.", _optimized_arn(parsed.service, near, parsed.pattern))
            return (f"{parsed.service} has no optimized integration {parsed.action}; call the API through "
                    f'"arn:aws:states:::aws-sdk:{parsed.service}:{parsed.action}" instead.', None)
        candidates = [_optimized_arn(s, a, "") for s, actions in OPTIMIZED.items() for a in actions]
        near = closest(parsed.arn[: len(parsed.arn) - len(parsed.pattern)], candidates)
        return ("Use a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>), an activity ARN, "
                "an optimized integration (arn:aws:states:::<service>:<action>) or "
                "arn:aws:states:::aws-sdk:<service>:<action>; a resource of an aslrun plugin needs that plugin "
                "installed.", near + parsed.pattern if near else None)

    def _sdk_advice(self, parsed: ResourceArn) -> tuple[str, str | None]:
        if parsed.pattern.startswith(_SYNC):
            return ("AWS SDK integrations do not support the '.sync' integration pattern; use request-response, "
                    "'.waitForTaskToken', or an optimized integration that offers '.sync'.", None)
        actions = self.sdk_actions(parsed.service)
        if not actions:
            near = closest(parsed.service, self.sdk_services())
            return (f"'{parsed.service}' is not a service the AWS SDK integrations know.",
                    f"arn:aws:states:::aws-sdk:{near}:{parsed.action}{parsed.pattern}" if near else None)
        near = closest(parsed.action, actions)
        return (f"{parsed.service} has no operation {parsed.action[:1].upper() + parsed.action[1:]} "
                "(actions are the API's operation names with a lower-case first letter).",
                f"arn:aws:states:::aws-sdk:{parsed.service}:{near}{parsed.pattern}" if near else None)

    def _botocore(self) -> Any:
        if self._session is None:
            import botocore.session

            self._session = botocore.session.Session()
        return self._session

    def sdk_services(self) -> tuple[str, ...]:
        """The AWS SDK service ids (as ``aws-sdk`` resources name them) botocore knows."""
        if self._services is None:
            from aslrun.integrations.aws.sdk import SDK_SERVICES

            names = self._botocore().get_available_services()
            self._services = tuple(sorted({*(n.replace("-", "") for n in names), *SDK_SERVICES}))
        return self._services

    def sdk_actions(self, service: str) -> frozenset[str]:
        """The actions of an ``aws-sdk`` service id (``getObject``); empty for a service botocore does not know."""
        if service not in self._actions:
            found: frozenset[str] = frozenset()
            if service in self.sdk_services():
                from aslrun.integrations.aws.sdk import SDK_SERVICES

                names = self._botocore().get_available_services()
                name = SDK_SERVICES.get(service) or next(n for n in names if n.replace("-", "") == service)
                model = self._botocore().get_service_model(name)
                found = frozenset(op[:1].lower() + op[1:] for op in model.operation_names)
            self._actions[service] = found
        return self._actions[service]


def check_resource(r: Reporter, resource: str, where: str, state: str | None) -> bool:
    """Report a Task ``Resource`` AWS does not know and no integration declares; True when it is fine.

    Does nothing unless the reporter checks resources (``r.resources``, an :class:`AwsResources`).
    """
    if r.resources is None:
        return True
    found = r.resources.problem(resource)
    if found is None:
        return True
    hint, suggestion = found
    if suggestion is not None:
        hint = f'Did you mean "{suggestion}"? ' + hint
    r.error(_NOT_RECOGNIZED.format(arn=resource), where, state, hint)
    return False


def _is_sdk(parsed: ResourceArn) -> bool:
    return parsed.arn.split(":")[5] == "aws-sdk"


def _optimized_arn(service: str, action: str, pattern: str) -> str:
    chosen = pattern if pattern in OPTIMIZED[service][action] else ""
    return f"arn:aws:states:::{service}:{action}{chosen}"
