"""AWS's JSON 1.0 protocol for Step Functions: request parsing, error shapes, the HTTP handler.

Every call is ``POST`` with ``X-Amz-Target: AWSStepFunctions.<Operation>`` and a JSON body; every
answer is JSON with ``Content-Type: application/x-amz-json-1.0`` and an ``x-amzn-RequestId``. A
failure is ``{"__type": "<namespace>#<Code>", "message": ...}`` with HTTP 400 (409 for
``ConflictException``); an unexpected exception is logged and answered ``InternalFailure`` with a
short message, never a traceback.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

__all__ = [
    "CONTENT_TYPE",
    "TARGET_PREFIX",
    "ApiError",
    "RequestHandler",
    "decode_token",
    "encode_token",
    "optional_str",
    "page_size",
    "required_str",
    "validation_error",
]

log = logging.getLogger("aslrun.server")

CONTENT_TYPE = "application/x-amz-json-1.0"
TARGET_PREFIX = "AWSStepFunctions."
_SERVICE_NAMESPACE = "com.amazonaws.swf.service.v2.model"
_VALIDATE_NAMESPACE = "com.amazon.coral.validate"
_STATUS = {"ConflictException": 409, "ServiceQuotaExceededException": 402, "InternalFailure": 500}

#: an operation: the parsed request body in, the response body out
Operation = Callable[[dict[str, Any]], dict[str, Any]]


class ApiError(Exception):
    """A modeled error: ``code`` (``StateMachineDoesNotExist``), ``message`` and optional extra members."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.extra = extra

    @property
    def status(self) -> int:
        return _STATUS.get(self.code, 400)

    def body(self) -> dict[str, Any]:
        namespace = _VALIDATE_NAMESPACE if self.code == "ValidationException" else _SERVICE_NAMESPACE
        return {"__type": f"{namespace}#{self.code}", "message": self.message, **self.extra}


def validation_error(detail: str, reason: str | None = None) -> ApiError:
    """``1 validation error detected: <detail>`` as the coral validator words it."""
    extra = {"reason": reason} if reason else {}
    return ApiError("ValidationException", f"1 validation error detected: {detail}", **extra)


def required_str(params: Mapping[str, Any], key: str, max_length: int | None = None) -> str:
    """A required string member; missing or of the wrong type → ValidationException."""
    value = params.get(key)
    if value is None:
        raise validation_error(f"Value at '{key}' failed to satisfy constraint: Member must not be null",
                               "MISSING_REQUIRED_PARAMETER")
    return _check_str(key, value, max_length)


def optional_str(params: Mapping[str, Any], key: str, max_length: int | None = None) -> str | None:
    value = params.get(key)
    return None if value is None else _check_str(key, value, max_length)


def _check_str(key: str, value: Any, max_length: int | None) -> str:
    if not isinstance(value, str):
        raise ApiError("SerializationException", f"Expected a string for '{key}'")
    if max_length is not None and len(value) > max_length:
        raise validation_error(f"Value at '{key}' failed to satisfy constraint: Member must have length less "
                               f"than or equal to {max_length}")
    return value


def page_size(params: Mapping[str, Any], limit: int = 1000, default: int = 100) -> int:
    """``maxResults``: 0 to ``limit``, 0 or absent meaning ``default``."""
    value = params.get("maxResults", 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApiError("SerializationException", "Expected an integer for 'maxResults'")
    if value > limit:
        raise validation_error(f"Value '{value}' at 'maxResults' failed to satisfy constraint: Member must have "
                               f"value less than or equal to {limit}")
    if value < 0:
        raise validation_error(f"Value '{value}' at 'maxResults' failed to satisfy constraint: Member must have "
                               "value greater than or equal to 0")
    return value or default


def encode_token(offset: int, scope: str) -> str:
    """An opaque ``nextToken``: where the next page starts, tied to the listing it belongs to."""
    raw = json.dumps({"o": offset, "s": scope}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def decode_token(params: Mapping[str, Any], scope: str) -> int:
    """The offset a ``nextToken`` holds (0 without one); a foreign or damaged token → InvalidToken."""
    token = params.get("nextToken")
    if token is None:
        return 0
    if not isinstance(token, str) or not 1 <= len(token) <= 3096:
        raise validation_error("Value at 'nextToken' failed to satisfy constraint: Member must have length "
                               "less than or equal to 1024")
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = data["o"]
        ok = data["s"] == scope and isinstance(offset, int) and offset >= 0
    except (ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise ApiError("InvalidToken", "Invalid Token: 'Invalid token'")
    return int(offset)


class RequestHandler(BaseHTTPRequestHandler):
    """One HTTP connection; ``server.operations`` maps operation names to :data:`Operation` callables."""

    protocol_version = "HTTP/1.1"
    # headers and body go out in two writes: without TCP_NODELAY each answer waits ~40 ms for a delayed ACK
    disable_nagle_algorithm = True
    server_version = "aslrun"

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        request_id = str(uuid.uuid4())
        try:
            status, body = 200, self._dispatch()
        except ApiError as exc:
            status, body = exc.status, exc.body()
        except Exception:
            log.exception("internal error in %s", self.headers.get("X-Amz-Target"))
            status, body = 500, {"__type": "InternalFailure", "message": "An internal error occurred in aslrun "
                                 "serve; the server log has the details."}
        self._reply(status, body, request_id)

    def do_GET(self) -> None:  # noqa: N802
        self._reply(400, ApiError("UnknownOperationException", "Use POST with an X-Amz-Target header.").body(),
                    str(uuid.uuid4()))

    def _dispatch(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        target = self.headers.get("X-Amz-Target", "")
        operations: Mapping[str, Operation] = getattr(self.server, "operations", {})
        name = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
        operation = operations.get(name)
        if operation is None:
            raise ApiError("UnknownOperationException", f"Unknown operation: '{target}'")
        try:
            params = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise ApiError("SerializationException", "The request body is not valid JSON.") from None
        if not isinstance(params, dict):
            raise ApiError("SerializationException", "The request body must be a JSON object.")
        return operation(params)

    def _reply(self, status: int, body: dict[str, Any], request_id: str) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", request_id)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        log.debug("%s - %s", self.address_string(), format % args)
