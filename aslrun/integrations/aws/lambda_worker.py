"""The process a local Lambda function runs in: a small Python Lambda runtime speaking JSON lines.

Started by :mod:`aslrun.integrations.aws.lambda_process` as ``python -P lambda_worker.py`` with the
function's environment (``_HANDLER`` = ``module.function``, ``LAMBDA_TASK_ROOT`` = the code directory,
``AWS_LAMBDA_FUNCTION_NAME``, ...) and the code directory as its working directory. It imports only
the standard library, so a cold start costs one interpreter start and the handler's own imports.

Protocol: one JSON object a line. The parent writes ``{"id", "event", "deadline", "arn",
"client_context"}`` (``event`` is the request body as text, ``deadline`` epoch milliseconds); the
worker answers ``{"ok": bool, "payload": text, "log": text}`` on its original stdout. The handler's
own ``print`` output goes to stderr (Lambda sends it to CloudWatch Logs) and is kept for ``LogType: Tail``.

What the handler sees and what comes back follow AWS's Python runtime (awslambdaric ``bootstrap.py``,
``lambda_context.py``, ``lambda_runtime_marshaller.py``): the handler's module is imported from the
task root, errors become ``{"errorMessage", "errorType", "requestId", "stackTrace"}`` documents encoded
with ``json.dumps`` defaults, the traceback starts in user code, and import problems are
``Runtime.ImportModuleError``/``Runtime.HandlerNotFound``/``Runtime.UserCodeSyntaxError``/
``Runtime.MalformedHandlerName``. Paths under the task root are shown as ``/var/task/...``, as on AWS.
"""

from __future__ import annotations

import decimal
import importlib
import io
import json
import os
import sys
import time
import traceback
from typing import Any

_TASK_ROOT_ON_AWS = "/var/task"


class _Fault(Exception):
    """A runtime error (not the handler's): its Lambda error type, message and trace."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


class CognitoIdentity:
    """``context.identity``: empty unless invoked through the Mobile SDK (as on AWS)."""

    cognito_identity_id = None
    cognito_identity_pool_id = None


class LambdaContext:
    """The ``context`` argument, with the members AWS's Python runtime gives it."""

    def __init__(self, request_id: str, deadline_ms: int, invoked_arn: str, client_context: Any) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.client_context = client_context
        self.identity = CognitoIdentity()
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        # A string, as AWS's runtime reads it from the environment.
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function times out (never below 0)."""
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg: str) -> None:
        """Write ``msg`` to the function's log."""
        sys.stdout.write(str(msg))

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn},client_context={self.client_context},"
                f"identity={self.identity}])")


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


class _Tee(io.TextIOBase):
    """The handler's stdout/stderr: written through to stderr and kept for the invocation's log."""

    def __init__(self, target: Any, kept: list[str]) -> None:
        self.target = target
        self.kept = kept

    def write(self, s: str) -> int:
        self.kept.append(s)
        self.target.write(s)
        self.target.flush()
        return len(s)

    def flush(self) -> None:
        self.target.flush()


def _aws_path(filename: str) -> str:
    root = os.environ.get("LAMBDA_TASK_ROOT", "")
    if root and filename.startswith(root.rstrip(os.sep) + os.sep):
        return _TASK_ROOT_ON_AWS + "/" + os.path.relpath(filename, root).replace(os.sep, "/")
    return filename


def _load_handler() -> Any:
    """Import the handler as AWS's ``_get_handler`` does (same error types and messages)."""
    spec = os.environ.get("_HANDLER", "")
    try:
        modname, fname = spec.rsplit(".", 1)
    except ValueError as exc:
        raise _Fault("Runtime.MalformedHandlerName", f"Bad handler '{spec}': {exc}") from None
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise _Fault("Runtime.BuiltInModuleConflict", f"Cannot use built-in module {modname} as a handler module")
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as exc:
        raise _Fault("Runtime.ImportModuleError", f"Unable to import module '{modname}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{_aws_path(exc.filename or "")}" Line {exc.lineno}\n    {exc.text}']
        raise _Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {exc}", trace) from None
    try:
        return getattr(module, fname)
    except AttributeError:
        raise _Fault("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'") from None


def _error(message: str, error_type: str, trace: list[str], request_id: str) -> dict[str, Any]:
    return {"errorMessage": message or "", "errorType": error_type or "", "requestId": request_id,
            "stackTrace": trace or []}


def _user_trace(tb: Any) -> list[str]:
    """The traceback from the first frame outside this file, formatted as AWS formats it."""
    frames = list(traceback.extract_tb(tb))
    here = os.path.abspath(__file__)
    while frames and os.path.abspath(frames[0].filename) == here:
        frames.pop(0)
    for frame in frames:
        frame.filename = _aws_path(frame.filename)
    return traceback.format_list(frames)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _invoke(state: dict[str, Any], request: dict[str, Any]) -> tuple[bool, str]:
    """One invocation: (ok, payload text)."""
    request_id = request["id"]
    try:
        if state.get("handler") is None:
            try:
                state["handler"] = _load_handler()
            except _Fault as fault:
                # An init error: AWS's document has no requestId then.
                return False, _dumps(_error(fault.message, fault.error_type, fault.trace, ""))
        try:
            event = json.loads(request["event"])
        except ValueError as exc:
            raise _Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {exc}") from None
        context = LambdaContext(request_id, request["deadline"], request["arn"], request.get("client_context"))
        result = state["handler"](event, context)
        if isinstance(result, (bytes, bytearray)):
            return True, bytes(result).decode("utf-8", "replace")
        try:
            return True, json.dumps(result, cls=_Encoder)
        except (TypeError, ValueError) as exc:
            raise _Fault("Runtime.MarshalError", f"Unable to marshal response: {exc}") from None
    except _Fault as fault:
        return False, _dumps(_error(fault.message, fault.error_type, fault.trace, request_id))
    except Exception as exc:
        traceback.print_exc()  # the real paths, in the function's log
        return False, _dumps(_error(str(exc), type(exc).__name__, _user_trace(exc.__traceback__), request_id))


def main() -> None:
    """Serve invocations until stdin closes."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # the handler's prints must not reach the protocol stream
    real_err = sys.stderr
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", 0), encoding="utf-8", write_through=True)
    root = os.environ.get("LAMBDA_TASK_ROOT")
    if root:
        sys.path.insert(0, root)
    state: dict[str, Any] = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        kept: list[str] = []
        out, err = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = _Tee(real_err, kept)  # type: ignore[assignment]
        try:
            ok, payload = _invoke(state, request)
        finally:
            sys.stdout, sys.stderr = out, err
        protocol.write(json.dumps({"ok": ok, "payload": payload, "log": "".join(kept)}) + "\n")
        protocol.flush()


if __name__ == "__main__":
    main()
