"""JSONata mode through real executions: what users of ``"QueryLanguage": "JSONata"`` rely on.

QueryLanguage inheritance and mixing; ``{% %}`` in every field AWS allows it in (nested in
objects and arrays too) with ``$states.input``, ``$states.result``, ``$states.errorOutput``
and ``$states.context``; evaluation errors (undefined results, wrong types) with AWS's
causes and ``EvaluationFailed`` events, caught by ``States.QueryEvaluationError``; then
property tests that the JSONata and JSONPath versions of the same simple machine agree.

Expected texts marked "corpus" come from executions recorded against AWS
(../shared/conformance); "floci" ones are AWS answers quoted by floci-io/floci issues.
The expression-language itself is tested in ``test_jsonata.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aslrun
import aslrun.expressions.jsonata  # noqa: F401  (see below)
from aslrun.effects import Sleep
from aslrun.errors import StatesError
from aslrun.integrations.base import TaskRequest

# aslrun.expressions.jsonata is imported above, not lazily by the first JSONata machine: importing
# jsonata-python raises sys's recursion limit, and hypothesis warns (an error here) when the limit
# changes during a test.

TASK = "arn:aws:states:::lambda:invoke"
START = 1_700_000_000  # 2023-11-14T22:13:20Z


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

    @property
    def parameters(self) -> list[Any]:
        return [r.parameters for r in self.requests]


def execute(
    definition: dict[str, Any],
    input: Any = None,
    behaviour: Callable[[TaskRequest], Any] | None = None,
    name: str | None = None,
) -> tuple[aslrun.ExecutionResult, FakeTask]:
    fake = FakeTask(behaviour)
    interpreter = aslrun.Interpreter(
        clock=aslrun.VirtualClock(start=START, frozen=True), integrations=[fake], load_plugins=False, seed=1
    )
    return interpreter.run(definition, input, name=name), fake


def run(definition: dict[str, Any], input: Any = None, **kw: Any) -> aslrun.ExecutionResult:
    return execute(definition, input, **kw)[0]


def jsonata(states: dict[str, Any], start: str | None = None) -> dict[str, Any]:
    """A JSONata machine starting at the first state given."""
    return {"QueryLanguage": "JSONata", "StartAt": start or next(iter(states)), "States": states}


def one(state: dict[str, Any], name: str = "S") -> dict[str, Any]:
    """A JSONata machine of one state (given ``End: true`` unless terminal)."""
    if state["Type"] not in ("Succeed", "Fail", "Choice") and "Next" not in state:
        state = {**state, "End": True}
    return jsonata({name: state})


def diagnostics(definition: dict[str, Any]) -> list[aslrun.Diagnostic]:
    with pytest.raises(aslrun.DefinitionError) as info:
        aslrun.Interpreter(load_plugins=False).load(definition)
    return [d for d in info.value.diagnostics if d.severity == "ERROR"]


def located(definition: dict[str, Any], location: str) -> aslrun.Diagnostic:
    """The one error diagnostic at ``location``."""
    found = [d for d in diagnostics(definition) if d.location == location]
    assert len(found) == 1, [d.format() for d in diagnostics(definition)]
    return found[0]


def prefix(state: str, entered: int = 2) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #{entered}). "


def undefined_cause(state: str, text: str, field: str, entered: int = 2) -> str:
    return prefix(state, entered) + (
        f"The JSONata expression '{text}' specified for the field '{field}' returned nothing (undefined)."
    )


def types(result: aslrun.ExecutionResult) -> list[str]:
    return [e["type"] for e in result.history_values()]


def details(result: aslrun.ExecutionResult, type: str, n: int = 0) -> Any:
    found = [e for e in result.history_values() if e["type"] == type]
    event = found[n]
    return next(v for k, v in event.items() if k.endswith("EventDetails"))


def succeeded(result: aslrun.ExecutionResult) -> Any:
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result.output


# ---------------------------------------------------------------- QueryLanguage: inheritance and mixing


def test_machine_level_jsonata_applies_to_every_state() -> None:
    result = run(
        jsonata(
            {
                "Add": {
                    "Type": "Pass",
                    "Output": {"sum": "{% $states.input.a + $states.input.b %}"},
                    "Next": "Done",
                },
                "Done": {"Type": "Succeed", "Output": "{% $states.input.sum * 10 %}"},
            }
        ),
        {"a": 1, "b": 2},
    )
    assert succeeded(result) == 30


def test_a_jsonata_state_inside_a_jsonpath_machine() -> None:
    result = run(
        {
            "StartAt": "Select",
            "States": {
                "Select": {"Type": "Pass", "Parameters": {"x.$": "$.v"}, "Next": "Compute"},
                "Compute": {
                    "Type": "Pass",
                    "QueryLanguage": "JSONata",
                    "Output": {"y": "{% $states.input.x + 1 %}", "raw": "$.x"},
                    "Next": "Back",
                },
                "Back": {"Type": "Pass", "Parameters": {"z.$": "$.y", "raw.$": "$.raw"}, "End": True},
            },
        },
        {"v": 41},
    )
    # "$.x" in a JSONata state is a plain string; in the JSONPath state after it, "$.raw" is a path.
    assert succeeded(result) == {"z": 42, "raw": "$.x"}


def test_states_in_branches_and_iterations_default_to_the_machines_language_not_the_containers() -> None:
    """A JSONata Parallel/Map in a JSONPath machine: the states inside are still JSONPath."""
    result = run(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "QueryLanguage": "JSONata",
                    "Arguments": {"v": "{% $states.input.n * 2 %}"},
                    "Branches": [
                        {
                            "StartAt": "B",
                            "States": {"B": {"Type": "Pass", "Parameters": {"w.$": "$.v"}, "End": True}},
                        }
                    ],
                    "Output": {"fromBranch": "{% $states.result[0].w %}", "list": "{% $states.input.list %}"},
                    "Next": "M",
                },
                "M": {
                    "Type": "Map",
                    "QueryLanguage": "JSONata",
                    "Items": "{% $states.input.list %}",
                    "ItemProcessor": {
                        "StartAt": "I",
                        "States": {"I": {"Type": "Pass", "Parameters": {"item.$": "$"}, "End": True}},
                    },
                    "Output": {
                        "items": "{% $states.result %}",
                        "fromBranch": "{% $states.input.fromBranch %}",
                    },
                    "End": True,
                },
            },
        },
        {"n": 21, "list": ["a", "b"]},
    )
    assert succeeded(result) == {"items": [{"item": "a"}, {"item": "b"}], "fromBranch": 42}


def test_branches_and_iterations_of_a_jsonata_machine_are_jsonata() -> None:
    result = run(
        jsonata(
            {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "B",
                            "States": {
                                "B": {"Type": "Pass", "Output": "{% $states.input.n + 1 %}", "End": True}
                            },
                        },
                        {
                            "StartAt": "M",
                            "States": {
                                "M": {
                                    "Type": "Map",
                                    "Items": "{% [1, 2, 3] %}",
                                    "ItemProcessor": {
                                        "StartAt": "I",
                                        "States": {
                                            "I": {
                                                "Type": "Pass",
                                                "Output": "{% $states.input * 10 %}",
                                                "End": True,
                                            }
                                        },
                                    },
                                    "End": True,
                                }
                            },
                        },
                    ],
                    "End": True,
                }
            }
        ),
        {"n": 1},
    )
    assert succeeded(result) == [2, [10, 20, 30]]


def test_a_jsonata_field_inside_a_jsonata_parallel_of_a_jsonpath_machine_is_rejected() -> None:
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "QueryLanguage": "JSONata",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Output": 1, "End": True}}}],
                "End": True,
            }
        },
    }
    found = located(definition, "/States/P/Branches/0/States/B/Output")
    assert found.code == "SCHEMA_VALIDATION_FAILED"
    assert found.state == "B"
    # floci (measured on AWS): the same words; AWS's own location is the state rather than the field.
    assert found.message.startswith(
        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage"
    )


@pytest.mark.parametrize(
    ("definition", "location", "state"),
    [
        (
            jsonata({"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}),
            "/States/A",
            "A",
        ),
        (
            jsonata(
                {
                    "P": {
                        "Type": "Parallel",
                        "Branches": [
                            {
                                "StartAt": "B",
                                "States": {"B": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}},
                            }
                        ],
                        "End": True,
                    }
                }
            ),
            "/States/P/Branches/0/States/B",
            "B",
        ),
        (
            jsonata(
                {
                    "M": {
                        "Type": "Map",
                        "ItemProcessor": {
                            "StartAt": "I",
                            "States": {"I": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}},
                        },
                        "End": True,
                    }
                }
            ),
            "/States/M/ItemProcessor/States/I",
            "I",
        ),
    ],
    ids=["top", "in-a-branch", "in-a-map"],
)
def test_a_jsonpath_state_in_a_jsonata_machine_is_a_definition_error(
    definition: dict[str, Any], location: str, state: str
) -> None:
    found = located(definition, location)
    assert found.code == "SCHEMA_VALIDATION_FAILED"
    assert found.state == state
    # floci (measured on AWS): the message AWS gives, at the state's own path.
    assert found.message.startswith(
        "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
    )
    assert found.hint


def test_query_language_cannot_be_set_on_a_branch_or_processor() -> None:
    found = located(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "QueryLanguage": "JSONata",
                            "StartAt": "B",
                            "States": {"B": {"Type": "Pass", "End": True}},
                        }
                    ],
                    "End": True,
                }
            },
        },
        "/States/P/Branches/0/QueryLanguage",
    )
    assert found.message == "Field 'QueryLanguage' is not supported."


PROCESSOR = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
BASE_STATES: dict[str, dict[str, Any]] = {
    "Pass": {"Type": "Pass", "End": True},
    "Task": {"Type": "Task", "Resource": TASK, "End": True},
    "Map": {"Type": "Map", "ItemProcessor": PROCESSOR, "End": True},
    "Parallel": {"Type": "Parallel", "Branches": [PROCESSOR], "End": True},
    "Wait": {"Type": "Wait", "Seconds": 1, "End": True},
    "Fail": {"Type": "Fail"},
    "Succeed": {"Type": "Succeed"},
}


@pytest.mark.parametrize(
    ("type", "field", "value"),
    [
        ("Pass", "InputPath", "$.a"),
        ("Pass", "Parameters", {"a.$": "$.a"}),
        ("Pass", "Result", {"a": 1}),
        ("Pass", "ResultPath", "$.r"),
        ("Pass", "OutputPath", "$.a"),
        ("Task", "ResultSelector", {"a.$": "$.a"}),
        ("Task", "TimeoutSecondsPath", "$.t"),
        ("Task", "HeartbeatSecondsPath", "$.h"),
        ("Map", "ItemsPath", "$.items"),
        ("Map", "MaxConcurrencyPath", "$.m"),
        ("Parallel", "ResultPath", "$.r"),
        ("Fail", "ErrorPath", "$.e"),
        ("Fail", "CausePath", "$.c"),
        ("Succeed", "OutputPath", "$.a"),
    ],
)
def test_jsonpath_only_fields_in_jsonata_states_are_definition_errors(
    type: str, field: str, value: Any
) -> None:
    found = located(one({**BASE_STATES[type], field: value}), f"/States/S/{field}")
    assert found.code == "SCHEMA_VALIDATION_FAILED"
    assert found.state == "S"
    assert found.message == (
        f"The QueryLanguage is set to 'JSONata', but field '{field}' is only supported for the "
        "'JSONPath' QueryLanguage."
    )
    assert found.hint  # says what to write instead


def test_jsonpath_choice_rules_in_a_jsonata_state_are_definition_errors() -> None:
    definition = one(
        {"Type": "Choice", "Choices": [{"Variable": "$.x", "NumericEquals": 1, "Next": "D"}], "Default": "D"},
        "C",
    )
    definition["States"]["D"] = {"Type": "Succeed"}
    assert {d.location for d in diagnostics(definition)} >= {
        "/States/C/Choices/0/Variable",
        "/States/C/Choices/0/NumericEquals",
    }


@pytest.mark.parametrize(
    ("type", "field", "value", "location"),
    [
        ("Pass", "Output", {"a": 1}, "/States/S/Output"),
        ("Task", "Arguments", {"a": 1}, "/States/S/Arguments"),
        ("Map", "Items", [1, 2], "/States/S/Items"),
    ],
)
def test_jsonata_only_fields_in_jsonpath_states_are_definition_errors(
    type: str, field: str, value: Any, location: str
) -> None:
    definition = {"StartAt": "S", "States": {"S": {**BASE_STATES[type], field: value}}}
    found = located(definition, location)
    assert found.message == (
        f"The QueryLanguage is set to 'JSONPath', but field '{field}' is only supported for the "
        "'JSONata' QueryLanguage."
    )


def test_resource_must_be_a_constant_string() -> None:
    found = located(
        one({"Type": "Task", "Resource": "{% 'arn:aws:states:::lambda:invoke' %}"}), "/States/S/Resource"
    )
    assert "constant" in found.message


# ---------------------------------------------------------------- AWS refuses top-level references at definition time


@pytest.mark.parametrize(
    ("output", "location"),
    [
        ({"v": "{% phone %}"}, "/States/S/Output/v"),
        ("{% $.total %}", "/States/S/Output"),
        ("{% $$.Execution.Id %}", "/States/S/Output"),
        ("{% $states.errorOutput %}", "/States/S/Output"),
    ],
    ids=["unqualified-name", "dollar", "double-dollar", "errorOutput-outside-a-catcher"],
)
def test_expressions_that_read_no_document_are_definition_errors(output: Any, location: str) -> None:
    """Spec §7: no top-level ``$``, ``$$`` or unqualified name; ``$states.errorOutput`` only in a Catcher.

    floci (measured on AWS): ``UNSUPPORTED_JSONATA_EXPRESSION: Reference to 'phone' at the top level
    is not supported. at /States/E/Output/v``; ``$$`` and ``$states.errorOutput`` outside a Catcher's
    Output/Assign are refused the same way (floci-io/floci#2670, #2786).
    """
    errors = [d for d in aslrun.validate(one({"Type": "Pass", "Output": output})) if d.severity == "ERROR"]
    assert [d.location for d in errors] == [location]


def test_an_unqualified_name_at_the_top_level_is_named_in_the_diagnostic() -> None:
    errors = aslrun.validate(one({"Type": "Pass", "Output": {"v": "{% phone %}"}}))
    assert [(d.code, d.message) for d in errors if d.severity == "ERROR"] == [
        ("UNSUPPORTED_JSONATA_EXPRESSION", "Reference to 'phone' at the top level is not supported.")
    ]


def test_names_nested_inside_an_expression_are_fine() -> None:
    result = run(
        one(
            {
                "Type": "Pass",
                "Output": {
                    "dear": "{% $states.input.items[price > 10].name %}",
                    "sum": "{% $states.input.(a + b) %}",
                },
            }
        ),
        {"items": [{"name": "gold", "price": 11}, {"name": "tin", "price": 1}], "a": 1, "b": 2},
    )
    assert succeeded(result) == {"dear": "gold", "sum": 3}


# ---------------------------------------------------------------- {% %} in every field AWS allows


def test_arguments_evaluates_expressions_nested_in_objects_and_arrays() -> None:
    result, fake = execute(
        one(
            {
                "Type": "Task",
                "Resource": TASK,
                "Arguments": {
                    "id": "{% $states.input.id %}",
                    "tags": [
                        "{% $uppercase($states.input.tag) %}",
                        "literal",
                        {"deep": "{% $states.input.n * 2 %}"},
                    ],
                    "notAnExpression": "price {% is %} quoted",
                    "constant": {"n": 1, "list": [True, None]},
                },
            }
        ),
        {"id": "abc", "tag": "red", "n": 21},
    )
    expected = {
        "id": "abc",
        "tags": ["RED", "literal", {"deep": 42}],
        "notAnExpression": "price {% is %} quoted",
        "constant": {"n": 1, "list": [True, None]},
    }
    assert fake.parameters == [expected]
    assert details(result, "TaskScheduled")["parameters"] == expected
    assert succeeded(result) == expected  # no Output: the output is the result


def test_arguments_as_one_expression_and_without_arguments() -> None:
    result, fake = execute(
        jsonata(
            {
                "Whole": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Arguments": "{% $states.input.payload %}",
                    "Next": "None",
                },
                "None": {"Type": "Task", "Resource": TASK, "End": True},
            }
        ),
        {"payload": {"k": [1, 2]}},
    )
    assert fake.parameters == [{"k": [1, 2]}, {"k": [1, 2]}]  # no Arguments: the task gets the state input
    assert succeeded(result) == {"k": [1, 2]}


def test_task_output_and_assign_see_the_result_and_the_input() -> None:
    result = run(
        jsonata(
            {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Arguments": {"n": "{% $states.input.n %}"},
                    "Output": {
                        "fromResult": "{% $states.result.doubled %}",
                        "fromInput": "{% $states.input.keep %}",
                    },
                    "Assign": {
                        "saved": "{% $states.result.doubled + 1 %}",
                        "input": "{% $states.input.keep %}",
                    },
                    "Next": "Read",
                },
                "Read": {
                    "Type": "Pass",
                    "Output": {"saved": "{% $saved %}", "prev": "{% $states.input %}"},
                    "End": True,
                },
            }
        ),
        {"n": 4, "keep": "k"},
        behaviour=lambda request: {"doubled": request.parameters["n"] * 2},
    )
    assert succeeded(result) == {"saved": 9, "prev": {"fromResult": 8, "fromInput": "k"}}
    assert result.variables == {"saved": 9, "input": "k"}


def test_parallel_arguments_output_and_assign() -> None:
    result = run(
        jsonata(
            {
                "P": {
                    "Type": "Parallel",
                    "Arguments": {"x": "{% $states.input.x %}"},
                    "Branches": [
                        {
                            "StartAt": "Add",
                            "States": {
                                "Add": {"Type": "Pass", "Output": "{% $states.input.x + 1 %}", "End": True}
                            },
                        },
                        {
                            "StartAt": "Mul",
                            "States": {
                                "Mul": {"Type": "Pass", "Output": "{% $states.input.x * 10 %}", "End": True}
                            },
                        },
                    ],
                    "Output": {"sum": "{% $sum($states.result) %}", "x": "{% $states.input.x %}"},
                    "Assign": {"results": "{% $states.result %}"},
                    "End": True,
                }
            }
        ),
        {"x": 2, "ignored": True},
    )
    assert succeeded(result) == {"sum": 23, "x": 2}
    assert result.variables == {"results": [3, 20]}


def test_map_items_item_selector_with_the_map_item_context_output_and_assign() -> None:
    result = run(
        jsonata(
            {
                "M": {
                    "Type": "Map",
                    "Items": "{% $states.input.orders %}",
                    "ItemSelector": {
                        "index": "{% $states.context.Map.Item.Index %}",
                        "sku": "{% $states.context.Map.Item.Value.sku %}",
                        "currency": "{% $states.input.currency %}",
                    },
                    "ItemProcessor": {
                        "StartAt": "Line",
                        "States": {
                            "Line": {
                                "Type": "Pass",
                                "Output": "{% $states.input.currency & ' ' & $states.input.sku & '#' & $states.input.index %}",
                                "End": True,
                            }
                        },
                    },
                    "Output": {"lines": "{% $states.result %}", "count": "{% $count($states.result) %}"},
                    "Assign": {"first": "{% $states.result[0] %}"},
                    "End": True,
                }
            }
        ),
        {"orders": [{"sku": "a"}, {"sku": "b"}], "currency": "EUR"},
    )
    assert succeeded(result) == {"lines": ["EUR a#0", "EUR b#1"], "count": 2}
    assert result.variables == {"first": "EUR a#0"}


def test_map_items_as_a_literal_array_with_expressions_inside() -> None:
    result = run(
        one(
            {
                "Type": "Map",
                "Items": ["{% $states.input.a %}", 2, {"b": "{% $states.input.b %}"}],
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            }
        ),
        {"a": 1, "b": "x"},
    )
    assert succeeded(result) == [1, 2, {"b": "x"}]


def test_map_item_context_is_only_there_for_item_selector() -> None:
    """Inside the iteration the context has no Map object."""
    result = run(
        one(
            {
                "Type": "Map",
                "Items": [10],
                "ItemProcessor": {
                    "StartAt": "I",
                    "States": {
                        "I": {"Type": "Pass", "Output": "{% $exists($states.context.Map) %}", "End": True}
                    },
                },
            }
        )
    )
    assert succeeded(result) == [False]


def test_context_object_through_states_context() -> None:
    result = run(
        one(
            {
                "Type": "Pass",
                "Output": {
                    "state": "{% $states.context.State.Name %}",
                    "entered": "{% $states.context.State.EnteredTime %}",
                    "execution": "{% $states.context.Execution.Name %}",
                    "input": "{% $states.context.Execution.Input %}",
                    "machine": "{% $states.context.StateMachine.Name %}",
                },
            },
            "Ctx",
        ),
        {"k": 1},
        name="run-1",
    )
    assert succeeded(result) == {
        "state": "Ctx",
        "entered": "2023-11-14T22:13:20.000Z",
        "execution": "run-1",
        "input": {"k": 1},
        "machine": "StateMachine",
    }


def test_task_context_counts_retries() -> None:
    attempts = iter([StatesError("Flaky", "once"), StatesError("Flaky", "twice")])

    def behaviour(request: TaskRequest) -> Any:
        error = next(attempts, None)
        if error is not None:
            raise error
        return "ok"

    _, fake = execute(
        one(
            {
                "Type": "Task",
                "Resource": TASK,
                "Arguments": {"retry": "{% $states.context.State.RetryCount %}"},
                "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3}],
            }
        ),
        behaviour=behaviour,
    )
    assert fake.parameters == [{"retry": 0}, {"retry": 1}, {"retry": 2}]


def choice_machine(*rules: dict[str, Any], **state: Any) -> dict[str, Any]:
    return jsonata(
        {
            "C": {"Type": "Choice", "Choices": list(rules), "Default": "Other", **state},
            "Big": {"Type": "Pass", "Output": {"went": "Big", "in": "{% $states.input %}"}, "End": True},
            "Other": {"Type": "Pass", "Output": {"went": "Other", "in": "{% $states.input %}"}, "End": True},
        }
    )


def test_choice_condition_routes_and_the_matched_rule_output_replaces_the_state_output() -> None:
    definition = choice_machine(
        {
            "Condition": "{% $states.input.n > 10 %}",
            "Output": {"n": "{% $states.input.n %}", "rule": 0},
            "Next": "Big",
        },
        Output={"state": "{% $states.input.n %}"},
    )
    assert succeeded(run(definition, {"n": 11, "x": 1})) == {"went": "Big", "in": {"n": 11, "rule": 0}}
    assert succeeded(run(definition, {"n": 1, "x": 1})) == {"went": "Other", "in": {"state": 1}}


def test_choice_rule_without_output_passes_the_input_even_when_the_state_has_output() -> None:
    definition = choice_machine({"Condition": True, "Next": "Big"}, Output="{% 'state output' %}")
    assert succeeded(run(definition, {"n": 1})) == {"went": "Big", "in": {"n": 1}}


def test_choice_literal_conditions_and_rule_order() -> None:
    definition = choice_machine(
        {"Condition": False, "Next": "Big"},
        {"Condition": "{% $states.input.n = 1 %}", "Next": "Other"},
        {"Condition": True, "Next": "Big"},
    )
    assert succeeded(run(definition, {"n": 1}))["went"] == "Other"
    assert succeeded(run(definition, {"n": 2}))["went"] == "Big"


def waited(result: aslrun.ExecutionResult) -> float:
    stamps = {e.type: e.timestamp for e in result.events if e.type.startswith("Wait")}
    return float(stamps["WaitStateExited"] - stamps["WaitStateEntered"])


def test_wait_seconds_from_an_expression() -> None:
    result = run(
        one({"Type": "Wait", "Seconds": "{% $states.input.delay * 60 %}", "Output": "{% 'done' %}"}),
        {"delay": 2},
    )
    assert succeeded(result) == "done"
    assert waited(result) == 120


def test_wait_timestamp_from_an_expression() -> None:
    result = run(
        one({"Type": "Wait", "Timestamp": "{% $states.input.until %}"}),
        {"until": "2023-11-14T22:15:00Z"},  # 100 s after the start
    )
    succeeded(result)
    assert waited(result) == 100


def test_fail_error_and_cause_from_expressions() -> None:
    result = run(
        one(
            {
                "Type": "Fail",
                "Error": "{% 'Order.' & $states.input.code %}",
                "Cause": "{% $string($states.input) %}",
            }
        ),
        {"code": "Rejected"},
    )
    assert (result.status, result.error, result.cause) == ("FAILED", "Order.Rejected", '{"code":"Rejected"}')


def test_timeout_and_heartbeat_seconds_from_expressions() -> None:
    def slow(request: TaskRequest) -> Any:
        yield Sleep(30)
        return "late"

    definition = one(
        {
            "Type": "Task",
            "Resource": TASK,
            "TimeoutSeconds": "{% $states.input.timeout %}",
            "HeartbeatSeconds": "{% $states.input.timeout - 1 %}",
        }
    )
    ok = run(definition, {"timeout": 60}, behaviour=slow)
    assert succeeded(ok) == "late"
    assert details(ok, "TaskScheduled")["timeoutInSeconds"] == 60
    assert details(ok, "TaskScheduled")["heartbeatInSeconds"] == 59
    timed_out = run(definition, {"timeout": 10}, behaviour=slow)
    assert (timed_out.status, timed_out.error) == ("FAILED", "States.Timeout")


def test_max_concurrency_from_an_expression() -> None:
    def slow_first(request: TaskRequest) -> Any:
        yield Sleep(10 - request.parameters)
        return request.parameters

    definition = one(
        {
            "Type": "Map",
            "Items": [0, 1, 2],
            "MaxConcurrency": "{% $states.input.limit %}",
            "ItemProcessor": {
                "StartAt": "T",
                "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}},
            },
        }
    )

    def finishing_order(limit: int) -> list[int]:
        result = run(definition, {"limit": limit}, behaviour=slow_first)
        assert succeeded(result) == [0, 1, 2]
        return [
            e["mapIterationSucceededEventDetails"]["index"]
            for e in result.history_values()
            if e["type"] == "MapIterationSucceeded"
        ]

    assert finishing_order(1) == [0, 1, 2]  # one at a time, in order
    assert finishing_order(0) == [2, 1, 0]  # all at once: the shortest sleep finishes first


def distributed(limit_fields: dict[str, Any]) -> dict[str, Any]:
    return one(
        {
            "Type": "Map",
            "Items": "{% $states.input.items %}",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Check",
                "States": {
                    "Check": {
                        "Type": "Choice",
                        "Choices": [{"Condition": "{% $states.input = 'bad' %}", "Next": "Bad"}],
                        "Default": "Good",
                    },
                    "Bad": {"Type": "Fail", "Error": "Item.Bad"},
                    "Good": {"Type": "Succeed"},
                },
            },
            **limit_fields,
        }
    )


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"ToleratedFailureCount": "{% $states.input.tolerate %}"}, "SUCCEEDED"),
        ({"ToleratedFailurePercentage": "{% $states.input.tolerate * 25 %}"}, "SUCCEEDED"),
        ({"ToleratedFailureCount": "{% $states.input.tolerate - 1 %}"}, "FAILED"),
        ({"ToleratedFailurePercentage": "{% $states.input.tolerate * 25 - 1 %}"}, "FAILED"),
    ],
)
def test_tolerated_failures_from_expressions(fields: dict[str, Any], status: str) -> None:
    result = run(distributed(fields), {"items": ["ok", "bad", "ok", "bad"], "tolerate": 2})
    assert result.status == status
    if status == "FAILED":
        assert result.error == "States.ExceedToleratedFailureThreshold"
    else:
        assert result.output[0] == "ok"


def test_catch_output_and_assign_see_the_error_output_and_the_input() -> None:
    result = run(
        jsonata(
            {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Assign": {"stateLevel": "never"},
                    "Catch": [
                        {
                            "ErrorEquals": ["Order.Failed"],
                            "Output": {
                                "order": "{% $states.input.order %}",
                                "error": "{% $states.errorOutput %}",
                            },
                            "Assign": {"why": "{% $states.errorOutput.Cause %}"},
                            "Next": "Handled",
                        }
                    ],
                    "End": True,
                },
                "Handled": {"Type": "Pass", "End": True},
            }
        ),
        {"order": 7},
        behaviour=lambda request: (_ for _ in ()).throw(StatesError("Order.Failed", "out of stock")),
    )
    assert succeeded(result) == {"order": 7, "error": {"Error": "Order.Failed", "Cause": "out of stock"}}
    assert result.variables == {"why": "out of stock"}


def test_catch_without_output_gives_the_error_output() -> None:
    result = run(
        jsonata(
            {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                    "End": True,
                },
                "H": {"Type": "Pass", "End": True},
            }
        ),
        behaviour=lambda request: (_ for _ in ()).throw(StatesError("E", "c")),
    )
    assert succeeded(result) == {"Error": "E", "Cause": "c"}


def test_succeed_and_wait_output_and_a_jsonata_object_constructor_drops_undefined_keys() -> None:
    result = run(
        jsonata(
            {
                "W": {
                    "Type": "Wait",
                    "Seconds": 0,
                    "Output": "{% {'kept': $states.input.a, 'dropped': $states.input.missing} %}",
                    "Next": "S",
                },
                "S": {"Type": "Succeed", "Output": {"final": "{% $states.input %}", "null": None}},
            }
        ),
        {"a": 1},
    )
    assert succeeded(result) == {"final": {"kept": 1}, "null": None}


# ---------------------------------------------------------------- evaluation errors


def test_undefined_output_fails_with_aws_cause_and_an_evaluation_failed_event() -> None:
    result = run(one({"Type": "Pass", "Output": "{% $x %}"}))
    cause = undefined_cause("S", "$x", "Output")  # corpus wording
    assert (result.status, result.error, result.cause) == ("FAILED", "States.QueryEvaluationError", cause)
    assert types(result) == ["ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"]
    assert details(result, "EvaluationFailed") == {
        "error": "States.QueryEvaluationError",
        "cause": cause,
        "location": "Output",
        "state": "S",
    }
    assert details(result, "ExecutionFailed") == {"error": "States.QueryEvaluationError", "cause": cause}


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Pass", "Output": {"v": "{% $states.input.missing %}"}}, "Output/v"),
        ({"Type": "Pass", "Output": {"a": {"b": "{% $states.input.missing %}"}}}, "Output/a/b"),
        ({"Type": "Pass", "Assign": {"x": "{% $states.input.missing %}"}}, "Assign/x"),
        (
            {"Type": "Task", "Resource": TASK, "Arguments": {"FunctionName": "{% $states.input.missing %}"}},
            "Arguments/FunctionName",
        ),
        ({"Type": "Task", "Resource": TASK, "Arguments": "{% $states.input.missing %}"}, "Arguments"),
        ({"Type": "Wait", "Seconds": "{% $states.input.missing %}"}, "Seconds"),
        ({"Type": "Map", "Items": "{% $states.input.missing %}", "ItemProcessor": PROCESSOR}, "Items"),
    ],
)
def test_undefined_nested_fields_are_named_with_slashes(state: dict[str, Any], field: str) -> None:
    result = run(one(state))
    assert result.error == "States.QueryEvaluationError"
    assert result.cause == undefined_cause("S", "$states.input.missing", field)
    assert details(result, "EvaluationFailed")["location"] == field  # corpus: the whole field path


def test_undefined_in_a_later_state_names_its_entered_event() -> None:
    result = run(
        jsonata(
            {
                "A": {"Type": "Pass", "Next": "B"},
                "B": {"Type": "Pass", "Next": "C"},
                "C": {"Type": "Pass", "Output": {"result": "{% $doesNotExist %}"}, "End": True},
            }
        )
    )
    assert result.cause == undefined_cause("C", "$doesNotExist", "Output/result", entered=6)  # corpus


@pytest.mark.parametrize(
    ("state", "input", "cause"),
    [
        (
            {"Type": "Map", "Items": "{% $states.input.x %}", "ItemProcessor": PROCESSOR},
            {"x": "str"},
            "The JSONata expression '$states.input.x' specified for the field 'Items' returned an unexpected "
            "result type. Expected 'array', but was 'string' for value: \"str\"",
        ),
        (
            {"Type": "Map", "Items": "{% $states.input.x %}", "ItemProcessor": PROCESSOR},
            {"x": {"a": 1}},
            "The JSONata expression '$states.input.x' specified for the field 'Items' returned an unexpected "
            "result type. Expected 'array', but was 'object' for value: {\"a\":1}",
        ),
        (
            {"Type": "Wait", "Seconds": "{% $states.input.x %}"},
            {"x": -1},
            "The JSONata expression '$states.input.x' specified for the field 'Seconds' returned an "
            "out-of-range value: -1. It must be greater than or equal to 0.",
        ),
        (
            {"Type": "Wait", "Timestamp": "{% $states.input.x %}"},
            {"x": "2016-12-05T21:29:29"},
            "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: "
            "2016-12-05T21:29:29",
        ),
    ],
    ids=["items-string", "items-object", "seconds-negative", "timestamp-without-zone"],
)
def test_wrong_result_types_for_typed_fields(state: dict[str, Any], input: Any, cause: str) -> None:
    result = run(one(state), input)
    assert (result.status, result.error, result.cause) == (
        "FAILED",
        "States.QueryEvaluationError",
        prefix("S") + cause,
    )
    assert "EvaluationFailed" in types(result)


def test_a_condition_that_is_not_a_boolean() -> None:
    result = run(choice_machine({"Condition": "{% $states.input.n %}", "Next": "Big"}), {"n": 1})
    assert result.error == "States.QueryEvaluationError"
    assert result.cause == prefix("C") + (
        "The JSONata expression '$states.input.n' specified for the field 'Condition' returned an unexpected "
        "result type. Expected 'boolean', but was 'number' for value: 1"
    )
    assert details(result, "EvaluationFailed")["location"] == "Condition"


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Wait", "Seconds": "{% 1.5 %}"}, "Seconds"),
        ({"Type": "Task", "Resource": TASK, "TimeoutSeconds": "{% 0 %}"}, "TimeoutSeconds"),
        ({"Type": "Fail", "Error": "{% 42 %}"}, "Error"),
        ({"Type": "Fail", "Cause": "{% {'a': 1} %}"}, "Cause"),
        (
            {"Type": "Map", "Items": [], "MaxConcurrency": "{% -1 %}", "ItemProcessor": PROCESSOR},
            "MaxConcurrency",
        ),
    ],
)
def test_other_typed_fields_reject_wrong_values(state: dict[str, Any], field: str) -> None:
    result = run(one(state))
    assert result.error == "States.QueryEvaluationError"
    assert f"specified for the field '{field}'" in (result.cause or "")
    assert details(result, "EvaluationFailed")["location"] == field


def test_tolerated_failure_percentage_out_of_range() -> None:
    result = run(distributed({"ToleratedFailurePercentage": "{% 101 %}"}), {"items": []})
    assert result.error == "States.QueryEvaluationError"
    assert result.cause == prefix("S") + (
        "The JSONata expression '101' specified for the field 'ToleratedFailurePercentage' returned an "
        "out-of-range value: 101. It must be between 0 and 100."
    )


def test_a_jsonata_type_error_is_a_query_evaluation_error() -> None:
    result = run(one({"Type": "Pass", "Output": "{% $states.input.s + 1 %}"}), {"s": "text"})
    assert result.error == "States.QueryEvaluationError"
    assert result.cause is not None
    assert result.cause.startswith(
        prefix("S")
        + "The JSONata expression '$states.input.s + 1' specified for the field 'Output' threw an error "
        "during evaluation. T2001:"
    )


def test_query_evaluation_errors_are_caught_on_a_task() -> None:
    result, fake = execute(
        jsonata(
            {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Arguments": {"id": "{% $states.input.missing %}"},
                    "Catch": [
                        {
                            "ErrorEquals": ["States.QueryEvaluationError"],
                            "Output": "{% $states.errorOutput.Error %}",
                            "Next": "Handled",
                        }
                    ],
                    "End": True,
                },
                "Handled": {"Type": "Pass", "End": True},
            }
        )
    )
    assert succeeded(result) == "States.QueryEvaluationError"
    assert fake.requests == []  # the task never ran
    assert types(result)[:5] == [
        "ExecutionStarted",
        "TaskStateEntered",
        "EvaluationFailed",
        "TaskStateExited",
        "PassStateEntered",
    ]


def test_an_output_error_after_the_task_ran_is_retried_then_caught() -> None:
    definition = jsonata(
        {
            "T": {
                "Type": "Task",
                "Resource": TASK,
                "Output": "{% $states.result.missing %}",
                "Retry": [
                    {"ErrorEquals": ["States.QueryEvaluationError"], "MaxAttempts": 1, "IntervalSeconds": 1}
                ],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput.Error %}", "Next": "H"}
                ],
                "End": True,
            },
            "H": {"Type": "Pass", "End": True},
        }
    )
    result, fake = execute(definition, behaviour=lambda request: {"present": 1})
    assert succeeded(result) == "States.QueryEvaluationError"
    assert len(fake.requests) == 2  # the retry re-ran the task
    assert types(result).count("EvaluationFailed") == 2  # one per attempt (floci, measured on AWS)


def test_items_errors_are_caught_on_a_map() -> None:
    result = run(
        jsonata(
            {
                "M": {
                    "Type": "Map",
                    "Items": "{% $states.input.list %}",
                    "ItemProcessor": PROCESSOR,
                    "Catch": [{"ErrorEquals": ["States.QueryEvaluationError"], "Next": "H"}],
                    "End": True,
                },
                "H": {"Type": "Pass", "Output": "{% $states.input.Error %}", "End": True},
            }
        ),
        {"list": 3},
    )
    assert succeeded(result) == "States.QueryEvaluationError"


# ---------------------------------------------------------------- properties: JSONata and JSONPath agree

# JSONata numbers are doubles; past 2**53 an integral double comes back from JSONata as the int of its
# shortest text (6.902278244596826e16 -> 69022782445968260), which Python compares unequal to the float.
SAFE_INT = 2**53 - 1
numbers = st.integers(-SAFE_INT, SAFE_INT) | st.floats(-SAFE_INT, SAFE_INT, allow_nan=False)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=8)
keys = st.text(alphabet="abcxyz_", min_size=1, max_size=4)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=10,
)
records = st.fixed_dictionaries(
    {
        "num": numbers,
        "text": st.text(max_size=10),
        "flag": st.booleans(),
        "nested": st.fixed_dictionaries({"inner": json_values}),
    },
    optional={"extra": json_values},
)
PROPERTY = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def both(
    jsonpath_definition: dict[str, Any],
    jsonata_definition: dict[str, Any],
    input: Any,
    behaviour: Callable[[TaskRequest], Any] | None = None,
) -> tuple[Any, Any]:
    """Run the two versions; both must succeed; return their (output, task parameters)."""
    path_result, path_fake = execute(jsonpath_definition, input, behaviour)
    ata_result, ata_fake = execute(jsonata_definition, input, behaviour)
    assert path_result.status == ata_result.status == "SUCCEEDED", (path_result.cause, ata_result.cause)
    assert path_fake.parameters == ata_fake.parameters
    return path_result.output, ata_result.output


@PROPERTY
@given(records)
def test_property_select_and_rename(record: dict[str, Any]) -> None:
    path_out, ata_out = both(
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Pass",
                    "Parameters": {
                        "n.$": "$.num",
                        "t.$": "$.text",
                        "f.$": "$.flag",
                        "deep": {"inner.$": "$.nested.inner"},
                    },
                    "End": True,
                }
            },
        },
        one(
            {
                "Type": "Pass",
                "Output": {
                    "n": "{% $states.input.num %}",
                    "t": "{% $states.input.text %}",
                    "f": "{% $states.input.flag %}",
                    "deep": {"inner": "{% $states.input.nested.inner %}"},
                },
            },
            "P",
        ),
        record,
    )
    assert path_out == ata_out


@PROPERTY
@given(numbers, numbers)
def test_property_numeric_choice(x: float, threshold: float) -> None:
    targets = {
        "Big": {"Type": "Pass", "Result": "big", "End": True},
        "Small": {"Type": "Pass", "Result": "small", "End": True},
    }
    jsonata_targets = {
        name: {"Type": "Pass", "Output": state["Result"], "End": True} for name, state in targets.items()
    }
    path_out, ata_out = both(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.x", "NumericGreaterThan": threshold, "Next": "Big"}],
                    "Default": "Small",
                },
                **targets,
            },
        },
        jsonata(
            {
                "C": {
                    "Type": "Choice",
                    "Choices": [
                        {"Condition": f"{{% $states.input.x > {json.dumps(threshold)} %}}", "Next": "Big"}
                    ],
                    "Default": "Small",
                },
                **jsonata_targets,
            }
        ),
        {"x": x},
    )
    assert path_out == ata_out == ("big" if x > threshold else "small")


@PROPERTY
@given(st.lists(json_values, max_size=5))
def test_property_map_with_item_selector_adding_the_index(items: list[Any]) -> None:
    processor = {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}}
    path_out, ata_out = both(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
                    "ItemProcessor": processor,
                    "End": True,
                }
            },
        },
        one(
            {
                "Type": "Map",
                "Items": "{% $states.input.items %}",
                "ItemSelector": {
                    "index": "{% $states.context.Map.Item.Index %}",
                    "value": "{% $states.context.Map.Item.Value %}",
                },
                "ItemProcessor": processor,
            },
            "M",
        ),
        {"items": items},
    )
    assert path_out == ata_out == [{"index": i, "value": v} for i, v in enumerate(items)]


@PROPERTY
@given(records, json_values)
def test_property_task_result_selector_and_result_path_vs_arguments_and_output(
    record: dict[str, Any], extra: Any
) -> None:
    def behaviour(request: TaskRequest) -> Any:
        return {"echo": request.parameters, "extra": extra}

    path_out, ata_out = both(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Parameters": {"a.$": "$.num", "b.$": "$.text", "c": {"d.$": "$.nested"}},
                    "ResultSelector": {"got.$": "$.echo", "extra.$": "$.extra"},
                    "ResultPath": "$.res",
                    "End": True,
                }
            },
        },
        one(
            {
                "Type": "Task",
                "Resource": TASK,
                "Arguments": {
                    "a": "{% $states.input.num %}",
                    "b": "{% $states.input.text %}",
                    "c": {"d": "{% $states.input.nested %}"},
                },
                "Output": "{% $merge([$states.input, {'res': {'got': $states.result.echo, 'extra': $states.result.extra}}]) %}",
            },
            "T",
        ),
        record,
        behaviour,
    )
    assert path_out == ata_out


error_names = st.text(alphabet="ABCabc.xyz", min_size=1, max_size=8).filter(
    lambda s: not s.startswith("States.")
)


@PROPERTY
@given(records, error_names, st.text(max_size=12))
def test_property_catch_result_path_vs_catch_output(record: dict[str, Any], error: str, cause: str) -> None:
    def behaviour(request: TaskRequest) -> Any:
        raise StatesError(error, cause)

    handled = {"H": {"Type": "Succeed"}}
    path_out, ata_out = both(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "H"}],
                    "End": True,
                },
                **handled,
            },
        },
        jsonata(
            {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Catch": [
                        {
                            "ErrorEquals": ["States.ALL"],
                            "Output": "{% $merge([$states.input, {'err': $states.errorOutput}]) %}",
                            "Next": "H",
                        }
                    ],
                    "End": True,
                },
                **handled,
            }
        ),
        record,
        behaviour,
    )
    assert path_out == ata_out
    assert path_out["err"] == {"Error": error, "Cause": cause}
