"""``meta/v1 Status`` error bodies, shaped exactly as kube-apiserver sends them.

Every failed request ends in an :class:`ApiError`, which carries the HTTP code and the
``Status`` object. The constructors below reproduce the apiserver's wording, because
clients and users match on it (kubectl prints ``message``; the Python client raises
``ApiException(status, reason, body)``; the EKS plugin puts the body in ``EKS.<code>`` causes).
Note that NotFound/AlreadyExists/Conflict name the *resource* (``jobs.batch``) while Invalid
names the *kind* (``Job.batch``), as the real server does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ApiError",
    "FieldError",
    "already_exists",
    "bad_request",
    "conflict",
    "expired",
    "forbidden",
    "forbidden_message",
    "invalid",
    "method_not_allowed",
    "not_acceptable",
    "not_found",
    "not_found_path",
    "status_body",
    "success",
    "unauthorized",
    "unsupported_media_type",
]


def status_body(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """A failure ``Status`` object; ``details`` is included (even empty) when given."""
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason}
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


class ApiError(Exception):
    """A request failed; ``body`` is the ``Status`` to send with HTTP ``code``."""

    def __init__(self, code: int, body: dict[str, Any] | str, content_type: str = "application/json") -> None:
        self.code = code
        self.body = body
        self.content_type = content_type
        super().__init__(body["message"] if isinstance(body, dict) else body)

    @property
    def reason(self) -> str:
        """The Status ``reason`` (``NotFound``, ``AlreadyExists``, …)."""
        return self.body.get("reason", "") if isinstance(self.body, dict) else ""

    def payload(self) -> bytes:
        """The encoded response body."""
        if isinstance(self.body, dict):
            return json.dumps(self.body, separators=(",", ":")).encode("utf-8")
        return self.body.encode("utf-8")


def _qualified(resource: str, group: str) -> str:
    return f"{resource}.{group}" if group else resource


def _details(name: str | None, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    details.update(extra)
    return details


def unauthorized() -> ApiError:
    """401 for a missing or rejected bearer token (the message never names the token)."""
    return ApiError(401, status_body(401, "Unauthorized", "Unauthorized"))


def forbidden(user: str, verb: str, resource: str, group: str, namespace: str | None,
              name: str | None = None, subresource: str = "", path: str = "") -> ApiError:
    """403 from the authorizer, worded like RBAC's denial."""
    if not resource:
        message = f'forbidden: User "{user}" cannot {verb} path "{path}"'
        return ApiError(403, status_body(403, "Forbidden", message, {}))
    target = _qualified(resource, group) + (f' "{name}"' if name else "")
    full = f"{resource}/{subresource}" if subresource else resource
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (f'{target} is forbidden: User "{user}" cannot {verb} resource "{full}" '
               f'in API group "{group}" {where}')
    return ApiError(403, status_body(403, "Forbidden", message, _details(name, group, resource)))


def forbidden_message(message: str, resource: str, group: str, name: str | None) -> ApiError:
    """403 with a custom message (admission refusals such as a terminating namespace)."""
    return ApiError(403, status_body(403, "Forbidden", message, _details(name, group, resource)))


def not_found(resource: str, group: str, name: str) -> ApiError:
    """404 ``jobs.batch "x" not found``."""
    message = f'{_qualified(resource, group)} "{name}" not found'
    return ApiError(404, status_body(404, "NotFound", message, _details(name, group, resource)))


def not_found_path() -> ApiError:
    """404 for a path inside a known API group/version that names no resource."""
    return ApiError(404, status_body(404, "NotFound", "the server could not find the requested resource", {}))


def already_exists(resource: str, group: str, name: str) -> ApiError:
    """409 ``jobs.batch "x" already exists``."""
    message = f'{_qualified(resource, group)} "{name}" already exists'
    return ApiError(409, status_body(409, "AlreadyExists", message, _details(name, group, resource)))


def conflict(resource: str, group: str, name: str, why: str = "") -> ApiError:
    """409 Conflict for a stale resourceVersion or a failed precondition."""
    why = why or "the object has been modified; please apply your changes to the latest version and try again"
    message = f'Operation cannot be fulfilled on {_qualified(resource, group)} "{name}": {why}'
    return ApiError(409, status_body(409, "Conflict", message, _details(name, group, resource)))


@dataclass(frozen=True, slots=True)
class FieldError:
    """One validation failure: ``field`` (dotted path), the cause ``reason`` and its ``detail`` text."""

    field: str
    reason: str
    detail: str

    @classmethod
    def required(cls, field: str, detail: str = "") -> FieldError:
        """``Required value``."""
        return cls(field, "FieldValueRequired", "Required value" + (f": {detail}" if detail else ""))

    @classmethod
    def invalid(cls, field: str, value: Any, detail: str) -> FieldError:
        """``Invalid value: <value>: <detail>``."""
        shown = json.dumps(value) if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        return cls(field, "FieldValueInvalid", f"Invalid value: {shown}: {detail}")

    @classmethod
    def not_supported(cls, field: str, value: Any, supported: list[str]) -> FieldError:
        """``Unsupported value: "x": supported values: "a", "b"``."""
        options = ", ".join(json.dumps(s) for s in supported)
        return cls(field, "FieldValueNotSupported",
                   f"Unsupported value: {json.dumps(value)}: supported values: {options}")

    @classmethod
    def forbidden(cls, field: str, detail: str) -> FieldError:
        """``Forbidden: <detail>``."""
        return cls(field, "FieldValueForbidden", f"Forbidden: {detail}")

    def text(self) -> str:
        """``field: detail`` as it appears in the Status message."""
        return f"{self.field}: {self.detail}"


def invalid(kind: str, group: str, name: str, errors: list[FieldError]) -> ApiError:
    """422 ``Job.batch "x" is invalid: <field>: <detail>`` (bracketed list for several errors)."""
    listed = errors[0].text() if len(errors) == 1 else "[" + ", ".join(e.text() for e in errors) + "]"
    message = f'{_qualified(kind, group)} "{name}" is invalid: {listed}'
    causes = [{"reason": e.reason, "message": e.detail, "field": e.field} for e in errors]
    return ApiError(422, status_body(422, "Invalid", message, _details(name, group, kind, causes=causes)))


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, status_body(400, "BadRequest", message))


def method_not_allowed() -> ApiError:
    """405 for a verb the resource does not support."""
    return ApiError(405, status_body(405, "MethodNotAllowed",
                                     "the server does not allow this method on the requested resource", {}))


def unsupported_media_type(content_type: str) -> ApiError:
    """415 for a body in a format the emulator cannot decode (``content_type`` is not echoed, as upstream)."""
    message = ("the body of the request was in an unknown format - accepted media types include: "
               "application/json, application/yaml")
    return ApiError(415, status_body(415, "UnsupportedMediaType", message, {}))


def not_acceptable() -> ApiError:
    """406 when the client accepts no media type the emulator can produce."""
    return ApiError(406, status_body(406, "NotAcceptable",
                                     "only the following media types are accepted: application/json", {}))


def expired(message: str) -> ApiError:
    """410 Expired (a watch or continue token older than the emulator's event history)."""
    return ApiError(410, status_body(410, "Expired", message))


def success(name: str, group: str, resource: str, uid: str) -> dict[str, Any]:
    """The ``Status`` a DELETE returns when the object is gone at once."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": _details(name, group, resource, uid=uid)}
