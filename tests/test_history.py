"""Execution history: event ids and previousEventId links, detail shapes, quotas.

The link rules are the ones measured on AWS (the research notes on AWS histories): each
scope keeps a cursor; "aside" events (MapIterationSucceeded/Failed, MapStateSucceeded,
ParallelStateSucceeded, *StateAborted, MapRunSucceeded) point to it without moving it.
Also the history's JSON-text payloads, ``assignedVariables``, the 25,000-event limit
and the 256 KiB payload limit.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import aslrun
from aslrun.errors import StatesError
from aslrun.integrations.base import TaskRequest

TASK = "arn:aws:states:::lambda:invoke"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


class ScriptedIntegration:
    """A fake Task backend: per state name, results (or StatesErrors to raise) used in order.

    When a state's script is used up (or absent) the task echoes its parameters.
    """

    name = "scripted"
    remote = False

    def __init__(self, script: dict[str, list[Any]] | None = None) -> None:
        self.script = {state: list(items) for state, items in (script or {}).items()}

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: TaskRequest) -> Any:
        queue = self.script.get(request.state_name)
        if not queue:
            return request.parameters
        item = queue.pop(0)
        if isinstance(item, StatesError):
            raise StatesError(item.error, item.cause)
        return item


def execute(
    definition: dict[str, Any], input: Any = None, script: dict[str, list[Any]] | None = None, **settings: Any
) -> aslrun.ExecutionResult:
    interpreter = aslrun.Interpreter(
        clock=aslrun.VirtualClock(start=1_700_000_000, frozen=True),
        integrations=[ScriptedIntegration(script)],
        load_plugins=False,
        seed=1,
        **settings,
    )
    return interpreter.run(definition, input)


def chain(result: aslrun.ExecutionResult) -> list[tuple[int, int, str]]:
    return [(e["id"], e["previousEventId"], e["type"]) for e in result.history]


def link_of(result: aslrun.ExecutionResult, type: str, n: int = 0) -> int:
    return [e["previousEventId"] for e in result.history if e["type"] == type][n]


def id_of(result: aslrun.ExecutionResult, type: str, n: int = 0) -> int:
    return [e["id"] for e in result.history if e["type"] == type][n]


def err(name: str, cause: str = "cause") -> StatesError:
    return StatesError(name, cause)


# ---------------------------------------------------------------- ids and links


def test_ids_count_up_from_one_and_links_follow_the_cursor() -> None:
    result = execute(
        {
            "StartAt": "P",
            "States": {
                "P": {"Type": "Pass", "Next": "T"},
                "T": {"Type": "Task", "Resource": TASK, "Next": "S"},
                "S": {"Type": "Succeed"},
            },
        },
        {},
    )
    assert chain(result) == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "PassStateEntered"),  # the first state's Entered links to 0, not 1
        (3, 2, "PassStateExited"),
        (4, 3, "TaskStateEntered"),
        (5, 4, "TaskScheduled"),
        (6, 5, "TaskStarted"),
        (7, 6, "TaskSucceeded"),
        (8, 7, "TaskStateExited"),
        (9, 8, "SucceedStateEntered"),
        (10, 9, "SucceedStateExited"),
        (11, 10, "ExecutionSucceeded"),
    ]


def test_retry_links_the_new_schedule_to_the_failure() -> None:
    result = execute(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True,
                                          "Retry": [{"ErrorEquals": ["Boom"]}]}}},
        {},
        {"T": [err("Boom")]},
    )
    assert chain(result)[4:7] == [(5, 4, "TaskFailed"), (6, 5, "TaskScheduled"), (7, 6, "TaskStarted")]


def test_caught_failure_links_exit_to_the_failure() -> None:
    result = execute(
        {
            "StartAt": "T",
            "States": {
                "T": {"Type": "Task", "Resource": TASK, "End": True,
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
                "C": {"Type": "Pass", "End": True},
            },
        },
        {},
        {"T": [err("Boom")]},
    )
    assert chain(result)[4:7] == [(5, 4, "TaskFailed"), (6, 5, "TaskStateExited"), (7, 6, "PassStateEntered")]


def test_uncaught_failure_links_execution_failed_to_the_failure() -> None:
    result = execute({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}}, {},
                     {"T": [err("Boom")]})
    assert chain(result)[-2:] == [(5, 4, "TaskFailed"), (6, 5, "ExecutionFailed")]


def test_runtime_error_in_a_state_links_execution_failed_to_its_entered_event() -> None:
    result = execute({"StartAt": "P", "States": {"P": {"Type": "Pass", "InputPath": "$.x", "End": True}}}, {})
    assert chain(result) == [(1, 0, "ExecutionStarted"), (2, 0, "PassStateEntered"), (3, 2, "ExecutionFailed")]


def test_fail_state_links() -> None:
    result = execute({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}, {})
    assert chain(result) == [(1, 0, "ExecutionStarted"), (2, 0, "FailStateEntered"), (3, 2, "ExecutionFailed")]


def test_parallel_links() -> None:
    result = execute(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "End": True,
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
                        {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 1, "End": True}}},
                    ],
                }
            },
        },
        {},
    )
    started = id_of(result, "ParallelStateStarted")
    assert link_of(result, "ParallelStateStarted") == id_of(result, "ParallelStateEntered")
    assert link_of(result, "PassStateEntered") == started
    assert link_of(result, "WaitStateEntered") == started
    last_branch_event = id_of(result, "WaitStateExited")  # the Wait branch finishes last
    assert link_of(result, "ParallelStateSucceeded") == last_branch_event
    assert link_of(result, "ParallelStateExited") == last_branch_event
    assert link_of(result, "ExecutionSucceeded") == id_of(result, "ParallelStateExited")


def test_parallel_caught_failure_links() -> None:
    result = execute(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Next": "C",
                    "Branches": [{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                },
                "C": {"Type": "Pass", "End": True},
            },
        },
        {},
        {"T": [err("Exception")]},
    )
    failed = id_of(result, "TaskFailed")
    # Recorded on AWS (corpus test_parallel_catch_error): TaskStateAborted, ParallelStateFailed, then the exit.
    assert link_of(result, "TaskStateAborted") == failed
    assert link_of(result, "ParallelStateFailed") == failed
    assert link_of(result, "ParallelStateExited") == id_of(result, "ParallelStateFailed")
    assert link_of(result, "PassStateEntered") == id_of(result, "ParallelStateExited")


def test_serial_map_links() -> None:
    result = execute(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "MaxConcurrency": 1,
                    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        },
        [1, 2],
    )
    assert link_of(result, "MapStateStarted") == id_of(result, "MapStateEntered")
    assert link_of(result, "MapIterationStarted", 0) == id_of(result, "MapStateStarted")
    # MapIterationSucceeded points to the iteration's last state event and does not move the cursor.
    assert link_of(result, "MapIterationSucceeded", 0) == id_of(result, "PassStateExited", 0)
    assert link_of(result, "MapIterationStarted", 1) == id_of(result, "PassStateExited", 0)
    assert link_of(result, "MapIterationSucceeded", 1) == id_of(result, "PassStateExited", 1)
    # The success tail points to the last MapIterationSucceeded (research §4).
    last = id_of(result, "MapIterationSucceeded", 1)
    assert link_of(result, "MapStateSucceeded") == last
    assert link_of(result, "MapStateExited") == last


def test_empty_map_links() -> None:
    result = execute(
        {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}}}},
        [],
    )
    assert chain(result) == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "MapStateEntered"),
        (3, 2, "MapStateStarted"),
        (4, 3, "MapStateSucceeded"),
        (5, 3, "MapStateExited"),
        (6, 5, "ExecutionSucceeded"),
    ]


def test_map_caught_failure_links() -> None:
    result = execute(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "MaxConcurrency": 1,
                    "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom"}}},
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                    "End": True,
                },
                "C": {"Type": "Pass", "End": True},
            },
        },
        [1],
    )
    fail = id_of(result, "FailStateEntered")
    assert link_of(result, "MapIterationFailed") == fail
    assert link_of(result, "MapStateFailed") == fail
    assert link_of(result, "MapStateExited") == id_of(result, "MapStateFailed")


def test_map_retry_links_map_state_started_to_the_failing_event() -> None:
    result = execute(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}},
                    "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1}],
                    "End": True,
                }
            },
        },
        [1],
        {"T": [err("Boom")]},
    )
    assert link_of(result, "MapStateStarted", 1) == id_of(result, "TaskFailed")


def test_distributed_map_links() -> None:
    result = execute(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "I",
                        "States": {"I": {"Type": "Pass", "End": True}},
                    },
                    "End": True,
                }
            },
        },
        [0],
    )
    # As recorded on AWS (corpus test_map_state_tolerated_failure_*), November 2024 and later.
    assert chain(result) == [
        (1, 0, "ExecutionStarted"),
        (2, 0, "MapStateEntered"),
        (3, 2, "MapStateStarted"),
        (4, 3, "MapRunStarted"),
        (5, 4, "MapRunSucceeded"),
        (6, 5, "MapStateSucceeded"),
        (7, 4, "MapStateExited"),
        (8, 7, "ExecutionSucceeded"),
    ]


def test_execution_timed_out_links_to_nothing() -> None:
    result = execute({"StartAt": "W", "TimeoutSeconds": 1, "States": {"W": {"Type": "Wait", "Seconds": 5,
                                                                             "End": True}}}, {})
    assert chain(result)[-1] == (len(result.history), 0, "ExecutionTimedOut")


def test_every_id_is_one_more_than_the_last() -> None:
    result = execute(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Next": "M",
                    "Branches": [{"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 2, "End": True}}},
                                 {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}}],
                },
                "M": {"Type": "Map", "End": True,
                      "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}},
            },
        },
        {},
    )
    ids = [e["id"] for e in result.history]
    assert ids == list(range(1, len(ids) + 1))
    assert all(0 <= e["previousEventId"] < e["id"] for e in result.history)
    assert [e.id for e in result.events] == ids


def test_event_timestamps() -> None:
    result = execute({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 61, "End": True}}}, {})
    assert [e.timestamp for e in result.events] == [1_700_000_000.0, 1_700_000_000.0, 1_700_000_061.0,
                                                    1_700_000_061.0]
    assert [e["timestamp"] for e in result.history] == [
        "2023-11-14T22:13:20.000Z",
        "2023-11-14T22:13:20.000Z",
        "2023-11-14T22:14:21.000Z",
        "2023-11-14T22:14:21.000Z",
    ]


# ---------------------------------------------------------------- detail shapes


def test_payloads_are_json_text_in_history_and_values_in_history_values() -> None:
    result = execute(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "Parameters": {"k.$": "$.v"},
                                          "End": True}}},
        {"v": "é", "n": [1, 2]},
        {"T": [{"r": True}]},
    )
    text = {e["type"]: e for e in result.history}
    values = {e["type"]: e for e in result.history_values()}
    assert text["ExecutionStarted"]["executionStartedEventDetails"] == {
        "input": '{"v":"é","n":[1,2]}',
        "inputDetails": {"truncated": False},
        "roleArn": "arn:aws:iam::111111111111:role/aslrun-local-execution-role",
    }
    assert values["ExecutionStarted"]["executionStartedEventDetails"]["input"] == {"v": "é", "n": [1, 2]}
    assert text["TaskStateEntered"]["stateEnteredEventDetails"]["input"] == '{"v":"é","n":[1,2]}'
    assert text["TaskScheduled"]["taskScheduledEventDetails"]["parameters"] == '{"k":"é"}'
    assert values["TaskScheduled"]["taskScheduledEventDetails"]["parameters"] == {"k": "é"}
    assert text["TaskSucceeded"]["taskSucceededEventDetails"]["output"] == '{"r":true}'
    assert text["TaskStateExited"]["stateExitedEventDetails"] == {
        "name": "T",
        "output": '{"r":true}',
        "outputDetails": {"truncated": False},
    }
    assert text["ExecutionSucceeded"]["executionSucceededEventDetails"] == {
        "output": '{"r":true}',
        "outputDetails": {"truncated": False},
    }


def test_every_history_entry_is_json_serialisable() -> None:
    result = execute({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": [1.5, None], "End": True}}}, {})
    assert json.loads(json.dumps(result.history)) == result.history


def test_events_without_details_have_no_details_key() -> None:
    result = execute(
        {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}}]}}},
        {},
    )
    started = next(e for e in result.history if e["type"] == "ParallelStateStarted")
    assert set(started) == {"id", "previousEventId", "timestamp", "type"}


def test_execution_failed_details_hold_only_the_keys_that_exist() -> None:
    no_cause = execute({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}, {})
    assert no_cause.history[-1]["executionFailedEventDetails"] == {"error": "E"}
    only_cause = execute({"StartAt": "F", "States": {"F": {"Type": "Fail", "Cause": "C"}}}, {})
    assert only_cause.history[-1]["executionFailedEventDetails"] == {"cause": "C"}


def test_assigned_variables_are_json_text_per_variable() -> None:
    result = execute(
        {"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"s": "string literal", "n": 1, "o.$": "$"},
                                          "End": True}}},
        {"a": [1]},
    )
    exited = result.history[2]["stateExitedEventDetails"]
    assert exited["assignedVariables"] == {"s": '"string literal"', "n": "1", "o": '{"a":[1]}'}
    assert exited["assignedVariablesDetails"] == {"truncated": False}
    parsed = result.history_values()[2]["stateExitedEventDetails"]["assignedVariables"]
    assert parsed == {"s": "string literal", "n": 1, "o": {"a": [1]}}


def test_no_assigned_variables_without_a_non_empty_assign() -> None:
    result = execute(
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {}, "Next": "B"},
                                    "B": {"Type": "Pass", "End": True}}},
        {},
    )
    for entry in result.history:
        details = entry.get("stateExitedEventDetails") or entry.get("stateEnteredEventDetails") or {}
        assert "assignedVariables" not in details
        assert "assignedVariablesDetails" not in details


def test_assigned_variables_never_on_entered_events() -> None:
    result = execute({"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"x": 1}, "End": True}}}, {})
    assert "assignedVariables" not in result.history[1]["stateEnteredEventDetails"]


def test_catch_assign_shows_on_the_task_exit() -> None:
    result = execute(
        {
            "StartAt": "T",
            "States": {
                "T": {"Type": "Task", "Resource": TASK, "End": True, "Assign": {"ok": True},
                      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C", "Assign": {"failed.$": "$.Error"}}]},
                "C": {"Type": "Pass", "End": True},
            },
        },
        {},
        {"T": [err("Boom")]},
    )
    exited = next(e for e in result.history if e["type"] == "TaskStateExited")
    assert exited["stateExitedEventDetails"]["assignedVariables"] == {"failed": '"Boom"'}


# ---------------------------------------------------------------- the 25,000-event limit

FOREVER = {
    "StartAt": "A",
    "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "S"}], "Default": "A"},
        "S": {"Type": "Succeed"},
    },
}


def counting_loop(iterations: int) -> dict[str, Any]:
    """1 + 4 events per iteration + 3: exactly 4 * iterations + 4 events when it ends."""
    return {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": iterations,
                                                 "Next": "S"}], "Default": "A"},
            "S": {"Type": "Succeed"},
        },
    }


def test_history_limit_fails_the_execution_at_event_25000() -> None:
    result = execute(FOREVER, {})
    assert len(result.history) == 25_000
    last = result.history[-1]
    assert (last["id"], last["previousEventId"], last["type"]) == (25_000, 24_999, "ExecutionFailed")
    assert last["executionFailedEventDetails"] == {
        "error": "States.Runtime",
        "cause": "The execution reached the maximum number of history events (25000).",
    }
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == "The execution reached the maximum number of history events (25000)."


def test_event_25000_may_be_execution_succeeded() -> None:
    result = execute(counting_loop(6249), {"n": 0})
    assert len(result.history) == 25_000
    assert result.status == "SUCCEEDED"
    assert result.output == {"n": 6249}


def test_one_event_more_fails() -> None:
    result = execute(counting_loop(6250), {"n": 0})
    assert len(result.history) == 25_000
    assert result.error == "States.Runtime"


def test_history_limit_none_runs_past_25000() -> None:
    result = execute(counting_loop(6300), {"n": 0}, history_limit=None)
    assert result.status == "SUCCEEDED"
    assert len(result.history) == 4 * 6300 + 4


def test_a_custom_history_limit() -> None:
    result = execute(FOREVER, {}, history_limit=50)
    assert len(result.history) == 50
    assert result.cause == "The execution reached the maximum number of history events (50)."


def test_branch_events_count_towards_the_limit() -> None:
    loop_in_branch = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [FOREVER]}}}
    result = execute(loop_in_branch, {}, history_limit=60)
    assert len(result.history) == 60
    assert result.history[-1]["type"] == "ExecutionFailed"


# ---------------------------------------------------------------- the 256 KiB payload limit

LIMIT_CAUSE = "returned a result with a size exceeding the maximum number of bytes service limit."


def test_oversized_pass_result_fails_with_the_state_name() -> None:
    result = execute({"StartAt": "State_1", "States": {"State_1": {"Type": "Pass", "Result": "x" * 262_200,
                                                                    "End": True}}}, {})
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
    assert result.cause == f"The state/task 'State_1' {LIMIT_CAUSE}"
    assert chain(result) == [(1, 0, "ExecutionStarted"), (2, 0, "PassStateEntered"), (3, 2, "ExecutionFailed")]


def test_oversized_task_result_names_the_resource_type() -> None:
    result = execute({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}}, {},
                     {"T": ["x" * 262_200]})
    assert result.cause == f"The state/task 'lambda' {LIMIT_CAUSE}"
    failed = next(e for e in result.history if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"] == {
        "resourceType": "lambda",
        "resource": "invoke",
        "error": "States.DataLimitExceeded",
        "cause": f"The state/task 'lambda' {LIMIT_CAUSE}",
    }


def test_oversized_lambda_arn_result_names_the_function_arn() -> None:
    result = execute({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA_ARN, "End": True}}}, {},
                     {"T": ["x" * 262_200]})
    assert result.cause == f"The state/task '{LAMBDA_ARN}' {LIMIT_CAUSE}"
    assert result.history[-2]["type"] == "LambdaFunctionFailed"


@pytest.mark.parametrize(("length", "status"), [(262_142, "SUCCEEDED"), (262_143, "FAILED")])
def test_the_limit_is_262144_bytes_of_compact_json(length: int, status: str) -> None:
    # A string of n ASCII characters is n + 2 bytes of JSON.
    result = execute({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "x" * length, "End": True}}}, {})
    assert result.status == status


@pytest.mark.parametrize(("count", "status"), [(131_071, "SUCCEEDED"), (131_072, "FAILED")])
def test_the_limit_counts_utf8_bytes(count: int, status: str) -> None:
    result = execute({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "é" * count, "End": True}}}, {})
    assert result.status == status


def test_payload_limits_can_be_switched_off() -> None:
    result = execute({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "x" * 300_000, "End": True}}}, {},
                     check_payload_limits=False)
    assert result.status == "SUCCEEDED"


def test_oversized_execution_input_is_refused_before_an_execution_exists() -> None:
    # AWS: StartExecution rejects it (input max length 262144); no execution, no history.
    interpreter = aslrun.Interpreter(clock="virtual", load_plugins=False)
    with pytest.raises(aslrun.InputError, match="262144"):
        interpreter.start({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, {"x": "y" * 262_200})


# ---------------------------------------------------------------- activities, service checks, Map evaluation

ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:Approve"


def test_an_activity_task_records_activity_events() -> None:
    machine = {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": ACTIVITY, "TimeoutSeconds": 60, "HeartbeatSeconds": 10, "End": True}}}
    result = execute(machine, {"order": 7}, {"Approve": [{"approved": True}]})
    assert [e["type"] for e in result.history] == [
        "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
        "TaskStateExited", "ExecutionSucceeded"]
    scheduled = result.history_values()[2]["activityScheduledEventDetails"]
    assert scheduled == {"resource": ACTIVITY, "input": {"order": 7}, "inputDetails": {"truncated": False},
                         "timeoutInSeconds": 60, "heartbeatInSeconds": 10}
    assert result.history_values()[4]["activitySucceededEventDetails"] == {
        "output": {"approved": True}, "outputDetails": {"truncated": False}}


def test_a_failed_activity_records_activity_failed() -> None:
    machine = {"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": ACTIVITY, "End": True}}}
    result = execute(machine, {}, {"Approve": [err("Rejected", "no")]})
    assert [e["type"] for e in result.history][-3:] == ["ActivityStarted", "ActivityFailed", "ExecutionFailed"]
    assert result.history[-2]["activityFailedEventDetails"] == {"error": "Rejected", "cause": "no"}


def test_api_gateway_headers_must_be_string_lists_before_the_task_is_scheduled() -> None:
    # AWS checks the parameters itself (recorded: test_invoke_with_headers_singleStringHeader), mocked or not
    machine = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::apigateway:invoke", "End": True,
        "Parameters": {"ApiEndpoint": "x.execute-api.us-east-1.amazonaws.com", "Method": "GET",
                       "Headers.$": "$.headers"}}}}
    bad = execute(machine, {"headers": {"custom": "one"}}, {"Call": [{"StatusCode": 200}]})
    assert [e["type"] for e in bad.history] == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert (bad.error, bad.cause) == ("States.Runtime", (
        "An error occurred while executing the state 'Call' (entered at the event id #2). The Parameters "
        "'{\"ApiEndpoint\":\"x.execute-api.us-east-1.amazonaws.com\",\"Method\":\"GET\",\"Headers\":{\"custom\":"
        "\"one\"}}' could not be used to start the Task: [The value of the field 'Headers' has an invalid format]"))
    good = execute(machine, {"headers": {"custom": ["one"]}}, {"Call": [{"StatusCode": 200}]})
    assert good.status == "SUCCEEDED"


@pytest.mark.parametrize("items", ["{% 1 %}", "{% 'text' %}", "{% {'a': 1} %}"])
def test_a_jsonata_map_whose_items_are_not_an_array_records_evaluation_failed_and_map_state_failed(
        items: str) -> None:
    machine = {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {
        "Type": "Map", "Items": items, "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    result = execute(machine, {})
    assert chain(result) == [(1, 0, "ExecutionStarted"), (2, 0, "MapStateEntered"), (3, 0, "EvaluationFailed"),
                             (4, 3, "MapStateFailed"), (5, 4, "ExecutionFailed")]
    assert result.history[2]["evaluationFailedEventDetails"]["location"] == "Items"


def test_a_jsonata_map_over_input_that_is_not_an_array_records_evaluation_failed_without_a_location() -> None:
    machine = {"QueryLanguage": "JSONata", "StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}}}
    result = execute(machine, None)
    details = result.history[2]["evaluationFailedEventDetails"]
    assert [e["type"] for e in result.history][2:] == ["EvaluationFailed", "MapStateFailed", "ExecutionFailed"]
    assert "location" not in details and details["state"] == "M"
    assert details["cause"].endswith("Map state input must be an array but was: {}")


def test_without_history_listeners_still_see_every_event_and_nothing_is_kept() -> None:
    loop = {"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 500, "Next": "End"}],
                  "Default": "Count"},
        "End": {"Type": "Succeed"}}}
    seen: list[tuple[int, str]] = []
    interpreter = aslrun.Interpreter(clock="virtual", load_plugins=False, keep_history=False)
    result = interpreter.run(loop, {"n": 0}, listeners=[lambda execution, event: seen.append((event.id, event.type))])
    assert result.status == "SUCCEEDED" and result.output == {"n": 500}
    assert result.history == []
    assert [i for i, _ in seen] == list(range(1, len(seen) + 1))  # ids as a kept history would have them
    assert seen[-1][1] == "ExecutionSucceeded" and len(seen) == 1 + 4 * 500 + 3


def test_without_history_the_event_limit_still_applies() -> None:
    forever = {"StartAt": "Again", "States": {
        "Again": {"Type": "Pass", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "End"}],
                  "Default": "Again"},
        "End": {"Type": "Succeed"}}}
    interpreter = aslrun.Interpreter(clock="virtual", load_plugins=False, keep_history=False, history_limit=100)
    result = interpreter.run(forever, {})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "maximum number of history events (100)" in (result.cause or "")
