"""The fuzz suite (issue 14): hostile definitions and inputs never crash aslrun.

The contract, for any definition and input that can be written as JSON: ``aslrun.load``,
``aslrun.run`` and ``Interpreter(...).run`` either raise one of aslrun's documented errors
(:class:`aslrun.AslrunError` and its subclasses) or return a result whose status is SUCCEEDED,
FAILED, TIMED_OUT or ABORTED; every run ends. Through the CLI (``aslrun run FILE --json --input
@file``) the exit code is 0, 1 or 2, nothing prints a traceback, and stdout is exactly one JSON
object that a strict (RFC 8259) parser reads.

What is generated: valid machines of every state type (:mod:`aslrun.testing.strategies`, and
JSONata machines built here); the same machines mutated (a field given a value of the wrong type
or an extreme number, a required field dropped, an unknown or misplaced field added); hostile
inputs (thousands of levels deep, 5,000-digit integers, floats at the extremes, lone surrogates,
NUL and RTL marks, strings around the 256 KiB payload limit, many keys); hostile expressions
(JSONPath, intrinsic functions, JSONata).

Everything runs on the virtual clock. Infinite loops end at the 25,000-event history limit;
each example also gets a CPU-time budget (``ASLRUN_FUZZ_EXAMPLE_SECONDS``, default 20), so a
hang fails as that example rather than as the whole test.

Examples per test come from ``ASLRUN_FUZZ_EXAMPLES`` (default 30: the file takes well under a
minute); runs are derandomized and use no example database, so CI is reproducible. A long run::

    ASLRUN_FUZZ_EXAMPLES=40000 .venv/bin/python -m pytest tests/test_fuzz.py -p no:cacheprovider

``ASLRUN_FUZZ_RANDOM=1`` draws fresh random examples instead of the derandomized ones.

Huge and deep values are :class:`Built` placeholders in generated examples, so a failing example
prints as a short Python expression (``deep(5000, 'list')``, ``big_int(5000)``) that rebuilds it.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import aslrun
from aslrun.cli.main import cli
from aslrun.integrations.mock import MockConfig
from aslrun.testing import strategies as asl

EXAMPLES = int(os.environ.get("ASLRUN_FUZZ_EXAMPLES", "30"))
EXAMPLE_SECONDS = float(os.environ.get("ASLRUN_FUZZ_EXAMPLE_SECONDS", "20"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=os.environ.get("ASLRUN_FUZZ_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
)
#: the CLI is slower per example; it runs on a sample
CLI_FUZZ = settings(FUZZ, max_examples=max(6, EXAMPLES // 2))

STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
MACHINE = "StateMachine"
TEST_CASE = "Generated"
PAYLOAD_LIMIT = 256 * 1024
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


# ---------------------------------------------------------------- printable placeholders for huge values


class Built:
    """A value too big or too deep to print, shown as the expression that builds it."""

    def __init__(self, expr: str, make: Callable[[], Any]) -> None:
        self.expr = expr
        self.make = make

    def __repr__(self) -> str:
        return self.expr


def deep(depth: int, kind: str = "list", leaf: Any = 1) -> Any:
    """``leaf`` wrapped ``depth`` times in lists, objects or both alternately (built without recursion)."""
    value = leaf
    for level in range(depth):
        as_list = kind == "list" or (kind == "mixed" and level % 2 == 0)
        value = [value] if as_list else {"a": value}
    return value


def big_int(digits: int, sign: int = 1) -> int:
    """An integer of ``digits`` nines (beyond Python's 4,300-digit str conversion limit from 4,301)."""
    return sign * (10**digits - 1)


def many_keys(count: int) -> dict[str, int]:
    """An object with ``count`` keys."""
    return {f"k{i}": i for i in range(count)}


def built(expr: str) -> Built:
    return Built(expr, lambda: eval(expr))  # the expression only ever comes from this module's constants


def materialize(value: Any) -> Any:
    """``value`` with every :class:`Built` placeholder replaced by what it builds (fresh each time)."""
    if isinstance(value, Built):
        return value.make()
    if isinstance(value, dict):
        return {materialize(k): materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v) for v in value]
    return value


# ---------------------------------------------------------------- hostile values

EXTREME_NUMBERS: list[Any] = [
    0, -1, 1, 2**31, 2**53 + 1, -(2**63), 2**64, 0.5, -0.0, 1e-7, 1e308, -1e308, 5e-324, -5e-324,
    1.7976931348623157e308, 2.2250738585072014e-308,
    built("10**400"), built("-(10**400)"), built("big_int(4300)"), built("big_int(4301)"),
    built("big_int(5000, -1)"),
]
ODD_STRINGS: list[Any] = [
    "", " ", "\x00", "a\x00b", "\udfff", "\ud800", "x\ud83dy", "\ud83d\ude00", "\u202eevil\u202c", "\u200f\u200e",
    "\ufeff", "\U0001f600", "\U0010ffff", "\uffff", "e\u0301\u0301\u0301", "\u0000\u0001\u001f\u007f",
    "$", "$.", "$$", "{}", "{", "'", "\\", '"', "States.ALL", "{% %}", "{% $states.input %}",
    built("'x' * (256 * 1024 - 64)"), built("'x' * (256 * 1024)"), built("'x' * (256 * 1024 + 1)"),
    built("'\\u00e9' * (128 * 1024 + 1)"), built("'\\U0001f600' * 70000"),
]
#: any code point, surrogates included (hypothesis leaves them out by default)
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=16)
DEEP = st.builds(
    lambda depth, kind, leaf: built(f"deep({depth}, {kind!r}, {leaf!r})"),
    st.sampled_from([100, 999, 1000, 1001, 2000, 3000, 5000]),
    st.sampled_from(["list", "dict", "mixed"]),
    st.sampled_from([1, "x", None, {}, []]),
)
WIDE = st.sampled_from([
    built("many_keys(1000)"), built("many_keys(20000)"), built("list(range(30000))"),
    built("['x' * 1000] * 300"), built("{'\\udfff' + str(i): i for i in range(100)}"),
])
HOSTILE_SCALARS = st.one_of(
    st.sampled_from(EXTREME_NUMBERS), st.sampled_from(ODD_STRINGS), ANY_TEXT,
    st.floats(allow_nan=False, allow_infinity=False), st.integers(), st.booleans(), st.none(),
)


def hostile_values() -> st.SearchStrategy[Any]:
    """JSON values with hostile parts: extreme numbers, odd text, deep or wide containers."""
    keys = st.one_of(ANY_TEXT, st.sampled_from(["", "a", "\x00", "\udfff", "$", "items", "num", "text"]))
    return st.recursive(
        HOSTILE_SCALARS | DEEP | WIDE,
        lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
        max_leaves=5,
    )


def hostile_inputs() -> st.SearchStrategy[Any]:
    """Execution inputs: hostile values, mostly objects (what machines read fields from)."""
    fields = st.fixed_dictionaries({}, optional={name: hostile_values() for name in
                                                 ("a", "n", "s", "items", "num", "text", "flag", "when", "delay")})
    return st.one_of(fields, hostile_values(), DEEP, WIDE)


# ---------------------------------------------------------------- machines: valid, JSONata, mutated


def with_mock(machine_strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[tuple[Any, Any]]:
    """``(machine, mock config)`` where the config mocks every Task state of the machine."""
    return machine_strategy.flatmap(lambda m: st.tuples(st.just(m), asl.mock_configs(m, machine_name=MACHINE,
                                                                                      test_case=TEST_CASE)))


def valid_jsonpath_cases() -> st.SearchStrategy[tuple[Any, Any, Any]]:
    """``(machine, input, mock config)`` from :mod:`aslrun.testing.strategies`."""
    return asl.state_machines(max_states=4, max_depth=2).flatmap(
        lambda m: st.tuples(st.just(m), asl.machine_inputs(m),
                            asl.mock_configs(m, machine_name=MACHINE, test_case=TEST_CASE)))


JSONATA_VALID = [
    "{% $states.input %}", "{% $states.input.num %}", "{% $states.input.num + 1 %}", "{% 42 %}", "{% 'text' %}",
    "{% $states.context.Execution.Name %}", "{% [1, 2, 3] %}", "{% {'a': $states.input} %}", "{% $count([1]) %}",
    "{% $string($states.input) %}", "{% $states.result %}", "{% $v %}", "{% $exists($v) ? $v : 0 %}",
]
JSONATA_HOSTILE = [
    "{% %}", "{% $ %}", "{% $states %}", "{% 1/0 %}", "{% $power(10, 400) %}", "{% 1e308 * 10 %}",
    "{% $number('1e400') %}", "{% $string(1e308 * 1e308) %}", "{% $formatNumber(1e308, '#') %}",
    "{% 99999999999999999999999 * 99999999999999999999999 %}", "{% [1..100000] %}", "{% $count([1..10000000]) %}",
    "{% $range(0, 1000000000, 1) %}", "{% $partition([1, 2], 0) %}", "{% $hash('x', 'NOPE') %}",
    "{% $parse('{\"a\":') %}", "{% $parse($states.input.s) %}", "{% $eval('1 +') %}", "{% $undefinedVar %}",
    "{% ($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000)) %}",
    "{% $states.input.a.b.c.d %}", "{% $states.input.** %}", "{% $string($states.input) %}",
    "{% $states.input ~> $string() ~> $parse() %}", "{% $random() %}", "{% $toMillis('not a time') %}",
    "{% $substring('abc', 1e308) %}", "{% $pad('x', 1000000000) %}", "{% $split('abc', '') %}",
    "{% $states.input.'\udfff' %}", "{% '\x00' %}", "{% $lookup({}, '') %}", "{% $millis() %}",
    "{% " + "(" * 3000 + "1" + ")" * 3000 + " %}", "{% " + "[" * 2000 + "]" * 2000 + " %}",
    "{% " + " + ".join(["1"] * 5000) + " %}",
]
JSONATA_EXPRESSIONS = st.sampled_from(JSONATA_VALID) | st.sampled_from(JSONATA_HOSTILE)


@st.composite
def jsonata_machines(draw: Any, depth: int = 1, hostile: bool = False) -> dict[str, Any]:
    """JSONata machines: a forward chain of every state type, expressions from the pools above."""
    expr = JSONATA_EXPRESSIONS if hostile else st.sampled_from(JSONATA_VALID)
    kinds = ["Pass", "Task", "Choice", "Wait", "Succeed", "Fail"] + (["Parallel", "Map"] if depth > 0 else [])
    chain = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=4))
    names = [f"{kind}{i}" for i, kind in enumerate(chain)] + ["Done"]
    states: dict[str, Any] = {}
    for i, kind in enumerate(chain):
        name, after = names[i], names[i + 1]
        state: dict[str, Any] = {"Type": kind}
        if kind in ("Succeed", "Fail"):
            if kind == "Fail":
                state.update(Error=draw(st.sampled_from(["Custom.Alpha", "{% 'Dyn' %}"]) | expr), Cause=draw(expr))
            states[name] = state
            names[i + 1:] = []
            break
        if kind == "Choice":
            state["Choices"] = [{"Condition": draw(expr | st.just("{% true %}")), "Next": after,
                                 **({"Output": draw(expr)} if draw(st.booleans()) else {})}]
            state["Default"] = after
        else:
            state["Next"] = after
        if kind == "Pass" and draw(st.booleans()):
            state["Output"] = draw(expr)
        if kind == "Task":
            state["Resource"] = "arn:aws:states:::lambda:invoke"
            state["Arguments"] = {"FunctionName": "f", "Payload": draw(expr)}
            if draw(st.booleans()):
                state["Retry"] = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": draw(st.integers(0, 3)),
                                   "IntervalSeconds": draw(st.integers(1, 5))}]
            if draw(st.booleans()):
                state["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": after, "Output": draw(expr)}]
        if kind == "Wait":
            state["Seconds"] = draw(st.integers(0, 10) | expr)
        if kind == "Parallel":
            state["Branches"] = [draw(jsonata_machines(depth - 1, hostile))]
        if kind == "Map":
            state["Items"] = draw(st.just("{% [1, 2] %}") | expr)
            state["ItemProcessor"] = draw(jsonata_machines(depth - 1, hostile))
        if kind not in ("Choice",) and draw(st.booleans()):
            state["Assign"] = {"v": draw(expr)}
        states[name] = state
    if "Done" in names:
        states["Done"] = {"Type": "Succeed"}
    machine = {"QueryLanguage": "JSONata", "StartAt": names[0], "States": states}
    if depth < 1:  # a branch or processor: QueryLanguage only at the top
        del machine["QueryLanguage"]
    return machine


def jsonata_cases(hostile: bool = False) -> st.SearchStrategy[tuple[Any, Any, Any]]:
    inputs = hostile_inputs() if hostile else asl.json_objects(max_leaves=4)
    return jsonata_machines(hostile=hostile).flatmap(lambda m: st.tuples(
        st.just(m), inputs, asl.mock_configs(m, machine_name=MACHINE, test_case=TEST_CASE)))


#: fields whose values are numbers in ASL, to be given extreme or wrong-typed values
NUMERIC_FIELDS = ["IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "TimeoutSeconds",
                  "HeartbeatSeconds", "Seconds", "MaxConcurrency", "ToleratedFailurePercentage",
                  "ToleratedFailureCount", "MaxItemsPerBatch", "MaxInputBytesPerBatch", "MaxItems"]
#: every ASL field name, to be added where it does not belong
ASL_FIELDS = NUMERIC_FIELDS + [
    "Type", "Next", "End", "Comment", "StartAt", "States", "Version", "QueryLanguage", "InputPath", "OutputPath",
    "ResultPath", "Parameters", "ResultSelector", "Retry", "Catch", "Resource", "Choices", "Default", "Branches",
    "Iterator", "ItemProcessor", "ProcessorConfig", "ItemsPath", "ItemSelector", "ItemReader", "ItemBatcher",
    "ResultWriter", "Items", "Arguments", "Output", "Assign", "Condition", "Variable", "Error", "Cause",
    "ErrorPath", "CausePath", "SecondsPath", "Timestamp", "TimestampPath", "TimeoutSecondsPath",
    "HeartbeatSecondsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
    "Credentials", "Label", "JitterStrategy", "ErrorEquals", "Not", "And", "Or", "NumericEquals",
    "StringMatches", "TimestampEquals", "IsPresent",
]
WRONG_VALUES = st.one_of(
    st.sampled_from(EXTREME_NUMBERS), st.sampled_from(ODD_STRINGS[:28]),
    st.sampled_from([{}, [], [{}], {"a": 1}, ["x"], True, False, None, [[]], {"ErrorEquals": []}]),
    st.sampled_from(JSONATA_HOSTILE[:12]),
    st.sampled_from(["$..a", "$[*]", "$.items", "$.num", "States.JsonToString($)", "States.Format('{}')",
                     "2016-03-14T01:59:00Z", "9999-12-31T23:59:59Z", "not a timestamp", "FULL", "NONE"]),
    DEEP,
)
HOSTILE_RETRY = st.fixed_dictionaries(
    {"ErrorEquals": st.just(["States.ALL"])},
    optional={"IntervalSeconds": st.sampled_from(EXTREME_NUMBERS), "MaxAttempts": st.sampled_from(EXTREME_NUMBERS),
              "BackoffRate": st.sampled_from(EXTREME_NUMBERS + [1.0, 2.0, 1e308]),
              "MaxDelaySeconds": st.sampled_from(EXTREME_NUMBERS), "JitterStrategy": st.sampled_from(["FULL", "NONE"])},
)


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``node`` (dict keys and list indexes), the root first."""
    out, stack = [], [(path, node)]
    while stack:
        here, value = stack.pop()
        out.append(here)
        if isinstance(value, dict):
            stack.extend((here + (k,), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((here + (i,), v) for i, v in enumerate(value))
    return out


def _at(node: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        node = node[step]
    return node


@st.composite
def mutated(draw: Any, machines: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A machine from ``machines`` with 1 to 3 random mutations."""
    machine = copy.deepcopy(draw(machines))
    for _ in range(draw(st.integers(1, 3))):
        places = _places(machine)
        path = draw(st.sampled_from(places))
        target = _at(machine, path)
        op = draw(st.sampled_from(["replace", "replace", "drop", "add", "numeric", "retry"]))
        if op == "replace" and path:
            _at(machine, path[:-1])[path[-1]] = draw(WRONG_VALUES)
        elif op == "drop" and path and isinstance(_at(machine, path[:-1]), dict):
            del _at(machine, path[:-1])[path[-1]]
        elif op == "add" and isinstance(target, dict):
            key = draw(st.sampled_from(ASL_FIELDS) | ANY_TEXT)
            target[key] = draw(WRONG_VALUES | st.sampled_from([[], "Done", "P", "$", "$.x", True]))
        elif op == "numeric" and isinstance(target, dict):
            target[draw(st.sampled_from(NUMERIC_FIELDS))] = draw(WRONG_VALUES | st.sampled_from(EXTREME_NUMBERS))
        elif op == "retry" and isinstance(target, dict) and target.get("Type") in ("Task", "Parallel", "Map"):
            target["Retry"] = [draw(HOSTILE_RETRY)]
    return machine


def mutated_cases() -> st.SearchStrategy[tuple[Any, Any, Any]]:
    """``(mutated machine, input, mock config)``; input and mocks come from the machine before mutation."""
    originals = asl.state_machines(max_states=4, max_depth=2) | jsonata_machines()
    return originals.flatmap(lambda m: st.tuples(
        mutated(st.just(m)), asl.machine_inputs(m) | hostile_inputs(),
        asl.mock_configs(m, machine_name=MACHINE, test_case=TEST_CASE)))


#: one minimal valid state of each type (the Task named "S" is mocked); fields are set on them one by one
TEMPLATES: dict[str, dict[str, Any]] = {
    "Pass": {"Type": "Pass", "End": True},
    "Task": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True},
    "Choice": {"Type": "Choice", "Choices": [{"Variable": "$.num", "NumericEquals": 1, "Next": "Done"}],
               "Default": "Done"},
    "JSONataChoice": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "Done"}], "Default": "Done"},
    "Wait": {"Type": "Wait", "Seconds": 1, "End": True},
    "Succeed": {"Type": "Succeed"},
    "Fail": {"Type": "Fail", "Error": "Custom.Alpha", "Cause": "x"},
    "Parallel": {"Type": "Parallel", "Branches": [PASS], "End": True},
    "Map": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": PASS, "End": True},
    "DistributedMap": {"Type": "Map", "ItemsPath": "$.items", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **PASS}},
}
#: the fields each template is most likely to mishandle
TEMPLATE_FIELDS = {
    "Wait": ["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
    "Task": ["TimeoutSeconds", "HeartbeatSeconds", "TimeoutSecondsPath", "HeartbeatSecondsPath", "Retry", "Catch",
             "Parameters", "Arguments", "ResultSelector", "Credentials"],
    "Map": ["MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailurePercentage", "ToleratedFailureCount",
            "ItemSelector", "ItemBatcher", "ItemReader", "ResultWriter", "Items", "Retry"],
    "DistributedMap": ["MaxConcurrency", "ToleratedFailurePercentage", "ToleratedFailureCount",
                       "ToleratedFailurePercentagePath", "ToleratedFailureCountPath", "ItemBatcher", "Label"],
    "Fail": ["Error", "Cause", "ErrorPath", "CausePath"],
    "Parallel": ["Retry", "Catch", "ResultSelector"],
}
FIELD_VALUES = st.one_of(
    st.sampled_from(EXTREME_NUMBERS), st.sampled_from(EXTREME_NUMBERS[-5:]), WRONG_VALUES,
    HOSTILE_RETRY.map(lambda r: [r]),
    st.sampled_from([[{"ErrorEquals": ["States.ALL"], "Next": "Done"}], {"MaxItemsPerBatch": 10**400},
                     {"MaxInputBytesPerBatch": -1}, "$.num", "$.items", "{% $states.input.num %}",
                     "{% 1e308 * 10 %}", "{% $power(10, 400) %}"]),
)


@st.composite
def template_cases(draw: Any) -> tuple[dict[str, Any], Any, Any]:
    """``(machine, input, mock config)``: a one-state machine with one to three fields set to hostile values."""
    kind = draw(st.sampled_from(sorted(TEMPLATES)))
    state = copy.deepcopy(TEMPLATES[kind])
    jsonata = kind == "JSONataChoice" or draw(st.booleans())
    fields = st.sampled_from(TEMPLATE_FIELDS.get(kind, ["Comment"]))
    for _ in range(draw(st.integers(1, 3))):
        state[draw(fields | fields | st.sampled_from(NUMERIC_FIELDS) | st.sampled_from(ASL_FIELDS))] = \
            draw(FIELD_VALUES)
    machine: dict[str, Any] = {"StartAt": "S", "States": {"S": state, "Done": {"Type": "Succeed"}}}
    if jsonata:
        machine["QueryLanguage"] = "JSONata"
    if draw(st.booleans()):
        machine[draw(st.sampled_from(["TimeoutSeconds", "Version", "Comment", "QueryLanguage"]))] = draw(FIELD_VALUES)
    document = draw(st.fixed_dictionaries({"num": st.just(1) | st.sampled_from(EXTREME_NUMBERS),
                                           "items": st.just([1, 2]) | st.lists(hostile_values(), max_size=3)},
                                          optional={"a": hostile_values()}))
    first = draw(st.sampled_from([{"Throw": {"Error": "Custom.Alpha", "Cause": "x"}}, {"Return": {"a": 1}},
                                  {"Return": built("deep(3000)")}, {"Return": built("10**400")}]))
    config = {"StateMachines": {MACHINE: {"TestCases": {TEST_CASE: {"S": "R"}}}},
              "MockedResponses": {"R": {"0": first, "1-999": {"Return": {"a": 1}}}}}
    return machine, document, config


#: a Parallel whose branch always fails, retried with hostile Retry fields (reaches the backoff arithmetic)
def retry_machine(retrier: dict[str, Any]) -> dict[str, Any]:
    branch = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Custom.Alpha"}}}
    return {"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": [branch], "Retry": [retrier],
                                                 "End": True}}}


# ---------------------------------------------------------------- hostile expressions

JSONPATHS = [
    "$", "$$", "$..a", "$..*", "$[*]", "$.*", "$.a[?(@.b > 1)]", "$[?(@ == 1)]", "$['\udfff']", "$['\x00']",
    "$[-1]", "$[99999999999999999999]", "$[0:99999999999999999999:1]", "$[::-1]", "$[::0]", "$.length()",
    "$..a..b..c", "$$.Execution.Input", "$$.Execution.Input..a", "$.a.b.c.d.e", "$['a','b']", "$[0,1,2]",
    "$[(@.length-1)]", "$.", "$..", "$[", "$[']", "a.b", "", "$.\u202e", "$.items[*].a",
    "$" + ".a" * 5000, "$" + "[0]" * 5000, "$" + "..a" * 200,
]
INTRINSIC_ARGS = st.sampled_from([
    "$", "$.a", "$.n", "$.s", "$.items", "$$", "$$.Execution.Input", "'x'", "''", "'{}'", "'\\u0000'", "'\\''",
    "1", "-1", "0", "1.5", "1e308", "-1e308", "5e-324", "99999999999999999999", "1" + "0" * 400, "9" * 4301,
    "null", "true", "'SHA-512'", "'SHA-1'", "'MD5'", "'a,b'", "'{\"a\":1}'", "'NaN'", "'1e999'",
])
INTRINSIC_NAMES = [
    "States.Format", "States.StringToJson", "States.JsonToString", "States.Array", "States.ArrayPartition",
    "States.ArrayContains", "States.ArrayRange", "States.ArrayGetItem", "States.ArrayLength", "States.ArrayUnique",
    "States.Base64Encode", "States.Base64Decode", "States.Hash", "States.JsonMerge", "States.MathRandom",
    "States.MathAdd", "States.StringSplit", "States.UUID", "States.Nope",
]
INTRINSIC_CALLS = st.recursive(
    INTRINSIC_ARGS,
    lambda args: st.builds(lambda name, xs: f"{name}({', '.join(xs)})", st.sampled_from(INTRINSIC_NAMES),
                           st.lists(args, max_size=4)),
    max_leaves=6,
).filter(lambda text: text.startswith("States.")) | st.sampled_from([
    "States.JsonToString($)", "States.MathAdd(" + "9" * 4301 + ", 1)", "States.MathAdd(1e308, 1e308)",
    "States.MathAdd($.n, $.n)", "States.ArrayRange(0, 1000000000, 1)", "States.ArrayRange(0, 1e308, 1e-300)",
    "States.Format('" + "{}" * 2000 + "', " + ", ".join(["1"] * 2000) + ")", "States.Format($.s, $.s, $.s)",
    "States.StringToJson($.s)", "States.Hash($.s, 'SHA-256')", "States.Base64Encode($.s)",
    "States.ArrayPartition($.items, 0)", "States.ArrayPartition($.items, 99999999999999999999)",
    "States.ArrayGetItem($.items, 99999999999999999999)", "States.MathRandom(0, " + "9" * 400 + ")",
    "States.Array(" * 1000 + ")" * 1000, "States.JsonMerge($, $, true)", "States.StringSplit($.s, '')",
])


@st.composite
def expression_cases(draw: Any) -> tuple[dict[str, Any], Any]:
    """A small JSONPath machine that evaluates one hostile JSONPath or intrinsic expression."""
    path = draw(st.sampled_from(JSONPATHS))
    call = draw(INTRINSIC_CALLS)
    where = draw(st.sampled_from(["InputPath", "OutputPath", "ResultPath", "Parameters", "Assign", "ResultSelector",
                                  "Choice", "Wait", "Fail", "Map", "Intrinsic", "AssignIntrinsic"]))
    end: dict[str, Any] = {"End": True}
    state: dict[str, Any] = {"Type": "Pass", **end}
    if where in ("InputPath", "OutputPath", "ResultPath"):
        state[where] = path
    elif where == "Parameters":
        state["Parameters"] = {"x.$": path}
    elif where == "Assign":
        state["Assign"] = {"x.$": path}
    elif where == "ResultSelector":
        state = {"Type": "Parallel", "Branches": [PASS], "ResultSelector": {"x.$": path}, **end}
    elif where == "Choice":
        op = draw(st.sampled_from(["IsPresent", "NumericEquals", "StringEquals", "IsString"]))
        rule = {"Variable": path, op: {"IsPresent": True, "NumericEquals": 1, "StringEquals": "x",
                                       "IsString": True}[op], "Next": "Done"}
        state = {"Type": "Choice", "Choices": [rule], "Default": "Done"}
    elif where == "Wait":
        state = {"Type": "Wait", draw(st.sampled_from(["SecondsPath", "TimestampPath"])): path, **end}
    elif where == "Fail":
        state = {"Type": "Fail", draw(st.sampled_from(["ErrorPath", "CausePath"])): path}
    elif where == "Map":
        state = {"Type": "Map", "ItemsPath": path, "ItemProcessor": PASS, **end}
    elif where == "Intrinsic":
        state["Parameters"] = {"x.$": call}
    else:
        state["Assign"] = {"x.$": call}
    machine = {"StartAt": "S", "States": {"S": state, "Done": {"Type": "Succeed"}}}
    if where != "Choice":
        del machine["States"]["Done"]
    document = draw(st.fixed_dictionaries({}, optional={
        "a": hostile_values(), "n": st.sampled_from(EXTREME_NUMBERS),
        "s": st.sampled_from(ODD_STRINGS) | st.sampled_from(["NaN", "1e999", "[" * 3000 + "]" * 3000,
                                                             "{\"a\":" * 3000 + "1" + "}" * 3000, "9" * 5000]),
        "items": st.lists(hostile_values(), max_size=3) | DEEP,
    }))
    return machine, document


# ---------------------------------------------------------------- checking the contract


class ExampleHung(Exception):
    """One example used up its CPU-time budget."""


@contextlib.contextmanager
def time_budget(seconds: float = EXAMPLE_SECONDS) -> Iterator[None]:
    """Fail an example that runs longer than ``seconds`` of CPU time (SIGPROF; pytest-timeout keeps SIGALRM)."""
    fired: list[bool] = []

    def on_timer(signum: int, frame: Any) -> None:
        fired.append(True)
        raise ExampleHung(f"the example still ran after {seconds} s of CPU time")

    previous = signal.signal(signal.SIGPROF, on_timer)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    if fired:  # the exception was raised inside aslrun and swallowed there
        raise ExampleHung(f"the example ran past its {seconds} s CPU budget")
    if time.monotonic() - started > 3 * seconds:
        raise ExampleHung(f"the example took {time.monotonic() - started:.0f} s of real time")


@contextlib.contextmanager
def same_recursion_limit() -> Iterator[None]:
    """Put the recursion limit back after each example, so every example meets the same one.

    jsonata-python raises the process's limit to 10,000 the first time it runs (issue 14); the
    contract that aslrun does not let it is asserted once, in a fresh process, by
    :func:`test_running_jsonata_keeps_the_recursion_limit`.
    """
    limit = sys.getrecursionlimit()
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def mock_case(config: Any) -> Any:
    return MockConfig.load(materialize(config)).test_case(MACHINE, TEST_CASE) if config is not None else None


def check_run(definition: Any, document: Any, config: Any = None, *, via: str = "interpreter") -> None:
    """Load and run through the public API; only aslrun's errors may come out, and the run must end.

    Any other exception propagates as is, so hypothesis reports each distinct crash (type and
    place) separately.
    """
    definition, document = materialize(definition), materialize(document)
    with time_budget(), same_recursion_limit():
        try:
            if via == "run":
                result = aslrun.run(definition, document, name=None, clock="virtual", load_plugins=False, seed=0,
                                    mock=mock_case(config))
            else:
                machine = aslrun.load(definition, name=MACHINE)
                with aslrun.Interpreter(clock="virtual", load_plugins=False, seed=0, mock=mock_case(config)) as it:
                    result = it.run(machine, document)
        except aslrun.AslrunError:
            return
    assert result.status in STATUSES, result.status


VIA = st.sampled_from(["interpreter", "run"])


# ---------------------------------------------------------------- the API


@FUZZ
@given(valid_jsonpath_cases(), VIA)
def test_valid_machines_run_to_a_status(case: tuple[Any, Any, Any], via: str) -> None:
    machine, document, config = case
    check_run(machine, document, config, via=via)


@FUZZ
@given(jsonata_cases(), VIA)
def test_valid_jsonata_machines_run_to_a_status(case: tuple[Any, Any, Any], via: str) -> None:
    machine, document, config = case
    check_run(machine, document, config, via=via)


@FUZZ
@given(mutated_cases(), VIA)
def test_mutated_machines_load_or_fail_cleanly(case: tuple[Any, Any, Any], via: str) -> None:
    machine, document, config = case
    check_run(machine, document, config, via=via)


@FUZZ
@given(template_cases(), VIA)
def test_every_state_type_with_hostile_fields_never_crashes(case: tuple[Any, Any, Any], via: str) -> None:
    machine, document, config = case
    check_run(machine, document, config, via=via)


@FUZZ
@given(HOSTILE_RETRY)
def test_hostile_retry_fields_never_crash(retrier: dict[str, Any]) -> None:
    check_run(retry_machine(retrier), {})


@FUZZ
@given(st.sampled_from(["pass", "copy", "jsonata", "assign", "map", "valid"]), hostile_inputs(),
       asl.state_machines(max_states=3, max_depth=1, tasks=False))
def test_hostile_inputs_never_crash(shape: str, document: Any, machine: dict[str, Any]) -> None:
    definition = {
        "pass": PASS,
        "copy": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"all.$": "$", "ctx.$": "$$"},
                                                   "ResultPath": "$.copy", "End": True}}},
        "jsonata": {"QueryLanguage": "JSONata", "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}}},
        "assign": {"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"v.$": "$"}, "End": True}}},
        "map": {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": PASS,
                                                 "End": True}}},
        "valid": machine,
    }[shape]
    check_run(definition, document)


@FUZZ
@given(expression_cases(), VIA)
def test_hostile_expressions_never_crash(case: tuple[dict[str, Any], Any], via: str) -> None:
    machine, document = case
    check_run(machine, document, via=via)


@FUZZ
@given(jsonata_cases(hostile=True), VIA)
def test_hostile_jsonata_machines_never_crash(case: tuple[Any, Any, Any], via: str) -> None:
    machine, document, config = case
    check_run(machine, document, config, via=via)


DEFINITION_TEXTS = [
    '{"StartAt":"P","Comment":' + "[" * 3000 + "]" * 3000 + ',"States":{"P":{"Type":"Pass","End":true}}}',
    '{"StartAt":"P","Comment":' + '{"a":' * 3000 + "1" + "}" * 3000 + ',"States":{"P":{"Type":"Pass","End":true}}}',
    '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":' + "9" * 5000 + ',"End":true}}}',
    '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1e999,"End":true}}}',
    '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":NaN,"End":true}}}',
    '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"\\udfff","End":true}}}',
    '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"\\u0000","End":true}}}',
    '{"StartAt":"P","States":{"P":{"Type":"Wait","Seconds":' + "9" * 400 + ',"End":true}}}',
    '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}},"StartAt":"Q"}',
    '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true},"P":{"Type":"Fail"}}}',
    "\ufeff" + json.dumps(PASS),
    "{" + "\n" * 5000 + "}",
    "StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: " + "[" * 3000 + "]" * 3000 + "\n    End: true\n",
    "StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: !!python/object:os.system x\n    End: true\n",
    "StartAt: P\nStates:\n  P:\n    Type: Pass\n    Result: " + "9" * 5000 + "\n    End: true\n",
    "StartAt: P\nStates:\n  P: &a\n    Type: Pass\n    Result: [*a]\n    End: true\n",
    "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: &d [*c, *c]\ne: &e [*d, *d]\nf: &f [*e, *e]\n"
    "g: &g [*f, *f]\nh: &h [*g, *g]\ni: &i [*h, *h]\nj: &j [*i, *i]\nk: &k [*j, *j]\nl: &l [*k, *k]\n"
    "m: &m [*l, *l]\nn: &n [*m, *m]\no: &o [*n, *n]\np: &p [*o, *o]\nq: &q [*p, *p]\nr: &r [*q, *q]\n"
    "StartAt: P\nStates: {P: {Type: Pass, Result: *r, End: true}}\n",
]


@pytest.mark.parametrize("text", DEFINITION_TEXTS, ids=range(len(DEFINITION_TEXTS)))
def test_definition_texts_never_crash(text: str) -> None:
    with time_budget(), same_recursion_limit():
        try:
            aslrun.validate(text)
        except aslrun.AslrunError:
            pass
    check_run(text, {})


# ---------------------------------------------------------------- the CLI


def json_text(value: Any) -> str:
    """JSON text for ``value``, however deep, with integers of any length (written iteratively)."""
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, _Raw):
            out.append(item.text)
        elif isinstance(item, dict):
            out.append("{")
            parts: list[Any] = []
            for i, (k, v) in enumerate(item.items()):
                parts += [_Raw("," if i else ""), _Raw(json.dumps(k) + ":"), v]
            stack.append(_Raw("}"))
            stack.extend(reversed(parts))
        elif isinstance(item, list):
            out.append("[")
            parts = []
            for i, v in enumerate(item):
                parts += [_Raw("," if i else ""), v]
            stack.append(_Raw("]"))
            stack.extend(reversed(parts))
        elif isinstance(item, bool) or item is None or isinstance(item, (str, float)):
            out.append(json.dumps(item))
        else:
            limit = sys.get_int_max_str_digits()
            sys.set_int_max_str_digits(0)
            try:
                out.append(str(item))
            finally:
                sys.set_int_max_str_digits(limit)
    return "".join(out)


class _Raw:
    def __init__(self, text: str) -> None:
        self.text = text


RAW_INPUTS = st.sampled_from([
    b"NaN", b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}', b'{"a": 1e999}', b'{"a": -1e999}',
    b"\xff\xfe{}", b'{"a": "\xff"}', b"\xef\xbb\xbf{}", b"", b"   ", b'{"a":', b'{"a": 1, "a": 2}', b"\x00",
    b'{"a": "\\udfff"}', b'{"a": "\\ud800\\udc00"}', b"[" * 2000 + b"]" * 2000, b'{"a":' * 2000 + b"1" + b"}" * 2000,
    b"9" * 5000, b'{"n": ' + b"9" * 4301 + b"}", b'{"n": 1' + b"0" * 400 + b"}", b"[1, 2,]", b"// comment\n{}",
])
CLI_MACHINES = st.one_of(
    template_cases().map(lambda c: (c[0], c[2])),
    valid_jsonpath_cases().map(lambda c: (c[0], c[2])),
    mutated_cases().map(lambda c: (c[0], c[2])),
    expression_cases().map(lambda c: (c[0], None)),
    st.just((PASS, None)),
    st.just(({"QueryLanguage": "JSONata", "StartAt": "P",
              "States": {"P": {"Type": "Pass", "Output": "{% $states.input %}", "End": True}}}, None)),
)


def _strict_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@CLI_FUZZ
@given(CLI_MACHINES, hostile_inputs().map(lambda v: ("value", v)) | RAW_INPUTS.map(lambda b: ("raw", b)))
def test_cli_run_json_exits_cleanly(tmp_path_factory: pytest.TempPathFactory, machine_and_mock: tuple[Any, Any],
                                    given_input: tuple[str, Any]) -> None:
    machine, config = machine_and_mock
    folder = tmp_path_factory.mktemp("fuzz")
    definition = folder / "machine.json"
    definition.write_text(json_text(materialize(machine)), encoding="utf-8")
    kind, value = given_input
    input_file = folder / "input.json"
    if kind == "raw":
        input_file.write_bytes(value)
    else:
        input_file.write_text(json_text(materialize(value)), encoding="utf-8")
    args = ["run", str(definition), "--json", "--input", f"@{input_file}", "--name", MACHINE, "--clock", "virtual"]
    if config is not None:
        mock_file = folder / "mock.json"
        mock_file.write_text(json_text(materialize(config)), encoding="utf-8")
        args += ["--mock-config", str(mock_file), "--test-case", TEST_CASE]
    with time_budget(), same_recursion_limit():
        result = CliRunner().invoke(cli, args, env={"COLUMNS": "200", "NO_COLOR": "1"})
    output = result.stdout + result.stderr
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.exception, output[-2000:])
    assert "Traceback" not in output, output[-2000:]
    parsed = json.loads(result.stdout, parse_constant=_strict_constant)
    assert isinstance(parsed, dict), result.stdout[:500]


def test_infinite_loops_end_at_the_history_limit() -> None:
    # What keeps generated loops bounded: a run that never leaves a cycle fails at 25,000 events.
    loop = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "D"}], "Default": "A"},
        "D": {"Type": "Succeed"}}}
    with time_budget():
        result = aslrun.run(loop, {}, clock="virtual", load_plugins=False)
    assert (result.status, result.error, len(result.history)) == ("FAILED", "States.Runtime", 25_000)
    assert result.cause == "The execution reached the maximum number of history events (25000)."


def test_running_jsonata_keeps_the_recursion_limit() -> None:
    # In a fresh process: the first JSONata evaluation is the one that used to raise the limit.
    script = (
        "import sys, aslrun\n"
        "before = sys.getrecursionlimit()\n"
        "machine = {'QueryLanguage': 'JSONata', 'StartAt': 'P',\n"
        "           'States': {'P': {'Type': 'Pass', 'Output': '{% $states.input %}', 'End': True}}}\n"
        "aslrun.run(machine, {'a': 1}, clock='virtual', load_plugins=False)\n"
        "print(before, sys.getrecursionlimit())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    before, after = done.stdout.split()
    assert after == before, f"running a JSONata machine changed the recursion limit from {before} to {after}"
