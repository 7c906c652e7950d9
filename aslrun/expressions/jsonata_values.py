"""JSONata values as JavaScript sees them: numbers and text, and values in and out of the engine.

Split out of :mod:`aslrun.expressions.jsonata` (see its docstring for what the wrapper
corrects): ``Number.prototype.toString()`` and ``JSON.stringify`` as jsonata-js's
``$string`` writes them, jsonata-js's deep equality, and the conversions between plain
JSON values and jsonata-python's (its null marker, its range lists, function values).
"""

from __future__ import annotations

import json
import math
import re
import sys
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from aslrun.expressions._jsonata_lib import JException, Jsonata, Parser, Utils

__all__ = [
    "HasFunction",
    "MAX_DOUBLE_INT",
    "TWO_63",
    "clone_value",
    "is_function",
    "is_number",
    "js_equal",
    "js_items",
    "js_json",
    "js_string",
    "to_external",
    "to_internal",
]


# ---------------------------------------------------------------- numbers and text as in JavaScript

#: 2 ** 63, where Java's long ends
TWO_63 = 2**63
_PREC15 = Context(prec=15, rounding=ROUND_HALF_UP)


def _double(x: int | float) -> float:
    """The JavaScript number for ``x``: an integer past the double range is +/-Infinity, as in ``JSON.parse``."""
    try:
        return float(x)
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _js_number(x: float | int) -> str:
    """``Number.prototype.toString()``: shortest round-trip digits, exponent from 1e21 / below 1e-6."""
    if isinstance(x, int):
        if -TWO_63 < x < TWO_63:
            return str(x)
        x = _double(x)
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    sign = "-" if x < 0 else ""
    _, digits_t, exp = Decimal(repr(abs(x))).as_tuple()
    digits = "".join(map(str, digits_t)).rstrip("0") or "0"
    k = len(digits)
    n = len(digits_t) + int(exp)  # value = 0.digits * 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _precision15(x: float | int) -> float | int:
    """``Number(x.toPrecision(15))``, which jsonata-js applies to numbers in ``$string``."""
    if isinstance(x, int) and abs(x) < 2**53:
        return x
    d = _PREC15.plus(Decimal(x))
    return float(d)  # float('1E+400') is inf: no OverflowError from a Decimal


def is_number(v: Any) -> bool:
    """A JSON number (``bool`` is not one)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def js_json(v: Any, prettify: bool = False, indent: str = "", replace: bool = False) -> str:
    """``JSON.stringify``; with ``replace`` jsonata-js's ``$string`` replacer (15 digits, functions "")."""
    if v is None or v is Utils.NULL_VALUE:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (int, float)):
        if isinstance(v, float) and not math.isfinite(v):
            if replace:
                raise JException("D1001", -1, v)
            return "null"
        if replace:
            v = _precision15(v)
            if not math.isfinite(v):
                return "null"  # 1.7976931348623157e308 rounds up to Infinity, which JSON writes as null
        return _js_number(v)
    if is_function(v):
        return '""' if replace else "null"
    if isinstance(v, dict):
        if not v:
            return "{}"
        inner = indent + "  "
        parts = []
        for k, x in v.items():
            if x is None:
                continue  # undefined members are left out
            if is_function(x) and not replace:
                continue
            key = json.dumps(str(k), ensure_ascii=False)
            if prettify:
                parts.append(f"{inner}{key}: {js_json(x, True, inner, replace)}")
            else:
                parts.append(f"{key}:{js_json(x, False, '', replace)}")
        if not parts:
            return "{}"
        return "{\n" + ",\n".join(parts) + "\n" + indent + "}" if prettify else "{" + ",".join(parts) + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        inner = indent + "  "
        items = [js_json(x, prettify, inner, replace) for x in js_items(v)]
        if prettify:
            return "[\n" + ",\n".join(inner + i for i in items) + "\n" + indent + "]"
        return "[" + ",".join(items) + "]"
    return json.dumps(str(v))


def js_items(v: list[Any]) -> list[Any]:
    """The items of an array value; the library's lazy ranges become lists."""
    if isinstance(v, Utils.RangeList):
        return list(range(v.a, v.b))
    return v


def js_string(arg: Any, prettify: Any = None) -> Any:
    """jsonata-js ``$string``."""
    if isinstance(arg, Utils.JList) and arg.outer_wrapper and arg:
        arg = arg[0]
    if arg is None:
        return None
    if isinstance(arg, str):
        return arg
    if is_function(arg):
        return ""
    if isinstance(arg, float) and not math.isfinite(arg):
        raise JException("D3001", -1, arg)
    return js_json(arg, bool(prettify) and prettify is not Utils.NULL_VALUE, "", replace=True)


def is_function(v: Any) -> bool:
    """A JSONata function value: a lambda, a built-in or a regex."""
    return isinstance(v, (Jsonata.JFunctionCallable, re.Pattern)) or (
        isinstance(v, Parser.Symbol) and bool(getattr(v, "_jsonata_lambda", False))
    )


def js_equal(a: Any, b: Any) -> bool:
    """jsonata-js ``isDeepEqual``: booleans are never numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(js_equal(x, y) for x, y in zip(js_items(a), js_items(b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(js_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    return bool(a == b)


# ---------------------------------------------------------------- values in and out


def _beyond_double(x: Any) -> bool:
    return type(x) is int and not -MAX_DOUBLE_INT <= x <= MAX_DOUBLE_INT


#: the largest integer a double holds (1.7976931348623157e308); past it JSON.parse gives Infinity
MAX_DOUBLE_INT = int(sys.float_info.max)


def to_internal(v: Any) -> Any:
    """JSON from outside -> the library's values: ``None`` becomes its null marker.

    An integer beyond the double range becomes +/-Infinity: JSONata numbers are JavaScript
    doubles, and ``JSON.parse`` reads ``1e400`` (or 401 digits) as ``Infinity``; a result holding
    one comes out as ``"Infinity"``, like every non-finite number (see :func:`to_external`).

    Copy-on-write: a document without nulls is shared, not copied (the library never
    mutates its inputs; ``$clone`` and transforms copy first).
    """
    if v is None:
        return Utils.NULL_VALUE
    if _beyond_double(v):
        return _double(v)
    if isinstance(v, dict):
        out = None
        for k, x in v.items():
            if x is None or isinstance(x, (dict, list)) or _beyond_double(x):
                y = to_internal(x)
                if y is not x:
                    if out is None:
                        out = dict(v)
                    out[k] = y
        return v if out is None else out
    if isinstance(v, list):
        out_list = None
        for i, x in enumerate(v):
            if x is None or isinstance(x, (dict, list)) or _beyond_double(x):
                y = to_internal(x)
                if y is not x:
                    if out_list is None:
                        out_list = list(v)
                    out_list[i] = y
        return v if out_list is None else out_list
    return v


class HasFunction(Exception):
    """Raised by :func:`to_external` when a result is or holds a function."""


def to_external(v: Any) -> Any:
    """A result -> plain JSON values; raises :class:`HasFunction` for function values."""
    if v is Utils.NULL_VALUE or v is None:
        return None
    if isinstance(v, str) or v is True or v is False:
        return v
    if isinstance(v, float):
        if v.is_integer():
            if abs(v) < 2**53:
                return int(v)
            # what JavaScript prints: the shortest digits, then zeros (2**64 -> 18446744073709552000)
            return int(Decimal(repr(v))) if abs(v) < 1e21 else v
        if v != v:
            return "NaN"  # AWS writes non-finite numbers as strings (floci-io/floci measurements)
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    if isinstance(v, int):
        return v if -TWO_63 < v < TWO_63 else to_external(_double(v))
    if isinstance(v, dict):
        return {str(k): to_external(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [to_external(x) for x in js_items(v)]
    if is_function(v):
        raise HasFunction
    return v


def clone_value(value: Any) -> Any:
    """jsonata-js ``$clone``: ``JSON.parse($string(value))``."""
    return to_internal(json.loads(js_string(value)))
