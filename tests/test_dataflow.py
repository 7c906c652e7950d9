"""JSONPath-mode data flow through real executions: aslrun.dataflow and the engine's use of it.

InputPath → Parameters → (task) → ResultSelector → ResultPath → OutputPath with a
scripted fake integration; payload templates at depth and in arrays; the context
object (``$$``); variables (``Assign``, ``$var``, swaps, inner scopes); then a
property test of payload templates against a plain reference evaluator.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aslrun
from aslrun.dataflow import compile_template
from aslrun.errors import StatesError
from aslrun.expressions.access import Env
from aslrun.integrations.base import TaskRequest

TASK = "arn:aws:states:::lambda:invoke"


class ScriptedIntegration:
    """A fake Task backend: per state name, results (or StatesErrors to raise) used in order.

    When a state's script is used up (or absent) the task echoes its parameters.
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
        return item

    def parameters(self, state: str) -> list[Any]:
        return [r.parameters for r in self.requests if r.state_name == state]


def execute(
    definition: dict[str, Any],
    input: Any = None,
    script: dict[str, list[Any]] | None = None,
    name: str | None = None,
) -> tuple[aslrun.ExecutionResult, ScriptedIntegration]:
    fake = ScriptedIntegration(script)
    interpreter = aslrun.Interpreter(
        clock=aslrun.VirtualClock(start=1_700_000_000, frozen=True),
        integrations=[fake],
        load_plugins=False,
        seed=1,
    )
    return interpreter.run(definition, input, name=name), fake


def task_machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True, **fields}}}


def pass_machine(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, **fields}}}


def runtime_cause(state: str, text: str, entered: int = 2) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #{entered}). {text}"


# ---------------------------------------------------------------- the Task pipeline


def test_every_step_in_order() -> None:
    result, fake = execute(
        task_machine(
            InputPath="$.order",
            Parameters={"id.$": "$.id", "kind": "fixed"},
            ResultSelector={"total.$": "$.body.total"},
            ResultPath="$.order.priced",
            OutputPath="$.order",
        ),
        {"order": {"id": 7, "lines": 2}, "other": True},
        {"T": [{"body": {"total": 12.5, "currency": "EUR"}, "status": 200}]},
    )
    assert fake.parameters("T") == [{"id": 7, "kind": "fixed"}]
    # ResultPath writes into the RAW input (with "other"), then OutputPath selects "order".
    assert result.output == {"id": 7, "lines": 2, "priced": {"total": 12.5}}


def test_result_path_writes_into_the_raw_input_not_the_effective_input() -> None:
    result, _ = execute(task_machine(InputPath="$.a", ResultPath="$.r"), {"a": {"x": 1}, "b": 2}, {"T": [5]})
    assert result.output == {"a": {"x": 1}, "b": 2, "r": 5}


def test_input_path_null_gives_the_task_an_empty_object() -> None:
    _, fake = execute(task_machine(InputPath=None), {"a": 1})
    assert fake.parameters("T") == [{}]


def test_result_path_null_keeps_the_raw_input() -> None:
    result, _ = execute(task_machine(InputPath="$.a", ResultPath=None), {"a": {"x": 1}, "b": 2}, {"T": [99]})
    assert result.output == {"a": {"x": 1}, "b": 2}


def test_output_path_null_gives_an_empty_object() -> None:
    result, _ = execute(task_machine(OutputPath=None), {"a": 1}, {"T": [{"r": 1}]})
    assert result.output == {}


def test_default_result_path_replaces_the_input_with_the_result() -> None:
    result, _ = execute(task_machine(), {"a": 1}, {"T": [["r"]]})
    assert result.output == ["r"]


def test_result_path_creates_nested_objects() -> None:
    result, _ = execute(task_machine(ResultPath="$.master.result.sum"), {"master": {"detail": [1, 2]}}, {"T": [3]})
    assert result.output == {"master": {"detail": [1, 2], "result": {"sum": 3}}}


def test_result_path_overwrites_an_existing_field() -> None:
    result, _ = execute(task_machine(ResultPath="$.a.b"), {"a": {"b": "old", "c": 1}}, {"T": ["new"]})
    assert result.output == {"a": {"b": "new", "c": 1}}


def test_result_path_into_a_string_input_is_a_reference_path_conflict() -> None:
    result, _ = execute(task_machine(ResultPath="$.someTaskResult"), "input1", {"T": [1]})
    assert result.status == "FAILED"
    assert result.error == "States.ReferencePathConflict"
    assert result.cause is not None
    assert result.cause.endswith('Unable to apply ReferencePath $.someTaskResult to input "input1"')


def test_output_path_with_several_matches_wraps_them_in_an_array() -> None:
    result, _ = execute(task_machine(OutputPath="$.v[0,2]"), {}, {"T": [{"v": ["a", "b", "c"]}]})
    assert result.output == ["a", "c"]


def test_input_path_can_be_indefinite() -> None:
    _, fake = execute(task_machine(InputPath="$.items[?(@.ok)].n"), {"items": [{"ok": 1, "n": 1}, {"n": 2}]})
    assert fake.parameters("T") == [[1]]


def test_missing_input_path_is_a_runtime_error_with_jaywayss_message() -> None:
    result, fake = execute(task_machine(InputPath="$.NoSuchInputPath"), {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == runtime_cause(
        "T", "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
    )
    assert fake.requests == []


def test_missing_output_path_after_the_task_ran_is_a_runtime_error() -> None:
    result, _ = execute(task_machine(OutputPath="$.no.such.result.path"), {}, {"T": [{"ok": 1}]})
    assert result.error == "States.Runtime"
    assert result.cause == runtime_cause("T", "Invalid path '$.no.such.result.path' : Missing property in path $['no']")


def test_missing_parameter_path_is_a_runtime_error_quoting_the_input() -> None:
    result, _ = execute(task_machine(Parameters={"value.$": "$.no_such_jsonpath"}), {"a": [1, "x"]})
    assert result.error == "States.Runtime"
    assert result.cause == runtime_cause(
        "T",
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input "
        '\'{"a":[1,"x"]}\'',
    )


def test_runtime_errors_in_the_pipeline_are_not_caught() -> None:
    result, _ = execute(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": TASK,
                    "OutputPath": "$.nope",
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}],
                    "End": True,
                },
                "C": {"Type": "Pass", "End": True},
            },
        },
        {},
        {"T": [{"x": 1}]},
    )
    assert result.error == "States.Runtime"


# ---------------------------------------------------------------- payload templates


def test_template_paths_at_depth_and_in_arrays() -> None:
    template = {
        "a": {"b": {"c.$": "$.x", "lit": 1}},
        "list": [{"v.$": "$.y[1]"}, "plain", ["$.not.a.path"], [{"w.$": "$.x"}]],
        "s": "$.literal",
        "n": None,
        "all.$": "$",
    }
    result, _ = execute(pass_machine(Parameters=template), {"x": "X", "y": [0, "Y"]})
    assert result.output == {
        "a": {"b": {"c": "X", "lit": 1}},
        "list": [{"v": "Y"}, "plain", ["$.not.a.path"], [{"w": "X"}]],
        "s": "$.literal",
        "n": None,
        "all": {"x": "X", "y": [0, "Y"]},
    }


def test_the_same_path_can_feed_two_fields() -> None:
    result, _ = execute(pass_machine(Parameters={"a.$": "$.o", "b.$": "$.o"}), {"o": {"k": 1}})
    assert result.output == {"a": {"k": 1}, "b": {"k": 1}}


def test_template_with_an_intrinsic_function() -> None:
    result, _ = execute(
        pass_machine(Parameters={"greeting.$": "States.Format('Hello, {}!', $.name)", "n.$": "States.ArrayLength($.l)"}),
        {"name": "Ada", "l": [1, 2, 3]},
    )
    assert result.output == {"greeting": "Hello, Ada!", "n": 3}


def test_template_with_an_indefinite_path_gives_a_list() -> None:
    result, _ = execute(pass_machine(Parameters={"ids.$": "$.items[*].id"}), {"items": [{"id": 1}, {"id": 2}]})
    assert result.output == {"ids": [1, 2]}


def test_result_selector_sees_the_raw_task_result() -> None:
    result, _ = execute(
        task_machine(ResultSelector={"code.$": "$.StatusCode", "payload.$": "$.Payload.items[0]"}),
        {},
        {"T": [{"StatusCode": 200, "Payload": {"items": ["first", "second"]}}]},
    )
    assert result.output == {"code": 200, "payload": "first"}


def test_pass_result_goes_through_result_path() -> None:
    result, _ = execute(pass_machine(Result={"fixed": [1]}, ResultPath="$.r", OutputPath="$.r.fixed"), {"a": 1})
    assert result.output == [1]


def test_pass_parameters_see_the_input_after_input_path() -> None:
    result, _ = execute(pass_machine(InputPath="$.inner", Parameters={"v.$": "$.v"}), {"inner": {"v": 3}, "v": 0})
    assert result.output == {"v": 3}


# ---------------------------------------------------------------- the context object


def test_context_execution_and_state_fields() -> None:
    result, _ = execute(
        task_machine(
            Parameters={
                "name.$": "$$.Execution.Name",
                "id.$": "$$.Execution.Id",
                "input.$": "$$.Execution.Input",
                "state.$": "$$.State.Name",
                "entered.$": "$$.State.EnteredTime",
                "machine.$": "$$.StateMachine.Name",
                "redrive.$": "$$.Execution.RedriveCount",
            }
        ),
        {"q": 1},
        name="exec-1",
    )
    assert result.output == {
        "name": "exec-1",
        "id": "arn:aws:states:us-east-1:111111111111:execution:StateMachine:exec-1",
        "input": {"q": 1},
        "state": "T",
        "entered": "2023-11-14T22:13:20.000Z",
        "machine": "StateMachine",
        "redrive": 0,
    }


def test_context_retry_count_counts_retries_of_a_task() -> None:
    boom = StatesError("Boom", "x")
    result, fake = execute(
        task_machine(
            Parameters={"attempt.$": "$$.State.RetryCount"},
            ResultSelector={"final.$": "$$.State.RetryCount"},
            Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 3, "IntervalSeconds": 1}],
        ),
        {},
        {"T": [boom, boom, {"done": True}]},
    )
    assert fake.parameters("T") == [{"attempt": 0}, {"attempt": 1}, {"attempt": 2}]
    assert result.output == {"final": 2}


def test_context_in_a_pass_state_has_no_retry_count() -> None:
    result, _ = execute(pass_machine(Parameters={"state.$": "$$.State"}), {})
    assert set(result.output["state"]) == {"Name", "EnteredTime"}


def test_context_map_item_index_and_value_in_item_selector() -> None:
    result, _ = execute(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "tag.$": "$.tag"},
                    "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                    "End": True,
                }
            },
        },
        {"items": ["a", {"b": 1}], "tag": "t"},
    )
    assert result.output == [
        {"index": 0, "value": "a", "tag": "t"},
        {"index": 1, "value": {"b": 1}, "tag": "t"},
    ]


def test_context_whole_object_with_double_dollar() -> None:
    result, _ = execute(pass_machine(Parameters={"c.$": "$$"}), {}, name="n1")
    assert set(result.output["c"]) >= {"Execution", "StateMachine", "State"}
    assert "Map" not in result.output["c"] and "Task" not in result.output["c"]


# ---------------------------------------------------------------- variables


def test_assign_literals_and_paths_then_read_them_later() -> None:
    result, _ = execute(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Assign": {"lit": "$.not.a.path", "who.$": "$.user.name", "n": 3}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"who.$": "$who", "lit.$": "$lit", "n.$": "$n"}, "End": True},
            },
        },
        {"user": {"name": "Ada"}},
    )
    assert result.output == {"who": "Ada", "lit": "$.not.a.path", "n": 3}
    assert result.variables == {"lit": "$.not.a.path", "who": "Ada", "n": 3}


def test_variable_paths_read_inside_a_variable() -> None:
    result, _ = execute(
        {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Assign": {"cfg": {"limits": [10, 20]}}, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"second.$": "$cfg.limits[1]"}, "End": True},
            },
        },
        {},
    )
    assert result.output == {"second": 20}


def test_swap_uses_values_from_state_entry() -> None:
    result, _ = execute(
        {
            "StartAt": "Init",
            "States": {
                "Init": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "Swap"},
                "Swap": {"Type": "Pass", "Assign": {"x.$": "$y", "y.$": "$x"}, "End": True},
            },
        },
        {},
    )
    assert result.variables == {"x": 2, "y": 1}


def test_new_values_are_visible_only_from_the_next_state() -> None:
    result, _ = execute(
        {
            "StartAt": "Init",
            "States": {
                "Init": {"Type": "Pass", "Assign": {"x": "old"}, "Next": "Same"},
                "Same": {"Type": "Pass", "Assign": {"x": "new"}, "Parameters": {"seen.$": "$x"}, "End": True},
            },
        },
        {},
    )
    assert result.output == {"seen": "old"}
    assert result.variables == {"x": "new"}


def test_task_assign_sees_the_result_and_catch_assign_sees_the_error_output() -> None:
    definition = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": TASK,
                "Assign": {"got.$": "$.value"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"err.$": "$.Error", "why.$": "$.Cause"}, "Next": "N"}],
                "Next": "N",
            },
            "N": {"Type": "Pass", "End": True},
        },
    }
    ok, _ = execute(definition, {"value": "input"}, {"T": [{"value": "result"}]})
    assert ok.variables == {"got": "result"}
    failed, _ = execute(definition, {"value": "input"}, {"T": [StatesError("Boom", "because")]})
    assert failed.variables == {"err": "Boom", "why": "because"}  # the state-level Assign did not run


def test_map_iterations_read_outer_variables_and_their_own_do_not_leak_out() -> None:
    result, _ = execute(
        {
            "StartAt": "Init",
            "States": {
                "Init": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
                "M": {
                    "Type": "Map",
                    "ItemSelector": {"v.$": "$$.Map.Item.Value", "f.$": "$factor"},
                    "ItemProcessor": {
                        "StartAt": "Inner",
                        "States": {
                            "Inner": {
                                "Type": "Pass",
                                "Assign": {"inner.$": "$.v"},
                                "Parameters": {"v.$": "$.v", "outer.$": "$factor"},
                                "Next": "Read",
                            },
                            "Read": {"Type": "Pass", "Parameters": {"mine.$": "$inner", "outer.$": "$.outer"}, "End": True},
                        },
                    },
                    "End": True,
                },
            },
        },
        [1, 2],
    )
    assert result.output == [{"mine": 1, "outer": 10}, {"mine": 2, "outer": 10}]
    assert result.variables == {"factor": 10}


def test_parallel_branches_read_outer_variables() -> None:
    result, _ = execute(
        {
            "StartAt": "Init",
            "States": {
                "Init": {"Type": "Pass", "Assign": {"x": "outer"}, "Next": "P"},
                "P": {
                    "Type": "Parallel",
                    "Branches": [
                        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {"a.$": "$x"}, "End": True}}},
                        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Parameters": {"b.$": "$x"}, "End": True}}},
                    ],
                    "End": True,
                },
            },
        },
        {},
    )
    assert result.output == [{"a": "outer"}, {"b": "outer"}]


def test_choice_and_wait_assign_see_the_effective_input() -> None:
    result, _ = execute(
        {
            "StartAt": "C",
            "States": {
                "C": {
                    "Type": "Choice",
                    "InputPath": "$.in",
                    "Choices": [{"Variable": "$.k", "IsPresent": True, "Assign": {"c.$": "$.k"}, "Next": "W"}],
                },
                "W": {"Type": "Wait", "Seconds": 0, "InputPath": "$.k2", "Assign": {"w.$": "$"}, "End": True},
            },
        },
        {"in": {"k": 1, "k2": "two"}},
    )
    assert result.variables == {"c": 1, "w": "two"}


# ---------------------------------------------------------------- property: templates vs a reference

ident = st.text(alphabet="abcxyz", min_size=1, max_size=3)
leaf = (
    st.none()
    | st.booleans()
    | st.integers(-100, 100)
    | st.text(alphabet="ab $.", max_size=4)
    | st.sampled_from(["$.a", "$$.x", "$", "States.Format('x')"])
)
documents = st.recursive(
    leaf,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(ident, children, max_size=3),
    max_leaves=12,
)


def definite_paths(doc: Any, prefix: str = "$") -> list[str]:
    """Every definite path into ``doc`` (dot names, bracket indexes)."""
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += definite_paths(value, f"{prefix}.{key}")
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += definite_paths(value, f"{prefix}[{i}]")
    return out


_STEP = re.compile(r"\.([a-z]+)|\[(\d+)\]")


class Missing(Exception):
    pass


def reference_resolve(doc: Any, path: str) -> Any:
    """Follow ``$.name[0]...`` by hand."""
    assert path.startswith("$")
    node = doc
    for name, index in _STEP.findall(path[1:]):
        if name:
            if not isinstance(node, dict) or name not in node:
                raise Missing(path)
            node = node[name]
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                raise Missing(path)
            node = node[int(index)]
    return node


def reference_template(template: Any, doc: Any) -> Any:
    """A payload template evaluated by a plain dict walk."""
    if isinstance(template, dict):
        out = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = reference_resolve(doc, value)
            else:
                out[key] = reference_template(value, doc)
        return out
    if isinstance(template, list):
        return [reference_template(v, doc) for v in template]
    return template


MISSING_PATHS = ("$.zzz", "$.a.zzz", "$[5]")


def objects_of(children: Any) -> Any:
    """Template objects: each field is ("lit", value) or ("path", n), a reference resolved later."""
    field = st.tuples(
        ident,
        children.map(lambda v: ("lit", v)) | st.integers(0, 999).map(lambda n: ("path", n)),
    )
    return st.lists(field, max_size=4, unique_by=lambda f: f[0]).map(lambda fields: ("obj", fields))


template_shapes = objects_of(
    st.recursive(leaf, lambda children: st.lists(children, max_size=3) | objects_of(children), max_leaves=8)
)


def materialise(shape: Any, paths: list[str]) -> Any:
    """Turn a drawn shape into a template whose ``.$`` fields name paths into the document."""
    if isinstance(shape, tuple) and shape[0] == "obj":
        out: dict[str, Any] = {}
        for name, (kind, value) in shape[1]:
            if kind == "path":
                # About 5% of references name a path that is not there.
                out[name + ".$"] = MISSING_PATHS[value % 3] if value < 50 else paths[value % len(paths)]
            else:
                out[name] = materialise(value, paths)
        return out
    if isinstance(shape, list):
        return [materialise(v, paths) for v in shape]
    return shape


@st.composite
def template_and_input(draw: Any) -> tuple[Any, Any]:
    doc = draw(st.dictionaries(ident, documents, min_size=1, max_size=4))
    return materialise(draw(template_shapes), definite_paths(doc)), doc


@settings(max_examples=150, deadline=None)
@given(template_and_input())
def test_property_templates_match_a_plain_reference(case: tuple[Any, Any]) -> None:
    template, doc = case
    compiled = compile_template(template)
    try:
        expected = reference_template(template, doc)
    except Missing:
        with pytest.raises(StatesError) as info:
            compiled.evaluate(Env(doc))
        assert info.value.error == "States.Runtime"
        assert "could not be found in the input" in (info.value.cause or "")
        return
    actual = compiled.evaluate(Env(doc))
    assert json.dumps(actual, sort_keys=True) == json.dumps(expected, sort_keys=True)


@settings(max_examples=25, deadline=None)
@given(template_and_input())
def test_property_pass_parameters_match_the_reference_end_to_end(case: tuple[Any, Any]) -> None:
    template, doc = case
    result, _ = execute(pass_machine(Parameters=template), doc)
    try:
        expected = reference_template(template, doc)
    except Missing:
        assert (result.status, result.error) == ("FAILED", "States.Runtime")
        return
    assert result.status == "SUCCEEDED", result.cause
    assert json.dumps(result.output, sort_keys=True) == json.dumps(expected, sort_keys=True)
