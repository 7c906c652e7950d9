"""Retry and Catch: which retrier and catcher match, their counters, the backoff waits.

The waits are checked as gaps between history timestamps on a frozen virtual
clock (time moves only when the execution sleeps), against a formula written
here independently of ``aslrun.engine.retry_delay``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aslrun
from aslrun.effects import Sleep
from aslrun.errors import StatesError
from aslrun.integrations.base import TaskRequest

TASK = "arn:aws:states:::lambda:invoke"


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


def execute(
    definition: dict[str, Any], input: Any = None, script: dict[str, list[Any]] | None = None, seed: int = 1
) -> tuple[aslrun.ExecutionResult, ScriptedIntegration]:
    fake = ScriptedIntegration(script)
    interpreter = aslrun.Interpreter(
        clock=aslrun.VirtualClock(start=0, frozen=True), integrations=[fake], load_plugins=False, seed=seed
    )
    return interpreter.run(definition, input), fake


def machine(retry: list[dict[str, Any]] | None = None, catch: list[dict[str, Any]] | None = None,
            **fields: Any) -> dict[str, Any]:
    task: dict[str, Any] = {"Type": "Task", "Resource": TASK, "End": True, **fields}
    if retry is not None:
        task["Retry"] = retry
    states: dict[str, Any] = {"T": task}
    if catch is not None:
        task["Catch"] = catch
        states["Caught"] = {"Type": "Pass", "End": True}
    return {"StartAt": "T", "States": states}


def to_caught(*errors: str, **fields: Any) -> dict[str, Any]:
    return {"ErrorEquals": list(errors), "Next": "Caught", **fields}


def err(name: str, cause: str = "cause") -> StatesError:
    return StatesError(name, cause)


def retry_gaps(result: aslrun.ExecutionResult) -> list[float]:
    """Seconds between each TaskFailed and the TaskScheduled that follows it."""
    gaps = []
    failed_at: float | None = None
    for event in result.events:
        if event.type == "TaskFailed":
            failed_at = event.timestamp
        elif event.type == "TaskScheduled" and failed_at is not None:
            gaps.append(event.timestamp - failed_at)
            failed_at = None
    return gaps


def types(result: aslrun.ExecutionResult) -> list[str]:
    return [e.type for e in result.events]


# ---------------------------------------------------------------- matching


def test_only_the_first_matching_retrier_is_used() -> None:
    result, fake = execute(
        machine(
            retry=[
                {"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 1},
                {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 7},
            ]
        ),
        {},
        {"T": [err("Boom"), err("Boom"), {"never": True}]},
    )
    # The first retrier is exhausted after one retry; the second one is not tried.
    assert (result.status, result.error) == ("FAILED", "Boom")
    assert fake.calls("T") == 2
    assert retry_gaps(result) == [1.0]


def test_counters_survive_failures_that_go_to_another_retrier() -> None:
    # The spec's example: errors A, B, C, B -> waits 1, 2, 5, then R1 is exhausted and Catch runs.
    result, fake = execute(
        machine(
            retry=[
                {"ErrorEquals": ["ErrorA", "ErrorB"], "IntervalSeconds": 1, "BackoffRate": 2.0, "MaxAttempts": 2},
                {"ErrorEquals": ["ErrorC"], "IntervalSeconds": 5},
            ],
            catch=[to_caught("States.ALL")],
        ),
        {},
        {"T": [err("ErrorA"), err("ErrorB"), err("ErrorC"), err("ErrorB"), {"never": True}]},
    )
    assert retry_gaps(result) == [1.0, 2.0, 5.0]
    assert fake.calls("T") == 4
    assert result.output == {"Error": "ErrorB", "Cause": "cause"}


def test_max_attempts_zero_never_retries() -> None:
    result, fake = execute(
        machine(retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 0}], catch=[to_caught("Boom")]),
        {},
        {"T": [err("Boom"), {"never": True}]},
    )
    assert fake.calls("T") == 1
    assert result.output == {"Error": "Boom", "Cause": "cause"}


def test_unmatched_error_skips_retriers() -> None:
    result, fake = execute(
        machine(retry=[{"ErrorEquals": ["Other"]}]), {}, {"T": [err("Boom")]}
    )
    assert fake.calls("T") == 1
    assert result.error == "Boom"


def test_default_retrier_waits_one_two_four_then_gives_up() -> None:
    result, fake = execute(machine(retry=[{"ErrorEquals": ["Boom"]}]), {}, {"T": [err("Boom")] * 5})
    assert retry_gaps(result) == [1.0, 2.0, 4.0]
    assert fake.calls("T") == 4
    assert result.error == "Boom"


def test_backoff_rate() -> None:
    result, _ = execute(
        machine(retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "BackoffRate": 1.5, "MaxAttempts": 3}]),
        {},
        {"T": [err("Boom")] * 3},
    )
    assert retry_gaps(result) == [3.0, 4.5, 6.75]


def test_max_delay_seconds_caps_each_wait() -> None:
    result, _ = execute(
        machine(
            retry=[
                {"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 3, "MaxDelaySeconds": 4}
            ]
        ),
        {},
        {"T": [err("Boom")] * 3},
    )
    assert retry_gaps(result) == [3.0, 4.0, 4.0]


@pytest.mark.parametrize("seed", range(5))
def test_full_jitter_waits_between_zero_and_the_delay(seed: int) -> None:
    result, _ = execute(
        machine(
            retry=[
                {"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "BackoffRate": 2, "MaxAttempts": 4,
                 "JitterStrategy": "FULL"}
            ]
        ),
        {},
        {"T": [err("Boom")] * 4},
        seed=seed,
    )
    gaps = retry_gaps(result)
    limits = [10.0, 20.0, 40.0, 80.0]
    assert len(gaps) == 4
    assert all(0.0 <= gap <= limit for gap, limit in zip(gaps, limits, strict=True))
    assert gaps != limits  # jitter actually moved at least one wait


def test_jitter_none_is_the_plain_formula() -> None:
    result, _ = execute(
        machine(retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 2, "MaxAttempts": 2, "JitterStrategy": "NONE"}]),
        {},
        {"T": [err("Boom")] * 2},
    )
    assert retry_gaps(result) == [2.0, 4.0]


def test_retry_counters_reset_when_the_state_is_entered_again() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": TASK,
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1}],
                "Next": "Again",
            },
            "Again": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.round", "NumericEquals": 1, "Next": "Done"}],
                "Default": "T",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    result, fake = execute(definition, {}, {"T": [err("Boom"), {"round": 0}, err("Boom"), {"round": 1}]})
    assert result.status == "SUCCEEDED"
    assert fake.calls("T") == 4


def test_a_retry_is_not_a_new_state_entry() -> None:
    result, _ = execute(machine(retry=[{"ErrorEquals": ["Boom"]}]), {}, {"T": [err("Boom"), {"ok": 1}]})
    assert types(result) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]


# ---------------------------------------------------------------- Catch


def test_catch_without_result_path_outputs_the_error_output() -> None:
    result, _ = execute(machine(catch=[to_caught("Boom")]), {"in": 1}, {"T": [err("Boom", "why")]})
    assert result.output == {"Error": "Boom", "Cause": "why"}


def test_catch_result_path_places_the_error_output_in_the_raw_input() -> None:
    result, _ = execute(
        machine(catch=[to_caught("Boom", ResultPath="$.error")], InputPath="$.sub"),
        {"sub": {"a": 1}, "b": 2},
        {"T": [err("Boom", "why")]},
    )
    assert result.output == {"sub": {"a": 1}, "b": 2, "error": {"Error": "Boom", "Cause": "why"}}


def test_catch_result_path_null_keeps_the_raw_input() -> None:
    result, _ = execute(machine(catch=[to_caught("Boom", ResultPath=None)]), {"in": 1}, {"T": [err("Boom")]})
    assert result.output == {"in": 1}


def test_the_first_matching_catcher_wins() -> None:
    definition = machine(
        catch=[
            {"ErrorEquals": ["Other"], "Next": "Wrong"},
            {"ErrorEquals": ["Boom"], "Next": "Caught", "ResultPath": "$.first"},
            {"ErrorEquals": ["States.ALL"], "Next": "Wrong"},
        ]
    )
    definition["States"]["Wrong"] = {"Type": "Fail", "Error": "WrongCatcher"}
    result, _ = execute(definition, {}, {"T": [err("Boom")]})
    assert result.output == {"first": {"Error": "Boom", "Cause": "cause"}}


def test_catch_runs_only_after_the_retries_are_used_up() -> None:
    result, fake = execute(
        machine(retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 2}], catch=[to_caught("Boom")]),
        {},
        {"T": [err("Boom", "1"), err("Boom", "2"), err("Boom", "3")]},
    )
    assert fake.calls("T") == 3
    assert result.output == {"Error": "Boom", "Cause": "3"}


@pytest.mark.parametrize(
    ("error", "matcher"),
    [
        ("Lambda.ServiceException", "States.ALL"),
        ("Custom", "States.ALL"),
        ("States.Timeout", "States.ALL"),
        ("States.TaskFailed", "States.ALL"),
        ("Custom", "States.TaskFailed"),
        ("Lambda.Unknown", "States.TaskFailed"),
        ("States.TaskFailed", "States.TaskFailed"),
        ("States.Permissions", "States.TaskFailed"),  # the guide: any known error except States.Timeout
        ("States.Permissions", "States.Permissions"),
    ],
)
def test_wildcard_matchers(error: str, matcher: str) -> None:
    result, _ = execute(machine(catch=[to_caught(matcher)]), {}, {"T": [err(error)]})
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": error, "Cause": "cause"}


def test_error_names_are_case_sensitive() -> None:
    result, _ = execute(machine(catch=[to_caught("boom")]), {}, {"T": [err("Boom")]})
    assert result.error == "Boom"


def test_task_failed_does_not_match_a_timeout() -> None:
    def slow(request: TaskRequest) -> Any:
        yield Sleep(60)
        return {"late": True}

    definition = machine(
        TimeoutSeconds=5,
        catch=[
            {"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"},
            {"ErrorEquals": ["States.Timeout"], "Next": "Caught"},
        ],
    )
    definition["States"]["Wrong"] = {"Type": "Fail", "Error": "WrongCatcher"}
    result, _ = execute(definition, {}, {"T": [slow]})
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "States.Timeout"}


def test_a_task_timeout_is_retried_like_any_error() -> None:
    def slow(request: TaskRequest) -> Any:
        yield Sleep(60)
        return {"late": True}

    result, fake = execute(
        machine(TimeoutSeconds=5, retry=[{"ErrorEquals": ["States.Timeout"], "MaxAttempts": 1}]),
        {},
        {"T": [slow, {"fast": True}]},
    )
    assert result.output == {"fast": True}
    assert fake.calls("T") == 2


@pytest.mark.parametrize("matcher", ["States.Timeout", "States.HeartbeatTimeout"])
def test_a_missed_heartbeat_is_reported_as_states_timeout_and_caught_by_either_name(matcher: str) -> None:
    # Measured on AWS: TaskTimedOut{error: States.Timeout}; a Catch on either name catches it.
    def silent(request: TaskRequest) -> Any:
        yield Sleep(60)
        return {"late": True}

    result, _ = execute(machine(HeartbeatSeconds=5, TimeoutSeconds=100, catch=[to_caught(matcher)]), {},
                        {"T": [silent]})
    assert result.status == "SUCCEEDED"
    assert result.output == {"Error": "States.Timeout"}
    assert "TaskTimedOut" in types(result)


@pytest.mark.parametrize("matchers", [["States.ALL"], ["States.Runtime"], ["States.TaskFailed"]])
def test_states_runtime_is_never_caught(matchers: list[str]) -> None:
    result, _ = execute(
        machine(catch=[to_caught(*matchers)], OutputPath="$.no.such.result.path"), {}, {"T": [{"ok": 1}]}
    )
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "Invalid path '$.no.such.result.path' : Missing property in path $['no']"
    )


@pytest.mark.parametrize("matchers", [["States.ALL"], ["States.Runtime"]])
def test_states_runtime_is_never_retried(matchers: list[str]) -> None:
    result, fake = execute(machine(retry=[{"ErrorEquals": matchers}], OutputPath="$.nope"), {}, {"T": [{"ok": 1}]})
    assert result.error == "States.Runtime"
    assert fake.calls("T") == 1


def test_an_integration_raising_states_runtime_is_not_caught() -> None:
    result, _ = execute(machine(catch=[to_caught("States.ALL")]), {}, {"T": [err("States.Runtime", "bad")]})
    assert result.error == "States.Runtime"


def test_states_all_catches_an_oversized_task_result() -> None:
    # Recorded on AWS: a task result over 256 KiB is caught by States.ALL (the guide says otherwise).
    result, _ = execute(machine(catch=[to_caught("States.ALL")]), {}, {"T": ["x" * 262_145]})
    assert result.status == "SUCCEEDED"
    assert result.output == {
        "Error": "States.DataLimitExceeded",
        "Cause": "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes "
        "service limit.",
    }


def test_catch_assign_replaces_the_state_assign() -> None:
    result, _ = execute(
        machine(Assign={"state": 1}, catch=[to_caught("Boom", Assign={"caught.$": "$.Error"})]),
        {},
        {"T": [err("Boom")]},
    )
    assert result.variables == {"caught": "Boom"}


# ---------------------------------------------------------------- property: the backoff formula


def expected_waits(interval: int, rate: float, attempts: int, max_delay: int | None) -> list[float]:
    waits = []
    for n in range(1, attempts + 1):
        wait = interval * rate ** (n - 1)
        if max_delay is not None and wait > max_delay:
            wait = max_delay
        waits.append(wait)
    return waits


@settings(max_examples=60, deadline=None)
@given(
    interval=st.integers(1, 20),
    rate=st.floats(1.0, 3.0).map(lambda r: round(r, 2)),
    attempts=st.integers(0, 5),
    max_delay=st.none() | st.integers(1, 60),
)
def test_property_waits_follow_the_backoff_formula(
    interval: int, rate: float, attempts: int, max_delay: int | None
) -> None:
    retrier: dict[str, Any] = {
        "ErrorEquals": ["Boom"],
        "IntervalSeconds": interval,
        "BackoffRate": rate,
        "MaxAttempts": attempts,
    }
    if max_delay is not None:
        retrier["MaxDelaySeconds"] = max_delay
    result, fake = execute(machine(retry=[retrier], catch=[to_caught("Boom")]), {}, {"T": [err("Boom")] * (attempts + 1)})
    assert fake.calls("T") == attempts + 1
    assert result.output == {"Error": "Boom", "Cause": "cause"}
    gaps = retry_gaps(result)
    expected = expected_waits(interval, rate, attempts, max_delay)
    assert len(gaps) == len(expected)
    for gap, wait in zip(gaps, expected, strict=True):
        assert gap == pytest.approx(wait, abs=1e-3)


@settings(max_examples=40, deadline=None)
@given(
    interval=st.integers(1, 20),
    rate=st.floats(1.0, 3.0).map(lambda r: round(r, 2)),
    attempts=st.integers(1, 4),
    max_delay=st.none() | st.integers(1, 60),
    seed=st.integers(0, 2**32),
)
def test_property_full_jitter_stays_within_the_delay(
    interval: int, rate: float, attempts: int, max_delay: int | None, seed: int
) -> None:
    retrier: dict[str, Any] = {
        "ErrorEquals": ["Boom"],
        "IntervalSeconds": interval,
        "BackoffRate": rate,
        "MaxAttempts": attempts,
        "JitterStrategy": "FULL",
    }
    if max_delay is not None:
        retrier["MaxDelaySeconds"] = max_delay
    result, _ = execute(machine(retry=[retrier]), {}, {"T": [err("Boom")] * (attempts + 1)}, seed=seed)
    gaps = retry_gaps(result)
    expected = expected_waits(interval, rate, attempts, max_delay)
    assert len(gaps) == attempts
    for gap, limit in zip(gaps, expected, strict=True):
        assert -1e-3 <= gap <= limit + 1e-3



# ---------------------------------------------------------------- extreme but valid Retry fields


@settings(max_examples=300, deadline=None)
@given(interval=st.integers(1, 99_999_999), rate=st.floats(1.0, 1e308), attempt=st.integers(1, 99_999_999),
       max_delay=st.none() | st.integers(1, 31_622_401), jitter=st.sampled_from(["NONE", "FULL"]))
def test_property_the_backoff_saturates_instead_of_overflowing(interval: int, rate: float, attempt: int,
                                                                max_delay: int | None, jitter: str) -> None:
    import random

    from aslrun import defaults
    from aslrun.engine import retry_delay
    from aslrun.nodes import Retrier

    retrier = Retrier(("States.ALL",), interval, 3, rate, max_delay, jitter)
    delay = retry_delay(retrier, attempt, random.Random(0).uniform)
    assert 0.0 <= delay <= (max_delay if max_delay is not None else defaults.MAX_RETRY_DELAY_SECONDS)


def test_a_huge_backoff_rate_is_capped_by_max_delay_seconds() -> None:
    machine = {"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::flaky:call", "End": True,
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "BackoffRate": 1e308,
                   "MaxDelaySeconds": 10, "MaxAttempts": 5}]}}}

    class AlwaysFails:
        name = "flaky"
        remote = False

        def handles(self, resource: Any) -> bool:
            return True

        def invoke(self, request: TaskRequest) -> Any:
            raise StatesError("Flaky.Error", "no")

    result = aslrun.run(machine, {}, integrations=[AlwaysFails()], load_plugins=False, clock="virtual")
    assert result.status == "FAILED" and result.error == "Flaky.Error"
    assert round(result.stop_time - result.start_time) == 1 + 10 + 10 + 10 + 10  # 1 s, then capped at 10 s
