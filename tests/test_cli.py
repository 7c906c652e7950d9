"""The ``aslrun`` command (aslrun/cli): run, validate, their options, exit codes and messages.

Commands are invoked through click's CliRunner; rich rendering (render.py) is checked on a
``Console(file=StringIO(), width=80)``. Exit codes: 0 succeeded or valid, 1 the execution
failed, 2 bad usage, bad input or an invalid definition.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from aslrun import Diagnostic, Interpreter
from aslrun.cli.main import cli
from aslrun.cli.render import LiveView, render_diagnostics, render_result_summary

#: a wide, colourless terminal, so messages are not wrapped inside the diagnostics table
ENV = {"COLUMNS": "200", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None}

ECHO = {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
FAIL = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Next": "Boom"},
        "Boom": {"Type": "Fail", "Error": "Payment.Declined", "Cause": "card 4242 was declined"},
    },
}
CONTEXT = {
    "StartAt": "Read",
    "States": {
        "Read": {
            "Type": "Pass",
            "Parameters": {
                "machine.$": "$$.StateMachine.Name",
                "machineArn.$": "$$.StateMachine.Id",
                "execution.$": "$$.Execution.Name",
                "executionArn.$": "$$.Execution.Id",
                "redrives.$": "$$.Execution.RedriveCount",
            },
            "End": True,
        }
    },
}
LOOP_13000 = {
    "StartAt": "Init",
    "States": {
        "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Inc"},
        "Inc": {"Type": "Pass", "Assign": {"i.$": "States.MathAdd($i, 1)"}, "Next": "Again?"},
        "Again?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$i", "NumericLessThan": 13000, "Next": "Inc"}],
            "Default": "Done",
        },
        "Done": {"Type": "Pass", "Parameters": {"count.$": "$i"}, "End": True},
    },
}
WAIT_AN_HOUR = {
    "StartAt": "Hold",
    "States": {
        "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
        "After": {
            "Type": "Pass",
            "Parameters": {"started.$": "$$.Execution.StartTime", "now.$": "$$.State.EnteredTime"},
            "End": True,
        },
    },
}
NESTED = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Result": [1, 2], "Next": "EachItem"},
        "EachItem": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Double", "States": {"Double": {"Type": "Pass", "End": True}}},
            "Next": "Finish",
        },
        "Finish": {"Type": "Succeed"},
    },
}
BROKEN = {
    "StartAt": "Fetch",
    "States": {
        "Fetch": {"Type": "Pass", "ResultPth": "$.x", "Next": "Proces"},
        "Process": {"Type": "Pass", "End": True},
    },
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=ENV)


def write(directory: Path, name: str, doc: Any) -> Path:
    path = directory / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
    return path


def invoke(runner: CliRunner, *args: Any, **kwargs: Any) -> Result:
    return runner.invoke(cli, [str(a) for a in args], prog_name="aslrun", **kwargs)


def assert_clean_usage_error(result: Result, *fragments: str) -> None:
    """Exit 2, no traceback, a short message holding every fragment."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) <= 30  # at most the group's help: one screen
    for fragment in fragments:
        assert fragment in result.stderr


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


# ---------------------------------------------------------------- run: output and exit codes


def test_run_prints_the_output_json_on_stdout_and_exits_0(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "echo.json", ECHO)
    result = invoke(runner, "run", path, "--input", '{"order": 7, "items": ["a", "b"]}')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"order": 7, "items": ["a", "b"]}
    assert "SUCCEEDED" in result.stderr


def test_run_of_a_failing_machine_exits_1_with_error_and_cause_on_stderr(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = invoke(runner, "run", write(tmp_path, "fail.json", FAIL))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "FAILED" in result.stderr
    assert "error: Payment.Declined" in result.stderr
    assert "cause: card 4242 was declined" in result.stderr
    assert "Traceback" not in result.output


def test_quiet_run_still_reports_a_failure_on_stderr(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "fail.json", FAIL), "--quiet")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "execution FAILED",
        "error: Payment.Declined",
        "cause: card 4242 was declined",
    ]


def test_json_prints_one_object_for_success(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "--input", '{"a": 1}', "--json")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == {"status": "SUCCEEDED", "output": {"a": 1}}
    assert result.stderr == ""  # no live view with --json


def test_json_prints_one_object_for_failure(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "fail.json", FAIL), "--json")
    assert result.exit_code == 1
    assert result.stdout.count("\n") == 1
    assert json.loads(result.stdout) == {
        "status": "FAILED",
        "error": "Payment.Declined",
        "cause": "card 4242 was declined",
    }


# ---------------------------------------------------------------- run: input


def test_input_from_a_file(runner: CliRunner, tmp_path: Path) -> None:
    data = write(tmp_path, "in.json", {"from": "file", "n": [1, 2, 3]})
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "--input", f"@{data}", "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"from": "file", "n": [1, 2, 3]}


def test_input_from_stdin(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "--input", "-", "-q",
                    input='{"from": "stdin"}\n')
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"from": "stdin"}


def test_input_defaults_to_an_empty_object(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "-q")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {}


def test_a_yaml_definition_runs(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "hi.yaml", "StartAt: Hi\nStates:\n  Hi:\n    Type: Pass\n    Result: {greeting: hi}\n"
                                      "    End: true\n")
    result = invoke(runner, "run", path, "-q")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"greeting": "hi"}


# ---------------------------------------------------------------- run: history, names, context


def test_history_file_holds_the_events(runner: CliRunner, tmp_path: Path) -> None:
    history = tmp_path / "out" / "history.json"
    history.parent.mkdir()
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "--input", '{"k": "v"}',
                    "--history", history, "-q")
    assert result.exit_code == 0
    events = json.loads(history.read_text(encoding="utf-8"))["events"]
    assert [e["id"] for e in events] == [1, 2, 3, 4]
    # AWS gives the first state's Entered event previousEventId 0 too
    assert [e["previousEventId"] for e in events] == [0, 0, 2, 3]
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
    ]
    assert events[1]["stateEnteredEventDetails"]["name"] == "Echo"
    # payloads are JSON text, as GetExecutionHistory returns them
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"k": "v"}
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == {"k": "v"}


def test_history_file_is_written_for_a_failed_execution(runner: CliRunner, tmp_path: Path) -> None:
    history = tmp_path / "history.json"
    result = invoke(runner, "run", write(tmp_path, "fail.json", FAIL), "--history", history, "-q")
    assert result.exit_code == 1
    last = json.loads(history.read_text(encoding="utf-8"))["events"][-1]
    assert last["type"] == "ExecutionFailed"
    assert last["executionFailedEventDetails"]["error"] == "Payment.Declined"


def test_machine_name_defaults_to_the_file_stem_and_name_sets_it(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "checkout-flow.json", CONTEXT)
    default = json.loads(invoke(runner, "run", path, "-q").stdout)
    assert default["machine"] == "checkout-flow"
    named = json.loads(invoke(runner, "run", path, "--name", "Orders", "-q").stdout)
    assert named["machine"] == "Orders"
    assert named["machineArn"].endswith(":stateMachine:Orders")


def test_execution_name_sets_the_execution_name(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "ctx.json", CONTEXT)
    out = json.loads(invoke(runner, "run", path, "--execution-name", "nightly-42", "-q").stdout)
    assert out["execution"] == "nightly-42"
    assert out["executionArn"].endswith(":execution:ctx:nightly-42")


def test_context_fields_are_merged_into_the_context_object(runner: CliRunner, tmp_path: Path) -> None:
    doc = json.loads(json.dumps(CONTEXT))
    doc["States"]["Read"]["Parameters"]["tenant.$"] = "$$.Tenant.Id"
    path = write(tmp_path, "ctx.json", doc)
    extra = write(tmp_path, "ctx-extra.json", {"Execution": {"RedriveCount": 2}, "Tenant": {"Id": "acme"}})
    for value in (f"@{extra}", extra.read_text(encoding="utf-8")):
        result = invoke(runner, "run", path, "--execution-name", "ex-1", "--context", value, "-q")
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert out["redrives"] == 2
        assert out["tenant"] == "acme"
        assert out["execution"] == "ex-1"  # merged, not replaced


def test_seed_makes_runs_reproducible(runner: CliRunner, tmp_path: Path) -> None:
    doc = {"StartAt": "Id", "States": {"Id": {"Type": "Pass", "Parameters": {
        "id.$": "States.UUID()", "execution.$": "$$.Execution.Name"}, "End": True}}}
    path = write(tmp_path, "uuid.json", doc)
    first, again, other = (invoke(runner, "run", path, "--seed", s, "--json").stdout for s in (5, 5, 6))
    assert first == again != other


# ---------------------------------------------------------------- run: limits and clocks


def test_history_limit_fails_a_long_loop_unless_lifted(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "loop.json", LOOP_13000)
    limited = invoke(runner, "run", path, "--json")
    assert limited.exit_code == 1
    failure = json.loads(limited.stdout)
    assert failure["status"] == "FAILED"
    assert failure["error"] == "States.Runtime"
    assert "maximum number of history events (25000)" in failure["cause"]

    lifted = invoke(runner, "run", path, "--no-history-limit", "--json")
    assert lifted.exit_code == 0, lifted.output
    assert json.loads(lifted.stdout) == {"status": "SUCCEEDED", "output": {"count": 13000}}


def test_virtual_clock_makes_an_hour_long_wait_instant(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "wait.json", WAIT_AN_HOUR)
    began = time.monotonic()
    result = invoke(runner, "run", path, "--clock", "virtual", "-q")
    assert time.monotonic() - began < 10
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert parse_time(out["now"]) - parse_time(out["started"]) >= timedelta(seconds=3600)


def test_unknown_clock_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "--clock", "sundial")
    assert_clean_usage_error(result, "Invalid value for '--clock'", "sundial")


# ---------------------------------------------------------------- run: bad input


def test_definition_that_is_not_json(runner: CliRunner, tmp_path: Path) -> None:
    text = '{\n  "StartAt": "A",\n  "States": {\n    "A": {"Type": "Pass" "End": true}\n  }\n}\n'
    result = invoke(runner, "run", write(tmp_path, "bad.json", text))
    assert_clean_usage_error(result, "bad.json", "is not valid JSON", "Expecting ',' delimiter",
                             "(line 4, column 26)", '"A": {"Type": "Pass" "End": true}')


def test_definition_that_is_not_yaml(runner: CliRunner, tmp_path: Path) -> None:
    text = "StartAt: A\nStates:\n  A:\n    Type: Pass\n   End: true\n"
    result = invoke(runner, "run", write(tmp_path, "bad.yaml", text))
    assert_clean_usage_error(result, "bad.yaml", "is not valid YAML", "(line 5, column 4)")


def test_invalid_asl_lists_each_problem_with_pointer_state_and_hint(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "broken.json", BROKEN))
    assert_clean_usage_error(
        result,
        "2 problems",
        "/States/Fetch/ResultPth", "Field 'ResultPth' is not supported.", 'Did you mean "ResultPath"?',
        "/States/Fetch/Next", "Missing 'Next' target: Proces", 'Did you mean "Process"?',
    )
    assert "Fetch" in result.stderr.split("/States/Fetch/Next", 1)[1].splitlines()[0]


def test_unknown_flag(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "--inptu", "{}")
    assert_clean_usage_error(result, "No such option", "--inptu", "Did you mean '--input'?",
                             "Try 'aslrun run --help' for help.")


def test_missing_definition_file(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", tmp_path / "nowhere.json")
    assert_clean_usage_error(result, "definition file not found:", "nowhere.json")


def test_directory_instead_of_a_definition_file(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", tmp_path)
    assert_clean_usage_error(result, "is a directory")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--input", "{order: 1}"], ["input is not valid JSON", "(line 1, column 2)", "{order: 1}"]),
        (["--input", ""], ["input is not valid JSON", "Expecting value"]),
        (["--input", "@missing.json"], ["input file not found: missing.json"]),
        (["--context", "[1, 2]"], ["--context must be a JSON object"]),
        (["--context", '"acme"'], ["--context must be a JSON object"]),
        (["--context", "{tenant"], ["context is not valid JSON", "(line 1, column 2)"]),
        (["--execution-name", "x" * 81], ["execution name must be 1 to 80 characters long"]),
    ],
    ids=["input-not-json", "input-empty", "input-file-missing", "context-array", "context-string",
         "context-not-json", "execution-name-too-long"],
)
def test_bad_option_values(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], fragments: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), *args)
    assert_clean_usage_error(result, *fragments)


def test_stdin_that_is_not_json(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "echo.json", ECHO), "--input", "-", input="not json")
    assert_clean_usage_error(result, "input from stdin is not valid JSON")


# ---------------------------------------------------------------- bad usage: every path exits 2


#: every way to call aslrun wrongly (M: a valid definition), with what the message must say
BAD_USAGE: list[tuple[list[str], list[str]]] = [
    ([], ["Usage: aslrun [OPTIONS] COMMAND [ARGS]...", "Commands:"]),
    (["--debug"], ["Missing command"]),
    (["cluster"], ["Usage: aslrun cluster [OPTIONS] COMMAND [ARGS]...", "kubeconfig"]),
    (["--bogus"], ["No such option", "--bogus"]),
    (["runn"], ["No such command 'runn'", "Did you mean 'run'?"]),
    (["cluster", "lst"], ["No such command 'lst'"]),
    (["cluster", "list", "--all"], ["No such option", "--all"]),
    (["cluster", "kubeconfig"], ["Missing argument 'NAME'"]),
    (["cluster", "kubeconfig", "nope"], ["Invalid value for NAME: no running local cluster named 'nope'"]),
    (["run"], ["Missing argument 'DEFINITION'"]),
    (["run", "{m}", "--seed", "abc"], ["Invalid value for '--seed'", "'abc' is not a valid integer"]),
    (["run", "{m}", "--eks-backend", "cloud"], ["Invalid value for '--eks-backend'"]),
    (["run", "{m}", "--jobs", "process", "--eks-backend", "fake"], ["--jobs"]),
    (["run", "{m}", "--hybrid"], ["--hybrid needs --mock-config and --test-case"]),
    (["run", "{m}", "--test-case", "T"], ["--test-case needs --mock-config FILE"]),
    (["run", "{m}", "--eks-kubeconfig", "nocontext"], ["expected NAME=CONTEXT"]),
    (["validate"], ["Missing argument 'DEFINITION'"]),
    (["validate", "{m}", "--strict"], ["No such option", "--strict"]),
    (["debug"], ["Missing argument 'DEFINITION'"]),
    (["debug", "{m}", "--clock", "sundial"], ["Invalid value for '--clock'"]),
    (["test-state"], ["Missing argument 'DEFINITION'"]),
    (["test-state", "{m}", "--retrier-retry-count", "-1"], ["Invalid value for '--retrier-retry-count'"]),
    (["test-state", "{m}", "--inspection-level", "LOUD"], ["Invalid value for '--inspection-level'"]),
    (["test-state", "{m}", "--variables", "[1]"], ["--variables must be a JSON object"]),
]


@pytest.mark.parametrize(("args", "fragments"), BAD_USAGE,
                         ids=[" ".join(args).replace("{m}", "M") or "no-command" for args, _ in BAD_USAGE])
def test_bad_usage_exits_2(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                           fragments: list[str]) -> None:
    monkeypatch.setenv("ASLRUN_RUNTIME_DIR", str(tmp_path / "runtime"))  # no running local cluster
    monkeypatch.delenv("SFN_MOCK_CONFIG", raising=False)
    machine = write(tmp_path, "echo.json", ECHO)
    result = invoke(runner, *[str(machine) if a == "{m}" else a for a in args])
    assert_clean_usage_error(result, *fragments)


def test_the_console_script_exits_2_without_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    from aslrun.cli.main import main

    for args in ([], ["cluster"], ["--debug"]):
        with pytest.raises(SystemExit) as exited:
            main(args)
        assert exited.value.code == 2, args
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("Usage: aslrun"), args


def test_help_and_version_exit_0(runner: CliRunner) -> None:
    for args in (["--help"], ["-h"], ["cluster", "--help"], ["run", "--help"], ["--version"]):
        result = invoke(runner, *args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout and result.stderr == "", args


def test_command_modules_do_not_import_the_group() -> None:
    # main.py imports every command module to register it; a command importing main back would be a cycle
    import ast

    import aslrun.cli

    package = Path(aslrun.cli.__file__).parent
    for module in sorted(package.glob("*.py")):
        if module.name in ("main.py", "__init__.py"):
            continue
        imported = set()
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        assert not {name for name in imported if name.startswith("aslrun.cli.main")}, module.name
        assert {name for name in imported if name.startswith("aslrun.cli.")} <= {
            "aslrun.cli.common", "aslrun.cli.options", "aslrun.cli.render"}, module.name


# ---------------------------------------------------------------- validate


def test_validate_a_valid_definition(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "echo.json", ECHO)
    result = invoke(runner, "validate", path)
    assert result.exit_code == 0
    assert "echo.json is a valid state machine" in result.stderr
    as_json = invoke(runner, "validate", path, "--json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout) == {"result": "OK", "diagnostics": []}


def test_validate_lists_every_problem_and_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "validate", write(tmp_path, "broken.json", BROKEN))
    assert_clean_usage_error(
        result,
        "broken.json:", "2 problems",
        "/States/Fetch/ResultPth", 'Did you mean "ResultPath"?',
        "/States/Fetch/Next", 'Did you mean "Process"?',
    )


def test_validate_json(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "validate", write(tmp_path, "broken.json", BROKEN), "--json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["result"] == "FAIL"
    assert [(d["code"], d["location"], d["state"], d["severity"]) for d in report["diagnostics"]] == [
        ("SCHEMA_VALIDATION_FAILED", "/States/Fetch/ResultPth", "Fetch", "ERROR"),
        ("MISSING_TRANSITION_TARGET", "/States/Fetch/Next", "Fetch", "ERROR"),
    ]
    assert report["diagnostics"][1]["message"] == "Missing 'Next' target: Proces"
    assert report["diagnostics"][1]["hint"] == 'Did you mean "Process"?'


def test_validate_json_of_text_that_is_not_json(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "validate", write(tmp_path, "bad.json", '{"StartAt": "A",,}'), "--json")
    assert result.exit_code == 2
    (diagnostic,) = json.loads(result.stdout)["diagnostics"]
    assert diagnostic["code"] == "INVALID_JSON_DESCRIPTION"
    assert (diagnostic["line"], diagnostic["column"]) == (1, 17)


def test_validate_warnings_do_not_fail(runner: CliRunner, tmp_path: Path) -> None:
    doc = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemProcessor": {
        "StartAt": "Spin", "States": {"Spin": {"Type": "Pass", "Next": "Spin"}}}, "End": True}}}
    result = invoke(runner, "validate", write(tmp_path, "warn.json", doc), "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["result"] == "OK"
    assert [(d["severity"], d["code"], d["location"]) for d in report["diagnostics"]] == [
        ("WARNING", "MISSING_END_STATE", "/States/Each/ItemProcessor/States"),
    ]


def test_validate_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "validate", tmp_path / "nowhere.yaml")
    assert_clean_usage_error(result, "definition file not found:", "nowhere.yaml")


# ---------------------------------------------------------------- the live view


def test_live_view_shows_each_state_entered_and_exited(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "nested.json", NESTED))
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    for name, kind in (("First", "Pass"), ("EachItem", "Map"), ("Finish", "Succeed")):
        assert f"▶ {name} ({kind})" in lines
        assert any(line.startswith(f"✓ {name}  ") for line in lines)
    # states inside a Map iteration are indented, once per iteration
    assert lines.count("  ▶ Double (Pass)") == 2
    assert lines[-1].startswith("SUCCEEDED")
    assert "4 states" not in lines[-1]  # 3 top-level + 2 iterations = 5
    assert "5 states" in lines[-1]


def test_live_view_is_silent_with_quiet(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, "run", write(tmp_path, "nested.json", NESTED), "--quiet")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_live_view_on_a_console_shows_nesting_data_and_the_closing_line() -> None:
    console = Console(file=StringIO(), width=80)
    view = LiveView(console)
    result = Interpreter(clock="virtual").run(NESTED, None, name="run-1", listeners=[view])
    view.finish(result)
    text = console.file.getvalue()
    assert "▶ First (Pass)" in text
    assert "✓ First" in text and "→ [1,2]" in text
    assert "  ▶ Double (Pass)" in text
    assert "SUCCEEDED  run-1  5 states" in text


def test_live_view_stops_printing_each_state_after_max_lines() -> None:
    console = Console(file=StringIO(), width=80)
    view = LiveView(console, max_lines=10)
    doc = json.loads(json.dumps(LOOP_13000).replace("13000", "50"))
    result = Interpreter(clock="virtual").run(doc, None, listeners=[view])
    view.finish(result)
    lines = console.file.getvalue().splitlines()
    assert len(lines) < 20
    assert "lines not shown" in lines[-1]


def test_live_view_prints_the_failure() -> None:
    console = Console(file=StringIO(), width=80)
    view = LiveView(console)
    result = Interpreter(clock="virtual").run(FAIL, None, listeners=[view])
    view.finish(result)
    text = console.file.getvalue()
    assert "✗ ExecutionFailed: Payment.Declined — card 4242 was declined" in text
    assert "error: Payment.Declined" in text
    assert "cause: card 4242 was declined" in text


def test_result_summary_is_silent_for_success_and_names_the_failure() -> None:
    console = Console(file=StringIO(), width=80)
    render_result_summary(console, Interpreter().run(ECHO, {}))
    assert console.file.getvalue() == ""
    render_result_summary(console, Interpreter().run(FAIL, {}))
    assert console.file.getvalue().splitlines() == [
        "execution FAILED", "error: Payment.Declined", "cause: card 4242 was declined",
    ]


def test_diagnostics_table_fits_80_columns() -> None:
    console = Console(file=StringIO(), width=80)
    diagnostics = [
        Diagnostic("MISSING_TRANSITION_TARGET", "Missing 'Next' target: Proces", "/States/Fetch/Next", "Fetch",
                   'Did you mean "Process"?'),
        Diagnostic("INVALID_JSON_DESCRIPTION", "definition is not valid JSON", "/", line=3, column=9),
    ]
    render_diagnostics(console, diagnostics, "flow.json")
    text = console.file.getvalue()
    assert all(len(line) <= 80 for line in text.splitlines())
    assert text.splitlines()[0].startswith("flow.json: 2 problems")
    for fragment in ("/States/Fetch/Next", "Fetch", "Missing 'Next' target: Proces", 'Did you mean "Process"?',
                     "line 3, col 9"):
        assert fragment in text


# ---------------------------------------------------------------- entry points


def test_python_dash_m_aslrun_help() -> None:
    done = subprocess.run([sys.executable, "-m", "aslrun", "--help"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage: aslrun" in done.stdout
    assert "run" in done.stdout and "validate" in done.stdout


def test_python_dash_m_aslrun_exit_code_for_a_missing_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "aslrun", "run", str(tmp_path / "nowhere.json")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "definition file not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_console_script_is_installed() -> None:
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name="aslrun")
    assert entry.value == "aslrun.cli.main:main"
    script = Path(sys.executable).parent / "aslrun"
    assert script.exists()
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith("aslrun, version ")


def test_json_on_an_invalid_definition_prints_one_object_with_the_diagnostics(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = write(tmp_path, "bad.json", {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})
    result = invoke(runner, "run", path, "--json")
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["status"] == "INVALID"
    assert payload["error"] == "DefinitionError"
    by_location = {d["location"]: d["code"] for d in payload["diagnostics"]}
    assert by_location["/States/A/Next"] == "MISSING_TRANSITION_TARGET"
    assert by_location["/States"] == "MISSING_END_STATE"


def test_an_unwritable_history_file_is_reported_before_the_execution_runs(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "wait.json", {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": True}}})
    result = invoke(runner, "run", path, "--history", tmp_path / "missing-dir" / "h.json")
    assert_clean_usage_error(result, "cannot write history to")
    assert "SUCCEEDED" not in result.stderr


def test_a_syntax_error_on_a_long_line_shows_a_window_with_the_caret_under_the_error(
    runner: CliRunner, tmp_path: Path
) -> None:
    padding = ", ".join(f'"k{i}": {i}' for i in range(40))
    text = '{"Comment": {' + padding + '}, "StartAt": "A", "States": {"A": {"Type": "Pass", "End" true}}}'
    path = write(tmp_path, "long.json", text)
    result = invoke(runner, "run", path)
    assert_clean_usage_error(result, "line 1, column")
    lines = result.stderr.splitlines()
    caret_line = next(i for i, line in enumerate(lines) if line.strip() == "^")
    excerpt = lines[caret_line - 1]
    assert excerpt[lines[caret_line].index("^")] == "t"  # the caret sits under the 't' of 'true'


# ---------------------------------------------------------------- internal errors and JSON text


def _boom(self: object) -> None:
    raise RuntimeError("boom in the engine")


def test_an_internal_error_exits_3_with_one_line_and_no_traceback(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    from aslrun.cli.main import main
    from aslrun.execution import Execution

    machine = tmp_path / "m.json"
    machine.write_text('{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')
    monkeypatch.setattr(Execution, "run", _boom)
    with pytest.raises(SystemExit) as exited:
        main(["run", str(machine)])
    assert exited.value.code == 3
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    said = " ".join(err.split())
    assert said == ("internal error: RuntimeError: boom in the engine — this is a bug in aslrun. Please report it "
                    "with the command, the definition and its input (add --debug for the traceback).")

    with pytest.raises(SystemExit) as exited:
        main(["run", str(machine), "--json", "--debug"])
    assert exited.value.code == 3
    out, err = capsys.readouterr()
    assert json.loads(out) == {"status": "ERROR", "error": "aslrun.InternalError",
                               "cause": "RuntimeError: boom in the engine"}
    assert "Traceback (most recent call last)" in err and "_boom" in err


def test_json_text_is_strict_json_that_utf8_can_carry() -> None:
    from aslrun.cli.common import json_text

    assert json_text({"a": "é"}) == '{"a": "é"}'
    escaped = json_text({"a": "\udfff", "b": "é"})  # a lone surrogate: UTF-8 cannot carry it raw
    assert escaped == '{"a": "\\udfff", "b": "\\u00e9"}' and escaped.encode("utf-8")
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        json_text({"n": float("nan")})
