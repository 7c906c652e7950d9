"""JSONPath as Step Functions evaluates it (the Jayway dialect), compiled once.

A path is compiled at load time into a tuple of steps. Evaluation walks the steps
without re-parsing. Two kinds of path matter to ASL:

* a *definite* path (only ``.name``, ``['name']`` and ``[index]`` steps) selects at
  most one node; if the node is missing, evaluation raises :class:`PathNotFound`
  with Jayway's message (``No results for path: $['x']`` for a missing leaf,
  ``Missing property in path $['a']`` for a missing intermediate);
* an *indefinite* path (wildcards, ``..``, unions, slices, filters) yields a list of
  every match, possibly empty, and never fails.

Reference paths (``ResultPath``, ``ItemsPath``, ...) are the definite subset; they
can also be *set*, which builds a new document and leaves the old one untouched.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aslrun import defaults
from aslrun.errors import StatesError
from aslrun.expressions._limits import MAX_NUMBER_DIGITS, json_text

__all__ = [
    "JsonPath",
    "PathNotFound",
    "PathSyntaxError",
    "ResultPathMatchFailure",
    "compile_path",
    "compile_reference_path",
    "format_steps",
]


class PathSyntaxError(ValueError):
    """The text is not a JSONPath (or not a reference path where one is required)."""

    def __init__(self, message: str, text: str, position: int | None = None) -> None:
        self.text = text
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where} in {text!r}")
        self.reason = message


class PathNotFound(LookupError):
    """A definite path matched nothing. ``message`` is Jayway's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResultPathMatchFailure(ValueError):
    """A reference path cannot be set on the given document."""


# ---------------------------------------------------------------- steps

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class _Field:
    name: str


@dataclass(frozen=True, slots=True)
class _Index:
    index: int


@dataclass(frozen=True, slots=True)
class _Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class _Union:
    keys: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class _Slice:
    start: int | None
    stop: int | None
    step: int | None


@dataclass(frozen=True, slots=True)
class _Filter:
    predicate: Callable[[Any, Any], bool]
    text: str


@dataclass(frozen=True, slots=True)
class _Deep:
    """``..`` followed by one step applied at every depth."""

    step: Any


@dataclass(frozen=True, slots=True)
class _Function:
    name: str


def _bracket(key: str | int) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return "['" + key + "']"


def format_steps(steps: tuple[str | int, ...]) -> str:
    """Jayway's canonical form of a definite path: ``$['a'][0]``."""
    return "$" + "".join(_bracket(s) for s in steps)


# ---------------------------------------------------------------- compiled path


class JsonPath:
    """A compiled JSONPath. Build with :func:`compile_path`."""

    __slots__ = ("text", "steps", "definite", "_simple", "function", "_merge")

    def __init__(self, text: str, steps: tuple[Any, ...], function: str | None = None) -> None:
        self.text = text
        self.steps = steps
        self.function = function
        simple = all(isinstance(s, (_Field, _Index)) for s in steps)
        self.definite = simple
        self._simple: tuple[str | int, ...] | None = (
            tuple(s.name if isinstance(s, _Field) else s.index for s in steps) if simple else None
        )
        # Jayway: several property names as the last step (['a','b']) select one object holding them.
        self._merge: tuple[tuple[str | int, ...], tuple[str, ...]] | None = None
        if steps and isinstance(steps[-1], _Union) and all(isinstance(k, str) for k in steps[-1].keys) \
                and all(isinstance(s, (_Field, _Index)) for s in steps[:-1]):
            prefix = tuple(s.name if isinstance(s, _Field) else s.index for s in steps[:-1])
            self._merge = (prefix, tuple(str(k) for k in steps[-1].keys))

    def __repr__(self) -> str:
        return f"JsonPath({self.text!r})"

    @property
    def keys(self) -> tuple[str | int, ...]:
        """The steps of a definite path as plain keys (str for fields, int for indexes)."""
        if self._simple is None:
            raise TypeError(f"{self.text!r} is not a definite path")
        return self._simple

    def evaluate(self, data: Any) -> Any:
        """The value the path selects: one node (definite) or a list of nodes."""
        if self._simple is not None:
            value = _get_definite(data, self._simple)
        elif self._merge is not None:
            prefix, names = self._merge
            node = _get_definite(data, prefix) if prefix else data
            if not isinstance(node, dict):
                raise PathNotFound(_not_object_message(node, names[0], prefix))
            value = {name: node[name] for name in names if name in node}
        else:
            value = list(_walk([data], self.steps, self.text))
        if self.function is not None:
            value = _apply_function(self.function, value, self.text)
        return value

    def exists(self, data: Any) -> bool:
        """True when evaluating would not raise :class:`PathNotFound`."""
        if self._simple is None:
            return True
        try:
            _get_definite(data, self._simple)
        except PathNotFound:
            return False
        return True

    def set(self, data: Any, value: Any) -> Any:
        """A copy of ``data`` with ``value`` placed at this (reference) path.

        Intermediate objects are created as needed; the original is not changed.
        Raises :class:`ResultPathMatchFailure` when the path cannot apply.
        """
        if self._simple is None:
            raise TypeError(f"{self.text!r} is not a reference path")
        return _set(data, self._simple, value, self.text)


def _get_definite(data: Any, keys: tuple[str | int, ...]) -> Any:
    node = data
    last = len(keys) - 1
    for i, key in enumerate(keys):
        if isinstance(key, str):
            if isinstance(node, dict):
                nxt = node.get(key, _MISSING)
                if nxt is _MISSING:
                    if i == last:
                        raise PathNotFound("No results for path: " + format_steps(keys))
                    raise PathNotFound("Missing property in path " + format_steps(keys[: i + 1]))
                node = nxt
                continue
            raise PathNotFound(_not_object_message(node, key, keys[:i]))
        if isinstance(node, list):
            idx = key if key >= 0 else len(node) + key
            if 0 <= idx < len(node):
                node = node[idx]
                continue
            raise PathNotFound("No results for path: " + format_steps(keys))
        raise PathNotFound(
            f"Filter: {_bracket(key)} can only be applied to arrays. Current context is: {_jayway_repr(node)}"
        )
    return node


def _not_object_message(node: Any, key: str, prefix: tuple[str | int, ...]) -> str:
    if node is None:
        kind = "null"
    else:
        kind = _java_class(node)
    return (
        f"Expected to find an object with property {_bracket(key)} in path "
        f"{format_steps(prefix)} but found '{kind}'. This is not a json object according to the "
        "JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider'."
    )


def _java_class(node: Any) -> str:
    if isinstance(node, bool):
        return "com.fasterxml.jackson.databind.node.BooleanNode"
    if isinstance(node, int):
        return "com.fasterxml.jackson.databind.node.IntNode"
    if isinstance(node, float):
        return "com.fasterxml.jackson.databind.node.DoubleNode"
    if isinstance(node, str):
        return "com.fasterxml.jackson.databind.node.TextNode"
    if isinstance(node, list):
        return "com.fasterxml.jackson.databind.node.ArrayNode"
    return "com.fasterxml.jackson.databind.node.ObjectNode"


def _jayway_repr(node: Any) -> str:
    return json_text(node)


def _set(node: Any, keys: tuple[str | int, ...], value: Any, text: str) -> Any:
    # Down the path copying each container (a loop, so a path of any length works), then
    # back up linking every copy into its parent.
    copies: list[tuple[dict[str, Any] | list[Any], str | int]] = []
    for i, key in enumerate(keys):
        if isinstance(key, str):
            if node is _MISSING or node is None and i > 0:
                node = {}
            if not isinstance(node, dict):
                raise ResultPathMatchFailure(text)
            copies.append((dict(node), key))
            node = node.get(key, _MISSING)
            continue
        if not isinstance(node, list):
            raise ResultPathMatchFailure(text)
        idx = key if key >= 0 else len(node) + key
        if not 0 <= idx < len(node):
            raise ResultPathMatchFailure(text)
        copies.append((list(node), idx))
        node = node[idx]
    for container, slot in reversed(copies):
        container[slot] = value  # type: ignore[index]
        value = container
    return value


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield from node.values()
    elif isinstance(node, list):
        yield from node


def _apply_step(node: Any, step: Any) -> Iterator[Any]:
    if isinstance(step, _Field):
        if isinstance(node, dict) and step.name in node:
            yield node[step.name]
    elif isinstance(step, _Index):
        if isinstance(node, list):
            idx = step.index if step.index >= 0 else len(node) + step.index
            if 0 <= idx < len(node):
                yield node[idx]
    elif isinstance(step, _Wildcard):
        yield from _children(node)
    elif isinstance(step, _Union):
        for key in step.keys:
            if isinstance(key, str):
                if isinstance(node, dict) and key in node:
                    yield node[key]
            elif isinstance(node, list):
                idx = key if key >= 0 else len(node) + key
                if 0 <= idx < len(node):
                    yield node[idx]
    elif isinstance(step, _Slice):
        if isinstance(node, list):
            yield from node[slice(step.start, step.stop, step.step)]
    elif isinstance(step, _Filter):
        if isinstance(node, list):
            for item in node:
                if step.predicate(item, None):
                    yield item
        elif isinstance(node, dict) and step.predicate(node, None):
            yield node
    elif isinstance(step, _Deep):
        yield from _deep(node, step.step)


def _deep(node: Any, step: Any) -> Iterator[Any]:
    """``..step``: the step at ``node`` and every container below it, in document (pre-)order.

    An explicit stack of child iterators, so a document of any depth is scanned without recursion.
    """
    yield from _apply_step(node, step)
    stack = [_children(node)]
    while stack:
        for child in stack[-1]:
            if isinstance(child, (dict, list)):
                yield from _apply_step(child, step)
                stack.append(_children(child))
                break
        else:
            stack.pop()


def _walk(nodes: list[Any], steps: tuple[Any, ...], text: str = "") -> Iterator[Any]:
    current = nodes
    for step in steps:
        nxt: list[Any] = []
        for node in current:
            nxt.extend(_apply_step(node, step))
            if len(nxt) > defaults.MAX_PATH_MATCHES:
                # Repeated deep scans ($..*..*..*) grow as a power of the document's size: stop long
                # before memory runs out. No payload can hold this many values.
                raise StatesError("States.Runtime", f"The JSONPath {text or '(a path)'} matches more than "
                                  f"{defaults.MAX_PATH_MATCHES:,} values on the way (aslrun's limit, "
                                  "MAX_PATH_MATCHES); select less")
        current = nxt
    yield from current


def _apply_function(name: str, value: Any, text: str) -> Any:
    items = value
    if name == "length" or name == "size":
        if isinstance(items, (list, dict, str)):
            return len(items)
        raise PathNotFound(f"Aggregation function attempted to calculate value using empty array in {text}")
    numbers = [v for v in (items if isinstance(items, list) else [items]) if _is_number(v)]
    if not numbers:
        raise PathNotFound(f"Aggregation function attempted to calculate value using empty array in {text}")
    try:
        result = _aggregate(name, numbers)
    except OverflowError:
        result = math.inf
    if not math.isfinite(result):
        # Jayway aggregates doubles and would give Infinity, which is not JSON: the path fails instead
        raise PathNotFound(
            f"Aggregation function {name}() in {text} gave a result beyond the range of a double"
        )
    return result


def _aggregate(name: str, numbers: list[Any]) -> float:
    if name == "min":
        return float(min(numbers))
    if name == "max":
        return float(max(numbers))
    if name == "sum":
        return float(sum(numbers))
    if name == "avg":
        return float(sum(numbers)) / len(numbers)
    if name == "stddev":
        mean = sum(numbers) / len(numbers)
        return math.sqrt(sum((n - mean) ** 2 for n in numbers) / len(numbers))
    raise PathNotFound(f"Function with name: {name} does not exist.")


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---------------------------------------------------------------- parser

_FUNCTIONS = {"length", "size", "min", "max", "sum", "avg", "stddev"}
_NAME_STOP = set(".[ \t\n()")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> PathSyntaxError:
        return PathSyntaxError(message, self.text, self.pos)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def parse(self) -> JsonPath:
        text = self.text
        if not text.startswith("$"):
            raise self.error("a path must start with '$'")
        self.pos = 1
        steps: list[Any] = []
        function: str | None = None
        while not self.at_end():
            c = self.text[self.pos]
            if self.peek(2) == "..":
                self.pos += 2
                if self.at_end():
                    raise self.error("'..' must be followed by a name, '*' or '['")
                if self.text[self.pos] == "[":
                    step = self.parse_bracket()
                elif self.text[self.pos] == "*":
                    self.pos += 1
                    step = _Wildcard()
                else:
                    step = _Field(self.parse_name())
                steps.append(_Deep(step))
            elif c == ".":
                self.pos += 1
                if self.at_end():
                    raise self.error("a path must not end with '.'")
                if self.text[self.pos] == "*":
                    self.pos += 1
                    steps.append(_Wildcard())
                elif self.text[self.pos] == "[":
                    steps.append(self.parse_bracket())
                else:
                    name = self.parse_name()
                    if self.peek(2) == "()":
                        if name not in _FUNCTIONS:
                            raise self.error(f"unknown path function {name}()")
                        self.pos += 2
                        if not self.at_end():
                            raise self.error("a path function must come last")
                        function = name
                        break
                    steps.append(_Field(name))
            elif c == "[":
                steps.append(self.parse_bracket())
            else:
                raise self.error(f"unexpected character {c!r}")
        return JsonPath(text, tuple(steps), function)

    def parse_name(self) -> str:
        out: list[str] = []
        while not self.at_end():
            c = self.text[self.pos]
            if c == "\\":
                if self.pos + 1 >= len(self.text):
                    raise self.error("a path must not end with a lone backslash")
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if c in _NAME_STOP:
                break
            out.append(c)
            self.pos += 1
        if not out:
            raise self.error("expected a field name")
        return "".join(out)

    def skip_ws(self) -> None:
        while not self.at_end() and self.text[self.pos] in " \t":
            self.pos += 1

    def parse_bracket(self) -> Any:
        assert self.text[self.pos] == "["
        self.pos += 1
        self.skip_ws()
        if self.peek() == "?":
            return self.parse_filter()
        if self.peek() == "*":
            self.pos += 1
            self.skip_ws()
            self.expect("]")
            return _Wildcard()
        if self.peek() in ("'", '"'):
            names: list[str | int] = []
            while True:
                self.skip_ws()
                names.append(self.parse_quoted())
                self.skip_ws()
                if self.peek() == ",":
                    self.pos += 1
                    continue
                self.expect("]")
                break
            if len(names) == 1:
                return _Field(str(names[0]))
            return _Union(tuple(names))
        # numbers, unions of numbers, slices
        body_start = self.pos
        end = self.text.find("]", self.pos)
        if end < 0:
            raise self.error("missing ']'")
        body = self.text[body_start:end].replace(" ", "")
        self.pos = end + 1
        if not body:
            raise PathSyntaxError("empty brackets", self.text, body_start)
        if ":" in body:
            parts = body.split(":")
            if len(parts) > 3:
                raise PathSyntaxError("a slice has at most three parts", self.text, body_start)
            try:
                nums = [int(p) if p else None for p in parts]
            except ValueError:
                raise PathSyntaxError("slice bounds must be integers", self.text, body_start) from None
            while len(nums) < 3:
                nums.append(None)
            if nums[2] == 0:
                raise PathSyntaxError("slice step must not be 0", self.text, body_start)
            return _Slice(nums[0], nums[1], nums[2])
        try:
            indexes = [int(p) for p in body.split(",")]
        except ValueError:
            raise PathSyntaxError(f"invalid array index [{body}]", self.text, body_start) from None
        if len(indexes) == 1:
            return _Index(indexes[0])
        return _Union(tuple(indexes))

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise self.error(f"expected {ch!r}")
        self.pos += 1

    def parse_quoted(self) -> str:
        quote = self.text[self.pos]
        self.pos += 1
        out: list[str] = []
        while True:
            if self.at_end():
                raise self.error("unterminated quoted name")
            c = self.text[self.pos]
            # Jayway: inside a quoted name a backslash only escapes the quote character itself.
            if c == "\\" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] == quote:
                out.append(quote)
                self.pos += 2
                continue
            if c == quote:
                self.pos += 1
                return "".join(out)
            out.append(c)
            self.pos += 1

    def parse_filter(self) -> _Filter:
        start = self.pos
        self.pos += 1  # '?'
        self.skip_ws()
        self.expect("(")
        depth = 1
        i = self.pos
        in_str: str | None = None
        while i < len(self.text):
            c = self.text[i]
            if in_str:
                if c == "\\":
                    i += 2
                    continue
                if c == in_str:
                    in_str = None
            elif c in ("'", '"'):
                in_str = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        if depth:
            raise self.error("unterminated filter expression")
        expr_text = self.text[self.pos : i]
        self.pos = i + 1
        self.skip_ws()
        self.expect("]")
        predicate = _FilterParser(expr_text, self.text, start).parse()
        return _Filter(predicate, expr_text)


# ---------------------------------------------------------------- filter expressions

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
    | (?P<regex>/(?:[^/\\]|\\.)*/[a-z]*)
    | (?P<path>[@$](?:\.(?:length|size)\(\)|\.\.?[^\s.\[()=!<>&|]+|\[[^\]]*\]|\.\*)*)
    | (?P<array>\[(?:[^\[\]'"]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")*\])
    | (?P<op>==|!=|<=|>=|=~|<|>|&&|\|\||!|\(|\)|\bin\b|\bnin\b|\bsize\b|\bempty\b)
    | (?P<word>true|false|null)
    )""",
    re.VERBOSE,
)


#: parentheses a filter expression may nest (aslrun's limit; the parser recurses once per level)
MAX_FILTER_NESTING = 100


class _FilterParser:
    """A small recursive-descent parser for Jayway filter expressions."""

    def __init__(self, expr: str, whole: str, position: int) -> None:
        self.expr = expr
        self.whole = whole
        self.position = position
        self.tokens = self.tokenize(expr)
        self.i = 0
        self.depth = 0

    def error(self, message: str) -> PathSyntaxError:
        return PathSyntaxError(f"invalid filter ({message})", self.whole, self.position)

    def tokenize(self, expr: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        while pos < len(expr):
            if expr[pos:].strip() == "":
                break
            m = _TOKEN.match(expr, pos)
            if not m or m.end() == pos:
                raise self.error(f"unexpected text {expr[pos:]!r}")
            kind = m.lastgroup or ""
            tokens.append((kind, m.group(kind)))
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
        return pred

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
        compiled = compile_path("$" + body[1:])
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

    converted = re.sub(r"'((?:[^'\\]|\\.)*)'", lambda m: json.dumps(re.sub(r"\\(.)", r"\1", m.group(1))), text)
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


# ---------------------------------------------------------------- public constructors

_CACHE: dict[str, JsonPath] = {}


def compile_path(text: str) -> JsonPath:
    """Compile a JSONPath (``$``-rooted; ``$$`` and variable prefixes are handled by callers)."""
    if not isinstance(text, str):
        raise PathSyntaxError("a path must be a string", repr(text))
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    compiled = _Parser(text).parse()
    if len(_CACHE) < 4096:
        _CACHE[text] = compiled
    return compiled


def compile_reference_path(text: str) -> JsonPath:
    """Compile a reference path: only ``.name``, ``['name']`` and ``[index]`` steps."""
    compiled = compile_path(text)
    if not compiled.definite or compiled.function is not None:
        raise PathSyntaxError(
            "a reference path may only use '.name', ['name'] and [index] steps "
            "(no wildcards, filters, slices, unions, '..' or functions)",
            text,
        )
    return compiled
