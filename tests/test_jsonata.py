"""Unit and property tests for ``aslrun.expressions.jsonata`` (JSONata mode).

Expected values marked "corpus" come from executions recorded against AWS
(../shared/conformance, LocalStack tests); "jsonata-js" ones were checked against
jsonata 2.0.6 under node; "floci" ones are AWS measurements quoted by floci-io/floci.
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aslrun.errors import StatesError
from aslrun.expressions.jsonata import (
    FUNCTION,
    UNDEFINED,
    Expression,
    Field,
    JsonataError,
    JsonataSyntaxError,
    Scope,
    check_syntax,
    compile_expression,
    compile_field,
    is_jsonata,
    type_name,
    unexpected_type,
)


def scope(data: Any = None, variables: dict[str, Any] | None = None, **kw: Any) -> Scope:
    states = {"input": {} if data is None else data, "context": {"State": {"Name": "S"}}}
    return Scope(states, variables or {}, kw.pop("rng", random.Random(0)), kw.pop("now", 1_700_000_000.0))


def ev(text: str, data: Any = None, **kw: Any) -> Any:
    return compile_expression(text).evaluate(scope(data, **kw))


def error(text: str, data: Any = None, **kw: Any) -> JsonataError:
    with pytest.raises(JsonataError) as info:
        ev(text, data, **kw)
    return info.value


def field_error(value: Any, data: Any = None, name: str = "Output") -> StatesError:
    with pytest.raises(StatesError) as info:
        compile_field(value).evaluate(scope(data), name)
    return info.value


# ---------------------------------------------------------------- recognising and parsing


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% 1 %}", True),
        ("{%1%}", True),
        ("{% $states.input %}", True),
        (" {% 1 %}", False),  # nothing may precede {% (corpus constant_not_jsonata)
        ("{% 1 %} ", False),
        ("$states.input", False),
        ("{%%}", True),
        ("{%}", False),
        (1, False),
        (None, False),
    ],
)
def test_is_jsonata(value: Any, expected: bool) -> None:
    assert is_jsonata(value) is expected


def test_check_syntax_accepts_valid_and_explains_invalid() -> None:
    assert check_syntax("$states.input.a[0]") is None
    assert check_syntax(" $x := 1; ") is not None  # ';' outside a block (jsonata-js: S0201)
    assert check_syntax("a[1,2)") == 'S0202: Expected "]", got ","'  # jsonata-js
    assert check_syntax("[1,2") == 'S0203: Expected "]" before end of expression'
    assert check_syntax('"abc') == "S0101: String literal must be terminated by a matching quote"
    assert check_syntax("") == "S0207: Unexpected end of expression"


def test_syntax_error_carries_reason_text_and_position() -> None:
    with pytest.raises(JsonataSyntaxError) as info:
        compile_expression(" 1 + ")
    err = info.value
    assert err.reason == "S0207: Unexpected end of expression"  # jsonata-js
    assert err.text == "1 +"
    assert isinstance(err, ValueError)


def test_expression_text_is_stripped_like_aws_quotes_it() -> None:
    assert compile_expression("  $states.input.a  ").text == "$states.input.a"
    assert repr(compile_expression("1")) == "Expression('1')"


# ---------------------------------------------------------------- AWS's added functions


@pytest.mark.parametrize(
    ("arr", "size", "expected"),
    [  # corpus test_array_partition
        ([0], 1, [[0]]),
        ([0], 5, [[0]]),
        ([0, 1, 2], 4, [[0, 1, 2]]),
        ([0, 1, 2, 3], 1, [[0], [1], [2], [3]]),
        ([0, 1, 2, 3], 2, [[0, 1], [2, 3]]),
        ([0, 1, 2, 3], 3, [[0, 1, 2], [3]]),
        ([0, 1, 2, 3], 5, [[0, 1, 2, 3]]),
    ],
)
def test_partition_corpus(arr: list[int], size: int, expected: Any) -> None:
    assert ev("$partition($states.input.a, $states.input.n)", {"a": arr, "n": size}) == expected


def test_partition_edges() -> None:
    assert ev("$partition([1,2,3], 2.9)") == [[1, 2], [3]]  # cut toward zero (floci)
    assert ev("$partition([1,2,3])") == [[1, 2, 3]]
    assert ev("$partition([1,2,3], 0)") is UNDEFINED
    assert ev("$partition([], 2)") is UNDEFINED
    assert str(error("$partition([1,2,3], -1)")) == "D3137: Second argument must be zero or greater"
    assert str(error('$partition("abc", 2)')) == (
        'T0410: Argument 1 of function "partition" does not match function signature'
    )


def test_range_corpus_and_collapse() -> None:
    assert ev("$range(0, 9, 3)") == [0, 3, 6, 9]  # corpus
    assert ev("$range(1, 9, 9)") == 1  # corpus: a one-element sequence is its item
    assert ev("$range(0, 0, 1)") == 0


def test_range_negative_step_counts_down() -> None:
    assert ev("$range(10, 0, -3)") == [10, 7, 4, 1]
    assert ev("$range(3, 1, -1)") == [3, 2, 1]


def test_range_undefined_and_errors() -> None:
    assert ev("$range(10, 0, 1)") is UNDEFINED  # the step points away from the end
    assert ev("$range(0, 10, 0)") is UNDEFINED
    assert ev("$range(0, 3)") is UNDEFINED
    assert ev("$range(-1.7, 2, 1)") == [-1, 0, 1, 2]
    assert str(error('$range("a", 2, 1)')) == (
        'T0410: Argument 1 of function "range" does not match function signature'
    )
    assert error("$range(0, 1000000, 1)").code == "D3137"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_hash_algorithms(algorithm: str) -> None:
    expected = hashlib.new(algorithm.replace("-", "").lower(), b"input data").hexdigest()
    assert ev(f'$hash("input data", "{algorithm}")') == expected


def test_hash_like_states_hash() -> None:
    assert ev('$hash("input data", "SHA-1")') == "aaff4a450a104cd177d28d18d74485e8cae074b7"
    assert ev('$hash("x")') is UNDEFINED
    assert str(error('$hash("x", "sha-1")')) == (
        "D3137: Hash algorithm 'sha-1' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"
    )
    assert ev('$hash(1, "MD5")') == hashlib.md5(b"1").hexdigest()


def test_random_seeded_is_java_random_and_repeatable() -> None:
    assert ev("$random(42)") == 0.7275636800328681  # java.util.Random(42).nextDouble() (floci)
    assert ev("$random(7)") == ev("$random(7)") == ev("$random(7.9)")
    assert ev("$random(1)") != ev("$random(2)")


def test_random_unseeded_comes_from_the_scope_rng() -> None:
    first = ev("$random()", rng=random.Random(5))
    assert first == random.Random(5).random()
    assert 0 <= first < 1
    assert ev("[$random(), $random()]", rng=random.Random(5))[1] != first


def test_uuid_is_v4_from_the_scope_rng() -> None:
    value = ev("$uuid()", rng=random.Random(3))
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)
    assert value == str(uuid.UUID(int=random.Random(3).getrandbits(128), version=4))
    assert ev("$uuid()", rng=random.Random(4)) != value


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", 1), ('"HelloWorld"', "HelloWorld"), ("-0", 0), ("1.1", 1.1), ("null", None)],  # corpus
)
def test_parse_corpus(text: str, expected: Any) -> None:
    result = ev("$parse($states.input.s)", {"s": text})
    assert result == expected and type(result) is type(expected)


def test_parse_values_and_errors() -> None:
    assert ev('$parse("{\\"a\\": [1, null, 1.0]}")') == {"a": [1, None, 1]}
    assert ev('$parse("[1,2]")[1]') == 2
    for bad in ['"[1,2"', '""', '"1 2"', '"NaN"', '"{\\"a\\":1,\\"a\\":2}"']:
        assert str(error(f"$parse({bad})")) == "D3137: Invalid JSON"
    assert (
        str(error("$parse(5)")) == 'T0410: Argument 1 of function "parse" does not match function signature'
    )


def test_eval_is_removed() -> None:
    err = error('$eval("1 + 1")')
    assert (err.code, err.message) == ("T1006", "Attempted to invoke a non-function")


def test_random_seeded_does_not_exist_corpus_cause() -> None:
    err = field_error(
        {"FunctionResult": "{% $randomSeeded($states.input.FunctionInput.fst) %}"}, {"FunctionInput": "fst"}
    )
    assert err.error == "States.QueryEvaluationError"
    assert err.evaluation and err.location == "Output/FunctionResult"
    assert err.cause == (  # corpus test_math_random_seeded, without the state prefix
        "The JSONata expression '$randomSeeded($states.input.FunctionInput.fst)' specified for the "
        "field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function"
    )


# ---------------------------------------------------------------- undefined, null and fields


def test_undefined_whole_field() -> None:
    err = field_error("{% $doesNotExist %}")
    assert err.cause == (  # corpus test_undefined_reference BASE_UNDEFINED_OUTPUT
        "The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined)."
    )
    assert err.location == "Output"


def test_undefined_nested_fields_fail_with_their_path() -> None:
    assert field_error({"result": "{% $doesNotExist %}"}).cause == (  # corpus BASE_UNDEFINED_MULTIPLE_STATES
        "The JSONata expression '$doesNotExist' specified for the field 'Output/result' returned nothing (undefined)."
    )
    err = field_error({"a": {"b": [1, "{% $states.input.absent %}"]}}, name="Arguments")
    assert err.location == "Arguments/a/b[1]"
    assert "'Arguments/a/b[1]' returned nothing" in err.cause


def test_undefined_in_a_jsonata_object_is_omitted_and_null_is_kept() -> None:
    assert ev('{"a": $nothing, "b": 1}') == {"b": 1}
    assert ev('{"v": $states.input.bar}', {"bar": None}) == {"v": None}
    assert compile_field({"v": "{% $states.input.bar %}"}).evaluate(scope({"bar": None}), "Output") == {
        "v": None
    }
    assert ev("$states.input.bar", {"bar": None}) is None
    assert ev("$states.input.arr[1]", {"arr": [1, None]}) is None
    assert ev("$count($states.input.arr[$type($) = 'null'])", {"arr": [1, None, None]}) == 2
    assert ev("$count(null)") == 1  # jsonata-js (AWS answers 1, floci)


def test_field_literals_and_constant_flag() -> None:
    literal = {"a": [1, {"b": None}], "c": " {% x %} ", "d": "$states.input"}
    f = compile_field(literal)
    assert isinstance(f, Field) and f.constant
    out = f.evaluate(scope(), "Output")
    assert out == literal and out is not literal and out["a"] is not literal["a"]
    g = compile_field([0, "{% $states.input.x %}", {"k": "{% 1 + 1 %}"}])
    assert not g.constant
    assert g.evaluate(scope({"x": "y"}), "Output") == [0, "y", {"k": 2}]
    assert compile_field(None).evaluate(scope(), "Output") is None


def test_field_syntax_error_at_compile_time() -> None:
    with pytest.raises(JsonataSyntaxError):
        compile_field({"a": ["{% [1, 2 %}"]})


def test_field_evaluation_error_cause() -> None:
    err = field_error({"x": "{% $states.input.s + 1 %}"}, {"s": "a"})
    assert err.cause == (
        "The JSONata expression '$states.input.s + 1' specified for the field 'Output/x' threw an error "
        'during evaluation. T2001: The left side of the "+" operator must evaluate to a number'
    )


def test_function_result_is_unsupported() -> None:
    assert ev("function($x){$x}") is FUNCTION
    assert type_name(FUNCTION) == "function"
    err = field_error("{% $fn := function($x){$x} %}", name="Items")
    assert err.cause == (  # corpus test_map_state_items_eval_jsonata_fail
        "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an "
        "unsupported result type."
    )


def test_unexpected_type_wording() -> None:
    err = unexpected_type(compile_expression("$ItemsVar"), "Items", "array", {"foo": "bar"})
    assert err.cause == (  # corpus test_map_state_items_eval_jsonata_variable_sampling
        "The JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected result "
        "type. Expected 'array', but was 'object' for value: {\"foo\":\"bar\"}"
    )
    assert unexpected_type(compile_expression("true"), "Items", "array", True).cause.endswith(
        "Expected 'array', but was 'boolean' for value: true"
    )


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ([], "array"),
        ({}, "object"),
        ("", "string"),
        (1, "number"),
        (1.5, "number"),
        (True, "boolean"),
        (None, "null"),
    ],
)
def test_type_name(value: Any, name: str) -> None:
    assert type_name(value) == name


# ---------------------------------------------------------------- errors as jsonata-js words them


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$foo()", "T1006: Attempted to invoke a non-function"),
        ('"a" + 1', 'T2001: The left side of the "+" operator must evaluate to a number'),
        ('1 - "a"', 'T2002: The right side of the "-" operator must evaluate to a number'),
        ('1 < "a"', 'T2009: The values 1 and "a" either side of operator "<" must be of the same data type'),
        ('$number("abc")', 'D3030: Unable to cast value to a number: "abc"'),
        ('$number(" 12 ")', 'D3030: Unable to cast value to a number: " 12 "'),
        ('$sum("a")', 'T0412: Argument 1 of function "sum" must be an array of "numbers"'),
        (
            '$substring("a", "b")',
            'T0410: Argument 2 of function "substring" does not match function signature',
        ),
        ('{"a": 1, "a": 2}', 'D1009: Multiple key definitions evaluate to same key: "a"'),
        ("$sqrt(-1)", "D3060: The sqrt function cannot be applied to a negative number: -1"),
        (
            '$toMillis("garbage")',
            'D3110: The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given "garbage"',
        ),
        ('$decodeUrlComponent("%E4")', 'D3140: Malformed URL passed to $decodeUrlComponent(): "%E4"'),
        (
            '$sort([1, "a"])',
            "D3070: The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
        ),
        ('$replace("abc", /x*/, "-")', "D1004: Regular expression matches zero length string"),
        ('$error("boom")', "D3137: boom"),
        ("$string(1/0)", "D3001: Attempting to invoke string function on Infinity or NaN"),
    ],
)
def test_error_messages_match_jsonata_js(text: str, expected: str) -> None:
    assert str(error(text)) == expected


def test_error_has_code_and_message() -> None:
    err = error("$nope(1)")
    assert err.code == "T1006" and err.message == "Attempted to invoke a non-function"


# ---------------------------------------------------------------- numbers


def test_integral_doubles_come_out_as_int() -> None:
    for text in ["1.0", "2 * 0.5", "$sum([0.5, 0.5])", "$states.input.one", "10 / 2"]:
        result = ev(text, {"one": 1.0})
        assert result == result // 1 and type(result) is int, text
    assert ev("[1.0, {'a': 3.0}]") == [1, {"a": 3}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$string(1.0)", "1"),
        ("$string(0.1 + 0.2)", "0.3"),  # 15 significant digits (jsonata-js)
        ("$string(1e20)", "100000000000000000000"),
        ("$string(1e21)", "1e+21"),
        ("$string(1e-7)", "1e-7"),
        ("$string(0.000001)", "0.000001"),
        ("$string(-1.5e-7)", "-1.5e-7"),
        ("$string([1.0, 2.5])", "[1,2.5]"),
        ("$string({'a': null})", '{"a":null}'),
        ("$string({'a': [1, {'b': 2}]}, true)", '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}'),
        ("1.5 & 'x'", "1.5x"),
        ("$string(true)", "true"),
    ],
)
def test_number_text_like_javascript(text: str, expected: str) -> None:
    assert ev(text) == expected


def test_arithmetic_like_javascript() -> None:
    assert ev("7.5 % 2") == 1.5
    assert ev("-7 % 3") == -1
    assert ev("0.1 + 0.2") == 0.30000000000000004
    assert ev("1/0") == "Infinity"  # AWS writes non-finite numbers as strings (floci)
    assert ev("-1/0") == "-Infinity"
    assert ev("0/0") == "NaN"
    assert ev("[1/0]") == ["Infinity"]
    assert ev("$states.input.n * 3", {"n": 2**40}) == 3 * 2**40


def test_equality_and_membership_like_javascript() -> None:
    assert ev("1 in [true]") is False
    assert ev("[1] in [[1]]") is False
    assert ev("1 = 1.0") is True
    assert ev("$distinct([1, true, '1', 1.0])") == [1, True, "1"]
    assert ev("$distinct([[1], [1]])") == [[1]]


def test_regex_in_javascript_syntax() -> None:
    assert ev('$contains("hello$world", /^hello\\ /)') is False  # corpus
    assert ev('$contains("Line1\\n", /Line1$/)') is False
    assert ev('$contains("١٢", /\\d/)') is False
    assert ev('$match("abc", /(?<first>a)/).groups') == ["a"]
    assert ev('$replace("abcd", /(b)(c)/, "$2$1$$$0")') == "acb$bcd"
    assert ev('$split("a, b,c", /,\\s*/)') == ["a", "b", "c"]


# ---------------------------------------------------------------- clock and variables


def test_now_and_millis_use_the_scope_clock() -> None:
    assert ev("$now()", now=1_577_836_800.123) == "2020-01-01T00:00:00.123Z"
    assert ev("$millis()", now=1_577_836_800.123) == 1_577_836_800_123
    assert ev('$now("[Y0001]-[M01]-[D01]")', now=0.0) == "1970-01-01"
    assert ev("$now() = $now()") is True


def test_variables_are_bound_by_name() -> None:
    variables = {"x": 3, "obj": {"k": [1, 2]}, "nothing": None, "states": "shadowed"}
    s = Scope({"input": {"a": 1}, "context": {}}, variables)
    assert compile_expression("$x + $obj.k[1]").evaluate(s) == 5
    assert compile_expression("$nothing").evaluate(s) is None
    assert compile_expression("$type($nothing)").evaluate(s) == "null"
    assert compile_expression("$missing").evaluate(s) is UNDEFINED
    assert compile_expression("$states.input.a").evaluate(s) == 1  # $states always wins
    assert compile_expression("$string($count)").evaluate(s) == ""  # functions still there


def test_states_result_and_error_output_bindings() -> None:
    s = Scope({"input": 1, "context": {}, "result": {"r": 2}, "errorOutput": {"Error": "E"}}, {})
    assert compile_expression("[$states.input, $states.result.r, $states.errorOutput.Error]").evaluate(s) == [
        1,
        2,
        "E",
    ]


def test_evaluation_does_not_mutate_inputs() -> None:
    data = {"a": [1, None, {"b": None}], "o": {"x": 1}}
    variables = {"v": [None]}
    s = Scope({"input": data, "context": {}}, variables)
    compile_expression("$states.input ~> |o|{'y': 2}|").evaluate(s)
    compile_expression("$append($states.input.a, $v)").evaluate(s)
    assert data == {"a": [1, None, {"b": None}], "o": {"x": 1}} and variables == {"v": [None]}


# ---------------------------------------------------------------- no shared state


def test_no_leakage_between_scopes() -> None:
    expr = compile_expression("($y := $states.input.n * 2; $y + $x)")
    a = Scope({"input": {"n": 1}, "context": {}}, {"x": 10})
    b = Scope({"input": {"n": 5}, "context": {}}, {"x": 100})
    assert [expr.evaluate(a), expr.evaluate(b), expr.evaluate(a)] == [12, 110, 12]
    assert compile_expression("$y").evaluate(a) is UNDEFINED


def test_no_leakage_between_threads() -> None:
    expr = compile_expression("$map($states.input.xs, function($v){$v * $k}) ~> $sum()")
    clock = compile_expression("$millis()")
    failures: list[str] = []

    def worker(k: int) -> None:
        for i in range(300):
            s = Scope({"input": {"xs": [1, 2, i]}, "context": {}}, {"k": k}, now=float(k))
            got, millis = expr.evaluate(s), clock.evaluate(s)
            if got != k * (3 + i) or millis != k * 1000:
                failures.append(f"{k}/{i}: {got}, {millis}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in (2, 3, 5, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_nested_evaluation_restores_the_outer_scope() -> None:
    inner = compile_expression("$x")
    outer_scope = Scope({"input": {}, "context": {}}, {"x": "outer"})
    inner_scope = Scope({"input": {}, "context": {}}, {"x": "inner"})
    assert inner.evaluate(inner_scope) == "inner"
    assert compile_expression("[$x, $uuid()]").evaluate(outer_scope)[0] == "outer"


# ---------------------------------------------------------------- properties

ints = st.integers(min_value=-(10**9), max_value=10**9)
int_lists = st.lists(ints, max_size=12)


def collapse(values: list[Any]) -> Any:
    """JSONata's sequence rule: nothing is undefined, one item is the item."""
    if not values:
        return UNDEFINED
    return values[0] if len(values) == 1 else values


@given(int_lists)
def test_sum_and_count_agree_with_python(xs: list[int]) -> None:
    assert ev("$sum($states.input.xs)", {"xs": xs}) == sum(xs)
    assert ev("$count($states.input.xs)", {"xs": xs}) == len(xs)


@given(ints, ints)
def test_arithmetic_agrees_with_python(a: int, b: int) -> None:
    data = {"a": a, "b": b}
    assert ev("$states.input.a + $states.input.b", data) == a + b
    assert ev("$states.input.a * $states.input.b", data) == float(a) * float(b)  # doubles, as in JS
    assert ev("$states.input.a < $states.input.b", data) is (a < b)
    if b:
        expected = a / b
        assert ev("$states.input.a / $states.input.b", data) == (
            int(expected) if expected.is_integer() else expected
        )


@given(st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1))
def test_string_of_integers(n: int) -> None:
    assert ev("$string($states.input.n)", {"n": n}) == str(n)
    assert ev("$states.input.n & ''", {"n": n}) == str(n)


@given(st.floats(min_value=-1e300, max_value=1e300))
def test_string_of_doubles_reads_back(x: float) -> None:
    text = ev("$string($states.input.x)", {"x": x})  # Number(x.toPrecision(15)), half up
    digits = re.sub(r"e.*|[-.]", "", text).strip("0")
    assert len(digits) <= 15
    assert float(text) == x or abs(float(text) - x) <= abs(x) * 5e-15


@given(int_lists, ints)
def test_filter_agrees_with_python(xs: list[int], n: int) -> None:
    expected = collapse([x for x in xs if x > n])
    assert ev("$states.input.xs[$ > $states.input.n]", {"xs": xs, "n": n}) == expected


@given(int_lists, int_lists)
def test_append_agrees_with_python(xs: list[int], ys: list[int]) -> None:
    assert ev("$append($states.input.xs, $states.input.ys)", {"xs": xs, "ys": ys}) == xs + ys


@given(st.lists(st.one_of(ints, st.text(max_size=3), st.none()), min_size=1, max_size=20), st.integers(1, 25))
def test_partition_then_flatten_round_trips(xs: list[Any], size: int) -> None:
    chunks = ev("$partition($states.input.xs, $states.input.n)", {"xs": xs, "n": size})
    assert all(len(c) == size for c in chunks[:-1]) and 1 <= len(chunks[-1]) <= size
    assert [x for c in chunks for x in c] == xs
    flat = ev("$partition($states.input.xs, $states.input.n).$", {"xs": xs, "n": size})
    assert flat == (chunks[0] if len(chunks) == 1 else xs)  # a path flattens one level


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-7, 7).filter(bool))
def test_range_agrees_with_python(start: int, end: int, step: int) -> None:
    expected = list(range(start, end + (1 if step > 0 else -1), step))
    assert ev(f"$range({start}, {end}, {step})") == collapse(expected)


def test_expression_objects_are_reusable() -> None:
    expr = compile_expression("$states.input.i + 1")
    assert isinstance(expr, Expression)
    assert [expr.evaluate(scope({"i": i})) for i in range(3)] == [1, 2, 3]


def test_binding_a_builtin_to_a_name_does_not_rename_it() -> None:
    assert (
        str(error('($f := $sum; $f("a"))'))
        == 'T0412: Argument 1 of function "f" must be an array of "numbers"'
    )
    assert str(error('$sum("a")')) == 'T0412: Argument 1 of function "sum" must be an array of "numbers"'


def test_unsupported_escape_is_s0103() -> None:
    assert check_syntax('"\\q"') == 'S0103: Unsupported escape sequence: \\"q"'  # jsonata-js
    assert check_syntax("$number(1e400)") == 'S0102: Number out of range: "1e400"'


def test_higher_order_functions_call_back_into_the_expression() -> None:
    data = {"items": [{"v": 3}, {"v": 1}, {"v": 2}]}
    assert ev("$sort($states.input.items, function($l, $r){$l.v > $r.v}).v", data) == [1, 2, 3]
    assert ev('$replace("a1b2", /\\d/, function($m){$string($number($m.match) * 2)})') == "a2b4"
    assert ev("$reduce([1, 2, 3], function($a, $b){$a + $b}, 10)") == 16
    assert ev("$states.input.items ~> |$|{'w': v * 2}|", data)[0] == {"v": 3, "w": 6}


def test_a_runaway_tail_recursion_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    import aslrun.expressions.jsonata as module

    monkeypatch.setattr(module, "MAX_EVALUATION_STEPS", 1000)
    err = error("($f := function($n){$f($n + 1)}; $f(0))")
    assert str(err) == "Expression evaluation exceeded 1000 steps"
    assert ev("$sum([1..10])") == 55  # the budget is per evaluation


def test_a_runaway_plain_recursion_is_a_stack_overflow() -> None:
    assert error("($f := function($n){1 + $f($n + 1)}; $f(0))").code == "D1011"
