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


# ---------------------------------------------------------------- templates


class Template:
    """A compiled payload template (``Parameters``, ``ResultSelector``, ``ItemSelector``, ``Assign``...)."""

    __slots__ = ("_fn", "raw", "constant")

    def __init__(self, fn: Callable[[Env], Any], raw: Any, constant: bool) -> None:
        self._fn = fn
        self.raw = raw
        self.constant = constant

    def evaluate(self, env: Env) -> Any:
        return self._fn(env)

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

    return get


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


def _compile(node: Any, cache: ExpressionCache | None) -> tuple[Callable[[Env], Any] | None, Any]:
    """(evaluator, constant): evaluator is None when the subtree is constant."""
    if isinstance(node, dict):
        parts: list[tuple[str, Callable[[Env], Any] | None, Any]] = []
        dynamic = False
        for key, value in node.items():
            if isinstance(key, str) and key.endswith(".$") and isinstance(value, str):
                parts.append((key[:-2], compile_dollar_value(key, value, cache), None))
                dynamic = True
            else:
                fn, const = _compile(value, cache)
                parts.append((key, fn, const))
                dynamic = dynamic or fn is not None
        if not dynamic:
            return None, node
        frozen = tuple(parts)

        def build_object(env: Env) -> Any:
            out: dict[str, Any] = {}
            for k, fn, const in frozen:
                out[k] = fn(env) if fn is not None else const
            return out

        return build_object, None
    if isinstance(node, list):
        items = [_compile(v, cache) for v in node]
        if all(fn is None for fn, _ in items):
            return None, node
        frozen_items = tuple(items)

        def build_array(env: Env) -> Any:
            return [fn(env) if fn is not None else const for fn, const in frozen_items]

        return build_array, None
    return None, node


def compile_template(raw: Any, cache: ExpressionCache | None = None) -> Template:
    """Compile a payload template once; evaluate it per state visit (paths from ``cache`` when given)."""
    fn, const = _compile(raw, cache)
    if fn is None:
        return Template(lambda env: const, raw, True)
    return Template(fn, raw, False)


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
