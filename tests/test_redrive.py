"""Redrive (RedriveExecution) in the engine: an execution goes on from the states that did not succeed.

The rule (AWS developer guide, "Redriving executions" and "Redriving Map Runs"): same input, same name;
states with an ``…Entered`` but no ``…Exited`` event run again, successful ones do not; an inline Map or a
Parallel re-runs only its unsuccessful iterations and branches; the history goes on after
``ExecutionRedriven``. The server's RedriveExecution is tested in the serve tests.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aslrun
from aslrun.context import iso_millis
from aslrun.errors import StatesError
from aslrun.history import history_to_json
from aslrun.redrive import NotRedrivable, RedrivePlan, plan_redrive

RESOURCE = "arn:aws:states:::flaky:do"


class Flaky:
    """A service that fails a given number of times for given parameters, and counts every call."""

    name = "flaky"
    remote = False

    def __init__(self, failures: dict[str, int] | None = None) -> None:
        self.failures = dict(failures or {})
        self.calls: list[Any] = []

    def handles(self, resource: Any) -> bool:
        return resource.service == "flaky"

    def invoke(self, request: Any) -> Any:
        key = json.dumps(request.parameters, sort_keys=True)
        self.calls.append(request.parameters)
        if self.failures.get(key, 0) > 0:
            self.failures[key] -= 1
            raise StatesError("Boom", f"failed {key}")
        return {"ok": request.parameters}


def fail(times: int = 1, **parameters: Any) -> dict[str, int]:
    return {json.dumps(parameters, sort_keys=True): times}


def task(parameters: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": RESOURCE, "Parameters": parameters, **fields}


def interpreter(service: Flaky) -> aslrun.Interpreter:
    return aslrun.Interpreter(integrations=[service], clock="virtual", load_plugins=False)


CHAIN = {
    "StartAt": "First",
    "States": {
        "First": task({"step": 1}, ResultPath="$.first", Assign={"seen": 1}, Next="Second"),
        "Second": task({"step": 2, "seen.$": "$seen"}, ResultPath="$.second", Next="Report"),
        "Report": {"Type": "Pass", "Parameters": {"in.$": "$", "count.$": "$$.Execution.RedriveCount",
                                                   "start.$": "$$.Execution.StartTime"}, "End": True},
    },
}


def test_a_redrive_goes_on_from_the_failed_state_without_re_running_the_successful_ones() -> None:
    service = Flaky(fail(step=2, seen=1))
    interp = interpreter(service)
    first = interp.run(CHAIN, {"order": 7}, name="order-7")
    assert (first.status, first.error) == ("FAILED", "Boom")
    assert service.calls == [{"step": 1}, {"step": 2, "seen": 1}]

    service.calls.clear()
    second = interp.redrive(CHAIN, first).run()
    assert second.status == "SUCCEEDED"
    # Only the failed Task ran again, with the variable the first attempt assigned before it.
    assert service.calls == [{"step": 2, "seen": 1}]
    assert second.output["in"] == {"order": 7, "first": {"ok": {"step": 1}}, "second": {"ok": {"step": 2, "seen": 1}}}
    assert second.output["count"] == 1
    # Same execution: its name and start time are kept, the history's ids go on.
    assert second.name == "order-7" and second.execution_arn == first.execution_arn
    redriven = second.events[0]
    assert (redriven.type, redriven.details, redriven.id, redriven.previous) == (
        "ExecutionRedriven", {"redriveCount": 1}, len(first.events) + 1, len(first.events))
    assert [e.type for e in second.events[1:3]] == ["TaskStateEntered", "TaskScheduled"]
    assert second.events[1].previous == redriven.id
    assert [e.id for e in second.events] == list(range(len(first.events) + 1, len(first.events) + 1 + len(second.events)))


def test_the_start_time_in_the_context_is_the_first_attempts() -> None:
    service = Flaky(fail(step=2, seen=1))
    interp = interpreter(service)
    first = interp.run(CHAIN, {})
    second = interp.redrive(CHAIN, first).run()
    assert second.events[0].timestamp > first.events[0].timestamp
    assert second.output["start"] == iso_millis(first.events[0].timestamp)


def test_a_second_redrive_counts_two_and_needs_the_whole_history() -> None:
    service = Flaky(fail(2, step=2, seen=1))
    interp = interpreter(service)
    first = interp.run(CHAIN, {}, name="twice")
    second = interp.redrive(CHAIN, first).run()
    assert second.status == "FAILED"
    third = interp.redrive(CHAIN, first.events + second.events, name="twice").run()
    assert third.status == "SUCCEEDED" and third.output["count"] == 2
    assert third.events[0].details == {"redriveCount": 2}
    assert third.events[0].id == len(first.events) + len(second.events) + 1


PARALLEL = {
    "StartAt": "Both",
    "States": {
        "Both": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Left", "States": {"Left": task({"side": "left"}, End=True)}},
            {"StartAt": "Prepare", "States": {
                "Prepare": {"Type": "Pass", "Assign": {"token": "t-1"}, "Next": "Right"},
                "Right": task({"side": "right", "token.$": "$token"}, End=True)}},
        ]},
    },
}


def test_a_parallel_re_runs_only_its_failed_branch_from_its_failed_state() -> None:
    service = Flaky(fail(side="right", token="t-1"))
    interp = interpreter(service)
    first = interp.run(PARALLEL, {})
    assert first.status == "FAILED"
    service.calls.clear()
    second = interp.redrive(PARALLEL, first).run()
    assert second.status == "SUCCEEDED"
    assert service.calls == [{"side": "right", "token": "t-1"}]  # Left kept, Prepare not re-run
    assert second.output == [{"ok": {"side": "left"}}, {"ok": {"side": "right", "token": "t-1"}}]
    types = [e.type for e in second.events]
    assert types[:3] == ["ExecutionRedriven", "ParallelStateEntered", "ParallelStateStarted"]
    assert "PassStateEntered" not in types


def map_machine(items: list[Any], distributed: bool = False, tolerated: int | None = None) -> dict[str, Any]:
    processor: dict[str, Any] = {"StartAt": "Work", "States": {"Work": task({"item.$": "$"}, End=True)}}
    if distributed:
        processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    state: dict[str, Any] = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor, "End": True}
    if tolerated is not None:
        state["ToleratedFailureCount"] = tolerated
    return {"StartAt": "Each", "States": {"Each": state}}


@pytest.mark.parametrize("distributed", [False, True], ids=["inline", "distributed"])
def test_a_map_re_runs_only_the_iterations_that_did_not_succeed(distributed: bool) -> None:
    items = list(range(6))
    service = Flaky({**fail(item=2), **fail(item=4)})
    machine = map_machine(items, distributed)
    interp = interpreter(service)
    first = interp.run(machine, {"items": items})
    assert first.status == "FAILED"
    succeeded_before = [c["item"] for c in service.calls if c["item"] not in (2, 4)]
    service.calls.clear()
    second = interp.redrive(machine, first).run()
    assert second.status == "SUCCEEDED"
    assert second.output == [{"ok": {"item": i}} for i in items]
    rerun = sorted(c["item"] for c in service.calls)
    assert not set(rerun) & set(succeeded_before)
    assert {2} <= set(rerun) and set(rerun) <= set(items)


def test_a_redriven_distributed_map_goes_on_with_its_map_run() -> None:
    service = Flaky(fail(item=1))
    machine = map_machine([0, 1, 2], distributed=True)
    interp = interpreter(service)
    first = interp.run(machine, {"items": [0, 1, 2]})
    run_arn = next(e.details["mapRunArn"] for e in first.events if e.type == "MapRunStarted")
    second = interp.redrive(machine, first).run()
    redriven = [e for e in second.events if e.type.startswith("MapRun")]
    assert redriven[0].type == "MapRunRedriven"
    assert redriven[0].details == {"mapRunArn": run_arn, "redriveCount": 1}
    assert redriven[-1].type == "MapRunSucceeded"


def test_an_aborted_or_timed_out_execution_can_be_redriven() -> None:
    machine = {"StartAt": "Slow", "TimeoutSeconds": 5, "States": {
        "Slow": {"Type": "Wait", "Seconds": 10, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": "done", "End": True}}}
    interp = aslrun.Interpreter(clock="virtual", load_plugins=False)
    first = interp.run(machine, {})
    assert first.status == "TIMED_OUT"
    plan = plan_redrive(interp.load(machine), first.events)
    assert (plan.previous_status, plan.root.state) == ("TIMED_OUT", "Slow")
    # The machine's TimeoutSeconds starts again at 0: the 10 s wait still does not fit.
    assert interp.redrive(machine, first).run().status == "TIMED_OUT"


def test_a_succeeded_or_running_execution_is_not_redrivable() -> None:
    interp = aslrun.Interpreter(clock="virtual", load_plugins=False)
    machine = interp.load({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    done = interp.run(machine, {})
    with pytest.raises(NotRedrivable, match="Execution is SUCCEEDED and cannot be redriven"):
        interp.redrive(machine, done)
    with pytest.raises(NotRedrivable, match="Execution is RUNNING and cannot be redriven"):
        plan_redrive(machine, done.events[:-1])


def test_the_plan_is_the_same_from_aws_shaped_events_with_their_scopes_and_survives_json() -> None:
    service = Flaky(fail(side="right", token="t-1"))
    interp = interpreter(service)
    machine = interp.load(PARALLEL)
    first = interp.run(machine, {})
    live = plan_redrive(machine, first.events)
    shaped = [dict(body, scope=list(e.scope)) for body, e in zip(history_to_json(first.events), first.events)]
    from_dicts = plan_redrive(machine, json.loads(json.dumps(shaped)))
    assert from_dicts.start_time == pytest.approx(live.start_time, abs=0.001)  # AWS's timestamps hold milliseconds
    from_dicts.start_time = live.start_time
    assert from_dicts.to_json() == live.to_json()
    assert RedrivePlan.from_json(json.loads(json.dumps(live.to_json()))).to_json() == live.to_json()
    without_scope = [dict(body) for body in history_to_json(first.events)]
    with pytest.raises(NotRedrivable, match="scope"):
        plan_redrive(machine, without_scope)


def test_a_map_entered_again_in_a_loop_does_not_reuse_the_earlier_rounds_iterations() -> None:
    machine = {"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.out", "Next": "Again?",
                 "ItemProcessor": {"StartAt": "Work", "States": {
                     "Work": task({"item.$": "$", "round.$": "$$.Execution.Input.rounds"}, End=True)}}},
        "Again?": {"Type": "Choice", "Choices": [{"Variable": "$.items[0]", "NumericEquals": 0, "Next": "Shift"}],
                   "Default": "Done"},
        "Shift": {"Type": "Pass", "Result": [5, 6], "ResultPath": "$.items", "Next": "Each"},
        "Done": {"Type": "Pass", "OutputPath": "$.out", "End": True}}}
    service = Flaky(fail(item=6, round=2))
    interp = interpreter(service)
    first = interp.run(machine, {"items": [0, 1], "rounds": 2})
    assert first.status == "FAILED"
    service.calls.clear()
    second = interp.redrive(machine, first).run()
    assert second.status == "SUCCEEDED"
    assert second.output == [{"ok": {"item": 5, "round": 2}}, {"ok": {"item": 6, "round": 2}}]
    assert service.calls == [{"item": 6, "round": 2}]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2), min_size=1, max_size=6), st.booleans())
def test_redriving_until_success_runs_each_item_successfully_exactly_once(failures: list[int], parallel: bool) -> None:
    """Whatever fails how often, redriving until the execution succeeds gives the output of a run that never
    failed, and no successful Task is ever run twice."""
    items = list(range(len(failures)))
    if parallel:
        machine: dict[str, Any] = {"StartAt": "All", "States": {"All": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": f"W{i}", "States": {f"W{i}": task({"item": i}, End=True)}} for i in items]}}}
    else:
        machine = map_machine(items)
    service = Flaky({k: v for i, n in enumerate(failures) for k, v in fail(n, item=i).items()})
    interp = interpreter(service)
    history: list[Any] = []
    result = interp.run(machine, {"items": items}, name="until")
    history += result.events
    for _ in range(sum(failures) + 1):
        if result.succeeded:
            break
        result = interp.redrive(machine, history, name="until").run()
        history += result.events
    assert result.succeeded
    assert result.output == [{"ok": {"item": i}} for i in items]
    # Each item failed as often as it was told to and then succeeded once: never run again after that.
    assert all(n == 0 for n in service.failures.values())
    for i, n in enumerate(failures):
        assert sum(1 for c in service.calls if c["item"] == i) == n + 1


def test_a_mock_config_s_numbered_responses_go_on_in_a_redrive() -> None:
    """A MockConfigFile response "0" that fails and "1" that succeeds: the redrive gets "1" (invocations
    are counted over the whole execution, as the history counts TaskScheduled events)."""
    from aslrun.integrations.mock import MockConfig

    config = MockConfig.load({
        "StateMachines": {"Calls": {"TestCases": {"FailsOnce": {"Call": "Flaky"}}}},
        "MockedResponses": {"Flaky": {"0": {"Throw": {"Error": "Busy", "Cause": "later"}},
                                      "1": {"Return": {"answer": 42}}}}})
    interp = aslrun.Interpreter(clock="virtual", load_plugins=False, mock=config.test_case("Calls", "FailsOnce"))
    machine = interp.load({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": True}}}, name="Calls")
    first = interp.run(machine, {})
    assert (first.status, first.error) == ("FAILED", "Busy")
    plan = plan_redrive(machine, first.events)
    assert plan.invocations == {"Call": 1}
    second = interp.redrive(machine, first).run()
    assert (second.status, second.output) == ("SUCCEEDED", {"answer": 42})
