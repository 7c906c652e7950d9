"""What the debugger evaluates: ``print PATH``, ``watch PATH`` and ``break if CONDITION``.

A *probe* reads the data at a stop the way ASL does. Four spellings are accepted:

* a JSONPath on the data (``$.order.total``), a variable (``$subtotal``, ``$line.sku``)
  or the context object (``$$.Execution.Name``);
* as a condition, such a path compared with a JSON value: ``$.total >= 100``,
  ``$customer.tier == "gold"`` (``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``); a bare path is
  true when it is present and not ``false``, ``null``, ``0`` or ``""``;
* a Choice rule as JSON: ``{"Variable": "$.total", "NumericGreaterThan": 100}``;
* JSONata, in ``{% %}`` (or bare, starting with ``$states``): ``{% $states.input.total > 100 %}``,
  ``{% $count($states.input.lines) > 2 %}``. ``$states.input`` is the data, ``$states.context`` the
  context object, and the variables are themselves.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Mapping
from typing import Any

from aslrun.errors import InputError, StatesError

__all__ = ["CommandError", "PROBE_SEED", "Probe", "compile_probe", "parse_json_value"]

#: the seed of a probe's own random source, so that ``$random()`` in a probe repeats in every session
PROBE_SEED = 0
_COMPARISON = re.compile(r"^(?P<path>\$[^\s<>=!]*)\s*(?P<op>==|!=|<=|>=|<|>)\s*(?P<value>.+)$", re.S)


class CommandError(InputError):
    """A debugger command or ``--break`` spec that cannot be used; the message says why and what to do."""


class Probe:
    """A compiled path, comparison, Choice rule or JSONata expression.

    ``read(data, variables, context)`` returns the value it selects (raising ``LookupError`` when
    there is none); ``holds(...)`` says whether it is true, as a breakpoint condition. ``context``
    is the context object, or a function building it (called only if the probe reads it).
    """

    __slots__ = ("text", "kind", "_read", "_test")

    def __init__(self, text: str, kind: str, read: Callable[[Any, Mapping[str, Any], Any], Any] | None,
                 test: Callable[[Any, Mapping[str, Any], Any], bool]) -> None:
        self.text = text
        #: "path", "comparison", "choice" or "jsonata"
        self.kind = kind
        self._read = read
        self._test = test

    def __repr__(self) -> str:
        return f"Probe({self.text!r})"

    def read(self, data: Any, variables: Mapping[str, Any], context: Any) -> Any:
        """The selected value; ``LookupError`` when the path selects nothing."""
        if self._read is None:
            return self._test(data, variables, context)
        return self._read(data, variables, context)

    def holds(self, data: Any, variables: Mapping[str, Any], context: Any) -> bool:
        """True when the condition is met; a path that selects nothing or fails is false."""
        try:
            return bool(self._test(data, variables, context))
        except (LookupError, StatesError, TypeError, ValueError):
            return False


def parse_json_value(text: str, what: str = "value") -> Any:
    """``text`` as JSON, with a hint for the usual mistake (an unquoted string)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        hint = ""
        stripped = text.strip()
        if stripped and stripped[0] not in '{["-0123456789' and stripped not in ("true", "false", "null"):
            hint = f' Strings need double quotes: "{stripped}".'
        raise CommandError(f"the {what} is not JSON ({exc.msg} at column {exc.colno}): {text}.{hint}") from None


def compile_probe(text: str, condition: bool = False, rng: random.Random | None = None) -> Probe:
    """Compile ``text`` (see the module docstring); ``condition`` also allows comparisons and Choice rules.

    ``rng`` is what the probe's ``$random()`` and ``$uuid()`` draw from (a path draws nothing);
    by default the probe gets its own ``random.Random(PROBE_SEED)``, shared with no other probe.
    Raises :class:`CommandError` with what is wrong and an example of what works.
    """
    if rng is None:
        rng = random.Random(PROBE_SEED)
    text = text.strip()
    if not text:
        raise CommandError("an empty expression: give a path such as $.total, $name or $$.Execution.Name")
    if text.startswith("{%"):
        if not text.endswith("%}"):
            raise CommandError(f"a JSONata expression must end with %}}: {text}")
        return _jsonata(text, text[2:-2], rng)
    if condition and text.startswith("{"):
        return _choice_rule(text, rng)
    if text.startswith("$states") and (len(text) == 7 or text[7] in ".["):
        return _jsonata(text, text, rng)
    if condition:
        match = _COMPARISON.match(text)
        if match is not None:
            try:
                path = _path(match["path"])
                value = json.loads(match["value"])
            except (CommandError, json.JSONDecodeError):
                pass
            else:
                return _comparison(text, path, match["op"], value, rng)
    if text.startswith("$"):
        try:
            path = _path(text)
        except CommandError:
            if not condition:
                raise
        else:
            read = _reader(path, rng)
            return Probe(text, "path", read, lambda d, v, c: _truthy(read(d, v, c)))
    if condition:
        return _jsonata(text, text, rng)
    raise CommandError(f"{text!r} is not a path: use $.field for the data, $name for a variable, $$.Field for "
                       "the context object, or {% JSONata %}")


def _path(text: str) -> Any:
    from aslrun.expressions.access import compile_value_path
    from aslrun.expressions.jsonpath import PathSyntaxError

    try:
        return compile_value_path(text)
    except PathSyntaxError as exc:
        raise CommandError(f"{text} is not a valid path: {exc.reason}") from None


def _env(data: Any, variables: Mapping[str, Any], context: Any, rng: random.Random) -> Any:
    from aslrun.expressions.access import Env

    # A path reads no randomness; passing the probe's spares Env from seeding a new Random each time.
    if callable(context):  # built only when the path reads $$
        return Env(data, variables, context_factory=context, rng=rng)
    return Env(data, variables, context=context if context is not None else {}, rng=rng)


def _reader(path: Any, rng: random.Random) -> Callable[[Any, Mapping[str, Any], Any], Any]:
    def read(data: Any, variables: Mapping[str, Any], context: Any) -> Any:
        return path.get(_env(data, variables, context, rng))  # PathNotFound is a LookupError

    return read


def _truthy(value: Any) -> bool:
    if value is None or value is False or value == "":
        return False
    return value != 0 if _is_number(value) else True


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op in ("==", "!="):
        same = (_is_number(left) and _is_number(right) and left == right) or (
            type(left) is type(right) and left == right)
        return same if op == "==" else not same
    if _is_number(left) and _is_number(right) or isinstance(left, str) and isinstance(right, str):
        return bool({"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op])
    return False


def _comparison(text: str, path: Any, op: str, value: Any, rng: random.Random) -> Probe:
    read = _reader(path, rng)

    def test(data: Any, variables: Mapping[str, Any], context: Any) -> bool:
        return _compare(read(data, variables, context), op, value)

    return Probe(text, "comparison", None, test)


def _choice_rule(text: str, rng: random.Random) -> Probe:
    from aslrun.expressions.choice import compile_condition

    try:
        rule = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"the Choice rule is not JSON ({exc.msg} at column {exc.colno}): {text}") from None
    compiled, problems = compile_condition(rule, "/condition", "break", top_level=False)
    if compiled is None:
        first = problems[0] if problems else None
        detail = f"{first.message}. {first.hint or ''}".strip() if first is not None else "it does not compile"
        raise CommandError(f"the Choice rule is not valid: {detail}")

    def test(data: Any, variables: Mapping[str, Any], context: Any) -> bool:
        return bool(compiled.evaluate(_env(data, variables, context, rng)))

    return Probe(text, "choice", None, test)


def _jsonata(text: str, body: str, rng: random.Random) -> Probe:
    from aslrun.expressions import jsonata

    try:
        expression = jsonata.compile_expression(body)
    except jsonata.JsonataSyntaxError as exc:
        raise CommandError(f"{text} is not valid JSONata: {exc}") from None

    def read(data: Any, variables: Mapping[str, Any], context: Any) -> Any:
        if callable(context):
            context = context()
        scope = jsonata.Scope({"input": data, "context": context if context is not None else {}}, variables, rng)
        try:
            value = expression.evaluate(scope)
        except jsonata.JsonataError as exc:
            raise LookupError(str(exc)) from None
        if value is jsonata.UNDEFINED:
            raise LookupError(f"{text} evaluates to nothing (undefined)")
        return value

    return Probe(text, "jsonata", read, lambda d, v, c: _truthy(read(d, v, c)))
