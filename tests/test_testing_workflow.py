"""aslrun.testing without pytest: Workflow (load, mock, run) and WorkflowResult (path, states, assertions)."""

from __future__ import annotations

import json
import re

import pytest

import aslrun
from aslrun.errors import MockConfigError
from aslrun.testing import EPOCH, Throw, Workflow, WorkflowResult, inline_test_case, json_diff

LAMBDA = "arn:aws:states:::lambda:invoke"
FLOW = {
    "StartAt": "Fetch",
    "States": {
        "Fetch": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.fetched", "Next": "Fan"},
        "Fan": {"Type": "Parallel", "ResultPath": "$.fan", "Next": "Each", "Branches": [
            {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Result": "L", "End": True}}},
            {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": "R", "End": True}}},
        ]},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.each", "Next": "Save",
                 "ItemProcessor": {"StartAt": "Item", "States": {
                     "Item": {"Type": "Pass", "Assign": {"last.$": "$"}, "End": True}}}},
        "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "ResultPath": None, "End": True},
    },
}
MOCK_FILE = {
    "StateMachines": {"flow": {"TestCases": {"Happy": {"Fetch": "Fetched", "Save": "Saved"}}}},
    "MockedResponses": {"Fetched": {"0": {"Return": {"rows": 2}}}, "Saved": {"0": {"Return": {}}}},
}


def flow() -> Workflow:
    return Workflow.load(FLOW, name="flow", mock_config=MOCK_FILE)


def test_a_run_with_a_test_case_gives_the_path_and_each_state_run() -> None:
    result = flow().run({"items": [1, 2]}, test_case="Happy")
    assert isinstance(result, WorkflowResult) and result.status == "SUCCEEDED"
    assert result.visited == ["Fetch", "Fan", "Each", "Save"]
    assert result.path == "Fetch → Fan → Each → Save"
    assert sorted(result.visited_all[2:4]) == ["Left", "Right"]
    assert result.visited_all[5:7] == ["Item", "Item"]
    assert result.state("Fan").input == {"items": [1, 2], "fetched": {"rows": 2}}
    assert result.state("Item", 1).input == 2
    assert result.state("Item", 1).scope == ("Each", 1)
    assert result.state("Item", 1).assigned == {"last": 2}
    assert [run.output for run in result.states("Item")] == [1, 2]
    assert result.state("Save").type == "Task" and result.state("Save").exited
    assert result.output == {"items": [1, 2], "fetched": {"rows": 2}, "fan": ["L", "R"], "each": [1, 2]}
    result.assert_succeeded().assert_visited("Fetch", "Fan", "Each", "Save")


def test_the_wrapped_result_is_reachable() -> None:
    result = flow().run({"items": []}, test_case="Happy")
    assert isinstance(result.result, aslrun.ExecutionResult)
    assert result.history[0]["type"] == "ExecutionStarted"
    assert result.start_time == EPOCH
    assert repr(result) == "<WorkflowResult SUCCEEDED path='Fetch → Fan → Each → Save'>"


def test_asking_for_a_state_that_never_ran_shows_the_path() -> None:
    result = flow().run({"items": []}, test_case="Happy")
    with pytest.raises(AssertionError, match=r"state 'Item' never ran in the execution of 'flow' \(test case "
                                             r"'Happy'\)\.\npath taken: Fetch → Fan → Each → Save"):
        result.state("Item")
    with pytest.raises(AssertionError, match=r"state 'Fan' ran 1 time\(s\) .* there is no run #1"):
        result.state("Fan", 1)


def test_assert_output_shows_a_diff_and_the_path() -> None:
    result = flow().run({"items": [1]}, test_case="Happy")
    with pytest.raises(AssertionError) as info:
        result.assert_output({"items": [1], "fetched": {"rows": 3}, "fan": ["L", "R"], "each": [1]})
    message = str(info.value)
    assert message.startswith("the output of the execution of 'flow' (test case 'Happy') is not the expected one:\n")
    assert '-    "rows": 3\n+    "rows": 2' in message
    assert message.endswith("path taken: Fetch → Fan → Each → Save")


def test_assert_failed_and_assert_visited_explain_the_difference() -> None:
    result = flow().run({"items": [1]}, mocks={"Fetch": Throw("Db.Down", "no db")})
    result.assert_failed("Db.Down", "no db").assert_failed(cause_match=r"^no")
    with pytest.raises(AssertionError, match=re.escape("error: expected 'Db.Slow', got 'Db.Down'")):
        result.assert_failed("Db.Slow")
    with pytest.raises(AssertionError, match=r"cause: expected a match for 'yes',\n +got 'no db'"):
        result.assert_failed(cause_match="yes")
    with pytest.raises(AssertionError, match=r"to succeed, but it FAILED with Db.Down: no db\.\npath taken: Fetch\n"
                                             r"it stopped in Task state 'Fetch' with input \{\"items\": \[1\]\}"):
        result.assert_succeeded()
    with pytest.raises(AssertionError, match=r"took another path:\n  expected: Fetch → Save\n  actual:   Fetch"):
        result.assert_visited("Fetch", "Save")
    ok = flow().run({"items": []}, test_case="Happy")
    with pytest.raises(AssertionError, match=r"expected the execution of 'flow' \(test case 'Happy'\) to fail with "
                                             r"X, but it succeeded with output"):
        ok.assert_failed("X")


def test_inline_mocks_override_the_test_case_for_the_states_they_name() -> None:
    result = flow().run({"items": []}, test_case="Happy", mocks={"Fetch": {"rows": 9}})
    assert result.output["fetched"] == {"rows": 9}


def test_inline_mocks_answer_in_order_and_a_single_value_every_time() -> None:
    machine = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "MaxConcurrency": 1, "End": True,
                                                      "ItemProcessor": {"StartAt": "T", "States": {
                                                          "T": {"Type": "Task", "Resource": LAMBDA, "End": True}}}}}}
    workflow = Workflow.load(machine)
    assert workflow.run([1, 2, 3], mocks={"T": ["a", "b", "c"]}).output == ["a", "b", "c"]
    assert workflow.run([1, 2, 3], mocks={"T": "same"}).output == ["same"] * 3
    workflow.run([1, 2], mocks={"T": ["a"]}).assert_failed("States.Runtime", cause_match=r"invocation #1")
    case = inline_test_case({"T": Throw("E")})
    assert case.states["T"].entries[0].throws == ("E", None)


def test_a_test_case_without_a_mock_file_is_a_clear_error() -> None:
    with pytest.raises(MockConfigError, match=r"test case 'Happy' asked for, but no mock configuration was given "
                                              r"for 'StateMachine': pass mock_config=PATH \(or set SFN_MOCK_CONFIG\)"):
        Workflow.load({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}).run(test_case="Happy")


def test_a_workflow_tests_one_of_its_states() -> None:
    response = flow().test_state("Save", {"x": 1}, mock={"result": "{}"}, inspection_level="DEBUG").to_json()
    assert response["status"] == "SUCCEEDED" and response["output"] == '{"x":1}'
    assert flow().states()[:3] == ["Fetch", "Fan", "Left"]


def test_json_diff_is_a_unified_diff_of_sorted_pretty_json() -> None:
    assert json_diff({"b": 1, "a": [1]}, {"a": [1], "b": 2}).splitlines() == [
        "--- expected", "+++ actual", "@@ -2,5 +2,5 @@", '   "a": [', "     1", "   ],", '-  "b": 1', '+  "b": 2', " }"]
    assert json_diff({"a": 1}, json.loads('{"a": 1}')) == ""
