"""Lambda functions run locally: a Lambda ARN as a Task's ``Resource`` and ``arn:aws:states:::lambda:invoke``.

Each function bound to a local handler (:mod:`aslrun.integrations.aws.lambda_config`) runs in worker
processes of its own (:mod:`aslrun.integrations.aws.lambda_process`), kept warm for the run and closed
when the execution ends. Results and errors have AWS's shapes (``aws-integrations.md`` §3.2, §3.3, §7):

* a Lambda ARN resource gives the function's parsed payload; a function error fails the Task with the
  error document's ``errorType`` as the error and the document's text, verbatim, as the cause;
* ``lambda:invoke`` gives ``{ExecutedVersion, [LogResult], Payload, SdkHttpMetadata, SdkResponseMetadata,
  StatusCode}``; a function error fails it with ``errorType`` and the document re-encoded as compact JSON;
* a function that runs past its timeout fails with ``Sandbox.Timedout``, cause
  ``{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id> Error: Task timed out after 3.00 seconds"}``.

A function nobody bound fails the Task with ``States.Runtime`` under the default local AWS target:
that is a problem of the run's setup, not a failure of the function, so no ``Retry``/``Catch`` of the
definition may treat it as one (``States.ALL`` does not match ``States.Runtime``). When the run's AWS
target (option ``aws.target``) is real AWS or an endpoint, unbound functions go to the next integration
that handles the resource (the boto3 one).

Interpreter options: ``lambda.functions`` and ``lambda.template_functions`` (see
:mod:`~aslrun.integrations.aws.lambda_config`), ``lambda.template_ids`` (a template's
``{logical id: function name}``, so a binding may name a function by its logical id) and
``lambda.environment`` (variables added to every function's environment) and ``lambda.workers``
(``--workers N``: at most N worker processes per function, so N invocations of it run in parallel;
default :data:`~aslrun.integrations.aws.lambda_process.DEFAULT_WORKERS`, see :func:`workers_setting`).

A handler's own AWS SDK calls go where the run's (``aws.target``) go: under ``local`` (the default) to the
run's embedded AWS, served to the workers on ``127.0.0.1`` by :class:`~aslrun.integrations.aws.embedded.
EmbeddedServer` (started with the first worker, stopped in :meth:`LambdaIntegration.close`) as
``AWS_ENDPOINT_URL`` with fake keys; under a URL to that URL (``AWS_ENDPOINT_URL_<SERVICE>`` for a
per-service URL); under ``real`` nowhere in particular (the handler's own credential chain and endpoints).
With a per-service ``real`` (``--aws dynamodb=real``) the handler keeps your credential chain and every other
service gets its own ``AWS_ENDPOINT_URL_<SERVICE>`` (:func:`~aslrun.integrations.aws.target.handler_endpoints`).
``aws.setup`` runs before a handler's first invocation, so the handler sees what it made.
"""

from __future__ import annotations

import base64
import email.utils
import json
import os
import random
import secrets
import string
import threading
import time
import uuid
from collections.abc import Generator, Mapping
from dataclasses import dataclass
from typing import Any

from aslrun import defaults
from aslrun.effects import Blocking, TaskReply
from aslrun.errors import InputError, StatesError
from aslrun.integrations.arn import ResourceArn
from aslrun.integrations.aws.lambda_config import (
    FunctionRef,
    LambdaBinding,
    find_binding,
    function_ref,
    make_bindings,
)
from aslrun.integrations.aws.lambda_process import DEFAULT_WORKERS, FunctionPool, Invocation, Outcome
from aslrun.integrations.aws.lambda_remote import RemoteReply
from aslrun.integrations.aws.target import any_real
from aslrun.integrations.base import TaskRequest

__all__ = ["LambdaIntegration", "function_environment", "workers_setting"]

_LOG_TAIL_BYTES = 4096
#: what would let a handler reach real AWS with your identity (dropped under the local target)
_CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                         "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def function_environment(binding: LambdaBinding, ref: FunctionRef, extra: Mapping[str, str] | None = None,
                         local: bool = True, endpoints: Mapping[str, str] | None = None,
                         access_key: str = "testing") -> dict[str, str]:
    """The environment a function's worker gets: this process's, Lambda's reserved variables, the function's own.

    Under a ``local`` AWS target the worker gets fake AWS keys instead of yours, so a handler's own AWS SDK
    calls can never reach real AWS by accident. ``endpoints`` (``AWS_ENDPOINT_URL[_SERVICE]``: URL) replace
    any endpoint variable of this process; ``lambda.environment`` (``extra``) may still override them.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_LAMBDA_", "_HANDLER", "LAMBDA_"))}
    if local:
        for name in _CREDENTIAL_VARIABLES:
            env.pop(name, None)
        env.update(AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY="testing")
    if endpoints:
        env = {k: v for k, v in env.items() if not k.startswith("AWS_ENDPOINT_URL")}
        env.update(endpoints)
    env.update(dict(extra or {}))
    env.update({
        "_HANDLER": binding.handler,
        "AWS_REGION": ref.region,
        "AWS_DEFAULT_REGION": ref.region,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": ref.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(binding.memory),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{ref.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2024/01/01/[$LATEST]" + uuid.uuid4().hex,
        "LAMBDA_TASK_ROOT": str(binding.path.parent),
        "LAMBDA_RUNTIME_DIR": str(binding.path.parent),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(binding.environment)
    return env


def workers_setting(options: Mapping[str, Any]) -> int:
    """The ``lambda.workers`` option: worker processes per function (an integer of at least 1).

    :raises InputError: any other value.
    """
    value = options.get("lambda.workers")
    if value is None:
        return DEFAULT_WORKERS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"lambda.workers must be an integer of at least 1 (worker processes per function), "
                         f"not {value!r}")
    return value


def _sdk_metadata(reply: RemoteReply, now: float, trace_id: str) -> dict[str, Any]:
    """``SdkHttpMetadata`` of a Lambda Invoke response, headers in AWS's wire casing and order."""
    headers: list[tuple[str, str]] = []
    if reply.log_result is not None:
        headers.append(("X-Amz-Log-Result", reply.log_result))
    headers += [("X-Amz-Executed-Version", reply.executed_version), ("x-amzn-Remapped-Content-Length", "0"),
                ("Connection", "keep-alive"), ("x-amzn-RequestId", reply.request_id),
                ("Content-Length", str(len(reply.payload.encode()))), ("Date", email.utils.formatdate(now, usegmt=True)),
                ("X-Amzn-Trace-Id", trace_id), ("Content-Type", "application/json")]
    return {
        "AllHttpHeaders": {name: [value] for name, value in headers},
        "HttpHeaders": {name: value for name, value in sorted(headers, key=lambda h: h[0].lower())},
        "HttpStatusCode": reply.status_code,
    }


@dataclass(frozen=True)
class _Call:
    """What an invocation sends: the request body and the Invoke parameters that matter locally."""

    body: str
    client_context: Any
    log_type: Any
    invocation_type: str


def _parse_payload(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text  # not JSON (a bytes return): AWS hands the text on as a string


class LambdaIntegration:
    """Runs bound Lambda functions' Python handlers in local worker processes."""

    name = "lambda"

    def __init__(self, interpreter: Any = None) -> None:
        self.interpreter = interpreter
        self._pools: dict[tuple[Any, ...], FunctionPool] = {}
        self._lock = threading.Lock()
        #: the embedded AWS served to the workers (local target only), started with the first worker
        self._server: Any = None
        #: the access key id the workers sign with: the embedded AWS refuses any other (a random one per run)
        self._access_key = "ASLRUN" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(14))
        seed = getattr(interpreter, "seed", None)
        self._rng = random.Random(seed) if seed is not None else random.SystemRandom()

    @property
    def remote(self) -> bool:
        """True when Lambda's AWS target is real AWS or an endpoint (unbound functions are invoked there)."""
        return not self._local_target()

    # ------------------------------------------------------------ settings

    @property
    def _options(self) -> Mapping[str, Any]:
        return getattr(self.interpreter, "options", None) or {}

    def _where(self) -> tuple[str, str, str]:
        i = self.interpreter
        return (getattr(i, "region", defaults.REGION), getattr(i, "account", defaults.ACCOUNT_ID),
                getattr(i, "partition", defaults.PARTITION))

    def _local_target(self) -> bool:
        from aslrun.integrations.aws.target import target_for

        return target_for("lambda", dict(self._options)).kind == "local"

    def binding(self, ref: FunctionRef) -> LambdaBinding | None:
        """The binding for ``ref``: an explicit one first, then one found in the template."""
        region, account, _ = self._where()
        options = self._options
        # A template's logical id names its function in --lambda too (--lambda ChargeFunction=...).
        ids = options.get("lambda.template_ids") or {}
        explicit = {ids.get(k, k): v for k, v in (options.get("lambda.functions") or {}).items()}
        for key, value in (("lambda.functions", explicit),
                           ("lambda.template_functions", options.get("lambda.template_functions"))):
            found = find_binding(make_bindings(value, where=key), ref, region, account)
            if found is not None:
                return found
        return None

    # ------------------------------------------------------------ the integration protocol

    def handles(self, resource: ResourceArn) -> bool:
        """Lambda ARNs (bound ones only, unless the AWS target is local) and ``lambda:invoke``."""
        if resource.kind == "lambda-arn":
            return True
        if _is_sdk(resource):  # aws-sdk:lambda:invoke (the aws integration leaves it to this one)
            return resource.service == "lambda" and resource.action == "invoke" and resource.pattern == ""
        return (resource.kind == "integration" and resource.service == "lambda" and resource.action == "invoke"
                and resource.pattern in ("", ".waitForTaskToken"))

    def _function(self, resource: ResourceArn, parameters: Any) -> FunctionRef:
        if resource.kind == "lambda-arn":
            return self._ref_of_arn(resource.arn)
        params = parameters if isinstance(parameters, Mapping) else {}
        name = params.get("FunctionName")
        if not isinstance(name, str) or not name:
            raise StatesError("States.Runtime", "The field 'FunctionName' is required by lambda:invoke.")
        region, account, partition = self._where()
        return function_ref(name, region, account, partition, params.get("Qualifier"))

    def check(self, resource: ResourceArn, parameters: Any) -> None:
        """Before the Task is scheduled: an unbound function under the local AWS target is a States.Runtime."""
        ref = self._function(resource, parameters)
        if self.binding(ref) is None and self._local_target():
            raise _unbound(ref)

    def invoke(self, request: TaskRequest) -> Any:
        """Run the function; a generator that waits for the worker (or the Invoke call) on a thread."""
        resource = request.resource
        ref = self._function(resource, request.parameters)
        params = request.parameters if isinstance(request.parameters, Mapping) else {}
        if resource.kind == "lambda-arn":
            call = _Call(_compact(request.parameters), None, None, "RequestResponse")
        elif _is_sdk(resource):  # a blob member: the compact JSON text of the value, strings included
            call = _Call(_compact(params["Payload"]) if "Payload" in params else "{}", params.get("ClientContext"),
                         params.get("LogType"), params.get("InvocationType") or "RequestResponse")
        else:
            call = _Call(_request_body(params.get("Payload")), params.get("ClientContext"), params.get("LogType"),
                         params.get("InvocationType") or "RequestResponse")
        binding = self.binding(ref)
        if binding is None and self._local_target():
            raise _unbound(ref)
        return self._run(request, binding, ref, call, params)

    def _run(self, request: TaskRequest, binding: LambdaBinding | None, ref: FunctionRef, call: _Call,
             params: Mapping[str, Any]) -> Generator[Any, Any, Any]:
        trace_id = f"Root=1-{self._rng.getrandbits(32):08x}-{self._rng.getrandbits(96):024x};Sampled=0"
        if binding is None:
            from aslrun.integrations.aws.lambda_remote import remote_invoke

            region, account, _ = self._where()
            name = request.resource.arn if request.resource.kind == "lambda-arn" else params["FunctionName"]
            reply: RemoteReply = yield Blocking(remote_invoke, (
                dict(self._options), region, account, name, params.get("Qualifier"), call.body,
                call.invocation_type, call.log_type, call.client_context))
        else:
            aws = self._aws_integration()
            if aws is not None and not aws.prepared:  # the handler may read what --aws-setup makes
                yield Blocking(aws.prepare, ())
            reply = yield from self._run_local(binding, ref, call)
        if _is_sdk(request.resource):
            return _sdk_result(reply)
        if request.resource.kind == "lambda-arn":
            if reply.function_error:
                raise _function_error(reply.payload, verbatim=True)
            return _parse_payload(reply.payload)
        if reply.function_error:
            raise _function_error(reply.payload, verbatim=False)
        now = request.clock.time() if request.clock is not None else time.time()
        result: dict[str, Any] = {"ExecutedVersion": reply.executed_version}
        if reply.log_result is not None:
            result["LogResult"] = reply.log_result
        result["Payload"] = _parse_payload(reply.payload) if reply.payload else ""
        result["SdkHttpMetadata"] = _sdk_metadata(reply, now, trace_id)
        result["SdkResponseMetadata"] = {"RequestId": reply.request_id}
        result["StatusCode"] = reply.status_code
        if request.resource.pattern == ".waitForTaskToken":
            return TaskReply(result, callback=True)
        return result

    def _run_local(self, binding: LambdaBinding, ref: FunctionRef, call: _Call) -> Generator[Any, Any, RemoteReply]:
        request_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        pool = self._pool(binding, ref)
        invocation = Invocation(request_id, call.body, ref.invoked_arn, float(binding.timeout),
                                _client_context(call.client_context))
        outcome: Outcome = yield Blocking(pool.invoke, (invocation,))
        if outcome.timed_out or outcome.exit_code is not None:
            # Lambda answers with an error document of its own (the function's sandbox is gone).
            return RemoteReply(_sandbox_failure(outcome, request_id, binding), request_id, 200, "$LATEST", "Unhandled")
        log_result = _log_result(outcome, request_id, binding) if call.log_type == "Tail" else None
        event = call.invocation_type == "Event"
        return RemoteReply("" if event else outcome.payload, request_id, 202 if event else 200, "$LATEST",
                           None if outcome.ok else "Unhandled", log_result)

    def _pool(self, binding: LambdaBinding, ref: FunctionRef) -> FunctionPool:
        key = (binding.key, str(binding.path), binding.function, tuple(sorted(binding.environment.items())),
               binding.memory, ref.name, ref.region)
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                extra = self._options.get("lambda.environment") or {}
                env = function_environment(binding, ref, extra, local=self._all_local(), endpoints=self._endpoints(),
                                           access_key=self._access_key)
                pool = FunctionPool(env, str(binding.path.parent), workers_setting(self._options))
                self._pools[key] = pool
            return pool

    def _aws_integration(self) -> Any:
        """The interpreter's ``aws`` integration (it runs ``aws.setup``), or None."""
        registry = getattr(self.interpreter, "integrations", None)
        if registry is None:
            return None
        return next((i for i in registry.all() if getattr(i, "name", None) == "aws" and hasattr(i, "prepare")), None)

    def _all_local(self) -> bool:
        """Every service the workers call is the embedded AWS (they get aslrun's key, not your credentials)."""
        return bool(self._local_target()) and not any_real(dict(self._options))

    def _endpoints(self) -> dict[str, str]:
        """Where the workers' AWS SDK calls go (called under the lock): ``AWS_ENDPOINT_URL[_SERVICE]`` variables."""
        from aslrun.integrations.aws.target import handler_endpoints

        def local_url() -> str:
            if self._server is None:
                from aslrun.integrations.aws.embedded import EmbeddedServer

                # SendTask* answer the run; only the workers' key is let in (when they have ours, not yours)
                self._server = EmbeddedServer(self._where()[1], tokens=self.interpreter,
                                              access_key=self._access_key if self._all_local() else None)
            return self._server.url

        return handler_endpoints(dict(self._options), local_url)

    def _ref_of_arn(self, arn: str) -> FunctionRef:
        region, account, partition = self._where()
        return function_ref(arn, region, account, partition)

    def close(self) -> None:
        """Stop every worker process and the embedded AWS server (they start again on the next invocation)."""
        with self._lock:
            pools = list(self._pools.values())
            self._pools = {}
            server, self._server = self._server, None
        for pool in pools:
            pool.close()
        if server is not None:  # after the workers: none is still talking to it
            server.close()


# ---------------------------------------------------------------- shapes


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _request_body(payload: Any) -> str:
    """``Payload`` as the Invoke request body: a string is sent verbatim, null as ``{}``, the rest as JSON."""
    if payload is None:
        return "{}"
    if isinstance(payload, str):
        try:
            json.loads(payload)
        except ValueError as exc:
            raise StatesError(
                "Lambda.InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {exc} (Service: "
                "AWSLambda; Status Code: 400; Error Code: InvalidRequestContentException; Request ID: "
                f"{uuid.uuid4()}; Proxy: null)") from None
        return payload
    return _compact(payload)


def _client_context(value: Any) -> Any:
    """``ClientContext`` is base64 JSON in the Invoke request; the function sees it decoded."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return json.loads(base64.b64decode(value))
    except ValueError:
        return None


def _function_error(payload: str, verbatim: bool) -> StatesError:
    """A function error: ``errorType`` (else ``Lambda.Unknown``) and the document as the cause."""
    try:
        document = json.loads(payload)
    except ValueError:
        document = None
    error = document.get("errorType") if isinstance(document, dict) else None
    cause = payload if verbatim or document is None else _compact(document)
    return StatesError(error if isinstance(error, str) and error else "Lambda.Unknown", cause)


def _sandbox_failure(outcome: Outcome, request_id: str, binding: LambdaBinding) -> str:
    if outcome.exit_code is not None:
        error_type = "Runtime.ExitError"
        message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {outcome.exit_code}"
    else:
        error_type = "Sandbox.Timedout"
        message = f"RequestId: {request_id} Error: Task timed out after {float(binding.timeout):.2f} seconds"
    return _compact({"errorType": error_type, "errorMessage": message})


def _is_sdk(resource: ResourceArn) -> bool:
    return resource.kind == "integration" and resource.arn.split(":")[5] == "aws-sdk"


def _sdk_result(reply: RemoteReply) -> dict[str, Any]:
    """``aws-sdk:lambda:invoke``: the Invoke output as the SDK gives it; a function error is data, not a failure.

    **[UNSURE]** no recording: the blob ``Payload`` comes back as text, as ``s3:getObject``'s ``Body`` does.
    """
    result: dict[str, Any] = {"ExecutedVersion": reply.executed_version}
    if reply.function_error:
        result["FunctionError"] = reply.function_error
    if reply.log_result is not None:
        result["LogResult"] = reply.log_result
    result["Payload"] = reply.payload
    result["StatusCode"] = reply.status_code
    return result


def _log_result(outcome: Outcome, request_id: str, binding: LambdaBinding) -> str:
    """``LogResult`` (``LogType: Tail``): the last 4 KB of the invocation's log, base64."""
    billed = max(1, int(outcome.duration_ms + 0.999))
    text = (f"START RequestId: {request_id} Version: $LATEST\n{outcome.log}END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {outcome.duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
            f"Memory Size: {binding.memory} MB\tMax Memory Used: {binding.memory} MB\t\n")
    return base64.b64encode(text.encode()[-_LOG_TAIL_BYTES:]).decode()


def _unbound(ref: FunctionRef) -> StatesError:
    return StatesError(
        "States.Runtime",
        f"No local handler is bound to the Lambda function '{ref.name}' ({ref.invoked_arn}). Bind one with "
        f"--lambda {ref.name}=path/to/handler.py:function (or in the 'lambdas' "
        "section of aslrun.yaml, or the Python option lambda.functions), or mock the state in a MockConfigFile "
        "(--mock-config FILE --test-case NAME).",
    )
