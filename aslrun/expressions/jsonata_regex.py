"""JSONata regular expressions: JavaScript syntax translated for ``re``, and match walking.

Split out of :mod:`aslrun.expressions.jsonata`: :func:`js_regex` is the regex engine the
parser and the evaluator use; :func:`regex_result` and :func:`regex_matches` walk matches as
jsonata-js does for ``$match``, ``$replace``, ``$split``, ``$contains`` and a regex called
as a function.
"""

from __future__ import annotations

import re
from typing import Any

from aslrun.expressions._jsonata_lib import Functions, JException, Jsonata, RegexFlags
from aslrun.expressions.jsonata_values import is_number

__all__ = [
    "js_regex",
    "regex_matches",
    "regex_result",
]


# ---------------------------------------------------------------- regular expressions

_JS_DOT = "[^\\n\\r\\u2028\\u2029]"


def js_regex(pattern: str, flags: RegexFlags) -> re.Pattern[str]:
    """Compile a JSONata (JavaScript) regex with Python's ``re``."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            d = pattern[i + 1]
            if d == "d":
                out.append("0-9" if in_class else "[0-9]")
            elif d == "w":
                out.append("A-Za-z0-9_" if in_class else "[A-Za-z0-9_]")
            elif d == "D" and not in_class:
                out.append("[^0-9]")
            elif d == "W" and not in_class:
                out.append("[^A-Za-z0-9_]")
            elif d == "k" and pattern.startswith("<", i + 2) and ">" in pattern[i + 3 :]:
                end = pattern.index(">", i + 3)
                out.append(f"(?P={pattern[i + 3 : end]})")
                i = end + 1
                continue
            elif d == "/":
                out.append("/")
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
            if pattern.startswith("]", i + 1):  # a literal ']' first in a class
                out.append("\\]")
                i += 1
        elif c == "(" and pattern.startswith("(?<", i) and not pattern.startswith(("(?<=", "(?<!"), i):
            out.append("(?P<")
            i += 3
            continue
        elif c == ".":
            out.append(_JS_DOT)
        elif c == "$" and not flags.multiline:
            out.append("\\Z")
        else:
            out.append(c)
        i += 1
    py_flags = 0
    if flags.case_insensitive:
        py_flags |= re.IGNORECASE
    if flags.multiline:
        py_flags |= re.MULTILINE
    return re.compile("".join(out), py_flags)


def regex_result(rx: re.Pattern[str], text: str, start: int) -> Any:
    """jsonata-js ``evaluateRegex`` closure: one match object with a ``next`` function."""
    m = rx.search(text, start)
    if m is None:
        return None

    def following() -> Any:
        if m.end() >= len(text):
            return None
        nxt = regex_result(rx, text, m.end())
        if nxt is not None and nxt["match"] == "":
            raise JException("D1004", -1)  # a zero-length match would never progress
        return nxt

    return {
        "match": m.group(0),
        "start": m.start(),
        "end": m.end(),
        "groups": list(m.groups()),
        "next": Jsonata.JLambda(following),
    }


def regex_matches(pattern: Any, text: str) -> Any:
    """The match objects a regex (or a matcher function) yields, as jsonata-js walks them."""
    if isinstance(pattern, re.Pattern):
        result = regex_result(pattern, text, 0)
    else:
        result = Functions.func_apply(pattern, [text])
    while result is not None:
        if not isinstance(result, dict) or not (
            is_number(result.get("start")) or isinstance(result.get("groups"), list) or "next" in result
        ):
            raise JException("T1010", -1)
        yield result
        nxt = result.get("next")
        result = Functions.func_apply(nxt, []) if nxt is not None else None
