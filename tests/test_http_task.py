"""The HTTP Task (``http:invoke``) and API Gateway (``apigateway:invoke``) against a real local HTTP server.

The server (``http.server.ThreadingHTTPServer`` on 127.0.0.1, port 0) echoes what it got as JSON:
``{"method", "path", "query", "headers", "body"}``; ``/missing`` answers 404 and ``/text`` plain text.
Shapes follow ``aws-integrations.md`` §3.8 and §6 and the API Gateway recordings in ``tests/conformance``.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from aslrun import Interpreter
from aslrun.integrations.arn import parse_resource
from aslrun.integrations.aws.http import HttpIntegration, url_encode

CONN = "arn:aws:events:us-east-1:111111111111:connection/local/1"
HTTP = "arn:aws:states:::http:invoke"
APIGW = "arn:aws:states:::apigateway:invoke"
ENDPOINT = "abc123.execute-api.us-east-1.amazonaws.com"


class _Echo(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _answer(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if url.path.endswith("/missing"):
            status, payload, kind = 404, json.dumps({"message": "Not Found"}), "application/json"
        elif url.path.endswith("/text"):
            status, payload, kind = 200, "plain words", "text/plain"
        else:
            status, kind = 200, "application/json"
            payload = json.dumps({"method": self.command, "path": url.path,
                                  "query": urllib.parse.parse_qs(url.query, keep_blank_values=True),
                                  "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        data = payload.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("X-Echo", "yes")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer


@pytest.fixture
def server() -> Iterator[str]:
    """A local echo server's base URL; shut down after the test."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, name="http-echo", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(10)


def make(base: str, connection: dict[str, Any] | None = None) -> Interpreter:
    options = {"http.connections": {CONN: connection or {}}, "apigateway.endpoints": {ENDPOINT: base}}
    interp = Interpreter(load_plugins=False, options=options)
    interp.integrations.add(HttpIntegration(interp))
    return interp


def task(resource: str, parameters: Any, **extra: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "Parameters": parameters,
                                             "End": True, **extra}}}


def run(interp: Interpreter, definition: dict[str, Any], value: Any = None) -> Any:
    with interp:
        return interp.run(definition, value or {})


def ok(interp: Interpreter, definition: dict[str, Any], value: Any = None) -> Any:
    result = run(interp, definition, value)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result.output


def http_params(url: str, **fields: Any) -> dict[str, Any]:
    return {"ApiEndpoint": url, "Method": "GET", "Authentication": {"ConnectionArn": CONN}, **fields}


def test_http_get_with_query_and_headers(server: str) -> None:
    out = ok(make(server), task(HTTP, http_params(f"{server}/items", QueryParameters={"q": "a b", "n": 2},
                                                  Headers={"X-Custom": "v1"})))
    assert out["StatusCode"] == 200 and out["StatusText"] == "OK"
    assert out["Headers"]["X-Echo"] == ["yes"] and out["Headers"]["Content-Type"] == ["application/json"]
    body = out["ResponseBody"]
    assert body["method"] == "GET" and body["path"] == "/items"
    assert body["query"] == {"q": ["a b"], "n": ["2"]}
    assert body["headers"]["x-custom"] == "v1"
    assert body["headers"]["user-agent"] == "Amazon|StepFunctions|HttpInvoke|us-east-1"


def test_http_post_json_body_and_connection_headers(server: str) -> None:
    interp = make(server, {"headers": {"X-Api-Key": "secret"}, "query": {"tenant": "t1"}})
    params = http_params(f"{server}/orders", Method="POST", **{"RequestBody.$": "$.order"})
    out = ok(interp, task(HTTP, params), {"order": {"id": 7, "tags": ["x"]}})
    body = out["ResponseBody"]
    assert body["method"] == "POST" and json.loads(body["body"]) == {"id": 7, "tags": ["x"]}
    assert body["headers"]["content-type"] == "application/json"
    assert body["headers"]["x-api-key"] == "secret" and body["query"] == {"tenant": ["t1"]}


def test_http_url_encoded_body(server: str) -> None:
    params = http_params(f"{server}/form", Method="POST", RequestBody={"a": "1", "b": ["x", "y"]},
                         Transform={"RequestBodyEncoding": "URL_ENCODED",
                                    "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"}})
    body = ok(make(server), task(HTTP, params))["ResponseBody"]
    assert body["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.unquote(body["body"]) == "a=1&b[]=x&b[]=y"


def test_url_encode_array_formats() -> None:
    body = {"a": ["x", "y"]}
    assert urllib.parse.unquote(url_encode(body)) == "a[0]=x&a[1]=y"
    assert url_encode(body, "REPEAT") == "a=x&a=y"
    assert urllib.parse.unquote(url_encode(body, "COMMAS")) == "a=x,y"


def test_http_text_response(server: str) -> None:
    out = ok(make(server), task(HTTP, http_params(f"{server}/text")))
    assert out["ResponseBody"] == "plain words"


def test_http_404_is_caught(server: str) -> None:
    definition = task(HTTP, http_params(f"{server}/missing"),
                      Catch=[{"ErrorEquals": ["States.Http.StatusCode.404"], "Next": "Caught"}])
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    out = ok(make(server), definition)
    assert out["Error"] == "States.Http.StatusCode.404"
    cause = json.loads(out["Cause"])
    assert cause["StatusCode"] == 404 and cause["ResponseBody"] == {"message": "Not Found"}


def test_http_unknown_connection_fails_before_scheduling(server: str) -> None:
    params = http_params(f"{server}/x", Authentication={"ConnectionArn": CONN + "-other"})
    result = run(make(server), task(HTTP, params))
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert "is not known locally" in (result.cause or "") and "http.connections" in (result.cause or "")
    assert "TaskScheduled" not in [e["type"] for e in result.history]


def test_http_forbidden_header_fails(server: str) -> None:
    result = run(make(server), task(HTTP, http_params(f"{server}/x", Headers={"Host": "evil"})))
    assert result.error == "States.Runtime" and "[host]" in (result.cause or "")


def test_http_integration_on_its_own(server: str) -> None:
    interp = Interpreter(load_plugins=False, options={"http.connections": {CONN: {}}})
    integration = HttpIntegration(interp)
    assert integration.remote and integration.handles(parse_resource(HTTP))
    interp.integrations.add(integration)
    assert ok(interp, task(HTTP, http_params(f"{server}/a")))["StatusCode"] == 200


def test_api_gateway_through_endpoints_option(server: str) -> None:
    params = {"ApiEndpoint": ENDPOINT, "Method": "POST", "Stage": "dev", "Path": "/pets/1",
              "Headers": {"custom_header": ["h0", "h1"]}, "QueryParameters": {"k": ["1", "2"]},
              "RequestBody": {"message": "HelloWorld!", "none": None}}
    out = ok(make(server), task(APIGW, params))
    assert set(out) == {"Headers", "ResponseBody", "StatusCode", "StatusText"}
    body = out["ResponseBody"]
    assert body["path"] == "/dev/pets/1" and body["query"] == {"k": ["1", "2"]}
    assert body["headers"]["custom_header"] == "h0, h1"
    assert json.loads(body["body"]) == {"message": "HelloWorld!"}  # AllowNullValues false: nulls dropped


def test_api_gateway_non_2xx(server: str) -> None:
    params = {"ApiEndpoint": ENDPOINT, "Method": "GET", "Stage": "dev", "Path": "missing"}
    result = run(make(server), task(APIGW, params))
    assert result.status == "FAILED" and result.error == "ApiGateway.404"
    assert result.cause == json.dumps({"message": "Not Found"})


def test_api_gateway_string_header_refused(server: str) -> None:
    params = {"ApiEndpoint": ENDPOINT, "Method": "GET", "Headers": {"h": "single"}}
    result = run(make(server), task(APIGW, params))
    assert result.error == "States.Runtime" and "'Headers' has an invalid format" in (result.cause or "")


def test_an_http_task_runs_its_execution_on_the_real_clock_unless_told_otherwise() -> None:
    """Calls to real hosts take real time: under the default clock ("auto"), an execution with an HTTP Task
    runs on the real clock, so its TimeoutSeconds and Waits are real; `http.remote: false` (a local fake
    server in tests) keeps the virtual clock. The embedded AWS's services stay virtual."""
    from aslrun.clock import SystemClock, VirtualClock

    http = task(HTTP, {"ApiEndpoint": "https://example.com", "Method": "GET",
                       "Authentication": {"ConnectionArn": CONN}})
    dynamo = {"StartAt": "Put", "States": {"Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                                                   "Parameters": {"TableName": "t", "Item": {}}, "End": True}}}
    with Interpreter() as interp:
        assert interp.integrations.resolve(HTTP).name == "http"
        assert isinstance(interp.choose_clock(interp.load(http)), SystemClock)
        assert isinstance(interp.choose_clock(interp.load(dynamo)), VirtualClock)
    with Interpreter(options={"http.remote": False}) as interp:
        assert isinstance(interp.choose_clock(interp.load(http)), VirtualClock)
