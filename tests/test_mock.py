"""The MockConfigFile layer (aslrun/integrations/mock.py): Step Functions Local's mock file, unchanged.

Covers validation (every bad entry reported with its JSON Pointer), invocation ranges (retries and
Map iterations count per state over one execution), Return vs Throw, the Lambda-ARN ``Payload``
unwrapping, the ``.sync``/``.waitForTaskToken`` history, unmocked states (a clear failure, or the
real integration with hybrid mode), unknown machine/test-case names, and the ``SFN_MOCK_CONFIG``
fallback — through the Python API and through ``aslrun run`` (click's CliRunner).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import aslrun
from aslrun.cli.main import cli
from aslrun.errors import MockConfigError
from aslrun.integrations.mock import NOT_MOCKED, MockConfig, MockTestCase, find_mock_config

ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "SFN_MOCK_CONFIG": None}

LAMBDA = "arn:aws:states:::lambda:invoke"


def task(name: str = "T", resource: str = LAMBDA, **fields: Any) -> dict[str, Any]:
    """A one-Task machine (End unless ``fields`` says otherwise)."""
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, **fields}
    if "Next" not in state:
        state["End"] = True
    return {"StartAt": name, "States": {name: state}}


def config(cases: dict[str, dict[str, str]], responses: dict[str, Any], machine: str = "M") -> MockConfig:
    return MockConfig.load({"StateMachines": {machine: {"TestCases": cases}}, "MockedResponses": responses})


def run_case(definition: dict[str, Any], case: MockTestCase, input: Any = None,
             **settings: Any) -> aslrun.ExecutionResult:
    settings.setdefault("load_plugins", False)
    return aslrun.Interpreter(mock=case, clock="virtual", **settings).run(definition, input or {})


def types(result: aslrun.ExecutionResult) -> list[str]:
    return [event["type"] for event in result.history]


class Recording:
    """A fake real integration: records what reaches it and answers with a fixed value."""

    name = "recording"
    remote = False

    def __init__(self, answer: Any = None) -> None:
        self.answer = answer if answer is not None else {"real": True}
        self.calls: list[tuple[str, Any]] = []

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: aslrun.TaskRequest) -> Any:
        self.calls.append((request.state_name, request.parameters))
        return self.answer


# ---------------------------------------------------------------- validation


def test_every_bad_entry_is_reported_with_its_json_pointer() -> None:
    bad = {
        "StateMachines": {
            "M": {"TestCases": {"T": {"A": "Missing", "B": 3}, "U": ["A"]}},
            "N": {},
        },
        "MockedResponses": {
            "Both": {"0": {"Return": 1, "Throw": {"Error": "E", "Cause": "c"}}},
            "Neither": {"0": {}},
            "Gap": {"0": {"Return": 1}, "2": {"Return": 2}},
            "Overlap": {"0-2": {"Return": 1}, "1": {"Return": 2}},
            "BadKey": {"first": {"Return": 1}, "2-1": {"Return": 1}},
            "Empty": {},
            "NoError": {"0": {"Throw": {"Cause": "c"}}},
            "CauseNotText": {"0": {"Throw": {"Error": "E", "Cause": {"x": 1}}}},
            "Typo": {"0": {"Return": 1, "Retrun": 2}},
        },
        "Extra": True,
    }
    with pytest.raises(MockConfigError) as info:
        MockConfig.load(bad)
    lines = str(info.value).splitlines()
    assert lines[0] == "<mock config>: invalid mock configuration (15 problems)"
    assert [line.strip() for line in lines[1:]] == [
        "/Extra: unknown top-level field (expected StateMachines and MockedResponses)",
        "/StateMachines/M/TestCases/T/A: no mocked response named 'Missing' in MockedResponses",
        "/StateMachines/M/TestCases/T/B: must be the name of a mocked response (a string)",
        "/StateMachines/M/TestCases/U: must map Task state names to mocked response names",
        "/StateMachines/N: must be an object with a TestCases object",
        "/MockedResponses/Both/0: must hold exactly one of Return or Throw",
        "/MockedResponses/Neither/0: must hold exactly one of Return or Throw",
        "/MockedResponses/Gap/2: invocations 1-1 have no entry (keys must be consecutive from \"0\")",
        "/MockedResponses/Overlap/1: overlaps an earlier entry",
        "/MockedResponses/BadKey/first: invocation key must be a number (\"0\") or a range (\"1-2\") counting from 0",
        "/MockedResponses/BadKey/2-1: invocation key must be a number (\"0\") or a range (\"1-2\") counting from 0",
        "/MockedResponses/Empty: must map invocation numbers (\"0\", \"1-2\") to Return/Throw objects",
        "/MockedResponses/NoError/0/Throw: must be an object with a string Error (and optional Cause)",
        "/MockedResponses/CauseNotText/0/Throw/Cause: must be a string",
        "/MockedResponses/Typo/0: unknown field 'Retrun' (expected Return or Throw)",
    ]


def test_the_top_level_must_hold_both_sections(tmp_path: Path) -> None:
    with pytest.raises(MockConfigError, match=r"/StateMachines: required") as info:
        MockConfig.load({"MockedResponses": {}})
    assert "/MockedResponses" not in str(info.value)
    array = tmp_path / "array.json"
    array.write_text("[]", encoding="utf-8")
    with pytest.raises(MockConfigError, match=r"/: a mock configuration must be a JSON object"):
        MockConfig.load(array)


def test_file_problems_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(MockConfigError, match=r"^mock config file not found: .*absent\.json$"):
        MockConfig.load(tmp_path / "absent.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"StateMachines": {},\n "MockedResponses": {]}', encoding="utf-8")
    with pytest.raises(MockConfigError, match=r"broken\.json: not valid JSON: .* \(line 2, column 22\)"):
        MockConfig.load(broken)
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"StateMachines": {}, "MockedResponses": {"R": {"0": {}}}}), encoding="utf-8")
    with pytest.raises(MockConfigError, match=r"invalid\.json: invalid mock configuration .*\n  /MockedResponses/R/0:"):
        MockConfig.load(invalid)


def test_the_aws_docs_example_loads_unchanged() -> None:
    docs = {
        "StateMachines": {"LambdaSQSIntegration": {"TestCases": {
            "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
            "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
            "HybridPath": {"LambdaState": "MockedLambdaSuccess"},
        }}},
        "MockedResponses": {
            "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"body": "Hello"}}}},
            "MockedSQSSuccess": {"0": {"Return": {"MessageId": "m-1"}}},
            "MockedLambdaRetry": {
                "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "not ready"}},
                "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "timed out"}},
                "3": {"Return": {"StatusCode": 200, "Payload": {"body": "Hello"}}},
            },
        },
    }
    loaded = MockConfig.load(docs)
    assert loaded.machines() == ["LambdaSQSIntegration"]
    case = loaded.test_case("LambdaSQSIntegration", "RetryPath")
    assert sorted(case.states) == ["LambdaState", "SQSState"]
    assert [(e.first, e.last, e.throws) for e in case.states["LambdaState"].entries] == [
        (0, 0, ("Lambda.ResourceNotReadyException", "not ready")),
        (1, 2, ("Lambda.TimeoutException", "timed out")),
        (3, 3, None),
    ]


# ---------------------------------------------------------------- picking a test case


def test_unknown_machine_and_test_case_names_list_what_exists() -> None:
    loaded = config({"Happy": {}, "Sad": {}}, {}, machine="Orders")
    with pytest.raises(MockConfigError, match=r"no state machine named 'Order' in StateMachines \(it has: Orders\)\. "
                                              r"The name comes from --name, or the definition file's name\."):
        loaded.test_case("Order", "Happy")
    with pytest.raises(MockConfigError, match=r"state machine 'Orders' has no test case 'happy' \(it has: Happy, Sad\)\."):
        loaded.test_case("Orders", "happy")


def test_sfn_mock_config_is_the_fallback_and_an_explicit_path_wins(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    assert find_mock_config(None) is None
    monkeypatch.setenv("SFN_MOCK_CONFIG", str(tmp_path / "env.json"))
    assert find_mock_config(None) == tmp_path / "env.json"
    assert find_mock_config(tmp_path / "explicit.json") == tmp_path / "explicit.json"


def test_a_test_case_answers_only_for_its_states() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Return": 1}}}).test_case("M", "C")
    request = aslrun.TaskRequest(resource=_arn(LAMBDA), parameters={}, state_name="Other")
    assert case.invoke(request) is NOT_MOCKED
    assert case.hybrid is False and case.with_hybrid().hybrid is True
    assert case.with_hybrid().states is case.states


def _arn(resource: str) -> Any:
    from aslrun.integrations.arn import parse_resource

    return parse_resource(resource)


# ---------------------------------------------------------------- Return and Throw


def test_return_is_the_raw_result_that_the_state_data_flow_still_runs_on() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Return": {"v": 1, "noise": True}}}}).test_case("M", "C")
    definition = task(ResultSelector={"w.$": "$.v"}, ResultPath="$.r")
    result = run_case(definition, case, {"in": 1})
    assert result.output == {"in": 1, "r": {"w": 1}}
    succeeded = next(e for e in result.history_values() if e["type"] == "TaskSucceeded")
    assert succeeded["taskSucceededEventDetails"]["output"] == {"v": 1, "noise": True}
    assert types(result) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                             "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_return_accepts_any_json_value() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Return": [1, "two", None]}}}).test_case("M", "C")
    assert run_case(task(), case).output == [1, "two", None]


def test_throw_fails_the_task_and_catch_matches_it_by_error_name() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Throw": {"Error": "Oops", "Cause": "bad"}}}}).test_case("M", "C")
    definition = task(Catch=[{"ErrorEquals": ["Oops"], "ResultPath": "$.err", "Next": "H"}], Next="X")
    definition["States"]["H"] = {"Type": "Pass", "End": True}
    definition["States"]["X"] = {"Type": "Pass", "End": True}
    result = run_case(definition, case, {"a": 1})
    assert result.output == {"a": 1, "err": {"Error": "Oops", "Cause": "bad"}}
    failed = next(e for e in result.history if e["type"] == "TaskFailed")
    assert failed["taskFailedEventDetails"] == {"resourceType": "lambda", "resource": "invoke",
                                                "error": "Oops", "cause": "bad"}
    uncaught = run_case(task(), case)
    assert (uncaught.status, uncaught.error, uncaught.cause) == ("FAILED", "Oops", "bad")


def test_throw_without_cause_fails_with_no_cause() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Throw": {"Error": "Only.Error"}}}}).test_case("M", "C")
    result = run_case(task(), case)
    assert (result.status, result.error, result.cause) == ("FAILED", "Only.Error", None)


# ---------------------------------------------------------------- invocation numbers


FLAKY = {
    "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "c0"}},
    "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "c12"}},
    "3": {"Return": {"ok": 3}},
}


def test_retries_consume_invocation_numbers_through_a_range() -> None:
    case = config({"C": {"T": "Flaky"}}, {"Flaky": FLAKY}).test_case("M", "C")
    retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 3, "IntervalSeconds": 2}]
    result = run_case(task(Retry=retry), case)
    assert result.status == "SUCCEEDED" and result.output == {"ok": 3}
    failures = [e["taskFailedEventDetails"]["cause"] for e in result.history if e["type"] == "TaskFailed"]
    assert failures == ["c0", "c12", "c12"]
    assert types(result).count("TaskScheduled") == 4
    # The backoffs (2, 4, 8 s) ran on the virtual clock: recorded, not waited.
    assert result.stop_time - result.start_time >= 14


def test_too_few_retries_end_on_the_last_thrown_error() -> None:
    case = config({"C": {"T": "Flaky"}}, {"Flaky": FLAKY}).test_case("M", "C")
    result = run_case(task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}]), case)
    assert (result.status, result.error, result.cause) == ("FAILED", "Lambda.TimeoutException", "c12")


def test_an_invocation_past_the_last_entry_fails_the_execution_clearly() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Throw": {"Error": "E", "Cause": "c"}}}}).test_case("M", "C")
    result = run_case(task(Retry=[{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1}]), case)
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert result.cause == (
        "The mocked response 'R' for state 'T' (test case 'C' in <mock config>) has no entry for invocation #1; "
        "invocations count from 0 and include retries and Map iterations. Add an entry such as \"1\"."
    )


MAP = {
    "StartAt": "Each",
    "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "End": True,
        "ItemProcessor": {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": True}}},
    }},
}


def test_map_iterations_count_per_state_over_the_execution() -> None:
    responses = {"Seq": {"0": {"Return": "a"}, "1": {"Return": "b"}, "2": {"Return": "c"}}}
    case = config({"C": {"T": "Seq"}}, responses).test_case("M", "C")
    assert run_case(MAP, case, [10, 20, 30]).output == ["a", "b", "c"]
    too_many = run_case(MAP, case, [10, 20, 30, 40])
    assert too_many.error == "States.Runtime"
    assert "has no entry for invocation #3" in (too_many.cause or "")


def test_counts_start_again_for_every_execution() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Return": 1}}}).test_case("M", "C")
    interpreter = aslrun.Interpreter(mock=case, clock="virtual", load_plugins=False)
    assert [interpreter.run(task()).status for _ in range(3)] == ["SUCCEEDED"] * 3


def test_a_state_inside_a_parallel_branch_is_mocked_by_its_name() -> None:
    case = config({"C": {"Inner": "R"}}, {"R": {"0": {"Return": {"v": 1}}}}).test_case("M", "C")
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Inner", "States": {"Inner": {"Type": "Task", "Resource": LAMBDA, "End": True}}},
    ]}}}
    assert run_case(definition, case).output == [{"v": 1}]


# ---------------------------------------------------------------- resource forms


def test_a_lambda_function_arn_gets_the_payload_of_the_mocked_invoke_response() -> None:
    responses = {"R": {"0": {"Return": {"StatusCode": 200, "Payload": {"x": 1}}}}}
    case = config({"C": {"T": "R"}}, responses).test_case("M", "C")
    result = run_case(task(resource="arn:aws:lambda:us-east-1:111111111111:function:f"), case)
    assert result.output == {"x": 1}
    assert types(result) == ["ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                             "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
                             "ExecutionSucceeded"]
    # The optimized integration keeps the whole response, as the service returns it.
    assert run_case(task(), case).output == {"StatusCode": 200, "Payload": {"x": 1}}


def test_a_lambda_function_arn_mock_without_payload_is_the_result_itself() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Return": {"body": "hi"}}}}).test_case("M", "C")
    assert run_case(task(resource="arn:aws:lambda:us-east-1:111111111111:function:f"), case).output == {"body": "hi"}


@pytest.mark.parametrize("resource", ["arn:aws:states:::eks:runJob.sync", "arn:aws:states:::glue:startJobRun.sync:2",
                                      "arn:aws:states:::sqs:sendMessage.waitForTaskToken"])
def test_sync_and_callback_tasks_record_task_submitted_before_task_succeeded(resource: str) -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Return": {"status": "done"}}}}).test_case("M", "C")
    result = run_case(task(resource=resource, Parameters={"x": 1}), case)
    assert result.output == {"status": "done"}
    assert types(result) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                             "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    submitted = next(e for e in result.history if e["type"] == "TaskSubmitted")
    rtype, _, api = resource.split(":::")[1].partition(":")
    assert submitted["taskSubmittedEventDetails"] == {"resourceType": rtype, "resource": api}
    assert submitted["previousEventId"] == submitted["id"] - 1


def test_a_mocked_sync_failure_records_task_submitted_then_task_failed() -> None:
    responses = {"R": {"0": {"Throw": {"Error": "EKS.401", "Cause": "Unauthorized"}}}}
    case = config({"C": {"T": "R"}}, responses).test_case("M", "C")
    result = run_case(task(resource="arn:aws:states:::eks:runJob.sync", Parameters={}), case)
    assert (result.status, result.error) == ("FAILED", "EKS.401")
    assert types(result)[4:6] == ["TaskSubmitted", "TaskFailed"]


def test_a_plain_request_response_task_records_no_task_submitted() -> None:
    case = config({"C": {"T": "R"}}, {"R": {"0": {"Return": {}}}}).test_case("M", "C")
    assert "TaskSubmitted" not in types(run_case(task(resource="arn:aws:states:::eks:call"), case))


# ---------------------------------------------------------------- unmocked states and hybrid mode


TWO_TASKS = {
    "StartAt": "Mocked",
    "States": {
        "Mocked": {"Type": "Task", "Resource": LAMBDA, "ResultPath": "$.first", "Next": "Unmocked"},
        "Unmocked": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Parameters": {"m.$": "$.first"},
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True},
    },
}


def test_an_unmocked_task_in_a_test_case_fails_naming_it_and_catch_cannot_hide_it() -> None:
    case = config({"Partial": {"Mocked": "R"}}, {"R": {"0": {"Return": {"v": 1}}}}).test_case("M", "Partial")
    fake = Recording()
    result = run_case(TWO_TASKS, case, integrations=[fake])
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == (
        "Task state 'Unmocked' has no mocked response in test case 'Partial' of state machine 'M' (<mock config>). "
        "Add it to the test case, or run with --hybrid to send unmocked states to the real integrations."
    )
    assert fake.calls == []


def test_hybrid_sends_unmocked_tasks_to_the_registered_integration_and_keeps_the_mocks() -> None:
    case = config({"Partial": {"Mocked": "R"}}, {"R": {"0": {"Return": {"v": 1}}}}).test_case("M", "Partial")
    fake = Recording(answer={"MessageId": "m-1"})
    result = run_case(TWO_TASKS, case.with_hybrid(), {}, integrations=[fake])
    assert result.status == "SUCCEEDED"
    assert result.output == {"MessageId": "m-1"}
    assert fake.calls == [("Unmocked", {"m": {"v": 1}})]


def test_hybrid_with_no_integration_for_the_resource_says_how_to_fix_it() -> None:
    case = config({"Partial": {"Mocked": "R"}}, {"R": {"0": {"Return": {}}}}).test_case("M", "Partial").with_hybrid()
    result = run_case(TWO_TASKS, case)
    assert result.error == "States.Runtime"
    assert (result.cause or "").startswith(
        "No integration handles the resource 'arn:aws:states:::sqs:sendMessage' (Task state 'Unmocked').")


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=ENV)


def invoke(runner: CliRunner, *args: Any) -> Result:
    return runner.invoke(cli, [str(a) for a in args], prog_name="aslrun")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "orders.json").write_text(json.dumps(TWO_TASKS), encoding="utf-8")
    mock = {
        "StateMachines": {"orders": {"TestCases": {
            "Happy": {"Mocked": "First", "Unmocked": "Sent"},
            "Partial": {"Mocked": "First"},
            "Broken": {"Mocked": "Boom"},
        }}},
        "MockedResponses": {
            "First": {"0": {"Return": {"v": 1}}},
            "Sent": {"0": {"Return": {"MessageId": "m-1"}}},
            "Boom": {"0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "down"}}},
        },
    }
    (tmp_path / "mock.json").write_text(json.dumps(mock), encoding="utf-8")
    return tmp_path


def test_cli_runs_a_test_case_named_by_the_file_stem(runner: CliRunner, files: Path) -> None:
    result = invoke(runner, "run", files / "orders.json", "--mock-config", files / "mock.json",
                    "--test-case", "Happy", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"status": "SUCCEEDED", "output": {"MessageId": "m-1"}}


def test_cli_a_thrown_mock_fails_the_execution_with_exit_1(runner: CliRunner, files: Path) -> None:
    result = invoke(runner, "run", files / "orders.json", "--mock-config", files / "mock.json",
                    "--test-case", "Broken", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"status": "FAILED", "error": "Lambda.ServiceException", "cause": "down"}


def test_cli_name_option_picks_the_state_machine(runner: CliRunner, files: Path) -> None:
    result = invoke(runner, "run", files / "orders.json", "--name", "other", "--mock-config", files / "mock.json",
                    "--test-case", "Happy", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["cause"] == (
        f"{files / 'mock.json'}: no state machine named 'other' in StateMachines (it has: orders). "
        "The name comes from --name, or the definition file's name.")


def test_cli_unknown_test_case_lists_the_known_ones(runner: CliRunner, files: Path) -> None:
    result = invoke(runner, "run", files / "orders.json", "--mock-config", files / "mock.json", "--test-case", "Sad")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "state machine 'orders' has no test case 'Sad' (it has: Broken, Happy, Partial)." in result.stderr


def test_cli_unmocked_state_fails_clearly_and_hybrid_tries_the_real_integration(runner: CliRunner,
                                                                                files: Path) -> None:
    strict = invoke(runner, "run", files / "orders.json", "--mock-config", files / "mock.json",
                    "--test-case", "Partial", "--json")
    assert strict.exit_code == 1
    assert "Task state 'Unmocked' has no mocked response in test case 'Partial'" in json.loads(strict.stdout)["cause"]
    hybrid = invoke(runner, "run", files / "orders.json", "--mock-config", files / "mock.json",
                    "--test-case", "Partial", "--hybrid", "--json")
    # The unmocked Task goes to the real integration: SQS on the embedded AWS refuses a message without a
    # MessageBody, with AWS's error name, and the state's Catch handles it as it would on AWS.
    assert hybrid.exit_code == 0, hybrid.output
    caught = json.loads(hybrid.stdout)["output"]
    assert caught["Error"] == "SQS.AmazonSQSException"
    assert caught["Cause"].startswith("The request must contain the parameter MessageBody.")


def test_cli_reads_sfn_mock_config_when_no_file_is_given(runner: CliRunner, files: Path) -> None:
    result = runner.invoke(cli, ["run", str(files / "orders.json"), "--test-case", "Happy", "--json"],
                           env={**ENV, "SFN_MOCK_CONFIG": str(files / "mock.json")}, prog_name="aslrun")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == {"MessageId": "m-1"}


def test_cli_option_mistakes_are_usage_errors(runner: CliRunner, files: Path) -> None:
    cases = [
        (["--test-case", "Happy"], "--test-case needs --mock-config FILE (or the SFN_MOCK_CONFIG environment variable)"),
        (["--mock-config", files / "mock.json"], "needs --test-case NAME: which test case of it to use"),
        (["--hybrid"], "--hybrid needs --mock-config and --test-case"),
        (["--mock-config", files / "absent.json", "--test-case", "Happy"], "mock config file not found:"),
    ]
    for extra, message in cases:
        result = invoke(runner, "run", files / "orders.json", "--json", *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert message in json.loads(result.stdout)["cause"]


def test_cli_reports_an_invalid_mock_file_with_locations(runner: CliRunner, files: Path) -> None:
    (files / "bad.json").write_text(json.dumps({"StateMachines": {"orders": {"TestCases": {"Happy": {"Mocked": "X"}}}},
                                                "MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}}),
                                    encoding="utf-8")
    result = invoke(runner, "run", files / "orders.json", "--mock-config", files / "bad.json", "--test-case", "Happy")
    assert result.exit_code == 2
    assert "invalid mock configuration (2 problems)" in result.stderr
    assert "/StateMachines/orders/TestCases/Happy/Mocked: no mocked response named 'X' in MockedResponses" in result.stderr
    assert "/MockedResponses/R/0: must hold exactly one of Return or Throw" in result.stderr


# ---------------------------------------------------------------- known bugs in aslrun/integrations/mock.py
def test_locations_escape_slash_and_tilde_in_names() -> None:
    with pytest.raises(MockConfigError) as info:
        MockConfig.load({"StateMachines": {"M": {"TestCases": {"T": {"a/b~c": "nope"}}}}, "MockedResponses": {}})
    assert "/StateMachines/M/TestCases/T/a~1b~0c: no mocked response named 'nope'" in str(info.value)


def test_loading_a_list_is_a_mock_config_error() -> None:
    with pytest.raises(MockConfigError, match=r"/: a mock configuration must be a JSON object"):
        MockConfig.load([])  # type: ignore[arg-type]


@pytest.mark.parametrize("key", [" 0", "+0", "00", "\u0660"])
def test_invocation_keys_are_plain_decimal_numbers(key: str) -> None:
    with pytest.raises(MockConfigError, match="invocation key must be a number"):
        MockConfig.load({"StateMachines": {}, "MockedResponses": {"R": {key: {"Return": 1}}}})
