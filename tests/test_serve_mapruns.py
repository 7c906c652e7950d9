"""Map Runs through boto3 against ``aslrun serve`` on 127.0.0.1: DescribeMapRun, ListMapRuns, UpdateMapRun,
a Distributed Map's child executions (ListExecutions by mapRunArn, DescribeExecution, GetExecutionHistory)
and the same children from ``aslrun executions``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from serve_client import ROLE, client, error_of, wait_done

from aslrun.cli.main import cli
from aslrun.server import ApiServer

PREFIX = "arn:aws:states:us-east-1:111111111111"


def child_machine(mode_extra: dict[str, Any], states: dict[str, Any], start: str) -> dict[str, Any]:
    return {"StartAt": "Fan", "States": {"Fan": {
        "Type": "Map", "Label": "Fan", "End": True, **mode_extra,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": start, "States": states}}}}


#: children that fail for {"v": 1} and pass their item on otherwise
CHOOSE = {"Check": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "Bad"}],
                    "Default": "Good"},
          "Bad": {"Type": "Fail", "Error": "BadItem", "Cause": "v is 1"},
          "Good": {"Type": "Pass", "End": True}}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ApiServer]:
    with ApiServer("127.0.0.1", 0, data=tmp_path / "data", clock="virtual") as running:
        running.start()
        yield running


@pytest.fixture
def sfn(server: ApiServer) -> Any:
    return client(server)


def until(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


def start(sfn: Any, name: str, definition: dict[str, Any], value: Any) -> str:
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    return str(sfn.start_execution(stateMachineArn=machine, name="run", input=json.dumps(value))["executionArn"])


def test_a_map_run_and_its_children_through_the_api(sfn: Any, server: ApiServer) -> None:
    arn = start(sfn, "Items", child_machine({"ToleratedFailureCount": 5, "MaxConcurrency": 2}, CHOOSE, "Check"),
                [{"v": 0}, {"v": 1}, {"v": 2}])
    assert wait_done(sfn, arn)["status"] == "SUCCEEDED"

    runs = sfn.list_map_runs(executionArn=arn)["mapRuns"]
    assert len(runs) == 1
    run = runs[0]
    assert run["mapRunArn"].startswith(f"{PREFIX}:mapRun:Items/Fan:")
    assert (run["executionArn"], run["stateMachineArn"]) == (arn, f"{PREFIX}:stateMachine:Items/Fan")
    described = sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    assert (described["status"], described["executionArn"]) == ("SUCCEEDED", arn)
    assert (described["maxConcurrency"], described["toleratedFailureCount"]) == (2, 5)
    assert described["stopDate"] >= described["startDate"]
    counts = described["executionCounts"]
    assert (counts["succeeded"], counts["failed"], counts["running"], counts["pending"], counts["total"]) == \
        (2, 1, 0, 0, 3)
    assert described["itemCounts"]["total"] == 3

    children = sfn.list_executions(mapRunArn=run["mapRunArn"])["executions"]
    assert sorted(c["status"] for c in children) == ["FAILED", "SUCCEEDED", "SUCCEEDED"]
    assert {(c["mapRunArn"], c["itemCount"], c["stateMachineArn"]) for c in children} == \
        {(run["mapRunArn"], 1, run["stateMachineArn"])}
    failed = sfn.list_executions(mapRunArn=run["mapRunArn"], statusFilter="FAILED")["executions"]
    assert len(failed) == 1 and failed[0]["executionArn"].startswith(f"{PREFIX}:execution:Items/Fan:")
    # the parent machine lists the parent only
    listed = sfn.list_executions(stateMachineArn=f"{PREFIX}:stateMachine:Items")["executions"]
    assert [e["executionArn"] for e in listed] == [arn]

    child = sfn.describe_execution(executionArn=failed[0]["executionArn"])
    assert (child["status"], child["error"], child["cause"]) == ("FAILED", "BadItem", "v is 1")
    assert json.loads(child["input"]) == {"v": 1} and child["mapRunArn"] == run["mapRunArn"]
    assert child["redriveStatus"] == "REDRIVABLE_BY_MAP_RUN"
    child_machine_described = sfn.describe_state_machine_for_execution(executionArn=failed[0]["executionArn"])
    assert (child_machine_described["label"], child_machine_described["mapRunArn"]) == ("Fan", run["mapRunArn"])
    assert json.loads(child_machine_described["definition"]) == {"StartAt": "Check", "States": CHOOSE}
    history = sfn.get_execution_history(executionArn=failed[0]["executionArn"])["events"]
    assert [e["type"] for e in history] == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
                                            "FailStateEntered", "ExecutionFailed"]
    assert [e["id"] for e in history] == [1, 2, 3, 4, 5]
    assert [e["previousEventId"] for e in history] == [0, 1, 2, 3, 4]
    good = next(c for c in children if c["status"] == "SUCCEEDED")
    good_history = sfn.get_execution_history(executionArn=good["executionArn"], reverseOrder=True)["events"]
    assert good_history[0]["type"] == "ExecutionSucceeded"
    assert json.loads(good_history[0]["executionSucceededEventDetails"]["output"]) == \
        json.loads(sfn.describe_execution(executionArn=good["executionArn"])["output"])

    with pytest.raises(ClientError) as excinfo:
        sfn.update_map_run(mapRunArn=run["mapRunArn"], maxConcurrency=5)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    assert excinfo.value.response["reason"] == "CANNOT_UPDATE_COMPLETED_MAP_RUN"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_map_run(mapRunArn=run["mapRunArn"] + "x")
    assert error_of(excinfo)[0] == "ResourceNotFound"
    with pytest.raises(ClientError) as excinfo:
        sfn.describe_map_run(mapRunArn=arn)
    assert error_of(excinfo)[0] == "InvalidArn"
    with pytest.raises(ClientError, match="ValidationException"):
        sfn.list_executions(mapRunArn=run["mapRunArn"], stateMachineArn=f"{PREFIX}:stateMachine:Items")


def test_children_are_paginated_and_a_failed_map_run_aborts_the_rest(sfn: Any) -> None:
    arn = start(sfn, "Strict", child_machine({"MaxConcurrency": 1}, CHOOSE, "Check"),
                [{"v": 0}, {"v": 2}, {"v": 1}, {"v": 3}, {"v": 4}])
    done = wait_done(sfn, arn)
    assert (done["status"], done["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")
    run = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    described = sfn.describe_map_run(mapRunArn=run)
    assert described["status"] == "FAILED"
    counts = described["executionCounts"]
    assert (counts["succeeded"], counts["failed"], counts["total"]) == (2, 1, 5)
    assert counts["pending"] + counts["aborted"] == 2 and counts["running"] == 0
    first = sfn.list_executions(mapRunArn=run, maxResults=2)
    second = sfn.list_executions(mapRunArn=run, maxResults=2, nextToken=first["nextToken"])
    names = [c["name"] for c in first["executions"] + second["executions"]]
    assert len(names) == len(set(names)) == 3


def test_update_map_run_changes_a_running_map_run(sfn: Any) -> None:
    activity = sfn.create_activity(name="Work")["activityArn"]
    definition = child_machine({"MaxConcurrency": 1, "ToleratedFailureCount": 0},
                               {"Work": {"Type": "Task", "Resource": activity, "End": True}}, "Work")
    arn = start(sfn, "Slow", definition, [{"n": 0}, {"n": 1}, {"n": 2}])
    run = until(lambda: sfn.list_map_runs(executionArn=arn)["mapRuns"])[0]["mapRunArn"]
    first = sfn.get_activity_task(activityArn=activity)
    assert json.loads(first["input"]) == {"n": 0}

    sfn.update_map_run(mapRunArn=run, maxConcurrency=3, toleratedFailureCount=3)
    described = sfn.describe_map_run(mapRunArn=run)
    assert (described["status"], described["maxConcurrency"], described["toleratedFailureCount"]) == \
        ("RUNNING", 3, 3)
    # the failure is tolerated now, and the two other children start together
    sfn.send_task_failure(taskToken=first["taskToken"], error="Nope")
    counts = until(lambda: (c := sfn.describe_map_run(mapRunArn=run)["executionCounts"])["running"] == 2 and c)
    assert counts and (counts["failed"], counts["pending"]) == (1, 0)
    for _ in range(2):
        task = sfn.get_activity_task(activityArn=activity)
        sfn.send_task_success(taskToken=task["taskToken"], output=task["input"])
    assert wait_done(sfn, arn)["status"] == "SUCCEEDED"
    final = sfn.describe_map_run(mapRunArn=run)
    assert final["status"] == "SUCCEEDED" and final["executionCounts"]["succeeded"] == 2
    with pytest.raises(ClientError, match="ValidationException"):
        sfn.update_map_run(mapRunArn=run, toleratedFailurePercentage=150.0)


def test_the_executions_command_shows_children(sfn: Any, server: ApiServer) -> None:
    arn = start(sfn, "Cli", child_machine({"ToleratedFailurePercentage": 50}, CHOOSE, "Check"),
                [{"v": 0}, {"v": 1}])
    wait_done(sfn, arn)
    run = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    child = sfn.list_executions(mapRunArn=run, statusFilter="SUCCEEDED")["executions"][0]["executionArn"]
    data = str(Path(server.service.store.location).parent)
    runner = CliRunner()
    listed = runner.invoke(cli, ["executions", "list", "--data", data, "--json"])
    assert [e["executionArn"] for e in json.loads(listed.output)] == [arn]
    children = runner.invoke(cli, ["executions", "list", "--data", data, "--map-run", run, "--json"])
    assert len(json.loads(children.output)) == 2
    shown = json.loads(runner.invoke(cli, ["executions", "show", child, "--data", data]).output)
    assert (shown["status"], shown["mapRunArn"], json.loads(shown["output"])) == ("SUCCEEDED", run, {"v": 0})
    history = json.loads(runner.invoke(cli, ["executions", "history", child, "--data", data]).output)
    assert [e["type"] for e in history["events"]][0::len(history["events"]) - 1] == ["ExecutionStarted",
                                                                                       "ExecutionSucceeded"]


def test_redrive_runs_only_the_children_that_did_not_succeed(sfn: Any) -> None:
    activity = sfn.create_activity(name="Step")["activityArn"]
    definition = child_machine({"MaxConcurrency": 1},
                               {"Step": {"Type": "Task", "Resource": activity, "End": True}}, "Step")
    arn = start(sfn, "Again", definition, [{"n": 0}, {"n": 1}, {"n": 2}])
    task = sfn.get_activity_task(activityArn=activity)
    sfn.send_task_success(taskToken=task["taskToken"], output='"zero"')
    task = sfn.get_activity_task(activityArn=activity)
    assert json.loads(task["input"]) == {"n": 1}
    sfn.send_task_failure(taskToken=task["taskToken"], error="Flaky")
    assert wait_done(sfn, arn)["status"] == "FAILED"
    run = sfn.list_map_runs(executionArn=arn)["mapRuns"][0]["mapRunArn"]
    failed_child = sfn.list_executions(mapRunArn=run, statusFilter="FAILED")["executions"][0]["executionArn"]

    sfn.redrive_execution(executionArn=arn)
    answered = []
    for _ in range(2):  # child 1 again, then child 2; child 0 is kept
        task = sfn.get_activity_task(activityArn=activity)
        answered.append(json.loads(task["input"])["n"])
        sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps(f"item {answered[-1]}"))
    done = wait_done(sfn, arn)
    assert answered == [1, 2]
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", ["zero", "item 1", "item 2"])
    described = sfn.describe_map_run(mapRunArn=run)
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
    assert described["executionCounts"]["succeeded"] == 3
    child = sfn.describe_execution(executionArn=failed_child)
    assert (child["status"], child["redriveCount"]) == ("SUCCEEDED", 1)
    types = [e["type"] for e in sfn.get_execution_history(executionArn=failed_child)["events"]]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded"
    assert types.count("ExecutionRedriven") == 1 and types.index("ExecutionRedriven") == types.index("ExecutionFailed") + 1


def test_run_store_records_a_map_run_and_its_children(tmp_path: Path) -> None:
    (tmp_path / "Fan.json").write_text(json.dumps(child_machine({"ToleratedFailureCount": 1}, CHOOSE, "Check")))
    data = str(tmp_path / "data")
    runner = CliRunner()
    ran = runner.invoke(cli, ["run", str(tmp_path / "Fan.json"), "-q", "--execution-name", "fan", "--input",
                              '[{"v": 1}, {"v": 2}]', f"--store={data}"])
    assert ran.exit_code == 0, ran.output
    run = f"{PREFIX}:mapRun:Fan/Fan:fan-1"
    children = json.loads(runner.invoke(cli, ["executions", "list", "--data", data, "--map-run", run,
                                              "--json"]).output)
    assert sorted((c["name"], c["status"]) for c in children) == [("fan-1-0", "FAILED"), ("fan-1-1", "SUCCEEDED")]
    shown = json.loads(runner.invoke(cli, ["executions", "show", f"{PREFIX}:execution:Fan/Fan:fan-1-0",
                                           "--data", data]).output)
    assert (shown["error"], shown["redriveStatus"]) == ("BadItem", "REDRIVABLE_BY_MAP_RUN")
