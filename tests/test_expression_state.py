"""Expression state belongs to its owner: two interpreters in one process share nothing.

Compiled paths are cached by the :class:`~aslrun.Interpreter` that loaded them (its
``expression_cache``), not at module level; a compile function given no cache compiles
afresh. A JSONata evaluation keeps its engine state to itself, so evaluations interleaved on
one thread or run on two threads each see their own scope. A debugger probe draws its
``$random()`` from a random source of its own, so the same probe gives the same values in
every session.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import aslrun
from aslrun.debugger.probes import compile_probe
from aslrun.expressions.cache import ExpressionCache
from aslrun.expressions.jsonata import Scope, compile_expression
from aslrun.expressions.jsonpath import compile_path

MACHINE: dict[str, Any] = {
    "StartAt": "Pick",
    "States": {
        "Pick": {"Type": "Pass", "InputPath": "$.order", "ResultPath": "$.picked", "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.picked.total", "NumericGreaterThan": 100, "Next": "Big"}],
            "Default": "Small",
        },
        "Big": {"Type": "Succeed"},
        "Small": {"Type": "Succeed", "OutputPath": "$.picked"},
    },
}


def _interpreter() -> aslrun.Interpreter:
    return aslrun.Interpreter(clock="virtual", load_plugins=False)


def test_each_interpreter_owns_its_expression_cache() -> None:
    first, second = _interpreter(), _interpreter()
    assert isinstance(first.expression_cache, ExpressionCache)
    assert first.expression_cache is not second.expression_cache

    machine = first.load(MACHINE)

    assert ("jsonpath", "$.order") in first.expression_cache
    assert ("jsonpath", "$.picked.total") in first.expression_cache
    assert len(second.expression_cache) == 0
    # what the first interpreter cached runs the same on the second
    assert second.run(machine, {"order": {"total": 7}}).output == {"total": 7}


def test_loading_again_reuses_the_interpreters_own_compiled_paths() -> None:
    interpreter = _interpreter()
    one = interpreter.load(MACHINE)
    size = len(interpreter.expression_cache)
    two = interpreter.load(MACHINE)

    assert len(interpreter.expression_cache) == size
    assert two.body["Pick"].input_path.path is one.body["Pick"].input_path.path
    other = _interpreter().load(MACHINE)
    assert other.body["Pick"].input_path.path is not one.body["Pick"].input_path.path


def test_a_cache_keeps_no_more_than_its_limit() -> None:
    cache = ExpressionCache(limit=2)
    for text in ("$.a", "$.b", "$.c"):
        compile_path(text, cache)
    assert len(cache) == 2
    assert ("jsonpath", "$.c") not in cache
    assert compile_path("$.c", cache).evaluate({"c": 3}) == 3


def test_without_a_cache_a_path_is_compiled_afresh() -> None:
    assert compile_path("$.a.b") is not compile_path("$.a.b")
    cache = ExpressionCache()
    assert compile_path("$.a.b", cache) is compile_path("$.a.b", cache)


def test_interleaved_jsonata_evaluations_each_see_their_own_scope() -> None:
    # $map calls back into the evaluation for every item; a nested evaluation in between
    # (here: the one inside the callback's own data) must not leak its scope into it.
    expression = compile_expression("$map([1, 2, 3], function($v) { $v + $states.input.base })")
    assert expression.evaluate(Scope({"input": {"base": 10}}, {})) == [11, 12, 13]
    assert expression.evaluate(Scope({"input": {"base": 100}}, {})) == [101, 102, 103]


def test_jsonata_evaluations_on_two_threads_draw_from_their_own_scopes() -> None:
    expression = compile_expression("[$random(), $random(), $random()]")
    results: dict[int, list[Any]] = {}

    def run(seed: int) -> None:
        rng = random.Random(seed)
        results[seed] = [expression.evaluate(Scope({}, {}, rng=rng)) for _ in range(200)]

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    for seed in (1, 2):
        reference = random.Random(seed)
        assert results[seed] == [[reference.random() for _ in range(3)] for _ in range(200)]


def test_a_probes_randomness_repeats_in_every_session() -> None:
    def draws() -> list[Any]:
        probe = compile_probe("{% $random() %}")
        return [probe.read({}, {}, {}) for _ in range(3)]

    first = draws()
    assert len(set(first)) == 3
    assert draws() == first  # a new session compiles the probe again: same values


def test_probes_do_not_share_a_random_source() -> None:
    one, two = compile_probe("{% $uuid() %}"), compile_probe("{% $uuid() %}")
    first = one.read({}, {}, {})
    one.read({}, {}, {})  # drawing from one probe leaves the other where it was
    assert two.read({}, {}, {}) == first
    seeded = compile_probe("{% $random() %}", rng=random.Random(7))
    assert seeded.read({}, {}, {}) == random.Random(7).random()
