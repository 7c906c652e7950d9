"""``aslrun serve``: the Step Functions API through boto3 (and the AWS CLI when installed).

Each test gets a server on 127.0.0.1, port 0, with a virtual clock, stopped after the test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from click.testing import CliRunner
from conformance.compare import compare_result, load_cases
from serve_client import ROLE, client, wait_done

import aslrun
from aslrun.cli.main import cli
from aslrun.server import LOST_CAUSE, ApiServer, Store

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
                                   "P": {"Type": "Pass", "End": True}}}
FAIL = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}}


@pytest.fixture
def server() -> Iterator[ApiServer]:
    with ApiServer("127.0.0.1", 0, clock="virtual") as running:
        running.start()
        yield running


@pytest.fixture
def sfn(server: ApiServer) -> Any:
    return client(server)


def create(sfn: Any, name: str, definition: dict[str, Any], **extra: Any) -> str:
    return str(sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE,
                                        **extra)["stateMachineArn"])


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    err = excinfo.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


# ---------------------------------------------------------------- lifecycle


def test_create_start_describe_history_list_stop(sfn: Any) -> None:
    arn = create(sfn, "Hello", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": 1}, "End": True}}})
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["name"] == "Hello" and described["type"] == "STANDARD" and described["status"] == "ACTIVE"
    started = sfn.start_execution(stateMachineArn=arn, name="first", input='{"a": 1}')
    assert started["executionArn"] == "arn:aws:states:us-east-1:111111111111:execution:Hello:first"
    done = wait_done(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"x": 1}
    assert done["stopDate"] >= done["startDate"]
    events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                           "ExecutionSucceeded"]
    assert events[0]["executionStartedEventDetails"]["input"] == '{"a":1}'
    reverse = sfn.get_execution_history(executionArn=started["executionArn"], reverseOrder=True)["events"]
    assert [e["id"] for e in reverse] == [4, 3, 2, 1]

    # the same name and input while it runs: the same execution; once closed: ExecutionAlreadyExists
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=arn, name="first", input='{"a": 1}')
    assert error_of(excinfo) == ("ExecutionAlreadyExists", f"Execution Already Exists: '{started['executionArn']}'",
                                 400)



def test_idempotent_start_and_stop_while_running() -> None:
    # a real clock, so the Wait keeps the execution RUNNING
    with ApiServer("127.0.0.1", 0, clock="real") as server:
        server.start()
        sfn = client(server)
        waiting = create(sfn, "Waits", WAIT)
        running = sfn.start_execution(stateMachineArn=waiting, name="w", input="{}")
        assert sfn.start_execution(stateMachineArn=waiting, name="w", input="{}")["executionArn"] == \
            running["executionArn"]
        with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
            sfn.start_execution(stateMachineArn=waiting, name="w", input='{"other": 1}')
        stopped = sfn.stop_execution(executionArn=running["executionArn"], error="Halt", cause="enough")
        assert "stopDate" in stopped
        described = sfn.describe_execution(executionArn=running["executionArn"])
        assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Halt", "enough")
        history = sfn.get_execution_history(executionArn=running["executionArn"])["events"]
        assert history[-1]["type"] == "ExecutionAborted"
        assert history[-1]["executionAbortedEventDetails"] == {"error": "Halt", "cause": "enough"}
        machine = sfn.describe_state_machine_for_execution(executionArn=running["executionArn"])
        assert json.loads(machine["definition"]) == WAIT


def test_pagination_of_executions_machines_and_history(sfn: Any) -> None:
    arn = create(sfn, "Many", PASS)
    for i in range(7):
        sfn.start_execution(stateMachineArn=arn, name=f"e{i}")
    for i in range(7):
        wait_done(sfn, f"arn:aws:states:us-east-1:111111111111:execution:Many:e{i}")
    names: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = sfn.list_executions(stateMachineArn=arn, maxResults=3, **token)
        assert len(page["executions"]) <= 3
        names += [e["name"] for e in page["executions"]]
        if "nextToken" not in page:
            break
        token = {"nextToken": page["nextToken"]}
    assert sorted(names) == [f"e{i}" for i in range(7)]
    paginator = sfn.get_paginator("list_executions")
    assert len([e for p in paginator.paginate(stateMachineArn=arn, statusFilter="SUCCEEDED",
                                              PaginationConfig={"PageSize": 2}) for e in p["executions"]]) == 7
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="FAILED")["executions"] == []
    for i in range(3):
        create(sfn, f"m{i}", PASS)
    machines = [m["name"] for p in sfn.get_paginator("list_state_machines").paginate(PaginationConfig={"PageSize": 2})
                for m in p["stateMachines"]]
    assert machines == ["Many", "m0", "m1", "m2"]
    events = [e["id"] for p in sfn.get_paginator("get_execution_history").paginate(
        executionArn=f"{arn.replace('stateMachine', 'execution')}:e0", PaginationConfig={"PageSize": 1})
        for e in p["events"]]
    assert events == [1, 2, 3, 4]
    with pytest.raises(ClientError) as excinfo:
        sfn.list_executions(stateMachineArn=arn, nextToken="garbage")
    assert error_of(excinfo)[0] == "InvalidToken"
    with pytest.raises(ClientError) as excinfo:
        sfn.list_executions(stateMachineArn=arn, maxResults=1001)
    assert error_of(excinfo) == ("ValidationException", "1 validation error detected: Value '1001' at 'maxResults' "
                                 "failed to satisfy constraint: Member must have value less than or equal to 1000",
                                 400)


def test_update_delete_and_tags(sfn: Any) -> None:
    arn = create(sfn, "Tagged", PASS, tags=[{"key": "team", "value": "a"}])
    assert create(sfn, "Tagged", PASS) == arn  # identical: the same machine
    with pytest.raises(ClientError) as excinfo:
        create(sfn, "Tagged", FAIL)
    assert error_of(excinfo) == ("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'", 400)
    first = sfn.describe_state_machine(stateMachineArn=arn)["revisionId"]
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(FAIL))
    assert updated["revisionId"] != first
    started = sfn.start_execution(stateMachineArn=arn)
    done = wait_done(sfn, started["executionArn"])
    assert (done["status"], done["error"], done["cause"]) == ("FAILED", "Boom", "it broke")
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "dev"}])
    sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "env", "value": "dev"}]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(ClientError, match="StateMachineDoesNotExist"):
        sfn.start_execution(stateMachineArn=arn)
    assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "FAILED"


# ---------------------------------------------------------------- errors


def test_error_shapes(server: ApiServer, sfn: Any) -> None:
    missing = "arn:aws:states:us-east-1:111111111111:stateMachine:nope"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine(stateMachineArn=missing)
    assert error_of(excinfo) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'", 400)
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_execution(executionArn="not-an-arn")
    assert error_of(excinfo) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not-an-arn'", 400)
    with pytest.raises(ClientError) as excinfo:
        create(sfn, "Bad", {"StartAt": "X", "States": {}})
    code, message, status = error_of(excinfo)
    assert (code, status) == ("InvalidDefinition", 400)
    assert message == "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States'"
    with pytest.raises(ClientError) as excinfo:
        create(sfn, "bad name", PASS)
    assert error_of(excinfo) == ("InvalidName", "Invalid Name: 'bad name'", 400)
    arn = create(sfn, "Good", PASS)
    with pytest.raises(ClientError) as excinfo:
        sfn.start_execution(stateMachineArn=arn, input="{not json")
    assert error_of(excinfo)[0] == "InvalidExecutionInput"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_execution(executionArn=arn.replace("stateMachine", "execution") + ":none")
    assert error_of(excinfo)[0] == "ExecutionDoesNotExist"

    import urllib.request

    request = urllib.request.Request(server.endpoint, data=b"{", method="POST", headers={
        "X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Content-Type": "application/x-amz-json-1.0"})
    with pytest.raises(urllib.error.HTTPError) as raw:
        urllib.request.urlopen(request, timeout=10)
    body = json.loads(raw.value.read())
    raw.value.close()
    assert raw.value.code == 400 and body["__type"].endswith("#SerializationException")


def test_an_internal_error_is_internal_failure_without_a_traceback(server: ApiServer, caplog: Any) -> None:
    def broken(params: dict[str, Any]) -> dict[str, Any]:
        raise ZeroDivisionError("division by zero")

    server.operations["ListStateMachines"] = broken
    sfn = boto3.client("stepfunctions", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x", config=Config(retries={"max_attempts": 0}))
    with pytest.raises(ClientError) as excinfo:
        sfn.list_state_machines()
    code, message, status = error_of(excinfo)
    assert (code, status) == ("InternalFailure", 500)
    assert "Traceback" not in message and "ZeroDivisionError" not in message
    assert "ZeroDivisionError" in caplog.text  # the server log has it


# ---------------------------------------------------------------- sync, validation, TestState, mocks


def test_start_sync_execution(sfn: Any) -> None:
    express = create(sfn, "Quick", {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 5, "End": True}}},
                     type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=express, input="{}")
    assert result["status"] == "SUCCEEDED" and result["output"] == "5"
    assert result["executionArn"].startswith("arn:aws:states:us-east-1:111111111111:express:Quick:")
    assert result["billingDetails"]["billedDurationInMilliseconds"] >= 100
    standard = create(sfn, "Slow", PASS)
    with pytest.raises(ClientError, match="StateMachineTypeNotSupported"):
        sfn.start_sync_execution(stateMachineArn=standard)


def test_validate_state_machine_definition(sfn: Any) -> None:
    assert sfn.validate_state_machine_definition(definition=json.dumps(PASS))["result"] == "OK"
    answer = sfn.validate_state_machine_definition(definition="{}")
    assert answer["result"] == "FAIL"
    assert answer["diagnostics"] == [{"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED",
                                      "message": aslrun.validate({})[0].message, "location": "/"}]


def test_test_state(sfn: Any) -> None:
    answer = sfn.test_state(definition=json.dumps({"Type": "Pass", "Result": {"a": 1}, "Next": "X"}), roleArn=ROLE,
                            input="{}", inspectionLevel="DEBUG")
    assert answer["status"] == "SUCCEEDED" and answer["nextState"] == "X" and json.loads(answer["output"]) == {"a": 1}
    assert "inspectionData" in answer
    mocked = sfn.test_state(definition=json.dumps({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                   "End": True}), mock={"result": '{"ok": true}'}, roleArn=ROLE)
    assert json.loads(mocked["output"]) == {"ok": True}


def test_mock_test_case_through_the_arn(tmp_path: Path) -> None:
    config = {"StateMachines": {"Calls": {"TestCases": {"Happy": {"Call": "Ok"}}}},
              "MockedResponses": {"Ok": {"0": {"Return": {"answer": 42}}}}}
    (tmp_path / "mock.json").write_text(json.dumps(config), encoding="utf-8")
    with ApiServer("127.0.0.1", 0, clock="virtual", mock_config=tmp_path / "mock.json") as server:
        server.start()
        sfn = client(server)
        arn = create(sfn, "Calls", {"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": True}}})
        started = sfn.start_execution(stateMachineArn=f"{arn}#Happy")
        done = wait_done(sfn, started["executionArn"])
        assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"answer": 42}
        with pytest.raises(ClientError, match="no test case 'Sad'"):
            sfn.start_execution(stateMachineArn=f"{arn}#Sad")


# ---------------------------------------------------------------- durability and the executions command


def test_restart_keeps_machines_and_executions(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ApiServer("127.0.0.1", 0, data=data, clock="virtual") as server:
        server.start()
        sfn = client(server)
        arn = create(sfn, "Kept", PASS)
        done = sfn.start_execution(stateMachineArn=arn, name="done", input='{"k": 1}')
        wait_done(sfn, done["executionArn"])
    # a server that died with an execution RUNNING: simulated by a row the store never finished
    store = Store(data)
    store.add_execution({"arn": arn.replace("stateMachine", "execution") + ":lost", "machine_arn": arn,
                         "name": "lost", "status": "RUNNING", "input": "{}", "start": time.time(),
                         "definition": json.dumps(PASS), "revision": "r", "role_arn": ROLE})
    store.close()
    with ApiServer("127.0.0.1", 0, data=data, clock="virtual") as server:
        server.start()
        sfn = client(server)
        assert [m["name"] for m in sfn.list_state_machines()["stateMachines"]] == ["Kept"]
        listed = {e["name"]: e["status"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]}
        assert listed == {"done": "SUCCEEDED", "lost": "FAILED"}
        kept = sfn.describe_execution(executionArn=done["executionArn"])
        assert json.loads(kept["output"]) == {"k": 1}
        assert len(sfn.get_execution_history(executionArn=done["executionArn"])["events"]) == 4
        lost = sfn.describe_execution(executionArn=arn.replace("stateMachine", "execution") + ":lost")
        assert (lost["error"], lost["cause"]) == ("States.Runtime", LOST_CAUSE)

    runner = CliRunner()
    listed_cli = runner.invoke(cli, ["executions", "list", "--data", str(data), "--json"])
    assert listed_cli.exit_code == 0, listed_cli.output
    assert {e["name"] for e in json.loads(listed_cli.output)} == {"done", "lost"}
    shown = runner.invoke(cli, ["executions", "show", "done", "--data", str(data)])
    assert json.loads(shown.output)["output"] == '{"k":1}'
    history = runner.invoke(cli, ["executions", "history", done["executionArn"], "--data", str(data)])
    assert [e["type"] for e in json.loads(history.output)["events"]][-1] == "ExecutionSucceeded"
    missing = runner.invoke(cli, ["executions", "list", "--data", str(tmp_path / "none")])
    assert missing.exit_code == 2


def test_serve_command_on_a_port_in_use_exits_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--port", str(port), "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


# ---------------------------------------------------------------- conformance through the API

_CASES = load_cases()
_PLAIN = [c for c in _CASES if not c.get("mock_config")]
_MOCKED = [c for c in _CASES if c.get("mock_config")]


def _run_cases(cases: list[dict[str, Any]], mock_file: Path | None) -> list[str]:
    with ApiServer("127.0.0.1", 0, clock="virtual", mock_config=mock_file) as server:
        server.start()
        sfn = client(server)
        problems = []
        for case in cases:
            arn = create(sfn, "StateMachine", case["definition"])
            target = f"{arn}#Recorded" if mock_file is not None else arn
            started = sfn.start_execution(stateMachineArn=target, name="execution", input=json.dumps(case["input"]))
            done = wait_done(sfn, started["executionArn"], timeout=60)
            result = {"status": done["status"]}
            if done["status"] == "SUCCEEDED":
                result["output"] = json.loads(done["output"])
            else:
                result.update(error=done.get("error"), cause=done.get("cause"))
            mismatch = compare_result(case, result)
            if mismatch is not None:
                problems.append(f"{case['id']}: {mismatch}")
            # the next case reuses the names: a new machine of the same name keeps nothing of this one
            sfn.delete_state_machine(stateMachineArn=arn)
            server.service.store.delete_execution(started["executionArn"])
        return problems


def test_conformance_cases_through_the_api() -> None:
    assert len(_PLAIN) > 400
    assert _run_cases(_PLAIN, None) == []


def test_mocked_conformance_cases_through_the_api(tmp_path: Path) -> None:
    problems = []
    for index, case in enumerate(_MOCKED):
        mock_file = tmp_path / f"mock{index}.json"
        mock_file.write_text(json.dumps(case["mock_config"]), encoding="utf-8")
        problems += _run_cases([case], mock_file)
    assert problems == []


# ---------------------------------------------------------------- the AWS CLI


@pytest.mark.skipif(shutil.which("aws") is None and not os.environ.get("CI"),
                    reason="the AWS CLI is not installed (pip install awscli); .ci/run installs it")
def test_aws_cli(server: ApiServer, tmp_path: Path) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    base = ["aws", "--endpoint-url", server.endpoint, "--output", "json", "stepfunctions"]
    created = subprocess.run([*base, "create-state-machine", "--name", "Cli", "--definition", json.dumps(PASS),
                              "--role-arn", ROLE], capture_output=True, text=True, env=env, timeout=60)
    if created.returncode != 0 and "not found" in created.stderr.lower() and not os.environ.get("CI"):
        pytest.skip(f"the aws CLI does not run here (a shim without its Python?): {created.stderr.strip()[:200]}")
    assert created.returncode == 0, created.stderr
    arn = json.loads(created.stdout)["stateMachineArn"]
    listed = subprocess.run([*base, "list-state-machines"], capture_output=True, text=True, env=env, timeout=60)
    assert [m["stateMachineArn"] for m in json.loads(listed.stdout)["stateMachines"]] == [arn]
    missing = subprocess.run([*base, "describe-state-machine", "--state-machine-arn", arn + "x"],
                             capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode != 0 and "StateMachineDoesNotExist" in missing.stderr
    express = json.loads(subprocess.run(
        [*base, "create-state-machine", "--name", "CliExpress", "--type", "EXPRESS", "--definition", json.dumps(PASS),
         "--role-arn", ROLE], capture_output=True, text=True, env=env, timeout=60).stdout)["stateMachineArn"]
    synced = subprocess.run([*base, "start-sync-execution", "--state-machine-arn", express, "--input", '{"a": 1}'],
                            capture_output=True, text=True, timeout=60,
                            env={**env, "AWS_DISABLE_HOST_PREFIX_INJECTION": "true"})
    assert synced.returncode == 0, synced.stderr
    assert (json.loads(synced.stdout)["status"], json.loads(synced.stdout)["output"]) == ("SUCCEEDED", '{"a":1}')


# ---------------------------------------------------------------- callbacks


class Queue:
    """A service integration whose call returns at once; the Task then waits for its token."""

    name = "queue"
    remote = False

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def handles(self, resource: Any) -> bool:
        return bool(resource.service == "queue")

    def invoke(self, request: Any) -> Any:
        from aslrun.effects import TaskReply

        self.tokens.append(request.parameters["TaskToken"])
        return TaskReply({"MessageId": "m"}, callback=True)


def test_wait_for_task_token_answered_through_the_api() -> None:
    queue = Queue()
    callback = {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::queue:send.waitForTaskToken",
        "Parameters": {"TaskToken.$": "$$.Task.Token"}, "End": True}}}
    with ApiServer("127.0.0.1", 0, clock="real", integrations=[queue]) as server:
        server.start()
        sfn = client(server)
        arn = create(sfn, "Callback", callback)
        results = []
        for answer in ("success", "failure"):
            started = sfn.start_execution(stateMachineArn=arn)
            deadline = time.monotonic() + 10
            while len(queue.tokens) < len(results) + 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            token = queue.tokens[-1]
            assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "RUNNING"
            sfn.send_task_heartbeat(taskToken=token)
            if answer == "success":
                sfn.send_task_success(taskToken=token, output='{"approved": true}')
            else:
                sfn.send_task_failure(taskToken=token, error="Denied", cause="no")
            results.append(wait_done(sfn, started["executionArn"]))
            with pytest.raises(ClientError) as excinfo:
                sfn.send_task_success(taskToken=token, output="{}")
            assert error_of(excinfo)[0] == "TaskTimedOut"
        assert results[0]["status"] == "SUCCEEDED" and json.loads(results[0]["output"]) == {"approved": True}
        assert (results[1]["status"], results[1]["error"], results[1]["cause"]) == ("FAILED", "Denied", "no")
        with pytest.raises(ClientError) as excinfo:
            sfn.send_task_success(taskToken="nope", output="{}")
        assert error_of(excinfo)[0] == "InvalidToken"
        with pytest.raises(ClientError) as excinfo:
            sfn.send_task_success(taskToken=queue.tokens[0], output="{not json")
        assert error_of(excinfo)[0] == "InvalidOutput"


def test_activities(sfn: Any, server: ApiServer) -> None:
    created = sfn.create_activity(name="Approve")
    again = sfn.create_activity(name="Approve")
    assert (again["activityArn"], again["creationDate"]) == (created["activityArn"], created["creationDate"])
    activity = created["activityArn"]
    assert activity == "arn:aws:states:us-east-1:111111111111:activity:Approve"
    assert sfn.describe_activity(activityArn=activity)["name"] == "Approve"
    assert [a["name"] for a in sfn.list_activities()["activities"]] == ["Approve"]
    arn = create(sfn, "Worker", {"StartAt": "Do", "States": {"Do": {"Type": "Task", "Resource": activity,
                                                                     "End": True}}})
    started = sfn.start_execution(stateMachineArn=arn, input='{"n": 1}')
    task = sfn.get_activity_task(activityArn=activity, workerName="w1")
    assert json.loads(task["input"]) == {"n": 1}
    sfn.send_task_heartbeat(taskToken=task["taskToken"])
    sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
    done = wait_done(sfn, started["executionArn"])
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"done": True}
    types = [e["type"] for e in sfn.get_execution_history(executionArn=started["executionArn"])["events"]]
    assert "ActivityScheduled" in types and "ActivitySucceeded" in types
    with pytest.raises(ClientError) as excinfo:
        sfn.send_task_success(taskToken=task["taskToken"], output="{}")
    assert error_of(excinfo)[0] == "TaskTimedOut"

    failing = sfn.start_execution(stateMachineArn=arn)
    task = sfn.get_activity_task(activityArn=activity)
    sfn.send_task_failure(taskToken=task["taskToken"], error="No", cause="refused")
    failed = wait_done(sfn, failing["executionArn"])
    assert (failed["status"], failed["error"], failed["cause"]) == ("FAILED", "No", "refused")

    waiting = sfn.start_execution(stateMachineArn=arn)  # nobody takes it: StopExecution ends it
    sfn.stop_execution(executionArn=waiting["executionArn"])
    assert sfn.describe_execution(executionArn=waiting["executionArn"])["status"] == "ABORTED"
    sfn.delete_activity(activityArn=activity)
    with pytest.raises(ClientError, match="ActivityDoesNotExist"):
        sfn.get_activity_task(activityArn=activity)


def test_an_express_execution_times_out_after_five_minutes(sfn: Any) -> None:
    """Express executions run for five minutes at most, whatever TimeoutSeconds says (virtual clock: at once)."""
    arn = create(sfn, "Slow", {"StartAt": "Nap", "TimeoutSeconds": 3600, "States": {
        "Nap": {"Type": "Wait", "Seconds": 301, "End": True}}}, type="EXPRESS")
    answer = sfn.start_sync_execution(stateMachineArn=arn)
    assert (answer["status"], answer["error"]) == ("TIMED_OUT", "States.Timeout")
    assert (answer["stopDate"] - answer["startDate"]).total_seconds() == pytest.approx(300, abs=1)
    quick = create(sfn, "Quick", {"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 299, "End": True}}}, type="EXPRESS")
    assert sfn.start_sync_execution(stateMachineArn=quick)["status"] == "SUCCEEDED"


def test_an_activity_records_its_worker_and_heartbeats_keep_it_alive() -> None:
    """ActivityStarted comes when a worker takes the task, with its workerName; SendTaskHeartbeat restarts
    HeartbeatSeconds (a worker that beats every 0.3 s outlives a 1 s limit); one that goes quiet times out."""
    with ApiServer("127.0.0.1", 0, clock="real") as server:
        server.start()
        sfn = client(server)
        activity = sfn.create_activity(name="Slow")["activityArn"]
        arn = create(sfn, "Beats", {"StartAt": "Do", "States": {"Do": {
            "Type": "Task", "Resource": activity, "HeartbeatSeconds": 1, "End": True}}})
        started = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        task = sfn.get_activity_task(activityArn=activity, workerName="worker-7")
        for _ in range(6):  # 1.8 s of work, longer than HeartbeatSeconds
            time.sleep(0.3)
            sfn.send_task_heartbeat(taskToken=task["taskToken"])
        sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
        assert wait_done(sfn, started)["status"] == "SUCCEEDED"
        events = sfn.get_execution_history(executionArn=started)["events"]
        assert [e["type"] for e in events if e["type"].startswith("Activity")] == [
            "ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
        assert next(e for e in events if e["type"] == "ActivityStarted")["activityStartedEventDetails"] == {
            "workerName": "worker-7"}

        quiet = sfn.start_execution(stateMachineArn=arn)["executionArn"]
        task = sfn.get_activity_task(activityArn=activity, workerName="worker-8")
        timed_out = wait_done(sfn, quiet)
        assert (timed_out["status"], timed_out["error"]) == ("FAILED", "States.Timeout")
        types = [e["type"] for e in sfn.get_execution_history(executionArn=quiet)["events"]]
        assert types[-3:] == ["ActivityStarted", "ActivityTimedOut", "ExecutionFailed"]
        with pytest.raises(ClientError) as excinfo:
            sfn.send_task_success(taskToken=task["taskToken"], output="{}")
        assert error_of(excinfo)[0] == "TaskTimedOut"


def test_stopping_the_server_aborts_what_runs(tmp_path: Path) -> None:
    with ApiServer("127.0.0.1", 0, data=tmp_path, clock="real") as server:
        server.start()
        sfn = client(server)
        started = sfn.start_execution(stateMachineArn=create(sfn, "Long", WAIT), name="long")
    with ApiServer("127.0.0.1", 0, data=tmp_path, clock="real") as server:
        server.start()
        sfn = client(server)
        assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "ABORTED"
        events = sfn.get_execution_history(executionArn=started["executionArn"])["events"]
        assert [e["type"] for e in events][-1] == "ExecutionAborted"


# ---------------------------------------------------------------- versions, aliases, redrive


V1 = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v1", "End": True}}}
V2 = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": True}}}


def test_versions_publish_list_describe_run_delete(sfn: Any) -> None:
    created = sfn.create_state_machine(name="Versioned", definition=json.dumps(V1), roleArn=ROLE, publish=True,
                                       versionDescription="first")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    revision = sfn.describe_state_machine(stateMachineArn=arn)["revisionId"]
    # publishing the same revision again gives the same version
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:1"
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(V2), publish=True)
    assert updated["stateMachineVersionArn"] == f"{arn}:2"
    with pytest.raises(ClientError) as excinfo:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=revision)
    assert error_of(excinfo) == ("ConflictException", f"Failed to publish the State Machine version for revision "
                                 f"{revision}. The current State Machine revision is {updated['revisionId']}.", 409)
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:2", f"{arn}:1"]  # newest first
    first = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert (json.loads(first["definition"]), first["description"], first["stateMachineArn"]) == \
        (V1, "first", f"{arn}:1")

    started = sfn.start_execution(stateMachineArn=f"{arn}:1", name="on-v1")
    done = wait_done(sfn, started["executionArn"])
    assert json.loads(done["output"]) == "v1"  # the version's definition, not the latest
    assert started["executionArn"] == arn.replace(":stateMachine:", ":execution:") + ":on-v1"
    assert (done["stateMachineArn"], done["stateMachineVersionArn"]) == (arn, f"{arn}:1")
    assert "stateMachineAliasArn" not in done
    latest = wait_done(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert json.loads(latest["output"]) == "v2" and "stateMachineVersionArn" not in latest
    by_version = sfn.list_executions(stateMachineArn=f"{arn}:1")["executions"]
    assert [e["name"] for e in by_version] == ["on-v1"]
    assert by_version[0]["stateMachineVersionArn"] == f"{arn}:1"
    assert json.loads(sfn.describe_state_machine_for_execution(executionArn=started["executionArn"])[
        "definition"]) == V1

    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")  # unknown: no error
    # numbers are never reused
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:3"
    with pytest.raises(ClientError, match="StateMachineDoesNotExist"):
        sfn.start_execution(stateMachineArn=f"{arn}:2")


def test_aliases_route_by_weight(sfn: Any) -> None:
    arn = sfn.create_state_machine(name="Aliased", definition=json.dumps(V1), roleArn=ROLE,
                                   publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(V2), publish=True)
    v1, v2 = f"{arn}:1", f"{arn}:2"
    routing = [{"stateMachineVersionArn": v1, "weight": 100}]
    created = sfn.create_state_machine_alias(name="PROD", routingConfiguration=routing, description="live")
    alias = created["stateMachineAliasArn"]
    assert alias == f"{arn}:PROD"
    # the same request again: the same alias; another routing under that name: ConflictException
    assert sfn.create_state_machine_alias(name="PROD", routingConfiguration=routing,
                                          description="live")["creationDate"] == created["creationDate"]
    with pytest.raises(ClientError) as excinfo:
        sfn.create_state_machine_alias(name="PROD", routingConfiguration=[{"stateMachineVersionArn": v2,
                                                                           "weight": 100}])
    assert error_of(excinfo) == ("ConflictException", "Failed to create alias because an alias with the same name "
                                 "and a different routing configuration already exists.", 409)
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert (described["name"], described["description"], described["routingConfiguration"]) == \
        ("PROD", "live", routing)

    done = wait_done(sfn, sfn.start_execution(stateMachineArn=alias, name="a1")["executionArn"])
    assert json.loads(done["output"]) == "v1"
    assert (done["stateMachineAliasArn"], done["stateMachineVersionArn"]) == (alias, v1)

    split = [{"stateMachineVersionArn": v1, "weight": 30}, {"stateMachineVersionArn": v2, "weight": 70}]
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=split)
    outputs = [json.loads(wait_done(sfn, sfn.start_execution(stateMachineArn=alias, name=f"b{i}")["executionArn"])[
        "output"]) for i in range(40)]
    assert 0 < outputs.count("v1") < outputs.count("v2")  # seeded: the same split on every run
    assert len(sfn.list_executions(stateMachineArn=alias)["executions"]) == 41

    for bad, message in (
        ([{"stateMachineVersionArn": v1, "weight": 70}, {"stateMachineVersionArn": v2, "weight": 29}],
         "Sum of routing configuration weights must equal 100. Received: [70, 29]"),
        ([{"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v1, "weight": 50}],
         f"Routing configuration must contain distinct state machine version ARNs. Received: [{v1}, {v1}]"),
        ([{"stateMachineVersionArn": arn, "weight": 100}],
         f"Routing configuration must contain state machine version ARNs. Received: [{arn}]"),
    ):
        with pytest.raises(ClientError) as excinfo:
            sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=bad)
        assert error_of(excinfo) == ("ValidationException", message, 400)
        assert excinfo.value.response["reason"] == "INVALID_ROUTING_CONFIGURATION"

    assert [a["stateMachineAliasArn"] for a in sfn.list_state_machine_aliases(stateMachineArn=arn)[
        "stateMachineAliases"]] == [alias]
    assert sfn.list_state_machine_aliases(stateMachineArn=v1)["stateMachineAliases"][0][
        "stateMachineAliasArn"] == alias
    with pytest.raises(ClientError) as excinfo:
        sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    assert error_of(excinfo) == ("ConflictException", "Version to be deleted must not be referenced by an alias. "
                                 "Current list of aliases referencing this version: [PROD]", 409)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)  # unknown: no error
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert error_of(excinfo) == ("ResourceNotFound", "Request references a resource that does not exist.", 400)
    sfn.delete_state_machine_version(stateMachineVersionArn=v1)
    with pytest.raises(ClientError, match="ValidationException"):
        sfn.create_state_machine_alias(name="123", routingConfiguration=[{"stateMachineVersionArn": v2,
                                                                          "weight": 100}])


def test_redrive_refuses_a_succeeded_execution_and_reruns_a_failed_state(sfn: Any) -> None:
    failed = wait_done(sfn, sfn.start_execution(stateMachineArn=create(sfn, "Fails", FAIL))["executionArn"])
    succeeded = wait_done(sfn, sfn.start_execution(stateMachineArn=create(sfn, "Works", PASS))["executionArn"])
    assert (failed["redriveStatus"], failed["redriveCount"]) == ("REDRIVABLE", 0)
    assert "redriveStatusReason" not in failed
    assert succeeded["redriveStatus"] == "NOT_REDRIVABLE"
    assert succeeded["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    with pytest.raises(ClientError) as excinfo:
        sfn.redrive_execution(executionArn=succeeded["executionArn"])
    assert error_of(excinfo) == ("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven", 400)
    with pytest.raises(ClientError, match="ExecutionDoesNotExist"):
        sfn.redrive_execution(executionArn=failed["executionArn"] + "x")
    # a Fail state fails again when redriven: the history goes on after ExecutionRedriven
    date = sfn.redrive_execution(executionArn=failed["executionArn"])["redriveDate"]
    again = wait_done(sfn, failed["executionArn"])
    assert (again["status"], again["redriveCount"], again["error"]) == ("FAILED", 1, "Boom")
    assert again["redriveDate"] == date
    events = sfn.get_execution_history(executionArn=failed["executionArn"])["events"]
    assert [e["type"] for e in events] == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed",
                                           "ExecutionRedriven", "FailStateEntered", "ExecutionFailed"]
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[3]["executionRedrivenEventDetails"] == {"redriveCount": 1}


def test_run_store_records_a_cli_run(tmp_path: Path) -> None:
    definition = tmp_path / "Hello.json"
    definition.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"hi": 1},
                                                                     "End": True}}}))
    data = tmp_path / "data"
    runner = CliRunner()
    ran = runner.invoke(cli, ["run", str(definition), "--quiet", "--execution-name", "cli-run",
                              f"--store={data}"])
    assert ran.exit_code == 0, ran.output
    (tmp_path / "Boom.json").write_text(json.dumps(FAIL))
    failed = runner.invoke(cli, ["run", str(tmp_path / "Boom.json"), "-q", "--store", str(data)])
    assert failed.exit_code == 1, failed.output
    listed = runner.invoke(cli, ["executions", "list", "--data", str(data), "--json"])
    rows = {e["name"]: e for e in json.loads(listed.output)}
    assert rows["cli-run"]["status"] == "SUCCEEDED"
    assert rows["cli-run"]["executionArn"] == "arn:aws:states:us-east-1:111111111111:execution:Hello:cli-run"
    assert [e["status"] for e in rows.values()].count("FAILED") == 1
    shown = json.loads(runner.invoke(cli, ["executions", "show", "cli-run", "--data", str(data)]).output)
    assert json.loads(shown["output"]) == {"hi": 1}
    history = json.loads(runner.invoke(cli, ["executions", "history", "cli-run", "--data", str(data)]).output)
    assert [e["type"] for e in history["events"]] == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                                      "ExecutionSucceeded"]
    again = runner.invoke(cli, ["run", str(definition), "-q", "--execution-name", "cli-run", f"--store={data}"])
    assert again.exit_code == 2 and "already has an execution" in " ".join(again.output.split())
    # a server on that store lists the run (the machine itself is not created there)
    with ApiServer("127.0.0.1", 0, data=data, clock="virtual") as server:
        server.start()
        sfn = client(server)
        described = sfn.describe_execution(executionArn=rows["cli-run"]["executionArn"])
        assert described["status"] == "SUCCEEDED"
