"""Jayway filter expressions, ``[?(@.price < 10 && @.tags empty false)]``, compiled once.

:func:`compile_filter` turns the text between ``[?(`` and ``)]`` into a predicate
``(node, root) -> bool``. A path inside the filter (``@.a.b``) is compiled by the
function the caller passes, so this module needs nothing from
:mod:`aslrun.expressions.jsonpath` but its exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

from aslrun.expressions._limits import MAX_NUMBER_DIGITS
from aslrun.expressions.jsonpath_errors import BareWordFilter, PathNotFound, PathSyntaxError

__all__ = ["MAX_FILTER_NESTING", "compile_filter"]

_MISSING: Any = object()


class _Path(Protocol):
    def evaluate(self, data: Any) -> Any: ...


def compile_filter(
    expr: str, whole: str, position: int, compile_path: Callable[[str], _Path]
) -> Callable[[Any, Any], bool]:
    """The predicate of filter ``expr`` (found at ``position`` in path ``whole``).

    ``compile_path`` compiles the paths the filter reads; raises :class:`PathSyntaxError`, and
    :class:`BareWordFilter` (a subclass) for a filter that is otherwise well formed but compares
    with an unquoted word, which Jayway cannot compile.
    """
    return _FilterParser(expr, whole, position, compile_path).parse()


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<path>[@$](?:\.(?:length|size)\(\)|\.\.?[^\s.\[()=!<>&|]+|\[[^\]]*\]|\.\*)*)
    | (?P<array>\[(?:[^\[\]'"]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")*\])
    | (?P<op>==|!=|<=|>=|=~|<|>|&&|\|\||!|\(|\)|\bin\b|\bnin\b|\bsize\b|\bempty\b)
    | (?P<word>true|false|null)
    | (?P<bare>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


#: parentheses a filter expression may nest (aslrun's limit; the parser recurses once per level)
MAX_FILTER_NESTING = 100


class _FilterParser:
    """A small recursive-descent parser for Jayway filter expressions."""

    def __init__(self, expr: str, whole: str, position: int, compile_path: Callable[[str], _Path]) -> None:
        self.compile_path = compile_path
        self.expr = expr
        self.whole = whole
        self.position = position
        self.tokens = self.tokenize(expr)
        self.i = 0
        self.depth = 0
        self.bare: str | None = None  # the first unquoted word compared with

    def error(self, message: str) -> PathSyntaxError:
        return PathSyntaxError(f"invalid filter ({message})", self.whole, self.position)

    def tokenize(self, expr: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        self.offsets: list[int] = []
        pos = 0
        while pos < len(expr):
            if expr[pos:].strip() == "":
                break
            m = _TOKEN.match(expr, pos)
            if not m or m.end() == pos:
                raise self.error(f"unexpected text {expr[pos:]!r}")
            kind = m.lastgroup or ""
            tokens.append((kind, m.group(kind)))
            self.offsets.append(m.start(kind))
            pos = m.end()
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end")
        self.i += 1
        return tok

    def parse(self) -> Callable[[Any, Any], bool]:
        pred = self.parse_or()
        if self.peek() is not None:
            raise self.error(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        if self.bare is not None:
            raise self.bare_word_error()
        return pred

    def bare_word_error(self) -> BareWordFilter:
        """Jayway's verdict on the first unquoted word (see :class:`BareWordFilter`)."""
        index = next(i for i, tok in enumerate(self.tokens) if tok == ("bare", self.bare))
        jayway_filter = f"[?({self.expr})]"
        position = 3 + self.offsets[index]
        message = (f"Failed to parse filter: {jayway_filter}, error on position: {position}, "
                   f"char: {jayway_filter[position]}")
        return BareWordFilter(self.whole, str(self.bare), message)

    # A chain of || or && is one flat predicate over a tuple (not closures nested once per
    # operand, which a long chain would turn into deep recursion when the filter runs).
    def parse_or(self) -> Callable[[Any, Any], bool]:
        terms = [self.parse_and()]
        while self.peek() == ("op", "||"):
            self.take()
            terms.append(self.parse_and())
        if len(terms) == 1:
            return terms[0]
        alternatives = tuple(terms)
        return lambda n, r: any(t(n, r) for t in alternatives)

    def parse_and(self) -> Callable[[Any, Any], bool]:
        terms = [self.parse_not()]
        while self.peek() == ("op", "&&"):
            self.take()
            terms.append(self.parse_not())
        if len(terms) == 1:
            return terms[0]
        conjuncts = tuple(terms)
        return lambda n, r: all(t(n, r) for t in conjuncts)

    def parse_not(self) -> Callable[[Any, Any], bool]:
        negations = 0
        while self.peek() == ("op", "!"):
            self.take()
            negations += 1
        if self.peek() == ("op", "("):
            self.take()
            self.depth += 1
            if self.depth > MAX_FILTER_NESTING:
                raise self.error(f"parentheses nested more than {MAX_FILTER_NESTING} deep")
            inner = self.parse_or()
            if self.take() != ("op", ")"):
                raise self.error("expected ')'")
            self.depth -= 1
        else:
            inner = self.parse_comparison()
        if negations % 2:
            positive = inner
            return lambda n, r: not positive(n, r)
        return inner

    def parse_operand(self) -> Callable[[Any], Any]:
        kind, text = self.take()
        if kind == "num":
            if len(text) > MAX_NUMBER_DIGITS:
                raise self.error(f"a number longer than {MAX_NUMBER_DIGITS} characters")
            num: Any = float(text) if any(c in text for c in ".eE") else int(text)
            return lambda n: num
        if kind == "str":
            s = re.sub(r"\\(.)", r"\1", text[1:-1])
            return lambda n: s
        if kind == "word":
            lit = {"true": True, "false": False, "null": None}[text]
            return lambda n: lit
        if kind == "path":
            return self.path_getter(text)
        if kind == "bare":
            if self.bare is None:
                self.bare = text
            return lambda n: _MISSING
        if kind == "array":
            items = _parse_array_literal(text, self)
            return lambda n: items
        if kind == "regex":
            body, _, flags = text[1:].rpartition("/")
            reflags = re.IGNORECASE if "i" in flags else 0
            try:
                rx = re.compile(body, reflags)
            except (re.error, RecursionError, OverflowError) as exc:
                raise self.error(f"invalid regular expression /{body}/: {exc}") from None
            return lambda n: rx
        if kind == "op" and text == "(":
            raise self.error("unexpected '('")
        raise self.error(f"unexpected {text!r}")

    def path_getter(self, text: str) -> Callable[[Any], Any]:
        root = text[0]
        func = None
        body = text
        for fn in ("length", "size"):
            if body.endswith(f".{fn}()"):
                func = fn
                body = body[: -len(fn) - 3]
        compiled = self.compile_path("$" + body[1:])
        if root == "$":
            # '$' inside a filter refers to the document root, which we do not
            # thread through; treat it as the current node's root-relative path.
            pass

        def get(node: Any) -> Any:
            try:
                value = compiled.evaluate(node)
            except PathNotFound:
                return _MISSING
            if func is not None:
                return len(value) if isinstance(value, (list, dict, str)) else _MISSING
            return value

        return get

    def parse_comparison(self) -> Callable[[Any, Any], bool]:
        left = self.parse_operand()
        tok = self.peek()
        if tok is None or tok[0] != "op" or tok[1] in ("&&", "||", ")"):
            return lambda n, r: _truthy(left(n))
        op = self.take()[1]
        right = self.parse_operand()
        compare = _COMPARATORS.get(op)
        if compare is None:
            raise self.error(f"unsupported operator {op!r}")
        return lambda n, r: compare(left(n), right(n))


def _parse_array_literal(text: str, parser: Any) -> list[Any]:
    """``[1, 'S', "M", true]`` as Jayway accepts it in a filter (single or double quotes)."""
    import json

    converted = re.sub(
        r"'((?:[^'\\]|\\.)*)'", lambda m: json.dumps(re.sub(r"\\(.)", r"\1", m.group(1))), text
    )
    try:
        value = json.loads(converted)
    except ValueError:
        raise parser.error(f"invalid array {text!r}") from None
    return value if isinstance(value, list) else [value]


def _truthy(v: Any) -> bool:
    return v is not _MISSING


def _num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _eq(a: Any, b: Any) -> bool:
    if a is _MISSING or b is _MISSING:
        return False
    if _num(a) and _num(b):
        return bool(a == b)
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _ordered(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def cmp(a: Any, b: Any) -> bool:
        if _num(a) and _num(b):
            return op(a, b)
        if isinstance(a, str) and isinstance(b, str):
            return op(a, b)
        return False

    return cmp


def _in(a: Any, b: Any) -> bool:
    return isinstance(b, list) and any(_eq(a, x) for x in b)


_COMPARATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": _eq,
    "!=": lambda a, b: a is not _MISSING and not _eq(a, b),
    "<": _ordered(lambda a, b: a < b),
    "<=": _ordered(lambda a, b: a <= b),
    ">": _ordered(lambda a, b: a > b),
    ">=": _ordered(lambda a, b: a >= b),
    "=~": lambda a, b: isinstance(a, str) and hasattr(b, "fullmatch") and b.fullmatch(a) is not None,
    "in": _in,
    "nin": lambda a, b: a is not _MISSING and not _in(a, b),
}
