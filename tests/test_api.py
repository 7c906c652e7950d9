"""The public API: aslrun's ``__all__``, ``run``/``load``/``validate`` on every source kind,
definition errors, ``ExecutionResult.raise_for_status`` and ``to_json``.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest

import aslrun
from aslrun.integrations.base import TaskRequest

HELLO: dict[str, Any] = {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Result": "hello", "End": True}}}
HELLO_JSON = json.dumps(HELLO)
HELLO_YAML = """\
StartAt: Hi
States:
  Hi:
    Type: Pass
    Result: hello
    End: true
"""
FAILING: dict[str, Any] = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "MyError", "Cause": "my cause"}}}


def quick(definition: Any, input: Any = None) -> aslrun.ExecutionResult:
    return aslrun.run(definition, input, clock="virtual", load_plugins=False)


# ---------------------------------------------------------------- __all__


def public_names() -> set[str]:
    """What the module offers: its own names and those it loads on first use (dir), modules left out."""
    return {
        name
        for name in dir(aslrun)
        if not name.startswith("_") and not isinstance(getattr(aslrun, name), types.ModuleType)
        and name != "annotations"
    }


def test_all_is_sorted() -> None:
    assert aslrun.__all__ == sorted(aslrun.__all__)


def test_all_lists_exactly_the_public_names() -> None:
    # __version__ is the one dunder that belongs in __all__.
    assert set(aslrun.__all__) - {"__version__"} == public_names()


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in aslrun.__all__:
        value = getattr(aslrun, name)
        if name == "__version__":
            assert isinstance(value, str) and value
            continue
        assert (value.__doc__ or "").strip(), f"aslrun.{name} has no docstring"


def test_exception_tree() -> None:
    for name in ("DefinitionError", "InputError", "MockConfigError", "IntegrationError", "ExecutionFailed"):
        assert issubclass(getattr(aslrun, name), aslrun.AslrunError)
    assert issubclass(aslrun.SourceError, aslrun.DefinitionError)
    assert (aslrun.AslrunError.exit_code, aslrun.ExecutionFailed.exit_code) == (2, 1)


# ---------------------------------------------------------------- run and load on every kind of source


@pytest.mark.parametrize("source", [HELLO, HELLO_JSON, HELLO_YAML], ids=["dict", "json", "yaml"])
def test_run_accepts_dicts_json_and_yaml_text(source: Any) -> None:
    result = quick(source, {"a": 1})
    assert (result.status, result.output) == ("SUCCEEDED", "hello")


@pytest.mark.parametrize(("filename", "text"), [("hello.json", HELLO_JSON), ("hello.asl.yaml", HELLO_YAML)])
def test_run_and_load_accept_paths(tmp_path: Path, filename: str, text: str) -> None:
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")
    assert quick(path).output == "hello"
    assert quick(str(path)).output == "hello"
    machine = aslrun.load(path)
    assert machine.start_at == "Hi"
    assert machine.name == path.stem


def test_load_names_the_machine() -> None:
    machine = aslrun.load(HELLO, name="greeter")
    assert machine.name == "greeter"
    result = aslrun.Interpreter(clock="virtual", load_plugins=False).run(machine, {}, name="e1")
    assert result.state_machine_arn == "arn:aws:states:us-east-1:111111111111:stateMachine:greeter"
    assert result.execution_arn == "arn:aws:states:us-east-1:111111111111:execution:greeter:e1"
    assert result.name == "e1"


def test_load_returns_a_compiled_machine_that_runs_many_times() -> None:
    machine = aslrun.load(HELLO)
    assert isinstance(machine, aslrun.StateMachine)
    interpreter = aslrun.Interpreter(clock="virtual", load_plugins=False)
    assert [interpreter.run(machine, i).output for i in range(3)] == ["hello"] * 3


def test_run_without_input_uses_an_empty_object() -> None:
    result = quick({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert result.output == {}


def test_missing_definition_file(tmp_path: Path) -> None:
    with pytest.raises(aslrun.InputError, match="definition file not found"):
        aslrun.load(tmp_path / "nope.json")


def test_not_a_definition() -> None:
    with pytest.raises(aslrun.InputError, match="a definition must be a dict, a JSON/YAML string or a path, not int"):
        aslrun.load(5)


# ---------------------------------------------------------------- definition errors


def test_invalid_definition_lists_its_diagnostics() -> None:
    bad = {
        "StartAt": "Fetch",
        "States": {"Fetch": {"Type": "Pass", "Next": "Proces"}, "Process": {"Type": "Pass", "End": True}},
    }
    with pytest.raises(aslrun.DefinitionError, match=r"invalid state machine definition \(\d+ problems?\)") as info:
        aslrun.load(bad)
    diagnostics = info.value.diagnostics
    assert diagnostics
    first = next(d for d in diagnostics if d.location == "/States/Fetch/Next")
    assert first.code == "MISSING_TRANSITION_TARGET"
    assert first.state == "Fetch"
    assert "Proces" in first.message
    assert first.hint is not None and '"Process"' in first.hint
    assert "/States/Fetch/Next" in str(info.value)


def test_every_problem_is_reported_at_once() -> None:
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}, "B": {"Type": "Bogus", "End": True}}}
    with pytest.raises(aslrun.DefinitionError) as info:
        aslrun.load(bad)
    locations = {d.location for d in info.value.diagnostics}
    assert {"/States/A/Next", "/States/B/Type"} <= locations


def test_unparseable_json_is_a_source_error_with_line_and_column() -> None:
    with pytest.raises(aslrun.SourceError, match=r"not valid JSON: Expecting value \(line 2, column 13\)") as info:
        aslrun.load('{\n "StartAt": }')
    (diagnostic,) = info.value.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("INVALID_JSON_DESCRIPTION", 2, 13)


def test_validate_returns_diagnostics_without_raising() -> None:
    assert aslrun.validate(HELLO) == []
    problems = aslrun.validate({"StartAt": "Nope", "States": {"A": {"Type": "Pass", "End": True}}})
    assert problems and all(isinstance(d, aslrun.Diagnostic) for d in problems)
    assert any(d.location == "/StartAt" for d in problems)


def test_diagnostic_to_json() -> None:
    (problem,) = [d for d in aslrun.validate({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "X"}}})
                  if d.location == "/States/A/Next"]
    data = problem.to_json()
    assert data["severity"] == "ERROR"
    assert data["code"] == "MISSING_TRANSITION_TARGET"
    assert data["location"] == "/States/A/Next"
    assert data["state"] == "A"


# ---------------------------------------------------------------- results


def test_raise_for_status_on_failure() -> None:
    result = quick(FAILING)
    with pytest.raises(aslrun.ExecutionFailed, match="execution FAILED: MyError: my cause") as info:
        result.raise_for_status()
    assert (info.value.error, info.value.cause, info.value.result) == ("MyError", "my cause", result)


def test_raise_for_status_on_success_returns_the_result() -> None:
    result = quick(HELLO)
    assert result.raise_for_status() is result
    assert result.succeeded


def test_to_json_on_success() -> None:
    assert quick(HELLO).to_json() == {"status": "SUCCEEDED", "output": "hello"}


def test_to_json_on_failure() -> None:
    assert quick(FAILING).to_json() == {"status": "FAILED", "error": "MyError", "cause": "my cause"}


def test_to_json_on_timeout() -> None:
    definition = {"StartAt": "W", "TimeoutSeconds": 1, "States": {"W": {"Type": "Wait", "Seconds": 9, "End": True}}}
    assert quick(definition).to_json() == {"status": "TIMED_OUT", "error": "States.Timeout", "cause": None}


def test_to_json_is_json() -> None:
    result = quick({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"a": [1, None, "é"]}, "End": True}}})
    assert json.loads(json.dumps(result.to_json())) == {"status": "SUCCEEDED", "output": {"a": [1, None, "é"]}}


# ---------------------------------------------------------------- settings and integrations


def test_unknown_clock_is_an_input_error() -> None:
    with pytest.raises(aslrun.InputError, match="unknown clock 'fast': use one of auto, virtual, real"):
        aslrun.Interpreter(clock="fast")


def test_execution_names_are_at_most_80_characters() -> None:
    interpreter = aslrun.Interpreter(clock="virtual", load_plugins=False)
    assert interpreter.run(HELLO, {}, name="x" * 80).name == "x" * 80
    with pytest.raises(aslrun.InputError, match="an execution name must be 1 to 80 characters long"):
        interpreter.start(HELLO, {}, name="x" * 81)


def test_an_empty_execution_name_is_refused_not_replaced() -> None:
    # AWS's StartExecution refuses name="" (length 1..80); only an absent name gets a UUID.
    with pytest.raises(aslrun.InputError, match="an execution name must be 1 to 80 characters long"):
        aslrun.Interpreter(clock="virtual", load_plugins=False).start(HELLO, {}, name="")


class EchoIntegration:
    """Answers every Task with its parameters."""

    name = "echo"
    remote = False

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: TaskRequest) -> Any:
        return {"echo": request.parameters}


def test_an_integration_class_satisfies_the_protocol_and_runs_tasks() -> None:
    assert isinstance(EchoIntegration(), aslrun.Integration)
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                   "Parameters": {"x.$": "$.x"}, "End": True}}}
    result = aslrun.run(definition, {"x": 1}, clock="virtual", load_plugins=False, integrations=[EchoIntegration()])
    assert result.output == {"echo": {"x": 1}}


def test_a_task_without_an_integration_fails_with_states_runtime() -> None:
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                                                   "End": True}}}
    result = aslrun.run(definition, {}, clock="virtual", load_plugins=False)
    assert result.error == "States.Runtime"
    assert result.cause is not None and "No integration handles the resource" in result.cause


def test_seeded_runs_are_reproducible() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"u.$": "States.UUID()"},
                                                   "End": True}}}
    first = aslrun.run(definition, {}, clock="virtual", load_plugins=False, seed=7)
    second = aslrun.run(definition, {}, clock="virtual", load_plugins=False, seed=7)
    assert first.output == second.output
    assert first.name == second.name


def test_validate_applies_the_express_rules_on_request() -> None:
    machine = {"StartAt": "Wait", "States": {"Wait": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True}}}
    assert aslrun.validate(machine) == []
    (problem,) = aslrun.validate(machine, type="EXPRESS")
    assert (problem.code, problem.location) == ("SCHEMA_VALIDATION_FAILED", "/States/Wait/Resource")


def test_public_names_load_on_first_use_and_unknown_ones_are_attribute_errors() -> None:
    import subprocess
    import sys

    code = ("import sys, aslrun; assert 'aslrun.interpreter' not in sys.modules; "
            "from aslrun import Interpreter; assert 'aslrun.interpreter' in sys.modules; print(Interpreter.__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "Interpreter"), done.stderr
    with pytest.raises(AttributeError, match="has no attribute 'Interpretr'"):
        aslrun.Interpretr  # noqa: B018


def test_a_run_relaxes_the_young_gc_generation_and_gives_the_program_its_setting_back() -> None:
    """While executions run, the young generation is collected every GC_YOUNG_THRESHOLD objects (the history
    is long-lived data); afterwards the program's own thresholds are back, and a higher one is never lowered."""
    import gc

    from aslrun import defaults

    seen: list[tuple[int, int, int]] = []

    def look(execution: Any, event: Any) -> None:
        seen.append(gc.get_threshold())

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        interp = aslrun.Interpreter(load_plugins=False)
        machine = interp.load({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        interp.start(machine, {}, listeners=[look]).run()
        assert seen and all(t == (defaults.GC_YOUNG_THRESHOLD, 10, 10) for t in seen)
        assert gc.get_threshold() == (700, 10, 10)
        gc.set_threshold(10 * defaults.GC_YOUNG_THRESHOLD, 5, 5)
        seen.clear()
        interp.start(machine, {}, listeners=[look]).run()
        assert set(seen) == {(10 * defaults.GC_YOUNG_THRESHOLD, 5, 5)}
    finally:
        gc.set_threshold(*before)
