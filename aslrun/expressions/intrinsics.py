"""The 18 ``States.*`` intrinsic functions of JSONPath mode, compiled once at load time.

:func:`compile_intrinsic` parses a call such as
``States.Format('{} of {}', $.n, States.ArrayLength($.items))``, checks every
function name and argument count, compiles every path with
:func:`aslrun.expressions.access.compile_value_path` and turns the tree into a chain
of closures. :meth:`Intrinsic.evaluate` then only calls that chain.

How failures look, as AWS reports them (sources: real-AWS test suites quoted below;
LocalStack ``asl/component/intrinsic/**`` for the limits):

* a syntax error, an unknown function or a wrong argument count is an
  :class:`IntrinsicSyntaxError` at load time;
* a path argument that selects nothing fails with ``States.Runtime`` and the cause
  ``The function '<call as written>' had the following error: The JsonPath argument
  for the field '<path>' could not be found in the input '<input>'`` (recorded from
  AWS in floci-io/floci ``StepFunctionsIntrinsicMissingArgumentIntegrationTest``; the
  engine adds the ``An error occurred while executing the state ...`` prefix);
* an argument a function cannot use fails with ``States.Runtime`` too, cause
  ``... had the following error: Invalid arguments in States.<Name>``. The ASL spec
  names ``States.IntrinsicFailure`` here, but every real-AWS run found says
  ``States.Runtime``: ``States.MathAdd(1, 'NOT A NUMBER')`` in the AWS-deployed tests
  of aws-test-harness (``test_reports_execution_failure``), ``States.StringToJson`` on
  an object in a user's run log, and the AWS observations of a TypeScript conformance
  suite (``tests/support/conformance/intrinsicCases/States.*.ts``). The name is one
  constant, :data:`INTRINSIC_ERROR`.

AWS runs Java: arguments behave like Java objects (``Map``/``List``/``Integer``/
``Double``/``String``), and several functions show it. Those quirks are copied on
purpose and commented where they happen; how Java writes, hashes and draws values lives in
:mod:`aslrun.expressions.java`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aslrun import defaults
from aslrun.errors import StatesError
from aslrun.expressions._limits import (
    MAX_NUMBER_DIGITS,
    deeper_than,
    depth_message,
    json_text,
    text_deeper_than,
)
from aslrun.expressions.access import ValuePath, compile_value_path
from aslrun.expressions.java import (
    INT32_MAX,
    INT32_MIN,
    JavaRandom,
    hash_set_order,
    jackson_json,
    java_key,
    java_str,
    utf16_len,
)
from aslrun.expressions.jsonpath import PathNotFound, PathSyntaxError

if TYPE_CHECKING:
    from aslrun.expressions.access import Env
    from aslrun.expressions.cache import ExpressionCache

__all__ = [
    "FUNCTION_NAMES",
    "INTRINSIC_ERROR",
    "Intrinsic",
    "IntrinsicSyntaxError",
    "compile_intrinsic",
    "is_intrinsic_call",
]

#: the error name of every intrinsic runtime failure (see the module docstring)
INTRINSIC_ERROR = "States.Runtime"

Getter = Callable[["Env"], Any]


class IntrinsicSyntaxError(ValueError):
    """An intrinsic call that cannot be compiled: bad syntax, unknown function, wrong arity."""

    def __init__(self, reason: str, text: str, position: int | None = None) -> None:
        self.reason = reason
        self.text = text
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{reason}{where} in {text!r}")


class _Invalid(Exception):
    """Internal: one call failed; :meth:`Intrinsic.evaluate` turns it into a StatesError."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _invalid(name: str) -> _Invalid:
    return _Invalid(f"Invalid arguments in {name}")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _compact(v: Any) -> str:
    return json_text(v)


def _truncate(v: Any, name: str) -> int:
    """A numeric argument as Java's ``(int)`` cast sees it: fractions cut toward zero."""
    if not _is_number(v):
        raise _invalid(name)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _invalid(name)
        v = int(v)
    if not INT32_MIN <= v <= INT32_MAX:
        raise _invalid(name)
    return v


def _java_round(v: Any, name: str) -> int:
    """``Math.round``: floor(x + 0.5), so -1.5 -> -1 and 2.5 -> 3 (corpus test_math_add)."""
    if not _is_number(v):
        raise _invalid(name)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _invalid(name)
        floor = math.floor(v)
        # compare the fraction instead of adding 0.5, which rounds 0.49999999999999994 up
        v = floor + 1 if v - floor >= 0.5 else floor
    if not INT32_MIN <= v <= INT32_MAX:
        raise _invalid(name)
    return v


# ---------------------------------------------------------------- the functions


def _f_format(template: Any, *values: Any) -> str:
    if not isinstance(template, str):
        raise _invalid("States.Format")
    return _render(_runtime_template(template), values)


def _render(pieces: tuple[str | None, ...] | None, values: Sequence[Any]) -> str:
    if pieces is None:
        raise _invalid("States.Format")
    if sum(1 for p in pieces if p is None) != len(values):
        raise _invalid("States.Format")
    it = iter(values)
    return "".join(java_str(next(it)) if p is None else p for p in pieces)


def _runtime_template(template: str) -> tuple[str | None, ...] | None:
    """Pieces of a template read from data: text, with ``None`` for each ``{}``.

    ``None`` (the whole result) when a brace is not part of ``{}``: AWS fails on
    ``'Hello {'``, ``'}'`` and ``'{{}}'`` (TypeScript conformance suite, States.Format
    AWS observations).
    """
    pieces: list[str | None] = []
    ok = True
    for i, part in enumerate(template.split("{}")):
        if "{" in part or "}" in part:
            ok = False
            break
        if i:
            pieces.append(None)
        if part:
            pieces.append(part)
    return tuple(pieces) if ok else None


def _f_string_to_json(s: Any) -> Any:
    if not isinstance(s, str):
        raise _invalid("States.StringToJson")
    if not s.strip():
        return None  # AWS returns null for '' (TypeScript suite STJ-11; LocalStack does the same)
    if text_deeper_than(s):
        # json.loads recurses once per level: refuse before it can hit the recursion limit
        raise _Invalid(depth_message("The JSON text given to States.StringToJson"))
    try:
        # Python's own limit (4,300 digits) would raise ValueError past it; AWS's Jackson stops at 1,000
        return json.loads(s, parse_constant=_reject_constant, parse_int=_bounded_int, parse_float=_finite_float)
    except ValueError:
        raise _invalid("States.StringToJson") from None


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of more than {MAX_NUMBER_DIGITS} digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value) or len(text) > MAX_NUMBER_DIGITS:
        raise ValueError(f"{text[:20]} is not a finite double")  # 1e999 would be Infinity: not JSON
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _f_json_to_string(v: Any) -> str:
    if deeper_than(v):
        # the text would be refused by States.StringToJson and by any JSON input of aslrun's
        raise _Invalid(depth_message("The value given to States.JsonToString"))
    return jackson_json(v)


def _f_array(*values: Any) -> list[Any]:
    return list(values)


def _f_array_partition(arr: Any, size: Any) -> list[list[Any]]:
    if not isinstance(arr, list):
        raise _invalid("States.ArrayPartition")
    n = _truncate(size, "States.ArrayPartition")  # AWS: 2.6 -> 2, 0.6 -> 0 (rejected)
    if n < 1:
        raise _invalid("States.ArrayPartition")
    return [arr[i : i + n] for i in range(0, len(arr), n)]


def _f_array_contains(arr: Any, value: Any) -> bool:
    if not isinstance(arr, list):
        raise _invalid("States.ArrayContains")
    # AWS compares the Java string forms: [true] contains 'true', [{a:1,b:2}] does not
    # contain {b:2,a:1}, [[1,2,3],2] contains [1,2,3] (corpus + TypeScript suite AC-009,
    # AC-026, AC-028).
    target = java_str(value)
    if isinstance(value, str):
        return any((e == target) if isinstance(e, str) else (java_str(e) == target) for e in arr)
    return any(java_str(e) == target for e in arr)


def _f_array_range(start: Any, end: Any, step: Any) -> list[int]:
    name = "States.ArrayRange"
    first, last, inc = _truncate(start, name), _truncate(end, name), _truncate(step, name)
    if inc == 0:
        raise _invalid(name)
    # Both ends inclusive; a negative step counts down; a step pointing away from
    # the end gives [] (TypeScript suite ARANGE-007..009, observed on AWS).
    stop = last + 1 if inc > 0 else last - 1
    items = range(first, stop, inc)
    if len(items) > defaults.MAX_ARRAY_RANGE_ITEMS:
        raise _invalid(name)
    return list(items)


def _f_array_get_item(arr: Any, index: Any) -> Any:
    if not isinstance(arr, list):
        raise _invalid("States.ArrayGetItem")
    i = _truncate(index, "States.ArrayGetItem")  # AWS: 1.2 -> 1
    if not arr:
        return None  # AWS returns null for any index into [] (TypeScript suite AGI-011)
    if 0 <= i < len(arr):
        return arr[i]
    raise _invalid("States.ArrayGetItem")


def _f_array_length(arr: Any) -> int:
    if not isinstance(arr, list):
        raise _invalid("States.ArrayLength")
    return len(arr)


def _f_array_unique(arr: Any) -> list[Any]:
    if not isinstance(arr, list):
        raise _invalid("States.ArrayUnique")
    if deeper_than(arr):
        raise _Invalid(depth_message("The array given to States.ArrayUnique"))  # java_key recurses
    first: dict[Any, Any] = {}
    for item in arr:
        first.setdefault(java_key(item), item)
    # AWS returns a Java HashSet's order, not first-seen order: [true,false,true] ->
    # [false,true], [[1,2],[1,2],[2,1]] -> [[2,1],[1,2]] (TypeScript suite AUNIQ-004,
    # AUNIQ-010). Small integers and one-letter strings still come out ascending.
    return hash_set_order(list(first.values()), len(arr))


def _limited_string(s: Any, name: str) -> str:
    if not isinstance(s, str) or utf16_len(s) > defaults.MAX_INTRINSIC_STRING_CHARS:
        raise _invalid(name)
    return s


def _f_base64_encode(s: Any) -> str:
    data = _limited_string(s, "States.Base64Encode").encode("utf-8", "replace")
    return base64.b64encode(data).decode("ascii")


_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/_-]+")


def _f_base64_decode(s: Any) -> str:
    text = _limited_string(s, "States.Base64Decode")
    # AWS decodes leniently, like commons-codec: characters outside the alphabet are
    # skipped, decoding stops at the first '=', a short last group is accepted
    # ('!!!invalid!!!', 'abc', 'ab==cd' and ' YWJjZA== ' all decode on AWS: TypeScript
    # suite B64D-015..024).
    pad = text.find("=")
    if pad >= 0:
        text = text[:pad]
    text = _NOT_BASE64.sub("", text).replace("-", "+").replace("_", "/")
    if len(text) % 4 == 1:
        text = text[:-1]
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise _invalid("States.Base64Decode") from None
    return data.decode("utf-8", "replace")


_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-1": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA-384": hashlib.sha384,
    "SHA-512": hashlib.sha512,
}


def _f_hash(data: Any, algorithm: Any) -> str:
    fn = _HASHES.get(algorithm) if isinstance(algorithm, str) else None
    if fn is None or data is None:
        raise _invalid("States.Hash")
    # AWS hashes numbers and objects too, by their text (TypeScript suite HASH-014/017).
    text = _limited_string(data if isinstance(data, str) else java_str(data), "States.Hash")
    return str(fn(text.encode("utf-8", "replace")).hexdigest())


def _f_json_merge(a: Any, b: Any, deep: Any) -> dict[str, Any]:
    if not isinstance(a, dict) or not isinstance(b, dict):
        raise _invalid("States.JsonMerge")
    if deep is True:
        raise _invalid("States.JsonMerge")  # AWS supports only the shallow merge
    # Any other third argument means shallow: AWS accepts 'false' (TypeScript JMG-13).
    merged = dict(a)
    merged.update(b)
    return merged


def _f_math_random(env: Env, start: Any, end: Any, seed: Any = None, seeded: bool = False) -> int:
    name = "States.MathRandom"
    # Bounds are cut toward zero and the end is exclusive: MathRandom(1.6, 5.4) gave
    # values in [1, 5) and MathRandom(1, 1) failed on AWS (TypeScript MRAND-005..010).
    low, high = _truncate(start, name), _truncate(end, name)
    if low >= high or high - low > INT32_MAX:
        raise _invalid(name)
    if seeded:
        if not _is_number(seed) or (isinstance(seed, float) and not math.isfinite(seed)):
            raise _invalid(name)
        # new java.util.Random(seed) then start + nextInt(end - start): seed 42 over
        # [-5, 5) gives -5 on AWS (TypeScript MRAND-026), as Java's nextInt(10) is 0.
        return low + JavaRandom(int(seed)).next_int(high - low)
    rng = getattr(env, "rng", None) or random.Random()
    return int(rng.randrange(low, high))


def _f_math_add(a: Any, b: Any) -> int:
    if type(a) is int and type(b) is int and INT32_MIN <= a <= INT32_MAX and INT32_MIN <= b <= INT32_MAX:
        total = a + b  # Math.round leaves a Java int as it is
    else:
        total = _java_round(a, "States.MathAdd") + _java_round(b, "States.MathAdd")
    if not INT32_MIN <= total <= INT32_MAX:
        raise _invalid("States.MathAdd")  # AWS adds Java ints (TypeScript MADD-011/012)
    return total


def _f_string_split(s: Any, delimiters: Any) -> list[str]:
    if not isinstance(s, str) or not isinstance(delimiters, str):
        raise _invalid("States.StringSplit")
    # java.util.StringTokenizer: every delimiter character separates, no empty tokens
    # (corpus test_string_split: ',,,,' -> [], ', , ,' -> [' ', ' ']).
    if len(delimiters) == 1:
        return [p for p in s.split(delimiters) if p]
    if not delimiters:
        return [s] if s else []
    # re.compile keeps recent patterns itself; no cache of aslrun's own to share
    pattern = re.compile("[" + "".join(map(re.escape, delimiters)) + "]")
    return [p for p in pattern.split(s) if p]


def _f_uuid(env: Env) -> str:
    rng = getattr(env, "rng", None) or random.Random()
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


# name -> (implementation, min args, max args or None, takes env first)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None, bool]] = {
    "States.Format": (_f_format, 1, None, False),
    "States.StringToJson": (_f_string_to_json, 1, 1, False),
    "States.JsonToString": (_f_json_to_string, 1, 1, False),
    "States.Array": (_f_array, 0, None, False),
    "States.ArrayPartition": (_f_array_partition, 2, 2, False),
    "States.ArrayContains": (_f_array_contains, 2, 2, False),
    "States.ArrayRange": (_f_array_range, 3, 3, False),
    "States.ArrayGetItem": (_f_array_get_item, 2, 2, False),
    "States.ArrayLength": (_f_array_length, 1, 1, False),
    "States.ArrayUnique": (_f_array_unique, 1, 1, False),
    "States.Base64Encode": (_f_base64_encode, 1, 1, False),
    "States.Base64Decode": (_f_base64_decode, 1, 1, False),
    "States.Hash": (_f_hash, 2, 2, False),
    "States.JsonMerge": (_f_json_merge, 3, 3, False),
    "States.MathRandom": (_f_math_random, 2, 3, True),
    "States.MathAdd": (_f_math_add, 2, 2, False),
    "States.StringSplit": (_f_string_split, 2, 2, False),
    "States.UUID": (_f_uuid, 0, 0, True),
}

#: the names of the 18 intrinsic functions
FUNCTION_NAMES: frozenset[str] = frozenset(_FUNCTIONS)


def _arity_text(name: str, low: int, high: int | None, got: int) -> str:
    def args(n: int) -> str:
        return f"{n} argument" if n == 1 else f"{n} arguments"

    if high is None:
        expected = f"at least {args(low)}"
    elif high == 0:
        expected = "no arguments"
    elif low == high:
        expected = args(low)
    else:
        expected = f"{low} or {args(high)}"
    return f"{name} takes {expected}, got {got}"


# ---------------------------------------------------------------- compiled form


class Intrinsic:
    """A compiled intrinsic call. ``evaluate(env)`` returns its JSON value.

    Failures raise :class:`aslrun.errors.StatesError` with :data:`INTRINSIC_ERROR`.
    """

    __slots__ = ("text", "name", "paths", "_fn")

    def __init__(self, text: str, name: str, paths: tuple[ValuePath, ...], fn: Getter) -> None:
        self.text = text
        #: the outermost function, e.g. ``States.Format``
        self.name = name
        #: every path argument, at any depth, in the order written
        self.paths = paths
        self._fn = fn

    def __repr__(self) -> str:
        return f"Intrinsic({self.text!r})"

    def evaluate(self, env: Env) -> Any:
        """The value of the call for this input, context and variables."""
        try:
            return self._fn(env)
        except _Invalid as exc:
            raise StatesError(
                INTRINSIC_ERROR, f"The function '{self.text}' had the following error: {exc.message}"
            ) from None


def _constant(value: Any) -> Getter:
    return lambda env: value


def _path_getter(vp: ValuePath) -> Getter:
    get = vp.get

    def path_value(env: Env) -> Any:
        try:
            return get(env)
        except PathNotFound:
            raise _Invalid(_missing_path_message(vp, env)) from None

    # The path's fast reader, falling back to ``path_value`` (which words the error) when it does not answer.
    return vp.reader(path_value)


def _missing_path_message(vp: ValuePath, env: Env) -> str:
    if vp.source == "variable":
        name = vp.variable or ""
        if name not in env.variables:
            return f"The JsonPath argument for the field '{vp.text}' could not be found in the variables."
        where = env.variables[name]
    else:
        where = env.context if vp.source == "context" else env.input
    return (
        f"The JsonPath argument for the field '{vp.text}' could not be found in the input '{_compact(where)}'"
    )


def _bind(impl: Callable[..., Any], getters: list[Getter], with_env: bool) -> Getter:
    """One closure per arity, so evaluation makes no argument lists."""
    n = len(getters)
    if with_env:
        if n == 0:
            return lambda env: impl(env)
        if n == 2:
            g0, g1 = getters
            return lambda env: impl(env, g0(env), g1(env))
        h0, h1, h2 = getters
        return lambda env: impl(env, h0(env), h1(env), h2(env), True)
    if n == 0:
        return lambda env: impl()
    if n == 1:
        (a,) = getters
        return lambda env: impl(a(env))
    if n == 2:
        a, b = getters
        return lambda env: impl(a(env), b(env))
    if n == 3:
        a, b, c = getters
        return lambda env: impl(a(env), b(env), c(env))
    many = tuple(getters)
    return lambda env: impl(*[g(env) for g in many])


def _bind_format(pieces: tuple[str | None, ...] | None, getters: list[Getter]) -> Getter:
    """States.Format with a literal template: the placeholders are found at load time."""
    values = tuple(getters)
    if pieces is None or sum(1 for p in pieces if p is None) != len(values):
        # AWS fails when the state runs, not when the definition is created (TypeScript
        # suite FMT-14..21); the arguments are still evaluated first.
        def fail(env: Env) -> str:
            for g in values:
                g(env)
            raise _invalid("States.Format")

        return fail
    # str.format does the joining in C; literal braces are doubled for it
    fmt = "".join("{}" if p is None else p.replace("{", "{{").replace("}", "}}") for p in pieces)
    return lambda env: fmt.format(*[java_str(g(env)) for g in values])


# ---------------------------------------------------------------- parser

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_CALL_SHAPE = re.compile(r"\s*[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*\s*\(.*\)\s*", re.DOTALL)
_SPACE = " \t\n\r"
_ESCAPABLE = "'{}\\"


def is_intrinsic_call(text: str) -> bool:
    """True for text shaped like a call, ``Name.Name(...)``; says nothing of validity."""
    return isinstance(text, str) and _CALL_SHAPE.fullmatch(text) is not None


def compile_intrinsic(text: str, cache: ExpressionCache | None = None) -> Intrinsic:
    """Parse and check an intrinsic call; raises :class:`IntrinsicSyntaxError`.

    Its path arguments are compiled through ``cache`` (an interpreter's), if given.
    """
    if not isinstance(text, str):
        raise IntrinsicSyntaxError("an intrinsic function call must be a string", repr(text))
    return _Parser(text, cache).parse()


class _Literal:
    """A literal argument while parsing; Format keeps the escape-aware template pieces."""

    __slots__ = ("value", "pieces")

    def __init__(self, value: Any, pieces: tuple[str | None, ...] | None = None) -> None:
        self.value = value
        self.pieces = pieces


class _Parser:
    def __init__(self, text: str, cache: ExpressionCache | None = None) -> None:
        self.text = text
        self.pos = 0
        self.paths: list[ValuePath] = []
        self.cache = cache

    def error(self, reason: str, position: int | None = None) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(reason, self.text, self.pos if position is None else position)

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _SPACE:
            pos += 1
        self.pos = pos

    def parse(self) -> Intrinsic:
        self.skip_space()
        name, fn = self.call(1)
        self.skip_space()
        if self.pos != len(self.text):
            raise self.error("unexpected text after the closing ')'")
        return Intrinsic(self.text, name, tuple(self.paths), fn)

    def call(self, depth: int) -> tuple[str, Getter]:
        start = self.pos
        m = _NAME.match(self.text, start)
        if m is None:
            raise self.error("expected an intrinsic function name such as 'States.Format'")
        name = m.group()
        entry = _FUNCTIONS.get(name)
        if entry is None:
            import difflib  # only for a "did you mean" hint

            close = difflib.get_close_matches(name, _FUNCTIONS, n=1)
            hint = (
                f"; did you mean '{close[0]}'?"
                if close
                else f"; expected one of {', '.join(sorted(_FUNCTIONS))}"
            )
            raise self.error(f"'{name}' is not an intrinsic function{hint}", start)
        if depth > defaults.MAX_INTRINSIC_NESTING:
            raise self.error(
                f"intrinsic functions can be nested at most {defaults.MAX_INTRINSIC_NESTING} deep", start
            )
        self.pos = m.end()
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] != "(":
            raise self.error(f"expected '(' after {name}")
        self.pos += 1
        args = self.arguments(depth)
        impl, low, high, with_env = entry
        if len(args) < low or (high is not None and len(args) > high):
            raise self.error(_arity_text(name, low, high, len(args)), start)
        getters = [_constant(a.value) if isinstance(a, _Literal) else a for a in args]
        if name == "States.Format" and isinstance(args[0], _Literal):
            template = args[0]
            pieces = template.pieces if isinstance(template.value, str) else None
            return name, _bind_format(pieces, getters[1:])
        return name, _bind(impl, getters, with_env)

    def arguments(self, depth: int) -> list[_Literal | Getter]:
        args: list[_Literal | Getter] = []
        self.skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == ")":
            self.pos += 1
            return args
        while True:
            self.skip_space()
            args.append(self.argument(depth))
            self.skip_space()
            if self.pos >= len(self.text):
                raise self.error("missing ')' at the end of the call")
            ch = self.text[self.pos]
            self.pos += 1
            if ch == ")":
                return args
            if ch != ",":
                raise self.error(f"expected ',' or ')' but found {ch!r}", self.pos - 1)

    def argument(self, depth: int) -> _Literal | Getter:
        text, pos = self.text, self.pos
        if pos >= len(text):
            raise self.error("missing argument")
        ch = text[pos]
        if ch == "'":
            return self.string()
        if ch == "$":
            return self.path()
        if ch == "-" or ch.isdigit():
            return self.number()
        m = _NAME.match(text, pos)
        if m is None:
            raise self.error(f"expected an argument but found {ch!r}")
        word = m.group()
        if word in ("true", "false", "null"):
            self.pos = m.end()
            return _Literal({"true": True, "false": False, "null": None}[word])
        _, fn = self.call(depth + 1)
        return fn

    def string(self) -> _Literal:
        text = self.text
        start = self.pos
        i = start + 1
        chars: list[str] = []
        pieces: list[str | None] = []
        piece: list[str] = []
        template_ok = True
        while True:
            if i >= len(text):
                raise self.error("unterminated string: missing the closing quote", start)
            ch = text[i]
            if ch == "'":
                break
            if ch == "\\":
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if nxt not in _ESCAPABLE or not nxt:
                    raise self.error(
                        "a backslash in an intrinsic string must escape one of ' { } \\ "
                        "(write \\\\ for a backslash)",
                        i,
                    )
                chars.append(nxt)
                piece.append(nxt)
                i += 2
                continue
            if ch == "{" and text.startswith("{}", i):
                chars.append("{}")
                if piece:
                    pieces.append("".join(piece))
                    piece = []
                pieces.append(None)
                i += 2
                continue
            if ch in "{}":
                template_ok = False  # fails only if this string is a Format template
            chars.append(ch)
            piece.append(ch)
            i += 1
        if piece:
            pieces.append("".join(piece))
        self.pos = i + 1
        return _Literal("".join(chars), tuple(pieces) if template_ok else None)

    def number(self) -> _Literal:
        m = _NUMBER.match(self.text, self.pos)
        end = m.end() if m else self.pos
        if m is None or (end < len(self.text) and self.text[end] not in _SPACE + ",)"):
            raise self.error("malformed number")
        literal = m.group()
        if len(literal) > MAX_NUMBER_DIGITS:
            raise self.error(
                f"a number literal of {len(literal)} characters; aslrun reads numbers of at most "
                f"{MAX_NUMBER_DIGITS} (the default maxNumberLength of Jackson, AWS's JSON parser)"
            )
        self.pos = end
        if m.group(1) is None and m.group(2) is None:
            return _Literal(int(literal))
        value = float(literal)
        if math.isinf(value):
            raise self.error(f"the number literal {literal} is beyond the range of a double", end - len(literal))
        return _Literal(value)

    def path(self) -> Getter:
        text = self.text
        start = self.pos
        i = start
        brackets = parens = 0
        quote = ""
        while i < len(text):
            ch = text[i]
            if quote:
                if ch == "\\":
                    i += 1
                elif ch == quote:
                    quote = ""
            elif ch in "'\"" and brackets:
                quote = ch
            elif ch == "[":
                brackets += 1
            elif ch == "]":
                brackets -= 1
            elif ch == "(":
                parens += 1
            elif ch == ")":
                if not parens and not brackets:
                    break
                parens -= 1
            elif (ch == "," or ch in _SPACE) and not brackets and not parens:
                break
            i += 1
        source = text[start:i]
        try:
            vp = compile_value_path(source, cache=self.cache)
        except PathSyntaxError as exc:
            raise self.error(f"invalid path argument {source!r}: {exc.reason}", start) from None
        self.pos = i
        self.paths.append(vp)
        return _path_getter(vp)
