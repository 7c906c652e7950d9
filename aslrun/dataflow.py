"""JSONPath-mode data flow: payload templates, InputPath, ResultPath, OutputPath, Assign.

Values are never changed in place: every step that "modifies" a document builds
a new one, sharing the untouched parts. That is what makes it safe to keep the
same objects in the history, in variables and in later states.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aslrun import defaults
from aslrun.errors import StatesError
from aslrun.expressions.access import Env, ValuePath, compile_value_path
from aslrun.expressions.jsonpath import PathNotFound, ResultPathMatchFailure
from aslrun.nodes import NULL

if TYPE_CHECKING:
    from aslrun.expressions.cache import ExpressionCache

__all__ = [
    "PayloadSizes",
    "Template",
    "apply_input_path",
    "apply_output_path",
    "apply_result_path",
    "compact_json",
    "compile_template",
    "exceeds_payload_limit",
    "java_text",
    "lenient_number",
    "payload_size",
    "quoted_java",
    "resolve_path",
]


# One encoder for the process: json.dumps with non-default options builds a new one per call.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape_surrogate(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def compact_json(value: Any) -> str:
    """JSON text the way Step Functions writes it: no spaces, non-ASCII kept.

    Surrogates (only inside strings: ``States.StringToJson`` of ``"\\udfff"`` makes one) are
    written as ``\\uXXXX`` escapes, so the text always encodes to UTF-8 and reads back the same.
    A value Python cannot write, nested too deeply or holding an integer past Python's 4,300
    digits (made inside an execution: the input was checked on the way in), is a
    ``States.Runtime`` error, as a value Step Functions cannot serialise would be.
    """
    try:
        text = _ENCODE(value)
    except RecursionError:
        raise StatesError(
            "States.Runtime",
            "The value cannot be written as JSON: it is nested too deeply (executions take inputs nested "
            f"at most {defaults.MAX_JSON_DEPTH} levels deep, MAX_JSON_DEPTH).",
        ) from None
    except ValueError as exc:
        # int -> str past sys.get_int_max_str_digits() (a product of arithmetic), or a circular value.
        reason = "an integer in it has more than 4300 digits" if "digits" in str(exc) else str(exc)
        raise StatesError("States.Runtime", f"The value cannot be written as JSON: {reason}.") from None
    if not text.isascii() and _SURROGATE.search(text):
        text = _SURROGATE.sub(_escape_surrogate, text)
    return text


def payload_size(value: Any) -> int:
    """Size in bytes of the UTF-8 JSON text of ``value``."""
    return len(compact_json(value).encode("utf-8"))


def exceeds_payload_limit(value: Any, limit: int = defaults.MAX_PAYLOAD_BYTES) -> bool:
    """True when ``value`` serialises to more than ``limit`` bytes."""
    if value is None or isinstance(value, (bool, int, float)):
        return False
    text = compact_json(value)
    # Every character is at most 4 UTF-8 bytes: short texts need no encoding.
    if len(text) * 4 <= limit:
        return False
    return len(text.encode("utf-8")) > limit


#: containers with more entries than this are measured by encoding them (C), not by a walk (Python)
_WALK_ENTRIES = 32
#: bounds kept by one :class:`PayloadSizes` before it starts afresh, and the largest container it keeps
#: (so that what it holds alive stays under 4 MiB however big the payloads)
_SIZES_KEPT = 512
_SIZE_KEPT_BYTES = 8192
_INT_BOUND = 10**18


class PayloadSizes:
    """Upper bounds on the JSON size of values, so that most payload-limit checks encode nothing.

    A check needs a value's exact size only when it may be over the limit: a bound at or under the
    limit answers it. The bound of a small container is the sum of its parts' bounds; a container
    met before (a subtree that Parameters, ResultPath or OutputPath passed on unchanged) is looked up
    by identity. Values are never changed in place (see the module docstring), so a container's
    bound holds as long as it lives, and each entry keeps its container alive, so an id is never
    reused while it is known. Anything unusual (a big new container, deep nesting, a huge integer, a
    type JSON does not have) gets no bound, and the check encodes the value as before, errors included.
    One per execution (:class:`~aslrun.engine.Engine`); never shared between interpreters.
    """

    __slots__ = ("_known",)

    def __init__(self) -> None:
        self._known: dict[int, tuple[Any, int, int]] = {}

    def exceeds(self, value: Any, template: Template | None = None,
                 limit: int = defaults.MAX_PAYLOAD_BYTES) -> bool:
        """:func:`exceeds_payload_limit`, answered from a bound when the bound is under ``limit``.

        ``template``: the template that may have built ``value`` (it knows its constants' sizes). A
        container no template built and not met before is encoded, as before: encoding (C) is quicker
        than a walk (Python) over parts not met before.
        """
        measured = template.measure(value, self) if template is not None else None
        if measured is None:
            known = self._known.get(id(value))
            if known is not None and known[0] is value:
                measured = known[1], known[2]
        if measured is not None and measured[0] <= limit and measured[1] <= defaults.MAX_JSON_DEPTH:
            return False
        return exceeds_payload_limit(value, limit)

    def known(self, value: Any) -> tuple[int, int] | None:
        """The bound of a container measured before, if it is known."""
        known = self._known.get(id(value))
        return (known[1], known[2]) if known is not None and known[0] is value else None

    def bound(self, value: Any) -> tuple[int, int] | None:
        """(bytes at most, nesting depth) of ``value``'s JSON text, or None when not cheap to know."""
        size = _scalar_bound(value)
        if size >= 0:
            return size, 0
        if type(value) is dict or type(value) is list:
            return self._measure(value)
        return None

    def _measure(self, value: Any, level: int = 0) -> tuple[int, int] | None:
        """(bytes at most, nesting depth) of a dict's or list's JSON text, or None when not cheap to know."""
        known = self._known.get(id(value))
        if known is not None and known[0] is value:
            return known[1], known[2]
        if len(value) > _WALK_ENTRIES or level >= defaults.MAX_JSON_DEPTH:
            return None  # too big to walk, or nested so deep that it may not encode: the check finds out
        total = 2 + len(value)  # the brackets, and a comma per entry (one more than there are)
        depth = 1
        children = value
        if type(value) is dict:
            for key in value:
                if type(key) is not str:
                    return None
                total += _text_bound(key) + 1  # the key and its colon
            children = value.values()
        for child in children:
            size = _scalar_bound(child)
            if size < 0:
                if type(child) is not dict and type(child) is not list:
                    return None
                inner = self._measure(child, level + 1)
                if inner is None:
                    return None
                size = inner[0]
                depth = max(depth, inner[1] + 1)
            total += size
        if depth > defaults.MAX_JSON_DEPTH:
            return None
        if total <= _SIZE_KEPT_BYTES:
            if len(self._known) >= _SIZES_KEPT:
                self._known.clear()
            self._known[id(value)] = (value, total, depth)
        return total, depth


def _text_bound(text: str) -> int:
    """Bytes at most of a JSON string: printable ASCII escapes to 2 bytes a character at most, anything
    else (a control character as ``\\u0001``, 4-byte UTF-8) to 6."""
    if text.isascii() and text.isprintable():
        return 2 * len(text) + 2
    return 6 * len(text) + 2


def _scalar_bound(value: Any) -> int:
    """Bytes at most of a scalar's JSON text; -1 for a container or anything else."""
    kind = type(value)
    if kind is str:
        return _text_bound(value)
    if kind is int:
        return 20 if -_INT_BOUND < value < _INT_BOUND else -1
    if kind is float:
        return 24  # repr of a double: -1.2345678901234567e-308; NaN, Infinity shorter
    if value is None or kind is bool:
        return 5
    return -1


# ---------------------------------------------------------------- templates


class Template:
    """A compiled payload template (``Parameters``, ``ResultSelector``, ``ItemSelector``, ``Assign``...)."""

    __slots__ = ("evaluate", "raw", "constant", "_measure")

    def __init__(self, fn: Callable[[Env], Any], raw: Any, constant: bool,
                 measure: Callable[[Any, PayloadSizes], tuple[int, int] | None] | None = None) -> None:
        #: ``evaluate(env)``: the value the template builds for ``env`` (the compiled function itself)
        self.evaluate = fn
        self.raw = raw
        self.constant = constant
        self._measure = measure

    def measure(self, value: Any, sizes: PayloadSizes) -> tuple[int, int] | None:
        """(bytes at most, nesting depth) of ``value``'s JSON text if it has this template's shape (the
        same keys, the template's own constants), its parts measured by ``sizes``; else None."""
        return self._measure(value, sizes) if self._measure is not None else None

    def __repr__(self) -> str:
        return f"Template({self.raw!r})"


def _path_getter(key: str, text: str, cache: ExpressionCache | None) -> Callable[[Env], Any]:
    vp: ValuePath = compile_value_path(text, cache=cache)

    def get(env: Env) -> Any:
        try:
            return vp.get(env)
        except PathNotFound:
            if vp.source == "variable" and vp.variable not in env.variables:
                raise StatesError(
                    "States.Runtime",
                    f"The JSONPath '{text}' specified for the field '{key}' could not be found "
                    f"in the variables.",
                ) from None
            source = env.context if vp.source == "context" else env.input
            raise StatesError(
                "States.Runtime",
                f"The JSONPath '{text}' specified for the field '{key}' could not be found in the input "
                f"'{compact_json(source)}'",
            ) from None

    # The path's fast reader, falling back to ``get`` (which words the error) when it does not answer.
    return vp.reader(get)


def _intrinsic_getter(text: str, cache: ExpressionCache | None) -> Callable[[Env], Any]:
    from aslrun.expressions.intrinsics import compile_intrinsic

    return compile_intrinsic(text, cache).evaluate


def compile_dollar_value(key: str, text: str, cache: ExpressionCache | None = None) -> Callable[[Env], Any]:
    """The evaluator for the value of a ``key.$`` field: a path or an intrinsic call.

    Paths come from ``cache`` (the interpreter's) when given.
    """
    if text.startswith("$"):
        return _path_getter(key, text, cache)
    return _intrinsic_getter(text, cache)


#: templates nested deeper than this are built by one function per this many levels
_INLINE_DEPTH = 16


def _compile(node: Any, cache: ExpressionCache | None) -> tuple[Callable[[Env], Any] | None, Any]:
    """(evaluator, constant): evaluator is None when the subtree is constant.

    The evaluator is one Python expression made for the template, as Jinja compiles its templates:
    ``{k0: g0(env), k1: c1, k2: [g1(env), c2]}``, its names bound to the keys, the path and intrinsic
    evaluators and the constants (shared, as values are never changed in place). A dict display
    evaluates left to right and the last of two equal keys wins in the first one's place, as the
    field-by-field build did.
    """
    names: dict[str, Any] = {}
    expression = _expression(node, cache, names, 0)
    if expression is None:
        return None, node
    code = compile(f"def build(env):\n    return {expression}\n", "<aslrun payload template>", "exec")
    exec(code, names)
    return names["build"], None


def _bind(names: dict[str, Any], prefix: str, value: Any) -> str:
    name = f"{prefix}{len(names)}"
    names[name] = value
    return name


def _expression(node: Any, cache: ExpressionCache | None, names: dict[str, Any], depth: int) -> str | None:
    """Python source building ``node`` (its names bound in ``names``), or None when it is constant."""
    if not isinstance(node, (dict, list)):
        return None
    if depth >= _INLINE_DEPTH:
        fn, _ = _compile(node, cache)
        return None if fn is None else _bind(names, "t", fn) + "(env)"
    if isinstance(node, list):
        items = [_expression(v, cache, names, depth + 1) for v in node]
        if all(item is None for item in items):
            return None
        return "[" + ", ".join(item if item is not None else _bind(names, "c", value)
                               for item, value in zip(items, node)) + "]"
    parts: list[tuple[Any, str | None, Any]] = []
    for key, value in node.items():
        if isinstance(key, str) and key.endswith(".$") and isinstance(value, str):
            parts.append((key[:-2], _bind(names, "g", compile_dollar_value(key, value, cache)) + "(env)", None))
        else:
            parts.append((key, _expression(value, cache, names, depth + 1), value))
    if all(source is None for _, source, _ in parts):
        return None
    return "{" + ", ".join(_bind(names, "k", key) + ": " + (source if source is not None else _bind(names, "c", value))
                           for key, source, value in parts) + "}"


def _size_plan(node: Any) -> Callable[[Any, PayloadSizes], tuple[int, int] | None] | None:
    """How to bound the size of what the dynamic template ``node`` builds (see :meth:`Template.measure`);
    None when it cannot (two fields that make one key, a constant JSON cannot write)."""
    if isinstance(node, list):
        return None  # a list template is measured part by part by PayloadSizes
    fixed = 2  # the braces
    depth = 1
    parts: list[tuple[str, Any, Any]] = []  # (key, constant or _DYNAMIC, nested plan)
    for key, value in node.items():
        is_path = isinstance(key, str) and key.endswith(".$") and isinstance(value, str)
        name = key[:-2] if is_path else key
        if not isinstance(name, str) or any(name == other for other, _, _ in parts):
            return None
        fixed += _exact_size(name) + 2  # the key, its colon and a comma
        if is_path:
            parts.append((name, _DYNAMIC, None))
            continue
        nested = _size_plan(value) if isinstance(value, dict) and _is_dynamic(value) else None
        if nested is None and _is_dynamic(value):
            parts.append((name, _DYNAMIC, None))  # a dynamic list: measured as a value
            continue
        if nested is not None:
            parts.append((name, _DYNAMIC, nested))
            continue
        try:
            fixed += _exact_size(value)
        except StatesError:
            return None
        depth = max(depth, 1 + _depth(value))
        parts.append((name, value, None))
    count = len(parts)
    constants = tuple((name, constant) for name, constant, _ in parts if constant is not _DYNAMIC)
    dynamic = tuple((name, nested) for name, constant, nested in parts if constant is _DYNAMIC)

    def measure(value: Any, sizes: PayloadSizes) -> tuple[int, int] | None:
        if type(value) is not dict or len(value) != count:
            return None
        get = value.get
        for name, constant in constants:
            if get(name, _DYNAMIC) is not constant:
                return None
        total, deepest = fixed, depth
        for name, nested in dynamic:
            part = get(name, _DYNAMIC)
            kind = type(part)
            if kind is str:  # the common parts first, without a call
                total += 2 * len(part) + 2 if part.isascii() and part.isprintable() else 6 * len(part) + 2
                continue
            if kind is int and -_INT_BOUND < part < _INT_BOUND:
                total += 20
                continue
            if part is _DYNAMIC:
                return None
            if nested is not None:
                measured = nested(part, sizes)
            else:
                known = sizes.known(part)  # a subtree passed on unchanged, met before
                measured = known if known is not None else sizes.bound(part)
            if measured is None:
                return None
            total += measured[0]
            if measured[1] >= deepest:
                deepest = measured[1] + 1
        return total, deepest

    return measure


_DYNAMIC: Any = object()


def _is_dynamic(node: Any) -> bool:
    if isinstance(node, dict):
        return any((isinstance(k, str) and k.endswith(".$") and isinstance(v, str)) or _is_dynamic(v)
                   for k, v in node.items())
    if isinstance(node, list):
        return any(_is_dynamic(v) for v in node)
    return False


def _exact_size(value: Any) -> int:
    return len(compact_json(value).encode("utf-8"))


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def compile_template(raw: Any, cache: ExpressionCache | None = None) -> Template:
    """Compile a payload template once; evaluate it per state visit (paths from ``cache`` when given)."""
    fn, const = _compile(raw, cache)
    if fn is None:
        return Template(lambda env: const, raw, True)
    return Template(fn, raw, False, _size_plan(raw))


# ---------------------------------------------------------------- paths


def _invalid_path(path: ValuePath, exc: PathNotFound) -> StatesError:
    return StatesError("States.Runtime", f"Invalid path '{path.text}' : {exc.message}")


def resolve_path(path: Any, env: Env) -> Any:
    """The value a compiled ``...Path`` field selects; a missing path is States.Runtime as AWS words it."""
    try:
        return path.get(env)
    except PathNotFound as exc:
        raise _invalid_path(path, exc) from None


def lenient_number(value: Any) -> Any:
    """A numeric string counts as its number (AWS reads these fields with Jackson's asInt/asDouble)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def java_text(value: Any) -> str:
    """How Java's Jackson prints a JSON node in AWS's messages (strings unquoted)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return repr(value)
    return compact_json(value)


def quoted_java(value: Any) -> str:
    """A JSON node in double quotes, as AWS quotes a bad field value (strings not escaped)."""
    if isinstance(value, str):
        return '"' + value + '"'
    return '"' + compact_json(value) + '"'


def apply_input_path(path: Any, env: Env) -> Any:
    """InputPath: absent = whole input, ``null`` = ``{}``, else the selected value."""
    if path is None:
        return env.input
    if path is NULL:
        return {}
    try:
        return path.get(env)
    except PathNotFound as exc:
        raise _invalid_path(path, exc) from None


def apply_output_path(path: Any, value: Any, env: Env) -> Any:
    """OutputPath, evaluated on the state's output ``value``."""
    if path is None:
        return value
    if path is NULL:
        return {}
    try:
        return path.get(env.with_input(value))
    except PathNotFound as exc:
        raise _invalid_path(path, exc) from None


def apply_result_path(path: Any, raw_input: Any, result: Any) -> Any:
    """ResultPath: absent = the result, ``null`` = the raw input, else the result placed in the raw input."""
    if path is None:
        return result
    if path is NULL:
        return raw_input
    try:
        return path.path.set(raw_input, result)
    except ResultPathMatchFailure:
        # The spec calls this States.ResultPathMatchFailure; AWS reports States.ReferencePathConflict.
        raise StatesError(
            "States.ReferencePathConflict",
            f"Unable to apply ReferencePath {path.text} to input {compact_json(raw_input)}",
        ) from None
