"""JSONata error messages: jsonata-js's catalogue, and the fields a jsonata-python error fills in.

Split out of :mod:`aslrun.expressions.jsonata`, which turns a library ``JException`` into
:class:`~aslrun.expressions.jsonata.JsonataError` with :func:`render_message` and :func:`message_fields`:
causes read as jsonata-js words them (``T2001: The left side of the "+" operator must
evaluate to a number``), with JSON-quoted values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from aslrun.expressions._jsonata_lib import JException
from aslrun.expressions.jsonata_values import js_json

__all__ = ["MESSAGES", "NO_VALUE", "message_fields", "render_message"]


# jsonata-js 2.0.6 message catalogue (lib/jsonata.js, MIT licence), the codes that can reach a
# cause. ``{{x}}`` is the JSON text of field x, ``{{{x}}}`` the raw value.
MESSAGES: Mapping[str, str] = MappingProxyType(
    {
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
)

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
#: a marker for "no such key" where ``None`` is a value
NO_VALUE: Any = object()


def render_message(code: str, fields: dict[str, Any]) -> str:
    """The jsonata-js message for ``code`` with ``fields`` filled in."""
    template = MESSAGES.get(code)
    if template is None:
        return str(fields.get("message", code))

    def fill(m: re.Match[str]) -> str:
        if m.group(1):
            value = fields.get(m.group(1), NO_VALUE)
            return "undefined" if value is NO_VALUE or value is None else str(value)
        value = fields.get(m.group(2), NO_VALUE)
        return "undefined" if value is NO_VALUE or value is None else js_json(value)

    return _FIELD.sub(fill, template)


def message_fields(exc: JException) -> dict[str, Any]:
    """The fields of a library error that jsonata-js's message for its code names."""
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
