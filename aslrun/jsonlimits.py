"""Where JSON values enter aslrun: what a JSON value may be, checked without recursion.

Every execution input, definition and ``--input`` text passes through here, so that
nothing further in (the engine, the data flow, the expressions, all recursive) meets
a value that would crash Python rather than fail like Step Functions:

* JSON text is parsed with :func:`loads`, which refuses ``NaN``/``Infinity`` (not JSON,
  RFC 8259 section 6), numbers longer than :data:`~aslrun.defaults.MAX_NUMBER_DIGITS`
  and text nested deeper than :data:`~aslrun.defaults.MAX_JSON_DEPTH`, with the line
  and column of the problem;
* a value already in Python (``aslrun.run(definition, value)``, a parsed YAML document)
  is checked by :func:`find_problem`, an iterative walk that names the first problem
  with a JSON Pointer.

Step Functions takes inputs and definitions as JSON text (StartExecution ``input``,
"The string that contains the JSON input data for the execution"), refusing text that
is not JSON with ``InvalidExecutionInput`` ("The provided JSON input data is not
valid"), so what JSON text cannot hold is refused here as well.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

from aslrun import defaults

__all__ = [
    "JsonLimitError",
    "JsonProblem",
    "deeper_than",
    "find_problem",
    "loads",
    "pointer_token",
    "text_deeper_than",
    "text_depth_offset",
]

_SURROGATE = re.compile("[\ud800-\udfff]")
# Tokens of JSON text for locating a problem after the fact: strings, brackets, bare words.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]|[^\s\[\]{},:"]+')
_TOO_BIG = 10**defaults.MAX_NUMBER_DIGITS


class JsonProblem(NamedTuple):
    """The first thing in a value that is not a usable JSON value: where and what.

    ``pointer`` is a JSON Pointer, its middle elided (``…``) when very long; a lone surrogate in a
    key is shown as its ``\\udfff`` escape, so the message can always be printed.
    """

    pointer: str
    message: str


class JsonLimitError(json.JSONDecodeError):
    """JSON text that parses in Python but is not a JSON value aslrun can use (NaN, a huge number, deep nesting).

    A :class:`json.JSONDecodeError`, so ``msg``, ``lineno`` and ``colno`` say what and where.
    """


def pointer_token(key: str | int) -> str:
    """One RFC 6901 reference token."""
    return "/" + str(key).replace("~", "~0").replace("/", "~1")


def _short(pointer: str) -> str:
    """``pointer``, its middle elided when it is too long to read (a value nested 128 levels deep)."""
    if len(pointer) <= 80:
        return pointer or "/"
    return f"{pointer[:40]}/…{pointer[-30:]}"


def _describe_surrogate(text: str) -> str:
    char = _SURROGATE.search(text)
    code = f"U+{ord(char.group()):04X}" if char else "a surrogate"
    return (f"a lone surrogate ({code}) cannot be encoded as UTF-8, so it is not valid JSON text "
            "(Step Functions refuses such input with InvalidExecutionInput); remove it or pair it")


def _describe_number_length() -> str:
    return (f"more than {defaults.MAX_NUMBER_DIGITS} digits (MAX_NUMBER_DIGITS, the default maxNumberLength "
            "of Jackson, the JSON parser of AWS's Java services)")


def find_problem(value: Any, *, max_depth: int = defaults.MAX_JSON_DEPTH,
                 max_nodes: int = defaults.MAX_JSON_NODES) -> JsonProblem | None:
    """The first part of ``value`` that JSON text cannot hold, or ``None`` when ``value`` is a JSON value.

    Refuses: types other than dict (with str keys), list, str, int, bool, float and ``None``;
    NaN and infinities; integers longer than :data:`~aslrun.defaults.MAX_NUMBER_DIGITS`;
    strings with lone surrogates; nesting deeper than ``max_depth``; more than ``max_nodes``
    values (a YAML document whose aliases repeat one part exponentially, or refer to itself).
    Iterative, so a deep value cannot exhaust the stack.
    """
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    nodes = 0
    while stack:
        node, pointer, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            return JsonProblem(_short(pointer), f"the value holds more than {max_nodes:,} values (MAX_JSON_NODES); "
                               "a YAML alias that repeats a part many times or contains itself does this")
        if node is None or node is True or node is False:
            continue
        kind = type(node)
        if kind is str or isinstance(node, str):
            if _SURROGATE.search(node):
                return JsonProblem(_short(pointer), _describe_surrogate(node))
        elif isinstance(node, bool):
            continue
        elif isinstance(node, int):
            if node >= _TOO_BIG or node <= -_TOO_BIG:
                return JsonProblem(_short(pointer), f"the integer has {_describe_number_length()}")
        elif isinstance(node, float):
            if not math.isfinite(node):
                return JsonProblem(_short(pointer), f"{node!r} is not a JSON number (JSON has no NaN or Infinity)")
        elif isinstance(node, (dict, list)):
            if depth >= max_depth:
                return JsonProblem(_short(pointer), f"nested more than {max_depth} levels deep (MAX_JSON_DEPTH)")
            if isinstance(node, dict):
                children = []
                for key, child in node.items():
                    if not isinstance(key, str):
                        return JsonProblem(_short(pointer), f"the key {key!r} ({type(key).__name__}) is not a "
                                           "string; JSON object keys are strings: quote it")
                    if _SURROGATE.search(key):
                        printable = key.encode("utf-8", "backslashreplace").decode("utf-8")
                        return JsonProblem(_short(pointer + pointer_token(printable)), _describe_surrogate(key))
                    children.append((child, pointer + pointer_token(key), depth + 1))
            else:
                children = [(child, pointer + pointer_token(i), depth + 1) for i, child in enumerate(node)]
            # Reversed, so the first problem in document order is the one reported.
            stack.extend(reversed(children))
        else:
            hint = "; quote it to make it a string" if type(node).__module__ == "datetime" else ""
            return JsonProblem(_short(pointer), f"a {type(node).__name__} is not a JSON value{hint}")
    return None


# ---------------------------------------------------------------- JSON text


class _Refused(Exception):
    def __init__(self, token: str, message: str) -> None:
        super().__init__(message)
        self.token = token
        self.message = message


def _reject_constant(name: str) -> Any:
    raise _Refused(name, f"{name} is not a JSON value (JSON has no NaN or Infinity)")


def _number_too_long(text: str) -> bool:
    return sum(c.isdigit() for c in text) > defaults.MAX_NUMBER_DIGITS


def _parse_int(text: str) -> int:
    if _number_too_long(text):
        raise _Refused(text, f"the number has {_describe_number_length()}")
    return int(text)


def _parse_float(text: str) -> float:
    if _number_too_long(text):
        raise _Refused(text, f"the number has {_describe_number_length()}")
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(text, f"the number {text} is out of range (it does not fit a double-precision number)")
    return number


def _locate_token(text: str, token: str) -> int:
    """Offset of the bare word ``token`` outside strings (0 when not found)."""
    for match in _TOKEN.finditer(text):
        if match.group() == token:
            return match.start()
    return 0


def deeper_than(value: Any, limit: int = defaults.MAX_JSON_DEPTH) -> bool:
    """True when ``value`` has arrays or objects nested more than ``limit`` levels deep.

    Iterative (an explicit stack), so it answers for any depth without recursing.
    """
    if not isinstance(value, (dict, list)):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))
    return False


def text_depth_offset(text: str, limit: int = defaults.MAX_JSON_DEPTH) -> int | None:
    """Offset of the first bracket of JSON text that opens level ``limit + 1`` (brackets in strings
    ignored), or None. A loop: parsers recurse once per level, this answers first."""
    depth = 0
    in_string = escaped = False
    for offset, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return offset
        elif ch in "]}":
            depth -= 1
    return None


def text_deeper_than(text: str, limit: int = defaults.MAX_JSON_DEPTH) -> bool:
    """Whether JSON text opens more than ``limit`` brackets at once (brackets in strings ignored)."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case: too few brackets to matter, no scan
    return text_depth_offset(text, limit) is not None


def loads(text: str, *, max_depth: int = defaults.MAX_JSON_DEPTH) -> Any:
    """Parse JSON text strictly; :class:`json.JSONDecodeError` (:class:`JsonLimitError` for limits) says where.

    Python's :func:`json.loads` accepts ``NaN`` and ``Infinity``, turns ``1e400`` into infinity,
    refuses integers past 4,300 digits with a bare ``ValueError`` and exhausts the stack on
    deep nesting; this refuses all of those with a message and a position. Run
    :func:`find_problem` on the value as well: it finds what parsed but is not usable
    (lone surrogates from ``\\udfff`` escapes, nesting deeper than ``max_depth``).
    """
    try:
        value = json.loads(text, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_parse_float)
    except _Refused as exc:
        raise JsonLimitError(exc.message, text, _locate_token(text, exc.token)) from None
    except RecursionError:
        raise JsonLimitError(f"nested more than {max_depth} levels deep (MAX_JSON_DEPTH)", text,
                             text_depth_offset(text, max_depth) or 0) from None
    # Nesting the parser survived is refused by find_problem, with a JSON Pointer.
    return value
