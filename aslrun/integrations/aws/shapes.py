"""boto3 responses and errors in the shapes Step Functions gives them (``aws-integrations.md`` §2–§3).

Two error formatters, fed from ``ClientError.response``:

* ``aws-sdk:*`` (AWS SDK v2): ``<Prefix>.<Name>Exception``, cause
  ``<message> (Service: <Prefix>, Status Code: <http>, Request ID: <id>)`` (S3 adds the extended id).
* optimized integrations (AWS SDK for Java v1): ``<Prefix>.<V1Class>``, cause
  ``<message> (Service: <V1Name>; Status Code: <http>; Error Code: <code>; Request ID: <id>; Proxy: null)``.
"""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Mapping
from typing import Any

from aslrun.errors import StatesError

__all__ = ["plain", "sdk_error", "sdk_metadata", "v1_error", "v1_failure"]

#: header names as AWS sends them (botocore lower-cases them)
_HEADER_CASE = {"x-amzn-requestid": "x-amzn-RequestId", "content-length": "Content-Length",
                "content-type": "Content-Type", "date": "Date", "server": "Server", "connection": "Connection"}
#: headers a local emulator adds that AWS does not send
_NOT_AWS = {"status", "access-control-allow-origin"}


def plain(value: Any) -> Any:
    """A boto3 value as JSON: datetimes as ISO-8601 text, streams and bytes as text (base64 if not UTF-8)."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if hasattr(value, "read") and callable(value.read):
        value = value.read()
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode("ascii")
    if hasattr(value, "as_tuple"):  # Decimal from a resource-level call
        return int(value) if value == int(value) else float(value)
    return value


def sdk_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    """The ``SdkHttpMetadata``/``SdkResponseMetadata`` members optimized integrations add (§3.1)."""
    meta = response.get("ResponseMetadata") or {}
    headers = {_HEADER_CASE.get(k, k): v for k, v in (meta.get("HTTPHeaders") or {}).items() if k not in _NOT_AWS}
    return {
        "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": headers,
                            "HttpStatusCode": meta.get("HTTPStatusCode", 200)},
        "SdkResponseMetadata": {"RequestId": meta.get("RequestId", "")},
    }


def _error_parts(response: Mapping[str, Any]) -> tuple[str, str, int, str, str]:
    error = response.get("Error") or {}
    meta = response.get("ResponseMetadata") or {}
    return (str(error.get("Code", "")), str(error.get("Message", "")), int(meta.get("HTTPStatusCode", 400)),
            str(meta.get("RequestId", "")), str(meta.get("HostId", "")))


def declared_error(client: Any, code: str) -> str | None:
    """The model's error shape for a returned ``code`` (by shape name or its declared code), or None."""
    model = client.meta.service_model
    for shape in model.error_shapes:
        if shape.name == code or (shape.metadata.get("error") or {}).get("code") == code:
            return str(shape.name)
    return None


def sdk_error(client: Any, prefix: str, response: Mapping[str, Any], attempt_count: bool = False) -> StatesError:
    """A ClientError of an ``aws-sdk:*`` task as Step Functions names it (§2.4)."""
    code, message, status, request_id, host_id = _error_parts(response)
    name = declared_error(client, code)
    if name is None:
        name = f"{prefix}Exception"
    elif not name.endswith("Exception"):
        name += "Exception"
    cause = f"{message} (Service: {prefix}, Status Code: {status}, Request ID: {request_id}"
    if prefix == "S3" and host_id:
        cause += f", Extended Request ID: {host_id}"
    cause += ")"
    if attempt_count:
        cause += " (SDK Attempt Count: 1)"
    return StatesError(f"{prefix}.{name}", cause)


def v1_failure(prefix: str, v1_name: str, name: str, code: str, message: str, status: int,
               request_id: str) -> StatesError:
    """An optimized integration's error in the SDK-for-Java-v1 wording (§3.1)."""
    return StatesError(f"{prefix}.{name}", f"{message} (Service: {v1_name}; Status Code: {status}; "
                                           f"Error Code: {code}; Request ID: {request_id}; Proxy: null)")


def v1_error(client: Any, prefix: str, v1_name: str, response: Mapping[str, Any]) -> StatesError:
    """A ClientError of an optimized integration: declared codes by class, others as the service's base class."""
    code, message, status, request_id, _ = _error_parts(response)
    declared = declared_error(client, code)
    if declared is None:
        name = f"Amazon{v1_name.removeprefix('Amazon').removeprefix('AWS').removesuffix('v2')}Exception"
        if v1_name.startswith("AWS"):
            name = f"{v1_name}Exception"
    else:
        name = declared if declared.endswith("Exception") else declared + "Exception"
    return v1_failure(prefix, v1_name, name, code, message, status, request_id)


def json_text(value: Any) -> str:
    """Compact JSON text, as Step Functions sends a non-string value for a string member."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
