"""The HTTP Task (``arn:aws:states:::http:invoke``) and API Gateway (``arn:aws:states:::apigateway:invoke``).

Both make one HTTP request with :mod:`urllib.request` through the driver's ``Blocking`` effect (TLS
verification always on) and return ``{"Headers": {name: [values]}, "ResponseBody": <parsed JSON or
text>, "StatusCode": N, "StatusText": "..."}`` (``aws-integrations.md`` §3.8 and §6).

* ``http:invoke``: ``ApiEndpoint`` (a full URL), ``Method``, ``Headers``, ``QueryParameters``,
  ``RequestBody``, ``Transform`` (``RequestBodyEncoding`` ``NONE``/``URL_ENCODED``,
  ``RequestEncodingOptions.ArrayFormat`` ``INDICES``/``REPEAT``/``COMMAS``/``BRACKETS``) and the required
  ``Authentication.ConnectionArn``. An EventBridge connection is given locally by the option
  ``http.connections``: ``{ARN: {"headers": {...}, "query": {...}, "body": {...}}}``, merged into the
  request (the connection's values win); an unknown ARN fails the state with ``States.Runtime`` before
  it is scheduled. A non-2xx reply fails with ``States.Http.StatusCode.<code>``, the cause being the
  result object as compact JSON; no reply fails with ``States.Http.Socket``.
* ``apigateway:invoke``: ``ApiEndpoint`` (``<id>.execute-api.<region>.amazonaws.com``), ``Method``,
  ``Headers``/``QueryParameters`` (arrays of strings), ``Stage``, ``Path``, ``RequestBody``,
  ``AllowNullValues``. The option ``apigateway.endpoints`` (``{ApiEndpoint: base URL}``) sends an
  endpoint's calls to a local API (``http://127.0.0.1:8080``); others go to ``https://<ApiEndpoint>``.
  A non-2xx reply fails with ``ApiGateway.<status>``, the cause being the response body.

``HttpIntegration`` is the ``http`` plugin (``remote`` unless the option ``http.remote`` is false): an
execution that calls real hosts runs on the real clock under ``--clock auto``.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aslrun.dataflow import compact_json
from aslrun.errors import StatesError
from aslrun.integrations.arn import ResourceArn

__all__ = ["HTTP_RESOURCES", "HttpIntegration", "HttpReply", "WireRequest", "handles_http", "send"]

#: (service, action) -> the integration patterns AWS offers
HTTP_RESOURCES = {("http", "invoke"): {""}, ("apigateway", "invoke"): {"", ".waitForTaskToken"}}
#: seconds Step Functions waits for a reply before ``States.Http.Socket`` (aws-integrations.md §6)
SOCKET_TIMEOUT = 60.0
#: headers an HTTP Task may not set (aws-integrations.md §6), lower case; and the refused prefixes
_HTTP_FORBIDDEN = frozenset(
    "a-im accept-charset accept-datetime accept-encoding authorization cache-control connection "
    "content-encoding content-md5 date expect forwarded from host http2-settings if-match if-modified-since "
    "if-none-match if-range if-unmodified-since max-forwards origin pragma proxy-authorization referer server "
    "te trailer transfer-encoding upgrade via warning".split())
_FORBIDDEN_PREFIXES = ("x-forwarded", "x-amz-", "x-amzn-")
_BODY_METHODS = {"PATCH", "POST", "PUT"}


def handles_http(resource: ResourceArn) -> bool:
    """Whether ``resource`` is ``http:invoke`` or ``apigateway:invoke`` in a pattern AWS offers."""
    if resource.kind != "integration" or resource.arn.split(":")[5] == "aws-sdk":
        return False
    return resource.pattern in HTTP_RESOURCES.get((resource.service, resource.action), ())


@dataclass(slots=True)
class WireRequest:
    """One request as it goes on the wire."""

    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None


@dataclass(slots=True)
class HttpReply:
    """A reply (``status`` > 0) or the failure to get one (``error``)."""

    status: int = 0
    reason: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str = ""
    timed_out: bool = False


class _NoRaise(urllib.request.HTTPErrorProcessor):
    """Hand every status back as a response: non-2xx replies are results to shape, not exceptions."""

    def http_response(self, request: Any, response: Any) -> Any:
        return response

    https_response = http_response


def send(request: WireRequest, timeout: float = SOCKET_TIMEOUT) -> HttpReply:
    """Make the request (blocking; run it through ``Blocking``). TLS certificates are always verified."""
    context = ssl.create_default_context()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRaise())
    merged: dict[str, tuple[str, str]] = {}
    for name, value in request.headers:  # repeated names: one header, values joined as HTTP allows
        old = merged.get(name.lower())
        merged[name.lower()] = (name, f"{old[1]}, {value}" if old else value)
    req = urllib.request.Request(request.url, data=request.body, method=request.method,
                                 headers=dict(merged.values()))
    try:
        with opener.open(req, timeout=timeout) as response:
            return HttpReply(response.status, response.reason or "", list(response.headers.items()), response.read())
    except TimeoutError as exc:
        return HttpReply(error=f"{type(exc).__name__}: {exc}", timed_out=True)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None)
        timed_out = isinstance(reason, TimeoutError)
        return HttpReply(error=f"{type(exc).__name__}: {reason if reason is not None else exc}", timed_out=timed_out)


def _values(value: Any) -> list[str]:
    """A header or query value: a string, a scalar, or an array of them."""
    items = value if isinstance(value, list) else [value]
    return [v if isinstance(v, str) else compact_json(v) for v in items]


def _pairs(mapping: Any) -> list[tuple[str, str]]:
    if not isinstance(mapping, Mapping):
        return []
    return [(str(k), v) for k, value in mapping.items() for v in _values(value)]


def url_encode(body: Any, array_format: str = "INDICES") -> str:
    """A RequestBody object URL-encoded with Step Functions' ``ArrayFormat`` (default ``INDICES``)."""
    pairs: list[tuple[str, str]] = []
    for key, value in (body.items() if isinstance(body, Mapping) else []):
        if not isinstance(value, list):
            pairs.append((key, _values(value)[0]))
        elif array_format == "REPEAT":
            pairs.extend((key, v) for v in _values(value))
        elif array_format == "COMMAS":
            pairs.append((key, ",".join(_values(value))))
        elif array_format == "BRACKETS":
            pairs.extend((f"{key}[]", v) for v in _values(value))
        else:
            pairs.extend((f"{key}[{i}]", v) for i, v in enumerate(_values(value)))
    return urllib.parse.urlencode(pairs)


def _with_query(url: str, query: list[tuple[str, str]]) -> str:
    if not query:
        return url
    return url + ("&" if urllib.parse.urlsplit(url).query else "?") + urllib.parse.urlencode(query)


def _has(headers: list[tuple[str, str]], name: str) -> bool:
    return any(k.lower() == name.lower() for k, _ in headers)


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def result_of(reply: HttpReply) -> dict[str, Any]:
    """``{"Headers", "ResponseBody", "StatusCode", "StatusText"}``: header values as arrays (wire casing),
    the body parsed as JSON when it is JSON, else text."""
    headers: dict[str, list[str]] = {}
    for name, value in reply.headers:
        headers.setdefault(name, []).append(value)
    text = reply.body.decode("utf-8", errors="replace")
    body: Any = text
    if text.strip():
        try:
            body = json.loads(text)
        except ValueError:
            body = text
    return {"Headers": headers, "ResponseBody": body, "StatusCode": reply.status, "StatusText": reply.reason}


def _connection(parameters: Any, options: Mapping[str, Any]) -> Mapping[str, Any]:
    """The local stand-in for the task's EventBridge connection; StatesError when it has none."""
    auth = parameters.get("Authentication") if isinstance(parameters, Mapping) else None
    arn = auth.get("ConnectionArn") if isinstance(auth, Mapping) else None
    if not isinstance(arn, str) or not arn:
        raise StatesError("States.Runtime", "The HTTP Task needs 'Authentication': {'ConnectionArn': <an "
                          "EventBridge connection ARN>}; locally, give the connection in the option http.connections")
    connections = options.get("http.connections") or {}
    if arn not in connections:
        known = ", ".join(sorted(connections)) or "none"
        raise StatesError("States.Runtime", f"The connection '{arn}' is not known locally: give it in the option "
                          f"http.connections as {{ARN: {{\"headers\": {{...}}, \"query\": {{...}}, \"body\": {{...}}}}}}"
                          f" (known: {known})")
    return connections[arn] or {}


def check_http(resource: ResourceArn, parameters: Any, options: Mapping[str, Any]) -> None:
    """What fails an HTTP Task before it is scheduled: no usable connection, a header it may not set."""
    if resource.service != "http":
        return
    from aslrun.integrations.services import parameter_failure

    if not isinstance(parameters, Mapping):
        raise parameter_failure(parameters, "The value of the field 'Parameters' has an invalid format")
    for required in ("ApiEndpoint", "Method"):
        if not isinstance(parameters.get(required), str):
            raise parameter_failure(parameters, f"The field '{required}' is required")
    _connection(parameters, options)
    headers = parameters.get("Headers")
    bad = sorted(k.lower() for k in (headers if isinstance(headers, Mapping) else {})
                 if k.lower() in _HTTP_FORBIDDEN or k.lower().startswith(_FORBIDDEN_PREFIXES))
    if bad:
        raise StatesError("States.Runtime", f"The 'Headers' field contains unsupported values: [{', '.join(bad)}]")


def http_task_request(parameters: Mapping[str, Any], options: Mapping[str, Any], region: str) -> WireRequest:
    """The wire request of an HTTP Task: its fields merged with its connection's (the connection wins)."""
    conn = _connection(parameters, options)
    method = str(parameters["Method"]).upper()
    headers = [(k, v) for k, v in _pairs(parameters.get("Headers"))
               if not _has(_pairs(conn.get("headers")), k)] + _pairs(conn.get("headers"))
    query = _pairs({**(parameters.get("QueryParameters") or {}), **(conn.get("query") or {})})
    body = parameters.get("RequestBody")
    if isinstance(body, Mapping) and isinstance(conn.get("body"), Mapping):
        body = {**body, **conn["body"]}
    elif body is None and conn.get("body"):
        body = conn["body"]
    transform = parameters.get("Transform") or {}
    data: bytes | None = None
    if body is not None:
        if transform.get("RequestBodyEncoding") == "URL_ENCODED":
            fmt = (transform.get("RequestEncodingOptions") or {}).get("ArrayFormat", "INDICES")
            data = url_encode(body, fmt).encode()
            if not _has(headers, "Content-Type"):
                headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        else:
            data = (body if isinstance(body, str) else compact_json(body)).encode()
            if not _has(headers, "Content-Type"):
                headers.append(("Content-Type", "application/json"))
    headers.append(("User-Agent", f"Amazon|StepFunctions|HttpInvoke|{region}"))
    return WireRequest(method, _with_query(str(parameters["ApiEndpoint"]), query), headers, data)


def api_gateway_request(parameters: Mapping[str, Any], options: Mapping[str, Any]) -> WireRequest:
    """The wire request of ``apigateway:invoke``: ``<base>/<Stage>/<Path>?<QueryParameters>``."""
    endpoint = str(parameters.get("ApiEndpoint") or "")
    endpoints = options.get("apigateway.endpoints") or {}
    base = str(endpoints.get(endpoint) or (endpoint if "://" in endpoint else f"https://{endpoint}")).rstrip("/")
    parts = [str(p).strip("/") for p in (parameters.get("Stage"), parameters.get("Path")) if p]
    url = "/".join([base, *[p for p in parts if p]])
    method = str(parameters.get("Method") or "GET").upper()
    headers = _pairs(parameters.get("Headers"))
    body = parameters.get("RequestBody")
    data: bytes | None = None
    if method in _BODY_METHODS and body is not None:
        data = compact_json(body if parameters.get("AllowNullValues") else _drop_nulls(body)).encode()
        if not _has(headers, "Content-Type"):
            headers.append(("Content-Type", "application/json"))
    return WireRequest(method, _with_query(url, _pairs(parameters.get("QueryParameters"))), headers, data)


def http_call(resource: ResourceArn, parameters: Any, options: Mapping[str, Any], region: str,
              timeout: float = SOCKET_TIMEOUT) -> Any:
    """Run one ``http:invoke`` / ``apigateway:invoke``: a generator yielding one ``Blocking``, returning the result."""
    from aslrun.effects import Blocking

    if not isinstance(parameters, Mapping):
        from aslrun.integrations.services import parameter_failure

        raise parameter_failure(parameters, "The value of the field 'Parameters' has an invalid format")
    api_gateway = resource.service == "apigateway"
    if api_gateway:
        wire = api_gateway_request(parameters, options)
    else:
        check_http(resource, parameters, options)
        wire = http_task_request(parameters, options, region)
    reply: HttpReply = yield Blocking(send, (wire, timeout))
    if reply.status == 0:
        if api_gateway:
            name = reply.error.split(":", 1)[0] or "Exception"
            raise StatesError(f"ApiGateway.{name}", reply.error)
        raise StatesError("States.Http.Socket", f"{wire.method} {wire.url}: {reply.error}")
    result = result_of(reply)
    if 200 <= reply.status < 300:
        return result
    if api_gateway:
        raise StatesError(f"ApiGateway.{reply.status}", reply.body.decode("utf-8", errors="replace"))
    raise StatesError(f"States.Http.StatusCode.{reply.status}", compact_json(result))


class HttpIntegration:
    """``http:invoke`` and ``apigateway:invoke``: the ``http`` plugin, apart from the ``aws`` one so that its calls to
    real hosts are ``remote`` (the real clock paces their executions, ``TimeoutSeconds`` included) whatever
    ``--aws`` target the other services use."""

    name = "http"

    def __init__(self, interpreter: Any = None) -> None:
        self._interpreter = interpreter

    @property
    def options(self) -> Mapping[str, Any]:
        """The interpreter's settings (``http.*`` and ``apigateway.*`` ones are read)."""
        return getattr(self._interpreter, "options", None) or {}

    @property
    def remote(self) -> bool:
        """Calls go to real hosts (so the real clock), unless the option ``http.remote`` is false."""
        return bool(self.options.get("http.remote", True))

    def handles(self, resource: ResourceArn) -> bool:
        """``http:invoke`` and ``apigateway:invoke`` (with ``.waitForTaskToken``)."""
        return handles_http(resource)

    def check(self, resource: ResourceArn, parameters: Any) -> None:
        """An HTTP Task with no local connection, or a header it may not set: ``States.Runtime``."""
        check_http(resource, parameters, self.options)

    def invoke(self, request: Any) -> Any:
        """Run one Task: a generator yielding one Blocking request, returning the result."""
        return self._invoke(request)

    def _invoke(self, request: Any) -> Any:
        from aslrun.effects import TaskReply

        timeout = min(float(request.timeout_seconds or SOCKET_TIMEOUT), SOCKET_TIMEOUT)
        region = getattr(self._interpreter, "region", "us-east-1")
        result = yield from http_call(request.resource, request.parameters, self.options, region, timeout)
        return TaskReply(result, callback=True) if request.resource.pattern == ".waitForTaskToken" else result
