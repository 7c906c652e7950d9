"""AWS integrations: service calls through boto3 and the local Lambda runner.

The ``aws`` integration (entry point ``aws = aslrun.integrations.aws:AwsIntegration``) runs
``arn:aws:states:::aws-sdk:<service>:<action>`` for any operation botocore knows, the optimized
``dynamodb:getItem/putItem/updateItem/deleteItem``, ``sqs:sendMessage``, ``sns:publish``,
``events:putEvents``, ``states:startExecution`` (``.sync``, ``.sync:2``), each with
``.waitForTaskToken`` where AWS offers it, and a Distributed Map's ItemReader (``s3:getObject``,
``s3:listObjectsV2``) and ResultWriter (``s3:putObject``) calls (``items.py``; not Task resources).
``lambda:invoke`` and Lambda ARNs belong to the Lambda integration (``lambdas.py``; its options
``lambda.functions`` [``--lambda``] and ``lambda.workers`` [``--workers N``], worker processes per function).

Options (``Interpreter(options={...})``; CLI flags in brackets):

* ``aws.target`` [``--aws local|real|URL``]: where calls go; ``local`` (the default) is moto's
  in-memory AWS in this process (see :mod:`aslrun.integrations.aws.target`); ``real`` the boto3
  credential chain and region, never the default.
* ``aws.services`` [``--aws SERVICE=TARGET``, repeatable]: per-service overrides, ``{"dynamodb": "real"}``.
* ``aws.region``: the calls' region (default: the interpreter's; for ``real``, boto3's configured one).
* ``aws.setup`` [``--aws-setup FILE.py``]: a file whose ``setup(session)`` prepares the target (tables,
  queues, buckets, secrets) with a boto3 Session bound to it, before the first call of the run (or the
  first invocation of a local Lambda handler, which may read what it made).
* ``aws.machines`` [``--machine NAME=FILE``, repeatable]: ``{name: path or definition}``, the child
  state machines ``states:startExecution`` starts (picked by the name in ``StateMachineArn``);
  ``aws-sdk:sfn:startExecution``/``describeExecution`` use them too (under any target: other machines go to
  a remote target), and ``aws-sdk:sfn:sendTask*`` answer the tokens the interpreter issued (``states.py``).
* ``aws.sdk_attempt_count``: end ``aws-sdk`` error causes with `` (SDK Attempt Count: 1)`` as AWS's
  newest recordings do (default false).
"""

from __future__ import annotations

import threading
from typing import Any

from aslrun.integrations.arn import ResourceArn

__all__ = ["AwsIntegration", "run_setup"]

#: aws-sdk calls the Lambda integration answers (a local handler, when one is bound)
_LAMBDA_OWNED = {("lambda", "invoke"), ("lambda", "invokeAsync")}
_HTTP = {("http", "invoke"), ("apigateway", "invoke")}
_PATTERNS = {
    "dynamodb": {""}, "sqs": {"", ".waitForTaskToken"}, "sns": {"", ".waitForTaskToken"},
    "events": {"", ".waitForTaskToken"}, "states": {"", ".sync", ".sync:2", ".waitForTaskToken"},
}


def run_setup(path: Any, session: Any) -> None:
    """Run ``setup(session)`` from the Python file ``path`` (``--aws-setup``)."""
    import runpy

    from aslrun.errors import InputError

    namespace = runpy.run_path(str(path), run_name="aslrun_aws_setup")
    setup = namespace.get("setup")
    if not callable(setup):
        raise InputError(f"--aws-setup {path}: the file defines no setup(session) function")
    try:
        setup(session)
    except Exception as exc:  # the user's code: say where it failed, as bad input (exit 2), not an aslrun bug
        raise InputError(f"--aws-setup {path}: setup(session) failed: {type(exc).__name__}: {exc}") from exc


class AwsIntegration:
    """AWS service calls through boto3, against moto in-process, an endpoint URL or real AWS."""

    name = "aws"
    #: adds no resource to AWS's: ``handles`` takes any aws-sdk action, validation checks them against botocore
    resources: tuple[str, ...] = ()

    def __init__(self, interpreter: Any = None) -> None:
        self._interpreter = interpreter
        self._targets: Any = None
        self._machines: Any = None
        self._announced: set[str] = set()
        self._set_up = False
        self._setup_lock = threading.Lock()
        #: aws-sdk service ids -> botocore names, looked up once per integration
        self._names: dict[str, str] = {}

    @property
    def options(self) -> dict[str, Any]:
        """The interpreter's settings (``aws.*`` ones are read)."""
        return self._interpreter.options if self._interpreter is not None else {}

    @property
    def remote(self) -> bool:
        """True when some service's calls leave the process (a URL or real AWS)."""
        from aslrun.integrations.aws.target import Target, parse_target

        chosen = [self.options.get("aws.target") or "local", *(self.options.get("aws.services") or {}).values()]
        return any((c if isinstance(c, Target) else parse_target(str(c))).remote for c in chosen)

    def handles(self, resource: ResourceArn) -> bool:
        """aws-sdk calls and the optimized integrations above, in the patterns AWS offers."""
        if resource.kind != "integration":
            return False
        if (resource.service, resource.action) in _HTTP:
            return False  # the HTTP Task and API Gateway are the ``http`` integration's (http.py): real hosts
        if resource.arn.split(":")[5] == "aws-sdk":
            return (resource.service, resource.action) not in _LAMBDA_OWNED and resource.pattern in (
                "", ".waitForTaskToken")
        if resource.service == "states":
            return resource.action == "startExecution" and resource.pattern in _PATTERNS["states"]
        if resource.service == "s3":  # a Distributed Map's ItemReader / ResultWriter (items.py)
            from aslrun.integrations.aws.items import ACTIONS

            return resource.action in ACTIONS and resource.pattern == ""
        from aslrun.integrations.aws.optimized import OPTIMIZED

        return (resource.service, resource.action) in OPTIMIZED and resource.pattern in _PATTERNS[resource.service]

    def targets(self) -> Any:
        """The run's :class:`~aslrun.integrations.aws.target.AwsTargets` (made on first use)."""
        if self._targets is None:
            from aslrun.integrations.aws.target import AwsTargets

            interp = self._interpreter
            self._targets = AwsTargets(self.options, getattr(interp, "region", "us-east-1"),
                                       getattr(interp, "account", "111111111111"))
        return self._targets

    def session(self) -> Any:
        """A boto3 Session bound to the run's targets."""
        return self.targets().session()

    @property
    def prepared(self) -> bool:
        """Whether :meth:`prepare` has run (``aws.setup`` is done, or there is none)."""
        return self._set_up

    def prepare(self) -> None:
        """Run ``aws.setup`` once for the interpreter (blocking, thread-safe): before this integration's first
        call, and before a local Lambda handler's first invocation (it may read what the setup made)."""
        with self._setup_lock:
            if self._set_up:
                return
            try:
                if self.options.get("aws.setup"):
                    run_setup(self.options["aws.setup"], self.session())
            finally:
                self._set_up = True  # a failed setup fails its run, and is not tried again

    def invoke(self, request: Any) -> Any:
        """Run one Task: a generator yielding Blocking calls, returning the result."""
        return self._invoke(request)

    def _invoke(self, request: Any) -> Any:
        from aslrun.effects import Blocking, Progress, TaskReply

        resource: ResourceArn = request.resource
        sdk = resource.arn.split(":")[5] == "aws-sdk"
        if not self._set_up:
            yield Blocking(self.prepare, ())
        if resource.service == "states" and not sdk:
            from aslrun.integrations.aws.states import ChildMachines, start_execution

            if self._machines is None:
                self._machines = ChildMachines(self._interpreter)
            remote = None
            if self.targets().target("stepfunctions").remote:
                remote = yield Blocking(self.targets().client, ("stepfunctions",))
            return (yield from start_execution(self._machines, self._interpreter, request.parameters,
                                               resource.pattern, remote))
        service = resource.service
        if sdk:
            from aslrun.integrations.aws.sdk import botocore_service

            if service not in self._names:
                self._names[service] = botocore_service(service)
            service_name = self._names[service]
        else:
            service_name = service
        target = self.targets().target(service_name)
        if service_name == "stepfunctions" and sdk:
            from aslrun.integrations.aws.states import (
                LOCAL_SFN_ACTIONS,
                NOT_LOCAL,
                ChildMachines,
                local_sfn_call,
            )

            if resource.action in LOCAL_SFN_ACTIONS:  # aslrun's own executions and tokens first
                if self._machines is None:
                    self._machines = ChildMachines(self._interpreter)
                result = yield from local_sfn_call(self._machines, self._interpreter, resource.action,
                                                   request.parameters, bool(self.options.get("aws.sdk_attempt_count")),
                                                   only_local=target.kind == "local")
                if result is not NOT_LOCAL:
                    return TaskReply(result, callback=True) if resource.pattern == ".waitForTaskToken" else result
        if target.kind == "real" and service_name not in self._announced:
            self._announced.add(service_name)
            yield Progress(f"{service_name} calls go to real AWS ({self.targets().region})", request.scope)
        client = yield Blocking(self.targets().client, (service_name,))
        if service == "s3" and not sdk:
            from aslrun.integrations.aws.items import items_call

            return (yield from items_call(client, resource.action, request.parameters, request.context))
        if sdk:
            from aslrun.integrations.aws.sdk import sdk_call

            result = yield from sdk_call(client, service, resource.action, request.parameters,
                                         bool(self.options.get("aws.sdk_attempt_count")))
        else:
            from aslrun.integrations.aws.optimized import optimized_call

            context = request.context if isinstance(request.context, dict) else {}
            machine_arn = (context.get("StateMachine") or {}).get("Id", "")
            result = yield from optimized_call(client, service, resource.action, request.parameters,
                                               (machine_arn, request.execution_arn))
        return TaskReply(result, callback=True) if resource.pattern == ".waitForTaskToken" else result

    def close(self) -> None:
        """Drop the run's clients; moto's in-memory state (and what ``aws.setup`` made) stays for later runs."""
        if self._targets is not None:
            self._targets.close()
            self._targets = None
