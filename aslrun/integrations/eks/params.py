"""Reading a Task's ``Parameters`` for the ``eks:*`` resources, and shaping EKS API results.

Step Functions takes the EKS API requests with each member name capitalised
(``resourcesVpcConfig.subnetIds`` → ``ResourcesVpcConfig.SubnetIds``) and returns the
responses the same way. The conversion walks botocore's EKS service model, so user-named
map keys (``Tags``, ``Labels``) keep their spelling and a wrong type or an unknown field is
found before any call. Every problem raises :class:`ParameterError` with AWS's wording
(``The field 'X' is required``); the actions turn it into ``States.Runtime``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import yaml

from aslrun.integrations.eks.backends.base import ClusterRef

__all__ = [
    "CallParams",
    "LogOptions",
    "ParameterError",
    "RunJobParams",
    "call_params",
    "eks_request",
    "eks_result",
    "run_job_params",
    "sdk_metadata",
]

METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "PATCH")


class ParameterError(Exception):
    """A Task's parameters cannot be used; the message is AWS's bracketed reason."""


@dataclass(frozen=True)
class LogOptions:
    """``LogOptions`` of eks:runJob.sync."""

    retrieve: bool = False
    raw: bool = False
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RunJobParams:
    cluster: ClusterRef
    namespace: str
    job: dict[str, Any]
    logs: LogOptions = field(default_factory=LogOptions)


@dataclass(frozen=True)
class CallParams:
    cluster: ClusterRef
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str | None = None


# ---------------------------------------------------------------- small readers


def _object(params: Any) -> dict[str, Any]:
    if not isinstance(params, Mapping):
        raise ParameterError("The Parameters must be a JSON object")
    return dict(params)


def _unknown(params: Mapping[str, Any], allowed: tuple[str, ...], where: str = "") -> None:
    for key in params:
        if key not in allowed:
            raise ParameterError(f"The field '{where}{key}' is not supported by Step Functions")


def _string(params: Mapping[str, Any], name: str, required: bool = True, default: str | None = None,
            where: str = "") -> str | None:
    value = params.get(name)
    if value is None:
        if required:
            raise ParameterError(f"The field '{where}{name}' is required")
        return default
    if not isinstance(value, str):
        raise ParameterError(f"The value of the field '{where}{name}' must be a string, not {_kind(value)}")
    if required and not value:
        raise ParameterError(f"The value of the field '{where}{name}' must not be empty")
    return value


def _boolean(params: Mapping[str, Any], name: str, where: str) -> bool:
    value = params.get(name, False)
    if not isinstance(value, bool):
        raise ParameterError(f"The value of the field '{where}{name}' must be a boolean, not {_kind(value)}")
    return value


def _string_lists(params: Mapping[str, Any], name: str, where: str = "") -> tuple[tuple[str, str], ...]:
    """A map of string -> list of strings (QueryParameters, LogParameters) as query pairs."""
    value = params.get(name)
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ParameterError(f"The value of the field '{where}{name}' must be a map of string to list of strings, "
                             f"not {_kind(value)}")
    pairs: list[tuple[str, str]] = []
    for key, values in value.items():
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ParameterError(f"The value of the field '{where}{name}.{key}' must be a list of strings "
                                 f"(e.g. [\"{values}\"]), not {_kind(values)}")
        pairs.extend((key, v) for v in values)
    return tuple(pairs)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _cluster(params: Mapping[str, Any]) -> ClusterRef:
    name = _string(params, "ClusterName")
    ca = _string(params, "CertificateAuthority")
    endpoint = _string(params, "Endpoint")
    assert name is not None and ca is not None and endpoint is not None
    return ClusterRef(name, endpoint, ca)


# ---------------------------------------------------------------- Kubernetes resources

_KUBE = ("ClusterName", "CertificateAuthority", "Endpoint")


def run_job_params(params: Any) -> RunJobParams:
    """Parameters of eks:runJob and eks:runJob.sync."""
    params = _object(params)
    _unknown(params, (*_KUBE, "Namespace", "Job", "LogOptions"))
    cluster = _cluster(params)
    namespace = _string(params, "Namespace", required=False, default="default") or "default"
    job = params.get("Job")
    if job is None:
        raise ParameterError("The field 'Job' is required")
    if isinstance(job, str):
        try:
            job = json.loads(job)
        except ValueError:
            try:
                job = yaml.safe_load(job)
            except yaml.YAMLError:
                raise ParameterError("The value of the field 'Job' is a string that is neither JSON nor YAML") from None
    if not isinstance(job, dict):
        raise ParameterError(f"The value of the field 'Job' must be a Job manifest (JSON object or string), "
                             f"not {_kind(job)}")
    if job.get("kind", "Job") != "Job" or job.get("apiVersion", "batch/v1") != "batch/v1":
        raise ParameterError("The value of the field 'Job' must be a batch/v1 Job; use eks:call for other kinds "
                             f"(found apiVersion {job.get('apiVersion')!r}, kind {job.get('kind')!r})")
    raw_logs = params.get("LogOptions")
    logs = LogOptions()
    if raw_logs is not None:
        if not isinstance(raw_logs, Mapping):
            raise ParameterError(f"The value of the field 'LogOptions' must be an object, not {_kind(raw_logs)}")
        _unknown(raw_logs, ("RetrieveLogs", "RawLogs", "LogParameters"), "LogOptions.")
        logs = LogOptions(_boolean(raw_logs, "RetrieveLogs", "LogOptions."), _boolean(raw_logs, "RawLogs", "LogOptions."),
                          _string_lists(raw_logs, "LogParameters", "LogOptions."))
    return RunJobParams(cluster, namespace, job, logs)


def call_params(params: Any) -> CallParams:
    """Parameters of eks:call."""
    params = _object(params)
    _unknown(params, (*_KUBE, "Method", "Path", "QueryParameters", "RequestBody"))
    cluster = _cluster(params)
    method = _string(params, "Method")
    assert method is not None
    if method not in METHODS:
        raise ParameterError(f"The value of the field 'Method' must be one of {', '.join(METHODS)}, not {method!r}")
    path = _string(params, "Path")
    assert path is not None
    if not path.startswith("/"):
        raise ParameterError(f"The value of the field 'Path' must start with '/', not {path!r}")
    query = _string_lists(params, "QueryParameters")
    body: bytes | None = None
    content_type: str | None = None
    if params.get("RequestBody") is not None:
        raw = params["RequestBody"]
        body = raw.encode() if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False).encode()
        if method == "PATCH":
            # AWS does not say which patch type it sends; a JSON array is a JSON Patch, anything else a merge patch.
            is_list = isinstance(raw, list) or (isinstance(raw, str) and raw.lstrip().startswith("["))
            content_type = "application/json-patch+json" if is_list else "application/merge-patch+json"
        else:
            content_type = "application/json"
    return CallParams(cluster, method, path, query, body, content_type)


# ---------------------------------------------------------------- EKS API shapes


@cache
def _model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("eks")


def _capital(name: str) -> str:
    return name[:1].upper() + name[1:]


def eks_request(operation: str, params: Any) -> dict[str, Any]:
    """``Parameters`` (capitalised) -> the EKS API request of ``operation`` (``CreateCluster``), checked."""
    shape = _model().operation_model(operation).input_shape
    return _to_request(shape, _object(params), "")  # type: ignore[no-any-return]


def _to_request(shape: Any, value: Any, where: str) -> Any:
    kind = shape.type_name
    label = where or "Parameters"
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise ParameterError(f"The value of the field '{label}' must be an object, not {_kind(value)}")
        members = {_capital(m): m for m in shape.members}
        out = {}
        for key, item in value.items():
            member = members.get(key)
            if member is None:
                raise ParameterError(f"The field '{where + '.' if where else ''}{key}' is not supported by Step "
                                     "Functions")
            if item is None:
                continue
            out[member] = _to_request(shape.members[member], item, f"{where + '.' if where else ''}{key}")
        for required in shape.required_members:
            if required not in out:
                raise ParameterError(f"The field '{where + '.' if where else ''}{_capital(required)}' is required")
        return out
    if kind == "list":
        if not isinstance(value, list):
            raise ParameterError(f"The value of the field '{label}' must be an array, not {_kind(value)}")
        return [_to_request(shape.member, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind == "map":
        if not isinstance(value, Mapping):
            raise ParameterError(f"The value of the field '{label}' must be an object, not {_kind(value)}")
        return {k: _to_request(shape.value, v, f"{where}.{k}") for k, v in value.items()}
    if kind == "string":
        if not isinstance(value, str):
            raise ParameterError(f"The value of the field '{label}' must be a string, not {_kind(value)}")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ParameterError(f"The value of the field '{label}' must be an integer, not {_kind(value)}")
        return int(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ParameterError(f"The value of the field '{label}' must be a boolean, not {_kind(value)}")
        return value
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"The value of the field '{label}' must be a number, not {_kind(value)}")
        return value
    return value


def eks_result(operation: str, response: Mapping[str, Any]) -> dict[str, Any]:
    """An EKS API response -> the task result: members capitalised, timestamps as epoch milliseconds."""
    shape = _model().operation_model(operation).output_shape
    return _to_result(shape, response)  # type: ignore[no-any-return]


def _to_result(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {_capital(m): _to_result(shape.members[m], value[m]) for m in shape.members
                if value.get(m) is not None}
    if kind == "list" and isinstance(value, list):
        return [_to_result(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: _to_result(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return _epoch_millis(value)
    return value


def _epoch_millis(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, str):
        try:
            return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            return value
    return value


def sdk_metadata(response: Mapping[str, Any]) -> dict[str, Any]:
    """The ``SdkHttpMetadata``/``SdkResponseMetadata`` members optimized integrations add to a response."""
    meta = response.get("ResponseMetadata") or {}
    headers = {k: str(v) for k, v in (meta.get("HTTPHeaders") or {}).items()}
    return {
        "SdkHttpMetadata": {"AllHttpHeaders": {k: [v] for k, v in headers.items()}, "HttpHeaders": headers,
                            "HttpStatusCode": meta.get("HTTPStatusCode", 200)},
        "SdkResponseMetadata": {"RequestId": meta.get("RequestId", "")},
    }
