"""JSONPath-mode Choice rules: aslrun.expressions.choice and aslrun.expressions.timestamps.

Unit tests per operator family, the diagnostics for malformed rules, then property
tests that check every operator against a plain Python reference.
"""

from __future__ import annotations

import math
import operator
import string
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aslrun.errors import Diagnostic, StatesError
from aslrun.expressions.access import Env
from aslrun.expressions.choice import OPERATORS, Condition, compile_condition, compile_string_matches
from aslrun.expressions.timestamps import parse_timestamp, timestamp_key

POINTER = "/States/Check/Choices/0"


def compile_ok(rule: dict[str, Any], top_level: bool = True) -> Condition:
    condition, diags = compile_condition(rule, POINTER, "Check", top_level)
    assert diags == []
    assert isinstance(condition, Condition)
    return condition


def check(
    rule: dict[str, Any], data: Any, variables: dict[str, Any] | None = None, context: Any = None
) -> bool:
    return compile_ok(rule).evaluate(Env(data, variables, context))


def diagnostics(rule: Any, top_level: bool = True) -> list[Diagnostic]:
    condition, diags = compile_condition(rule, POINTER, "Check", top_level)
    assert condition is None
    assert diags, "expected at least one diagnostic"
    for d in diags:
        assert d.code == "SCHEMA_VALIDATION_FAILED"
        assert d.state == "Check"
        assert d.hint
    return diags


def only(rule: Any, top_level: bool = True) -> Diagnostic:
    diags = diagnostics(rule, top_level)
    assert len(diags) == 1, [d.format() for d in diags]
    return diags[0]


# ---------------------------------------------------------------- strings


@pytest.mark.parametrize(
    ("op", "value", "literal", "expected"),
    [
        ("StringEquals", "abc", "abc", True),
        ("StringEquals", "abc", "ABC", False),
        ("StringEquals", "abc ", "abc", False),
        ("StringEquals", "e\u0301", "\u00e9", False),  # no Unicode normalisation
        ("StringLessThan", "abc", "abd", True),
        ("StringLessThan", "Z", "a", True),  # by code point: uppercase sorts first
        ("StringLessThan", "ab", "abc", True),
        ("StringLessThan", "abc", "abc", False),
        ("StringGreaterThan", "\u00e9", "z", True),
        ("StringGreaterThan", "\U0001f600", "\uffff", True),  # code points, not UTF-16 units
        ("StringLessThanEquals", "abc", "abc", True),
        ("StringLessThanEquals", "abd", "abc", False),
        ("StringGreaterThanEquals", "abc", "abc", True),
        ("StringGreaterThanEquals", "", "a", False),
    ],
)
def test_string_comparisons(op: str, value: str, literal: str, expected: bool) -> None:
    assert check({"Variable": "$.v", op: literal, "Next": "N"}, {"v": value}) is expected


@pytest.mark.parametrize("value", [1, 1.5, True, None, ["abc"], {"a": "abc"}])
def test_string_operators_are_false_for_other_types(value: Any) -> None:
    for op in ("StringEquals", "StringLessThan", "StringGreaterThanEquals", "StringMatches"):
        assert check({"Variable": "$.v", op: "abc"}, {"v": value}) is False
    assert check({"Variable": "$.v", "StringEquals": "1"}, {"v": 1}) is False


def test_string_comparison_paths() -> None:
    rule = {"Variable": "$.a", "StringLessThanPath": "$.b"}
    assert check(rule, {"a": "x", "b": "y"}) is True
    assert check(rule, {"a": "y", "b": "x"}) is False
    assert check(rule, {"a": "x", "b": 5}) is False
    assert check({"Variable": "$.a", "StringEqualsPath": "$.b"}, {"a": "1", "b": 1}) is False


# ---------------------------------------------------------------- StringMatches


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("foo*.log", "foo23.log", True),
        ("*.log", "zebra.log", True),
        ("foo*.*", "foobar.zebra", True),
        ("foo*.log", "foo23.log2", False),
        ("*", "", True),
        ("", "", True),
        ("", "a", False),
        ("a*b*c", "abc", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "acb", False),
        ("log.*", "logX1", False),  # '.' is literal
        ("a?c", "abc", False),  # '?' is literal
        ("a?c", "a?c", True),
        ("[ab]", "a", False),
        ("[ab]", "[ab]", True),
        ("*x*", "line1\nxline2", True),  # '*' spans newlines
        ("Case*", "case1", False),
        (r"a\*b", "a*b", True),
        (r"a\*b", "aXb", False),
        (r"a\\b", "a\\b", True),
        (r"a\\*", "a\\anything", True),  # escaped backslash, then a wildcard
        (r"a\\\*", "a\\*", True),
        (r"a\\\*", "a\\x", False),
        (r"\a", "a", True),  # a backslash before another character stands for it
    ],
)
def test_string_matches(pattern: str, value: str, expected: bool) -> None:
    assert check({"Variable": "$.v", "StringMatches": pattern}, {"v": value}) is expected


def test_string_matches_lone_backslash_is_a_definition_error() -> None:
    d = only({"Variable": "$.v", "StringMatches": "abc\\", "Next": "N"})
    assert d.location == POINTER + "/StringMatches"
    assert "lone backslash" in d.message
    with pytest.raises(ValueError, match="lone backslash"):
        compile_string_matches("x\\")


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("op", "value", "literal", "expected"),
    [
        ("NumericEquals", 1, 1, True),
        ("NumericEquals", 1.0, 1, True),
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 0, -0.0, True),
        ("NumericEquals", 1.1, 1, False),
        ("NumericLessThan", 1, 1.5, True),
        ("NumericLessThan", -2, -1, True),
        ("NumericLessThan", 2, 2, False),
        ("NumericGreaterThan", 2.5, 2, True),
        ("NumericLessThanEquals", 2, 2.0, True),
        ("NumericGreaterThanEquals", 1.999, 2, False),
        # numbers are doubles: 2**53 + 1 is not representable and rounds to 2**53
        ("NumericEquals", 2**53 + 1, 2**53, True),
        ("NumericGreaterThan", 10**400, 1e308, True),
    ],
)
def test_numeric_comparisons(op: str, value: float, literal: float, expected: bool) -> None:
    assert check({"Variable": "$.v", op: literal}, {"v": value}) is expected


@pytest.mark.parametrize("value", [True, False, "1", None, [1], {"v": 1}])
def test_numeric_operators_are_false_for_non_numbers(value: Any) -> None:
    for op in ("NumericEquals", "NumericLessThanEquals", "NumericGreaterThanEquals"):
        assert check({"Variable": "$.v", op: 1}, {"v": value}) is False
    assert check({"Variable": "$.v", "NumericEquals": 0}, {"v": False}) is False


def test_numeric_paths() -> None:
    rule = {"Variable": "$.a", "NumericGreaterThanEqualsPath": "$.b"}
    assert check(rule, {"a": 2, "b": 2.0}) is True
    assert check(rule, {"a": 1, "b": 2}) is False
    assert check(rule, {"a": 2, "b": "1"}) is False
    assert check(rule, {"a": True, "b": 1}) is False
    assert check(rule, {"a": 1, "b": True}) is False


# ---------------------------------------------------------------- booleans


def test_boolean_equals() -> None:
    assert check({"Variable": "$.v", "BooleanEquals": True}, {"v": True}) is True
    assert check({"Variable": "$.v", "BooleanEquals": False}, {"v": False}) is True
    assert check({"Variable": "$.v", "BooleanEquals": True}, {"v": False}) is False
    assert check({"Variable": "$.v", "BooleanEquals": True}, {"v": 1}) is False
    assert check({"Variable": "$.v", "BooleanEquals": False}, {"v": 0}) is False
    assert check({"Variable": "$.v", "BooleanEquals": True}, {"v": "true"}) is False


def test_boolean_equals_path() -> None:
    rule = {"Variable": "$.a", "BooleanEqualsPath": "$.b"}
    assert check(rule, {"a": True, "b": True}) is True
    assert check(rule, {"a": False, "b": False}) is True
    assert check(rule, {"a": True, "b": False}) is False
    assert check(rule, {"a": True, "b": 1}) is False
    assert check(rule, {"a": 1, "b": 1}) is False


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    "text",
    [
        "2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00.1Z",
        "2016-03-14T01:59:00.000000Z",
        "2016-03-14T01:59:00.123456789Z",
        "2016-03-14T01:59:00+01:00",
        "2016-03-14T01:59:00-00:00",
        "2016-03-14T01:59:00.5-07:30",
        "2016-02-29T23:59:59Z",
    ],
)
def test_accepted_timestamps(text: str) -> None:
    assert parse_timestamp(text) is not None
    assert timestamp_key(text) is not None
    assert check({"Variable": "$.v", "IsTimestamp": True}, {"v": text}) is True


@pytest.mark.parametrize(
    "text",
    [
        "2016-03-14t01:59:00Z",
        "2016-03-14T01:59:00z",
        "2016-03-14T01:59:00",
        "2016-03-14T01:59Z",
        "2016-03-14 01:59:00Z",
        "2023-02-24 12:15:56.832957",
        "2016-03-14",
        "2016-03-14T01:59:00.Z",
        "2016-03-14T01:59:00+0100",
        "2016-03-14T01:59:00+01",
        "2015-02-29T00:00:00Z",
        "2016-13-01T00:00:00Z",
        "2016-03-14T24:00:00Z",
        "2016-03-14T23:60:00Z",
        "2016-12-31T23:59:60Z",
        "2016-03-14T01:59:00+24:00",
        "16-03-14T01:59:00Z",
        "\uff12016-03-14T01:59:00Z",  # a fullwidth digit
        " 2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00Z\n",
        "",
    ],
)
def test_rejected_timestamps(text: str) -> None:
    assert parse_timestamp(text) is None
    assert timestamp_key(text) is None
    assert check({"Variable": "$.v", "IsTimestamp": True}, {"v": text}) is False


def test_parse_timestamp_is_aware() -> None:
    assert parse_timestamp("2016-03-14T01:59:00.25Z") == datetime(2016, 3, 14, 1, 59, 0, 250000, tzinfo=UTC)
    parsed = parse_timestamp("2016-03-14T01:59:00-07:30")
    assert parsed is not None
    assert parsed.utcoffset() == -timedelta(hours=7, minutes=30)
    assert parse_timestamp(12345) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("op", "value", "literal", "expected"),
    [
        ("TimestampEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T20:00:55+01:00", "2012-10-09T19:00:55Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55.500Z", "2012-10-09T19:00:55.5Z", True),
        ("TimestampEquals", "2012-10-09T19:00:55.0000001Z", "2012-10-09T19:00:55Z", False),
        ("TimestampLessThan", "2012-10-09T19:00:55Z", "2012-10-09T19:00:56Z", True),
        ("TimestampLessThan", "2012-10-09T19:00:55.05Z", "2012-10-09T19:00:55.5Z", True),
        ("TimestampLessThan", "2012-10-09T19:00:55-01:00", "2012-10-09T19:00:56Z", False),
        ("TimestampGreaterThan", "2012-10-10T00:00:00Z", "2012-10-09T23:59:59.999Z", True),
        ("TimestampLessThanEquals", "2012-10-09T19:00:55Z", "2012-10-09T19:00:55Z", True),
        ("TimestampGreaterThanEquals", "2012-10-09T19:00:54Z", "2012-10-09T19:00:55Z", False),
    ],
)
def test_timestamp_comparisons(op: str, value: str, literal: str, expected: bool) -> None:
    assert check({"Variable": "$.v", op: literal}, {"v": value}) is expected


@pytest.mark.parametrize(
    "value", ["2012-10-09", "2012-10-09T19:00:55", 0, None, True, ["2012-10-09T19:00:55Z"]]
)
def test_timestamp_operators_are_false_for_non_timestamps(value: Any) -> None:
    for op in ("TimestampEquals", "TimestampLessThanEquals", "TimestampGreaterThanEquals"):
        assert check({"Variable": "$.v", op: "2012-10-09T19:00:55Z"}, {"v": value}) is False


def test_timestamp_paths() -> None:
    rule = {"Variable": "$.a", "TimestampLessThanPath": "$.b"}
    assert check(rule, {"a": "2012-10-09T19:00:55Z", "b": "2012-10-09T19:00:56Z"}) is True
    assert check(rule, {"a": "2012-10-09T19:00:55Z", "b": "not a time"}) is False
    assert check(rule, {"a": "2012-10-09T19:00:55Z", "b": 5}) is False


def test_a_timestamp_is_still_a_string() -> None:
    assert check({"Variable": "$.v", "StringEquals": "2012-10-09T19:00:55Z"}, {"v": "2012-10-09T19:00:55Z"})
    assert check({"Variable": "$.v", "IsString": True}, {"v": "2012-10-09T19:00:55Z"})


# ---------------------------------------------------------------- type tests

# The values LocalStack recorded against AWS (tests/aws/services/stepfunctions/v2/choice_operators).
TYPE_TABLE: list[tuple[Any, dict[str, bool]]] = [
    (None, {"IsNull": True, "IsNumeric": False, "IsString": False, "IsBoolean": False}),
    (0, {"IsNull": False, "IsNumeric": True, "IsString": False, "IsBoolean": False}),
    (0.0, {"IsNull": False, "IsNumeric": True, "IsString": False, "IsBoolean": False}),
    (1.1, {"IsNull": False, "IsNumeric": True, "IsString": False, "IsBoolean": False}),
    ("", {"IsNull": False, "IsNumeric": False, "IsString": True, "IsBoolean": False}),
    ("1", {"IsNull": False, "IsNumeric": False, "IsString": True, "IsBoolean": False}),
    ([], {"IsNull": False, "IsNumeric": False, "IsString": False, "IsBoolean": False}),
    ({}, {"IsNull": False, "IsNumeric": False, "IsString": False, "IsBoolean": False}),
    (True, {"IsNull": False, "IsNumeric": False, "IsString": False, "IsBoolean": True}),
    (False, {"IsNull": False, "IsNumeric": False, "IsString": False, "IsBoolean": True}),
]


@pytest.mark.parametrize(("value", "answers"), TYPE_TABLE)
def test_type_tests(value: Any, answers: dict[str, bool]) -> None:
    for op, answer in answers.items():
        assert check({"Variable": "$.v", op: True}, {"v": value}) is answer, op
        assert check({"Variable": "$.v", op: False}, {"v": value}) is (not answer), op
    assert check({"Variable": "$.v", "IsPresent": True}, {"v": value}) is True
    assert check({"Variable": "$.v", "IsTimestamp": True}, {"v": value}) is False


def test_is_present() -> None:
    assert check({"Variable": "$.v", "IsPresent": True}, {"v": None}) is True
    assert check({"Variable": "$.v", "IsPresent": True}, {}) is False
    assert check({"Variable": "$.v", "IsPresent": False}, {}) is True
    assert check({"Variable": "$.a.b.c", "IsPresent": True}, {"a": {}}) is False
    assert check({"Variable": "$.a.b", "IsPresent": True}, {"a": "text"}) is False
    assert check({"Variable": "$.a[3]", "IsPresent": True}, {"a": [1, 2]}) is False
    assert check({"Variable": "$.a[-1]", "IsPresent": True}, {"a": [1, 2]}) is True
    assert check({"Variable": "$.v", "IsPresent": True}, ["not", "an", "object"]) is False
    assert check({"Variable": "$missing", "IsPresent": True}, {}, variables={}) is False
    assert check({"Variable": "$x.deep", "IsPresent": True}, {}, variables={"x": {"deep": 0}}) is True


# ---------------------------------------------------------------- where values come from


def test_variable_reads_context_and_variables() -> None:
    context = {"Execution": {"Name": "run-1"}}
    assert check({"Variable": "$$.Execution.Name", "StringEquals": "run-1"}, {}, context=context)
    assert check({"Variable": "$count", "NumericGreaterThan": 2}, {}, variables={"count": 3})
    assert check({"Variable": "$", "NumericEquals": 3}, 3)
    assert check({"Variable": "$['a b']", "StringEquals": "x"}, {"a b": "x"})
    assert check({"Variable": "$.a[1].b", "BooleanEquals": True}, {"a": [{}, {"b": True}]})
    rule = {"Variable": "$.a", "NumericEqualsPath": "$$.Map.Item.Index"}
    assert check(rule, {"a": 0}, context={"Map": {"Item": {"Index": 0}}})


def test_indefinite_variable_paths_select_a_list() -> None:
    data = {"items": [{"x": 1}, {"x": 2}]}
    assert check({"Variable": "$.items[*].x", "IsPresent": True}, data)
    assert check({"Variable": "$.items[*].x", "NumericEquals": 1}, data) is False
    assert check({"Variable": "$.items[*].nope", "IsNull": False}, data)


def test_missing_variable_fails_with_states_runtime() -> None:
    condition = compile_ok({"Variable": "$.value", "NumericEquals": 0, "Next": "N"})
    with pytest.raises(StatesError) as info:
        condition.evaluate(Env({"other": 1}))
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (
        "Invalid path '$.value': The choice state's condition path references an invalid value."
    )


@pytest.mark.parametrize("op", ["IsNull", "IsString", "IsNumeric", "IsBoolean", "IsTimestamp"])
def test_missing_variable_fails_type_tests_too(op: str) -> None:
    condition = compile_ok({"Variable": "$.a.b", op: False})
    with pytest.raises(StatesError, match=r"Invalid path '\$\.a\.b'"):
        condition.evaluate(Env({"a": 1}))


def test_missing_variable_fails_for_non_object_input_and_undefined_variable() -> None:
    with pytest.raises(StatesError, match="condition path references an invalid value"):
        compile_ok({"Variable": "$.v", "StringEquals": "x"}).evaluate(Env("text"))
    with pytest.raises(StatesError, match=r"Invalid path '\$nope'"):
        compile_ok({"Variable": "$nope", "StringEquals": "x"}).evaluate(Env({}, {}))


def test_missing_comparison_path_fails_with_states_runtime() -> None:
    condition = compile_ok({"Variable": "$.left", "NumericLessThanEqualsPath": "$.right"})
    with pytest.raises(StatesError) as info:
        condition.evaluate(Env({"left": 8}))
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (
        "Invalid path '$.right': The choice state's condition path references an invalid value."
    )
    with pytest.raises(StatesError, match=r"Invalid path '\$\.left'"):
        condition.evaluate(Env({"right": 8}))


# ---------------------------------------------------------------- And / Or / Not


def test_boolean_expressions() -> None:
    data = {"type": "Private", "value": 22}
    twenties = {
        "And": [
            {"Variable": "$.value", "NumericGreaterThanEquals": 20},
            {"Variable": "$.value", "NumericLessThan": 30},
        ],
        "Next": "ValueInTwenties",
    }
    assert check(twenties, data)
    assert check(twenties, {"value": 30}) is False
    assert check({"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"}, data) is False
    either = {"Or": [{"Variable": "$.value", "NumericEquals": 1}, {"Variable": "$.type", "IsString": True}]}
    assert check(either, data)
    assert check({"Not": {"Not": {"Variable": "$.value", "IsNumeric": True}}}, data)


def test_boolean_expressions_short_circuit() -> None:
    missing = {"Variable": "$.missing", "StringEquals": "x"}
    assert check({"Or": [{"Variable": "$.a", "IsPresent": True}, missing]}, {"a": 1})
    assert check({"And": [{"Variable": "$.a", "IsPresent": False}, missing]}, {"a": 1}) is False
    guarded = {"And": [{"Variable": "$.a", "IsPresent": True}, {"Variable": "$.a", "BooleanEquals": True}]}
    assert check(guarded, {}) is False
    with pytest.raises(StatesError):
        check({"And": [{"Variable": "$.a", "IsPresent": True}, missing]}, {"a": 1})


def test_top_level_keys_are_left_to_the_caller() -> None:
    rule = {
        "Variable": "$.a",
        "IsNull": True,
        "Next": "N",
        "Assign": {"x": 1},
        "Comment": "c",
        "Output": {},
    }
    assert check(rule, {"a": None})
    assert check({"Comment": "nested comments are fine", "Variable": "$.a", "IsNull": True}, {"a": None})


def test_public_names() -> None:
    assert "StringMatches" in OPERATORS
    assert "TimestampLessThanEqualsPath" in OPERATORS
    assert "StringMatchesPath" not in OPERATORS
    assert "IsPresentPath" not in OPERATORS
    assert len(OPERATORS) == 16 * 2 + 1 + 6


# ---------------------------------------------------------------- diagnostics


def test_unknown_operator_suggests_the_right_name() -> None:
    d = only({"Variable": "$.x", "StringEqual": "a", "Next": "N"})
    assert d.location == POINTER + "/StringEqual"
    assert d.message == "Field 'StringEqual' is not supported"
    assert d.hint == 'Did you mean "StringEquals"?'
    assert d.format() == (
        "/States/Check/Choices/0/StringEqual: Field 'StringEqual' is not supported "
        'Did you mean "StringEquals"?'
    )


def test_unknown_field_without_a_close_match() -> None:
    d = only({"Variable": "$.x", "IsNull": True, "Frobnicate": 1})
    assert d.location == POINTER + "/Frobnicate"
    assert d.hint is not None and d.hint.startswith("Remove it")


def test_json_pointer_tokens_are_escaped() -> None:
    d = only({"Variable": "$.x", "IsNull": True, "a/b~c": 1})
    assert d.location == POINTER + "/a~1b~0c"


def test_no_operator() -> None:
    d = only({"Variable": "$.x", "Next": "N"})
    assert d.location == POINTER
    assert d.message == "The choice rule has no comparison operator"


def test_no_condition_at_all() -> None:
    d = only({"Next": "N"})
    assert d.location == POINTER
    assert d.message == "The choice rule has no condition"


def test_several_operators() -> None:
    d = only({"Variable": "$.x", "NumericEquals": 1, "StringEquals": "1", "Next": "N"})
    assert d.location == POINTER + "/StringEquals"
    assert d.message == (
        "A choice rule takes exactly one comparison operator, found 'NumericEquals' and 'StringEquals'"
    )


def test_missing_variable() -> None:
    d = only({"NumericEquals": 1, "Next": "N"})
    assert d.location == POINTER
    assert d.message == "These fields are required: [Variable]"


@pytest.mark.parametrize(
    ("rule", "key", "message"),
    [
        (
            {"NumericEquals": "5"},
            "NumericEquals",
            "The value for the field 'NumericEquals' must be a number, found string",
        ),
        ({"NumericLessThan": True}, "NumericLessThan", "must be a number, found boolean"),
        (
            {"StringEquals": 5},
            "StringEquals",
            "The value for the field 'StringEquals' must be a string, found number",
        ),
        ({"StringMatches": None}, "StringMatches", "must be a string, found null"),
        ({"BooleanEquals": "true"}, "BooleanEquals", "must be a boolean (true or false), found string"),
        ({"TimestampEquals": "2016-03-14"}, "TimestampEquals", "String does not match RFC3339 timestamp"),
        ({"TimestampLessThan": 1457920740}, "TimestampLessThan", "must be a timestamp string, found number"),
        ({"IsNull": "yes"}, "IsNull", "The value for the field 'IsNull' must be a boolean, found string"),
        ({"IsPresent": 1}, "IsPresent", "must be a boolean, found number"),
        (
            {"StringEqualsPath": "foo"},
            "StringEqualsPath",
            "The value for the field 'StringEqualsPath' must be a valid JSONPath",
        ),
        ({"NumericEqualsPath": 5}, "NumericEqualsPath", "must be a path string, found number"),
    ],
)
def test_operand_types(rule: dict[str, Any], key: str, message: str) -> None:
    d = only({"Variable": "$.x", **rule, "Next": "N"})
    assert d.location == f"{POINTER}/{key}"
    assert message in d.message


def test_literal_that_looks_like_a_path_suggests_the_path_form() -> None:
    d = only({"Variable": "$.x", "NumericEquals": "$.y"})
    assert d.hint == 'To compare with a value from the input, use "NumericEqualsPath": "$.field".'


@pytest.mark.parametrize("text", ["foo", "$.a[", "$..", "$.a b", ""])
def test_bad_variable_path(text: str) -> None:
    d = only({"Variable": text, "IsNull": True})
    assert d.location == POINTER + "/Variable"
    assert d.message.startswith("The value for the field 'Variable' must be a valid JSONPath: ")


def test_variable_not_a_string() -> None:
    d = only({"Variable": ["$.x"], "IsNull": True})
    assert d.location == POINTER + "/Variable"
    assert d.message == "The value for the field 'Variable' must be a path string, found array"


def test_empty_and_or() -> None:
    d = only({"And": [], "Next": "N"})
    assert (d.location, d.message) == (POINTER + "/And", "Value cannot be empty")
    d = only({"Or": [], "Next": "N"})
    assert (d.location, d.message) == (POINTER + "/Or", "Value cannot be empty")


def test_and_must_be_an_array() -> None:
    d = only({"And": {"Variable": "$.x", "IsNull": True}})
    assert d.location == POINTER + "/And"
    assert d.message == "The field 'And' must be an array of choice rules, found object"


def test_not_must_be_an_object() -> None:
    d = only({"Not": [{"Variable": "$.x", "IsNull": True}], "Next": "N"})
    assert d.location == POINTER + "/Not"
    assert d.message == "The field 'Not' must be a single choice rule (an object), found array"
    assert d.hint is not None and "And" in d.hint


def test_nested_rules_must_not_have_next() -> None:
    d = only({"And": [{"Variable": "$.x", "IsNull": True, "Next": "N"}], "Next": "N"})
    assert d.location == POINTER + "/And/0/Next"
    assert d.message == "Field 'Next' is not supported"
    d = only({"Not": {"Variable": "$.x", "IsNull": True, "Assign": {}}})
    assert d.location == POINTER + "/Not/Assign"
    d = only({"Variable": "$.x", "IsNull": True, "Next": "N"}, top_level=False)
    assert d.location == POINTER + "/Next"


def test_nested_problems_point_into_the_tree() -> None:
    rule = {"Or": [{"Variable": "$.a", "IsNull": True}, {"Not": {"Variable": "$.b", "NumericEquals": "x"}}]}
    d = only(rule)
    assert d.location == POINTER + "/Or/1/Not/NumericEquals"


def test_rule_must_be_an_object() -> None:
    d = only({"And": ["$.x"]})
    assert d.location == POINTER + "/And/0"
    assert d.message == "A choice rule must be a JSON object, found string"
    d = only(None)
    assert d.location == POINTER


def test_condition_belongs_to_jsonata() -> None:
    d = only({"Condition": "{% $x %}", "Next": "N"})
    assert d.location == POINTER + "/Condition"
    assert d.hint is not None and "JSONata" in d.hint


def test_boolean_and_data_test_cannot_mix() -> None:
    d = only({"And": [{"Variable": "$.a", "IsNull": True}], "Variable": "$.b", "IsNull": True})
    assert d.location == POINTER + "/Variable"
    assert d.message == "Field 'Variable' cannot be used together with 'And'"
    d = only({"And": [{"Variable": "$.a", "IsNull": True}], "Or": [{"Variable": "$.a", "IsNull": True}]})
    assert d.location == POINTER + "/Or"


def test_every_problem_is_reported() -> None:
    rule = {
        "And": [
            {"Variable": "$.a", "StringEqual": "x"},
            {"Variable": "a", "IsNull": True},
            {"Variable": "$.c", "NumericEquals": "1", "Next": "X"},
        ],
        "Next": "N",
    }
    locations = [d.location for d in diagnostics(rule)]
    assert locations == [
        POINTER + "/And/0/StringEqual",
        POINTER + "/And/1/Variable",
        POINTER + "/And/2/Next",
        POINTER + "/And/2/NumericEquals",
    ]


# ---------------------------------------------------------------- property tests

finite_floats = st.floats(allow_nan=False, allow_infinity=False)
numbers = st.one_of(st.integers(), st.integers(-(2**70), 2**70), finite_floats, st.integers(-5, 5).map(float))
texts = st.text(max_size=8)
small_texts = st.text(alphabet="ab\u00e9\U0001f600Z", max_size=4)
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2100, 12, 30), timezones=offsets)


@st.composite
def timestamp_texts(draw: st.DrawFn) -> tuple[str, datetime]:
    """An ASL timestamp string and the instant it names."""
    moment = draw(moments)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = f"{moment.microsecond:06d}"
    style = draw(st.sampled_from(["none", "short", "exact", "long"]))
    if style == "none" and moment.microsecond == 0:
        pass
    elif style == "short":
        text += "." + (micros.rstrip("0") or "0")
    elif style == "long":
        text += "." + micros + "0" * draw(st.integers(1, 6))
    else:
        text += "." + micros
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0 and draw(st.booleans()):
        text += "Z"
    else:
        sign = "-" if minutes < 0 else "+"
        text += f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return text, moment


# a tagged JSON value: (value, what kind it is, its meaning for the reference)
def tagged(kind: str, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, str, Any]]:
    return strategy.map(lambda v: (v, kind, v))


not_timestamp_texts = st.text(alphabet=string.ascii_letters + " -:", max_size=8)
values = st.one_of(
    tagged("number", numbers),
    tagged("string", small_texts),
    tagged("string", not_timestamp_texts),
    tagged("boolean", st.booleans()),
    tagged("null", st.none()),
    tagged("array", st.lists(st.integers(), max_size=2)),
    tagged("object", st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)),
    timestamp_texts().map(lambda t: (t[0], "timestamp", t[1])),
)

CMP = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}


def as_double(v: int | float) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def reference(family: str, cmp_name: str, a: tuple[Any, str, Any], b: tuple[Any, str, Any]) -> bool:
    """What the comparison must give, written without the implementation's helpers."""
    cmp = CMP[cmp_name]
    (va, ka, ma), (vb, kb, mb) = a, b
    if family == "String":
        return isinstance(va, str) and isinstance(vb, str) and cmp(list(map(ord, va)), list(map(ord, vb)))
    if family == "Numeric":
        return ka == "number" and kb == "number" and cmp(as_double(va), as_double(vb))
    if family == "Boolean":
        return ka == "boolean" and kb == "boolean" and va == vb
    return ka == "timestamp" and kb == "timestamp" and cmp(ma, mb)


family_ops = st.one_of(
    st.tuples(st.sampled_from(["String", "Numeric", "Timestamp"]), st.sampled_from(sorted(CMP))),
    st.just(("Boolean", "Equals")),
)


@settings(max_examples=400)
@given(family_ops, values, values)
def test_path_comparisons_match_the_reference(family_op: tuple[str, str], a: Any, b: Any) -> None:
    family, cmp_name = family_op
    rule = {"Variable": "$.a", f"{family}{cmp_name}Path": "$.b", "Next": "N"}
    assert check(rule, {"a": a[0], "b": b[0]}) is reference(family, cmp_name, a, b)


LITERALS: dict[str, st.SearchStrategy[tuple[Any, str, Any]]] = {
    "String": st.one_of(
        tagged("string", small_texts), timestamp_texts().map(lambda t: (t[0], "timestamp", t[1]))
    ),
    "Numeric": tagged("number", numbers),
    "Boolean": tagged("boolean", st.booleans()),
    "Timestamp": timestamp_texts().map(lambda t: (t[0], "timestamp", t[1])),
}


@settings(max_examples=400)
@given(family_ops, values, st.data())
def test_literal_comparisons_match_the_reference(
    family_op: tuple[str, str], a: Any, data: st.DataObject
) -> None:
    family, cmp_name = family_op
    b = data.draw(LITERALS[family])
    rule = {"Variable": "$.a", f"{family}{cmp_name}": b[0]}
    assert check(rule, {"a": a[0]}) is reference(family, cmp_name, a, b)


TYPE_REFERENCE = {
    "IsNull": lambda kind: kind == "null",
    "IsNumeric": lambda kind: kind == "number",
    "IsString": lambda kind: kind in ("string", "timestamp"),
    "IsBoolean": lambda kind: kind == "boolean",
    "IsTimestamp": lambda kind: kind == "timestamp",
    "IsPresent": lambda kind: True,
}


@given(st.sampled_from(sorted(TYPE_REFERENCE)), st.booleans(), values)
def test_type_tests_match_the_reference(op: str, expected: bool, a: Any) -> None:
    assert check({"Variable": "$.a", op: expected}, {"a": a[0]}) is (TYPE_REFERENCE[op](a[1]) == expected)


@given(timestamp_texts())
def test_timestamps_parse_to_the_instant_they_name(stamp: tuple[str, datetime]) -> None:
    text, moment = stamp
    parsed = parse_timestamp(text)
    assert parsed == moment
    assert parsed is not None and parsed.utcoffset() == moment.utcoffset()


@given(timestamp_texts(), timestamp_texts())
def test_timestamp_keys_order_like_instants(a: tuple[str, datetime], b: tuple[str, datetime]) -> None:
    ka, kb = timestamp_key(a[0]), timestamp_key(b[0])
    assert ka is not None and kb is not None
    assert (ka < kb) == (a[1] < b[1])
    assert (ka == kb) == (a[1] == b[1])


@given(timestamp_texts(), st.sampled_from([("T", "t"), ("T", " "), (":", ""), ("-", "/")]))
def test_mangled_timestamps_are_rejected(stamp: tuple[str, datetime], swap: tuple[str, str]) -> None:
    text = stamp[0]
    head, _, tail = text.partition(swap[0])
    assert parse_timestamp(head + swap[1] + tail) is None
    if text.endswith("Z"):
        assert parse_timestamp(text[:-1] + "z") is None
        assert parse_timestamp(text[:-1]) is None


# And / Or / Not against all / any / not

leaf_rules = st.integers(0, 5).map(lambda i: {"Variable": f"$.flags[{i}]", "BooleanEquals": True})
rule_trees = st.recursive(
    leaf_rules,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda rs: {"And": rs}),
        st.lists(children, min_size=1, max_size=3).map(lambda rs: {"Or": rs}),
        children.map(lambda r: {"Not": r}),
    ),
    max_leaves=12,
)


def evaluate_tree(rule: dict[str, Any], flags: list[bool]) -> bool:
    if "And" in rule:
        return all(evaluate_tree(r, flags) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate_tree(r, flags) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate_tree(rule["Not"], flags)
    return flags[int(rule["Variable"][len("$.flags[") : -1])]


@given(rule_trees, st.lists(st.booleans(), min_size=6, max_size=6))
def test_boolean_expressions_match_all_any_not(rule: dict[str, Any], flags: list[bool]) -> None:
    assert check({**rule, "Next": "N"}, {"flags": flags}) is evaluate_tree(rule, flags)


# StringMatches against a reference matcher

pattern_tokens = st.lists(
    st.one_of(
        st.just(("star", "")),
        st.tuples(st.just("lit"), st.text(alphabet="ab*\\.?\n", min_size=1, max_size=3)),
    ),
    max_size=6,
)


def pattern_text(tokens: list[tuple[str, str]]) -> str:
    out = []
    for kind, text in tokens:
        if kind == "star":
            out.append("*")
        else:
            out.append(text.replace("\\", "\\\\").replace("*", "\\*"))
    return "".join(out)


def reference_match(tokens: list[tuple[str, str]], value: str) -> bool:
    """Backtracking matcher over (literal | star) tokens."""
    if not tokens:
        return value == ""
    kind, text = tokens[0]
    if kind == "lit":
        return value.startswith(text) and reference_match(tokens[1:], value[len(text) :])
    return any(reference_match(tokens[1:], value[i:]) for i in range(len(value) + 1))


@st.composite
def pattern_and_value(draw: st.DrawFn) -> tuple[list[tuple[str, str]], str]:
    tokens = draw(pattern_tokens)
    if draw(st.booleans()):
        # a value built from the pattern, so that matches are common
        value = "".join(
            text if kind == "lit" else draw(st.text(alphabet="ab*\\", max_size=3)) for kind, text in tokens
        )
    else:
        value = draw(st.text(alphabet="ab*\\.?\n", max_size=8))
    return tokens, value


@settings(max_examples=300)
@given(pattern_and_value())
def test_string_matches_matches_the_reference(case: tuple[list[tuple[str, str]], str]) -> None:
    tokens, value = case
    rule = {"Variable": "$.v", "StringMatches": pattern_text(tokens)}
    assert check(rule, {"v": value}) is reference_match(tokens, value)
