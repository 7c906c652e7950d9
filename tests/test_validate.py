"""Static validation of definitions: aslrun.validation.validate_definition and did_you_mean."""

from __future__ import annotations

import copy
import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from aslrun.errors import Diagnostic
from aslrun.validation import did_you_mean, join_pointer, validate_definition

CORPUS = Path(__file__).resolve().parent / "conformance" / "cases"
SCHEMA = "SCHEMA_VALIDATION_FAILED"
TARGET = "MISSING_TRANSITION_TARGET"
JSONATA_CODE = "INVALID_JSONATA_EXPRESSION"


# ---------------------------------------------------------------- helpers


def machine(states: dict[str, Any], start: str | None = None, **top: Any) -> dict[str, Any]:
    return {"StartAt": start or next(iter(states)), "States": states, **top}


def errors(doc: Any) -> list[Diagnostic]:
    return [d for d in validate_definition(doc) if d.severity == "ERROR"]


def expect(
    doc: Any,
    code: str,
    location: str,
    message: str,
    hint: str | None = None,
    state: str | None = None,
    severity: str = "ERROR",
    alone: bool = True,
) -> Diagnostic:
    """The one diagnostic at ``location`` with ``code``; ``message``/``hint`` are regexes (like match=)."""
    diags = validate_definition(doc)
    found = [d for d in diags if d.location == location and d.code == code and re.search(message, d.message)]
    assert len(found) == 1, "\n".join(d.format() + f" [{d.code}]" for d in diags) or "no diagnostics"
    diag = found[0]
    assert diag.severity == severity
    assert diag.state == state
    if hint is not None:
        assert diag.hint is not None and re.search(hint, diag.hint), diag.hint
    if alone:
        others = [d for d in diags if d is not diag and d.severity == "ERROR"]
        assert not others, "\n".join(d.format() for d in others)
    return diag


def task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True, **fields}


def pass_(**fields: Any) -> dict[str, Any]:
    return {"Type": "Pass", "End": True, **fields}


def one_state(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    return machine({"S": state}, **top)


def map_state(**fields: Any) -> dict[str, Any]:
    return {
        "Type": "Map",
        "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": pass_()}},
        "End": True,
        **fields,
    }


# ---------------------------------------------------------------- valid machines


FULL_JSONPATH = {
    "Comment": "every state type",
    "Version": "1.0",
    "TimeoutSeconds": 300,
    "QueryLanguage": "JSONPath",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {
            "Type": "Pass",
            "InputPath": "$",
            "Parameters": {
                "items.$": "$.items",
                "id.$": "$$.Execution.Id",
                "name.$": "States.Format('hello {}', $.name)",
                "nested": {"list": [{"v.$": "$.items[0]"}], "literal": "$.not-a-path"},
            },
            "ResultPath": "$.prepared",
            "OutputPath": "$.prepared",
            "Assign": {"count": 0, "first.$": "$.items[0]"},
            "Next": "Work",
        },
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "f", "Payload.$": "$"},
            "ResultSelector": {"body.$": "$.Payload"},
            "ResultPath": "$.result",
            "TimeoutSeconds": 30,
            "HeartbeatSeconds": 10,
            "Credentials": {"RoleArn": "arn:aws:iam::123456789012:role/r"},
            "Retry": [
                {
                    "ErrorEquals": ["Lambda.ServiceException"],
                    "IntervalSeconds": 2,
                    "MaxAttempts": 3,
                    "BackoffRate": 1.5,
                    "MaxDelaySeconds": 10,
                    "JitterStrategy": "FULL",
                },
                {"ErrorEquals": ["States.ALL"], "MaxAttempts": 0},
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Failed"}],
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.result.body.ok", "BooleanEquals": True, "Next": "Fan"},
                {
                    "And": [
                        {"Variable": "$.n", "NumericGreaterThan": 1},
                        {"Variable": "$count", "IsPresent": True},
                    ],
                    "Assign": {"seen": True},
                    "Next": "Later",
                },
            ],
            "Default": "Failed",
        },
        "Later": {"Type": "Wait", "Timestamp": "2016-03-14T01:59:00Z", "Next": "Fan"},
        "Fan": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "B1", "States": {"B1": {"Type": "Wait", "Seconds": 1, "End": True}}},
                {
                    "Comment": "a map inside a branch",
                    "StartAt": "M",
                    "States": {
                        "M": {
                            "Type": "Map",
                            "ItemsPath": "$.items",
                            "ItemSelector": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value"},
                            "MaxConcurrency": 2,
                            "ItemProcessor": {
                                "ProcessorConfig": {"Mode": "INLINE"},
                                "StartAt": "Inner",
                                "States": {"Inner": {"Type": "Succeed"}},
                            },
                            "End": True,
                        }
                    },
                },
            ],
            "Next": "Distributed",
        },
        "Distributed": {
            "Type": "Map",
            "Label": "batch-run",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON", "MaxItems": 10},
                "Parameters": {"Bucket": "b", "Key.$": "$.key"},
            },
            "ItemBatcher": {"MaxItemsPerBatch": 5, "BatchInput": {"run.$": "$$.Execution.Name"}},
            "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out"}},
            "ToleratedFailurePercentage": 5.5,
            "ToleratedFailureCountPath": "$.tolerated",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                "StartAt": "Child",
                "States": {"Child": {"Type": "Pass", "End": True}},
            },
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Failed": {
            "Type": "Fail",
            "ErrorPath": "$.error.Error",
            "CausePath": "States.Format('{}', $.error.Cause)",
        },
    },
}

FULL_JSONATA = {
    "QueryLanguage": "JSONata",
    "StartAt": "Prepare",
    "States": {
        "Prepare": {
            "Type": "Pass",
            "Output": {"items": "{% $states.input.items %}", "n": 1},
            "Assign": {"total": "{% $count($states.input.items) %}"},
            "Next": "Work",
        },
        "Work": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
            "Output": "{% $states.result.Payload %}",
            "TimeoutSeconds": "{% $states.input.timeout %}",
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Output": "{% $states.errorOutput %}",
                    "Assign": {"err": "{% $states.errorOutput.Error %}"},
                    "Next": "Failed",
                }
            ],
            "Next": "Decide",
        },
        "Decide": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $total > 1 %}", "Output": {"many": True}, "Next": "Pause"},
                {"Condition": True, "Next": "Each"},
            ],
            "Default": "Failed",
        },
        "Pause": {"Type": "Wait", "Seconds": "{% $total %}", "Next": "Each"},
        "Each": {
            "Type": "Map",
            "Items": "{% $states.input.items %}",
            "ItemSelector": {"i": "{% $states.context.Map.Item.Index %}"},
            "MaxConcurrency": "{% 2 %}",
            "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": True}}},
            "Next": "Both",
        },
        "Both": {
            "Type": "Parallel",
            "Arguments": "{% $states.input %}",
            "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Succeed", "Output": "{% 1 %}"}}}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Failed": {"Type": "Fail", "Error": "{% 'Oops' %}", "Cause": "static cause"},
    },
}


@pytest.mark.parametrize("doc", [FULL_JSONPATH, FULL_JSONATA], ids=["jsonpath", "jsonata"])
def test_a_valid_machine_with_every_state_type_has_no_diagnostics(doc: dict[str, Any]) -> None:
    assert validate_definition(copy.deepcopy(doc)) == []


def test_validation_does_not_change_the_document() -> None:
    doc = copy.deepcopy(FULL_JSONPATH)
    validate_definition(doc)
    assert doc == FULL_JSONPATH


# ---------------------------------------------------------------- top level


def test_a_definition_must_be_an_object() -> None:
    expect([], SCHEMA, "/", r"^Definition must be a valid JSON object, found an array")


def test_startat_and_states_are_required() -> None:
    expect({}, SCHEMA, "/", r"^These fields are required: \[States, StartAt\]")
    expect({"States": {"A": pass_()}}, SCHEMA, "/", r"^The field 'StartAt' is required but was missing")


def test_unknown_top_level_field_suggests_the_right_one() -> None:
    doc = machine({"A": pass_()}, Coment="typo")
    expect(doc, SCHEMA, "/Coment", r"^Field 'Coment' is not supported", hint=r'Did you mean "Comment"\?')


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("TimeoutSeconds", 0, r"^Minimum value is 1, found 0"),
        ("TimeoutSeconds", "60", r"^Expected value of type \[INTEGER\], found the string \"60\""),
        ("Version", 1.0, r"^Expected value of type \[STRING\], found the number 1.0"),
        ("Comment", ["x"], r"^Expected value of type \[STRING\], found an array"),
        ("QueryLanguage", 5, r"^Expected value of type \[STRING\], found the number 5"),
    ],
)
def test_top_level_field_types(field: str, value: Any, message: str) -> None:
    expect(machine({"A": pass_()}, **{field: value}), SCHEMA, f"/{field}", message)


def test_query_language_must_be_one_of_the_two() -> None:
    doc = machine({"A": pass_()}, QueryLanguage="jsonata")
    expect(
        doc,
        SCHEMA,
        "/QueryLanguage",
        r"^Value should be one of the following: \[JSONPath, JSONata\]",
        hint=r'Did you mean "JSONata"\?',
    )


def test_startat_must_name_a_state() -> None:
    doc = machine({"Process": pass_()}, start="Proces")
    expect(doc, TARGET, "/StartAt", r"^Missing 'Next' target: Proces$", hint=r'^Did you mean "Process"\?$')


def test_states_must_be_a_non_empty_object() -> None:
    expect({"StartAt": "A", "States": {}}, SCHEMA, "/States", r"^Value cannot be empty")
    expect({"StartAt": "A", "States": []}, SCHEMA, "/States", r"^Expected value of type \[OBJECT\]")


# ---------------------------------------------------------------- states


def test_unknown_type_uses_aws_wording_and_suggests() -> None:
    doc = one_state({"Type": "task", "Resource": "x", "End": True})
    expect(
        doc,
        SCHEMA,
        "/States/S/Type",
        r"^The field 'Type' should have one of these values: "
        r"\[Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map\]",
        hint=r'Did you mean "Task"\?',
        state="S",
    )


def test_missing_type() -> None:
    expect(
        one_state({"End": True}),
        SCHEMA,
        "/States/S",
        r"^The field 'Type' is required but was missing",
        state="S",
    )


def test_a_state_must_be_an_object() -> None:
    expect(one_state("Pass"), SCHEMA, "/States/S", r"^Expected value of type \[OBJECT\]", state="S")


def test_state_names_are_at_most_80_characters() -> None:
    name = "N" * 81
    expect(
        machine({name: pass_()}),
        SCHEMA,
        f"/States/{name}",
        r"1 to 80 characters long; this one has 81",
        state=name,
    )


def test_state_names_are_unique_across_the_whole_machine() -> None:
    doc = machine(
        {
            "P": {
                "Type": "Parallel",
                "Next": "Dup",
                "Branches": [{"StartAt": "Dup", "States": {"Dup": pass_()}}],
            },
            "Dup": {"Type": "Succeed"},
        }
    )
    expect(
        doc,
        "DUPLICATE_STATE_NAME",
        "/States/Dup",
        r'^State name "Dup" is already used at '
        r"/States/P/Branches/0/States/Dup",
        hint=r"unique in the whole machine",
        state="Dup",
    )


def test_pointers_escape_slash_and_tilde() -> None:
    doc = machine({"a/b~c": pass_(Foo=1)})
    expect(doc, SCHEMA, "/States/a~1b~0c/Foo", r"^Field 'Foo' is not supported", state="a/b~c")
    assert join_pointer("/", "States", "a/b~c", 0) == "/States/a~1b~0c/0"


def test_field_of_another_state_type_is_not_supported() -> None:
    doc = one_state(map_state(TimeoutSeconds=5))
    expect(
        doc,
        SCHEMA,
        "/States/S/TimeoutSeconds",
        r"^Field 'TimeoutSeconds' is not supported",
        hint=r"supported on Task states only",
        state="S",
    )


def test_misspelled_field_suggests_the_allowed_one() -> None:
    doc = one_state(task(TimeoutSecond=5))
    expect(
        doc,
        SCHEMA,
        "/States/S/TimeoutSecond",
        r"^Field 'TimeoutSecond' is not supported",
        hint=r'Did you mean "TimeoutSeconds"\?',
        state="S",
    )


def test_task_requires_a_resource() -> None:
    doc = one_state({"Type": "Task", "End": True})
    expect(
        doc,
        SCHEMA,
        "/States/S",
        r"^The field 'Resource' is required but was missing",
        hint=r"arn:",
        state="S",
    )


@pytest.mark.parametrize(
    ("state", "location", "message"),
    [
        (task(TimeoutSeconds="5"), "/States/S/TimeoutSeconds", r"^Expected value of type \[INTEGER\]"),
        (task(TimeoutSeconds=0), "/States/S/TimeoutSeconds", r"^Minimum value is 1, found 0"),
        (task(HeartbeatSeconds=1.5), "/States/S/HeartbeatSeconds", r"^Expected value of type \[INTEGER\]"),
        ({"Type": "Wait", "Seconds": -1, "End": True}, "/States/S/Seconds", r"^Minimum value is 0, found -1"),
        ({"Type": "Wait", "Seconds": True, "End": True}, "/States/S/Seconds", r"found true"),
        (pass_(End="yes"), "/States/S/End", r"^Expected value of type \[BOOLEAN\]"),
        (pass_(End=False), "/States/S/End", r"^The field 'End' must be true, found false"),
        ({"Type": "Fail", "Error": 5}, "/States/S/Error", r"^Expected value of type \[STRING\]"),
        (task(Resource=""), "/States/S/Resource", r"^Value cannot be empty"),
    ],
)
def test_field_types_and_ranges(state: dict[str, Any], location: str, message: str) -> None:
    expect(one_state(state), SCHEMA, location, message, state="S")


def test_result_may_be_any_value() -> None:
    for value in (None, 1, "x", [1], {"a.$": "not evaluated"}):
        assert validate_definition(one_state(pass_(Result=value))) == []


def test_a_non_terminal_state_needs_next_or_end() -> None:
    expect(
        one_state({"Type": "Pass"}),
        SCHEMA,
        "/States/S",
        r"^The state has neither 'Next' nor 'End'",
        hint=r'"End": true',
        state="S",
        alone=False,
    )


def test_next_and_end_together() -> None:
    doc = machine({"A": pass_(Next="B"), "B": pass_()})
    expect(
        doc,
        SCHEMA,
        "/States/A/End",
        r"^There should only be one of the following fields: \[Next, End\]",
        state="A",
    )


@pytest.mark.parametrize("typ", ["Choice", "Succeed", "Fail"])
def test_choice_succeed_fail_take_no_end(typ: str) -> None:
    state: dict[str, Any] = {"Type": typ, "End": True}
    states = {"S": state}
    if typ == "Choice":
        state["Choices"] = [{"Variable": "$.x", "IsNull": True, "Next": "T"}]
        states["T"] = {"Type": "Succeed"}
    doc = machine(states)
    expect(doc, SCHEMA, "/States/S/End", r"^Field 'End' is not supported", state="S")


@pytest.mark.parametrize(
    ("state", "location", "fields"),
    [
        (
            task(TimeoutSeconds=5, TimeoutSecondsPath="$.t"),
            "/States/S/TimeoutSeconds",
            "TimeoutSeconds, TimeoutSecondsPath",
        ),
        (
            task(HeartbeatSeconds=5, HeartbeatSecondsPath="$.t"),
            "/States/S/HeartbeatSeconds",
            "HeartbeatSeconds, HeartbeatSecondsPath",
        ),
        ({"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}, "/States/S/Error", "Error, ErrorPath"),
        ({"Type": "Fail", "Cause": "C", "CausePath": "$.c"}, "/States/S/Cause", "Cause, CausePath"),
        (map_state(ItemSelector={}, Parameters={}), "/States/S/ItemSelector", "ItemSelector, Parameters"),
        (
            map_state(Iterator={"StartAt": "I", "States": {"I": pass_()}}),
            "/States/S/ItemProcessor",
            "ItemProcessor, Iterator",
        ),
        (
            map_state(MaxConcurrency=1, MaxConcurrencyPath="$.m"),
            "/States/S/MaxConcurrency",
            "MaxConcurrency, MaxConcurrencyPath",
        ),
        (
            {"Type": "Wait", "Seconds": 1, "Timestamp": "2016-03-14T01:59:00Z", "End": True},
            "/States/S/Timestamp",
            "Seconds, Timestamp, SecondsPath, TimestampPath",
        ),
    ],
)
def test_mutually_exclusive_fields(state: dict[str, Any], location: str, fields: str) -> None:
    expect(
        one_state(state),
        SCHEMA,
        location,
        rf"^There should only be one of the following fields: \[{fields}\]",
        hint=r"remove",
        state="S",
    )


def test_wait_needs_one_of_its_four_fields() -> None:
    expect(
        one_state({"Type": "Wait", "End": True}),
        SCHEMA,
        "/States/S",
        r"none of the fields \[Seconds, Timestamp, SecondsPath, TimestampPath\]",
        hint=r'"Seconds": 10',
        state="S",
    )


def test_heartbeat_must_be_smaller_than_timeout() -> None:
    expect(
        one_state(task(TimeoutSeconds=30, HeartbeatSeconds=30)),
        SCHEMA,
        "/States/S/HeartbeatSeconds",
        r"^HeartbeatSeconds \(30\) must be smaller than TimeoutSeconds \(30\)",
        state="S",
    )


@pytest.mark.parametrize(
    "stamp",
    [
        "2016-03-14 01:59:00Z",
        "2016-03-14T01:59:00",
        "2016-03-14t01:59:00z",
        "2023-02-30T00:00:00Z",
        "yesterday",
    ],
)
def test_wait_timestamp_must_be_rfc3339(stamp: str) -> None:
    doc = one_state({"Type": "Wait", "Timestamp": stamp, "End": True})
    expect(
        doc,
        SCHEMA,
        "/States/S/Timestamp",
        r"^String does not match RFC3339 timestamp",
        hint=r"2016-03-14T01:59:00Z",
        state="S",
    )


def test_parallel_branches_must_not_be_empty() -> None:
    expect(
        one_state({"Type": "Parallel", "Branches": [], "End": True}),
        SCHEMA,
        "/States/S/Branches",
        r"^Value cannot be empty",
        state="S",
    )


def test_choice_choices_must_not_be_empty() -> None:
    doc = machine({"S": {"Type": "Choice", "Choices": [], "Default": "T"}, "T": {"Type": "Succeed"}})
    expect(doc, SCHEMA, "/States/S/Choices", r"^Value cannot be empty", state="S")


def test_credentials_require_a_role_arn() -> None:
    expect(
        one_state(task(Credentials={"Role": "x"})),
        SCHEMA,
        "/States/S/Credentials",
        r"^The field 'RoleArn' is required but was missing",
        state="S",
    )
    assert validate_definition(one_state(task(Credentials={"RoleArn.$": "$.role"}))) == []


def test_branches_and_processors_are_checked_like_machines() -> None:
    doc = one_state(
        {
            "Type": "Parallel",
            "End": True,
            "Branches": [{"StartAt": "B", "States": {"B": pass_()}, "QueryLanguage": "JSONata"}],
        }
    )
    expect(
        doc,
        SCHEMA,
        "/States/S/Branches/0/QueryLanguage",
        r"^Field 'QueryLanguage' is not supported",
        hint=r"set QueryLanguage on each state",
        state="S",
    )
    doc = one_state(map_state(ItemProcessor={"States": {"I": pass_()}}))
    expect(doc, SCHEMA, "/States/S/ItemProcessor", r"^The field 'StartAt' is required", state="S")


def test_yaml_keys_that_are_not_strings() -> None:
    doc = {"StartAt": "1", "States": {1: pass_()}}
    expect(doc, SCHEMA, "/States/1", r"^Field names must be strings, found the number 1")


# ---------------------------------------------------------------- transitions


def test_next_must_name_a_state_with_a_suggestion() -> None:
    doc = machine({"Fetch": task(End=None, Next="Proces"), "Process": pass_()})
    del doc["States"]["Fetch"]["End"]
    diag = expect(
        doc,
        TARGET,
        "/States/Fetch/Next",
        r"^Missing 'Next' target: Proces$",
        hint=r'^Did you mean "Process"\?$',
        state="Fetch",
    )
    assert diag.format() == "/States/Fetch/Next: Missing 'Next' target: Proces Did you mean \"Process\"?"


def test_targets_are_case_sensitive() -> None:
    doc = machine({"A": {"Type": "Pass", "Next": "done"}, "Done": {"Type": "Succeed"}})
    expect(doc, TARGET, "/States/A/Next", r"target: done$", hint=r'Did you mean "Done"\?', state="A")


@pytest.mark.parametrize(
    ("state", "location"),
    [
        (
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "T"}],
                "Default": "Nope",
            },
            "/States/S/Default",
        ),
        (
            {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Nope"}],
                "Default": "T",
            },
            "/States/S/Choices/0/Next",
        ),
        (
            task(End=None, Next="T", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Nope"}]),
            "/States/S/Catch/0/Next",
        ),
    ],
)
def test_every_kind_of_target_is_checked(state: dict[str, Any], location: str) -> None:
    state = {k: v for k, v in state.items() if v is not None}
    doc = machine({"S": state, "T": {"Type": "Succeed"}})
    expect(doc, TARGET, location, r"^Missing 'Next' target: Nope$", hint=r'"S", "T"', state="S")


def test_a_target_in_another_states_object_is_explained() -> None:
    doc = machine(
        {
            "P": {
                "Type": "Parallel",
                "Next": "Inner",
                "Branches": [{"StartAt": "Inner", "States": {"Inner": pass_()}}],
            },
            "Done": {"Type": "Succeed"},
        }
    )
    diags = errors(doc)
    dangling = [d for d in diags if d.location == "/States/P/Next"]
    assert len(dangling) == 1 and dangling[0].code == TARGET
    assert dangling[0].hint is not None and "exists, but in /States/P/Branches/0/States" in dangling[0].hint


def test_unreachable_states_are_reported() -> None:
    doc = machine({"A": pass_(), "Orphan": pass_()})
    expect(
        doc,
        TARGET,
        "/States/Orphan",
        r'^State "Orphan" is not reachable\.$',
        hint=r"Point a Next",
        state="Orphan",
    )


def test_unreachable_states_inside_branches_are_reported() -> None:
    doc = one_state(map_state(ItemProcessor={"StartAt": "W", "States": {"W": pass_(), "Ghost": pass_()}}))
    expect(
        doc, TARGET, "/States/S/ItemProcessor/States/Ghost", r'^State "Ghost" is not reachable', state="Ghost"
    )


def test_a_misspelled_target_does_not_also_make_its_state_unreachable() -> None:
    doc = machine({"A": {"Type": "Pass", "Next": "Proces"}, "Process": pass_()})
    codes = [(d.code, d.location) for d in validate_definition(doc)]
    assert codes == [(TARGET, "/States/A/Next")]


def test_a_bad_startat_does_not_make_every_state_unreachable() -> None:
    doc = machine({"A": pass_(Next=None), "B": pass_()}, start="Nowhere")
    del doc["States"]["A"]["Next"]
    assert [d.location for d in errors(doc)] == ["/StartAt"]


def test_no_terminal_state_is_missing_end_state_and_hides_unreachable() -> None:
    doc = machine(
        {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Pass", "Next": "A"},
            "C": {"Type": "Pass", "Next": "A"},
        }
    )
    expect(doc, "MISSING_END_STATE", "/States", r"^Workflow has no terminal state$", hint=r'"End": true')


def test_no_terminal_state_in_a_processor_is_only_a_warning() -> None:
    processor = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}},
    }
    doc = one_state(map_state(ItemProcessor=processor))
    expect(
        doc,
        "MISSING_END_STATE",
        "/States/S/ItemProcessor/States",
        r"no terminal state",
        state="S",
        severity="WARNING",
    )
    assert errors(doc) == []


# ---------------------------------------------------------------- Retry and Catch


@pytest.mark.parametrize(
    ("retrier", "location", "message"),
    [
        ({}, "/States/S/Retry/0", r"^The field 'ErrorEquals' is required"),
        ({"ErrorEquals": []}, "/States/S/Retry/0/ErrorEquals", r"^Value cannot be empty"),
        (
            {"ErrorEquals": "States.ALL"},
            "/States/S/Retry/0/ErrorEquals",
            r"^Expected value of type \[ARRAY\]",
        ),
        ({"ErrorEquals": [1]}, "/States/S/Retry/0/ErrorEquals/0", r"^Expected value of type \[STRING\]"),
        (
            {"ErrorEquals": ["A", "States.ALL"]},
            "/States/S/Retry/0/ErrorEquals",
            r"^States.ALL must appear alone",
        ),
        (
            {"ErrorEquals": ["E"], "IntervalSeconds": 0},
            "/States/S/Retry/0/IntervalSeconds",
            r"^Minimum value is 1",
        ),
        (
            {"ErrorEquals": ["E"], "IntervalSeconds": 100000000},
            "/States/S/Retry/0/IntervalSeconds",
            r"^Maximum value is 99999999",
        ),
        ({"ErrorEquals": ["E"], "MaxAttempts": -1}, "/States/S/Retry/0/MaxAttempts", r"^Minimum value is 0"),
        (
            {"ErrorEquals": ["E"], "MaxAttempts": 2.5},
            "/States/S/Retry/0/MaxAttempts",
            r"^Expected value of type \[INTEGER\]",
        ),
        (
            {"ErrorEquals": ["E"], "BackoffRate": 0.9},
            "/States/S/Retry/0/BackoffRate",
            r"^Minimum value is 1.0",
        ),
        (
            {"ErrorEquals": ["E"], "MaxDelaySeconds": 31622402},
            "/States/S/Retry/0/MaxDelaySeconds",
            r"^Maximum value is 31622401",
        ),
        (
            {"ErrorEquals": ["E"], "JitterStrategy": "full"},
            "/States/S/Retry/0/JitterStrategy",
            r"should have one of these values: \[FULL, NONE\]",
        ),
        (
            {"ErrorEquals": ["E"], "MaxAttempt": 1},
            "/States/S/Retry/0/MaxAttempt",
            r"^Field 'MaxAttempt' is not",
        ),
    ],
)
def test_retrier_fields(retrier: dict[str, Any], location: str, message: str) -> None:
    expect(one_state(task(Retry=[retrier])), SCHEMA, location, message, state="S")


def test_states_all_must_be_in_the_last_retrier() -> None:
    doc = one_state(task(Retry=[{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]))
    expect(
        doc,
        SCHEMA,
        "/States/S/Retry/0/ErrorEquals",
        r"^A retrier with States.ALL must be the last retrier",
        hint=r"Move this retrier to the end",
        state="S",
    )


def test_states_all_must_be_in_the_last_catcher() -> None:
    doc = machine(
        {
            "S": task(
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "T"}, {"ErrorEquals": ["E"], "Next": "T"}]
            ),
            "T": {"Type": "Succeed"},
        }
    )
    expect(
        doc,
        SCHEMA,
        "/States/S/Catch/0/ErrorEquals",
        r"^A catcher with States.ALL must be the last catcher",
        state="S",
    )


def test_a_catcher_needs_next() -> None:
    doc = one_state(task(Catch=[{"ErrorEquals": ["States.ALL"]}]))
    expect(doc, SCHEMA, "/States/S/Catch/0", r"^The field 'Next' is required but was missing", state="S")


def test_unknown_states_error_name_is_a_warning() -> None:
    doc = one_state(task(Retry=[{"ErrorEquals": ["States.TaskFaild"]}]))
    expect(
        doc,
        "UNKNOWN_ERROR_NAME",
        "/States/S/Retry/0/ErrorEquals/0",
        r"not an error name",
        hint=r'Did you mean "States.TaskFailed"\?',
        state="S",
        severity="WARNING",
    )


def test_retry_and_catch_only_on_task_parallel_map() -> None:
    doc = machine({"S": pass_(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "S"}])})
    expect(
        doc,
        SCHEMA,
        "/States/S/Catch",
        r"^Field 'Catch' is not supported",
        hint=r"supported on Task, Parallel, Map states only",
        state="S",
    )


# ---------------------------------------------------------------- JSONPath expressions


@pytest.mark.parametrize(
    ("fields", "location", "message", "hint"),
    [
        ({"InputPath": "x"}, "/States/S/InputPath", r"must be a valid JSONPath, found \"x\"", r'"\$\.x"'),
        ({"OutputPath": "$.a["}, "/States/S/OutputPath", r"must be a valid JSONPath", r"(?i)missing '\]'"),
        ({"InputPath": 3}, "/States/S/InputPath", r"^Expected value of type \[STRING\]", r"or null"),
        (
            {"ResultPath": "$$.x"},
            "/States/S/ResultPath",
            r"must be a valid Reference Path",
            r"context object",
        ),
        ({"ResultPath": "$var"}, "/States/S/ResultPath", r"must be a valid Reference Path", r"variable"),
        ({"ResultPath": "$.a[*]"}, "/States/S/ResultPath", r"^Value is not a Reference Path", r"only use"),
        (
            {"TimeoutSecondsPath": "$.t[?(@.x)]"},
            "/States/S/TimeoutSecondsPath",
            r"^Value is not a Reference Path",
            None,
        ),
    ],
)
def test_paths(fields: dict[str, Any], location: str, message: str, hint: str | None) -> None:
    expect(one_state(task(**fields)), SCHEMA, location, message, hint=hint, state="S")


def test_null_paths_and_full_jsonpath_are_accepted() -> None:
    doc = one_state(
        task(
            InputPath=None,
            OutputPath="$.vals[-3:]",
            ResultPath=None,
            Parameters={"x.$": "$..items[?(@.price < 10)].name"},
        )
    )
    assert validate_definition(doc) == []


def test_reference_paths_in_map_numbers_cannot_use_the_context() -> None:
    doc = one_state(map_state(MaxConcurrencyPath="$$.Execution.Input.n"))
    expect(doc, SCHEMA, "/States/S/MaxConcurrencyPath", r"must be a valid Reference Path", state="S")
    assert validate_definition(one_state(map_state(ItemsPath="$$.Execution.Input.items"))) == []


def test_fail_paths_accept_reference_paths_and_intrinsics() -> None:
    doc = one_state({"Type": "Fail", "ErrorPath": "$errorVar", "CausePath": "States.Format('{}', $.c)"})
    assert validate_definition(doc) == []
    doc = one_state({"Type": "Fail", "CausePath": "Format($.c)"})
    expect(
        doc,
        SCHEMA,
        "/States/S/CausePath",
        r"^The value for the field 'CausePath' must be a valid Reference Path or a valid intrinsic function call",
        state="S",
    )


@pytest.mark.parametrize(
    ("template", "location", "message"),
    [
        (
            {"a.$": "foo"},
            "/States/S/Parameters/a.$",
            r"^The value for the field 'a.\$' must be a valid JSONPath or a valid intrinsic function call",
        ),
        ({"a.$": 5}, "/States/S/Parameters/a.$", r"found the number 5"),
        ({"deep": [{"x": {"b.$": "$.a[1"}}]}, "/States/S/Parameters/deep/0/x/b.$", r"field 'b.\$'"),
        ({"c.$": "States.Format('{}', $.x"}, "/States/S/Parameters/c.$", r"valid intrinsic function call"),
        ({"a": 1, "a.$": "$.a"}, "/States/S/Parameters/a.$", r"^The field 'a' appears twice"),
    ],
)
def test_payload_templates(template: dict[str, Any], location: str, message: str) -> None:
    expect(one_state(task(Parameters=template)), SCHEMA, location, message, state="S")


def test_result_selector_and_credentials_are_templates_too() -> None:
    doc = one_state(task(ResultSelector={"x.$": "nope"}, Credentials={"RoleArn.$": "nope"}))
    locations = [d.location for d in errors(doc)]
    assert locations == ["/States/S/ResultSelector/x.$", "/States/S/Credentials/RoleArn.$"]


def test_intrinsic_calls_are_compiled_when_the_module_exists() -> None:
    good = one_state(
        task(
            Parameters={
                "a.$": "States.Array(1, 'two', $.three, $$.Execution.Id, $var)",
                "b.$": "States.Format('{}', States.JsonToString($.x))",
            }
        )
    )
    assert validate_definition(good) == []
    bad = one_state(task(Parameters={"a.$": "States.Fromat('{}', $.x)"}))
    expect(bad, SCHEMA, "/States/S/Parameters/a.$", r"valid intrinsic function call", hint=r".", state="S")


# ---------------------------------------------------------------- Choice


def choice(rules: list[Any], **fields: Any) -> dict[str, Any]:
    return machine(
        {"C": {"Type": "Choice", "Choices": rules, "Default": "D", **fields}, "D": {"Type": "Succeed"}}
    )


def test_choice_rule_problems_come_from_the_choice_compiler() -> None:
    doc = choice([{"Variable": "$.x", "StringEqual": "a", "Next": "D"}])
    expect(
        doc,
        SCHEMA,
        "/States/C/Choices/0/StringEqual",
        r"^Field 'StringEqual' is not supported",
        hint=r'Did you mean "StringEquals"\?',
        state="C",
    )


def test_top_level_choice_rules_need_next() -> None:
    doc = choice([{"Variable": "$.x", "IsPresent": True}])
    expect(doc, SCHEMA, "/States/C/Choices/0", r"^The field 'Next' is required but was missing", state="C")


def test_choice_rule_assign_is_checked() -> None:
    doc = choice([{"Variable": "$.x", "IsPresent": True, "Next": "D", "Assign": {"a.b": 1}}])
    expect(
        doc,
        SCHEMA,
        "/States/C/Choices/0/Assign/a.b",
        r'^"a.b" is not a valid variable name',
        hint=r"whole variables only",
        state="C",
    )


def test_jsonpath_choice_rule_with_condition() -> None:
    doc = choice([{"Condition": "{% true %}", "Next": "D"}])
    expect(
        doc,
        SCHEMA,
        "/States/C/Choices/0/Condition",
        r"^The QueryLanguage is set to 'JSONPath', but field 'Condition' is only supported for the 'JSONata'",
        hint=r"Variable",
        state="C",
    )


def test_jsonata_choice_rules() -> None:
    doc = choice([{"Variable": "$.x", "IsPresent": True, "Next": "D"}], QueryLanguage="JSONata")
    diags = errors(doc)
    assert [(d.location, d.message.split(",")[0]) for d in diags] == [
        ("/States/C/Choices/0", "The field 'Condition' is required but was missing."),
        ("/States/C/Choices/0/Variable", "The QueryLanguage is set to 'JSONata'"),
        ("/States/C/Choices/0/IsPresent", "The QueryLanguage is set to 'JSONata'"),
    ]
    assert all(d.hint and "Condition" in d.hint for d in diags)
    doc = choice([{"Condition": "yes", "Next": "D"}], QueryLanguage="JSONata")
    expect(
        doc,
        SCHEMA,
        "/States/C/Choices/0/Condition",
        r"^Expected value of type \[BOOLEAN\] or a JSONata",
        state="C",
    )


# ---------------------------------------------------------------- Assign


@pytest.mark.parametrize(
    ("assign", "location", "message"),
    [
        ({"states": 1}, "/States/S/Assign/states", r"^'states' is a reserved variable name"),
        ({"x[2]": 1}, "/States/S/Assign/x[2]", r'^"x\[2\]" is not a valid variable name'),
        ({"1abc": 1}, "/States/S/Assign/1abc", r'^"1abc" is not a valid variable name'),
        ({"v" * 81: 1}, "/States/S/Assign/" + "v" * 81, r"at most 80 characters"),
        ({"x.$": "nope"}, "/States/S/Assign/x.$", r"must be a valid JSONPath or a valid intrinsic"),
    ],
)
def test_assign(assign: dict[str, Any], location: str, message: str) -> None:
    expect(one_state(pass_(Assign=assign)), SCHEMA, location, message, state="S")


def test_assign_must_be_an_object() -> None:
    expect(
        one_state(pass_(Assign=[1])),
        SCHEMA,
        "/States/S/Assign",
        r"^Expected value of type \[OBJECT\]",
        state="S",
    )


def test_assign_accepts_unicode_names_and_jsonpath_values() -> None:
    doc = one_state(pass_(Assign={"größe": 1, "_tmp": 2, "vé.$": "$.x", "n.$": "States.MathAdd($.a, 1)"}))
    assert validate_definition(doc) == []


# ---------------------------------------------------------------- JSONata mode


@pytest.mark.parametrize(
    ("state", "field", "hint"),
    [
        (pass_(InputPath="$.a"), "InputPath", r"\$states.input"),
        (task(Parameters={}), "Parameters", r"Arguments"),
        (task(ResultSelector={}), "ResultSelector", r"Output"),
        (pass_(ResultPath="$.r"), "ResultPath", r"Output"),
        (pass_(OutputPath="$.r"), "OutputPath", r"Output"),
        (map_state(ItemsPath="$.items"), "ItemsPath", r"Items"),
        (task(TimeoutSecondsPath="$.t"), "TimeoutSecondsPath", r"give 'TimeoutSeconds' a JSONata expression"),
        ({"Type": "Fail", "ErrorPath": "$.e"}, "ErrorPath", r"give 'Error' a JSONata expression"),
    ],
)
def test_jsonpath_only_fields_in_jsonata_states(state: dict[str, Any], field: str, hint: str) -> None:
    expect(
        one_state(state, QueryLanguage="JSONata"),
        SCHEMA,
        f"/States/S/{field}",
        rf"^The QueryLanguage is set to 'JSONata', but field '{field}' is only supported for the 'JSONPath'",
        hint=hint,
        state="S",
    )


@pytest.mark.parametrize("field", ["Output", "Arguments"])
def test_jsonata_only_fields_in_jsonpath_states(field: str) -> None:
    expect(
        one_state(task(**{field: {}})),
        SCHEMA,
        f"/States/S/{field}",
        rf"^The QueryLanguage is set to 'JSONPath', but field '{field}' is only supported for the 'JSONata'",
        hint=r'"QueryLanguage": "JSONata"',
        state="S",
    )


def test_a_jsonpath_state_in_a_jsonata_machine() -> None:
    doc = one_state(pass_(QueryLanguage="JSONPath", Output={"v": 1}), QueryLanguage="JSONata")
    expect(
        doc,
        SCHEMA,
        "/States/S",
        r"^'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        state="S",
    )


def test_nested_states_use_the_machine_language_not_the_enclosing_state() -> None:
    inner = {"StartAt": "P", "States": {"P": pass_(Output={"v": "{% 1 %}"})}}
    doc = one_state(map_state(QueryLanguage="JSONata", Items="{% [1] %}", ItemProcessor=inner))
    expect(
        doc,
        SCHEMA,
        "/States/S/ItemProcessor/States/P/Output",
        r"^The QueryLanguage is set to 'JSONPath'",
        state="P",
    )
    doc = one_state(map_state(ItemProcessor=inner), QueryLanguage="JSONata")
    assert validate_definition(doc) == []


@pytest.mark.parametrize(
    ("value", "location", "message"),
    [
        ({"a": "{% $states.input"}, "/States/S/Output/a", r"is not enclosed in '\{%' and '%\}'"),
        (["x", " {% 1 %}"], "/States/S/Output/1", r"is not enclosed"),
        ("{%  %}", "/States/S/Output", r"^Unexpected end of expression"),
    ],
)
def test_jsonata_delimiters(value: Any, location: str, message: str) -> None:
    expect(
        one_state(pass_(Output=value), QueryLanguage="JSONata"), JSONATA_CODE, location, message, state="S"
    )


def test_jsonata_numbers_accept_expressions_but_not_other_strings() -> None:
    doc = one_state(task(TimeoutSeconds="30"), QueryLanguage="JSONata")
    expect(
        doc,
        SCHEMA,
        "/States/S/TimeoutSeconds",
        r"^Expected value of type \[INTEGER\] or a JSONata expression",
        state="S",
    )


def test_jsonata_resource_must_be_constant() -> None:
    doc = one_state(task(Resource="{% $states.input.arn %}"), QueryLanguage="JSONata")
    expect(doc, SCHEMA, "/States/S/Resource", r"must be a constant string", state="S")


def test_dollar_keys_in_jsonata_states_are_a_warning() -> None:
    doc = one_state(pass_(Output={"a.$": "$.a"}), QueryLanguage="JSONata")
    expect(
        doc,
        "LITERAL_DOLLAR_KEY",
        "/States/S/Output/a.$",
        r"taken literally",
        hint=r"Name the key 'a'",
        state="S",
        severity="WARNING",
    )


def test_jsonata_syntax_hook_is_called_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def check_syntax(expr: str) -> str | None:
        seen.append(expr)
        return "Unexpected end of expression" if expr.strip().endswith("+") else None

    fake = types.ModuleType("aslrun.expressions.jsonata")
    fake.check_syntax = check_syntax  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "aslrun.expressions.jsonata", fake)
    doc = one_state(pass_(Output={"ok": "{% 1 %}", "bad": "{% 1 + %}"}), QueryLanguage="JSONata")
    expect(doc, JSONATA_CODE, "/States/S/Output/bad", r"^Unexpected end of expression$", state="S")
    assert seen == [" 1 ", " 1 + "]


# ---------------------------------------------------------------- Map


@pytest.mark.parametrize(
    ("fields", "location", "message"),
    [
        ({"MaxConcurrency": -1}, "/States/S/MaxConcurrency", r"^Minimum value is 0"),
        (
            {"ToleratedFailurePercentage": 101},
            "/States/S/ToleratedFailurePercentage",
            r"^Maximum value is 100.0",
        ),
        ({"ToleratedFailureCount": -1}, "/States/S/ToleratedFailureCount", r"^Minimum value is 0"),
        ({"Label": "x" * 41}, "/States/S/Label", r"at most 40 characters"),
        ({"Label": "a b:c"}, "/States/S/Label", r"not allowed: ' ', ':'"),
        ({"ItemBatcher": {"BatchInput": {}}}, "/States/S/ItemBatcher", r"no batch size"),
        ({"ItemReader": {"ReaderConfig": {}}}, "/States/S/ItemReader", r"^The field 'Resource' is required"),
        (
            {
                "ItemReader": {
                    "Resource": "arn:aws:states:::s3:getObject",
                    "ReaderConfig": {"InputType": "XML"},
                }
            },
            "/States/S/ItemReader/ReaderConfig/InputType",
            r"should have one of these values",
        ),
        (
            {"ResultWriter": {"Parameters": {"Bucket": "b"}}},
            "/States/S/ResultWriter",
            r"^The field 'Resource' is required",
        ),
        ({"Items": [1]}, "/States/S/Items", r"^The QueryLanguage is set to 'JSONPath'"),
        ({"Arguments": {}}, "/States/S/Arguments", r"^Field 'Arguments' is not supported"),
    ],
)
def test_map_fields(fields: dict[str, Any], location: str, message: str) -> None:
    expect(one_state(map_state(**fields)), SCHEMA, location, message, state="S")


def test_map_needs_a_processor() -> None:
    state = map_state()
    del state["ItemProcessor"]
    expect(one_state(state), SCHEMA, "/States/S", r"^The field 'ItemProcessor' is required", state="S")


def test_processor_config() -> None:
    processor = {"StartAt": "I", "States": {"I": pass_()}, "ProcessorConfig": {"Mode": "Distributed"}}
    expect(
        one_state(map_state(ItemProcessor=processor)),
        SCHEMA,
        "/States/S/ItemProcessor/ProcessorConfig/Mode",
        r"should have one of these values: \[INLINE, DISTRIBUTED\]",
        hint=r'Did you mean "DISTRIBUTED"',
        state="S",
    )
    processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED"}
    expect(
        one_state(map_state(ItemProcessor=processor)),
        SCHEMA,
        "/States/S/ItemProcessor/ProcessorConfig",
        r"^The field 'ExecutionType' is required",
        state="S",
    )


def test_legacy_iterator_and_parameters_are_accepted() -> None:
    state = map_state(Parameters={"v.$": "$$.Map.Item.Value"})
    state["Iterator"] = state.pop("ItemProcessor")
    assert validate_definition(one_state(state)) == []


# ---------------------------------------------------------------- all together


def test_every_problem_is_reported_in_document_order() -> None:
    doc = {
        "Coment": "typo",
        "StartAt": "Fetch",
        "States": {
            "Fetch": {
                "Type": "Task",
                "Resource": "arn:x",
                "Next": "Proces",
                "TimeoutSeconds": 0,
                "Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}],
            },
            "Process": {"Type": "Pass", "Parameters": {"a.$": "nope"}, "InputPath": "x", "End": True},
            "Wait": {"Type": "Wait", "Timestamp": "tomorrow", "End": True},
            "Odd": {"Type": "Pas", "End": True},
        },
    }
    got = [(d.code, d.location) for d in validate_definition(doc)]
    assert got == [
        (SCHEMA, "/Coment"),
        (TARGET, "/States/Fetch/Next"),
        (SCHEMA, "/States/Fetch/TimeoutSeconds"),
        (SCHEMA, "/States/Fetch/Retry/0/ErrorEquals"),
        (SCHEMA, "/States/Process/Parameters/a.$"),
        (SCHEMA, "/States/Process/InputPath"),
        (TARGET, "/States/Wait"),
        (SCHEMA, "/States/Wait/Timestamp"),
        (TARGET, "/States/Odd"),
        (SCHEMA, "/States/Odd/Type"),
    ]


def test_diagnostics_are_not_repeated() -> None:
    doc = choice([{"Variable": "$.x", "IsPresent": True, "Next": "Nope"}] * 2)
    keys = [(d.code, d.location, d.message) for d in validate_definition(doc)]
    assert len(keys) == len(set(keys)) == 2


# ---------------------------------------------------------------- did_you_mean


def test_did_you_mean() -> None:
    assert did_you_mean("Proces", ["Process", "Done"]) == 'Did you mean "Process"?'
    assert did_you_mean("done", ["Process", "Done"]) == 'Did you mean "Done"?'
    assert did_you_mean("Zebra", ["Process", "Done"]) is None
    assert did_you_mean("Done", ["Done"]) is None
    assert did_you_mean("x", []) is None


# ---------------------------------------------------------------- the conformance corpus


def corpus_cases(jsonata: bool) -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if ("jsonata" in case.get("features", [])) == jsonata:
            cases.append((path.name, case["definition"]))
    assert cases, f"no cases in {CORPUS}"
    return cases


@pytest.mark.parametrize("jsonata", [False, True], ids=["jsonpath", "jsonata"])
def test_every_corpus_definition_is_valid(jsonata: bool) -> None:
    """The corpus ran on AWS, so every definition in it is valid: no ERROR diagnostics."""
    failures = []
    for name, definition in corpus_cases(jsonata):
        problems = errors(definition)
        if problems:
            failures.append(name + "\n  " + "\n  ".join(d.format() for d in problems))
    assert not failures, "\n".join(failures)
