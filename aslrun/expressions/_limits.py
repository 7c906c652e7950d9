"""Limits every expression engine enforces on the values it reads, and helpers that never crash.

Inputs are checked where they enter an execution, but values grow inside one (``ResultPath``
in a loop, ``States.StringToJson``, a JSONata ``$reduce``), so expressions guard themselves:
a value nested deeper than :data:`MAX_DEPTH` is an ASL error naming the limit, never a
``RecursionError``, and an integer too long for Python's ``str()`` is written through
:class:`~decimal.Decimal` instead of raising ``ValueError``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from aslrun.defaults import MAX_JSON_DEPTH as MAX_DEPTH
from aslrun.defaults import MAX_NUMBER_DIGITS
from aslrun.jsonlimits import deeper_than, text_deeper_than

__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER_DIGITS",
    "deeper_than",
    "depth_message",
    "int_text",
    "json_text",
    "text_deeper_than",
    "write_nested",
]


def depth_message(what: str, limit: int = MAX_DEPTH) -> str:
    """The cause for a value that :func:`deeper_than` refused: names the limit and what to do."""
    return (
        f"{what} is nested more than {limit} levels deep (aslrun's limit for JSON values, "
        "MAX_JSON_DEPTH); flatten the data"
    )


def int_text(n: int) -> str:
    """``str(n)`` for any size of integer (Python refuses ``str()`` past 4,300 digits by default)."""
    # Python refuses str() past sys.get_int_max_str_digits() digits (4,300 by default, 0 for no
    # limit: the CVE-2020-10735 fix); aslrun reads that setting and never changes it.
    limit = sys.get_int_max_str_digits()
    # 3.32 bits per decimal digit: below this bit length str() is always allowed
    if not limit or n.bit_length() < limit * 3:
        return str(n)
    return str(Decimal(n))


class _Raw(str):
    """Text the writer emits as it is (punctuation), as opposed to a value still to write."""


def write_nested(
    value: Any,
    scalar: Callable[[Any], str],
    key: Callable[[Any], str],
    comma: str = ",",
) -> str:
    """Text of a JSON-like value of any depth, written with an explicit stack (no recursion).

    ``scalar`` writes everything that is not a dict or list; ``key`` writes an object key with
    what follows it (``'"a":'``); ``comma`` goes between members. The JSON writers here and the
    Java ``toString`` look-alikes of the intrinsics are this one walk with other punctuation.
    """
    out: list[str] = []
    stack: list[Any] = [value]
    while stack:
        v = stack.pop()
        if type(v) is _Raw:
            out.append(v)
        elif isinstance(v, dict):
            if not v:
                out.append("{}")
                continue
            out.append("{")
            stack.append(_Raw("}"))
            items = list(v.items())
            for i in range(len(items) - 1, -1, -1):
                k, x = items[i]
                stack.append(x)
                stack.append(_Raw(key(k)))
                if i:
                    stack.append(_Raw(comma))
        elif isinstance(v, list):
            if not v:
                out.append("[]")
                continue
            out.append("[")
            stack.append(_Raw("]"))
            for i in range(len(v) - 1, -1, -1):
                stack.append(v[i])
                if i:
                    stack.append(_Raw(comma))
        else:
            out.append(scalar(v))
    return "".join(out)


def _json_scalar(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return int_text(v)
    return json.dumps(v, ensure_ascii=False)


def json_text(value: Any) -> str:
    """Compact JSON (non-ASCII kept) of any value, however deep and whatever its integers' size.

    ``json.dumps`` when it can (fast); the iterative writer when it recurses too deep or meets an
    integer Python will not turn into text.
    """
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (ValueError, RecursionError):
        return write_nested(value, _json_scalar, lambda k: json.dumps(str(k), ensure_ascii=False) + ":")
