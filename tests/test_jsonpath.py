"""JSONPath as Step Functions evaluates it: aslrun.expressions.jsonpath and aslrun.expressions.access.

Unit tests for definite and indefinite paths, Jayway's error messages, slices,
wildcards, ``..``, filters, unions, quoted names, reference-path ``set`` and
syntax errors; then property tests: definite paths against a hand walk, ``set``
round trips, and agreement with the ``jsonpath_ng`` library on simple paths.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonpath_ng import parse as ng_parse

from aslrun.expressions.access import Env, compile_value_path
from aslrun.expressions.jsonpath import (
    PathNotFound,
    PathSyntaxError,
    ResultPathMatchFailure,
    compile_path,
    compile_reference_path,
)

JACKSON = "com.fasterxml.jackson.databind.node"
PROVIDER = "'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'"

STORE: dict[str, Any] = {
    "store": {
        "book": [
            {"category": "reference", "author": "Nigel Rees", "price": 8.95},
            {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99},
            {"category": "fiction", "author": "Herman Melville", "isbn": "0-553-21311-3", "price": 8.99},
            {"category": "fiction", "author": "J. R. R. Tolkien", "isbn": "0-395-19395-8", "price": 22.99},
        ],
        "bicycle": {"color": "red", "price": 19.95},
    },
    "expensive": 10,
}


def ev(path: str, data: Any = STORE) -> Any:
    return compile_path(path).evaluate(data)


# ---------------------------------------------------------------- definite paths


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", STORE),
        ("$.expensive", 10),
        ("$.store.bicycle.color", "red"),
        ("$['store']['bicycle']['color']", "red"),
        ('$["store"]["bicycle"]["price"]', 19.95),
        ("$.store.book[0].author", "Nigel Rees"),
        ("$['store']['book'][1]['author']", "Evelyn Waugh"),
        ("$.store.book[-1].author", "J. R. R. Tolkien"),
        ("$.store.book[-4].author", "Nigel Rees"),
        ("$.store['book'][2].isbn", "0-553-21311-3"),
    ],
)
def test_definite_path_selects_one_node(path: str, expected: Any) -> None:
    compiled = compile_path(path)
    assert compiled.definite
    assert compiled.evaluate(STORE) == expected


def test_definite_path_returns_null_values_as_none() -> None:
    assert ev("$.a.b", {"a": {"b": None}}) is None


def test_definite_path_returns_the_node_itself_not_a_copy() -> None:
    doc = {"a": {"b": [1]}}
    assert ev("$.a.b", doc) is doc["a"]["b"]


def test_missing_leaf_uses_jaywayss_no_results_message() -> None:
    with pytest.raises(PathNotFound, match=re.escape("No results for path: $['x']")):
        ev("$.x", {"a": 1})


def test_missing_leaf_deeper_names_the_whole_path() -> None:
    with pytest.raises(PathNotFound, match=re.escape("No results for path: $['a']['b']")):
        ev("$.a.b", {"a": {"c": 1}})


def test_missing_intermediate_uses_jaywayss_missing_property_message() -> None:
    with pytest.raises(PathNotFound) as info:
        ev("$.a.b.c", {"x": 1})
    assert info.value.message == "Missing property in path $['a']"


def test_missing_intermediate_names_the_path_up_to_the_missing_field() -> None:
    with pytest.raises(PathNotFound) as info:
        ev("$.a.zz.q", {"a": {"b": 1}})
    assert info.value.message == "Missing property in path $['a']['zz']"


def test_index_out_of_range_has_no_results() -> None:
    with pytest.raises(PathNotFound, match=re.escape("No results for path: $['l'][3]")):
        ev("$.l[3]", {"l": [1, 2]})


def test_negative_index_out_of_range_has_no_results() -> None:
    with pytest.raises(PathNotFound, match=re.escape("No results for path: $['l'][-3]")):
        ev("$.l[-3]", {"l": [1, 2]})


@pytest.mark.parametrize(
    ("value", "java"),
    [("s", "TextNode"), (1, "IntNode"), (1.5, "DoubleNode"), (True, "BooleanNode"), ([1], "ArrayNode")],
)
def test_field_of_a_non_object_names_the_jackson_node_class(value: Any, java: str) -> None:
    expected = (
        f"Expected to find an object with property ['c'] in path $['a']['b'] but found '{JACKSON}.{java}'. "
        f"This is not a json object according to the JsonProvider: {PROVIDER}."
    )
    with pytest.raises(PathNotFound) as info:
        ev("$.a.b.c", {"a": {"b": value}})
    assert info.value.message == expected


def test_field_of_null_says_null() -> None:
    with pytest.raises(PathNotFound, match=re.escape("in path $['n'] but found 'null'.")):
        ev("$.n.x", {"n": None})


def test_index_of_a_non_array_says_filter_only_applies_to_arrays() -> None:
    with pytest.raises(PathNotFound) as info:
        ev("$.a[0]", {"a": {"b": "s"}})
    assert info.value.message == 'Filter: [0] can only be applied to arrays. Current context is: {"b":"s"}'


# ---------------------------------------------------------------- indefinite paths


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.store.book[*].author", ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]),
        ("$..author", ["Nigel Rees", "Evelyn Waugh", "Herman Melville", "J. R. R. Tolkien"]),
        ("$.store.*.color", ["red"]),
        ("$.store.bicycle.*", ["red", 19.95]),
        ("$.store.bicycle[*]", ["red", 19.95]),
        ("$..book[2].isbn", ["0-553-21311-3"]),
        ("$..book[-1:].author", ["J. R. R. Tolkien"]),
        ("$..book[:2].author", ["Nigel Rees", "Evelyn Waugh"]),
        ("$..book[1:3].author", ["Evelyn Waugh", "Herman Melville"]),
        ("$.store.book[0,2].price", [8.95, 8.99]),
        ("$.store.book[?(@.isbn)].author", ["Herman Melville", "J. R. R. Tolkien"]),
        ("$.store.book[?(@.price < 10)].price", [8.95, 8.99]),
        ("$.store.book[?(@.price >= 12.99)].price", [12.99, 22.99]),
        ("$.store.book[?(@.category == 'reference')].author", ["Nigel Rees"]),
        ("$.store.book[?(@.category != 'fiction')].author", ["Nigel Rees"]),
        ("$.store.book[?(@.price > 9 && @.category == 'fiction')].price", [12.99, 22.99]),
        ("$.store.book[?(@.price < 9 || @.price > 20)].price", [8.95, 8.99, 22.99]),
        ("$.store.book[?(!(@.price < 20))].price", [22.99]),
        ("$.store.book[?(@.author =~ /.*Tolkien/)].price", [22.99]),
        ("$.store.book[?(@.author =~ /.*tolkien/i)].price", [22.99]),
        ("$..price", [8.95, 12.99, 8.99, 22.99, 19.95]),
    ],
)
def test_indefinite_paths_return_every_match_in_document_order(path: str, expected: list[Any]) -> None:
    compiled = compile_path(path)
    assert not compiled.definite
    assert compiled.evaluate(STORE) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.v[-3:]", [3, 4, 5]),
        ("$.v[-2]", 4),
        ("$.v[:-3]", [1, 2]),
        ("$.v[1:-1]", [2, 3, 4]),
        ("$.v[3:]", [4, 5]),
        ("$.v[10:]", []),
        ("$.v[:10]", [1, 2, 3, 4, 5]),
        ("$.v[-10:2]", [1, 2]),
        ("$.v[4:1]", []),
    ],
)
def test_slices_and_negative_indexes(path: str, expected: Any) -> None:
    assert ev(path, {"v": [1, 2, 3, 4, 5]}) == expected


def test_indefinite_path_matching_nothing_is_an_empty_list_not_an_error() -> None:
    assert ev("$.nope[*]", {"a": 1}) == []
    assert ev("$..nope", {"a": {"b": 1}}) == []
    assert ev("$.a[?(@.x > 1)]", {"a": [{"x": 0}]}) == []


def test_deep_scan_visits_a_node_before_its_descendants() -> None:
    doc = {"x": {"x": 1}, "a": [{"x": 2}, {"b": {"x": 3}}]}
    assert ev("$..x", doc) == [{"x": 1}, 1, 2, 3]


def test_deep_scan_with_an_index_looks_into_every_array() -> None:
    assert ev("$..[0]", {"a": [[1, 2], 3], "b": {"c": [4]}}) == [[1, 2], 1, 4]


def test_wildcard_over_an_array_of_arrays() -> None:
    assert ev("$.a[*][1]", {"a": [[1, 2], [3, 4], [5]]}) == [2, 4]


def test_union_of_indexes_keeps_the_order_written() -> None:
    assert ev("$.a[2,0]", {"a": ["x", "y", "z"]}) == ["z", "x"]


def test_union_of_property_names_merges_them_into_one_object_as_jayway_does() -> None:
    # Jayway (PathToken.handleObjectProperty, multi-property leaf): one merged object, a definite path.
    assert ev("$['a','b']", {"a": 1, "b": 2, "c": 3}) == {"a": 1, "b": 2}


def test_filter_in_with_an_array_literal() -> None:
    # Jayway: [?(@.size in ['S', 'M'])]
    assert ev("$.a[?(@.p in [1, 5])].p", {"a": [{"p": 1}, {"p": 3}, {"p": 5}]}) == [1, 5]


def test_filter_on_length_of_a_member() -> None:
    assert ev("$.a[?(@.t.length() > 1)].n", {"a": [{"t": [1], "n": 1}, {"t": [1, 2], "n": 2}]}) == [2]


@pytest.mark.parametrize(
    ("path", "expected"),
    [("$.v.length()", 3), ("$.v.min()", 1.0), ("$.v.max()", 3.0), ("$.v.sum()", 6.0), ("$.v.avg()", 2.0)],
)
def test_path_functions(path: str, expected: Any) -> None:
    assert ev(path, {"v": [1, 2, 3]}) == expected


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ("$['a.b']", "a.b"),
        ("$['a b']", "a b"),
        ("$['a\\'b']", "a'b"),
        ('$["a\'b"]', "a'b"),
        ("$['[x]']", "[x]"),
        ("$['$']", "$"),
        ("$['']", ""),
        ("$.store\\.book", "store.book"),
        ("$.ünïcödé", "ünïcödé"),
        ("$['日本']", "日本"),
        ("$['0']", "0"),
        ("$.a-b", "a-b"),
    ],
)
def test_quoted_and_escaped_names(path: str, key: str) -> None:
    compiled = compile_path(path)
    assert compiled.definite
    assert compiled.keys == (key,)
    assert compiled.evaluate({key: 42}) == 42


def test_spec_example_with_several_escapes() -> None:
    compiled = compile_reference_path("$.foo\\@bar.baz\\[\\[.\\?pretty")
    assert compiled.keys == ("foo@bar", "baz[[", "?pretty")


def test_bracket_index_and_quoted_zero_differ() -> None:
    assert ev("$[0]", ["list"]) == "list"
    assert ev("$['0']", {"0": "object"}) == "object"


# ---------------------------------------------------------------- set (ResultPath)


def test_set_replaces_an_existing_field_and_leaves_the_input_unchanged() -> None:
    doc = {"a": {"b": 1, "c": [1, 2]}, "d": 4}
    snapshot = copy.deepcopy(doc)
    out = compile_reference_path("$.a.b").set(doc, {"new": True})
    assert out == {"a": {"b": {"new": True}, "c": [1, 2]}, "d": 4}
    assert doc == snapshot


def test_set_creates_intermediate_objects() -> None:
    doc = {"master": {"detail": [1, 2, 3]}}
    out = compile_reference_path("$.master.result.sum").set(doc, 6)
    assert out == {"master": {"detail": [1, 2, 3], "result": {"sum": 6}}}
    assert doc == {"master": {"detail": [1, 2, 3]}}


def test_set_on_dollar_replaces_everything() -> None:
    assert compile_reference_path("$").set({"a": 1}, [1]) == [1]


def test_set_into_an_array_element_copies_the_array() -> None:
    doc = {"l": [{"a": 1}, {"a": 2}]}
    out = compile_reference_path("$.l[1].a").set(doc, 9)
    assert out == {"l": [{"a": 1}, {"a": 9}]}
    assert doc == {"l": [{"a": 1}, {"a": 2}]}
    assert out["l"][0] is doc["l"][0]  # untouched parts are shared, not copied


def test_set_on_a_string_input_fails() -> None:
    with pytest.raises(ResultPathMatchFailure):
        compile_reference_path("$.x").set("input1", 1)


def test_set_through_a_scalar_fails() -> None:
    with pytest.raises(ResultPathMatchFailure):
        compile_reference_path("$.a.b").set({"a": 5}, 1)


def test_set_past_the_end_of_an_array_fails() -> None:
    with pytest.raises(ResultPathMatchFailure):
        compile_reference_path("$.l[5]").set({"l": [1]}, 1)


def test_set_on_an_indefinite_path_is_refused() -> None:
    with pytest.raises(TypeError, match="not a reference path"):
        compile_path("$.a[*]").set({"a": [1]}, 1)


@pytest.mark.parametrize("path", ["$.a[*]", "$..a", "$.a.length()", "$.a[0:1]", "$.a[?(@.x)]", "$.a[0,1]"])
def test_reference_paths_reject_indefinite_steps(path: str) -> None:
    with pytest.raises(PathSyntaxError, match="a reference path may only use '.name', \\['name'\\] and \\[index\\]"):
        compile_reference_path(path)


# ---------------------------------------------------------------- syntax errors


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("a.b", "a path must start with '\\$' at position 0"),
        ("$.", "a path must not end with '.' at position 2"),
        ("$[", "missing '\\]' at position 2"),
        ("$a", "unexpected character 'a' at position 1"),
        ("$.a[x]", "invalid array index \\[x\\] at position 4"),
        ("$.a[]", "empty brackets at position 4"),
        ("$.a[1:2:0]", "slice step must not be 0"),
        ("$.a[1:2:3:4]", "a slice has at most three parts"),
        ("$.a[?(@.x >)]", "invalid filter \\(unexpected end\\)"),
        ("$.a[?(@.x > 1]", "unterminated filter expression"),
        ("$.foo()", "unknown path function foo\\(\\)"),
        ("$.a.length().b", "a path function must come last"),
        ("$['a'", "expected '\\]' at position 5"),
        ("$['a", "unterminated quoted name"),
        ("$..", "'..' must be followed by a name, '\\*' or '\\['"),
        ("$.a\\", "a path must not end with a lone backslash"),
    ],
)
def test_syntax_errors_say_what_and_where(path: str, message: str) -> None:
    with pytest.raises(PathSyntaxError, match=message) as info:
        compile_path(path)
    assert info.value.text == path
    assert repr(path) in str(info.value)


def test_a_non_string_path_is_a_syntax_error() -> None:
    with pytest.raises(PathSyntaxError, match="a path must be a string"):
        compile_path(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------- $$ and $var sources


def test_value_paths_read_input_context_and_variables() -> None:
    env = Env({"a": 1}, {"v": {"x": [5, 6]}}, context={"Execution": {"Name": "run-1"}})
    assert compile_value_path("$.a").get(env) == 1
    assert compile_value_path("$$.Execution.Name").get(env) == "run-1"
    assert compile_value_path("$$").get(env) == {"Execution": {"Name": "run-1"}}
    assert compile_value_path("$v.x[1]").get(env) == 6
    assert compile_value_path("$v").get(env) == {"x": [5, 6]}


def test_an_undefined_variable_is_not_found() -> None:
    with pytest.raises(PathNotFound, match="The variable 'nope' is not defined"):
        compile_value_path("$nope.x").get(Env({}, {}))


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("$$.x", {"allow_context": False}, "this field cannot refer to the context object"),
        ("$v.x", {"allow_variables": False}, "this field cannot refer to a variable"),
        ("a", {}, "a path must start with '\\$'"),
    ],
)
def test_value_path_sources_can_be_refused(text: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(PathSyntaxError, match=message):
        compile_value_path(text, **kwargs)


# ---------------------------------------------------------------- property tests

KEY_CHARS = "abxyAB_09 .'[]$-ü\"@"
keys = st.text(alphabet=KEY_CHARS, min_size=1, max_size=4)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**9), 10**9)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(max_size=4)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)
json_objects = st.dictionaries(keys, json_values, max_size=5)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def render_key(draw: Any, key: str | int, length: int) -> str:
    """One path step for ``key``, in a drawn notation (dot, single or double quotes, negative index)."""
    if isinstance(key, int):
        if draw(st.booleans()):
            return f"[{key - length}]"
        return f"[{key}]"
    choices = ["single"]
    if '"' not in key:
        choices.append("double")
    if _IDENT.match(key):
        choices.append("dot")
    style = draw(st.sampled_from(choices))
    if style == "dot":
        return "." + key
    if style == "double":
        return '["' + key + '"]'
    return "['" + key.replace("'", "\\'") + "']"


@st.composite
def doc_and_definite_path(draw: Any, docs: Any = json_values) -> tuple[Any, str, list[str | int]]:
    doc = draw(docs)
    node = doc
    text = "$"
    walked: list[str | int] = []
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        key: str | int
        if isinstance(node, dict):
            key = draw(st.sampled_from(sorted(node)))
        else:
            key = draw(st.integers(0, len(node) - 1))
        text += render_key(draw, key, len(node) if isinstance(node, list) else 0)
        walked.append(key)
        node = node[key]  # type: ignore[index]
    return doc, text, walked


def walk(doc: Any, walked: list[str | int]) -> Any:
    node = doc
    for key in walked:
        node = node[key]
    return node


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON text (so True and 1, 1 and 1.0 are told apart)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@settings(max_examples=100, deadline=None)
@given(doc_and_definite_path())
def test_property_definite_path_equals_walking_the_keys(case: tuple[Any, str, list[str | int]]) -> None:
    doc, text, walked = case
    compiled = compile_path(text)
    assert compiled.definite
    assert [k for k in compiled.keys if isinstance(k, str)] == [k for k in walked if isinstance(k, str)]
    assert same_json(compiled.evaluate(doc), walk(doc, walked))


@settings(max_examples=100, deadline=None)
@given(doc_and_definite_path(), json_values)
def test_property_set_then_evaluate_round_trips(case: tuple[Any, str, list[str | int]], value: Any) -> None:
    doc, text, walked = case
    snapshot = copy.deepcopy(doc)
    path = compile_reference_path(text)
    out = path.set(doc, value)
    assert same_json(path.evaluate(out), value)
    assert same_json(doc, snapshot), "set must not change its input"
    # Putting the old value back gives the original document.
    assert same_json(path.set(out, walk(doc, walked)), snapshot)


@st.composite
def object_path_with_new_keys(draw: Any) -> tuple[Any, str, list[str]]:
    doc, text, walked = draw(doc_and_definite_path(json_objects))
    node = walk(doc, walked)
    if not isinstance(node, dict):
        text, node = "$", doc
    fresh = draw(st.lists(keys.filter(lambda k: k not in node), min_size=1, max_size=3, unique=True))
    return doc, text, fresh


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(object_path_with_new_keys(), json_values)
def test_property_set_creates_missing_intermediate_objects(case: tuple[Any, str, list[str]], value: Any) -> None:
    doc, base, fresh = case
    snapshot = copy.deepcopy(doc)
    path = compile_reference_path(base + "".join("['" + k.replace("'", "\\'") + "']" for k in fresh))
    out = path.set(doc, value)
    assert same_json(path.evaluate(out), value)
    assert same_json(doc, snapshot)
    # The first new key holds a chain of one-key objects ending in the value.
    created = compile_reference_path(base).evaluate(out)[fresh[0]]
    expected: Any = value
    for key in reversed(fresh[1:]):
        expected = {key: expected}
    assert same_json(created, expected)


# Documents whose keys hit the compared paths often.
ng_keys = st.sampled_from(["a", "b", "x"])
ng_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["s", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(ng_keys, children, max_size=3),
    max_leaves=14,
)


@functools.cache
def ng_compiled(path: str) -> Any:
    return ng_parse(path)


def ng_find(path: str, doc: Any) -> list[Any]:
    return [match.value for match in ng_compiled(path).find(doc)]


@settings(max_examples=100, deadline=None)
@given(ng_values)
def test_property_definite_path_agrees_with_jsonpath_ng(doc: Any) -> None:
    # jsonpath_ng returns [] where Jayway (a definite path) raises PathNotFound.
    expected = ng_find("$.a.b[0]", doc)
    compiled = compile_path("$.a.b[0]")
    if expected:
        assert same_json(compiled.evaluate(doc), expected[0])
    else:
        with pytest.raises(PathNotFound):
            compiled.evaluate(doc)


@settings(max_examples=100, deadline=None)
@given(ng_values)
def test_property_wildcard_agrees_with_jsonpath_ng(doc: Any) -> None:
    # Both return an object's values for [*] on an object, and nothing for scalars.
    assert same_json(compile_path("$.a[*]").evaluate(doc), ng_find("$.a[*]", doc))


@settings(max_examples=100, deadline=None)
@given(ng_values)
def test_property_deep_scan_agrees_with_jsonpath_ng(doc: Any) -> None:
    assert same_json(compile_path("$..x").evaluate(doc), ng_find("$..x", doc))
