"""RedriveExecution through boto3 against ``aslrun serve`` on 127.0.0.1, and ``aslrun executions redrive``.

A Task on an activity is the failure that goes away: the test is the worker, failing the task the
first time and answering it after the redrive.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from serve_client import ROLE, client, error_of, wait_done

from aslrun.cli.main import cli
from aslrun.server import DB_NAME, LOST_CAUSE, ApiServer, Store
from aslrun.server.views import UNSCOPED_HISTORY


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ApiServer]:
    with ApiServer("127.0.0.1", 0, data=tmp_path / "data", clock="virtual") as running:
        running.start()
        yield running


@pytest.fixture
def sfn(server: ApiServer) -> Any:
    return client(server)


def approval_machine(sfn: Any, activity: str) -> str:
    """Prepare (Pass) → Approve (activity Task) → Report (Pass with $$.Execution.RedriveCount)."""
    definition = {"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"prepared": True}, "ResultPath": "$.prep", "Next": "Approve"},
        "Approve": {"Type": "Task", "Resource": activity, "ResultPath": "$.approval", "Next": "Report"},
        "Report": {"Type": "Pass", "Parameters": {"approval.$": "$.approval", "prep.$": "$.prep",
                                                  "redriveCount.$": "$$.Execution.RedriveCount"}, "End": True}}}
    return str(sfn.create_state_machine(name="Approval", definition=json.dumps(definition),
                                        roleArn=ROLE)["stateMachineArn"])


def fail_then_redrive(sfn: Any) -> tuple[str, str]:
    """An Approval execution whose activity task the worker failed: (execution ARN, activity ARN)."""
    activity = sfn.create_activity(name="Approve")["activityArn"]
    machine = approval_machine(sfn, activity)
    arn = sfn.start_execution(stateMachineArn=machine, name="order-1", input='{"order": 1}')["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    sfn.send_task_failure(taskToken=task["taskToken"], error="Busy", cause="try later")
    failed = wait_done(sfn, arn)
    assert (failed["status"], failed["error"], failed["redriveStatus"]) == ("FAILED", "Busy", "REDRIVABLE")
    return arn, activity


def test_a_failed_task_is_redriven_and_the_execution_succeeds(sfn: Any) -> None:
    arn, activity = fail_then_redrive(sfn)
    before = sfn.get_execution_history(executionArn=arn)["events"]

    redriven = sfn.redrive_execution(executionArn=arn)
    task = sfn.get_activity_task(activityArn=activity, workerName="w")
    assert json.loads(task["input"]) == {"order": 1, "prep": {"prepared": True}}
    sfn.send_task_success(taskToken=task["taskToken"], output='{"approved": true}')
    done = wait_done(sfn, arn)

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"approval": {"approved": True}, "prep": {"prepared": True},
                                          "redriveCount": 1}
    assert (done["redriveCount"], done["redriveDate"]) == (1, redriven["redriveDate"])
    assert done["redriveStatus"] == "NOT_REDRIVABLE"
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    types = [e["type"] for e in events]
    # the earlier history is kept as it was; the ids go on after it
    assert events[:len(before)] == before
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert types[len(before)] == "ExecutionRedriven"
    assert events[len(before)]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    # the state that succeeded before does not run again; the failed Task does
    assert types.count("PassStateEntered") == 2  # Prepare once, Report once
    assert types.count("ActivityScheduled") == 2 and types[-1] == "ExecutionSucceeded"

    listed = sfn.list_executions(stateMachineArn=done["stateMachineArn"], redriveFilter="REDRIVEN")["executions"]
    assert [(e["name"], e["redriveCount"]) for e in listed] == [("order-1", 1)]
    assert sfn.list_executions(stateMachineArn=done["stateMachineArn"], redriveFilter="NOT_REDRIVEN")[
        "executions"] == []
    with pytest.raises(ClientError) as excinfo:
        sfn.redrive_execution(executionArn=arn)
    assert error_of(excinfo) == ("ExecutionNotRedrivable", "Execution is SUCCEEDED and cannot be redriven")


def test_a_client_token_makes_redrive_idempotent(sfn: Any, server: ApiServer) -> None:
    arn, activity = fail_then_redrive(sfn)
    first = sfn.redrive_execution(executionArn=arn, clientToken="token-1")
    again = sfn.redrive_execution(executionArn=arn, clientToken="token-1")
    assert again["redriveDate"] == first["redriveDate"]
    assert sfn.describe_execution(executionArn=arn)["redriveCount"] == 1
    with pytest.raises(ClientError) as excinfo:
        sfn.redrive_execution(executionArn=arn, clientToken="token-2")
    assert error_of(excinfo) == ("ExecutionNotRedrivable", "Execution is RUNNING and cannot be redriven")
    with pytest.raises(ClientError, match="ValidationException"):
        sfn.redrive_execution(executionArn=arn, clientToken="x" * 65)
    sfn.stop_execution(executionArn=arn)
    assert wait_done(sfn, arn)["status"] == "ABORTED"


def test_an_execution_lost_in_a_crash_is_redriven_on_the_next_server(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ApiServer("127.0.0.1", 0, data=data, clock="virtual") as server:
        server.start()
        sfn = client(server)
        activity = sfn.create_activity(name="Approve")["activityArn"]
        machine = approval_machine(sfn, activity)
        arn = sfn.start_execution(stateMachineArn=machine, name="crashed", input='{"order": 2}')["executionArn"]
        sfn.get_activity_task(activityArn=activity)  # taken, never answered
    # what a crash leaves: the row RUNNING, no ExecutionAborted (this server's close aborted it; undo that)
    with sqlite3.connect(data / DB_NAME) as db:
        db.execute("DELETE FROM events WHERE execution_arn = ? AND id = (SELECT MAX(id) FROM events "
                   "WHERE execution_arn = ?)", (arn, arn))
        db.execute("UPDATE executions SET status = 'RUNNING', stop = NULL WHERE arn = ?", (arn,))
    with ApiServer("127.0.0.1", 0, data=data, clock="virtual") as server:
        server.start()
        sfn = client(server)
        lost = sfn.describe_execution(executionArn=arn)
        assert (lost["status"], lost["cause"], lost["redriveStatus"]) == ("FAILED", LOST_CAUSE, "REDRIVABLE")
        sfn.redrive_execution(executionArn=arn)
        task = sfn.get_activity_task(activityArn=activity)
        sfn.send_task_success(taskToken=task["taskToken"], output='"yes"')
        done = wait_done(sfn, arn)
        assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["approval"] == "yes"


def test_a_history_without_scopes_is_not_redrivable(sfn: Any, server: ApiServer) -> None:
    arn, _ = fail_then_redrive(sfn)
    # what an older aslrun's store holds: events without their scope
    server.service.flush()
    with sqlite3.connect(Path(server.service.store.location)) as db:
        db.execute("UPDATE events SET scope = NULL WHERE execution_arn = ?", (arn,))
    described = sfn.describe_execution(executionArn=arn)
    assert (described["redriveStatus"], described["redriveStatusReason"]) == ("NOT_REDRIVABLE", UNSCOPED_HISTORY)
    with pytest.raises(ClientError) as excinfo:
        sfn.redrive_execution(executionArn=arn)
    assert error_of(excinfo) == ("ExecutionNotRedrivable", UNSCOPED_HISTORY)


def test_an_older_store_gets_the_new_columns_on_open(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "aslrun.sqlite3")
    db.executescript("""
        CREATE TABLE executions (arn TEXT PRIMARY KEY, machine_arn TEXT NOT NULL, name TEXT NOT NULL,
            status TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT, start REAL NOT NULL,
            stop REAL, definition TEXT NOT NULL, revision TEXT NOT NULL, role_arn TEXT NOT NULL, seq INTEGER NOT NULL);
        CREATE TABLE events (execution_arn TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
            PRIMARY KEY (execution_arn, id));
        INSERT INTO executions VALUES ('arn:aws:states:us-east-1:1:execution:M:e', 'arn:aws:states:us-east-1:1:stateMachine:M',
            'e', 'FAILED', '{}', NULL, 'E', NULL, 1.0, 2.0, '{}', 'r', 'role', 1);
        INSERT INTO events VALUES ('arn:aws:states:us-east-1:1:execution:M:e', 1, '{"id":1,"type":"ExecutionStarted"}');
    """)
    db.commit()
    db.close()
    store = Store(tmp_path)
    try:
        row = store.execution("arn:aws:states:us-east-1:1:execution:M:e")
        assert row is not None and row["redrive_count"] == 0 and row["map_run_arn"] is None
        assert store.history_facts(row["arn"]) == (1, False)
        assert store.scoped_events(row["arn"]) is None
    finally:
        store.close()


def test_the_executions_redrive_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    # fails while $$.Execution.RedriveCount is 0, succeeds once redriven
    definition = {"QueryLanguage": "JSONata", "StartAt": "Once", "States": {
        "Once": {"Type": "Pass", "Output": {"once": 1}, "Next": "Flaky"},
        "Flaky": {"Type": "Pass", "End": True, "Output": "{% $states.context.Execution.RedriveCount = 0 ? "
                                                         "$error('FirstTime') : $states.input %}"}}}
    (tmp_path / "Flaky.json").write_text(json.dumps(definition))
    runner = CliRunner()
    ran = runner.invoke(cli, ["run", str(tmp_path / "Flaky.json"), "-q", "--execution-name", "flaky",
                              f"--store={data}"])
    assert ran.exit_code == 1, ran.output
    redriven = runner.invoke(cli, ["executions", "redrive", "flaky", "--data", str(data), "--json"])
    assert redriven.exit_code == 0, redriven.output
    shown = json.loads(redriven.output)
    assert (shown["status"], shown["redriveCount"]) == ("SUCCEEDED", 1)
    assert json.loads(shown["output"]) == {"once": 1}
    history = json.loads(runner.invoke(cli, ["executions", "history", "flaky", "--data", str(data)]).output)
    types = [e["type"] for e in history["events"]]
    assert types.count("PassStateEntered") == 3 and "ExecutionRedriven" in types  # Once 1, Flaky 2
    assert types[-1] == "ExecutionSucceeded"
    again = runner.invoke(cli, ["executions", "redrive", "flaky", "--data", str(data)])
    assert again.exit_code != 0 and "Execution is SUCCEEDED and cannot be redriven" in again.output


def test_a_mocked_task_that_fails_once_is_redriven(tmp_path: Path) -> None:
    config = {"StateMachines": {"Calls": {"TestCases": {"FailsOnce": {"Call": "FlakyCall"}}}},
              "MockedResponses": {"FlakyCall": {"0": {"Throw": {"Error": "Busy", "Cause": "try later"}},
                                                "1": {"Return": {"answer": 42}}}}}
    (tmp_path / "mock.json").write_text(json.dumps(config), encoding="utf-8")
    definition = {"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": True}}}
    with ApiServer("127.0.0.1", 0, clock="virtual", mock_config=tmp_path / "mock.json",
                   data=tmp_path / "data") as server:
        server.start()
        sfn = client(server)
        machine = sfn.create_state_machine(name="Calls", definition=json.dumps(definition),
                                           roleArn=ROLE)["stateMachineArn"]
        arn = sfn.start_execution(stateMachineArn=f"{machine}#FailsOnce")["executionArn"]
        assert wait_done(sfn, arn)["error"] == "Busy"
        sfn.redrive_execution(executionArn=arn)
        done = wait_done(sfn, arn)
        types = [e["type"] for e in sfn.get_execution_history(executionArn=arn)["events"]]
        assert types.count("PassStateEntered") == 1
        assert (done["status"], done["redriveCount"]) == ("SUCCEEDED", 1), done.get("error")
        assert json.loads(done["output"]) == {"answer": 42}
