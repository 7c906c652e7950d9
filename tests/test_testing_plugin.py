"""The pytest plugin (aslrun/testing/pytest_plugin.py), used as a user would: generated test files run by pytester.

Checks the entry point registers the fixtures, that mocked runs pass and fail as they should, and
that a failure message shows the diff of the outputs and the path of states taken.
"""

from __future__ import annotations

import json
from importlib.metadata import entry_points
from typing import Any

import pytest

pytest_plugins = ["pytester"]

MACHINE = {
    "Comment": "An order: charge the card, then ship (both mocked).",
    "StartAt": "Validate",
    "States": {
        "Validate": {"Type": "Choice", "Default": "Charge",
                     "Choices": [{"Variable": "$.total", "NumericLessThanEquals": 0, "Next": "Reject"}]},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"amount.$": "$.total"}, "ResultSelector": {"charged.$": "$.Payload.charged"},
                   "ResultPath": "$.payment", "Next": "Settle"},
        "Settle": {"Type": "Wait", "Seconds": 86400, "Next": "Ship"},
        "Ship": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "ResultPath": "$.shipment",
                 "Retry": [{"ErrorEquals": ["Sqs.Busy"], "MaxAttempts": 2}], "End": True},
        "Reject": {"Type": "Fail", "Error": "Order.Invalid", "Cause": "the total must be positive"},
    },
}
MOCKS = {
    "StateMachines": {"order": {"TestCases": {
        "Happy": {"Charge": "Charged", "Ship": "Shipped"},
        "BusyQueue": {"Charge": "Charged", "Ship": "BusyThenShipped"},
        "ShipDown": {"Charge": "Charged", "Ship": "Down"},
    }}},
    "MockedResponses": {
        "Charged": {"0": {"Return": {"StatusCode": 200, "Payload": {"charged": True}}}},
        "Shipped": {"0": {"Return": {"MessageId": "m-1"}}},
        "BusyThenShipped": {"0-1": {"Throw": {"Error": "Sqs.Busy", "Cause": "try later"}},
                            "2": {"Return": {"MessageId": "m-3"}}},
        "Down": {"0": {"Throw": {"Error": "Sqs.Down", "Cause": "no queue"}}},
    },
}
EXPECTED = {"total": 5, "payment": {"charged": True}, "shipment": {"MessageId": "m-1"}}


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's project: the machine and its MockConfigFile beside the tests."""
    pytester.makefile(".json", order=json.dumps(MACHINE), MockConfigFile=json.dumps(MOCKS))
    return pytester


def outcomes(result: pytest.RunResult) -> dict[str, int]:
    return {k: v for k, v in result.parseoutcomes().items() if k in ("passed", "failed", "errors", "error")}


def test_the_entry_point_names_the_plugin_module() -> None:
    [entry] = [ep for ep in entry_points(group="pytest11") if ep.name == "aslrun"]
    assert entry.value == "aslrun.testing.pytest_plugin"


def test_a_user_suite_with_mocks_passes(project: pytest.Pytester) -> None:
    project.makepyfile(test_order=f"""
        EXPECTED = {EXPECTED!r}

        def test_happy_path(asl_machine):
            flow = asl_machine("order.json", mock_config="MockConfigFile.json")
            result = flow.run({{"total": 5}}, test_case="Happy")
            result.assert_output(EXPECTED)
            assert result.visited == ["Validate", "Charge", "Settle", "Ship"]
            assert result.state("Charge").input == {{"total": 5}}
            assert result.state("Ship").output == EXPECTED

        def test_retries_use_the_next_mocked_responses(asl_machine):
            flow = asl_machine("order.json", mock_config="MockConfigFile.json")
            result = flow.run({{"total": 5}}, test_case="BusyQueue")
            assert result.output["shipment"] == {{"MessageId": "m-3"}}
            assert [e["type"] for e in result.history].count("TaskFailed") == 2

        def test_a_failure(asl_machine):
            flow = asl_machine("order.json", mock_config="MockConfigFile.json")
            flow.run({{"total": 5}}, test_case="ShipDown").assert_failed("Sqs.Down", "no queue")
            flow.run({{"total": 0}}).assert_failed(error="Order.Invalid", cause_match="must be positive")

        def test_the_day_long_wait_took_no_time(asl_machine, aslrun_clock):
            import time
            start = time.monotonic()
            result = asl_machine("order.json", mock_config="MockConfigFile.json").run({{"total": 5}}, test_case="Happy")
            assert time.monotonic() - start < 5
            assert result.stop_time - result.start_time == 86400
            assert aslrun_clock.time() == result.stop_time

        def test_inline_mocks(asl_machine):
            from aslrun.testing import Throw
            flow = asl_machine("order.json")
            result = flow.run({{"total": 5}}, mocks={{"Charge": {{"Payload": {{"charged": False}}}},
                                                    "Ship": [Throw("Sqs.Busy"), {{"MessageId": "m-2"}}]}})
            assert result.output["payment"] == {{"charged": False}}
            assert result.output["shipment"] == {{"MessageId": "m-2"}}
    """)
    result = project.runpytest()
    assert outcomes(result) == {"passed": 5}, result.stdout.str()


def test_a_changed_mocked_result_fails_with_a_diff_and_the_path(project: pytest.Pytester) -> None:
    changed = json.loads(json.dumps(MOCKS))
    changed["MockedResponses"]["Shipped"]["0"]["Return"] = {"MessageId": "m-CHANGED"}
    project.makefile(".json", MockConfigFile=json.dumps(changed))
    project.makepyfile(test_order=f"""
        def test_happy_path(asl_machine):
            flow = asl_machine("order.json", mock_config="MockConfigFile.json")
            flow.run({{"total": 5}}, test_case="Happy").assert_output({EXPECTED!r})
    """)
    result = project.runpytest()
    assert outcomes(result) == {"failed": 1}
    result.stdout.fnmatch_lines([
        "*AssertionError: the output of the execution of 'order' (test case 'Happy') is not the expected one:",
        "*--- expected",
        "*+++ actual",
        '*-    "MessageId": "m-1"',
        '*+    "MessageId": "m-CHANGED"',
        "*path taken: Validate → Charge → Settle → Ship",
    ])
    # The plugin's own frames are hidden: the failure points at the user's line.
    assert "results.py" not in result.stdout.str()


def test_an_unexpected_failure_says_how_the_execution_ended_and_where(project: pytest.Pytester) -> None:
    project.makepyfile(test_order="""
        def test_expects_success(asl_machine):
            flow = asl_machine("order.json", mock_config="MockConfigFile.json")
            flow.run({"total": 5}, test_case="ShipDown").assert_output({})

        def test_expects_another_error(asl_machine):
            flow = asl_machine("order.json", mock_config="MockConfigFile.json")
            flow.run({"total": 5}, test_case="ShipDown").assert_failed("Sqs.Timeout")
    """)
    result = project.runpytest()
    assert outcomes(result) == {"failed": 2}
    result.stdout.fnmatch_lines([
        "*expected the execution of 'order' (test case 'ShipDown') to succeed with output {}, "
        "but it FAILED with Sqs.Down: no queue.",
        "*path taken: Validate → Charge → Settle → Ship",
        "*it stopped in Task state 'Ship' with input {*}",
    ])
    result.stdout.fnmatch_lines(["*error: expected 'Sqs.Timeout', got 'Sqs.Down'"])


def test_an_unmocked_task_in_a_test_case_fails_with_its_name(project: pytest.Pytester) -> None:
    partial = json.loads(json.dumps(MOCKS))
    partial["StateMachines"]["order"]["TestCases"]["Happy"] = {"Charge": "Charged"}
    project.makefile(".json", MockConfigFile=json.dumps(partial))
    project.makepyfile(test_order="""
        def test_happy_path(asl_machine):
            asl_machine("order.json", mock_config="MockConfigFile.json").run(
                {"total": 5}, test_case="Happy").assert_succeeded()
    """)
    result = project.runpytest()
    result.stdout.fnmatch_lines(["*to succeed, but it FAILED with States.Runtime: Task state 'Ship' has no mocked "
                                 "response in test case 'Happy' of state machine 'order'*"])


def test_the_mock_config_defaults_to_the_ini_option_then_sfn_mock_config(project: pytest.Pytester,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    project.makepyfile(test_order="""
        def test_default_mock_config(asl_machine):
            asl_machine("order.json").run({"total": 5}, test_case="Happy").assert_succeeded()
    """)
    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    result = project.runpytest()
    result.stdout.fnmatch_lines(["*MockConfigError: test case 'Happy' asked for, but no mock configuration was given*"])
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(project.path / "MockConfigFile.json"))
    assert outcomes(project.runpytest()) == {"passed": 1}
    monkeypatch.delenv("SFN_MOCK_CONFIG")
    project.makeini("[pytest]\naslrun_mock_config = MockConfigFile.json\n")
    assert outcomes(project.runpytest()) == {"passed": 1}


def test_overriding_the_interpreter_fixture_registers_fake_integrations(project: pytest.Pytester) -> None:
    project.makeconftest("""
        import pytest
        from aslrun import Interpreter

        class FakeSqs:
            name = "fake-sqs"
            remote = False
            def handles(self, resource):
                return resource.service == "sqs"
            def invoke(self, request):
                return {"MessageId": "from-fake"}

        @pytest.fixture
        def aslrun_interpreter(aslrun_clock):
            return Interpreter(clock=aslrun_clock, integrations=[FakeSqs()], load_plugins=False)
    """)
    project.makepyfile(test_order="""
        def test_hybrid(asl_machine):
            flow = asl_machine("order.json", mock_config="MockConfigFile.json")
            result = flow.run({"total": 5}, mocks={"Charge": {"Payload": {"charged": True}}}, hybrid=True)
            assert result.output["shipment"] == {"MessageId": "from-fake"}
    """)
    assert outcomes(project.runpytest()) == {"passed": 1}


def test_runs_repeat_exactly(project: pytest.Pytester) -> None:
    project.makepyfile(test_order="""
        def test_same_history(asl_machine):
            machine = {"StartAt": "U", "States": {"U": {"Type": "Pass", "End": True,
                       "Parameters": {"id.$": "States.UUID()", "at.$": "$$.Execution.StartTime"}}}}
            outputs = []
            for _ in range(2):
                outputs.append(asl_machine(machine).run({}, name="fixed").output)
            assert outputs[0]["at"] == "2024-01-01T00:00:00.000Z"
            assert outputs[0]["id"] != outputs[1]["id"]  # one seeded stream, two draws

        def test_same_first_uuid_in_every_test(asl_machine):
            machine = {"StartAt": "U", "States": {"U": {"Type": "Pass", "End": True,
                       "Parameters": {"id.$": "States.UUID()"}}}}
            assert asl_machine(machine).run({}, name="fixed").output == {"id": FIRST}
    """.replace("FIRST", repr(_first_uuid())))
    assert outcomes(project.runpytest()) == {"passed": 2}


def _first_uuid() -> str:
    from aslrun.testing import Workflow

    machine = {"StartAt": "U", "States": {"U": {"Type": "Pass", "End": True, "Parameters": {"id.$": "States.UUID()"}}}}
    output: Any = Workflow.load(machine).run({}, name="fixed").output
    return str(output["id"])


def test_the_header_names_aslrun_and_a_subprocess_run_finds_the_plugin(project: pytest.Pytester) -> None:
    project.makepyfile(test_order="""
        def test_fixture_exists(asl_machine):
            assert callable(asl_machine)
    """)
    result = project.runpytest_subprocess()
    assert outcomes(result) == {"passed": 1}
    result.stdout.fnmatch_lines(["aslrun 0.1.0*"])
