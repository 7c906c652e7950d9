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

Filters (``[?(...)]``) are compiled by :mod:`aslrun.expressions.jsonpath_filter`; the
exceptions live in :mod:`aslrun.expressions.jsonpath_errors` and are re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aslrun import defaults
from aslrun.errors import StatesError
from aslrun.expressions._limits import json_text
from aslrun.expressions.jsonpath_errors import (
    BareWordFilter,
    PathNotFound,
    PathSyntaxError,
    ResultPathMatchFailure,
)
from aslrun.expressions.jsonpath_filter import MAX_FILTER_NESTING, compile_filter

if TYPE_CHECKING:
    from aslrun.expressions.cache import ExpressionCache

__all__ = [
    "JsonPath",
    "MAX_FILTER_NESTING",
    "PathNotFound",
    "PathSyntaxError",
    "ResultPathMatchFailure",
    "compile_path",
    "compile_reference_path",
    "format_steps",
]


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

    __slots__ = ("text", "steps", "definite", "_simple", "function", "_merge", "problem", "_select")

    def __init__(
        self, text: str, steps: tuple[Any, ...], function: str | None = None, problem: BareWordFilter | None = None
    ) -> None:
        self.text = text
        self.steps = steps
        self.function = function
        #: why Jayway could not compile this path although AWS accepts it in a definition
        #: (a filter with an unquoted word); evaluating it fails with ``States.Runtime``
        self.problem = problem
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
        #: the matches of an indefinite path of fields, indexes and wildcards, without generators
        self._select = _selector(steps, text) if not simple and self._merge is None else None

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
        if self.problem is not None:
            raise StatesError("States.Runtime", f"Invalid path '{self.text}' : {self.problem.jayway}")
        if self._simple is not None:
            value = _get_definite(data, self._simple)
        elif self._merge is not None:
            prefix, names = self._merge
            node = _get_definite(data, prefix) if prefix else data
            if not isinstance(node, dict):
                raise PathNotFound(_not_object_message(node, names[0], prefix))
            value = {name: node[name] for name in names if name in node}
        elif self._select is not None:
            value = self._select(data)
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


def _selector(steps: tuple[Any, ...], text: str) -> Callable[[Any], list[Any]] | None:
    """What ``_walk`` selects, without generators, for paths of ``.name``, ``[index]`` and ``[*]``
    steps (``$.items[*].sku``); None for any other step."""
    if not all(type(step) in (_Field, _Index, _Wildcard) for step in steps):
        return None
    # runs of keys between the wildcards: $.a.b[*].c -> ("a", "b"), ("c",)
    segments: list[tuple[str | int, ...]] = [()]
    for step in steps:
        if type(step) is _Wildcard:
            segments.append(())
        else:
            segments[-1] += (step.name if type(step) is _Field else step.index,)
    first, rest = segments[0], tuple(segments[1:])
    limit = defaults.MAX_PATH_MATCHES

    def select(data: Any) -> list[Any]:
        current = _follow([data], first) if first else [data]
        for keys in rest:
            expanded: list[Any] = []
            for node in current:
                if isinstance(node, dict):
                    expanded.extend(node.values())
                elif isinstance(node, list):
                    expanded.extend(node)
            if len(expanded) > limit:
                raise StatesError("States.Runtime", f"The JSONPath {text or '(a path)'} matches more than "
                                  f"{limit:,} values on the way (aslrun's limit, MAX_PATH_MATCHES); select less")
            current = _follow(expanded, keys) if keys else expanded
        return current

    return select


def _follow(nodes: list[Any], keys: tuple[str | int, ...]) -> list[Any]:
    """Each node followed down ``keys`` (fields and indexes); the nodes where a key is missing drop out."""
    out = []
    for node in nodes:
        for key in keys:
            if isinstance(key, str):
                if isinstance(node, dict) and key in node:
                    node = node[key]
                    continue
            elif isinstance(node, list) and -len(node) <= key < len(node):
                node = node[key]
                continue
            break
        else:
            out.append(node)
    return out


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
    def __init__(self, text: str, cache: ExpressionCache | None = None) -> None:
        self.text = text
        self.pos = 0
        self.cache = cache
        self.problem: BareWordFilter | None = None

    def compile_path(self, text: str) -> JsonPath:
        """A path inside a filter, compiled (and cached) like the path around it."""
        return compile_path(text, self.cache)

    def error(self, message: str) -> PathSyntaxError:
        return PathSyntaxError(message, self.text, self.pos)

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def parse(self) -> JsonPath:
        # Jayway's PathCompiler.compile trims the path first (CharacterIndex.trim), so AWS
        # accepts "$$.Execution.Name " and reads it as "$$.Execution.Name".
        text = self.text = self.text.strip()
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
        return JsonPath(text, tuple(steps), function, self.problem)

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
        try:
            predicate = compile_filter(expr_text, self.text, start, self.compile_path)
        except BareWordFilter as exc:
            self.problem = self.problem or exc
            return _Filter(lambda node, root: False, expr_text)
        return _Filter(predicate, expr_text)


# ---------------------------------------------------------------- public constructors

def compile_path(text: str, cache: ExpressionCache | None = None) -> JsonPath:
    """Compile a JSONPath (``$``-rooted; ``$$`` and variable prefixes are handled by callers).

    With a ``cache`` (an interpreter's), a text compiled before is not compiled again.
    """
    if not isinstance(text, str):
        raise PathSyntaxError("a path must be a string", repr(text))
    if cache is None:
        return _Parser(text).parse()
    return cache.get_or_compile("jsonpath", text, lambda: _Parser(text, cache).parse())


def compile_reference_path(text: str, cache: ExpressionCache | None = None) -> JsonPath:
    """Compile a reference path: only ``.name``, ``['name']`` and ``[index]`` steps."""
    compiled = compile_path(text, cache)
    if not compiled.definite or compiled.function is not None:
        raise PathSyntaxError(
            "a reference path may only use '.name', ['name'] and [index] steps "
            "(no wildcards, filters, slices, unions, '..' or functions)",
            text,
        )
    return compiled
