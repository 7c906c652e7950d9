"""Workflow variables (``Assign``) through real executions, in both query languages.

When new values become visible (the next state; never the assigning state's own output),
which ``Assign`` runs (state, Choice rule, Catcher), scopes (Parallel branches, Map
iterations, Distributed Map children), reading variables from JSONPath (``$var``),
references to variables that have no value, size limits, ``assignedVariables`` in the
history and ``ExecutionResult.variables``; then a property test over generated nestings
of Parallel and Map states.

Expected texts marked "corpus" come from executions recorded against AWS
(../shared/conformance).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aslrun
import aslrun.expressions.jsonata  # noqa: F401  (see below)
from aslrun.errors import StatesError
from aslrun.integrations.base import TaskRequest

# aslrun.expressions.jsonata is imported above, not lazily by the first JSONata machine: importing
# jsonata-python raises sys's recursion limit, and hypothesis warns (an error here) when the limit
# changes during a test.

TASK = "arn:aws:states:::lambda:invoke"
JSONPATH, JSONATA = "JSONPath", "JSONata"
LANGUAGES = pytest.mark.parametrize("lang", [JSONPATH, JSONATA])
#: 256 KiB, AWS's limit for one variable and for one Assign (UTF-8 bytes of the JSON text)
LIMIT = 262_144


class FakeTask:
    """A Task backend: ``behaviour(request)`` gives the result (or raises); default: echo the parameters."""

    name = "fake"
    remote = False

    def __init__(self, behaviour: Callable[[TaskRequest], Any] | None = None) -> None:
        self.behaviour = behaviour
        self.requests: list[TaskRequest] = []

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: TaskRequest) -> Any:
        self.requests.append(request)
        if self.behaviour is None:
            return request.parameters
        return self.behaviour(request)


def run(
    definition: dict[str, Any], input: Any = None, behaviour: Callable[[TaskRequest], Any] | None = None
) -> aslrun.ExecutionResult:
    interpreter = aslrun.Interpreter(
        clock="virtual", integrations=[FakeTask(behaviour)], load_plugins=False, seed=1
    )
    return interpreter.run(definition, input)


def machine(lang: str, states: dict[str, Any]) -> dict[str, Any]:
    definition: dict[str, Any] = {"StartAt": next(iter(states)), "States": states}
    if lang == JSONATA:
        definition["QueryLanguage"] = JSONATA
    return definition


def read(lang: str, *names: str) -> dict[str, Any]:
    """A Pass state's fields that output ``{name: $name, ...}``."""
    if lang == JSONATA:
        return {"Output": {name: f"{{% ${name} %}}" for name in names}}
    return {"Parameters": {f"{name}.$": f"${name}" for name in names}}


def assign(**values: Any) -> dict[str, Any]:
    """``Assign`` setting literal values (the same text in both languages)."""
    return {"Assign": values}


def copy(lang: str, **sources: str) -> dict[str, Any]:
    """``Assign`` that copies variables: ``copy(lang, x="y")`` is ``x := $y``."""
    if lang == JSONATA:
        return {"Assign": {name: f"{{% ${source} %}}" for name, source in sources.items()}}
    return {"Assign": {f"{name}.$": f"${source}" for name, source in sources.items()}}


def succeeded(result: aslrun.ExecutionResult) -> Any:
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result.output


def exited(result: aslrun.ExecutionResult, state: str) -> dict[str, Any]:
    """The details of ``state``'s ``…StateExited`` event, payloads as JSON text (the AWS shape)."""
    for event in result.history:
        if event["type"].endswith("StateExited") and event["stateExitedEventDetails"]["name"] == state:
            return dict(event["stateExitedEventDetails"])
    raise AssertionError(f"no exit event for {state}")


def prefix(state: str, entered: int) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #{entered}). "


# ---------------------------------------------------------------- when values become visible


@LANGUAGES
def test_values_are_visible_from_the_next_state_and_the_assigning_state_sees_the_old_ones(lang: str) -> None:
    result = run(
        machine(
            lang,
            {
                "Init": {"Type": "Pass", **assign(x="old"), "Next": "Same"},
                "Same": {"Type": "Pass", **assign(x="new"), **read(lang, "x"), "Next": "Next"},
                "Next": {"Type": "Pass", **read(lang, "x"), "End": True},
            },
        )
    )
    assert succeeded(result) == {"x": "new"}
    assert json.loads(exited(result, "Same")["output"]) == {"x": "old"}
    assert result.variables == {"x": "new"}


def test_output_path_sees_the_old_values() -> None:
    result = run(
        {
            "StartAt": "Init",
            "States": {
                "Init": {"Type": "Pass", "Assign": {"x": {"v": "old"}}, "Next": "Same"},
                "Same": {"Type": "Pass", "Assign": {"x": {"v": "new"}}, "OutputPath": "$x.v", "End": True},
            },
        }
    )
    assert succeeded(result) == "old"


@LANGUAGES
def test_a_task_output_sees_the_old_values_while_its_assign_sees_the_result(lang: str) -> None:
    if lang == JSONATA:
        task = {
            "Assign": {"x": "{% $states.result.value %}"},
            "Output": {"before": "{% $x %}", "value": "{% $states.result.value %}"},
        }
    else:
        task = {
            "Assign": {"x.$": "$.value"},
            # "value" keeps the same path before and after ResultSelector: the digest is unsure which
            # of the two JSONPath Assign sees.
            "ResultSelector": {"before.$": "$x", "value.$": "$.value"},
        }
    result = run(
        machine(
            lang,
            {
                "Init": {"Type": "Pass", **assign(x="old"), "Next": "T"},
                "T": {"Type": "Task", "Resource": TASK, **task, "End": True},
            },
        ),
        behaviour=lambda request: {"value": "from the task"},
    )
    assert succeeded(result) == {"before": "old", "value": "from the task"}
    assert result.variables == {"x": "from the task"}


@LANGUAGES
def test_swap_every_right_hand_side_sees_the_values_on_state_entry(lang: str) -> None:
    result = run(
        machine(
            lang,
            {
                "Init": {"Type": "Pass", **assign(x=1, y=2), "Next": "Swap"},
                "Swap": {"Type": "Pass", **copy(lang, x="y", y="x", z="x"), "End": True},
            },
        )
    )
    succeeded(result)
    assert result.variables == {"x": 2, "y": 1, "z": 1}


@LANGUAGES
def test_wait_assigns_too(lang: str) -> None:
    result = run(
        machine(
            lang,
            {
                "W": {"Type": "Wait", "Seconds": 1, **assign(waited=True), "Next": "R"},
                "R": {"Type": "Pass", **read(lang, "waited"), "End": True},
            },
        )
    )
    assert succeeded(result) == {"waited": True}


def test_jsonata_assignments_inside_an_expression_stay_local() -> None:
    result = run(
        machine(
            JSONATA,
            {
                "A": {"Type": "Pass", "Output": "{% ($local := 5; $local * 2) %}", "Next": "B"},
                "B": {
                    "Type": "Pass",
                    "Output": {"in": "{% $states.input %}", "leaked": "{% $exists($local) %}"},
                    "End": True,
                },
            },
        )
    )
    assert succeeded(result) == {"in": 10, "leaked": False}
    assert result.variables == {}


# ---------------------------------------------------------------- which Assign runs


def choice(lang: str, rule: dict[str, Any], **state: Any) -> dict[str, Any]:
    """Choice "C" with one rule (true when input.go is true) to "Yes", Default "No"; both read $x."""
    if lang == JSONATA:
        rule = {"Condition": "{% $states.input.go %}", **rule}
    else:
        rule = {"Variable": "$.go", "BooleanEquals": True, **rule}
    return machine(
        lang,
        {
            "Init": {"Type": "Pass", **assign(x="init"), "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{**rule, "Next": "Yes"}], "Default": "No", **state},
            "Yes": {"Type": "Pass", **read(lang, "x"), "End": True},
            "No": {"Type": "Pass", **read(lang, "x"), "End": True},
        },
    )


@LANGUAGES
def test_a_choice_rules_assign_replaces_the_states(lang: str) -> None:
    definition = choice(lang, assign(x="rule"), **assign(x="state"))
    matched = run(definition, {"go": True})
    assert succeeded(matched) == {"x": "rule"}
    assert json.loads(exited(matched, "C")["assignedVariables"]["x"]) == "rule"
    unmatched = run(definition, {"go": False})
    assert succeeded(unmatched) == {"x": "state"}  # no rule matched: the state-level Assign


@LANGUAGES
def test_a_matched_choice_rule_without_assign_assigns_nothing(lang: str) -> None:
    result = run(choice(lang, {}, **assign(x="state")), {"go": True})
    assert succeeded(result) == {"x": "init"}
    assert "assignedVariables" not in exited(result, "C")


@LANGUAGES
def test_a_catchers_assign_replaces_the_states(lang: str) -> None:
    if lang == JSONATA:
        catcher_assign = {"why": "{% $states.errorOutput.Cause %}", "x": "caught"}
    else:
        catcher_assign = {"why.$": "$.Cause", "x": "caught"}

    def fail(request: TaskRequest) -> Any:
        raise StatesError("Boom", "because")

    result = run(
        machine(
            lang,
            {
                "Init": {"Type": "Pass", **assign(x="init"), "Next": "T"},
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    **assign(x="state", never=True),
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": catcher_assign, "Next": "R"}],
                    "End": True,
                },
                "R": {"Type": "Pass", **read(lang, "x", "why"), "End": True},
            },
        ),
        behaviour=fail,
    )
    assert succeeded(result) == {"x": "caught", "why": "because"}
    assert result.variables == {"x": "caught", "why": "because"}  # "never" was not assigned
    assert {k: json.loads(v) for k, v in exited(result, "T")["assignedVariables"].items()} == {
        "why": "because",
        "x": "caught",
    }


@LANGUAGES
def test_a_catcher_without_assign_assigns_nothing(lang: str) -> None:
    def fail(request: TaskRequest) -> Any:
        raise StatesError("Boom", "because")

    result = run(
        machine(
            lang,
            {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    **assign(x="state"),
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "R"}],
                    "End": True,
                },
                "R": {"Type": "Pass", "End": True},
            },
        ),
        behaviour=fail,
    )
    succeeded(result)
    assert result.variables == {}
    assert "assignedVariables" not in exited(result, "T")


@LANGUAGES
@pytest.mark.parametrize("container", ["Parallel", "Map"])
def test_a_catcher_on_a_parallel_or_map_assigns_in_the_outer_scope(lang: str, container: str) -> None:
    inner = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Inner.Failed"}}}
    if container == "Parallel":
        state: dict[str, Any] = {"Type": "Parallel", "Branches": [inner]}
    else:
        state = {"Type": "Map", "ItemProcessor": inner, **({"Items": [1]} if lang == JSONATA else {})}
    error = "{% $states.errorOutput.Error %}" if lang == JSONATA else None
    catcher_assign = {"caught": error} if error else {"caught.$": "$.Error"}
    result = run(
        machine(
            lang,
            {
                "C": {
                    **state,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": catcher_assign, "Next": "R"}],
                    "End": True,
                },
                "R": {"Type": "Pass", **read(lang, "caught"), "End": True},
            },
        ),
        [1],
    )
    assert succeeded(result) == {"caught": "Inner.Failed"}
    assert result.variables == {"caught": "Inner.Failed"}


@LANGUAGES
def test_parallel_and_map_state_level_assign_see_the_result(lang: str) -> None:
    def branch(name: str) -> dict[str, Any]:
        return {"StartAt": name, "States": {name: {"Type": "Pass", "End": True}}}

    if lang == JSONATA:
        p_assign: dict[str, Any] = {
            "Assign": {"branches": "{% $states.result %}"},
            "Output": "{% $states.input %}",
        }
        m_assign = {"iterations": "{% $count($states.result) %}"}
        items: dict[str, Any] = {"Items": [1, 2, 3]}
    else:
        p_assign = {"Assign": {"branches.$": "$"}, "ResultPath": None}
        m_assign = {"iterations.$": "States.ArrayLength($)"}
        items = {"ItemsPath": "$.list"}
    result = run(
        machine(
            lang,
            {
                "P": {"Type": "Parallel", "Branches": [branch("B1"), branch("B2")], **p_assign, "Next": "M"},
                "M": {"Type": "Map", **items, "ItemProcessor": branch("I"), "Assign": m_assign, "End": True},
            },
        ),
        {"list": [1, 2, 3]},
    )
    succeeded(result)
    assert result.variables == {"branches": [{"list": [1, 2, 3]}, {"list": [1, 2, 3]}], "iterations": 3}


# ---------------------------------------------------------------- scopes


@LANGUAGES
def test_parallel_branches_and_map_iterations_read_outer_variables(lang: str) -> None:
    if lang == JSONATA:
        keep: dict[str, Any] = {
            "Output": {"branches": "{% $states.result %}", "items": "{% $states.input.items %}"}
        }
        items: dict[str, Any] = {"Items": "{% $states.input.items %}"}
        selector: dict[str, Any] = {"item": "{% $states.context.Map.Item.Value %}", "factor": "{% $factor %}"}
    else:
        keep = {"ResultPath": "$.branches"}
        items = {"ItemsPath": "$.items"}
        selector = {"item.$": "$$.Map.Item.Value", "factor.$": "$factor"}
    result = run(
        machine(
            lang,
            {
                "Init": {"Type": "Pass", **assign(factor=10, label="outer"), "Next": "P"},
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "A",
                            "States": {"A": {"Type": "Pass", **read(lang, "label"), "End": True}},
                        },
                        {
                            "StartAt": "B",
                            "States": {"B": {"Type": "Pass", **read(lang, "factor", "label"), "End": True}},
                        },
                    ],
                    **keep,
                    "Next": "M",
                },
                "M": {
                    "Type": "Map",
                    **items,
                    "ItemSelector": selector,
                    "ItemProcessor": {
                        "StartAt": "I",
                        "States": {"I": {"Type": "Pass", **read(lang, "label"), "End": True}},
                    },
                    "End": True,
                },
            },
        ),
        {"items": ["a", "b"]},
    )
    assert succeeded(result) == [{"label": "outer"}, {"label": "outer"}]
    assert json.loads(exited(result, "P")["output"])["branches"] == [
        {"label": "outer"},
        {"factor": 10, "label": "outer"},
    ]
    # ItemSelector is evaluated in the Map's own scope
    iteration_inputs = [
        json.loads(e["stateEnteredEventDetails"]["input"])
        for e in result.history
        if e["type"] == "PassStateEntered" and e["stateEnteredEventDetails"]["name"] == "I"
    ]
    assert iteration_inputs == [{"item": "a", "factor": 10}, {"item": "b", "factor": 10}]


def undefined_outcome(lang: str, state: str, name: str, entered: int) -> tuple[str, str]:
    """How reading ``$name`` (with ``read``) fails when it has no value, in each language."""
    if lang == JSONATA:  # corpus wording
        return "States.QueryEvaluationError", prefix(state, entered) + (
            f"The JSONata expression '${name}' specified for the field 'Output/{name}' returned nothing (undefined)."
        )
    # aslrun's wording (AWS's for a missing variable is not recorded), shaped like AWS's for a missing input path
    return "States.Runtime", prefix(state, entered) + (
        f"The JSONPath '${name}' specified for the field '{name}.$' could not be found in the variables."
    )


@LANGUAGES
def test_a_variable_assigned_in_a_branch_is_gone_after_the_parallel(lang: str) -> None:
    result = run(
        machine(
            lang,
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "B",
                            "States": {"B": {"Type": "Pass", **assign(inner=1), "End": True}},
                        }
                    ],
                    "Next": "After",
                },
                "After": {"Type": "Pass", **read(lang, "inner"), "End": True},
            },
        )
    )
    # events: 1 started, 2-3 P entered/started, 4-5 B, 6 P succeeded, 7 P exited, 8 After entered
    assert (result.error, result.cause) == undefined_outcome(lang, "After", "inner", 8)


@LANGUAGES
def test_a_branch_cannot_read_a_sibling_branchs_variable(lang: str) -> None:
    result = run(
        machine(
            lang,
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "Early",
                            "States": {"Early": {"Type": "Pass", **assign(sibling="set"), "End": True}},
                        },
                        {
                            "StartAt": "Later",
                            "States": {
                                "Later": {"Type": "Wait", "Seconds": 5, "Next": "Read"},
                                "Read": {"Type": "Pass", **read(lang, "sibling"), "End": True},
                            },
                        },
                    ],
                    "End": True,
                }
            },
        )
    )
    assert result.status == "FAILED"
    assert result.error == ("States.QueryEvaluationError" if lang == JSONATA else "States.Runtime")
    assert "'$sibling'" in (result.cause or "")


@LANGUAGES
def test_each_map_iteration_has_its_own_scope(lang: str) -> None:
    """Run one at a time, no iteration sees the variable the one before it assigned."""
    if lang == JSONATA:
        check = {"Check": {"Type": "Pass", "Output": {"sawPrevious": "{% $exists($mine) %}"}, "Next": "Set"}}
        items: dict[str, Any] = {"Items": [1, 2, 3]}
    else:
        check = {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$mine", "IsPresent": True, "Next": "Saw"}],
                "Default": "Clean",
            },
            "Saw": {"Type": "Pass", "Result": {"sawPrevious": True}, "Next": "Set"},
            "Clean": {"Type": "Pass", "Result": {"sawPrevious": False}, "Next": "Set"},
        }
        items = {}
    iteration = {
        "StartAt": "Check",
        "States": {**check, "Set": {"Type": "Pass", **assign(mine="iteration value"), "End": True}},
    }
    result = run(
        machine(
            lang,
            {"M": {"Type": "Map", **items, "MaxConcurrency": 1, "ItemProcessor": iteration, "End": True}},
        ),
        [1, 2, 3],
    )
    assert succeeded(result) == [{"sawPrevious": False}] * 3
    assert result.variables == {}


@LANGUAGES
def test_distributed_map_children_cannot_read_outer_variables(lang: str) -> None:
    if lang == JSONATA:
        child = {
            "StartAt": "Probe",
            "States": {
                "Probe": {
                    "Type": "Pass",
                    "Output": {
                        "fromSelector": "{% $states.input.outer %}",
                        "visible": "{% $exists($outer) %}",
                    },
                    "End": True,
                }
            },
        }
        selector: dict[str, Any] = {"outer": "{% $outer %}"}
        items: dict[str, Any] = {"Items": [1]}
    else:
        child = {
            "StartAt": "Probe",
            "States": {
                "Probe": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$outer", "IsPresent": True, "Next": "Visible"}],
                    "Default": "Hidden",
                },
                "Visible": {
                    "Type": "Pass",
                    "Parameters": {"fromSelector.$": "$.outer", "visible": True},
                    "End": True,
                },
                "Hidden": {
                    "Type": "Pass",
                    "Parameters": {"fromSelector.$": "$.outer", "visible": False},
                    "End": True,
                },
            },
        }
        selector = {"outer.$": "$outer"}
        items = {}
    child["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    result = run(
        machine(
            lang,
            {
                "Init": {"Type": "Pass", **assign(outer="parent value"), "Next": "M"},
                "M": {"Type": "Map", **items, "ItemSelector": selector, "ItemProcessor": child, "End": True},
            },
        ),
        [1],
    )
    # The ItemSelector runs in the parent and may read it; the child execution may not.
    assert succeeded(result) == [{"fromSelector": "parent value", "visible": False}]


def test_a_distributed_map_child_reading_an_outer_variable_fails_like_an_undefined_one() -> None:
    result = run(
        machine(
            JSONATA,
            {
                "Init": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "M"},
                "M": {
                    "Type": "Map",
                    "Items": [1],
                    "ToleratedFailurePercentage": 100,
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "Read",
                        "States": {"Read": {"Type": "Pass", "Output": "{% $outer %}", "End": True}},
                    },
                    "End": True,
                },
            },
        )
    )
    [item] = succeeded(result)
    assert item["Error"] == "States.QueryEvaluationError"
    assert item["Cause"].endswith(
        "The JSONata expression '$outer' specified for the field 'Output' returned nothing (undefined)."
    )


# ---------------------------------------------------------------- reading variables from JSONPath


def test_jsonpath_reads_variables_and_paths_into_them() -> None:
    result = run(
        {
            "StartAt": "Init",
            "States": {
                "Init": {
                    "Type": "Pass",
                    "Assign": {"cfg": {"name": "Ada", "limits": [10, 20]}, "n": 3},
                    "Next": "Use",
                },
                "Use": {
                    "Type": "Pass",
                    "Parameters": {
                        "whole.$": "$cfg",
                        "field.$": "$cfg.name",
                        "index.$": "$cfg.limits[1]",
                        "intrinsic.$": "States.Format('{} has {}', $cfg.name, $n)",
                        "literal": "$cfg",
                        "nested": {"n.$": "$n"},
                    },
                    "Next": "Decide",
                },
                "Decide": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$cfg.limits[0]", "NumericEqualsPath": "$.index", "Next": "No"}],
                    "Default": "Yes",
                },
                "Yes": {"Type": "Pass", "Assign": {"answer.$": "$.field"}, "End": True},
                "No": {"Type": "Fail"},
            },
        }
    )
    assert succeeded(result) == {
        "whole": {"name": "Ada", "limits": [10, 20]},
        "field": "Ada",
        "index": 20,
        "intrinsic": "Ada has 3",
        "literal": "$cfg",  # without ".$" it is a plain string
        "nested": {"n": 3},
    }
    assert result.variables["answer"] == "Ada"


@LANGUAGES
def test_reading_a_variable_that_was_never_assigned(lang: str) -> None:
    result = run(machine(lang, {"S": {"Type": "Pass", **read(lang, "nope"), "End": True}}))
    assert (result.status, result.error, result.cause) == ("FAILED", *undefined_outcome(lang, "S", "nope", 2))


def test_reading_an_undefined_variable_in_jsonata_assign_is_the_corpus_cause() -> None:
    result = run(
        machine(
            JSONATA, {"State0": {"Type": "Pass", "Assign": {"result": "{% $doesNotExist %}"}, "End": True}}
        )
    )
    assert result.cause == prefix("State0", 2) + (
        "The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined)."
    )


def test_an_undefined_variable_in_jsonata_is_caught_and_in_jsonpath_is_not() -> None:
    def task(lang: str) -> dict[str, Any]:
        fields = {"Arguments": {"v": "{% $nope %}"}} if lang == JSONATA else {"Parameters": {"v.$": "$nope"}}
        return machine(
            lang,
            {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    **fields,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                    "End": True,
                },
                "H": {"Type": "Succeed"},
            },
        )

    caught = run(task(JSONATA))
    assert succeeded(caught)["Error"] == "States.QueryEvaluationError"
    # JSONPath: like any path that does not resolve in a template, States.Runtime, which nothing catches.
    uncaught = run(task(JSONPATH))
    assert (uncaught.status, uncaught.error) == ("FAILED", "States.Runtime")


def test_a_choice_variable_that_is_not_assigned() -> None:
    result = run(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$nope", "IsPresent": True, "Next": "Y"}],
                    "Default": "N",
                },
                "Y": {"Type": "Pass", "Result": "present", "End": True},
                "N": {"Type": "Pass", "Result": "absent", "End": True},
            },
        }
    )
    assert succeeded(result) == "absent"
    compared = run(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$nope", "NumericEquals": 1, "Next": "Y"}],
                    "Default": "Y",
                },
                "Y": {"Type": "Succeed"},
            },
        }
    )
    # The wording other AWS measurements report for an unresolvable Choice variable (research §5).
    assert (compared.error, compared.cause) == (
        "States.Runtime",
        prefix("C", 2)
        + "Invalid path '$nope': The choice state's condition path references an invalid value.",
    )


# ---------------------------------------------------------------- size limits


@LANGUAGES
def test_one_variable_over_256_kib_is_a_data_limit_error(lang: str) -> None:
    big = "a" * (LIMIT - 2)  # its JSON text, quotes included, is exactly 256 KiB
    fits = run(machine(lang, {"A": {"Type": "Pass", **assign(x=big), "End": True}}))
    assert fits.status == "SUCCEEDED"
    over = run(machine(lang, {"A": {"Type": "Pass", **assign(x=big + "a"), "End": True}}))
    assert (over.status, over.error) == ("FAILED", "States.DataLimitExceeded")
    assert over.variables == {}


@LANGUAGES
def test_one_assign_over_256_kib_in_total_is_a_data_limit_error(lang: str) -> None:
    half = "a" * (LIMIT // 2)
    result = run(machine(lang, {"A": {"Type": "Pass", **assign(x=half, y=half), "End": True}}))
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


def test_size_limits_count_utf8_bytes() -> None:
    result = run(machine(JSONPATH, {"A": {"Type": "Pass", "Assign": {"x": "é" * (LIMIT // 2)}, "End": True}}))
    assert result.error == "States.DataLimitExceeded"  # 131,072 characters, 262,146 bytes with quotes


# ---------------------------------------------------------------- history and ExecutionResult.variables


@LANGUAGES
def test_assigned_variables_appear_as_json_text_on_exit_events_of_assigning_states_only(lang: str) -> None:
    result = run(
        machine(
            lang,
            {
                "Set": {
                    "Type": "Pass",
                    **assign(s="text", n=1.5, o={"a": [1, None]}, b=False),
                    "Next": "Empty",
                },
                "Empty": {"Type": "Pass", "Assign": {}, "Next": "None"},
                "None": {"Type": "Pass", "Next": "Done"},
                "Done": {"Type": "Succeed"},
            },
        )
    )
    succeeded(result)
    assert exited(result, "Set")["assignedVariables"] == {
        "s": '"text"',
        "n": "1.5",
        "o": '{"a":[1,null]}',
        "b": "false",
    }
    assert exited(result, "Set")["assignedVariablesDetails"] == {"truncated": False}
    for state in ("Empty", "None", "Done"):
        assert "assignedVariables" not in exited(result, state)
        assert "assignedVariablesDetails" not in exited(result, state)
    for event in result.history:
        if not event["type"].endswith("StateExited"):
            assert "assignedVariables" not in json.dumps(event)


def test_result_variables_are_the_final_top_level_variables() -> None:
    result = run(
        machine(
            JSONATA,
            {
                "A": {"Type": "Pass", "Assign": {"a": 1, "b": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Assign": {"b": "{% $b + 1 %}"}, "Next": "P"},
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "In",
                            "States": {"In": {"Type": "Pass", "Assign": {"inner": 1}, "End": True}},
                        }
                    ],
                    "End": True,
                },
            },
        )
    )
    succeeded(result)
    assert result.variables == {"a": 1, "b": 2}


def test_result_variables_after_a_failure_keep_what_was_assigned_before_it() -> None:
    result = run(
        machine(
            JSONATA,
            {
                "A": {"Type": "Pass", "Assign": {"a": 1}, "Next": "B"},
                "B": {"Type": "Pass", "Assign": {"b": "{% $missing %}"}, "End": True},
            },
        )
    )
    assert result.status == "FAILED"
    assert result.variables == {"a": 1}


# ---------------------------------------------------------------- property: nested scopes


@dataclass
class Level:
    """One scope: a Parallel branch, a Map iteration, or the top level."""

    id: int
    kind: str  # what it contains: "leaf", "parallel" or "map"
    children: list[Level] = field(default_factory=list)

    @property
    def var(self) -> str:
        return f"v{self.id}"

    @property
    def value(self) -> Any:
        return {"level": self.id} if self.id % 2 else f"value of {self.id}"

    def walk(self) -> list[Level]:
        return [self, *(level for child in self.children for level in child.walk())]


MAP_ITEMS = [0, 1]


def shapes(depth: int) -> st.SearchStrategy[Any]:
    leaf = st.just(("leaf", []))
    if depth == 0:
        return leaf
    below = shapes(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(st.just("parallel"), st.lists(below, min_size=1, max_size=3)),
        st.tuples(st.just("map"), st.lists(below, min_size=1, max_size=1)),
    )


def number(shape: Any) -> Level:
    counter = iter(range(1, 1000))

    def build(node: Any) -> Level:
        kind, children = node
        level = Level(next(counter), kind)
        level.children = [build(child) for child in children]
        return level

    return build(shape)


def scope_states(lang: str, level: Level, ancestors: list[Level], everyone: list[Level]) -> dict[str, Any]:
    """The States object of one level: assign its variable, run its children, probe, report."""
    own = [*ancestors, level]
    hidden = [other.var for other in everyone if other not in own]
    n = level.id
    states: dict[str, Any] = {}
    after_set = f"Inner{n}" if level.children else f"Probe{n}"
    if lang == JSONATA:
        states[f"Set{n}"] = {
            "Type": "Pass",
            "Assign": {level.var: level.value},
            "Output": {},
            "Next": after_set,
        }
    else:
        states[f"Set{n}"] = {
            "Type": "Pass",
            "Assign": {level.var: level.value},
            "Result": {},
            "Next": after_set,
        }
    if level.children:
        bodies = [
            {"StartAt": f"Set{c.id}", "States": scope_states(lang, c, own, everyone)} for c in level.children
        ]
        inner: dict[str, Any]
        if level.kind == "parallel":
            inner = {"Type": "Parallel", "Branches": bodies}
        else:
            inner = {"Type": "Map", "ItemProcessor": bodies[0]}
            inner.update({"Items": MAP_ITEMS} if lang == JSONATA else {"ItemsPath": "$.items"})
        if lang == JSONATA:
            inner["Output"] = {"children": "{% $states.result %}"}
        else:
            inner["Parameters" if level.kind == "parallel" else "ItemSelector"] = {}
            inner["ResultPath"] = "$.children"
            states[f"Set{n}"]["Result"] = {"items": MAP_ITEMS}
        states[f"Inner{n}"] = {**inner, "Next": f"Probe{n}"}
    if hidden:
        if lang == JSONATA:
            leak = {"Condition": "{% " + " or ".join(f"$exists(${name})" for name in hidden) + " %}"}
        else:
            leak = {"Or": [{"Variable": f"${name}", "IsPresent": True} for name in hidden]}
        states[f"Probe{n}"] = {
            "Type": "Choice",
            "Choices": [{**leak, "Next": f"Leak{n}"}],
            "Default": f"Report{n}",
        }
        states[f"Leak{n}"] = {"Type": "Fail", "Error": "Leak", "Cause": f"level {n} sees one of {hidden}"}
    else:
        states[f"Probe{n}"] = {"Type": "Pass", "Next": f"Report{n}"}
    if lang == JSONATA:
        report: dict[str, Any] = {"level": n, "seen": {o.var: f"{{% ${o.var} %}}" for o in own}}
        if level.children:
            report["children"] = "{% $states.input.children %}"
        states[f"Report{n}"] = {"Type": "Pass", "Output": report, "End": True}
    else:
        report = {"level": n, "seen": {f"{o.var}.$": f"${o.var}" for o in own}}
        if level.children:
            report["children.$"] = "$.children"
        states[f"Report{n}"] = {"Type": "Pass", "Parameters": report, "End": True}
    return states


def expected_report(level: Level, ancestors: list[Level]) -> dict[str, Any]:
    own = [*ancestors, level]
    report: dict[str, Any] = {"level": level.id, "seen": {o.var: o.value for o in own}}
    if level.kind == "parallel":
        report["children"] = [expected_report(child, own) for child in level.children]
    elif level.kind == "map":
        report["children"] = [expected_report(level.children[0], own) for _ in MAP_ITEMS]
    return report


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shapes(3), st.sampled_from([JSONPATH, JSONATA]))
def test_property_each_level_sees_exactly_its_ancestors(shape: Any, lang: str) -> None:
    root = number(shape)
    everyone = root.walk()
    definition = machine(lang, scope_states(lang, root, [], everyone))
    result = run(definition, {})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output == expected_report(root, [])
    assert result.variables == {root.var: root.value}
