"""Expressions never crash: deep values, huge integers, odd unicode, the recursion limit (issue 14).

Every JSONPath, intrinsic, Choice rule and JSONata expression either gives a value or fails the way
an ASL failure does (``StatesError`` with an ASL error name, a definition error at load time), never
with ``RecursionError``, ``OverflowError`` or ``ValueError``. The execution boundary refuses inputs
nested deeper than ``MAX_JSON_DEPTH``, but values grow inside an execution, so the expression
engines are tested here on their own as well as through :func:`aslrun.run`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aslrun
from aslrun.defaults import MAX_JSON_DEPTH
from aslrun.errors import AslrunError, DefinitionError, StatesError
from aslrun.expressions.access import Env
from aslrun.expressions.choice import OPERATORS, compile_condition
from aslrun.expressions.intrinsics import FUNCTION_NAMES, IntrinsicSyntaxError, compile_intrinsic
from aslrun.expressions.jsonata import JsonataSyntaxError, Scope, compile_field
from aslrun.expressions.jsonpath import PathNotFound, PathSyntaxError, compile_path, compile_reference_path

#: examples per property: 200 in CI; a long run is ``ASLRUN_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest
#: tests/test_hostile_expressions.py`` (the variable tests/test_fuzz.py reads too)
PROPERTY = settings(
    max_examples=int(os.environ.get("ASLRUN_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    # reproducible in CI, as tests/test_fuzz.py: ASLRUN_FUZZ_RANDOM=1 draws fresh examples
    derandomize=os.environ.get("ASLRUN_FUZZ_RANDOM") != "1",
    database=None,
)
DEPTH_CAUSE = (
    f"is nested more than {MAX_JSON_DEPTH} levels deep (aslrun's limit for JSON values, MAX_JSON_DEPTH)"
)


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


def nested_lists(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def depth_of(value: Any) -> int:
    depth = 0
    while isinstance(value, (dict, list)) and value:
        value = next(iter(value.values())) if isinstance(value, dict) else value[0]
        depth += 1
    return depth


def pass_machine(parameters: Any) -> dict[str, Any]:
    return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": parameters, "End": True}}}


def jsonata_machine(output: Any) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": output, "End": True}},
    }


def state_cause(state: str, cause: str) -> str:
    return f"An error occurred while executing the state '{state}' (entered at the event id #2). {cause}"


# ---------------------------------------------------------------- 1. deep values, JSONPath mode


def test_json_to_string_on_a_value_deeper_than_the_limit_is_a_states_runtime_naming_the_limit() -> None:
    with pytest.raises(StatesError) as info:
        compile_intrinsic("States.JsonToString($)").evaluate(Env(nested(5000)))
    assert info.value.error == "States.Runtime"
    assert info.value.cause == (
        "The function 'States.JsonToString($)' had the following error: "
        f"The value given to States.JsonToString {DEPTH_CAUSE}; flatten the data"
    )


def test_json_to_string_writes_a_value_at_the_limit() -> None:
    value = nested_lists(MAX_JSON_DEPTH - 1)  # the innermost [] is a level too
    text = compile_intrinsic("States.JsonToString($)").evaluate(Env(value))
    assert text == "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH


def test_string_to_json_refuses_text_nested_deeper_than_the_limit_through_run() -> None:
    deep_text = "[" * 5000 + "]" * 5000
    result = aslrun.run(pass_machine({"v.$": "States.StringToJson($.s)"}), {"s": deep_text})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause == state_cause(
        "P",
        "The function 'States.StringToJson($.s)' had the following error: "
        f"The JSON text given to States.StringToJson {DEPTH_CAUSE}; flatten the data",
    )


def test_string_to_json_ignores_brackets_inside_strings() -> None:
    text = '{"s": "' + "[" * 5000 + '"}'
    assert compile_intrinsic("States.StringToJson($.t)").evaluate(Env({"t": text})) == {"s": "[" * 5000}


def test_deep_scan_reaches_every_level_of_a_document_of_any_depth() -> None:
    document = nested(5000, leaf="bottom")
    found = compile_path("$..a").evaluate(document)
    assert len(found) == 5000
    assert found[-1] == "bottom"
    assert depth_of(found[0]) == 4999  # document order: outermost first


def test_deep_scan_through_run_on_the_deepest_input_allowed() -> None:
    result = aslrun.run(pass_machine({"v.$": "$..a"}), nested(MAX_JSON_DEPTH - 1, leaf=7))
    assert result.status == "SUCCEEDED"
    assert len(result.output["v"]) == MAX_JSON_DEPTH - 1
    assert result.output["v"][-1] == 7


def test_reference_path_of_thousands_of_steps_sets_without_recursion() -> None:
    path = compile_reference_path("$" + ".a" * 5000)
    assert depth_of(path.set({}, "x")) == 5000


def test_long_filter_chains_run_without_recursion() -> None:
    ors = " || ".join(["@.k == 1"] * 3000)
    assert compile_path(f"$[?({ors})]").evaluate([{"k": 1}, {"k": 2}]) == [{"k": 1}]
    nots = "!" * 3001 + "(@.k == 1)"
    assert compile_path(f"$[?({nots})]").evaluate([{"k": 1}, {"k": 2}]) == [{"k": 2}]


def test_filter_parentheses_nested_past_the_limit_are_a_syntax_error() -> None:
    with pytest.raises(PathSyntaxError, match=r"invalid filter \(parentheses nested more than 100 deep\)"):
        compile_path("$[?(" + "(" * 101 + "@.k == 1" + ")" * 101 + ")]")


def test_filter_with_a_bad_regular_expression_is_a_syntax_error() -> None:
    with pytest.raises(
        PathSyntaxError,
        match=r"invalid filter \(invalid regular expression /a\{2,1\}/: "
        r"min repeat greater than max repeat",
    ):
        compile_path("$[?(@.k =~ /a{2,1}/)]")


# ---------------------------------------------------------------- 2. JSONata and the recursion limit


def test_running_a_jsonata_machine_leaves_the_recursion_limit_alone() -> None:
    # A fresh interpreter: the first import of jsonata-python is what used to raise the limit.
    script = textwrap.dedent(
        """
        import sys
        before = sys.getrecursionlimit()
        import aslrun
        machine = {"QueryLanguage": "JSONata", "StartAt": "P",
                   "States": {"P": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}}}
        result = aslrun.run(machine, {"a": 1})
        assert result.status == "SUCCEEDED", result
        print(before, sys.getrecursionlimit())
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    before, after = done.stdout.split()
    assert after == before


def test_recursion_limit_is_unchanged_in_process_too() -> None:
    before = sys.getrecursionlimit()
    assert aslrun.run(jsonata_machine("{% $states.input %}"), {"a": 1}).status == "SUCCEEDED"
    assert sys.getrecursionlimit() == before


def test_jsonata_on_a_value_deeper_than_the_limit_is_a_query_evaluation_error() -> None:
    field = compile_field("{% $states.input %}")
    with pytest.raises(StatesError) as info:
        field.evaluate(Scope({"input": nested(5000), "context": {}}, {}), "Output")
    assert info.value.error == "States.QueryEvaluationError"
    assert info.value.cause == (
        "The JSONata expression '$states.input' specified for the field 'Output' threw an error during "
        f"evaluation. The value of $states {DEPTH_CAUSE}; flatten the data"
    )


def test_jsonata_variable_deeper_than_the_limit_is_a_query_evaluation_error() -> None:
    field = compile_field("{% $v %}")
    with pytest.raises(StatesError, match=r"The variable \$v is nested more than") as info:
        field.evaluate(Scope({"input": {}, "context": {}}, {"v": nested_lists(5000)}), "Output")
    assert info.value.error == "States.QueryEvaluationError"


def test_jsonata_result_built_deeper_than_the_limit_is_a_query_evaluation_error() -> None:
    expression = '$reduce([1..5000], function($acc, $x) { {"a": $acc} }, {})'
    result = aslrun.run(jsonata_machine("{% " + expression + " %}"), {})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert result.cause == state_cause(
        "P",
        f"The JSONata expression '{expression}' specified for the field 'Output' threw an error during "
        f"evaluation. The result {DEPTH_CAUSE}; flatten the data",
    )


def test_jsonata_parse_of_text_deeper_than_the_limit_is_a_query_evaluation_error() -> None:
    result = aslrun.run(jsonata_machine("{% $parse($states.input.s) %}"), {"s": "[" * 5000 + "]" * 5000})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert result.cause is not None
    assert result.cause.endswith(f"The JSON text given to $parse {DEPTH_CAUSE}; flatten the data")


def test_runaway_jsonata_recursion_is_d1011_whatever_ran_before() -> None:
    expression = "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))"
    for _ in range(2):  # the same answer the first time and after
        result = aslrun.run(jsonata_machine("{% " + expression + " %}"), {})
        assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
        assert result.cause is not None
        assert result.cause.endswith(
            "D1011: Stack overflow. Check for non-terminating recursive function.  "
            "Consider rewriting as tail-recursive"
        )


# ---------------------------------------------------------------- 3. integers past Python's str() limit


def test_intrinsic_number_literal_longer_than_jackson_reads_is_a_definition_error() -> None:
    machine = pass_machine({"v.$": "States.MathAdd(" + "1" * 4301 + ", 1)"})
    with pytest.raises(
        DefinitionError,
        match=r"A number literal of 4301 characters; aslrun reads numbers of "
        r"at most 1000 \(the default maxNumberLength of Jackson, AWS's JSON parser\)",
    ):
        aslrun.load(machine)


def test_intrinsic_number_literal_beyond_a_double_is_a_definition_error() -> None:
    with pytest.raises(
        IntrinsicSyntaxError, match=r"the number literal 1e999 is beyond the range of a double"
    ):
        compile_intrinsic("States.MathAdd(1e999, 1)")


def test_math_add_outside_java_int_range_is_invalid_arguments() -> None:
    with pytest.raises(StatesError) as info:
        compile_intrinsic("States.MathAdd($.n, 1)").evaluate(Env({"n": 10**5000}))
    assert (info.value.error, info.value.cause) == (
        "States.Runtime",
        "The function 'States.MathAdd($.n, 1)' had the following error: Invalid arguments in States.MathAdd",
    )


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("States.Format('n={}', $.n)", "n=" + "1" + "0" * 5000),
        ("States.JsonToString($)", '{"n":1' + "0" * 5000 + "}"),
        ("States.ArrayGetItem(States.Array($.n), 0)", 10**5000),
        ("States.ArrayContains(States.Array($.n), $.n)", True),
        ("States.ArrayLength(States.ArrayUnique(States.Array($.n, $.n)))", 1),
    ],
    ids=["Format", "JsonToString", "ArrayGetItem", "ArrayContains", "ArrayUnique"],
)
def test_intrinsics_write_integers_of_any_length(call: str, expected: Any) -> None:
    assert compile_intrinsic(call).evaluate(Env({"n": 10**5000})) == expected


def test_missing_path_message_quotes_an_input_holding_a_huge_integer() -> None:
    with pytest.raises(StatesError) as info:
        compile_intrinsic("States.Format('{}', $.missing)").evaluate(Env({"n": 10**5000}))
    assert info.value.cause is not None
    assert info.value.cause.endswith('could not be found in the input \'{"n":1' + "0" * 5000 + "}'")


def test_string_to_json_of_a_number_longer_than_jackson_reads_is_invalid_arguments() -> None:
    for text in ("1" * 1001, "1e999"):
        with pytest.raises(StatesError, match=r"Invalid arguments in States\.StringToJson$"):
            compile_intrinsic("States.StringToJson($.s)").evaluate(Env({"s": text}))


def test_jsonpath_aggregate_beyond_a_double_fails_the_path() -> None:
    with pytest.raises(
        PathNotFound,
        match=r"^Aggregation function sum\(\) in \$\.a\.sum\(\) gave a result "
        r"beyond the range of a double$",
    ):
        compile_path("$.a.sum()").evaluate({"a": [10**400, 1]})
    result = aslrun.run(pass_machine({"v.$": "$.a.max()"}), {"a": [10**400]})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")


def test_filter_number_literal_longer_than_jackson_reads_is_a_syntax_error() -> None:
    with pytest.raises(PathSyntaxError, match=r"invalid filter \(a number longer than 1000 characters\)"):
        compile_path("$[?(@.k == " + "1" * 4301 + ")]")


# ---------------------------------------------------------------- 4. integers beyond a double in JSONata


def test_jsonata_reads_an_integer_beyond_a_double_as_infinity() -> None:
    # JSONata numbers are doubles; JSON.parse reads 1e400 as Infinity, which AWS writes as "Infinity".
    result = aslrun.run(jsonata_machine("{% $states.input %}"), {"n": 10**400, "m": -(10**400)})
    assert result.status == "SUCCEEDED"
    assert result.output == {"n": "Infinity", "m": "-Infinity"}


def test_jsonata_arithmetic_on_an_integer_beyond_a_double_is_d1001() -> None:
    result = aslrun.run(jsonata_machine("{% $states.input.n + 1 %}"), {"n": 10**400})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert result.cause is not None
    assert "D1001: Number out of range" in result.cause


def test_jsonata_parse_of_an_integer_beyond_a_double_is_d3137() -> None:
    result = aslrun.run(jsonata_machine("{% $parse($states.input.s) %}"), {"s": "1" * 400})
    assert result.cause is not None
    assert result.cause.endswith("D3137: Invalid JSON")


# ---------------------------------------------------------------- 5. properties over hostile values

# Surrogates included (a lone one is a valid Python str, and reaches aslrun through the API).
odd_text = st.text(st.characters(exclude_categories=()), max_size=8) | st.sampled_from(
    ["\udfff", "\ud800", "a\u0000b", "\u202e", "{}", "'", "\\", "[", "$", "é", "🎉"]
)
huge_int = st.integers(300, 5000).map(lambda k: 10**k) | st.integers(300, 5000).map(lambda k: -(10**k))
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | huge_int
    | st.floats(allow_nan=False, allow_infinity=False)
    | odd_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text | st.just("a"), inner, max_size=4),
    max_leaves=12,
)
deep_values = st.integers(MAX_JSON_DEPTH - 2, 3000).flatmap(
    lambda n: st.sampled_from([nested(n), nested_lists(n), nested(n, leaf=10**5000)])
)
hostile = (
    json_values | deep_values | st.dictionaries(st.sampled_from(["a", "b", "n"]), json_values | deep_values)
)

path_pieces = st.sampled_from(
    [
        ".a",
        ".b",
        ".n",
        "..a",
        "..*",
        ".*",
        "[0]",
        "[-1]",
        "[*]",
        "['a']",
        "['a','b']",
        "[0,1]",
        "[1:]",
        "[::2]",
        "[?(@.a)]",
        "[?(@.a > 1)]",
        "[?(@.a == 'x')]",
        "[?(@ =~ /a.*/i)]",
        "[?(@.a in [1,2])]",
        ".length()",
        ".sum()",
        ".max()",
        ".avg()",
        ".stddev()",
        "[",
        "]",
        "(",
        "'",
        ".",
        "\\",
        "[?(",
        "[?(!",
        "||",
        " ",
        "[99999999999999999999]",
        "[1" + "0" * 5000 + "]",
    ]
)
paths = st.lists(path_pieces, max_size=6).map(lambda parts: "$" + "".join(parts))


@PROPERTY
@given(text=paths, data=hostile)
def test_any_jsonpath_compiles_or_is_a_syntax_error_and_evaluates_or_is_not_found(
    text: str, data: Any
) -> None:
    try:
        path = compile_path(text)
    except PathSyntaxError:
        return
    try:
        path.evaluate(data)
    except PathNotFound:
        pass
    except StatesError as err:  # a path whose steps match too many values (repeated deep scans)
        assert err.error == "States.Runtime" and "MAX_PATH_MATCHES" in (err.cause or "")


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + "".join("\\" + c if c in "'{}\\" else c for c in value) + "'"
    if value is None:
        return "null"
    if value is True or value is False:
        return str(value).lower()
    if isinstance(value, int):
        return str(Decimal(value))  # str() refuses more than 4,300 digits
    return repr(value)


#: how many arguments each intrinsic takes (AWS's documentation), so most generated calls compile
ARITY = {
    "States.Format": (1, 4),
    "States.StringToJson": (1, 1),
    "States.JsonToString": (1, 1),
    "States.Array": (0, 4),
    "States.ArrayPartition": (2, 2),
    "States.ArrayContains": (2, 2),
    "States.ArrayRange": (3, 3),
    "States.ArrayGetItem": (2, 2),
    "States.ArrayLength": (1, 1),
    "States.ArrayUnique": (1, 1),
    "States.Base64Encode": (1, 1),
    "States.Base64Decode": (1, 1),
    "States.Hash": (2, 2),
    "States.JsonMerge": (3, 3),
    "States.MathRandom": (2, 3),
    "States.MathAdd": (2, 2),
    "States.StringSplit": (2, 2),
    "States.UUID": (0, 0),
}


def _call(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def with_arguments(name: str) -> st.SearchStrategy[str]:
        low, high = ARITY[name]
        return st.lists(inner, min_size=low, max_size=high).map(lambda args: f"{name}({', '.join(args)})")

    return st.sampled_from(sorted(FUNCTION_NAMES)).flatmap(with_arguments)


arguments = st.recursive(
    st.sampled_from(
        [
            "$",
            "$.a",
            "$.n",
            "$.b",
            "$..a",
            "$.missing",
            "$$.Execution.Id",
            "$[0]",
            "$.a[*]",
            "'SHA-256'",
            "'{}'",
            "'{} {}'",
            "$.a.length()",
        ]
    )
    | st.builds(_literal, scalars),
    _call,
    max_leaves=6,
)
calls = _call(arguments)


def test_the_arity_table_covers_every_intrinsic() -> None:
    assert set(ARITY) == FUNCTION_NAMES


@PROPERTY
@given(call=calls, data=hostile)
def test_any_intrinsic_call_compiles_or_is_a_syntax_error_and_evaluates_or_is_an_asl_error(
    call: str, data: Any
) -> None:
    try:
        intrinsic = compile_intrinsic(call)
    except IntrinsicSyntaxError:
        return
    try:
        intrinsic.evaluate(Env(data, context={"Execution": {"Id": "x"}}))
    except StatesError as err:
        assert err.error == "States.Runtime"


@PROPERTY
@given(
    op=st.sampled_from(sorted(OPERATORS)),
    literal=json_values,
    variable=st.sampled_from(["$", "$.a", "$.n", "$..a"]),
    data=hostile,
)
def test_any_choice_comparison_is_a_boolean_an_asl_error_or_a_diagnostic(
    op: str, literal: Any, variable: str, data: Any
) -> None:
    rule = {"Variable": variable, op: literal if not op.endswith("Path") else "$.b"}
    condition, diagnostics = compile_condition(rule, "/States/C/Choices/0", "C", top_level=False)
    if condition is None:
        assert diagnostics
        return
    try:
        assert condition.evaluate(Env(data)) in (True, False)
    except StatesError as err:
        assert err.error == "States.Runtime"


jsonata_expressions = st.sampled_from(
    [
        "$states.input",
        "$states.input.a",
        "$string($states.input)",
        "$states.input.n + 1",
        "$sum($states.input.*)",
        "$count($states.input.**)",
        "$keys($states.input)",
        "$states.input = $states.input",
        "$clone($states.input)",
        "$states.input ~> |$|{}|",
        "$max($states.input.n)",
        "$number($states.input.n)",
        "$abs($states.input.n)",
        "$round($states.input.n)",
        "$parse($string($states.input))",
        "$states.input.a.a.a.a",
        "$distinct($states.input)",
        "$sort($states.input)",
        "$reverse($states.input)",
        "$states.input & 'x'",
        "$length($states.input.a)",
        "$uppercase($states.input.a)",
        "$hash($string($states.input))",
        "$partition($states.input, 1)",
    ]
)


@PROPERTY
@given(expression=jsonata_expressions, data=hostile)
def test_any_jsonata_expression_on_hostile_input_is_a_value_or_a_query_evaluation_error(
    expression: str, data: Any
) -> None:
    try:
        field = compile_field("{% " + expression + " %}")
    except JsonataSyntaxError:  # pragma: no cover - the sample is all valid
        raise
    try:
        field.evaluate(Scope({"input": data, "context": {}}, {}), "Output")
    except StatesError as err:
        assert err.error == "States.QueryEvaluationError"


@PROPERTY
@given(
    data=hostile,
    parameters=st.sampled_from(
        [
            {"v.$": "$"},
            {"v.$": "$..a"},
            {"v.$": "States.JsonToString($)"},
            {"v.$": "States.Format('{}', $)"},
            {"v.$": "States.Hash($, 'SHA-256')"},
            {"v.$": "States.ArrayUnique(States.Array($, $))"},
        ]
    ),
)
def test_any_hostile_input_through_run_is_a_result_or_an_aslrun_error(data: Any, parameters: Any) -> None:
    before = sys.getrecursionlimit()
    try:
        result = aslrun.run(pass_machine(parameters), data)
    except AslrunError:
        return  # the boundary refused the input (too deep, a number too long): a clear input error
    assert result.status in ("SUCCEEDED", "FAILED")
    assert sys.getrecursionlimit() == before


def test_repeated_deep_scans_stop_at_the_match_limit_instead_of_exhausting_memory() -> None:
    machine = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "$..*..*..*..*..*..*"},
                                                "End": True}}}
    result = aslrun.run(machine, nested(MAX_JSON_DEPTH - 8), clock="virtual")
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert ("The JSONPath $..*..*..*..*..*..* matches more than 1,000,000 values on the way (aslrun's limit, "
            "MAX_PATH_MATCHES); select less") in (result.cause or "")
