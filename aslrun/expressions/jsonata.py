"""JSONata mode: compile ``{% ... %}`` expressions once, evaluate them as AWS does.

AWS Step Functions runs JSONata 2.0.6 (jsonata-js semantics) without ``$eval`` and with
six functions of its own: ``$partition``, ``$range``, ``$hash``, ``$random([seed])``,
``$uuid`` and ``$parse``. The engine here is jsonata-python (a port of jsonata-java, itself
a port of jsonata-js 2.x). :class:`Expression` parses once at load time; each evaluation
only builds one small frame holding the :class:`Scope`, so a compiled expression can run
many times, from several threads, without re-parsing or shared mutable state.

What the wrapper corrects in jsonata-python, with the jsonata-js 2.0.6 behaviour (checked
against jsonata 2.0.6 under node) or the AWS recording it copies:

* JSON ``null`` inside arrays and variables was read as *undefined*
  (``$states.input.arr[1]``, ``$count(null)`` = 0): data entering an evaluation is
  converted to the library's null marker, and ``$count`` counts a null as one value.
* numbers: JavaScript doubles. ``1/0`` is ``Infinity`` (AWS writes ``"Infinity"``,
  ``"-Infinity"``, ``"NaN"`` in results, as measured by floci-io/floci), ``7.5 % 2`` is
  ``1.5``, an integral double comes out as a Python ``int``; ``$string`` and ``&`` write
  numbers as jsonata-js does (15 significant digits, ``1e+21`` from 1e21 on, ``1e-7``).
* ``$number``, ``$distinct``, ``in`` follow jsonata-js (``$number(" 12 ")`` fails with
  D3030, ``$distinct([[1],[1]])`` is ``[[1]]``, ``1 in [true]`` is false).
* ``$now()``/``$millis()`` read the execution's clock (:attr:`Scope.now`), not the wall clock.
* regular expressions are written in JavaScript syntax; they are translated for ``re``
  (``(?<name>``, ``\\d``/``\\w`` ASCII-only, ``.`` and ``$`` as in JavaScript).
* error messages: jsonata-python's catalogue says "Object" for "function" and does not
  JSON-quote values; causes use jsonata-js's catalogue (``T2001: The left side of the "+"
  operator must evaluate to a number``), with the argument index jsonata-js blames and the
  function named as the call site wrote it. Python exceptions escaping a built-in are
  mapped to the jsonata-js code of that function (D3030, D3110, D3132, D3140, D3061, D3070).
* ``$sort``, ``$match``, ``$replace``, ``$split``, ``$contains``, ``$clone`` and transforms
  are ports of jsonata-js (merge sort, regex match walking with D1004, ``$n`` replacement
  rules, null-preserving clone); JSON null takes the signature symbol ``l`` as in jsonata-js.
* speed: ``$name.a.b`` paths through objects skip the library's sequence machinery, and
  the evaluator skips the per-step hook lookups aslrun never installs.

Known remaining differences are listed in ``KNOWN_DEVIATIONS`` below.

AWS semantics of the field walk (recorded in the conformance corpus and LocalStack
snapshots): an expression anywhere in a field template that evaluates to undefined fails
the state with ``States.QueryEvaluationError`` naming the field path (``Output``,
``Output/result``, ``Arguments/Input/pushLocation``, ``Output/a[0]``); only keys of an
object built *inside* JSONata (``{% {"a": $nothing} %}``) are silently dropped.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from jsonata import JException, Jsonata
from jsonata.functions import Functions
from jsonata.parser import Parser
from jsonata.regex_engine import RegexFlags
from jsonata.signature import Signature
from jsonata.utils import Utils

from aslrun.errors import StatesError
from aslrun.expressions.intrinsics import _java_str, _JavaRandom

__all__ = [
    "Expression",
    "FUNCTION",
    "Field",
    "JsonataError",
    "JsonataSyntaxError",
    "KNOWN_DEVIATIONS",
    "QUERY_EVALUATION_ERROR",
    "Scope",
    "UNDEFINED",
    "check_syntax",
    "compile_expression",
    "compile_field",
    "is_jsonata",
    "type_name",
    "unexpected_type",
]

#: the ASL error of every JSONata failure
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

#: differences from jsonata-js 2.0.6 / AWS that remain (see also the module docstring)
KNOWN_DEVIATIONS = (
    "a regex called directly (/re/('s')) returns its match object with a 'next' function, "
    "which a field reports as an unsupported result type",
    "AWS's evaluation bounds (nesting depth 100, about 7 MB per value) are not enforced",
    "$base64encode/$base64decode use UTF-8 (jsonata-js under node uses Latin-1; AWS unknown)",
    "$formatNumber, $formatInteger, $formatBase, $fromMillis and $toMillis pictures are "
    "jsonata-python's (e.g. $toMillis rejects 2024-02-30, jsonata-js rolls it over)",
    "string positions count code points; JavaScript counts UTF-16 units in regex match indexes",
    "Python exceptions from other built-ins become an error without a jsonata-js code",
)


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


#: JSONata's *undefined*: what :meth:`Expression.evaluate` returns for "nothing"
UNDEFINED: Any = _Undefined()


class _FunctionValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "FUNCTION"


#: what :meth:`Expression.evaluate` returns when the result is (or holds) a function
FUNCTION: Any = _FunctionValue()


class JsonataSyntaxError(ValueError):
    """An expression that does not parse. ``reason`` reads like jsonata-js: ``S0202: ...``."""

    def __init__(self, reason: str, text: str, position: int | None = None) -> None:
        self.reason = reason
        self.text = text
        self.position = position
        super().__init__(f"{reason} in {text!r}")


class JsonataError(Exception):
    """An evaluation error. ``str()`` is what AWS puts in the cause: ``T1006: Attempted ...``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if code else message)


def is_jsonata(value: Any) -> bool:
    """A string that is one JSONata expression: ``{%`` first and ``%}`` last, nothing around."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


# ---------------------------------------------------------------- messages

# jsonata-js 2.0.6 message catalogue (lib/jsonata.js, MIT licence), the codes that can reach a
# cause. ``{{x}}`` is the JSON text of field x, ``{{{x}}}`` the raw value.
_MESSAGES = {
    "S0101": "String literal must be terminated by a matching quote",
    "S0102": "Number out of range: {{token}}",
    "S0103": "Unsupported escape sequence: \\{{token}}",
    "S0104": "The escape sequence \\u must be followed by 4 hex digits",
    "S0105": "Quoted property name must be terminated with a backquote (`)",
    "S0106": "Comment has no closing tag",
    "S0201": "Syntax error: {{token}}",
    "S0202": "Expected {{value}}, got {{token}}",
    "S0203": "Expected {{value}} before end of expression",
    "S0204": "Unknown operator: {{token}}",
    "S0205": "Unexpected token: {{token}}",
    "S0206": "Unknown expression type: {{token}}",
    "S0207": "Unexpected end of expression",
    "S0208": "Parameter {{value}} of function definition must be a variable name (start with $)",
    "S0209": "A predicate cannot follow a grouping expression in a step",
    "S0210": "Each step can only have one grouping expression",
    "S0211": "The symbol {{token}} cannot be used as a unary operator",
    "S0212": "The left side of := must be a variable name (start with $)",
    "S0213": "The literal value {{value}} cannot be used as a step within a path expression",
    "S0214": "The right side of {{token}} must be a variable name (start with $)",
    "S0215": "A context variable binding must precede any predicates on a step",
    "S0216": "A context variable binding must precede the 'order-by' clause on a step",
    "S0217": "The object representing the 'parent' cannot be derived from this expression",
    "S0301": "Empty regular expressions are not allowed",
    "S0302": "No terminating / in regular expression",
    "S0402": "Choice groups containing parameterized types are not supported",
    "S0401": "Type parameters can only be applied to functions and arrays",
    "S0500": "Attempted to evaluate an expression containing syntax error(s)",
    "T0410": "Argument {{index}} of function {{token}} does not match function signature",
    "T0411": "Context value is not a compatible type with argument {{index}} of function {{token}}",
    "T0412": "Argument {{index}} of function {{token}} must be an array of {{type}}",
    "D1001": "Number out of range: {{value}}",
    "D1002": "Cannot negate a non-numeric value: {{value}}",
    "T1003": "Key in object structure must evaluate to a string; got: {{value}}",
    "D1004": "Regular expression matches zero length string",
    "T1005": "Attempted to invoke a non-function. Did you mean ${{{token}}}?",
    "T1006": "Attempted to invoke a non-function",
    "T1007": "Attempted to partially apply a non-function. Did you mean ${{{token}}}?",
    "T1008": "Attempted to partially apply a non-function",
    "D1009": "Multiple key definitions evaluate to same key: {{value}}",
    "D1011": "Stack overflow. Check for non-terminating recursive function.  Consider rewriting as tail-recursive",
    "T1010": "The matcher function argument passed to function {{token}} does not return the correct object structure",
    "T2001": "The left side of the {{token}} operator must evaluate to a number",
    "T2002": "The right side of the {{token}} operator must evaluate to a number",
    "T2003": "The left side of the range operator (..) must evaluate to an integer",
    "T2004": "The right side of the range operator (..) must evaluate to an integer",
    "T2006": "The right side of the function application operator ~> must be a function",
    "T2007": "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause",
    "T2008": "The expressions within an order-by clause must evaluate to numeric or string values",
    "T2009": "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type",
    "T2010": "The expressions either side of operator {{token}} must evaluate to numeric or string values",
    "T2011": "The insert/update clause of the transform expression must evaluate to an object: {{value}}",
    "T2012": "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}",
    "T2013": "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function.",
    "D2014": "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate {{value}}.",
    "D3001": "Attempting to invoke string function on Infinity or NaN",
    "D3010": "Second argument of replace function cannot be an empty string",
    "D3011": "Fourth argument of replace function must evaluate to a positive number",
    "D3012": "Attempted to replace a matched string with a non-string value",
    "D3020": "Third argument of split function must evaluate to a positive number",
    "D3030": "Unable to cast value to a number: {{value}}",
    "D3040": "Third argument of match function must evaluate to a positive number",
    "D3050": "The second argument of reduce function must be a function with at least two arguments",
    "D3060": "The sqrt function cannot be applied to a negative number: {{value}}",
    "D3061": "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}",
    "D3070": "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function",
    "D3080": "The picture string must only contain a maximum of two sub-pictures",
    "D3081": "The sub-picture must not contain more than one instance of the 'decimal-separator' character",
    "D3082": "The sub-picture must not contain more than one instance of the 'percent' character",
    "D3083": "The sub-picture must not contain more than one instance of the 'per-mille' character",
    "D3084": "The sub-picture must not contain both a 'percent' and a 'per-mille' character",
    "D3085": "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'",
    "D3086": "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character",
    "D3087": "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character",
    "D3088": "The sub-picture must not contain a 'grouping-separator' at the end of the integer part",
    "D3089": "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character",
    "D3090": "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'",
    "D3091": "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'",
    "D3092": "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'",
    "D3093": "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'",
    "D3100": "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}",
    "D3110": "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}",
    "D3130": "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation",
    "D3131": "In a decimal digit pattern, all digits must be from the same decimal group",
    "D3132": "Unknown component specifier {{value}} in date/time picture string",
    "D3133": "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}",
    "D3134": "The timezone integer format specifier cannot have more than four digits",
    "D3135": "No matching closing bracket ']' in date/time picture string",
    "D3136": "The date/time picture string is missing specifiers required to parse the timestamp",
    "D3137": "{{{message}}}",
    "D3138": "The $single() function expected exactly 1 matching result.  Instead it matched more.",
    "D3139": "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
    "D3140": "Malformed URL passed to ${{{functionName}}}(): {{value}}",
    "D3141": "{{{message}}}",
}

# Which JException slot (current, expected, extra) holds which message field, per code, as
# jsonata-python raises them (jsonata.py, parser.py, signature.py, functions.py).
_SLOTS: dict[str, tuple[str | None, ...]] = {
    "S0102": ("token",),
    "S0201": ("token",),
    "S0202": ("value", "token"),
    "S0203": ("value", "token"),
    "S0204": ("token",),
    "S0205": ("token",),
    "S0208": ("value",),
    "S0211": ("token",),
    "S0213": ("value",),
    "S0214": ("token",),
    "T0410": ("index", "token"),
    "T0411": ("value", "index"),
    "T0412": ("index", "token", "type"),
    "D1001": ("value",),
    "D1002": ("token", "value"),
    "T1003": ("value",),
    "T1005": ("token",),
    "T1007": ("token",),
    "D1009": ("value",),
    "T2001": ("token", "value"),
    "T2002": ("token", "value"),
    "T2003": ("value",),
    "T2004": ("value",),
    "T2007": ("value", "value2"),
    "T2009": ("value", "value2", "token"),
    "T2010": ("token", "value"),
    "T2011": ("value",),
    "T2012": ("value",),
    "D2014": ("value",),
    "D3030": ("value",),
    "D3060": ("value",),
    "D3061": ("value", "exp"),
    "D3110": ("value",),
    "D3137": ("message",),
    "D3140": ("functionName", "value"),
    "D3141": ("message",),
}

_ARRAY_TYPES = {
    "a": "arrays",
    "b": "booleans",
    "f": "functions",
    "n": "numbers",
    "o": "objects",
    "s": "strings",
}
_FIELD = re.compile(r"\{\{\{(\w+)\}\}\}|\{\{(\w+)\}\}")
_NO_VALUE = object()


def _render(code: str, fields: dict[str, Any]) -> str:
    template = _MESSAGES.get(code)
    if template is None:
        return str(fields.get("message", code))

    def fill(m: re.Match[str]) -> str:
        if m.group(1):
            value = fields.get(m.group(1), _NO_VALUE)
            return "undefined" if value is _NO_VALUE or value is None else str(value)
        value = fields.get(m.group(2), _NO_VALUE)
        return "undefined" if value is _NO_VALUE or value is None else _js_json(value)

    return _FIELD.sub(fill, template)


def _fields(exc: JException) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    slots = (exc.current, exc.expected, exc.extra)
    for name, value in zip(_SLOTS.get(exc.error, ()), slots):
        if name is not None and value is not None:
            fields[name] = value
    extra = getattr(exc, "aslrun_fields", None)
    if extra:
        for k, v in extra.items():
            fields.setdefault(k, v)
    call = getattr(exc, "aslrun_call", None)
    if call is not None:
        # jsonata-js names the function as the call site wrote it (``$f`` after ``$f := $sum``)
        if exc.error in ("T0410", "T0411", "T0412"):
            fields["token"] = call
        fields.setdefault("token", call)
    fields.setdefault("index", 1)
    if exc.error == "T0412" and "type" in fields:
        fields["type"] = _ARRAY_TYPES.get(fields["type"], fields["type"])
    if exc.error == "D3100":
        fields.setdefault("value", exc.location)
    return fields


def _translate(exc: JException) -> JsonataError:
    code = exc.error
    if code not in _MESSAGES:
        # jsonata-python raises a few errors with the whole message in the code slot
        return JsonataError("", str(code))
    return JsonataError(code, _render(code, _fields(exc)))


def _syntax_error(exc: JException, text: str) -> JsonataSyntaxError:
    err = _translate(exc)
    fields = _fields(exc)
    if exc.error == "S0301" and exc.current is not None:  # the port's code for a bad escape
        err = JsonataError("S0103", _render("S0103", {"token": exc.current}))
    if exc.error == "S0102" and "token" not in fields:
        m = re.compile(r"-?[0-9.]+[eE][-+]?[0-9]+").search(text, max(exc.location - 1, 0))
        if m:
            err = JsonataError("S0102", _render("S0102", {"token": m.group(0)}))
    return JsonataSyntaxError(str(err), text, exc.location if exc.location >= 0 else None)


def check_syntax(expr: str) -> str | None:
    """``None`` when the expression (the text between ``{%`` and ``%}``) parses, else why not."""
    try:
        compile_expression(expr)
    except JsonataSyntaxError as exc:
        return exc.reason
    return None


# ---------------------------------------------------------------- numbers and text as in JavaScript

_TWO_63 = 2**63
_PREC15 = Context(prec=15, rounding=ROUND_HALF_UP)


def _js_number(x: float | int) -> str:
    """``Number.prototype.toString()``: shortest round-trip digits, exponent from 1e21 / below 1e-6."""
    if isinstance(x, int):
        if -_TWO_63 < x < _TWO_63:
            return str(x)
        x = float(x)
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
    return float(d)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _js_json(v: Any, prettify: bool = False, indent: str = "", replace: bool = False) -> str:
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
    if _is_function(v):
        return '""' if replace else "null"
    if isinstance(v, dict):
        if not v:
            return "{}"
        inner = indent + "  "
        parts = []
        for k, x in v.items():
            if x is None:
                continue  # undefined members are left out
            if _is_function(x) and not replace:
                continue
            key = json.dumps(str(k), ensure_ascii=False)
            if prettify:
                parts.append(f"{inner}{key}: {_js_json(x, True, inner, replace)}")
            else:
                parts.append(f"{key}:{_js_json(x, False, '', replace)}")
        if not parts:
            return "{}"
        return "{\n" + ",\n".join(parts) + "\n" + indent + "}" if prettify else "{" + ",".join(parts) + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        inner = indent + "  "
        items = [_js_json(x, prettify, inner, replace) for x in _items(v)]
        if prettify:
            return "[\n" + ",\n".join(inner + i for i in items) + "\n" + indent + "]"
        return "[" + ",".join(items) + "]"
    return json.dumps(str(v))


def _items(v: list[Any]) -> list[Any]:
    if isinstance(v, Utils.RangeList):
        return list(range(v.a, v.b))
    return v


def _js_string(arg: Any, prettify: Any = None) -> Any:
    """jsonata-js ``$string``."""
    if isinstance(arg, Utils.JList) and arg.outer_wrapper and arg:
        arg = arg[0]
    if arg is None:
        return None
    if isinstance(arg, str):
        return arg
    if _is_function(arg):
        return ""
    if isinstance(arg, float) and not math.isfinite(arg):
        raise JException("D3001", -1, arg)
    return _js_json(arg, bool(prettify) and prettify is not Utils.NULL_VALUE, "", replace=True)


def _is_function(v: Any) -> bool:
    return isinstance(v, (Jsonata.JFunctionCallable, re.Pattern)) or (
        isinstance(v, Parser.Symbol) and bool(getattr(v, "_jsonata_lambda", False))
    )


def _js_equal(a: Any, b: Any) -> bool:
    """jsonata-js ``isDeepEqual``: booleans are never numbers."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_js_equal(x, y) for x, y in zip(_items(a), _items(b)))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_js_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    return bool(a == b)


# ---------------------------------------------------------------- values in and out


def _internal(v: Any) -> Any:
    """JSON from outside -> the library's values: ``None`` becomes its null marker.

    Copy-on-write: a document without nulls is shared, not copied (the library never
    mutates its inputs; ``$clone`` and transforms copy first).
    """
    if v is None:
        return Utils.NULL_VALUE
    if isinstance(v, dict):
        out = None
        for k, x in v.items():
            if x is None or isinstance(x, (dict, list)):
                y = _internal(x)
                if y is not x:
                    if out is None:
                        out = dict(v)
                    out[k] = y
        return v if out is None else out
    if isinstance(v, list):
        out_list = None
        for i, x in enumerate(v):
            if x is None or isinstance(x, (dict, list)):
                y = _internal(x)
                if y is not x:
                    if out_list is None:
                        out_list = list(v)
                    out_list[i] = y
        return v if out_list is None else out_list
    return v


class _HasFunction(Exception):
    pass


def _external(v: Any) -> Any:
    """A result -> plain JSON values; raises :class:`_HasFunction` for function values."""
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
        return v if -_TWO_63 < v < _TWO_63 else _external(float(v))
    if isinstance(v, dict):
        return {str(k): _external(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_external(x) for x in _items(v)]
    if _is_function(v):
        raise _HasFunction
    return v


def type_name(value: Any) -> str:
    """The type name AWS uses in causes: array, object, string, number, boolean, null."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is UNDEFINED:
        return "undefined"
    if value is FUNCTION:
        return "function"
    return type(value).__name__


# ---------------------------------------------------------------- regular expressions

_JS_DOT = "[^\\n\\r\\u2028\\u2029]"


def _js_regex(pattern: str, flags: RegexFlags) -> re.Pattern[str]:
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


# ---------------------------------------------------------------- the scope


class Scope:
    """What an evaluation sees: ``$states``, the state machine's variables, RNG and clock.

    ``states`` holds ``input`` and ``context`` (and ``result`` / ``errorOutput`` where AWS
    allows them); ``variables`` maps each variable name to its value (read-only here);
    ``rng`` drives ``$random()`` and ``$uuid()``; ``now`` (epoch seconds) is what
    ``$now()`` and ``$millis()`` return. Values are converted for the engine once per scope.
    """

    __slots__ = ("states", "variables", "rng", "now", "_states", "_vars")

    def __init__(
        self,
        states: dict[str, Any],
        variables: Mapping[str, Any],
        rng: random.Random | None = None,
        now: float | None = None,
    ) -> None:
        self.states = states
        self.variables = variables
        self.rng = rng
        self.now = now
        self._states: Any = None
        self._vars: dict[str, Any] = {}

    def _lookup(self, name: str) -> Any:
        if name == "states":
            if self._states is None:
                self._states = _internal(self.states)
            return self._states
        try:
            return self._vars[name]
        except KeyError:
            pass
        if name in self.variables:
            value = self._vars[name] = _internal(self.variables[name])
            return value
        return _BASE_FRAME.lookup(name)

    def _millis(self) -> int:
        if self.now is None:
            self.now = time.time()  # no clock given: the first use fixes one for this scope
        return int(self.now * 1000)

    def _rng(self) -> random.Random:
        if self.rng is None:
            self.rng = random.Random()
        return self.rng


class _Frame(Jsonata.Frame):
    """A frame whose ``bind`` leaves functions alone.

    The library's ``bind`` renames the signature of a function bound to a new name
    (``$f := $sum``), which would rename the shared built-in for every evaluation.
    """

    def bind(self, name: str, val: Any) -> None:
        self.bindings[name] = val


class _ScopeFrame(_Frame):
    """The one frame an evaluation creates: its own ``:=`` bindings, then the scope."""

    def __init__(self, scope: Scope) -> None:
        self.bindings = {"$": None}
        self.parent = _BASE_FRAME
        self.is_parallel_call = False
        self.scope = scope

    def lookup(self, name: str) -> Any:
        value = self.bindings.get(name, _NO_VALUE)
        if value is not _NO_VALUE:
            return value
        if name.startswith("__"):
            return None  # the library asks for its evaluation hooks on every step
        return self.scope._lookup(name)


# ---------------------------------------------------------------- the engine


#: evaluation steps one expression may take; a tail-recursive loop with no base case would
#: otherwise never end (AWS stops evaluations on its own bounds, not reproduced exactly)
MAX_EVALUATION_STEPS = 2_000_000


class _Engine(Jsonata):
    """One per thread: evaluation state (the library keeps some on the instance) stays local."""

    def __init__(self) -> None:  # no super().__init__: there is no expression of its own
        self.parser = Jsonata.get_parser()
        self.errors = None
        self.environment = None
        self.ast = None
        self.timestamp = 0
        self.input = None
        self.regex_engine = _js_regex
        self.timeout = None
        self.stack = None
        self.validate_input = False
        self.output_convert_nulls = False
        self.scope: Scope | None = None
        self.budget = MAX_EVALUATION_STEPS

    def get_per_thread_instance(self) -> _Engine:
        return self

    def create_frame(self, enclosing_environment: Any = None) -> Any:
        return _Frame(enclosing_environment)

    def eval(self, expr: Any, input: Any, environment: Any) -> Any:
        # the library's eval without the per-thread instance lookup (this engine is per thread)
        saved_input, saved_environment = self.input, self.environment
        try:
            return self._eval(expr, input, environment)
        finally:
            self.input, self.environment = saved_input, saved_environment

    def _eval(self, expr: Any, input: Any, environment: Any) -> Any:
        # the library's _eval with a table instead of an if-chain and without the entry/exit
        # hooks (two frame-chain lookups on every step; aslrun installs no hooks)
        self.input = input
        self.environment = environment
        self.budget -= 1
        if self.budget < 0:
            raise JException(f"Expression evaluation exceeded {MAX_EVALUATION_STEPS} steps", -1)
        step = _STEPS.get(getattr(expr, "type", None))
        result = None if step is None else step(self, expr, input, environment)
        predicate = getattr(expr, "predicate", None)
        if predicate is not None:
            for item in predicate:
                result = self.evaluate_filter(item.expr, result, environment)
        if expr.type != "path" and getattr(expr, "group", None) is not None:
            result = self.evaluate_group_expression(expr.group, result, environment)
        # a sequence of one is its item, an empty one is undefined
        if (
            result is not None
            and isinstance(result, Utils.JList)
            and result.sequence
            and not result.tuple_stream
        ):
            if expr.keep_array:
                result.keep_singleton = True
            if not result:
                result = None
            elif len(result) == 1 and not result.keep_singleton:
                result = result[0]
        return result

    def evaluate_numeric_expression(self, lhs: Any, rhs: Any, op: Any) -> Any:
        if lhs is not None and not Utils.is_numeric(lhs):
            raise JException("T2001", -1, op, lhs)
        if rhs is not None and not Utils.is_numeric(rhs):
            raise JException("T2002", -1, op, rhs)
        if lhs is None or rhs is None:
            return None
        if op == "+" and type(lhs) is int and type(rhs) is int:
            result: float = lhs + rhs
            if -(2**53) < result < 2**53:
                return result
        a, b = _to_double(lhs), _to_double(rhs)
        if op == "+":
            result = a + b
        elif op == "-":
            result = a - b
        elif op == "*":
            result = a * b
        elif op == "/":
            if b == 0:
                result = math.nan if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
            else:
                result = a / b
        else:  # "%": JavaScript's remainder has the sign of the dividend, like fmod
            result = math.fmod(a, b) if b != 0 and math.isfinite(a) else math.nan
        if not math.isfinite(result):
            return result
        return int(result) if result.is_integer() else result

    def evaluate_string_concat(self, lhs: Any, rhs: Any) -> str:
        left = "" if lhs is None else _js_string(lhs)
        right = "" if rhs is None else _js_string(rhs)
        return f"{left}{right}"

    def evaluate_includes_expression(self, lhs: Any, rhs: Any) -> Any:
        if lhs is None or rhs is None:
            return False
        if not isinstance(rhs, list):
            rhs = [rhs]
        return any(_js_same(item, lhs) for item in _items(rhs))

    def apply_inner(self, proc: Any, args: Any, input: Any, environment: Any) -> Any:
        if isinstance(proc, re.Pattern):  # a regex called as a function: jsonata-js's matcher
            results = [_regex_result(proc, s, 0) for s in args or () if isinstance(s, str)]
            return results[0] if len(results) == 1 else results
        return super().apply_inner(proc, args, input, environment)

    def evaluate_transform_expression(self, expr: Any, input: Any, environment: Any) -> Any:
        function = Jsonata.JFunction(_Transformer(self, expr, environment), None)
        function.signature = _Signature("<(oa):o>", "transform")
        return function

    def evaluate_function(self, expr: Any, input: Any, environment: Any, applyto_context: Any) -> Any:
        try:
            return super().evaluate_function(expr, input, environment, applyto_context)
        except JException as exc:
            if getattr(exc, "aslrun_call", None) is None:
                exc.aslrun_call = _called_name(expr)  # type: ignore[attr-defined]
            raise
        except RecursionError:
            raise
        except Exception as exc:  # a built-in crashed: say what jsonata-js says for it
            raise _crash(_called_name(expr), expr, exc, self, input, environment) from None


class _Transformer(Jsonata.Transformer):
    """``... ~> |pattern|update, delete|`` with jsonata-js's clone (jsonata-python's lost nulls)."""

    def call(self, input: Any, args: Any) -> Any:
        obj = args[0]
        if obj is None:
            return None
        result = _clone(obj)
        engine, expr, env = self._jsonata, self._expr, self._environment
        matches = engine.eval(expr.pattern, result, env)
        if matches is None:
            return result
        if not isinstance(matches, list):
            matches = [matches]
        for match in matches:
            update = engine.eval(expr.update, match, env)
            if update is not None:
                if not isinstance(update, dict):
                    raise JException("T2011", expr.update.position, update)
                for key in update:
                    match[key] = update[key]
            if expr.delete is not None:
                deletions = engine.eval(expr.delete, match, env)
                if deletions is not None:
                    value = deletions
                    if not isinstance(deletions, list):
                        deletions = [deletions]
                    if not Utils.is_array_of_strings(deletions):
                        raise JException("T2012", expr.delete.position, value)
                    if isinstance(match, dict):
                        for key in deletions:
                            match.pop(key, None)
        return result


def _clone(value: Any) -> Any:
    """jsonata-js ``$clone``: ``JSON.parse($string(value))``."""
    return _internal(json.loads(_js_string(value)))


def _js_same(a: Any, b: Any) -> bool:
    """JavaScript ``===``, which the ``in`` operator uses: containers only match themselves."""
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _eval_path(engine: _Engine, expr: Any, input: Any, env: Any) -> Any:
    fast = getattr(expr, "aslrun_fast", None)
    if fast is not None:
        # $name.a.b through objects only: plain dict lookups, no sequences
        value = env.lookup(fast[0])
        for name in fast[1]:
            if isinstance(value, dict):
                value = value.get(name, _NO_VALUE)
                if value is _NO_VALUE:
                    return None
                if value is None:
                    value = Utils.NULL_VALUE
            elif isinstance(value, list):
                break  # a path over an array maps over it: the library's way
            else:
                return None
        else:
            # a plain list is data (never a sequence): the library returns it as it is
            if type(value) is list or not isinstance(value, list):
                return value
    return engine.evaluate_path(expr, input, env)


_STEPS: dict[Any, Callable[[_Engine, Any, Any, Any], Any]] = {
    "path": _eval_path,
    "binary": lambda s, e, i, env: s.evaluate_binary(e, i, env),
    "unary": lambda s, e, i, env: s.evaluate_unary(e, i, env),
    "name": lambda s, e, i, env: Functions.lookup(i, str(e.value)),
    "string": lambda s, e, i, env: e.value if e.value is not None else Utils.NULL_VALUE,
    "number": lambda s, e, i, env: e.value if e.value is not None else Utils.NULL_VALUE,
    "value": lambda s, e, i, env: e.value if e.value is not None else Utils.NULL_VALUE,
    "wildcard": lambda s, e, i, env: s.evaluate_wildcard(e, i),
    "descendant": lambda s, e, i, env: s.evaluate_descendants(e, i),
    "parent": lambda s, e, i, env: env.lookup(e.slot.label),
    "condition": lambda s, e, i, env: s.evaluate_condition(e, i, env),
    "block": lambda s, e, i, env: s.evaluate_block(e, i, env),
    "bind": lambda s, e, i, env: s.evaluate_bind_expression(e, i, env),
    "regex": lambda s, e, i, env: s.evaluate_regex(e),
    "function": lambda s, e, i, env: s.evaluate_function(e, i, env, Utils.NONE),
    "variable": lambda s, e, i, env: s.evaluate_variable(e, i, env),
    "lambda": lambda s, e, i, env: s.evaluate_lambda(e, i, env),
    "partial": lambda s, e, i, env: s.evaluate_partial_application(e, i, env),
    "apply": lambda s, e, i, env: s.evaluate_apply_expression(e, i, env),
    "transform": lambda s, e, i, env: s.evaluate_transform_expression(e, i, env),
}


def _to_double(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _called_name(expr: Any) -> Any:
    proc = getattr(expr, "procedure", None)
    if proc is None:
        return None
    if getattr(proc, "type", None) == "path":
        return proc.steps[0].value
    return proc.value


# jsonata-js codes for the Python exceptions jsonata-python's built-ins let escape
_CRASH_CODES = {
    "number": "D3030",
    "toMillis": "D3110",
    "decodeUrl": "D3140",
    "decodeUrlComponent": "D3140",
    "encodeUrl": "D3140",
    "encodeUrlComponent": "D3140",
    "power": "D3061",
    "sort": "D3070",
    "fromMillis": "D3132",
    "now": "D3132",
}


def _crash(name: Any, expr: Any, exc: Exception, engine: _Engine, input: Any, env: Any) -> JException:
    code = _CRASH_CODES.get(str(name))
    if code is None:
        return JException(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, -1)
    args = []
    for arg in getattr(expr, "arguments", None) or []:
        try:
            args.append(engine.eval(arg, input, env))
        except Exception:
            args.append(None)
    first = args[0] if args else None
    if isinstance(exc, KeyError) and exc.args:
        first = exc.args[0]  # the picture component the date formatter did not know
    err = JException(code, -1)
    err.aslrun_fields = {  # type: ignore[attr-defined]
        "value": first,
        "exp": args[1] if len(args) > 1 else None,
        "functionName": name,
    }
    return err


_LOCAL = threading.local()


def _engine() -> _Engine:
    try:
        return _LOCAL.engine  # type: ignore[no-any-return]
    except AttributeError:
        engine = _LOCAL.engine = _Engine()
        return engine


def _current_scope() -> Scope:
    scope = _engine().scope
    assert scope is not None
    return scope


# ---------------------------------------------------------------- AWS's functions and fixes


def _signature_error(name: str, index: int) -> JException:
    err = JException("T0410", -1, index, name)
    err.aslrun_fields = {"index": index, "token": name}  # type: ignore[attr-defined]
    return err


def _d3137(message: str) -> JException:
    return JException("D3137", -1, message)


def _toward_zero(v: Any, name: str, index: int) -> int:
    if not _is_number(v) or (isinstance(v, float) and not math.isfinite(v)):
        raise _signature_error(name, index)
    return int(v)


def _arg(args: Any, i: int) -> Any:
    return args[i] if args is not None and i < len(args) else None


def _check_arity(args: Any, name: str, most: int) -> None:
    if args is not None and len(args) > most and args[most] is not None:
        raise _signature_error(name, most + 1)


#: AWS refuses ranges past this many elements (floci-io/floci, measured on AWS: 360145 accepted)
MAX_RANGE_ITEMS = 360_145


def _f_partition(args: Any) -> Any:
    # floci-io/floci JsonataEvaluator (AWS-verified): undefined for a missing or empty array
    # and for a size that truncates to 0; the size is cut toward zero; below zero fails.
    _check_arity(args, "partition", 2)
    arr, size = _arg(args, 0), _arg(args, 1)
    if arr is None:
        return None
    if not isinstance(arr, list):
        raise _signature_error("partition", 1)
    items = _items(arr)
    if not items:
        return None
    if size is None:
        return Utils.JList([list(items)])
    n = _toward_zero(size, "partition", 2)
    if n < 0:
        raise _d3137("Second argument must be zero or greater")
    if n == 0:
        return None
    return Utils.JList([list(items[i : i + n]) for i in range(0, len(items), n)])


def _f_range(args: Any) -> Any:
    # Inclusive like States.ArrayRange; the result is a JSONata sequence, so one element
    # collapses to a number ($range(1, 9, 9) is 1 on AWS, corpus test_array_range).
    _check_arity(args, "range", 3)
    start = _toward_zero(_arg(args, 0), "range", 1)
    end = _toward_zero(_arg(args, 1), "range", 2)
    step_arg = _arg(args, 2)
    if step_arg is None:
        return None
    step = _toward_zero(step_arg, "range", 3)
    if step == 0 or (step > 0 and start > end) or (step < 0 and start < end):
        return None
    values = range(start, end + (1 if step > 0 else -1), step)
    if len(values) > MAX_RANGE_ITEMS:
        raise _d3137("Expression evaluation memory limit exceeded")
    return Utils.create_sequence_from_iter(values)


_HASHES: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA-1": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA-384": hashlib.sha384,
    "SHA-512": hashlib.sha512,
}


def _f_hash(args: Any) -> Any:
    # Like States.Hash; the wrong-algorithm message is AWS's (quoted by floci-io/floci).
    _check_arity(args, "hash", 2)
    data, algorithm = _arg(args, 0), _arg(args, 1)
    if data is None or data is Utils.NULL_VALUE or _is_function(data):
        raise _signature_error("hash", 1)
    if algorithm is None:
        return None
    if not isinstance(algorithm, str):
        raise _signature_error("hash", 2)
    fn = _HASHES.get(algorithm)
    if fn is None:
        raise _d3137(f"Hash algorithm '{algorithm}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5")
    text = data if isinstance(data, str) else _java_str(_external(data))
    return str(fn(text.encode("utf-8", "surrogatepass")).hexdigest())


def _f_random(args: Any) -> Any:
    # No seed: the scope's RNG. A seed: java.util.Random(seed).nextDouble(), which is what
    # AWS returns ($random(42) = 0.7275636800328681, floci-io/floci measurement).
    _check_arity(args, "random", 1)
    seed = _arg(args, 0)
    if seed is None:
        return _current_scope()._rng().random()
    java = _JavaRandom(_toward_zero(seed, "random", 1))
    return ((java._next(26) << 27) + java._next(27)) * 2.0**-53


def _f_uuid(args: Any) -> Any:
    _check_arity(args, "uuid", 0)
    return str(uuid.UUID(int=_current_scope()._rng().getrandbits(128), version=4))


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError("duplicate key")
        out[k] = v
    return out


def _f_parse(args: Any) -> Any:
    _check_arity(args, "parse", 1)
    text = _arg(args, 0)
    if text is None:
        return None
    if not isinstance(text, str):
        raise _signature_error("parse", 1)
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except ValueError:
        raise _d3137("Invalid JSON") from None
    return _parsed(value)


def _parsed(v: Any) -> Any:
    if v is None:
        return Utils.NULL_VALUE
    if isinstance(v, float):
        if not math.isfinite(v):
            raise _d3137("Invalid JSON")
        return int(v) if v.is_integer() and abs(v) < _TWO_63 else v
    if isinstance(v, int) and not -_TWO_63 <= v < _TWO_63:
        return float(v)  # AWS keeps integers exact while they fit a long
    if isinstance(v, dict):
        return {k: _parsed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_parsed(x) for x in v]
    return v


def _f_string(args: Any) -> Any:
    return _js_string(_arg(args, 0), _arg(args, 1))


def _f_count(args: Any) -> Any:
    arr = _arg(args, 0)
    if arr is None:
        return 0
    return len(arr) if isinstance(arr, list) else 1


_JS_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?")
_JS_RADIX = re.compile(r"0[xX][0-9A-Fa-f]+|0[oO][0-7]+|0[bB][01]+")


def _f_number(args: Any) -> Any:
    arg = _arg(args, 0)
    if arg is None:
        return None
    if arg is True or arg is False:
        return 1 if arg else 0
    if _is_number(arg):
        return arg
    if isinstance(arg, str):
        if _JS_DECIMAL.fullmatch(arg):
            x = float(arg)
            if math.isfinite(x):
                return int(x) if x.is_integer() else x
        elif _JS_RADIX.fullmatch(arg):
            return int(arg, 0)
    err = JException("D3030", -1, arg)
    raise err


def _f_distinct(args: Any) -> Any:
    arr = _arg(args, 0)
    if arr is None:
        return None
    if not isinstance(arr, list) or len(arr) <= 1:
        return arr
    results: list[Any] = Utils.create_sequence() if Utils.is_sequence(arr) else Utils.JList()
    for el in _items(arr):
        if not any(_js_equal(el, r) for r in results):
            results.append(el)
    return results


def _f_clone(args: Any) -> Any:
    value = _arg(args, 0)
    return None if value is None else _clone(value)


def _f_parse_integer(args: Any) -> Any:
    value, picture = _arg(args, 0), _arg(args, 1)
    if value is None:
        return None
    try:
        return Functions.parse_integer(value, picture)
    except (ValueError, IndexError):
        return math.nan  # jsonata-js answers NaN where the picture cannot read the value


_URI_RESERVED = frozenset(";/?:@&=+$,#")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")


def _decode_uri(text: str, keep_reserved: bool, name: str) -> str:
    """JavaScript ``decodeURIComponent`` / ``decodeURI``: malformed escapes are errors."""
    if "%" not in text:
        return text
    out: list[str] = []
    pos = 0
    for m in _PERCENT_RUN.finditer(text):
        if "%" in text[pos : m.start()]:
            break
        out.append(text[pos : m.start()])
        run = m.group(0)
        try:
            decoded = bytes.fromhex(run.replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            break
        if keep_reserved:
            chars, i = [], 0
            for ch in decoded:
                width = len(ch.encode("utf-8")) * 3
                chars.append(run[i : i + width] if ch in _URI_RESERVED else ch)
                i += width
            decoded = "".join(chars)
        out.append(decoded)
        pos = m.end()
    else:
        if "%" not in text[pos:]:
            return "".join(out) + text[pos:]
    err = JException("D3140", -1)
    err.aslrun_fields = {"functionName": name, "value": text}  # type: ignore[attr-defined]
    raise err


def _f_decode_url(args: Any) -> Any:
    text = _arg(args, 0)
    return None if text is None else _decode_uri(text, True, "decodeUrl")


def _f_decode_url_component(args: Any) -> Any:
    text = _arg(args, 0)
    return None if text is None else _decode_uri(text, False, "decodeUrlComponent")


def _regex_result(rx: re.Pattern[str], text: str, start: int) -> Any:
    """jsonata-js ``evaluateRegex`` closure: one match object with a ``next`` function."""
    m = rx.search(text, start)
    if m is None:
        return None

    def following() -> Any:
        if m.end() >= len(text):
            return None
        nxt = _regex_result(rx, text, m.end())
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


def _matches(pattern: Any, text: str) -> Any:
    """The match objects a regex (or a matcher function) yields, as jsonata-js walks them."""
    if isinstance(pattern, re.Pattern):
        result = _regex_result(pattern, text, 0)
    else:
        result = Functions.func_apply(pattern, [text])
    while result is not None:
        if not isinstance(result, dict) or not (
            _is_number(result.get("start")) or isinstance(result.get("groups"), list) or "next" in result
        ):
            raise JException("T1010", -1)
        yield result
        nxt = result.get("next")
        result = Functions.func_apply(nxt, []) if nxt is not None else None


def _f_match(args: Any) -> Any:
    text, pattern, limit = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if text is None:
        return None
    if limit is not None and limit < 0:
        raise JException("D3040", -1, limit)
    result = Utils.create_sequence()
    if limit is None or limit > 0:
        for count, m in enumerate(_matches(pattern, text)):
            if limit is not None and count >= limit:
                break
            result.append({"match": m["match"], "index": m["start"], "groups": m["groups"]})
    return result


def _substitute(replacement: str, m: Any) -> str:
    """jsonata-js's ``$n`` expansion in a ``$replace`` replacement string."""
    groups = m["groups"]
    out = []
    position = 0
    index = replacement.find("$", position)
    while index != -1 and position < len(replacement):
        out.append(replacement[position:index])
        position = index + 1
        dollar = replacement[position : position + 1]
        if dollar == "$":
            out.append("$")
            position += 1
        elif dollar == "0":
            out.append(m["match"])
            position += 1
        else:
            digits = 1 if not groups else math.floor(math.log10(len(groups))) + 1
            number = _parse_int_prefix(replacement[position : position + digits])
            if digits > 1 and number is not None and number > len(groups):
                number = _parse_int_prefix(replacement[position : position + digits - 1])
            if number is not None:
                if groups and 0 < number <= len(groups) and groups[number - 1] is not None:
                    out.append(groups[number - 1])
                elif groups and number == 0:
                    pass
                position += len(str(number))
            else:
                out.append("$")
        index = replacement.find("$", position)
    out.append(replacement[position:])
    return "".join(out)


def _parse_int_prefix(text: str) -> int | None:
    """``parseInt(text, 10)``: the leading digits, or None (NaN)."""
    m = re.match(r"\s*[-+]?[0-9]+", text)
    return int(m.group(0)) if m else None


def _f_replace(args: Any) -> Any:
    text, pattern, replacement, limit = _arg(args, 0), _arg(args, 1), _arg(args, 2), _arg(args, 3)
    if text is None:
        return None
    if pattern == "":
        raise JException("D3010", -1)
    if limit is not None and limit < 0:
        raise JException("D3011", -1)
    if limit is not None and limit == 0:
        return text
    out, position, count = [], 0, 0
    if isinstance(pattern, str):
        index = text.find(pattern)
        while index != -1 and (limit is None or count < limit):
            out.append(text[position:index])
            out.append(replacement if isinstance(replacement, str) else _js_string(replacement))
            position = index + len(pattern)
            count += 1
            index = text.find(pattern, position)
        out.append(text[position:])
        return "".join(out)
    for m in _matches(pattern, text):
        if limit is not None and count >= limit:
            break
        out.append(text[position : m["start"]])
        if isinstance(replacement, str):
            replaced = _substitute(replacement, m)
        else:
            replaced = Functions.func_apply(replacement, [m])
        if not isinstance(replaced, str):
            raise JException("D3012", -1)
        out.append(replaced)
        position = m["start"] + len(m["match"])
        count += 1
    out.append(text[position:])
    return "".join(out)


def _f_split(args: Any) -> Any:
    text, separator, limit = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if text is None:
        return None
    if limit is not None and limit < 0:
        raise JException("D3020", -1, text)
    if limit is not None and limit == 0:
        return Utils.JList()
    if isinstance(separator, str):
        parts = list(text) if separator == "" else text.split(separator)
        return Utils.JList(parts if limit is None else parts[: int(limit)])
    result, start, count = Utils.JList(), 0, 0
    for m in _matches(separator, text):
        if limit is not None and count >= limit:
            break
        result.append(text[start : m["start"]])
        start = m["end"]
        count += 1
    if limit is None or count < limit:
        result.append(text[start:])
    return result


def _js_truthy(v: Any) -> bool:
    if v is None or v is Utils.NULL_VALUE or v is False or v == "":
        return False
    if _is_number(v):
        return v == v and v != 0
    return True


def _f_sort(args: Any) -> Any:
    arr, comparator = _arg(args, 0), _arg(args, 1)
    if arr is None:
        return None
    items = list(_items(arr))
    if len(items) <= 1:
        return arr
    if comparator is None:
        if not (all(_is_number(x) for x in items) or all(isinstance(x, str) for x in items)):
            raise JException("D3070", -1)
        return sorted(items)

    def msort(part: list[Any]) -> list[Any]:  # jsonata-js's merge sort: swap when comparator is true
        if len(part) <= 1:
            return part
        middle = len(part) // 2
        left, right = msort(part[:middle]), msort(part[middle:])
        merged: list[Any] = []
        i = j = 0
        while i < len(left) and j < len(right):
            if _js_truthy(Functions.func_apply(comparator, [left[i], right[j]])):
                merged.append(right[j])
                j += 1
            else:
                merged.append(left[i])
                i += 1
        return merged + left[i:] + right[j:]

    return msort(items)


def _f_contains(args: Any) -> Any:
    text, token = _arg(args, 0), _arg(args, 1)
    if text is None:
        return None
    if isinstance(token, str):
        return token in text
    return next(iter(_matches(token, text)), None) is not None


def _f_now(args: Any) -> Any:
    return Functions.datetime_from_millis(_current_scope()._millis(), _arg(args, 0), _arg(args, 1))


def _f_millis(args: Any) -> Any:
    return _current_scope()._millis()


class _Signature(Signature):
    """jsonata-js gives JSON null the signature symbol ``l``; jsonata-python said "missing".

    With "missing", a null argument to an array parameter became undefined
    (``$count(null)`` was 0, ``$sum(null)`` undefined instead of T0412).
    """

    def get_symbol(self, value: Any) -> str:
        # the library's order of tests, without its per-call imports
        if value is None:
            return "m"
        if value is Utils.NULL_VALUE:
            return "l"
        if isinstance(value, str):
            return "s"
        if isinstance(value, bool):
            return "b"
        if isinstance(value, (int, float)):
            return "n"
        if _is_function(value):
            return "f"
        if isinstance(value, list):
            return "a"
        if isinstance(value, dict):
            return "o"
        return "m"

    def throw_validation_error(self, bad_args: Any, bad_sig: Any, function_name: Any) -> Any:
        # jsonata-js matches each growing prefix with String.match (a prefix match); the port
        # used fullmatch, so the argument it blamed was always the first
        pattern = "^"
        good_to = 0
        for param in self._params:
            pattern += param.regex
            m = re.match(pattern, bad_sig)
            if m is None:
                break
            good_to = m.end()
        raise _signature_error(str(function_name), good_to + 1)


class _Native(Jsonata.JFunctionCallable):
    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def call(self, input: Any, args: Any) -> Any:
        return self.fn(args)


def _define(frame: Jsonata.Frame, name: str, fn: Callable[[Any], Any], signature: str) -> None:
    function = Jsonata.JFunction(_Native(fn), None)
    function.signature = _Signature(signature, name)
    function.function_name = name
    frame.bind(name, function)


def _base_frame() -> Jsonata.Frame:
    frame = Jsonata.Frame(Jsonata.static_frame)
    for name, builtin in Jsonata.static_frame.bindings.items():
        if isinstance(builtin, Jsonata.JFunction) and builtin.signature is not None:
            fixed = copy.copy(builtin)
            fixed.signature = copy.copy(builtin.signature)
            fixed.signature.__class__ = _Signature
            frame.bind(name, fixed)
    frame.bind("eval", None)  # AWS removes $eval: calling it is T1006
    _define(frame, "partition", _f_partition, "<x?x?x?:x>")
    _define(frame, "range", _f_range, "<x?x?x?x?:x>")
    _define(frame, "hash", _f_hash, "<x?x?x?:x>")
    _define(frame, "random", _f_random, "<x?x?:n>")
    _define(frame, "uuid", _f_uuid, "<x?:s>")
    _define(frame, "parse", _f_parse, "<x?x?:x>")
    _define(frame, "string", _f_string, "<x-b?:s>")
    _define(frame, "count", _f_count, "<a:n>")
    _define(frame, "number", _f_number, "<(nsb)-:n>")
    _define(frame, "distinct", _f_distinct, "<x:x>")
    _define(frame, "clone", _f_clone, "<(oa)-:o>")
    _define(frame, "parseInteger", _f_parse_integer, "<s-s:n>")
    _define(frame, "decodeUrl", _f_decode_url, "<s-:s>")
    _define(frame, "decodeUrlComponent", _f_decode_url_component, "<s-:s>")
    _define(frame, "match", _f_match, "<s-f<s:o>n?:a<o>>")
    _define(frame, "replace", _f_replace, "<s-(sf)(sf)n?:s>")
    _define(frame, "split", _f_split, "<s-(sf)n?:a<s>>")
    _define(frame, "contains", _f_contains, "<s-(sf):b>")
    _define(frame, "sort", _f_sort, "<af?:a>")
    _define(frame, "now", _f_now, "<s?s?:s>")
    _define(frame, "millis", _f_millis, "<:n>")
    return frame


# read-only after import: every evaluation's frame has it as parent
_BASE_FRAME = _base_frame()


# ---------------------------------------------------------------- expressions


class Expression:
    """A compiled JSONata expression. ``text`` is how AWS quotes it in causes."""

    __slots__ = ("text", "_ast")

    def __init__(self, text: str, ast: Any) -> None:
        self.text = text
        self._ast = ast

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(self, scope: Scope) -> Any:
        """The JSON value; :data:`UNDEFINED` for nothing, :data:`FUNCTION` for a function.

        Raises :class:`JsonataError`.
        """
        engine = _engine()
        current = Jsonata.CURRENT
        previous = getattr(current, "jsonata", _NO_VALUE)
        outer_scope, outer_budget = engine.scope, engine.budget
        current.jsonata = engine  # the library's higher-order functions call back through it
        engine.scope, engine.budget = scope, MAX_EVALUATION_STEPS
        try:
            result = engine.eval(self._ast, None, _ScopeFrame(scope))
        except JException as exc:
            raise _translate(exc) from None
        except RecursionError:
            raise JsonataError("D1011", _MESSAGES["D1011"]) from None
        except Exception as exc:  # a defect of the library: still an evaluation error, not a crash
            raise JsonataError("", f"{type(exc).__name__}: {exc}") from None
        finally:
            engine.scope, engine.budget = outer_scope, outer_budget
            if previous is _NO_VALUE:
                del current.jsonata
            else:
                current.jsonata = previous
        if result is None:
            return UNDEFINED
        try:
            return _external(result)
        except _HasFunction:
            return FUNCTION
        except JException as exc:
            raise _translate(exc) from None


def compile_expression(text: str) -> Expression:
    """Parse the text between ``{%`` and ``%}``; raises :class:`JsonataSyntaxError`."""
    stripped = text.strip()
    if not stripped:
        raise JsonataSyntaxError("S0207: Unexpected end of expression", text, 0)
    try:
        ast = Jsonata.get_parser().parse(stripped, _js_regex)
    except JException as exc:
        raise _syntax_error(exc, stripped) from None
    except re.error as exc:
        raise JsonataSyntaxError(f"S0302: Invalid regular expression: {exc}", stripped) from None
    except RecursionError:
        raise JsonataSyntaxError("S0201: Expression is nested too deeply", stripped) from None
    if getattr(ast, "errors", None):
        raise JsonataSyntaxError("S0500: " + _MESSAGES["S0500"], stripped)
    _mark_fast_paths(ast, set())
    return Expression(stripped, ast)


_PLAIN = frozenset({"_outer_instance", "id", "type", "value", "position", "steps"})


def _plain(node: Any) -> bool:
    return all(k in _PLAIN or not v for k, v in vars(node).items())


def _mark_fast_paths(node: Any, seen: set[int]) -> None:
    """Mark ``$var.name.name`` paths (no predicates, no grouping, ...) for :func:`_eval_path`."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, (list, tuple)):
        for item in node:
            _mark_fast_paths(item, seen)
        return
    if not isinstance(node, Parser.Symbol):
        return
    steps = getattr(node, "steps", None)
    if (
        node.type == "path"
        and steps
        and steps[0].type == "variable"
        and steps[0].value not in ("", "$")
        and all(step.type == "name" for step in steps[1:])
        and all(_plain(step) for step in steps)
        and _plain(node)
    ):
        node.aslrun_fast = (steps[0].value, tuple(str(step.value) for step in steps[1:]))
    for key, value in vars(node).items():
        if key != "_outer_instance":
            _mark_fast_paths(value, seen)


# ---------------------------------------------------------------- fields


def _cause(text: str, field: str, what: str) -> str:
    return f"The JSONata expression '{text}' specified for the field '{field}' {what}"


def unexpected_type(expression: Expression, field: str, expected: str, value: Any) -> StatesError:
    """The error for a result of the wrong type, worded as AWS does (Map ``Items``, ...)."""
    cause = _cause(
        expression.text,
        field,
        f"returned an unexpected result type. Expected '{expected}', but was "
        f"'{type_name(value)}' for value: {_js_json(value)}",
    )
    return StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=field)


class Field:
    """A compiled field value: a literal, a ``{% %}`` string, or containers of them."""

    __slots__ = ("constant", "_walk")

    def __init__(self, constant: bool, walk: Callable[[Scope, str], Any]) -> None:
        self.constant = constant
        self._walk = walk

    def evaluate(self, scope: Scope, field: str) -> Any:
        """The field's value; every failure is a ``States.QueryEvaluationError`` StatesError."""
        return self._walk(scope, field)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _compile_walk(value: Any) -> tuple[bool, Callable[[Scope, str], Any]]:
    if is_jsonata(value):
        expr = compile_expression(value[2:-2])

        def run(scope: Scope, path: str) -> Any:
            try:
                result = expr.evaluate(scope)
            except JsonataError as exc:
                cause = _cause(expr.text, path, f"threw an error during evaluation. {exc}")
                raise StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=path) from None
            if result is UNDEFINED:
                cause = _cause(expr.text, path, "returned nothing (undefined).")
                raise StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=path)
            if result is FUNCTION:
                cause = _cause(expr.text, path, "returned an unsupported result type.")
                raise StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=path)
            return result

        return False, run
    if isinstance(value, dict):
        parts = [(str(k), *_compile_walk(v)) for k, v in value.items()]
        if all(constant for _, constant, _ in parts):
            return True, lambda scope, path: _copy(value)
        keyed = [(k, f"/{k}", walk) for k, _, walk in parts]

        def run_object(scope: Scope, path: str) -> Any:
            return {k: walk(scope, path + suffix) for k, suffix, walk in keyed}

        return False, run_object
    if isinstance(value, list):
        items = [_compile_walk(v) for v in value]
        if all(constant for constant, _ in items):
            return True, lambda scope, path: _copy(value)
        indexed = [(f"[{i}]", walk) for i, (_, walk) in enumerate(items)]

        def run_array(scope: Scope, path: str) -> Any:
            return [walk(scope, path + suffix) for suffix, walk in indexed]

        return False, run_array
    return True, lambda scope, path: value


def compile_field(value: Any) -> Field:
    """Compile every ``{% %}`` string in a field value; raises :class:`JsonataSyntaxError`."""
    constant, walk = _compile_walk(value)
    return Field(constant, walk)
