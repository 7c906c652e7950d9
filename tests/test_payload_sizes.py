"""Payload-limit checks answered from size bounds (``aslrun.dataflow.PayloadSizes``).

The engine checks every state result against Step Functions' 256 KiB limit. It encodes a value only
when a bound on its size does not settle the question; these tests hold the bound to the one promise
that matters: the answer is always the answer of encoding the value (never a missed
``States.DataLimitExceeded``, never a false one), whatever the value and wherever it came from.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aslrun
from aslrun.dataflow import PayloadSizes, compile_template, exceeds_payload_limit, payload_size
from aslrun.expressions.access import Env

# Strings that encode to more bytes than characters: escapes, control characters, 2-, 3- and 4-byte UTF-8.
texts = st.text(alphabet=st.sampled_from(['a', '"', '\\', '\n', '\x01', 'é', '€', '😀', ' ']), max_size=12)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


def exact(value: Any, limit: int) -> bool:
    return exceeds_payload_limit(value, limit)


@given(values)
def test_a_bound_is_never_under_the_encoded_size(value: Any) -> None:
    sizes = PayloadSizes()
    bound = sizes.bound(value)
    if bound is not None:  # None: too big or too deep to walk, so the check encodes
        assert bound[0] >= payload_size(value)
        assert sizes.bound(value) == bound  # again, from what it remembers
    for limit in (payload_size(value) - 1, payload_size(value)):
        assert sizes.exceeds(value, limit=limit) is exact(value, limit)


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), values, max_size=3), st.data())
@settings(max_examples=200)
def test_a_template_result_is_measured_as_exactly_as_it_is_encoded(document: dict[str, Any], data: Any) -> None:
    template = compile_template({
        "copy.$": "$",
        "fixed": {"text": "é\n\"", "list": [1, None, "x"]},
        "nested": {"a.$": "$.a", "same.$": "$"},
        "intrinsic.$": "States.Array($.b, 1)",
        "wild.$": "$.c[*]",
    })
    env = Env(dict(document, a=document.get("a"), b=document.get("b"), c=data.draw(st.lists(values, max_size=3))))
    result = template.evaluate(env)
    size = payload_size(result)
    sizes = PayloadSizes()
    measured = template.measure(result, sizes)
    assert measured is None or measured[0] >= size  # None: a huge integer, say; the check encodes
    for limit in (size - 1, size):
        assert sizes.exceeds(result, template, limit=limit) is exact(result, limit)


def test_a_value_the_template_did_not_build_is_measured_by_encoding() -> None:
    template = compile_template({"a.$": "$.a", "fixed": 1})
    sizes = PayloadSizes()
    assert template.measure({"a": 1, "fixed": 2}, sizes) is None  # another constant
    assert template.measure({"a": 1, "fixed": 1, "b": 2}, sizes) is None  # another key
    assert template.measure([1], sizes) is None
    wrong = {"a": "x" * 100, "fixed": 2}
    assert sizes.exceeds(wrong, template, limit=50) is True


def run_pass(parameters: dict[str, Any], input_value: Any) -> aslrun.ExecutionResult:
    definition = {"StartAt": "Build", "States": {"Build": {"Type": "Pass", "Parameters": parameters, "End": True}}}
    return aslrun.Interpreter(clock="virtual", load_plugins=False).run(definition, input_value)


def test_a_result_built_from_paths_over_256_kib_fails_the_state() -> None:
    # each half fits; together they pass the limit
    result = run_pass({"a.$": "$.text", "b.$": "$.text"}, {"text": "x" * 140_000})
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"
    assert result.cause == ("The state/task 'Build' returned a result with a size exceeding the maximum number of "
                            "bytes service limit.")


def test_a_result_just_under_256_kib_whose_bound_is_over_it_passes() -> None:
    # "€" is 3 bytes of UTF-8, so the bound (6 bytes a character) is over the limit and the check encodes
    text = "€" * 87_000
    result = run_pass({"a.$": "$.text"}, {"text": text})
    assert payload_size(result.output) <= 262_144 < 6 * len(text)
    assert result.status == "SUCCEEDED"
    assert result.output == {"a": text}


@pytest.mark.parametrize("copies, status", [(1, "SUCCEEDED"), (3, "FAILED")])
def test_a_subtree_passed_on_unchanged_counts_every_time_it_is_copied(copies: int, status: str) -> None:
    document = {"items": [{"sku": "é" * 10_000, "n": i} for i in range(5)]}  # about 100 KiB
    result = run_pass({f"c{i}.$": "$.items" for i in range(copies)}, document)
    assert result.status == status
