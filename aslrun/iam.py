"""The IAM policy a state machine's execution role needs, as the Step Functions console generates it.

:func:`policy_for` walks every state (Parallel branches and Map processors included) and asks a rule
per Task resource for its statements: AWS's published templates ("How Step Functions generates IAM
policies for integrated services" and each integration's page in the Step Functions Developer Guide),
with the resources narrowed to what the definition names statically and ``*`` where a value is
dynamic (a ``.$`` key, a JSONata ``{% %}`` expression), with a warning naming the state.

Statements without a published template (``eks:runJob``, ``eks:call``, the Fargate profiles, Batch's
resources, cross-account ``Credentials``) are *inferred* and say so: their ``Sid`` starts with
``Inferred`` and :attr:`Policy.inferred` lists them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from aslrun import defaults
from aslrun.nodes import MapState, ParallelState, State, StateMachine, States, TaskState

__all__ = ["Policy", "Statement", "policy_for"]

_EKS_SERVICE = {"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}}
_SERVICE_PREFIX = {  # SDK service name → IAM service prefix, where they differ
    "sfn": "states", "eventbridge": "events", "cloudwatchlogs": "logs", "efs": "elasticfilesystem",
    "emr": "elasticmapreduce", "opensearch": "es", "elasticloadbalancingv2": "elasticloadbalancing",
    "sesv2": "ses", "lexruntimev2": "lex", "apigatewayv2": "apigateway", "mediapackagevod": "mediapackage-vod",
}
_SDK_ACTION = {("s3", "ListObjectsV2"): "s3:ListBucket", ("s3", "ListObjects"): "s3:ListBucket",
               ("s3", "HeadObject"): "s3:GetObject", ("s3", "HeadBucket"): "s3:ListBucket"}


@dataclass(frozen=True)
class Statement:
    """One ``Allow`` statement; ``inferred`` when no AWS template publishes it."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: Mapping[str, Any] | None = None
    inferred: bool = False
    states: tuple[str, ...] = ()

    def to_json(self, sid: str | None = None) -> dict[str, Any]:
        """The statement as IAM JSON (a single action or resource as a string, several as a list)."""
        out: dict[str, Any] = {}
        if sid:
            out["Sid"] = sid
        out["Effect"] = "Allow"
        out["Action"] = self.actions[0] if len(self.actions) == 1 else list(self.actions)
        out["Resource"] = self.resources[0] if len(self.resources) == 1 else list(self.resources)
        if self.condition:
            out["Condition"] = _plain(self.condition)
        return out


@dataclass
class Policy:
    """The policy document, the warnings (dynamic resources, unknown integrations) and notes."""

    statements: list[Statement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def inferred(self) -> list[Statement]:
        """The statements no AWS template publishes (deduced from the rules; check them)."""
        return [s for s in self.statements if s.inferred]

    def to_json(self) -> dict[str, Any]:
        """``{"Version": "2012-10-17", "Statement": [...]}``; inferred statements get ``Sid: InferredN``."""
        out, n = [], 0
        for statement in self.statements:
            sid = None
            if statement.inferred:
                n += 1
                sid = f"Inferred{n}"
            out.append(statement.to_json(sid))
        return {"Version": "2012-10-17", "Statement": out}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class _Builder:
    """Collects statements for one machine; merges those that differ only in resources."""

    def __init__(self, name: str, region: str, account: str, partition: str) -> None:
        self.name, self.region, self.account, self.partition = name, region, account, partition
        self.policy = Policy()
        self._index: dict[tuple[Any, ...], int] = {}

    def arn(self, service: str, rest: str, region: bool = True, account: bool = True) -> str:
        return (f"arn:{self.partition}:{service}:{self.region if region else ''}:"
                f"{self.account if account else ''}:{rest}")

    def add(self, state: str, actions: list[str] | tuple[str, ...], resources: list[str] | str,
            condition: Mapping[str, Any] | None = None, inferred: bool = False) -> None:
        res = [resources] if isinstance(resources, str) else list(resources)
        key = (tuple(actions), repr(condition), inferred)
        if key in self._index:
            i = self._index[key]
            old = self.policy.statements[i]
            merged = ("*",) if "*" in old.resources or "*" in res else tuple(dict.fromkeys([*old.resources, *res]))
            self.policy.statements[i] = Statement(old.actions, merged, old.condition, inferred,
                                                  tuple(dict.fromkeys([*old.states, state])))
            return
        self._index[key] = len(self.policy.statements)
        resources_t = ("*",) if "*" in res else tuple(dict.fromkeys(res))
        self.policy.statements.append(Statement(tuple(actions), resources_t, condition, inferred, (state,)))

    def warn(self, state: str, message: str) -> None:
        text = f"{state}: {message}"
        if text not in self.policy.warnings:
            self.policy.warnings.append(text)

    def note(self, message: str) -> None:
        if message not in self.policy.notes:
            self.policy.notes.append(message)

    def events_rule(self, state: str, rule: str) -> None:
        self.add(state, ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                 self.arn("events", f"rule/{rule}"))


class _Params:
    """A Task's Parameters/Arguments: a field is static (a literal) or dynamic (a path or JSONata)."""

    def __init__(self, state: State, builder: _Builder) -> None:
        raw = state.raw
        value = raw.get("Arguments", raw.get("Parameters"))
        self.whole_dynamic = _is_jsonata(value)
        self.value = value if isinstance(value, Mapping) else {}
        self.state, self.builder = state.name, builder

    def get(self, *path: str) -> tuple[Any, bool]:
        """``(value, dynamic)`` of the field at ``path``; ``(None, False)`` when absent."""
        if self.whole_dynamic:
            return None, True
        node: Any = self.value
        for key in path:
            if not isinstance(node, Mapping):
                return None, False
            if f"{key}.$" in node:
                return None, True
            node = node.get(key)
            if _is_jsonata(node):
                return None, True
        return node, False

    def static(self, what: str, *path: str) -> str | None:
        """The static string at ``path``, or None (and a warning naming the state) when dynamic."""
        value, dynamic = self.get(*path)
        if dynamic:
            self.builder.warn(self.state, f"{'.'.join(path)} is dynamic: {what} on \"*\"; "
                                          "narrow it by hand to the values it takes")
            return None
        return value if isinstance(value, str) else None


def _is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and value.strip().startswith("{%") and value.strip().endswith("%}")


# ------------------------------------------------------------------------------------------- rules


def _lambda(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    if state.resource.startswith("arn:") and ":lambda:" in state.resource.split(":states:")[0]:
        name: str | None = state.resource  # a function ARN as the Resource
    else:
        name = p.static("lambda:InvokeFunction", "FunctionName")
    if name is None:
        b.add(state.name, ["lambda:InvokeFunction"], "*")
        return
    parts = name.split(":")
    if name.startswith("arn:") and len(parts) >= 7:
        base = ":".join(parts[:7])
    elif len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:qualifier]
        base = f"arn:{b.partition}:lambda:{b.region}:{parts[0]}:function:{parts[2]}"
    else:
        base = b.arn("lambda", f"function:{parts[0]}")
    b.add(state.name, ["lambda:InvokeFunction"], [base, f"{base}:*"])


def _start_execution(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    arn = p.static("states:StartExecution", "StateMachineArn")
    b.add(state.name, ["states:StartExecution"], arn or "*")
    if sync.startswith("sync"):
        executions = "*"
        if arn and len(arn.split(":")) >= 7:  # arn:aws:states:REGION:ACCOUNT:stateMachine:NAME[:qualifier]
            executions = ":".join(arn.split(":")[:7]).replace(":stateMachine:", ":execution:", 1) + ":*"
        b.add(state.name, ["states:DescribeExecution", "states:StopExecution"], executions)
        b.events_rule(state.name, "StepFunctionsGetEventsForStepFunctionsExecutionRule")


def _sqs(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    url = p.static("sqs:SendMessage", "QueueUrl")
    arn = "*"
    if url:
        parsed = urlparse(url)
        bits = [x for x in parsed.path.split("/") if x]
        host = parsed.hostname or ""
        region = host.split(".")[1] if host.startswith("sqs.") and host.count(".") >= 2 else b.region
        if len(bits) >= 2:
            arn = f"arn:{b.partition}:sqs:{region}:{bits[0]}:{bits[1]}"
    b.add(state.name, ["sqs:SendMessage"], arn)


def _sns(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    topic, dynamic = p.get("TopicArn")
    target, target_dynamic = p.get("TargetArn")
    arn = topic if isinstance(topic, str) else target if isinstance(target, str) else None
    if dynamic or target_dynamic or arn is None:
        b.warn(state.name, "the topic is dynamic (or a phone number): sns:Publish on \"*\"")
    b.add(state.name, ["sns:Publish"], arn or "*")


def _dynamodb(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    table = p.static(f"dynamodb:{api[0].upper()}{api[1:]}", "TableName")
    arn = "*" if table is None else table if table.startswith("arn:") else b.arn("dynamodb", f"table/{table}")
    b.add(state.name, [f"dynamodb:{api[0].upper()}{api[1:]}"], arn)


def _ecs(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    task = p.static("ecs:RunTask", "TaskDefinition")
    arn = "*" if task is None else task if task.startswith("arn:") else b.arn("ecs", f"task-definition/{task}")
    if sync.startswith("sync"):
        if arn == "*":
            b.add(state.name, ["ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks"], "*")
        else:
            b.add(state.name, ["ecs:RunTask"], arn)
            b.add(state.name, ["ecs:StopTask", "ecs:DescribeTasks"], "*")
        b.events_rule(state.name, "StepFunctionsGetEventsForECSTaskRule")
    else:
        b.add(state.name, ["ecs:RunTask"], arn)


def _glue(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    job = p.static("glue:StartJobRun", "JobName")
    arn = "*" if job is None else b.arn("glue", f"job/{job}")
    actions = ["glue:StartJobRun"]
    if sync.startswith("sync"):
        actions += ["glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"]
    b.add(state.name, actions, arn)


def _batch(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    definition, queue = p.static("batch:SubmitJob", "JobDefinition"), p.static("batch:SubmitJob", "JobQueue")
    if definition and queue:
        if not definition.startswith("arn:"):
            definition = b.arn("batch", f"job-definition/{definition}" + ("" if ":" in definition else ":*"))
        if not queue.startswith("arn:"):
            queue = b.arn("batch", f"job-queue/{queue}")
        b.add(state.name, ["batch:SubmitJob"], [definition, queue], inferred=True)
    else:
        b.add(state.name, ["batch:SubmitJob"], "*", inferred=True)
    if sync.startswith("sync"):
        b.add(state.name, ["batch:DescribeJobs", "batch:TerminateJob"], "*", inferred=True)
        b.events_rule(state.name, "StepFunctionsGetEventsForBatchJobsRule")


def _api_gateway(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    b.add(state.name, ["execute-api:Invoke"], b.arn("execute-api", "*"))


def _sdk(b: _Builder, state: TaskState, service: str, action: str) -> None:
    prefix = _SERVICE_PREFIX.get(service, service)
    pascal = action[0].upper() + action[1:]
    iam_action = _SDK_ACTION.get((prefix, pascal), f"{prefix}:{pascal}")
    b.add(state.name, [iam_action], "*")
    b.warn(state.name, f"aws-sdk:{service}:{action}: {iam_action} on \"*\" (the console grants AWS SDK "
                       "integrations partial permissions only): narrow the resource by hand")


# ------------------------------------------------------------------------------------------- EKS


def _pass_role(b: _Builder, state: TaskState, p: _Params, field_name: str, inferred: bool = False) -> None:
    role = p.static("iam:PassRole", field_name)
    b.add(state.name, ["iam:PassRole"], [role or "*"], _EKS_SERVICE, inferred)


def _eks(b: _Builder, state: TaskState, api: str, sync: str, p: _Params) -> None:
    cluster = b.arn("eks", "cluster/*")
    if api == "createCluster":
        b.add(state.name, ["eks:CreateCluster"], "*")
        b.add(state.name, ["eks:DescribeCluster", "eks:DeleteCluster"], cluster)
        _pass_role(b, state, p, "RoleArn")
    elif api == "createNodegroup":
        b.add(state.name, ["ec2:DescribeSubnets", "eks:CreateNodegroup"], "*")
        b.add(state.name, ["eks:DescribeNodegroup", "eks:DeleteNodegroup"], b.arn("eks", "nodegroup/*"))
        b.add(state.name, ["iam:GetRole", "iam:ListAttachedRolePolicies"], b.arn("iam", "role/*", region=False))
        _pass_role(b, state, p, "NodeRole")
    elif api == "deleteCluster":
        name = p.static("eks:DeleteCluster", "Name")
        b.add(state.name, ["eks:DeleteCluster", "eks:DescribeCluster"], b.arn("eks", f"cluster/{name}") if name else "*")
    elif api == "deleteNodegroup":
        c, n = p.static("eks:DeleteNodegroup", "ClusterName"), p.static("eks:DeleteNodegroup", "NodegroupName")
        b.add(state.name, ["eks:DeleteNodegroup", "eks:DescribeNodegroup"],
              b.arn("eks", f"nodegroup/{c}/{n}/*") if c and n else "*")
    elif api in ("createFargateProfile", "deleteFargateProfile"):
        _eks_fargate(b, state, api, p)
    elif api in ("runJob", "call"):
        name = p.static("eks:DescribeCluster", "ClusterName")
        b.add(state.name, ["eks:DescribeCluster"], b.arn("eks", f"cluster/{name}") if name else "*", inferred=True)
        b.note(f"eks:{api} calls the Kubernetes API: the role also needs access inside the cluster "
               "(an aws-auth ConfigMap mapping or an access entry with RBAC permissions); IAM cannot grant it")
    else:
        b.warn(state.name, f"eks:{api}: no policy known; add its permissions by hand")
    if api.startswith("create"):
        b.note("eks:createCluster, createNodegroup and createFargateProfile may also need iam:CreateServiceLinkedRole "
               "when the EKS service-linked roles do not exist yet")


def _eks_fargate(b: _Builder, state: TaskState, api: str, p: _Params) -> None:
    what = "eks:DeleteFargateProfile" if api.startswith("delete") else "eks:DescribeFargateProfile"
    c, n = p.static(what, "ClusterName"), p.static(what, "FargateProfileName")
    profile = b.arn("eks", f"fargateprofile/{c}/{n}/*") if c and n else "*"
    if api == "createFargateProfile":
        b.add(state.name, ["eks:CreateFargateProfile"], "*", inferred=True)
        b.add(state.name, ["eks:DescribeFargateProfile", "eks:DeleteFargateProfile"], profile, inferred=True)
        _pass_role(b, state, p, "PodExecutionRoleArn", inferred=True)
    else:
        b.add(state.name, ["eks:DeleteFargateProfile", "eks:DescribeFargateProfile"], profile, inferred=True)


_OPTIMIZED = {
    "lambda": _lambda, "states": _start_execution, "sqs": _sqs, "sns": _sns, "dynamodb": _dynamodb,
    "ecs": _ecs, "glue": _glue, "batch": _batch, "apigateway": _api_gateway, "eks": _eks,
}
_APIS = {"states": {"startExecution"}, "sqs": {"sendMessage"}, "sns": {"publish"}, "lambda": {"invoke"},
         "dynamodb": {"getItem", "putItem", "updateItem", "deleteItem"}, "ecs": {"runTask"},
         "glue": {"startJobRun"}, "batch": {"submitJob"}, "apigateway": {"invoke"}}
_OPTIMIZED_ARN = re.compile(r"^arn:[\w-]+:states:::(?P<service>[\w-]+):(?P<rest>.+)$")


# ------------------------------------------------------------------------------------------- walk


def _task(b: _Builder, state: TaskState) -> None:
    resource = state.resource
    if ":activity:" in resource:
        b.note(f"{state.name}: activity tasks need no permission on the role (workers call GetActivityTask "
               "and SendTask* with their own credentials)")
        return
    if re.match(r"^arn:[\w-]+:lambda:", resource):
        _lambda(b, state, "invoke", "", _Params(state, b))
    else:
        match = _OPTIMIZED_ARN.match(resource)
        if match is None:
            b.warn(state.name, f"{resource}: no policy known for this resource; add its permissions by hand")
        elif match["service"] == "aws-sdk":
            service, _, action = match["rest"].partition(":")
            _sdk(b, state, service, action.split(".")[0])
        else:
            api, _, sync = match["rest"].partition(".")
            rule = _OPTIMIZED.get(match["service"])
            known = _APIS.get(match["service"])
            if rule is None or (known is not None and api not in known):
                b.warn(state.name, f"{resource}: no policy known for this integration; add its permissions by hand")
            else:
                rule(b, state, api, sync, _Params(state, b))
    _credentials(b, state)


def _credentials(b: _Builder, state: TaskState) -> None:
    credentials = state.raw.get("Credentials")
    if not isinstance(credentials, Mapping):
        return
    role = credentials.get("RoleArn")
    if "RoleArn.$" in credentials or _is_jsonata(role) or not isinstance(role, str):
        b.warn(state.name, "Credentials.RoleArn is dynamic: sts:AssumeRole on \"*\"")
        role = "*"
    b.add(state.name, ["sts:AssumeRole"], role, inferred=True)


def _distributed_map(b: _Builder, state: MapState) -> None:
    b.add(state.name, ["states:StartExecution"], b.arn("states", f"stateMachine:{b.name}"))
    b.add(state.name, ["states:DescribeExecution", "states:StopExecution"], b.arn("states", f"execution:{b.name}:*"))
    reader = state.raw.get("ItemReader")
    if isinstance(reader, Mapping):
        _item_reader(b, state, reader)
    writer = state.raw.get("ResultWriter")
    if isinstance(writer, Mapping) and ("Parameters" in writer or "Arguments" in writer):
        bucket, prefix = _s3_location(b, state, writer, "ResultWriter", "Prefix")
        where = f"arn:{b.partition}:s3:::{bucket}/{prefix + '/' if prefix else ''}*" if bucket else "*"
        b.add(state.name, ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts",
                           "s3:AbortMultipartUpload"], where)


def _item_reader(b: _Builder, state: MapState, reader: Mapping[str, Any]) -> None:
    resource = str(reader.get("Resource", ""))
    if resource.endswith("s3:listObjectsV2"):
        bucket, prefix = _s3_location(b, state, reader, "ItemReader", "Prefix")
        condition = {"StringLike": {"s3:prefix": [f"{prefix}*"]}} if bucket and prefix else None
        b.add(state.name, ["s3:ListBucket"], f"arn:{b.partition}:s3:::{bucket}" if bucket else "*", condition)
    elif resource.endswith("s3:getObject"):
        bucket, key = _s3_location(b, state, reader, "ItemReader", "Key")
        b.add(state.name, ["s3:GetObject"], f"arn:{b.partition}:s3:::{bucket}/{key}" if bucket and key else "*")
    elif resource:
        b.warn(state.name, f"ItemReader {resource}: no policy known; add its permissions by hand")


def _s3_location(b: _Builder, state: MapState, spec: Mapping[str, Any], what: str, key: str) -> tuple[Any, Any]:
    params = spec.get("Arguments", spec.get("Parameters"))
    if not isinstance(params, Mapping) or _is_jsonata(params):
        b.warn(state.name, f"{what} is dynamic: its S3 actions on \"*\"; narrow them by hand")
        return None, None
    dynamic = [k for k in ("Bucket", key) if f"{k}.$" in params or _is_jsonata(params.get(k))]
    if dynamic:
        b.warn(state.name, f"{what}.{dynamic[0]} is dynamic: its S3 actions on \"*\"; narrow them by hand")
        return None, None
    return params.get("Bucket"), params.get(key, "")


def _walk(body: States) -> Iterator[State]:
    for state in body.states.values():
        yield state
        if isinstance(state, ParallelState):
            for branch in state.branches:
                yield from _walk(branch)
        elif isinstance(state, MapState):
            yield from _walk(state.processor)


def policy_for(machine_or_definition: StateMachine | Mapping[str, Any], region: str = defaults.REGION,
               account: str = defaults.ACCOUNT_ID, partition: str = defaults.PARTITION,
               name: str | None = None) -> Policy:
    """The policy the role of ``machine_or_definition`` needs, with warnings and inferred statements.

    A definition dict is parsed first (raising :class:`~aslrun.errors.DefinitionError` when invalid);
    ``name`` is the state machine's name for its own ARN (Distributed Map), the machine's by default.
    """
    if isinstance(machine_or_definition, StateMachine):
        machine = machine_or_definition
    else:
        from aslrun.parser import parse

        machine = parse(dict(machine_or_definition), name=name or "StateMachine")
    builder = _Builder(name or machine.name, region, account, partition)
    for state in _walk(machine.body):
        if isinstance(state, TaskState):
            _task(builder, state)
        elif isinstance(state, MapState) and state.mode == "DISTRIBUTED":
            _distributed_map(builder, state)
    return builder.policy
