"""Seams for tools: inspection of every data-flow step (``on_stage``), and how integrations wait."""

from __future__ import annotations

from typing import Any

import aslrun
from aslrun.effects import Stage
from aslrun.errors import StatesError


class Failing:
    name = "failing"
    remote = False

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: Any) -> Any:
        raise StatesError("Custom.Error", "it broke")


def test_jsonpath_task_stages_come_in_aws_order_and_edits_flow_on() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "InputPath": "$.in", "Parameters": {"n.$": "$.n"}, "ResultPath": "$.out",
                  "OutputPath": "$.out", "End": True},
        },
    }
    seen: list[tuple[str, Any]] = []

    def on_stage(execution: aslrun.Execution, stage: Stage) -> Any:
        seen.append((stage.name, stage.value))
        return {"n": 99} if stage.name == "afterParameters" else stage.value

    result = aslrun.Interpreter().start(definition, {"in": {"n": 1}}, on_stage=on_stage).run()
    assert [name for name, _ in seen] == [
        "input", "afterInputPath", "afterParameters", "result", "afterResultPath", "output",
    ]
    assert seen[1][1] == {"n": 1}
    assert result.output == {"n": 99}


def test_error_stage_shows_the_plan_and_skip_leaves_the_state_with_a_given_output() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::x:y", "Next": "Done",
                  "Retry": [{"ErrorEquals": ["Custom.Error"], "MaxAttempts": 1, "IntervalSeconds": 3}]},
            "Done": {"Type": "Pass", "End": True},
        },
    }
    plans: list[dict[str, Any]] = []

    def on_stage(execution: aslrun.Execution, stage: Stage) -> Any:
        if stage.name == "error":
            plans.append(stage.value)
            if len(plans) == 2:
                return ("skip", {"patched": True})
        return stage.value

    interpreter = aslrun.Interpreter(integrations=[Failing()], load_plugins=False)
    result = interpreter.start(definition, {}, on_stage=on_stage).run()
    assert plans[0]["retryIndex"] == 0 and plans[0]["retryBackoffIntervalSeconds"] == 3
    assert plans[1]["retryIndex"] is None and plans[1]["catchIndex"] is None  # retries used up, no Catch
    assert result.status == "SUCCEEDED"
    assert result.output == {"patched": True}


def test_without_on_stage_no_stage_reaches_the_driver() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    execution = aslrun.Interpreter().start(definition, {"a": 1})
    assert execution.engine.inspect is False
    assert execution.run().output == {"a": 1}


def test_a_remote_integration_polling_on_a_virtual_clock_really_waits() -> None:
    import time

    from aslrun.effects import Sleep

    polls: list[float] = []

    class RemotePoller:
        name = "remote-poller"
        remote = True

        def handles(self, resource: Any) -> bool:
            return True

        def invoke(self, request: Any) -> Any:
            for _ in range(3):
                polls.append(time.monotonic())
                yield Sleep(0.05)
            return "done"

    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::x:y", "End": True}}}
    interpreter = aslrun.Interpreter(clock="virtual", integrations=[RemotePoller()], load_plugins=False)
    result = interpreter.run(definition)
    assert result.output == "done"
    # A virtual clock skips Waits, but must not turn a real API's polling into a tight loop.
    assert all(later - earlier >= 0.045 for earlier, later in zip(polls, polls[1:]))


def test_a_wait_after_a_blocking_integration_call_really_waits_on_the_real_clock() -> None:
    import time

    from aslrun.effects import Blocking

    class Quick:
        name = "quick"
        remote = True

        def handles(self, resource: Any) -> bool:
            return True

        def invoke(self, request: Any) -> Any:
            value = yield Blocking(lambda: "done")
            return value

    definition = {
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::x:y", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 1, "End": True},
        },
    }
    started = time.monotonic()
    result = aslrun.Interpreter(clock="real", integrations=[Quick()], load_plugins=False).run(definition)
    assert result.output == "done"
    # The finished background call must not cut the Wait short.
    assert time.monotonic() - started >= 0.95
