"""Every state type run through aslrun.Interpreter: outputs, errors and history events.

Pass, Task (service integrations and Lambda ARNs), Choice, Wait, Succeed, Fail,
Parallel, inline and distributed Map, machine and Task timeouts, and aborting an
execution from a listener. Tasks run on a scripted fake integration defined here;
time is a frozen virtual clock, so waits show up only as timestamp gaps.
"""

from __future__ import annotations

from typing import Any

import pytest

import aslrun
from aslrun.effects import Event, Sleep
from aslrun.errors import StatesError
from aslrun.integrations.base import TaskRequest

TASK = "arn:aws:states:::lambda:invoke"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"
START = 1_700_000_000.0


class ScriptedIntegration:
    """A fake Task backend: per state name, results used in order.

    An item may be a StatesError (raised), a callable (called with the request; it may
    return a generator that yields Sleep effects) or a plain result. When a state's
    script is used up the task echoes its parameters.
    """

    name = "scripted"
    remote = False

    def __init__(self, script: dict[str, list[Any]] | None = None) -> None:
        self.script = {state: list(items) for state, items in (script or {}).items()}
        self.requests: list[TaskRequest] = []

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: TaskRequest) -> Any:
        self.requests.append(request)
        queue = self.script.get(request.state_name)
        if not queue:
            return request.parameters
        item = queue.pop(0)
        if isinstance(item, StatesError):
            raise StatesError(item.error, item.cause)
        if callable(item):
            return item(request)
        return item

    def calls(self, state: str) -> int:
        return sum(1 for r in self.requests if r.state_name == state)


def interpreter(fake: ScriptedIntegration, **settings: Any) -> aslrun.Interpreter:
    return aslrun.Interpreter(
        clock=aslrun.VirtualClock(start=START, frozen=True), integrations=[fake], load_plugins=False, seed=1,
        **settings,
    )


def execute(
    definition: dict[str, Any], input: Any = None, script: dict[str, list[Any]] | None = None
) -> tuple[aslrun.ExecutionResult, ScriptedIntegration]:
    fake = ScriptedIntegration(script)
    return interpreter(fake).run(definition, input), fake


def one(state: dict[str, Any], name: str = "S") -> dict[str, Any]:
    return {"StartAt": name, "States": {name: state}}


def types(result: aslrun.ExecutionResult) -> list[str]:
    return [e["type"] for e in result.history_values()]


def event(result: aslrun.ExecutionResult, type: str, n: int = 0) -> dict[str, Any]:
    matches = [e for e in result.history_values() if e["type"] == type]
    assert len(matches) > n, f"no {type} #{n} in {types(result)}"
    return matches[n]


def details(result: aslrun.ExecutionResult, type: str, n: int = 0) -> Any:
    ev = event(result, type, n)
    keys = [k for k in ev if k.endswith("EventDetails")]
    return ev[keys[0]] if keys else None


def stamp(result: aslrun.ExecutionResult, type: str, n: int = 0) -> float:
    return [e for e in result.events if e.type == type][n].timestamp  # type: ignore[no-any-return]


def err(name: str, cause: str = "cause") -> StatesError:
    return StatesError(name, cause)


def sleeper(seconds: float, result: Any = None) -> Any:
    def invoke(request: TaskRequest) -> Any:
        yield Sleep(seconds)
        return result if result is not None else {"slept": seconds}

    return invoke


def runtime_cause(state: str, text: str, entered: int = 2) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #{entered}). {text}"


# ---------------------------------------------------------------- Pass


def test_pass_without_result_passes_its_input() -> None:
    result, _ = execute(one({"Type": "Pass", "End": True}), {"a": [1]})
    assert result.output == {"a": [1]}
    assert types(result) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]


def test_pass_result_is_the_output() -> None:
    result, _ = execute(one({"Type": "Pass", "Result": {"fixed": True}, "End": True}), {"a": 1})
    assert result.output == {"fixed": True}
    assert details(result, "PassStateExited") == {
        "name": "S",
        "output": {"fixed": True},
        "outputDetails": {"truncated": False},
    }


def test_pass_result_at_a_result_path() -> None:
    result, _ = execute(one({"Type": "Pass", "Result": "r", "ResultPath": "$.res", "End": True}), {"a": 1})
    assert result.output == {"a": 1, "res": "r"}


def test_pass_parameters() -> None:
    result, _ = execute(one({"Type": "Pass", "Parameters": {"b.$": "$.a", "c": 2}, "End": True}), {"a": 1})
    assert result.output == {"b": 1, "c": 2}


def test_pass_with_any_json_input() -> None:
    for value in ["HelloWorld", 0.0, True, None, [1, "2"]]:
        result, _ = execute(one({"Type": "Pass", "End": True}), value)
        assert result.output == (value if value is not None else {})


# ---------------------------------------------------------------- Task


def test_task_success_events_and_details() -> None:
    result, fake = execute(
        one({"Type": "Task", "Resource": TASK, "Parameters": {"p.$": "$.a"}, "End": True}, "T"),
        {"a": 1},
        {"T": [{"Payload": "ok"}]},
    )
    assert result.output == {"Payload": "ok"}
    assert types(result) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert details(result, "TaskScheduled") == {
        "resourceType": "lambda",
        "resource": "invoke",
        "region": "us-east-1",
        "parameters": {"p": 1},
    }
    assert details(result, "TaskStarted") == {"resourceType": "lambda", "resource": "invoke"}
    assert details(result, "TaskSucceeded") == {
        "resourceType": "lambda",
        "resource": "invoke",
        "output": {"Payload": "ok"},
        "outputDetails": {"truncated": False},
    }
    request = fake.requests[0]
    assert (request.state_name, request.parameters, request.resource.arn) == ("T", {"p": 1}, TASK)


def test_task_failure_uncaught_has_no_exit_event() -> None:
    result, _ = execute(one({"Type": "Task", "Resource": TASK, "End": True}, "T"), {}, {"T": [err("Boom", "why")]})
    assert (result.status, result.error, result.cause) == ("FAILED", "Boom", "why")
    assert types(result)[-3:] == ["TaskStarted", "TaskFailed", "ExecutionFailed"]
    assert details(result, "TaskFailed") == {
        "resourceType": "lambda",
        "resource": "invoke",
        "error": "Boom",
        "cause": "why",
    }
    assert details(result, "ExecutionFailed") == {"error": "Boom", "cause": "why"}


def test_task_failure_caught_exits_the_state_then_enters_the_target() -> None:
    result, _ = execute(
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
    assert types(result)[4:8] == ["TaskFailed", "TaskStateExited", "PassStateEntered", "PassStateExited"]


def test_lambda_arn_resource_uses_lambda_function_events() -> None:
    result, _ = execute(
        one({"Type": "Task", "Resource": LAMBDA_ARN, "TimeoutSeconds": 30, "End": True}, "T"),
        {"in": 1},
        {"T": [{"out": 2}]},
    )
    assert types(result) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert details(result, "LambdaFunctionScheduled") == {
        "resource": LAMBDA_ARN,
        "input": {"in": 1},
        "inputDetails": {"truncated": False},
        "timeoutInSeconds": 30,
    }
    assert details(result, "LambdaFunctionStarted") is None
    assert details(result, "LambdaFunctionSucceeded") == {"output": {"out": 2}, "outputDetails": {"truncated": False}}


def test_lambda_arn_failure() -> None:
    result, _ = execute(one({"Type": "Task", "Resource": LAMBDA_ARN, "End": True}, "T"), {}, {"T": [err("E", "c")]})
    assert types(result)[-2:] == ["LambdaFunctionFailed", "ExecutionFailed"]
    assert details(result, "LambdaFunctionFailed") == {"error": "E", "cause": "c"}


@pytest.mark.parametrize(
    ("resource", "resource_type", "name"),
    [
        ("arn:aws:states:::eks:runJob.sync", "eks", "runJob.sync"),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs", "sendMessage.waitForTaskToken"),
        ("arn:aws:states:::states:startExecution.sync:2", "states", "startExecution.sync:2"),
        ("arn:aws:states:::dynamodb:putItem", "dynamodb", "putItem"),
        ("arn:aws:states:::aws-sdk:s3:getObject", "aws-sdk:s3", "getObject"),
        ("arn:aws:states:::aws-sdk:sfn:sendTaskSuccess", "aws-sdk:sfn", "sendTaskSuccess"),
    ],
)
def test_task_events_name_the_resource_type_and_api(resource: str, resource_type: str, name: str) -> None:
    result, _ = execute(one({"Type": "Task", "Resource": resource, "End": True}, "T"), {}, {"T": [{}]})
    scheduled = details(result, "TaskScheduled")
    assert (scheduled["resourceType"], scheduled["resource"]) == (resource_type, name)
    assert details(result, "TaskStarted") == {"resourceType": resource_type, "resource": name}


def test_timeout_and_heartbeat_appear_in_task_scheduled_only_when_set() -> None:
    result, _ = execute(
        one({"Type": "Task", "Resource": TASK, "TimeoutSecondsPath": "$.t", "HeartbeatSeconds": 5, "End": True}, "T"),
        {"t": 60},
    )
    scheduled = details(result, "TaskScheduled")
    assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (60, 5)
    plain, _ = execute(one({"Type": "Task", "Resource": TASK, "End": True}, "T"), {})
    assert "timeoutInSeconds" not in details(plain, "TaskScheduled")
    assert "heartbeatInSeconds" not in details(plain, "TaskScheduled")


def test_missing_timeout_seconds_path_is_a_runtime_error() -> None:
    result, fake = execute(
        one({"Type": "Task", "Resource": TASK, "TimeoutSecondsPath": "$.NoSuchTimeoutSecondsPath", "End": True}, "T"),
        {},
    )
    assert result.error == "States.Runtime"
    assert result.cause == runtime_cause(
        "T", "Invalid path '$.NoSuchTimeoutSecondsPath' : No results for path: $['NoSuchTimeoutSecondsPath']"
    )
    assert fake.requests == []


def test_task_timeout_when_the_integration_takes_too_long() -> None:
    result, _ = execute(
        one({"Type": "Task", "Resource": TASK, "TimeoutSeconds": 3, "End": True}, "T"), {}, {"T": [sleeper(100)]}
    )
    assert (result.status, result.error, result.cause) == ("FAILED", "States.Timeout", None)
    assert types(result)[-3:] == ["TaskStarted", "TaskTimedOut", "ExecutionFailed"]
    assert details(result, "TaskTimedOut") == {"resourceType": "lambda", "resource": "invoke", "error": "States.Timeout"}
    assert details(result, "ExecutionFailed") == {"error": "States.Timeout"}
    assert stamp(result, "TaskTimedOut") - stamp(result, "TaskStarted") == pytest.approx(3.0)


def test_task_within_its_timeout_succeeds_after_the_integration_sleeps() -> None:
    result, _ = execute(
        one({"Type": "Task", "Resource": TASK, "TimeoutSeconds": 30, "End": True}, "T"), {}, {"T": [sleeper(10)]}
    )
    assert result.output == {"slept": 10}
    assert stamp(result, "TaskSucceeded") - stamp(result, "TaskStarted") == pytest.approx(10.0)


def test_lambda_arn_timeout() -> None:
    result, _ = execute(
        one({"Type": "Task", "Resource": LAMBDA_ARN, "TimeoutSeconds": 3, "End": True}, "T"), {}, {"T": [sleeper(9)]}
    )
    assert types(result)[-2:] == ["LambdaFunctionTimedOut", "ExecutionFailed"]
    assert details(result, "LambdaFunctionTimedOut") == {"error": "States.Timeout"}


# ---------------------------------------------------------------- Choice

CHOICE = {
    "StartAt": "C",
    "States": {
        "C": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.n", "NumericEquals": 1, "Next": "One", "Assign": {"picked": "rule"}},
                {"Variable": "$.n", "NumericEquals": 2, "Next": "Two"},
            ],
            "Default": "Other",
            "Assign": {"picked": "state"},
        },
        "One": {"Type": "Pass", "Result": "one", "End": True},
        "Two": {"Type": "Pass", "Result": "two", "End": True},
        "Other": {"Type": "Pass", "Result": "other", "End": True},
    },
}


def test_choice_rule_assign_replaces_the_state_assign() -> None:
    result, _ = execute(CHOICE, {"n": 1})
    assert (result.output, result.variables) == ("one", {"picked": "rule"})
    assert details(result, "ChoiceStateExited")["assignedVariables"] == {"picked": "rule"}


def test_choice_rule_without_assign_still_skips_the_state_assign() -> None:
    result, _ = execute(CHOICE, {"n": 2})
    assert (result.output, result.variables) == ("two", {})
    assert "assignedVariables" not in details(result, "ChoiceStateExited")


def test_choice_default_runs_the_state_assign() -> None:
    result, _ = execute(CHOICE, {"n": 9})
    assert (result.output, result.variables) == ("other", {"picked": "state"})


def test_choice_output_is_its_input_after_input_and_output_path() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "InputPath": "$.in",
                "OutputPath": "$.keep",
                "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "E"}],
            },
            "E": {"Type": "Succeed"},
        },
    }
    result, _ = execute(definition, {"in": {"n": 1, "keep": "k"}})
    assert result.output == "k"


def test_choice_without_match_or_default_fails_with_states_runtime() -> None:
    definition = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "E"}]},
            "E": {"Type": "Succeed"},
        },
    }
    result, _ = execute(definition, {"n": 2})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == runtime_cause(
        "C", "Failed to transition out of the state. The state does not point to a next state."
    )
    assert types(result) == ["ExecutionStarted", "ChoiceStateEntered", "ExecutionFailed"]


def test_choice_variable_that_does_not_resolve_fails_even_with_a_default() -> None:
    result, _ = execute(CHOICE, {"other": 1})
    assert result.error == "States.Runtime"
    assert result.cause == runtime_cause(
        "C", "Invalid path '$.n': The choice state's condition path references an invalid value."
    )


# ---------------------------------------------------------------- Wait


def wait(**fields: Any) -> dict[str, Any]:
    return one({"Type": "Wait", "End": True, **fields}, "W")


def waited(result: aslrun.ExecutionResult) -> float:
    return stamp(result, "WaitStateExited") - stamp(result, "WaitStateEntered")


def test_wait_seconds() -> None:
    result, _ = execute(wait(Seconds=10), {"a": 1})
    assert result.output == {"a": 1}
    assert waited(result) == pytest.approx(10.0)
    assert types(result) == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"]


@pytest.mark.parametrize("seconds", [0, 5, 86_400])
def test_wait_seconds_path(seconds: int) -> None:
    result, _ = execute(wait(SecondsPath="$.s"), {"s": seconds})
    assert waited(result) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.5, "The SecondsPath parameter cannot be parsed as a long value: $.s == 1.5"),
        (-1.5, "The SecondsPath parameter cannot be parsed as a long value: $.s == -1.5"),
        (-1, "The SecondsPath parameter references a negative value: $.s == -1"),
    ],
)
def test_wait_seconds_path_errors(value: Any, text: str) -> None:
    result, _ = execute(wait(SecondsPath="$.s"), {"s": value})
    assert (result.error, result.cause) == ("States.Runtime", runtime_cause("W", text))
    assert types(result) == ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]


def test_wait_seconds_path_missing() -> None:
    result, _ = execute(wait(SecondsPath="$.s"), {})
    assert result.cause == runtime_cause("W", "Invalid path '$.s' : No results for path: $['s']")


def test_wait_timestamp_in_the_future_ends_at_that_moment() -> None:
    result, _ = execute(wait(Timestamp="2023-11-14T22:15:00Z"), {})  # START is 2023-11-14T22:13:20Z
    assert waited(result) == pytest.approx(100.0)


def test_wait_timestamp_in_the_past_does_not_wait() -> None:
    result, _ = execute(wait(Timestamp="2016-03-14T01:59:00Z"), {})
    assert result.status == "SUCCEEDED"
    assert waited(result) == 0.0


@pytest.mark.parametrize("text", ["2023-11-14T22:13:30Z", "2023-11-14T22:13:30.00Z", "2023-11-14T22:13:30.243167252Z"])
def test_wait_timestamp_path_accepts_any_fraction(text: str) -> None:
    result, _ = execute(wait(TimestampPath="$.t"), {"t": text})
    assert result.status == "SUCCEEDED"
    assert waited(result) == pytest.approx(10.0, abs=0.25)


@pytest.mark.parametrize("value", ["2016-12-05T21:29:29", "2016-12-05 21:29:29Z", "2016-13-05T21:29:29Z", 5])
def test_wait_timestamp_path_invalid(value: Any) -> None:
    result, _ = execute(wait(TimestampPath="$.t"), {"t": value})
    assert result.error == "States.Runtime"
    assert result.cause == runtime_cause(
        "W",
        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "
        f"$.t == {value}",
    )


def test_wait_of_2_to_the_31_seconds_or_more_is_too_long() -> None:
    # Recorded on AWS: 24,855 days are accepted, 24,856 days are not.
    result, _ = execute(wait(SecondsPath="$.s"), {"s": 24_856 * 86_400})
    assert (result.error, result.cause) == ("States.Runtime", runtime_cause("W", "Wait state delay is too long."))


def test_a_standard_execution_times_out_after_one_year() -> None:
    # AWS quota: a Standard execution runs at most one year, then fails with States.Timeout.
    result, _ = execute(wait(SecondsPath="$.s"), {"s": 24_855 * 86_400})
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert stamp(result, "ExecutionTimedOut") - START <= 366 * 86_400


def test_wait_output_path_and_input_path() -> None:
    result, _ = execute(wait(Seconds=1, InputPath="$.a", OutputPath="$.b"), {"a": {"b": 2}})
    assert result.output == 2


# ---------------------------------------------------------------- Succeed and Fail


def test_succeed_output_after_input_and_output_path() -> None:
    result, _ = execute(one({"Type": "Succeed", "InputPath": "$.a", "OutputPath": "$.b"}), {"a": {"b": [1]}})
    assert result.output == [1]
    assert types(result) == ["ExecutionStarted", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]


def test_fail_with_error_and_cause() -> None:
    result, _ = execute(one({"Type": "Fail", "Error": "MyError", "Cause": "my cause"}), {})
    assert (result.status, result.error, result.cause) == ("FAILED", "MyError", "my cause")
    assert types(result) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]


def test_fail_without_error_or_cause() -> None:
    result, _ = execute(one({"Type": "Fail"}), {})
    assert (result.status, result.error, result.cause) == ("FAILED", None, None)
    assert details(result, "ExecutionFailed") == {}


def test_fail_error_path_and_cause_path_with_an_intrinsic() -> None:
    result, _ = execute(
        one({"Type": "Fail", "ErrorPath": "$.code", "CausePath": "States.Format('item {} failed: {}', $.id, $.why)"}),
        {"code": "Bad.Item", "id": 7, "why": "too big"},
    )
    assert (result.error, result.cause) == ("Bad.Item", "item 7 failed: too big")


def test_fail_error_path_missing_is_a_runtime_error() -> None:
    result, _ = execute(one({"Type": "Fail", "ErrorPath": "$.code", "Cause": "c"}, "F"), {"n": 3})
    assert result.error == "States.Runtime"
    assert result.cause == runtime_cause(
        "F", "The JSONPath '$.code' specified for the field 'ErrorPath' could not be found in the input '{\"n\":3}'"
    )


# ---------------------------------------------------------------- Parallel


def parallel(*branches: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Parallel", "Branches": list(branches), "End": True, **fields}


def branch(name: str, state: dict[str, Any]) -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"End": True, **state} if state["Type"] not in ("Fail", "Succeed")
                                        else state}}


def test_parallel_results_are_in_branch_order_not_completion_order() -> None:
    result, _ = execute(
        one(
            parallel(
                branch("Slow", {"Type": "Wait", "Seconds": 5, "OutputPath": "$.a"}),
                branch("Fast", {"Type": "Pass", "Result": "fast"}),
                branch("Task", {"Type": "Task", "Resource": TASK}),
            ),
            "P",
        ),
        {"a": "slow"},
        {"Task": [sleeper(2, "task")]},
    )
    assert result.output == ["slow", "fast", "task"]
    assert types(result)[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]


def test_parallel_branches_get_the_effective_input_and_result_processing_applies_to_the_array() -> None:
    result, _ = execute(
        one(
            parallel(
                branch("A", {"Type": "Pass"}),
                branch("B", {"Type": "Pass", "Parameters": {"b.$": "$.v"}}),
                InputPath="$.in",
                Parameters={"v.$": "$.x"},
                ResultSelector={"first.$": "$[0]", "second.$": "$[1].b"},
                ResultPath="$.out",
            ),
            "P",
        ),
        {"in": {"x": 1}},
    )
    assert result.output == {"in": {"x": 1}, "out": {"first": {"v": 1}, "second": 1}}


def test_parallel_succeed_in_a_branch_ends_only_that_branch() -> None:
    result, _ = execute(
        one(parallel(branch("Done", {"Type": "Succeed"}), branch("Other", {"Type": "Pass", "Result": 2})), "P"), 1
    )
    assert result.output == [1, 2]


def test_parallel_branch_failure_reaches_the_catch_with_the_branch_error() -> None:
    result, _ = execute(
        {
            "StartAt": "P",
            "States": {
                "P": parallel(
                    branch("W", {"Type": "Wait", "Seconds": 10}),
                    branch("B", {"Type": "Task", "Resource": TASK}),
                    Catch=[{"ErrorEquals": ["States.ALL"], "Next": "C", "ResultPath": "$.err"}],
                ),
                "C": {"Type": "Pass", "End": True},
            },
        },
        {"x": 1},
        {"B": [err("Boom", "bad")]},
    )
    assert result.output == {"x": 1, "err": {"Error": "Boom", "Cause": "bad"}}
    assert "WaitStateAborted" in types(result)
    assert "WaitStateExited" not in types(result)


def test_parallel_failure_events_follow_aws() -> None:
    # Research §3: the failing Task gets TaskStateAborted, the running Wait gets WaitStateAborted,
    # both before ParallelStateFailed; then ParallelStateExited (caught) and the catch target.
    result, _ = execute(
        {
            "StartAt": "P",
            "States": {
                "P": parallel(
                    branch("W", {"Type": "Wait", "Seconds": 10}),
                    branch("B", {"Type": "Task", "Resource": TASK}),
                    Catch=[{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                ),
                "C": {"Type": "Pass", "End": True},
            },
        },
        {},
        {"B": [err("Boom")]},
    )
    seen = types(result)
    failed_at, parallel_failed_at = seen.index("TaskFailed"), seen.index("ParallelStateFailed")
    assert sorted(seen[failed_at + 1 : parallel_failed_at]) == ["TaskStateAborted", "WaitStateAborted"]
    assert seen[parallel_failed_at:] == [
        "ParallelStateFailed",
        "ParallelStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_parallel_uncaught_fail_state_fails_the_execution_with_its_error() -> None:
    result, _ = execute(
        one(parallel(branch("F", {"Type": "Fail", "Error": "MyError", "Cause": "my cause"}),
                     branch("Q", {"Type": "Pass"})), "P"),
        {},
    )
    assert (result.status, result.error, result.cause) == ("FAILED", "MyError", "my cause")
    assert types(result)[-2:] == ["ParallelStateFailed", "ExecutionFailed"]
    assert "States.BranchFailed" not in str(result.history)


def test_parallel_runtime_error_in_a_branch_has_no_parallel_state_failed() -> None:
    result, _ = execute(one(parallel(branch("Bad", {"Type": "Pass", "InputPath": "$.nope"})), "P"), {})
    assert result.error == "States.Runtime"
    assert result.cause == runtime_cause("Bad", "Invalid path '$.nope' : No results for path: $['nope']", 4)
    assert types(result) == [
        "ExecutionStarted",
        "ParallelStateEntered",
        "ParallelStateStarted",
        "PassStateEntered",
        "ExecutionFailed",
    ]


def test_parallel_result_selector_failure_after_the_branches_succeeded() -> None:
    result, _ = execute(
        one(parallel(branch("A", {"Type": "Pass"}), ResultSelector={"x.$": "$[5]"}), "P"), {}
    )
    assert result.error == "States.Runtime"
    assert result.cause is not None and result.cause.startswith(
        "An error occurred while executing the state 'P' (entered at the event id #2). "
    )
    assert types(result)[-2:] == ["ParallelStateSucceeded", "ExecutionFailed"]


def test_parallel_retry_reruns_every_branch_and_emits_parallel_state_started_again() -> None:
    result, fake = execute(
        one(
            parallel(
                branch("A", {"Type": "Task", "Resource": TASK}),
                branch("B", {"Type": "Task", "Resource": TASK}),
                Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 2, "IntervalSeconds": 1}],
            ),
            "P",
        ),
        {},
        {"B": [err("Boom"), {"b": 2}], "A": [{"a": 1}, {"a": "again"}]},
    )
    assert result.output == [{"a": "again"}, {"b": 2}]
    assert (fake.calls("A"), fake.calls("B")) == (2, 2)
    assert types(result).count("ParallelStateStarted") == 2
    assert types(result).count("ParallelStateEntered") == 1
    # No ParallelStateFailed between attempts (it comes once, when the retries are used up).
    assert "ParallelStateFailed" not in types(result)


# ---------------------------------------------------------------- inline Map


def map_state(processor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}


PASS_ITEM = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
TASK_ITEM = {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": TASK, "End": True}}}


def test_map_results_are_in_item_order() -> None:
    result, _ = execute(
        one(map_state({"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": True}}}), "M"),
        [30, 1, 10, 0],
    )
    assert result.output == [30, 1, 10, 0]


def test_map_items_path_and_item_selector() -> None:
    result, _ = execute(
        one(
            map_state(PASS_ITEM, ItemsPath="$.data.items",
                      ItemSelector={"item.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "ctx.$": "$.ctx"}),
            "M",
        ),
        {"data": {"items": ["a", "b"]}, "ctx": "c"},
    )
    assert result.output == [{"item": "a", "i": 0, "ctx": "c"}, {"item": "b", "i": 1, "ctx": "c"}]


def test_legacy_iterator_and_parameters() -> None:
    result, _ = execute(
        one(
            {"Type": "Map", "Iterator": PASS_ITEM, "Parameters": {"v.$": "$$.Map.Item.Value"}, "End": True},
            "M",
        ),
        [1, 2],
    )
    assert result.output == [{"v": 1}, {"v": 2}]


def test_map_items_that_are_not_an_array_fail() -> None:
    result, _ = execute(one(map_state(PASS_ITEM, ItemsPath="$.items"), "M"), {"items": {"a": 1}})
    assert result.error == "States.Runtime"
    assert result.cause is not None
    assert result.cause.endswith('Map state input must be an array but was: {"a":1}')


def test_map_max_concurrency_one_runs_items_one_after_another() -> None:
    result, fake = execute(one(map_state(TASK_ITEM, MaxConcurrency=1), "M"), [1, 2, 3])
    assert result.output == [1, 2, 3]
    assert [r.parameters for r in fake.requests] == [1, 2, 3]
    iteration_events = [t for t in types(result) if t.startswith("MapIteration")]
    assert iteration_events == ["MapIterationStarted", "MapIterationSucceeded"] * 3
    indexes = [e["mapIterationStartedEventDetails"]["index"] for e in result.history_values()
               if e["type"] == "MapIterationStarted"]
    assert indexes == [0, 1, 2]


def test_map_events_on_success() -> None:
    result, _ = execute(one(map_state(PASS_ITEM, MaxConcurrency=1), "M"), ["x"])
    assert types(result) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapIterationStarted",
        "PassStateEntered",
        "PassStateExited",
        "MapIterationSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    assert details(result, "MapStateStarted") == {"length": 1}
    assert details(result, "MapIterationStarted") == {"index": 0, "name": "M"}
    assert details(result, "MapIterationSucceeded") == {"index": 0, "name": "M"}


def test_map_empty_array() -> None:
    result, _ = execute(one(map_state(PASS_ITEM), "M"), [])
    assert result.output == []
    assert types(result) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    assert details(result, "MapStateStarted") == {"length": 0}


FAIL_ON_TWO = {
    "StartAt": "Check",
    "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Bad"}], "Default": "Ok"},
        "Bad": {"Type": "Fail", "Error": "Boom", "Cause": "two"},
        "Ok": {"Type": "Succeed"},
    },
}


def test_map_iteration_failure_fails_the_map_with_the_iteration_error() -> None:
    result, _ = execute(one(map_state(FAIL_ON_TWO, MaxConcurrency=1), "M"), [1, 2, 3])
    assert (result.error, result.cause) == ("Boom", "two")
    assert types(result)[-4:] == ["FailStateEntered", "MapIterationFailed", "MapStateFailed", "ExecutionFailed"]
    assert details(result, "MapIterationFailed") == {"index": 1, "name": "M"}
    # With MaxConcurrency 1 the third item never started.
    assert types(result).count("MapIterationStarted") == 2


def test_map_iteration_failure_is_caught_on_the_map() -> None:
    result, _ = execute(
        {
            "StartAt": "M",
            "States": {
                "M": map_state(FAIL_ON_TWO, ItemsPath="$.items",
                               Catch=[{"ErrorEquals": ["Boom"], "Next": "C", "ResultPath": "$.e"}]),
                "C": {"Type": "Pass", "End": True},
            },
        },
        {"items": [1, 2]},
    )
    assert result.output == {"items": [1, 2], "e": {"Error": "Boom", "Cause": "two"}}
    assert types(result)[-5:-2] == ["MapStateFailed", "MapStateExited", "PassStateEntered"]


def test_map_retry_reruns_every_iteration_and_emits_map_state_started_again() -> None:
    result, fake = execute(
        one(map_state(TASK_ITEM, MaxConcurrency=1, Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 1}]), "M"),
        ["a", "b"],
        {"I": ["first", err("Boom"), "first again", "second"]},
    )
    assert result.output == ["first again", "second"]
    assert fake.calls("I") == 4
    assert types(result).count("MapStateStarted") == 2
    assert types(result).count("MapStateEntered") == 1
    assert "MapStateFailed" not in types(result)


def test_map_runtime_error_in_an_iteration_has_no_map_failed_events() -> None:
    result, _ = execute(
        one(map_state({"StartAt": "Bad", "States": {"Bad": {"Type": "Pass", "InputPath": "$.nope", "End": True}}}),
            "M"),
        [{}],
    )
    assert result.error == "States.Runtime"
    assert "MapIterationFailed" not in types(result)
    assert "MapStateFailed" not in types(result)


# ---------------------------------------------------------------- distributed Map

DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}


def distributed(processor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return map_state({**processor, "ProcessorConfig": DISTRIBUTED}, **fields)


def test_distributed_map_success_events() -> None:
    result, _ = execute(one(distributed(PASS_ITEM), "M"), [1, 2])
    assert result.output == [1, 2]
    assert types(result) == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapStateStarted",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    arn = details(result, "MapRunStarted")["mapRunArn"]
    assert arn.startswith("arn:aws:states:us-east-1:111111111111:mapRun:StateMachine/M:")


def test_distributed_map_label_names_the_map_run() -> None:
    result, _ = execute(one(distributed(PASS_ITEM, Label="my-label"), "M"), [1])
    assert details(result, "MapRunStarted")["mapRunArn"].startswith(
        "arn:aws:states:us-east-1:111111111111:mapRun:StateMachine/my-label:"
    )


def test_distributed_map_failure_over_the_default_tolerance_of_zero() -> None:
    result, _ = execute(one(distributed(FAIL_ON_TWO), "M"), [1, 2])
    assert (result.error, result.cause) == (
        "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded",
    )
    assert types(result)[-3:] == ["MapRunFailed", "MapStateFailed", "ExecutionFailed"]
    assert details(result, "MapRunFailed") == {
        "error": "States.ExceedToleratedFailureThreshold",
        "cause": "The specified tolerated failure threshold was exceeded",
    }


def test_distributed_map_tolerated_failure_count() -> None:
    ok, _ = execute(one(distributed(FAIL_ON_TWO, ToleratedFailureCount=1), "M"), [1, 2, 3])
    assert ok.status == "SUCCEEDED"
    # Not recorded from AWS (research §4): aslrun puts each failed item's error output in its place.
    assert ok.output == [1, {"Error": "Boom", "Cause": "two"}, 3]
    over, _ = execute(one(distributed(FAIL_ON_TWO, ToleratedFailureCount=1), "M"), [2, 2, 3])
    assert over.error == "States.ExceedToleratedFailureThreshold"


@pytest.mark.parametrize(("items", "status"), [([1, 2, 3, 2], "SUCCEEDED"), ([2, 2, 3, 2], "FAILED")])
def test_distributed_map_tolerated_failure_percentage(items: list[int], status: str) -> None:
    result, _ = execute(one(distributed(FAIL_ON_TWO, ToleratedFailurePercentage=50), "M"), items)
    assert result.status == status


def test_distributed_map_percentage_100_never_fails_for_items() -> None:
    result, _ = execute(one(distributed(FAIL_ON_TWO, ToleratedFailurePercentage=100), "M"), [2, 2])
    assert result.status == "SUCCEEDED"


def test_distributed_map_threshold_failure_can_be_caught() -> None:
    result, _ = execute(
        {
            "StartAt": "M",
            "States": {
                "M": distributed(FAIL_ON_TWO, Catch=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"],
                                                      "Next": "C"}]),
                "C": {"Type": "Pass", "End": True},
            },
        },
        [2],
    )
    assert result.output == {
        "Error": "States.ExceedToleratedFailureThreshold",
        "Cause": "The specified tolerated failure threshold was exceeded",
    }


@pytest.mark.parametrize(
    ("fields", "cause"),
    [
        ({"ToleratedFailureCountPath": "$.c"}, "ToleratedFailureCount cannot be negative."),
        ({"ToleratedFailurePercentagePath": "$.c"}, "ToleratedFailurePercentage must be between 0 and 100."),
    ],
)
def test_distributed_map_bad_tolerance_values(fields: dict[str, Any], cause: str) -> None:
    result, _ = execute(one(distributed(PASS_ITEM, ItemsPath="$.items", **fields), "M"), {"items": [1], "c": -1})
    assert (result.error, result.cause) == ("States.Runtime", runtime_cause("M", cause))


def test_bad_tolerance_values_fail_after_map_state_started() -> None:
    # Recorded on AWS: MapStateEntered -> MapStateStarted -> ExecutionFailed, no MapStateFailed.
    result, _ = execute(
        one(distributed(PASS_ITEM, ItemsPath="$.items", ToleratedFailureCountPath="$.c"), "M"), {"items": [1], "c": -1}
    )
    assert types(result) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "ExecutionFailed"]


def test_item_batcher_groups_items_with_batch_input() -> None:
    result, fake = execute(
        one(
            distributed(
                {"StartAt": "I", "States": {"I": {"Type": "Task", "Resource": TASK, "End": True}}},
                ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"job": "j1"}},
            ),
            "M",
        ),
        [1, 2, 3, 4, 5],
    )
    assert [r.parameters for r in fake.requests] == [
        {"Items": [1, 2], "BatchInput": {"job": "j1"}},
        {"Items": [3, 4], "BatchInput": {"job": "j1"}},
        {"Items": [5], "BatchInput": {"job": "j1"}},
    ]
    assert details(result, "MapStateStarted") == {"length": 3}


def test_item_batcher_without_batch_input() -> None:
    result, _ = execute(one(distributed(PASS_ITEM, ItemBatcher={"MaxItemsPerBatch": 3}), "M"), [1, 2, 3, 4])
    assert result.output == [{"Items": [1, 2, 3]}, {"Items": [4]}]


# ---------------------------------------------------------------- execution timeout and abort


def test_machine_timeout_ends_the_execution_timed_out() -> None:
    definition = {"StartAt": "W", "TimeoutSeconds": 5, "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    result, _ = execute(definition, {})
    assert (result.status, result.error, result.cause) == ("TIMED_OUT", "States.Timeout", None)
    assert types(result) == ["ExecutionStarted", "WaitStateEntered", "ExecutionTimedOut"]
    timed_out = event(result, "ExecutionTimedOut")
    assert timed_out["executionTimedOutEventDetails"] == {"error": "States.Timeout"}
    assert timed_out["previousEventId"] == 0
    assert stamp(result, "ExecutionTimedOut") == pytest.approx(START + 5)


def test_machine_timeout_cuts_a_retry_backoff() -> None:
    definition = {
        "StartAt": "T",
        "TimeoutSeconds": 5,
        "States": {"T": {"Type": "Task", "Resource": TASK, "End": True,
                         "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 100}]}},
    }
    result, fake = execute(definition, {}, {"T": [err("Boom"), {"never": True}]})
    assert result.status == "TIMED_OUT"
    assert fake.calls("T") == 1
    assert stamp(result, "ExecutionTimedOut") == pytest.approx(START + 5)


def test_machine_timeout_not_reached() -> None:
    definition = {"StartAt": "W", "TimeoutSeconds": 5, "States": {"W": {"Type": "Wait", "Seconds": 4, "End": True}}}
    result, _ = execute(definition, {})
    assert result.status == "SUCCEEDED"


def abort_on(type: str) -> Any:
    def listener(execution: aslrun.Execution, ev: Event) -> None:
        if ev.type == type:
            execution.abort()

    return listener


def test_abort_from_a_listener_aborts_a_running_wait() -> None:
    fake = ScriptedIntegration()
    execution = interpreter(fake).start(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}},
        {},
        listeners=[abort_on("WaitStateEntered")],
    )
    result = execution.run()
    assert (result.status, result.error, result.cause) == ("ABORTED", None, None)
    assert types(result) == ["ExecutionStarted", "WaitStateEntered", "WaitStateAborted", "ExecutionAborted"]


def test_abort_stops_every_branch_of_a_parallel() -> None:
    fake = ScriptedIntegration()
    execution = interpreter(fake).start(
        one(parallel(branch("W", {"Type": "Wait", "Seconds": 10}), branch("Q", {"Type": "Pass"})), "P"),
        {},
        listeners=[abort_on("PassStateEntered")],
    )
    result = execution.run()
    assert result.status == "ABORTED"
    assert "WaitStateAborted" in types(result)
    assert types(result)[-2:] == ["ParallelStateAborted", "ExecutionAborted"]
    assert "WaitStateExited" not in types(result)


def test_abort_while_a_task_runs() -> None:
    fake = ScriptedIntegration({"T": [sleeper(50)]})
    execution = interpreter(fake).start(
        one({"Type": "Task", "Resource": TASK, "End": True}, "T"), {}, listeners=[abort_on("TaskStarted")]
    )
    result = execution.run()
    assert result.status == "ABORTED"
    assert types(result)[-2:] == ["TaskStateAborted", "ExecutionAborted"]


# ---------------------------------------------------------------- extreme numbers in time fields


@pytest.mark.parametrize("seconds", [10**400, 1e308, 2**63, -(2**63) - 1])
def test_a_seconds_path_outside_the_java_long_range_is_not_a_long(seconds: Any) -> None:
    machine = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}}
    result = aslrun.run(machine, {"s": seconds}, clock="virtual")
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert "The SecondsPath parameter cannot be parsed as a long value: $.s == " in result.cause


def test_a_huge_timeout_seconds_path_saturates_instead_of_overflowing() -> None:
    class Quick:
        name = "quick"
        remote = False

        def handles(self, resource: Any) -> bool:
            return True

        def invoke(self, request: Any) -> Any:
            from aslrun.effects import Sleep

            yield Sleep(5)
            return {"done": True}

    machine = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::quick:go",
                                                "TimeoutSecondsPath": "$.t", "HeartbeatSecondsPath": "$.t",
                                                "End": True}}}
    result = aslrun.run(machine, {"t": 10**400}, integrations=[Quick()], load_plugins=False, clock="virtual")
    assert result.status == "SUCCEEDED" and result.output == {"done": True}


def test_a_wait_of_more_seconds_than_a_float_holds_is_too_long() -> None:
    machine = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10**400, "End": True}}}
    result = aslrun.run(machine, {}, clock="virtual")
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert result.cause is not None and result.cause.endswith("Wait state delay is too long.")
