"""Unit and property tests for ``aslrun.expressions.intrinsics`` (the 18 States.* functions).

Expected values marked "corpus" come from executions recorded against AWS
(../shared/conformance, LocalStack tests); "AWS-observed" ones from the AWS runs of
other projects quoted in the module docstring.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aslrun.errors import StatesError
from aslrun.expressions.access import Env
from aslrun.expressions.intrinsics import (
    FUNCTION_NAMES,
    INTRINSIC_ERROR,
    Intrinsic,
    IntrinsicSyntaxError,
    compile_intrinsic,
    is_intrinsic_call,
)


def run(text: str, data: Any = None, **env: Any) -> Any:
    return compile_intrinsic(text).evaluate(Env({} if data is None else data, **env))


def failure(text: str, data: Any = None, **env: Any) -> StatesError:
    with pytest.raises(StatesError) as info:
        run(text, data, **env)
    return info.value


def invalid_cause(text: str, function: str) -> str:
    return f"The function '{text}' had the following error: Invalid arguments in {function}"


def assert_invalid(text: str, function: str, data: Any = None) -> None:
    err = failure(text, data)
    assert err.error == "States.Runtime"
    assert err.cause == invalid_cause(text, function)


# ---------------------------------------------------------------- parsing


def test_function_names_are_the_18_of_the_spec() -> None:
    assert len(FUNCTION_NAMES) == 18
    assert "States.UUID" in FUNCTION_NAMES and "States.JsonMerge" in FUNCTION_NAMES


def test_intrinsic_error_name_is_states_runtime() -> None:
    assert INTRINSIC_ERROR == "States.Runtime"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Array()", True),
        ("  States.Format('{}', $.a)  ", True),
        ("States.Nope(1)", True),  # looks like a call; compile_intrinsic rejects it
        ("$.a", False),
        ("$$.Execution.Id", False),
        ("plain text", False),
        ("States.Array", False),
    ],
)
def test_is_intrinsic_call(text: str, expected: bool) -> None:
    assert is_intrinsic_call(text) is expected


def test_compiled_call_keeps_text_name_and_paths() -> None:
    fn = compile_intrinsic("States.Format('{}{}', $.a, States.ArrayLength($$.Execution.Input.b))")
    assert isinstance(fn, Intrinsic)
    assert fn.text == "States.Format('{}{}', $.a, States.ArrayLength($$.Execution.Input.b))"
    assert fn.name == "States.Format"
    assert [p.text for p in fn.paths] == ["$.a", "$$.Execution.Input.b"]


def test_literal_arguments_of_every_kind() -> None:
    assert run("States.Array( 1 , 'x' , true , false , null , -2.5e3, 0, -7, 1.25 )") == [
        1,
        "x",
        True,
        False,
        None,
        -2500.0,
        0,
        -7,
        1.25,
    ]
    assert type(run("States.Array(3)")[0]) is int
    assert type(run("States.Array(3.0)")[0]) is float


def test_string_escapes() -> None:
    text = r"States.Array('it\'s', 'a\{b\}c', 'back\\slash')"
    assert run(text) == ["it's", "a{b}c", "back\\slash"]


def test_newline_inside_a_string_literal_is_kept() -> None:
    # corpus test_escape_sequence: the JSON definition holds real newlines
    assert run("States.StringSplit('Hello\nWorld', '\n')") == ["Hello", "World"]


def test_paths_with_brackets_filters_and_commas() -> None:
    data = {"a,b": 1, "c": [{"d": "x,y"}, {"d": "z"}], "e": [5, 6]}
    assert run("States.Array($['a,b'], $.c[?(@.d == 'x,y')].d, $.e[1])", data) == [1, ["x,y"], 6]


def test_context_and_variable_paths() -> None:
    env = {"context": {"Execution": {"Input": {"n": 2}}}, "variables": {"myVar": {"k": [7, 8]}}}
    assert run("States.Array($$.Execution.Input.n, $myVar.k[1], $myVar)", {}, **env) == [2, 8, {"k": [7, 8]}]


def test_nested_calls() -> None:
    # corpus test_nested_calls_1 shape
    text = "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)"
    assert run(text, {}, context={"StateMachine": {"Name": "Machine-abc-1"}}) == "Machine"


def test_ten_nested_calls_are_allowed() -> None:
    text = "States.Array(" * 10 + "1" + ")" * 10
    value: Any = run(text)
    for _ in range(10):
        assert isinstance(value, list) and len(value) == 1
        value = value[0]
    assert value == 1


def test_eleven_nested_calls_are_rejected() -> None:
    text = "States.Array(" * 11 + "1" + ")" * 11
    with pytest.raises(IntrinsicSyntaxError, match="nested at most 10 deep"):
        compile_intrinsic(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("States.ArrayRange(1, 2)", "States.ArrayRange takes 3 arguments, got 2"),
        ("States.UUID(1)", "States.UUID takes no arguments, got 1"),
        ("States.Format()", "States.Format takes at least 1 argument, got 0"),
        ("States.MathRandom(1)", "States.MathRandom takes 2 or 3 arguments, got 1"),
        ("States.MathRandom(1, 2, 3, 4)", "States.MathRandom takes 2 or 3 arguments, got 4"),
        ("States.StringToJson($.a, $.b)", "States.StringToJson takes 1 argument, got 2"),
        ("States.JsonMerge($.a, $.b)", "States.JsonMerge takes 3 arguments, got 2"),
        ("States.Hash('x')", "States.Hash takes 2 arguments, got 1"),
    ],
)
def test_wrong_argument_count_names_the_function(text: str, message: str) -> None:
    with pytest.raises(IntrinsicSyntaxError, match=re.escape(message)) as info:
        compile_intrinsic(text)
    assert info.value.reason == message
    assert info.value.text == text
    assert info.value.position == 0


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("States.Formt('x')", r"'States.Formt' is not an intrinsic function; did you mean 'States.Format'\?"),
        ("States.Nothing(1)", r"'States.Nothing' is not an intrinsic function"),
        ("Format('x')", r"'Format' is not an intrinsic function"),
        ("States.Array('abc", r"unterminated string"),
        ("States.Array('a\\nb')", r"a backslash in an intrinsic string must escape one of"),
        ("States.Array(1) trailing", r"unexpected text after the closing '\)'"),
        ("States.Array(1", r"missing '\)' at the end of the call"),
        ("States.Array(1.)", r"malformed number"),
        ("States.Array(.5)", r"expected an argument but found '\.'"),
        ("States.Array(01)", r"malformed number"),
        ("States.Array(1 2)", r"expected ',' or '\)' but found '2'"),
        ("States.Array([1,2])", r"expected an argument but found '\['"),
        ("States.Array($.a[)", r"invalid path argument"),
        ("States.Array(1,)", r"expected an argument but found '\)'"),
        ("States.Array", r"expected '\(' after States.Array"),
    ],
)
def test_syntax_errors(text: str, pattern: str) -> None:
    with pytest.raises(IntrinsicSyntaxError, match=pattern):
        compile_intrinsic(text)


def test_syntax_error_reports_position() -> None:
    with pytest.raises(IntrinsicSyntaxError) as info:
        compile_intrinsic("States.Array(1, States.Nope())")
    assert info.value.position == 16
    assert "at position 16" in str(info.value)


# ---------------------------------------------------------------- failures


def test_missing_path_fails_with_states_runtime_naming_the_whole_call() -> None:
    text = "States.Format('{}', States.Format('{}', $.nope))"
    err = failure(text, {"other": 1})
    assert err.error == "States.Runtime"
    assert err.cause == (
        f"The function '{text}' had the following error: The JsonPath argument for the field "
        "'$.nope' could not be found in the input '{\"other\":1}'"
    )


def test_index_past_the_end_in_a_path_argument_is_missing() -> None:
    err = failure("States.Format('{}', $.items[5])", {"items": [1, 2]})
    assert err.cause is not None and err.cause.endswith(
        "The JsonPath argument for the field '$.items[5]' could not be found in the input '{\"items\":[1,2]}'"
    )


def test_present_null_path_is_not_missing() -> None:
    assert run("States.Format('{}', $.nul)", {"nul": None}) == "null"


def test_undefined_variable_argument() -> None:
    err = failure("States.Array($nope)")
    assert err.cause == (
        "The function 'States.Array($nope)' had the following error: The JsonPath argument for "
        "the field '$nope' could not be found in the variables."
    )


# ---------------------------------------------------------------- States.Format


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "Formatting argument ."),
        (" ", "Formatting argument  ."),
        (None, "Formatting argument null."),
        (1, "Formatting argument 1."),
        (1.1, "Formatting argument 1.1."),
        (True, "Formatting argument true."),
        ('{"Arg1": 1, "Arg2": []}', 'Formatting argument {"Arg1": 1, "Arg2": []}.'),
        ({"Arg1": 1, "Arg2": []}, "Formatting argument {Arg1=1, Arg2=[]}."),
        (["a", 1, None, [2.5]], "Formatting argument [a, 1, null, [2.5]]."),
        (1e20, "Formatting argument 1.0E20."),
    ],
)
def test_format_renders_values_like_aws(value: Any, expected: str) -> None:
    # corpus test_format_1/test_format_2; objects print as Java maps (LocalStack snapshot)
    assert run("States.Format('Formatting argument {}.', $.v)", {"v": value}) == expected


def test_format_template_from_a_path() -> None:
    assert run("States.Format($.t, $.n)", {"t": "It's {}!", "n": "Pikachu"}) == "It's Pikachu!"


def test_format_escaped_braces_are_not_placeholders() -> None:
    assert run(r"States.Format('\{\} {} \'q\'', 5)") == "{} 5 'q'"


def test_format_without_placeholders() -> None:
    assert run("States.Format('no placeholders')") == "no placeholders"


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("States.Format('{} {}', $.a)", {"a": "x"}),
        ("States.Format('{}', $.a, $.a)", {"a": "x"}),
        ("States.Format('Hello {', $.a)", {"a": "x"}),
        ("States.Format('}')", None),
        ("States.Format('Hello {{}}', $.a)", {"a": "x"}),
        ("States.Format($.t, $.a)", {"t": 123, "a": "x"}),
        ("States.Format($.t, $.a)", {"t": "{} {}", "a": "x"}),
        ("States.Format($.t)", {"t": "a } b"}),
        ("States.Format(12)", None),
    ],
)
def test_format_invalid_arguments_fail_when_run(text: str, data: Any) -> None:
    compile_intrinsic(text)  # AWS accepts these definitions and fails the execution
    assert_invalid(text, "States.Format", data)


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (1.1, "1.1"),
        (True, "true"),
        ("HelloWorld", '"HelloWorld"'),
        ([1, 2, "HelloWorld"], '[1,2,"HelloWorld"]'),
        ({"name": "Foo", "year": 2020}, '{"name":"Foo","year":2020}'),
        ({"ü": "é\u001f"}, '{"ü":"é\\u001F"}'),
        ([1.0, 1e20, 12345678.9, 1e-5, -0.0], "[1.0,1.0E20,1.23456789E7,1.0E-5,-0.0]"),
    ],
)
def test_json_to_string(value: Any, expected: str) -> None:
    assert run("States.JsonToString($.v)", {"v": value}) == expected


def test_json_to_string_of_a_literal() -> None:
    assert run("States.JsonToString('x')") == '"x"'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("null", None),
        ("1", 1),
        ("1.1", 1.1),
        ("true", True),
        ('"HelloWorld"', "HelloWorld"),
        ('{"Arg1": 1, "Arg2": []}', {"Arg1": 1, "Arg2": []}),
        (' {"a":1} ', {"a": 1}),
        ("", None),
        ("   ", None),
    ],
)
def test_string_to_json(text: str, expected: Any) -> None:
    assert run("States.StringToJson($.s)", {"s": text}) == expected


@pytest.mark.parametrize(
    "value", ["{bad json}", '{"a":1', "undefined", "NaN", "Infinity", 123, {"a": 1}, [1], None]
)
def test_string_to_json_rejects(value: Any) -> None:
    assert_invalid("States.StringToJson($.s)", "States.StringToJson", {"s": value})


def test_json_merge_is_shallow_and_later_wins() -> None:
    data = {"a": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "b": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}}
    result = run("States.JsonMerge($.a, $.b, false)", data)
    assert result == {"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4}  # corpus test_json_merge
    assert data["a"] == {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}  # inputs untouched


def test_json_merge_accepts_a_non_boolean_shallow_flag() -> None:
    assert run("States.JsonMerge($.a, $.b, 'false')", {"a": {"x": 1}, "b": {"y": 2}}) == {"x": 1, "y": 2}


@pytest.mark.parametrize(
    ("data", "deep"),
    [({"a": {}, "b": {}}, "true"), ({"a": None, "b": {}}, "false"), ({"a": {}, "b": [1]}, "false")],
)
def test_json_merge_rejects(data: Any, deep: str) -> None:
    assert_invalid(f"States.JsonMerge($.a, $.b, {deep})", "States.JsonMerge", data)


# ---------------------------------------------------------------- arrays


def test_array() -> None:
    assert run("States.Array()") == []
    assert run("States.Array($.f, $.s)", {"f": None, "s": None}) == [None, None]  # corpus test_array_2
    assert run("States.Array($.f, $.f)", {"f": {"Arg1": 1, "Arg2": []}}) == [{"Arg1": 1, "Arg2": []}] * 2


@pytest.mark.parametrize(
    ("arr", "size", "expected"),
    [
        ([], 1, []),
        ([0, 1], 1, [[0], [1]]),
        ([0, 1, 2], 2, [[0, 1], [2]]),
        ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
        ([0], 4, [[0]]),
        ([1, 2, 3, 4, 5], 2.6, [[1, 2], [3, 4], [5]]),  # AWS cuts 2.6 to 2
    ],
)
def test_array_partition(arr: list[Any], size: Any, expected: list[Any]) -> None:
    assert run("States.ArrayPartition($.a, $.n)", {"a": arr, "n": size}) == expected


@pytest.mark.parametrize(
    ("arr", "size"), [([1], 0), ([1], -1), ([1], 0.6), ([1], "2"), ([1], None), ("x", 2)]
)
def test_array_partition_rejects(arr: Any, size: Any) -> None:
    assert_invalid("States.ArrayPartition($.a, $.n)", "States.ArrayPartition", {"a": arr, "n": size})


@pytest.mark.parametrize(
    ("arr", "value", "expected"),
    [
        ([], None, False),
        ([], [], False),
        ([], 1, False),
        ([[1, 2, 3], 2], None, False),
        ([[1, 2, 3], 2], [1, 2, 3], True),
        ([{"1": 2, "2": []}], [], False),
        ([{"1": 2, "2": []}], {"1": 2, "2": []}, True),
        ([True, False], False, True),
        # AWS compares Java string forms (AWS-observed):
        (["true", "false"], True, True),
        (["9007199254740991"], 9007199254740991, True),
        ([{"a": 1, "b": 2}], {"b": 2, "a": 1}, False),
        ([0, 1], False, False),
    ],
)
def test_array_contains(arr: list[Any], value: Any, expected: bool) -> None:
    assert run("States.ArrayContains($.a, $.v)", {"a": arr, "v": value}) is expected


def test_array_contains_rejects_a_non_array() -> None:
    assert_invalid("States.ArrayContains('not-array', 'x')", "States.ArrayContains")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("1, 9, 2", [1, 3, 5, 7, 9]),
        ("0, 10, 3", [0, 3, 6, 9]),
        ("1, 9, 9", [1]),
        ("3, 3, -1", [3]),
        ("5, 1, -2", [5, 3, 1]),
        ("5, 1, 1", []),
        ("1, 5, -1", []),
        ("1.6, 1.4, 1", [1]),  # AWS truncates
        ("-2, 2, 2", [-2, 0, 2]),
    ],
)
def test_array_range(args: str, expected: list[int]) -> None:
    assert run(f"States.ArrayRange({args})") == expected


def test_array_range_allows_exactly_1000_items() -> None:
    assert run("States.ArrayRange(1, 1000, 1)") == list(range(1, 1001))
    assert run("States.ArrayRange(1000, 1, -1)") == list(range(1000, 0, -1))


@pytest.mark.parametrize(
    "args", ["1, 1001, 1", "1001, 1, -1", "1, 10, 0", "1, 10, 0.49", "'a', 5, 1", "1, 5, null", "1, 5, true"]
)
def test_array_range_rejects(args: str) -> None:
    assert_invalid(f"States.ArrayRange({args})", "States.ArrayRange")


@pytest.mark.parametrize(
    ("arr", "index", "expected"),
    [([1, 2, 3, 4, 5, 6, 7, 8, 9], 5, 6), ([10, 20, 30], 1.2, 20), ([None], 0, None), ([], 999, None)],
)
def test_array_get_item(arr: list[Any], index: Any, expected: Any) -> None:
    assert run("States.ArrayGetItem($.a, $.i)", {"a": arr, "i": index}) == expected


@pytest.mark.parametrize(("arr", "index"), [([10, 20, 30], 3), ([10, 20, 30], -1), ([1], "0"), ("ab", 0)])
def test_array_get_item_rejects(arr: Any, index: Any) -> None:
    assert_invalid("States.ArrayGetItem($.a, $.i)", "States.ArrayGetItem", {"a": arr, "i": index})


def test_array_length() -> None:
    assert run("States.ArrayLength($.a)", {"a": [1, 2, 3, 4, 5, 6, 7, 8, 9]}) == 9
    assert_invalid("States.ArrayLength($.a)", "States.ArrayLength", {"a": {"x": 1}})


@pytest.mark.parametrize(
    ("arr", "expected"),
    [
        ([1, 2, 2, 3, 3, 4], [1, 2, 3, 4]),  # corpus
        (["a", "b", "a", "c", "b"], ["a", "b", "c"]),
        ([1, "1", 1, "01"], [1, "1", "01"]),
        ([{"a": 1, "b": 2}, {"b": 2, "a": 1}], [{"a": 1, "b": 2}]),
        # AWS returns Java HashSet order (AWS-observed):
        ([True, False, True, False], [False, True]),
        ([[1, 2], [1, 2], [2, 1]], [[2, 1], [1, 2]]),
    ],
)
def test_array_unique(arr: list[Any], expected: list[Any]) -> None:
    result = run("States.ArrayUnique($.a)", {"a": arr})
    assert result == expected
    assert json.dumps(result) == json.dumps(expected)


def test_array_unique_keeps_1_and_1_point_0_apart() -> None:
    result = run("States.ArrayUnique($.a)", {"a": [1, 1.0, 1]})
    assert sorted(map(repr, result)) == ["1", "1.0"]


def test_array_unique_rejects_a_non_array() -> None:
    assert_invalid("States.ArrayUnique('not-array')", "States.ArrayUnique")


# ---------------------------------------------------------------- encoding and hashing


def test_base64() -> None:
    assert run("States.Base64Encode($.s)", {"s": "Data to encode"}) == "RGF0YSB0byBlbmNvZGU="
    assert run("States.Base64Decode($.s)", {"s": "RGF0YSB0byBlbmNvZGU="}) == "Data to encode"  # corpus
    assert run("States.Base64Decode($.s)", {"s": ""}) == ""  # corpus
    assert run("States.Base64Encode('🚀')") == "8J+agA=="


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [(" YWJjZA== ", "abcd"), ("YWJj", "abc"), ("YWI", "ab"), ("ab==cd", "i"), ("4pyT", "✓")],
)
def test_base64_decode_is_lenient_like_aws(encoded: str, expected: str) -> None:
    assert run("States.Base64Decode($.s)", {"s": encoded}) == expected


def test_base64_limits_count_utf16_units() -> None:
    assert len(run("States.Base64Encode($.s)", {"s": "a" * 10_000})) == 13_336
    assert_invalid("States.Base64Encode($.s)", "States.Base64Encode", {"s": "a" * 10_001})
    assert_invalid("States.Base64Encode($.s)", "States.Base64Encode", {"s": "🚀" * 5_001})
    assert_invalid("States.Base64Decode($.s)", "States.Base64Decode", {"s": "A" * 10_001})


@pytest.mark.parametrize("value", [123, {"a": 1}, ["x"], None])
def test_base64_rejects_non_strings(value: Any) -> None:
    assert_invalid("States.Base64Encode($.s)", "States.Base64Encode", {"s": value})
    assert_invalid("States.Base64Decode($.s)", "States.Base64Decode", {"s": value})


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [
        ("MD5", "812f45842bc6d66ee14572ce20db8e86"),  # corpus
        ("SHA-1", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        (
            "SHA-384",  # corpus
            "d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562",
        ),
    ],
)
def test_hash(algorithm: str, digest: str) -> None:
    assert run("States.Hash($.d, $.a)", {"d": "input data", "a": algorithm}) == digest


def test_hash_of_a_number_hashes_its_text() -> None:
    assert run("States.Hash(123, 'MD5')") == hashlib.md5(b"123").hexdigest()


@pytest.mark.parametrize(
    ("data", "algorithm"),
    [
        ("x", "sha-256"),
        ("x", "SHA256"),
        ("x", "MD-5"),
        ("x", ""),
        ("x", 123),
        (None, "MD5"),
        ("a" * 10_001, "MD5"),
    ],
)
def test_hash_rejects(data: Any, algorithm: Any) -> None:
    assert_invalid("States.Hash($.d, $.a)", "States.Hash", {"d": data, "a": algorithm})


# ---------------------------------------------------------------- math


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (-9, 3, -6),
        (1.49, 1.5, 3),
        (-1.5, 0, -1),
        (-1.51, 0, -2),
        (0.5, 0, 1),
        (1.5, 0, 2),
        (2.5, 0, 3),
        (-2.5, 0, -2),
        (-3.5, 0, -3),
        (-1.49, -1.5, -2),
        (1.49, -1.49, 0),
        (0.49999999999999994, 0, 0),
        (2147483646, 1, 2147483647),
    ],
)
def test_math_add_rounds_like_java(a: Any, b: Any, expected: int) -> None:
    # the rounding rows are corpus test_math_add
    result = run("States.MathAdd($.a, $.b)", {"a": a, "b": b})
    assert result == expected and type(result) is int


@pytest.mark.parametrize(
    ("a", "b"),
    [(2147483647, 1), (-2147483648, -1), (3000000000, 1), ("a", 1), (None, 1), (True, 1), ("2", 1)],
)
def test_math_add_rejects(a: Any, b: Any) -> None:
    assert_invalid("States.MathAdd($.a, $.b)", "States.MathAdd", {"a": a, "b": b})


def test_math_random_uses_the_environment_rng() -> None:
    first = [run("States.MathRandom(1, 1000)", rng=random.Random(5)) for _ in range(3)]
    again = [run("States.MathRandom(1, 1000)", rng=random.Random(5)) for _ in range(3)]
    assert first == again


def test_math_random_end_is_exclusive_and_bounds_are_truncated() -> None:
    rng = random.Random(11)
    values = {run("States.MathRandom(1.6, 5.4)", rng=rng) for _ in range(300)}
    assert values == {1, 2, 3, 4}


def test_math_random_seeded_matches_java_util_random() -> None:
    # new java.util.Random(42).nextInt(10) == 0, so AWS gives -5 (AWS-observed)
    assert run("States.MathRandom(-5, 5, 42)") == -5
    assert run("States.MathRandom(0, 100, 0)") == 60  # new Random(0).nextInt(100) == 60
    assert run("States.MathRandom(0, 16, 1)") == 11  # power-of-two bound path
    seeded = "States.MathRandom($.a, $.b, $.c)"
    data = {"a": 0, "b": 999, "c": 3}
    assert run(seeded, data, rng=random.Random(1)) == run(seeded, data, rng=random.Random(2))


@pytest.mark.parametrize(
    "args", ["1, 1", "10, 5", "1.4, 1.6", "'a', 10", "1, 'b'", "1, 10, 'seed'", "1, 10, null", "null, 10"]
)
def test_math_random_rejects(args: str) -> None:
    assert_invalid(f"States.MathRandom({args})", "States.MathRandom")


def test_unseeded_functions_leave_the_global_random_alone() -> None:
    random.seed(99)
    expected = random.random()
    random.seed(99)
    run("States.UUID()", rng=random.Random(1))
    run("States.MathRandom(1, 10)", rng=random.Random(1))
    assert random.random() == expected


# ---------------------------------------------------------------- strings and UUID


@pytest.mark.parametrize(
    ("s", "delimiters", "expected"),
    [
        (" ", ",", [" "]),
        (" , ", ",", [" ", " "]),
        (", , ,", ",", [" ", " "]),
        (",,,,", ",", []),
        ("1,2,3,4,5", ",", ["1", "2", "3", "4", "5"]),
        ("split on T and \nnew line", "T\n", ["split on ", " and ", "new line"]),
        ("This.is+a,test=string", ".+,=", ["This", "is", "a", "test", "string"]),
        ("1a2b3ab4", "ab", ["1", "2", "3", "4"]),
        ("", ",", []),
        ("abc", "", ["abc"]),
    ],
)
def test_string_split(s: str, delimiters: str, expected: list[str]) -> None:
    # the first six rows are corpus test_string_split
    assert run("States.StringSplit($.s, $.d)", {"s": s, "d": delimiters}) == expected


@pytest.mark.parametrize(
    ("s", "d"), [(123, ","), ("a,b", 1), (None, ","), ("a,b", None), (False, ","), ("a", [","])]
)
def test_string_split_rejects(s: Any, d: Any) -> None:
    assert_invalid("States.StringSplit($.s, $.d)", "States.StringSplit", {"s": s, "d": d})


def test_uuid_is_a_random_v4_from_the_environment_rng() -> None:
    a = run("States.UUID()", rng=random.Random(3))
    b = run("States.UUID()", rng=random.Random(3))
    c = run("States.UUID()", rng=random.Random(4))
    assert a == b != c
    parsed = uuid.UUID(a)
    assert parsed.version == 4 and str(parsed) == a


# ---------------------------------------------------------------- properties

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=20,
)


@given(st.text(max_size=5_000))
def test_base64_round_trip(text: str) -> None:
    encoded = run("States.Base64Encode($.s)", {"s": text})
    assert encoded == base64.b64encode(text.encode("utf-8")).decode("ascii")
    assert run("States.Base64Decode($.s)", {"s": encoded}) == text


@given(json_values)
def test_string_to_json_inverts_json_to_string(value: Any) -> None:
    assert run("States.StringToJson(States.JsonToString($.v))", {"v": value}) == value


@given(st.lists(st.integers(), max_size=60), st.integers(min_value=1, max_value=20))
def test_array_partition_chunks(items: list[int], size: int) -> None:
    chunks = run("States.ArrayPartition($.a, $.n)", {"a": items, "n": size})
    assert [x for chunk in chunks for x in chunk] == items
    assert all(len(chunk) == size for chunk in chunks[:-1])
    assert all(1 <= len(chunk) <= size for chunk in chunks)


@given(
    st.integers(min_value=-600, max_value=600),
    st.integers(min_value=-600, max_value=600),
    st.integers(min_value=-60, max_value=60).filter(bool),
)
def test_array_range_matches_a_reference(start: int, end: int, step: int) -> None:
    expected = []
    x = start
    while (step > 0 and x <= end) or (step < 0 and x >= end):
        expected.append(x)
        x += step
    text = f"States.ArrayRange({start}, {end}, {step})"
    if len(expected) > 1000:
        assert_invalid(text, "States.ArrayRange")
    else:
        assert run(text) == expected


@given(st.lists(st.integers(min_value=-50, max_value=50) | st.text(max_size=3) | st.booleans(), max_size=40))
def test_array_unique_keeps_each_first_occurrence_once(items: list[Any]) -> None:
    result = run("States.ArrayUnique($.a)", {"a": items})
    keys = [json.dumps(x) for x in result]
    assert len(keys) == len(set(keys))
    assert set(keys) == {json.dumps(x) for x in items}


@given(st.lists(st.integers(min_value=0, max_value=15), max_size=11))
def test_array_unique_of_small_ints_is_ascending(items: list[int]) -> None:
    # Java's HashSet puts 0..15 in buckets 0..15 of its 16-slot table
    assert run("States.ArrayUnique($.a)", {"a": items}) == sorted(set(items))


@given(st.text(max_size=3_000), st.sampled_from(["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"]))
def test_hash_matches_hashlib(text: str, algorithm: str) -> None:
    name = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
    expected = hashlib.new(name[algorithm], text.encode("utf-8")).hexdigest()
    assert run("States.Hash($.d, $.a)", {"d": text, "a": algorithm}) == expected
