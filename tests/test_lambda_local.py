"""Lambda handlers run locally: a Lambda ARN as ``Resource`` and ``arn:aws:states:::lambda:invoke``.

Results and errors are compared field by field with AWS recordings of the conformance corpus
(``tests/conformance/cases``), with handlers written as the recorded ones were (same lines, so the same
``stackTrace``). Each test's workers are closed when its interpreter closes (the leak check sees to it).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from leakcheck import listening_sockets

from aslrun import Interpreter
from aslrun.cli.main import cli
from aslrun.errors import InputError, TaskTokenError
from aslrun.integrations.aws.lambda_config import find_binding, function_ref, make_bindings

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "conformance" / "cases"
SAM = ROOT / "samples" / "sam"
ARN = "arn:aws:lambda:us-east-1:111111111111:function:"

HANDLERS = {
    # LocalStack's handlers, line for line where a recording shows a stack trace
    "raise_exception/handler.py": 'def handler(event, context):\n    raise Exception("Some exception was raised.")\n',
    "custom_exception/handler.py": textwrap.dedent("""\
        class CustomException(Exception):
            message: str

            def __init__(self):
                self.message = "Some custom exception was raised."


        def handler(event, context):
            raise CustomException()
        """),
    "identity/handler.py": "def handler(event, context):\n    return event\n",
    "hello/handler.py": 'def handler(event, context):\n    return "HelloWorld!"\n',
    "tools.py": textwrap.dedent("""\
        import os
        import sys
        import time

        import helper  # the handler's directory is on sys.path, as on Lambda


        class Flaky(Exception):
            pass


        def context(event, context):
            print("hello from the handler")
            return {"function_name": context.function_name, "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "memory_limit_in_mb": context.memory_limit_in_mb, "aws_request_id": context.aws_request_id,
                    "log_group_name": context.log_group_name, "log_stream_name": context.log_stream_name,
                    "remaining": context.get_remaining_time_in_millis(), "helper": helper.VALUE,
                    "env": {k: os.environ.get(k) for k in ("TABLE", "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION",
                                                          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "_HANDLER",
                                                          "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN")},
                    "pid": os.getpid()}


        def slow(event, context):
            time.sleep(30)


        def unmarshallable(event, context):
            return {"a": {1, 2}}


        def flaky(event, context):
            raise Flaky("try again")


        def exits(event, context):
            sys.exit(3)


        def nap(event, context):
            time.sleep(0.3)
            return os.getpid()
        """),
    "broken.py": "def handler(event, context)\n    return 1\n",
    "helper.py": "VALUE = 42\n",
}


@pytest.fixture(scope="module")
def code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lambda_code")
    for name, text in HANDLERS.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def case(suffix: str) -> dict[str, Any]:
    found = sorted(CASES.glob(f"*-{suffix}.json"))
    assert len(found) == 1, suffix
    return json.loads(found[0].read_text())  # type: ignore[no-any-return]


def substituted(value: Any, names: dict[str, str]) -> Any:
    text = json.dumps(value)
    for placeholder, name in names.items():
        text = text.replace(placeholder, name)
    return json.loads(text)


def events(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events without what differs from run to run (timestamps; request ids are masked as AWS's are)."""
    out = []
    for event in history:
        event = {k: v for k, v in event.items() if k != "timestamp"}
        out.append(json.loads(_mask(json.dumps(event))))
    return out


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _mask(text: str) -> str:
    seen: dict[str, str] = {}
    return _UUID.sub(lambda m: seen.setdefault(m.group(0), f"<uuid:{len(seen) + 1}>"), text)


def run_case(suffix: str, bindings: dict[str, str], code: Path) -> tuple[Any, dict[str, Any]]:
    recorded = case(suffix)
    names = {placeholder: Path(handler).parent.name for placeholder, handler in bindings.items()}
    functions = {Path(h).parent.name: f"{code / h}:handler" for h in bindings.values()}
    with Interpreter(options={"lambda.functions": functions}) as interp:
        result = interp.run(substituted(recorded["definition"], names), substituted(recorded["input"], names),
                            name="exec")
    return result, recorded


# ---------------------------------------------------------------- against AWS recordings


def test_arn_resource_custom_exception_matches_the_recording(code: Path) -> None:
    result, recorded = run_case("e4c8b1d8", {"<lambda_function_name>": "custom_exception/handler.py"}, code)
    want = substituted(recorded["history"], {"<lambda_function_name>": "custom_exception"})
    got = events(result.history_values())
    for event in want + got:
        event.get("executionStartedEventDetails", {}).pop("roleArn", None)
    assert got == want
    # the cause is the runtime's document verbatim: python3.12 spacing
    failed = next(e for e in got if e["type"] == "LambdaFunctionFailed")["lambdaFunctionFailedEventDetails"]
    assert failed["error"] == "CustomException"
    assert failed["cause"].startswith('{"errorMessage": "", "errorType": "CustomException", "requestId": "<uuid:1>"')


def test_lambda_invoke_handled_exception_matches_the_recording(code: Path) -> None:
    result, recorded = run_case("ba4384a7", {"<lambda_function_name>": "raise_exception/handler.py"}, code)
    assert result.status == recorded["expected"]["status"]
    want = substituted(recorded["expected"]["output"], {"<lambda_function_name>": "raise_exception"})
    got = json.loads(_mask(json.dumps(result.output)))
    assert got == want  # Error "Exception", compact Cause, caught by States.TaskFailed (not Lambda.Unknown)
    types = [e["type"] for e in result.history_values()]
    assert types == [e["type"] for e in recorded["history"]]


def test_lambda_invoke_result_shape_matches_the_recording(code: Path) -> None:
    result, recorded = run_case("753d50d5", {"<lambda_function_name>": "identity/handler.py"}, code)
    want = recorded["expected"]["output"]
    got = result.output
    assert list(got) == list(want)
    assert list(got["final"]) == ["ExecutedVersion", "LogResult", "Payload", "SdkHttpMetadata",
                                  "SdkResponseMetadata", "StatusCode"]
    assert got["Payload"] == {} and got["StatusCode"] == 200 and got["ExecutedVersion"] == "$LATEST"
    meta, want_meta = got["SdkHttpMetadata"], want["SdkHttpMetadata"]
    assert list(meta["AllHttpHeaders"]) == list(want_meta["AllHttpHeaders"])  # wire casing and order
    assert list(meta["HttpHeaders"]) == list(want_meta["HttpHeaders"])
    assert meta["HttpStatusCode"] == 200
    fixed = ("X-Amz-Executed-Version", "x-amzn-Remapped-Content-Length", "Connection", "Content-Length",
             "Content-Type")
    for name in fixed:
        assert meta["AllHttpHeaders"][name] == want_meta["AllHttpHeaders"][name]
        assert meta["HttpHeaders"][name] == want_meta["HttpHeaders"][name]
    request_id = got["SdkResponseMetadata"]["RequestId"]
    assert meta["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert re.fullmatch(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT", meta["HttpHeaders"]["Date"])
    log = base64.b64decode(got["LogResult"]).decode()
    assert log.startswith(f"START RequestId: {request_id} Version: $LATEST\n")
    assert f"END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: " in log
    assert meta["AllHttpHeaders"]["X-Amz-Log-Result"] == [got["LogResult"]]


def test_arn_resource_result_is_the_payload(code: Path) -> None:
    result, recorded = run_case("c0bf18d5", {"<lambda_function_1_name>": "hello/handler.py"}, code)
    want = substituted(recorded["history"], {"<lambda_function_1_name>": "hello"})
    got = events(result.history_values())
    for event in want + got:
        event.get("executionStartedEventDetails", {}).pop("roleArn", None)
    assert got == want
    assert result.output == "HelloWorld!"


def test_each_retry_is_a_new_invocation_with_a_new_request_id(code: Path) -> None:
    result, recorded = run_case("92e892d3", {"<lambda_function_1_name>": "raise_exception/handler.py"}, code)
    assert [e["type"] for e in result.history_values()] == [e["type"] for e in recorded["history"]]
    failures = [e["taskFailedEventDetails"] for e in result.history_values() if e["type"] == "TaskFailed"]
    assert len(failures) == 4 and {f["error"] for f in failures} == {"Exception"}
    ids = [json.loads(f["cause"])["requestId"] for f in failures]
    assert len(set(ids)) == 4
    assert result.output == substituted(recorded["expected"]["output"],
                                        {"<lambda_function_1_name>": "raise_exception"}) | {
        "Error": "Exception", "Cause": failures[-1]["cause"]}


# ---------------------------------------------------------------- the runtime's contract


def machine(resource: str, **task: Any) -> dict[str, Any]:
    return {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource, "End": True, **task}}}


def invoke(name: str, payload: Any = None, **params: Any) -> dict[str, Any]:
    return machine("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": name, "Payload": payload, **params})


@pytest.fixture()
def interp(code: Path) -> Any:
    functions = {
        "ctx": {"handler": f"{code}/tools.py:context", "environment": {"TABLE": "orders"}, "memory": 256},
        f"{ARN}aliased:live": f"{code}/tools.py:context",
        "slow": {"handler": f"{code}/tools.py:slow", "timeout": 1},
        "unmarshallable": f"{code}/tools.py:unmarshallable",
        "flaky": f"{code}/tools.py:flaky",
        "exits": f"{code}/tools.py:exits",
        "nohandler": f"{code}/tools.py:missing",
        "nomodule": f"{code}/absent.py:handler",
        "broken": f"{code}/broken.py:handler",
        "nap": f"{code}/tools.py:nap",
    }
    with Interpreter(options={"lambda.functions": functions}) as interpreter:
        yield interpreter


def test_context_environment_and_warm_workers(interp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SESSION_TOKEN", "not-for-handlers")
    first = interp.run(machine(ARN + "ctx"))
    assert first.status == "SUCCEEDED", first.cause
    out = first.output
    assert out["function_name"] == "ctx" and out["function_version"] == "$LATEST"
    assert out["invoked_function_arn"] == ARN + "ctx"
    assert out["memory_limit_in_mb"] == "256"  # a string, as AWS's runtime gives it
    assert re.fullmatch(_UUID.pattern, out["aws_request_id"])
    assert out["log_group_name"] == "/aws/lambda/ctx" and out["log_stream_name"]
    assert 0 < out["remaining"] <= 3000  # the default timeout: 3 s
    assert out["helper"] == 42
    key = out["env"].pop("AWS_ACCESS_KEY_ID")
    assert re.fullmatch(r"ASLRUN[A-Z0-9]{14}", key)  # never your keys locally: the run's own, random
    assert out["env"] == {"TABLE": "orders", "AWS_LAMBDA_FUNCTION_NAME": "ctx", "AWS_REGION": "us-east-1",
                          "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "_HANDLER": "tools.context",
                          "AWS_SESSION_TOKEN": None}
    twice = invoke("ctx", {"x": 1})
    call = twice["States"]["Call"]
    call.update(ResultPath="$.first", Next="Again")
    del call["End"]
    twice["States"]["Again"] = {**invoke("ctx")["States"]["Call"], "ResultPath": "$.second"}
    second = interp.run(twice).output
    assert second["first"]["Payload"]["pid"] == second["second"]["Payload"]["pid"]  # warm for the execution
    assert second["first"]["Payload"]["aws_request_id"] == second["first"]["SdkResponseMetadata"]["RequestId"]


def test_a_qualified_arn_binding_and_the_invoked_arn(interp: Any) -> None:
    result = interp.run(invoke(f"{ARN}aliased:live"))
    assert result.output["Payload"]["invoked_function_arn"] == f"{ARN}aliased:live"
    unqualified = interp.run(invoke("aliased"))
    assert unqualified.error == "States.Runtime"


def test_timeout_is_sandbox_timedout(interp: Any) -> None:
    result = interp.run(machine(ARN + "slow"))
    assert result.error == "Sandbox.Timedout"
    cause = json.loads(result.cause)
    assert list(cause) == ["errorType", "errorMessage"]
    assert re.fullmatch(r"RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds", cause["errorMessage"])
    failed = [e for e in result.history_values() if e["type"] == "LambdaFunctionFailed"]
    assert failed[0]["lambdaFunctionFailedEventDetails"]["error"] == "Sandbox.Timedout"


@pytest.mark.parametrize(("name", "error", "message"), [
    ("unmarshallable", "Runtime.MarshalError",
     "Unable to marshal response: Object of type set is not JSON serializable"),
    ("nohandler", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'tools'"),
    ("nomodule", "Runtime.ImportModuleError", "Unable to import module 'absent': No module named 'absent'"),
])
def test_runtime_errors(interp: Any, name: str, error: str, message: str) -> None:
    result = interp.run(invoke(name))
    assert result.error == error
    cause = json.loads(result.cause)
    assert cause["errorMessage"] == message and cause["errorType"] == error and cause["stackTrace"] == []
    assert ", " not in result.cause.split('"stackTrace"')[0]  # lambda:invoke re-encodes compactly


def test_a_handler_that_exits(interp: Any) -> None:
    result = interp.run(machine(ARN + "exits"))
    assert result.error == "Runtime.ExitError"
    assert "Runtime exited with error: exit status 3" in json.loads(result.cause)["errorMessage"]


def test_retry_and_catch_by_the_exception_type_name(interp: Any) -> None:
    definition = machine(ARN + "flaky", Retry=[{"ErrorEquals": ["Flaky"], "MaxAttempts": 2}],
                         Catch=[{"ErrorEquals": ["Flaky"], "Next": "Caught"}])
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = interp.run(definition)
    assert result.status == "SUCCEEDED"
    assert result.output["Error"] == "Flaky"
    cause = json.loads(result.output["Cause"])
    assert cause["errorMessage"] == "try again"
    assert cause["stackTrace"][0].startswith('  File "/var/task/tools.py", line ')
    types = [e["type"] for e in result.history_values()]
    assert types.count("LambdaFunctionFailed") == 3


def test_unbound_function_is_a_runtime_error_no_catcher_takes(interp: Any) -> None:
    definition = machine(ARN + "nobody", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}])
    definition["States"]["Caught"] = {"Type": "Pass", "End": True}
    result = interp.run(definition)
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert "--lambda nobody=path/to/handler.py:function" in result.cause
    assert "MockConfigFile" in result.cause
    assert "LambdaFunctionScheduled" not in [e["type"] for e in result.history_values()]


def test_a_mock_wins_over_an_unbound_function(tmp_path: Path) -> None:
    mock = tmp_path / "mock.json"
    mock.write_text(json.dumps({
        "StateMachines": {"m": {"TestCases": {"T": {"Call": "R"}}}},
        "MockedResponses": {"R": {"0": {"Return": {"StatusCode": 200, "Payload": {"mocked": True}}}}}}))
    definition = tmp_path / "m.json"
    definition.write_text(json.dumps(invoke("nobody")))
    out = CliRunner().invoke(cli, ["run", str(definition), "--json", "--mock-config", str(mock),
                                    "--test-case", "T"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"]["Payload"] == {"mocked": True}


def send_when_waiting(execution: Any, token: str) -> None:
    """Answer the token once the Task waits on it (TaskSubmitted is recorded just before)."""
    for _ in range(500):
        try:
            execution.send_task_success(token, {"answer": 1})
            return
        except TaskTokenError:
            time.sleep(0.01)


def test_wait_for_task_token(interp: Any) -> None:
    definition = machine("arn:aws:states:::lambda:invoke.waitForTaskToken",
                         Parameters={"FunctionName": "ctx", "Payload": {"token.$": "$$.Task.Token"}})
    tokens: list[str] = []
    answers: list[threading.Thread] = []
    submitted: list[Any] = []

    def listener(execution: Any, event: Any) -> None:
        if event.type == "TaskScheduled":
            tokens.append(event.details["parameters"]["Payload"]["token"])
        if event.type == "TaskSubmitted":
            submitted.append(event.details["output"])
            answer = threading.Thread(target=send_when_waiting, args=(execution, tokens[0]))
            answers.append(answer)
            answer.start()

    result = interp.start(definition, {}, listeners=[listener]).run()
    for answer in answers:
        answer.join()
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"answer": 1}
    assert submitted[0]["Payload"]["function_name"] == "ctx" and submitted[0]["StatusCode"] == 200


# ---------------------------------------------------------------- bindings, project file, templates


def test_binding_precedence() -> None:
    bindings = make_bindings({"f": "/x/a.py:h", f"{ARN}f": "/x/b.py:h", f"{ARN}f:live": "/x/c.py:h"})
    where = ("us-east-1", "111111111111")

    def chosen(text: str) -> str:
        found = find_binding(bindings, function_ref(text, *where), *where)
        return found.path.name if found else ""

    assert chosen("f") == "b.py" and chosen(f"{ARN}f:live") == "c.py" and chosen("f:live") == "c.py"
    assert chosen("arn:aws:lambda:eu-west-1:111111111111:function:f") == "a.py"
    assert chosen("g") == ""
    with pytest.raises(InputError, match=r"expected path/to/handler\.py:function"):
        make_bindings({"f": "handler.function"})
    with pytest.raises(InputError, match="timeout must be"):
        make_bindings({"f": {"handler": "/x/a.py:h", "timeout": 0}})


def test_cli_lambda_option_and_project_file(tmp_path: Path, code: Path) -> None:
    definition = tmp_path / "m.json"
    definition.write_text(json.dumps(machine(ARN + "ctx")))
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "tools.py").write_text(HANDLERS["tools.py"])
    (tmp_path / "fns" / "helper.py").write_text(HANDLERS["helper.py"])
    project = tmp_path / "aslrun.yaml"
    project.write_text("lambdas:\n  ctx:\n    handler: fns/tools.py:context\n    environment: {TABLE: from-project}\n"
                       "    timeout: 5\n    memory: 512\n")
    runner = CliRunner()
    out = runner.invoke(cli, ["run", str(definition), "--json", "--project", str(project)])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)["output"]
    assert payload["env"]["TABLE"] == "from-project" and payload["memory_limit_in_mb"] == "512"
    assert 3000 < payload["remaining"] <= 5000
    out = runner.invoke(cli, ["run", str(definition), "--json", "--project", str(project),
                               "--lambda", f"ctx={code}/identity/handler.py:handler"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"] == {}  # --lambda overrides the project file
    out = runner.invoke(cli, ["run", str(definition), "--lambda", "ctx"])
    assert out.exit_code == 2 and "NAME=path/to/handler.py:function" in out.output


def test_sam_sample_runs_its_handlers_without_the_mock_file() -> None:
    runner = CliRunner()
    base = ["run", "--template", str(SAM / "template.yaml"), "--json"]
    charged = {"orderId": "order-1042", "charged": 21.25, "currency": "EUR", "status": "CHARGED"}
    out = runner.invoke(cli, [*base, "--input", f"@{SAM / 'order.input.json'}"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"] == charged
    out = runner.invoke(cli, [*base, "--input", '{"orderId": "o", "items": []}'])
    assert out.exit_code == 1 and json.loads(out.output)["error"] == "OrderInvalid"
    mocked = runner.invoke(cli, [*base, "--input", f"@{SAM / 'order.input.json'}", "--mock-config",
                                  str(SAM / "MockConfigFile.json"), "--test-case", "ValidOrder"])
    assert mocked.exit_code == 0 and json.loads(mocked.output)["output"] == charged


def test_sam_sample_test_state_and_a_lambda_override(code: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(cli, ["test-state", "--template", str(SAM / "template.yaml"), "--state", "Validate",
                               "--input", f"@{SAM / 'order.input.json'}"])
    assert out.exit_code == 0, out.output
    assert "21.25" in out.output
    out = runner.invoke(cli, ["run", "--template", str(SAM / "template.yaml"), "--json", "--input",
                               f"@{SAM / 'order.input.json'}", "--lambda",
                               f"ChargeFunction={code}/identity/handler.py:handler"])  # a logical id
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"] == {"orderId": "order-1042", "amount": 21.25, "currency": "EUR"}


def test_aws_sdk_lambda_invoke_returns_the_function_error_as_data(interp: Any) -> None:
    result = interp.run(machine("arn:aws:states:::aws-sdk:lambda:invoke",
                                Parameters={"FunctionName": "flaky", "Payload": {"x": 1}}))
    assert result.status == "SUCCEEDED", result.cause
    out = result.output
    assert list(out) == ["ExecutedVersion", "FunctionError", "Payload", "StatusCode"]
    assert out["FunctionError"] == "Unhandled" and out["StatusCode"] == 200
    assert json.loads(out["Payload"])["errorType"] == "Flaky"


def test_unbound_functions_go_to_the_aws_target_when_it_is_not_local() -> None:
    from aslrun.errors import StatesError
    from aslrun.integrations.aws.lambda_remote import remote_invoke

    # moto in this process stands in for the endpoint: the Invoke call's error in the SDK-v1 shape
    with pytest.raises(StatesError) as caught:
        remote_invoke({"aws.target": "local"}, "us-east-1", "111111111111", "nobody", None, "{}", "RequestResponse",
                      None, None)
    assert caught.value.error == "Lambda.ResourceNotFoundException"
    assert re.fullmatch(r"Function not found: arn:aws:lambda:us-east-1:111111111111:function:nobody\S* \(Service: "
                        r"AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: \S+; "
                        r"Proxy: null\)", caught.value.cause or "")


def test_a_syntax_error_in_the_handler_module(interp: Any) -> None:
    result = interp.run(machine(ARN + "broken"))
    assert result.error == "Runtime.UserCodeSyntaxError"
    cause = json.loads(result.cause)
    assert cause["errorMessage"].startswith("Syntax error in module 'broken': ")
    assert cause["stackTrace"][0].startswith('  File "/var/task/broken.py" Line 1\n    def handler(event, context)')


def test_concurrent_invocations_get_a_worker_each(interp: Any) -> None:
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Nap",
                          "States": {"Nap": {"Type": "Task", "Resource": ARN + "nap", "End": True}}}}}}
    started = time.monotonic()
    result = interp.run(definition, {"items": [1, 2, 3]})
    elapsed = time.monotonic() - started
    assert result.status == "SUCCEEDED", result.cause
    assert len(set(result.output)) == 3  # three execution environments, as Lambda scales out
    assert elapsed < 0.85  # they ran side by side (one after the other takes 0.9 s)


# ---------------------------------------------------------------- handlers reach the run's AWS

AWS_HANDLER = textwrap.dedent("""\
    import os

    import boto3


    def read(event, context):
        table = os.environ.get("TABLE", "Orders")
        found = [boto3.client("dynamodb").get_item(TableName=table, Key={"orderId": {"S": key}}).get("Item")
                 for key in event["keys"]]
        return {"found": found, "endpoint": os.environ.get("AWS_ENDPOINT_URL")}


    def env(event, context):
        return {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "TABLE", "GLOBAL",
                                               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE")} | {
            "remaining": context.get_remaining_time_in_millis()}
    """)
AWS_SETUP = textwrap.dedent("""\
    def setup(session):
        dynamodb = session.client("dynamodb")
        dynamodb.create_table(TableName="Orders", KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        dynamodb.put_item(TableName="Orders", Item={"orderId": {"S": "from-setup"}})
    """)
#: the handler runs first (before any AWS Task: the setup is done for it), then a Task writes, then it reads again
READS = {"StartAt": "Before", "States": {
    "Before": {"Type": "Task", "Resource": ARN + "read", "Parameters": {"keys": ["from-setup"]},
               "ResultPath": "$.before", "Next": "Put"},
    "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "ResultPath": None, "Next": "After",
            "Parameters": {"TableName": "Orders", "Item": {"orderId": {"S": "from-task"}}}},
    "After": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultSelector": {"p.$": "$.Payload"},
              "Parameters": {"FunctionName": "read", "Payload": {"keys": ["from-setup", "from-task"]}},
              "ResultPath": "$.after", "End": True}}}


@pytest.fixture()
def aws_code(tmp_path: Path) -> Iterator[Path]:
    from aslrun.integrations.aws.target import reset_local

    (tmp_path / "aws_handler.py").write_text(AWS_HANDLER)
    (tmp_path / "aws_setup.py").write_text(AWS_SETUP)
    (tmp_path / "reads.json").write_text(json.dumps(READS))
    reset_local("111111111111")
    yield tmp_path
    reset_local("111111111111")


def _closed(endpoint: str) -> bool:
    host, port = endpoint.removeprefix("http://").split(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return True
    return False


def _check_reads(output: dict[str, Any]) -> str:
    assert output["before"]["found"] == [{"orderId": {"S": "from-setup"}}]
    assert output["after"]["p"]["found"] == [{"orderId": {"S": "from-setup"}}, {"orderId": {"S": "from-task"}}]
    endpoint: str = output["after"]["p"]["endpoint"]
    assert endpoint.startswith("http://127.0.0.1:") and endpoint == output["before"]["endpoint"]
    return endpoint


def test_a_handler_reads_what_the_setup_and_a_task_wrote_cli(aws_code: Path) -> None:
    listening = listening_sockets()
    out = CliRunner().invoke(cli, ["run", str(aws_code / "reads.json"), "--json", "--aws-setup",
                                   str(aws_code / "aws_setup.py"), "--lambda", f"read={aws_code}/aws_handler.py:read"])
    assert out.exit_code == 0, out.output
    assert "testing" not in out.output  # the fake keys are never shown
    endpoint = _check_reads(json.loads(out.output)["output"])
    assert _closed(endpoint) and listening_sockets() == listening  # the server ended with the run


def test_a_handler_reads_what_the_setup_and_a_task_wrote_api(aws_code: Path) -> None:
    options = {"lambda.functions": {"read": f"{aws_code}/aws_handler.py:read"},
               "aws.setup": str(aws_code / "aws_setup.py")}
    with Interpreter(options=options) as interp:
        result = interp.run(READS)
        assert result.status == "SUCCEEDED", result.error
        endpoint = _check_reads(result.output)
        assert _closed(endpoint)  # closed when the execution ended, not only with the interpreter


def test_no_server_without_lambda_bindings(aws_code: Path) -> None:
    listening = listening_sockets()
    put = {"StartAt": "Put", "States": {"Put": {**READS["States"]["Put"], "End": True}}}
    del put["States"]["Put"]["Next"]
    with Interpreter(options={"aws.setup": str(aws_code / "aws_setup.py")}) as interp:
        execution = interp.start(put)
        assert execution.run().status == "SUCCEEDED"
        assert listening_sockets() == listening


@pytest.mark.parametrize(("options", "expected"), [
    ({"aws.target": "real"}, {"AWS_ENDPOINT_URL": None, "AWS_ENDPOINT_URL_DYNAMODB": None}),
    ({"aws.target": "http://127.0.0.1:9", "aws.services": {"dynamodb": "http://127.0.0.1:8"}},
     {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8"}),
])
def test_worker_endpoints_follow_the_aws_target(aws_code: Path, monkeypatch: pytest.MonkeyPatch,
                                                options: dict[str, Any], expected: dict[str, Any]) -> None:
    # only the worker's environment is looked at: nothing calls AWS
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    listening = listening_sockets()
    with Interpreter(options={**options, "lambda.functions": {"env": f"{aws_code}/aws_handler.py:env"}}) as interp:
        result = interp.run(machine(ARN + "env"))
        assert result.status == "SUCCEEDED", result.error
        assert {k: result.output[k] for k in expected} == expected
        assert listening_sockets() == listening  # no embedded server for a remote target


def test_cli_aws_real_sets_no_endpoint_for_workers(aws_code: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    (aws_code / "env.json").write_text(json.dumps(machine(ARN + "env")))
    out = CliRunner().invoke(cli, ["run", str(aws_code / "env.json"), "--json", "--aws", "real",
                                   "--lambda", f"env={aws_code}/aws_handler.py:env"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"]["AWS_ENDPOINT_URL"] is None


TEMPLATE = textwrap.dedent("""\
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.12
        Timeout: 7
        Environment:
          Variables: {TABLE: from-globals, GLOBAL: "yes"}
    Resources:
      EnvFunction:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: fns/
          Handler: aws_handler.env
          MemorySize: 512
          Environment:
            Variables:
              TABLE: !Ref Orders
      Orders:
        Type: AWS::DynamoDB::Table
        Properties: {TableName: orders-table}
      Machine:
        Type: AWS::Serverless::StateMachine
        Properties:
          Definition:
            StartAt: Call
            States:
              Call: {Type: Task, Resource: !GetAtt EnvFunction.Arn, End: true}
    """)


def test_template_environment_timeout_and_memory_are_applied(tmp_path: Path) -> None:
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "aws_handler.py").write_text(AWS_HANDLER)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    out = CliRunner().invoke(cli, ["run", "--template", str(tmp_path / "template.yaml"), "--json"])
    assert out.exit_code == 0, out.output
    output = json.loads(out.output)["output"]
    assert output["TABLE"] == "orders-table" and output["GLOBAL"] == "yes"  # the function's wins, globals merged
    assert output["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert 3000 < output["remaining"] <= 7000  # Timeout: 7, not Lambda's default 3
