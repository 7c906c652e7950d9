"""aslrun.testing.strategies, and the properties of aslrun they check.

Each strategy is tested for what its docstring promises (valid JSONPath that selects the given
node, machines that validate and terminate, inputs that hold what a machine reads, mock files
that load), and then used: every generated machine ends SUCCEEDED, FAILED or TIMED_OUT with a
well-formed history, never with a Python exception.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aslrun
from aslrun.effects import Event
from aslrun.expressions.jsonpath import PathNotFound, compile_path, compile_reference_path
from aslrun.integrations.mock import MockConfig
from aslrun.testing import strategies as asl

#: examples per property: enough to reach nested Parallel/Map and Retry/Catch, fast enough for every run
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MACHINES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.data_too_large])
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TERMINAL = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed", "TIMED_OUT": "ExecutionTimedOut"}


def interpreter(mock: Any = None) -> aslrun.Interpreter:
    return aslrun.Interpreter(clock="virtual", load_plugins=False, mock=mock, seed=0)


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON (and NaN-free), with 1 == 1.0 as JSON has it."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or a == b


# ---------------------------------------------------------------- JSON values


@FAST
@given(asl.json_values())
def test_json_values_pass_through_a_pass_state_unchanged(value: Any) -> None:
    # (The Python API reads input=None as "no input", {}; so null goes in wrapped.)
    document = {"v": value} if value is None else value
    result = interpreter().run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, document)
    assert result.status == "SUCCEEDED"
    assert result.output == document
    assert json.loads(result.history[-1]["executionSucceededEventDetails"]["output"]) == document


@FAST
@given(asl.json_values())
def test_json_values_are_json(value: Any) -> None:
    assert json.loads(json.dumps(value)) == value
    for number in _numbers(value):
        assert math.isfinite(number) and (not isinstance(number, int) or abs(number) <= 2**53)


def _numbers(value: Any) -> list[Any]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [value]
    children = value.values() if isinstance(value, dict) else value
    return [n for child in children for n in _numbers(child)]


@FAST
@given(asl.json_objects())
def test_json_objects_are_objects(value: Any) -> None:
    assert isinstance(value, dict) and all(isinstance(k, str) for k in value)


# ---------------------------------------------------------------- JSONPath


@FAST
@given(st.data(), asl.json_values(max_leaves=15))
def test_a_path_matching_a_document_selects_that_node(data: st.DataObject, document: Any) -> None:
    path, value = data.draw(asl.json_path_matches(document))
    assert compile_reference_path(path).evaluate(document) == value
    assert data.draw(asl.json_paths(document)) in {p for p, _ in asl._paths_to_nodes(document)}


@FAST
@given(st.data(), asl.json_objects(max_leaves=10))
def test_input_path_through_the_engine_selects_the_same_node(data: st.DataObject, document: dict[str, Any]) -> None:
    path, value = data.draw(asl.json_path_matches(document))
    machine = {"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": path, "End": True}}}
    result = interpreter().run(machine, document)
    assert (result.status, result.output) == ("SUCCEEDED", value)


@FAST
@given(asl.json_paths())
def test_reference_paths_compile_as_reference_paths(path: str) -> None:
    assert compile_reference_path(path).definite


@FAST
@given(asl.json_paths(reference=False), asl.json_values(max_leaves=10))
def test_any_valid_path_evaluates_or_reports_a_missing_node(path: str, document: Any) -> None:
    compiled = compile_path(path)
    try:
        value = compiled.evaluate(document)
    except PathNotFound:
        return  # a definite path, a ['a','b'] merge or a function on nothing: an ASL error, not a crash
    if not compiled.definite and compiled.function is None and not path.endswith("','b']"):
        assert isinstance(value, list)


# ---------------------------------------------------------------- Choice rules


@FAST
@given(st.data())
def test_choice_rules_validate_and_pick_a_branch_on_inputs_that_hold_their_fields(data: st.DataObject) -> None:
    rule = data.draw(asl.choice_rules(next_states=st.just("Yes")))
    machine = {"StartAt": "Decide", "States": {
        "Decide": {"Type": "Choice", "Choices": [rule], "Default": "No"},
        "Yes": {"Type": "Succeed"}, "No": {"Type": "Succeed"}}}
    assert not [d for d in aslrun.validate(machine) if d.severity == "ERROR"]
    document = data.draw(asl.machine_inputs(machine))
    result = interpreter().run(machine, document)
    assert result.status == "SUCCEEDED", result.cause
    assert result.events[-3].details["name"] in ("Yes", "No")


@FAST
@given(asl.choice_rules(depth=0))
def test_a_data_test_has_a_variable_and_exactly_one_operator(rule: dict[str, Any]) -> None:
    assert rule["Variable"].startswith("$.")
    assert len([k for k in rule if k != "Variable"]) == 1


# ---------------------------------------------------------------- whole machines


@MACHINES
@given(asl.state_machines())
def test_validate_accepts_every_generated_machine(machine: dict[str, Any]) -> None:
    errors = [d.format() for d in aslrun.validate(machine) if d.severity == "ERROR"]
    assert errors == [], json.dumps(machine)
    aslrun.load(machine)


@MACHINES
@given(st.data())
def test_every_generated_machine_ends_in_a_terminal_status_with_a_well_formed_history(data: st.DataObject) -> None:
    machine = data.draw(asl.state_machines(), label="machine")
    document = data.draw(asl.machine_inputs(machine), label="input")
    config = data.draw(asl.mock_configs(machine), label="mocks")
    mock = MockConfig.load(config).test_case("StateMachine", "Generated")
    result = interpreter(mock).run(machine, document)
    assert result.status in TERMINAL, (result.status, result.error, result.cause)
    if result.status == "FAILED":
        # Inputs hold every field the machine reads and every Task is mocked: failures are the
        # generated Fail states, mocked Throws and Map thresholds, never a runtime error.
        assert result.error in (*asl.ERROR_NAMES, "States.ExceedToleratedFailureThreshold"), result.cause
    assert_well_formed(result)


def assert_well_formed(result: aslrun.ExecutionResult) -> None:
    history = result.history
    assert [e["id"] for e in history] == list(range(1, len(history) + 1))
    assert all(0 <= e["previousEventId"] < e["id"] for e in history)
    assert history[0]["type"] == "ExecutionStarted"
    assert history[-1]["type"] == TERMINAL[result.status]
    assert [e["type"] for e in history].count(TERMINAL[result.status]) == 1
    events: list[Event] = result.events
    for i, event in enumerate(events):
        if not event.type.endswith("StateEntered"):
            continue
        kind = event.type[: -len("StateEntered")]
        rest = events[i + 1:]
        closed = next((j for j, e in enumerate(rest) if e.scope == event.scope and e.type.startswith(kind)
                       and e.type.endswith(("StateExited", "StateEntered"))), None)
        if closed is not None and rest[closed].type.endswith("StateExited"):
            continue
        # No StateExited: something after it failed, was aborted or timed out.
        assert any(e.type.endswith(("Failed", "Aborted", "TimedOut")) for e in rest), \
            (event.type, event.scope, [e.type for e in events])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_machines_without_tasks_need_no_mocks(data: st.DataObject) -> None:
    machine = data.draw(asl.state_machines(tasks=False, max_depth=1))
    assert '"Task"' not in json.dumps(machine)
    result = interpreter().run(machine, data.draw(asl.machine_inputs(machine)))
    assert result.status in TERMINAL and result.error != "States.Runtime", result.cause


@FAST
@given(asl.state_machines(max_depth=0, max_states=3))
def test_max_depth_zero_has_no_parallel_or_map(machine: dict[str, Any]) -> None:
    types = {state["Type"] for state in machine["States"].values()}
    assert not types & {"Parallel", "Map"}
    assert len(machine["States"]) <= 3 + 1 + 2  # the chain, its last state, two side exits


# ---------------------------------------------------------------- inputs for any machine


def test_machine_inputs_reads_paths_of_every_kind() -> None:
    machine = {"StartAt": "Look", "States": {
        "Look": {"Type": "Choice", "Default": "Hold", "Choices": [
            {"And": [{"Variable": "$.order.total", "NumericGreaterThan": 10},
                     {"Variable": "$.order.code", "StringMatches": "A*"}], "Next": "Hold"},
            {"Variable": "$.due", "TimestampLessThanPath": "$.now", "Next": "Hold"},
            {"Variable": "$.maybe", "IsPresent": True, "Next": "Hold"}]},
        "Hold": {"Type": "Wait", "SecondsPath": "$.order.total", "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.lines", "ResultPath": "$.priced", "Next": "Done",
                 "ItemProcessor": {"StartAt": "Line", "States": {"Line": {
                     "Type": "Pass", "Parameters": {"sku.$": "$.sku", "label.$": "States.Format('{}', $.name)"},
                     "End": True}}}},
        "Done": {"Type": "Fail", "ErrorPath": "$.reason"}}}

    @FAST
    @given(asl.machine_inputs(machine))
    def check(document: dict[str, Any]) -> None:
        assert set(document) == {"order", "due", "now", "lines", "reason"}
        assert set(document["order"]) == {"total", "code"}
        assert isinstance(document["order"]["total"], int) and document["order"]["total"] >= 0
        assert isinstance(document["order"]["code"], str) and isinstance(document["reason"], str)
        assert document["due"] in asl.TIMESTAMPS and document["now"] in asl.TIMESTAMPS
        assert all(set(line) == {"sku", "name"} for line in document["lines"])
        result = interpreter().run(machine, document)
        assert result.status == "FAILED" and result.error == document["reason"]

    check()


@pytest.mark.parametrize("sample", ["order-pipeline.json", "batch-report.json", "retry-and-catch.json",
                                    "approval-timeout.json", "fan-out.json"])
def test_generated_inputs_never_crash_the_samples(sample: str) -> None:
    machine = json.loads((SAMPLES / sample).read_text(encoding="utf-8"))

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(asl.machine_inputs(machine))
    def check(document: dict[str, Any]) -> None:
        result = interpreter().run(machine, document)
        assert result.status in TERMINAL
        assert_well_formed(result)

    check()


# ---------------------------------------------------------------- mocked results


@FAST
@given(asl.mocked_responses())
def test_mocked_responses_count_from_zero_and_end_with_a_range(response: dict[str, Any]) -> None:
    keys = list(response)
    assert keys[:-1] == [str(i) for i in range(len(keys) - 1)]
    assert keys[-1] == f"{len(keys) - 1}-999"
    assert all(len(entry) == 1 and set(entry) <= {"Return", "Throw"} for entry in response.values())


@FAST
@given(st.data())
def test_mock_configs_load_and_mock_every_task(data: st.DataObject) -> None:
    machine = data.draw(asl.state_machines())
    config = data.draw(asl.mock_configs(machine, machine_name="Flow", test_case="Case"))
    case = MockConfig.load(config).test_case("Flow", "Case")
    tasks = {name for name, state in aslrun.load(machine).all_states().items() if state.type == "Task"}
    assert set(case.states) == tasks
