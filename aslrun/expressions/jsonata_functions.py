"""JSONata built-in functions as AWS runs them: its own six and jsonata-js ports.

Split out of :mod:`aslrun.expressions.jsonata`: AWS's ``$partition``, ``$range``,
``$hash``, ``$random([seed])``, ``$uuid`` and ``$parse``; replacements for the
jsonata-python built-ins that differ from jsonata-js 2.0.6 (``$string``, ``$count``,
``$number``, ``$distinct``, ``$clone``, ``$match``, ``$replace``, ``$split``, ``$sort``,
``$contains``, ``$now``, ``$millis``, ...); the signature checks with jsonata-js's symbols;
and ``BASE_FRAME``, the frame of built-ins every evaluation's frame has as parent.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aslrun.expressions._jsonata_lib import Functions, JException, Jsonata, Signature, Utils
from aslrun.expressions._limits import depth_message, text_deeper_than
from aslrun.expressions.java import JavaRandom, java_str
from aslrun.expressions.jsonata_regex import regex_matches
from aslrun.expressions.jsonata_values import (
    MAX_DOUBLE_INT,
    TWO_63,
    clone_value,
    is_function,
    is_number,
    js_equal,
    js_items,
    js_string,
    to_external,
)

if TYPE_CHECKING:
    from aslrun.expressions.jsonata import Scope

__all__ = [
    "BASE_FRAME",
    "JsSignature",
    "MAX_RANGE_ITEMS",
]


# ---------------------------------------------------------------- AWS's functions and fixes


def _current_scope() -> Scope:
    # The evaluation running on this thread registered its engine where the library's
    # higher-order functions look for it (Jsonata.CURRENT); the engine carries the Scope.
    scope: Scope | None = getattr(getattr(Jsonata.CURRENT, "jsonata", None), "scope", None)
    assert scope is not None
    return scope


def _signature_error(name: str, index: int) -> JException:
    err = JException("T0410", -1, index, name)
    err.aslrun_fields = {"index": index, "token": name}  # type: ignore[attr-defined]
    return err


def _d3137(message: str) -> JException:
    return JException("D3137", -1, message)


def _toward_zero(v: Any, name: str, index: int) -> int:
    if not is_number(v) or (isinstance(v, float) and not math.isfinite(v)):
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
    items = js_items(arr)
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
    if data is None or data is Utils.NULL_VALUE or is_function(data):
        raise _signature_error("hash", 1)
    if algorithm is None:
        return None
    if not isinstance(algorithm, str):
        raise _signature_error("hash", 2)
    fn = _HASHES.get(algorithm)
    if fn is None:
        raise _d3137(f"Hash algorithm '{algorithm}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5")
    text = data if isinstance(data, str) else java_str(to_external(data))
    return str(fn(text.encode("utf-8", "surrogatepass")).hexdigest())


def _f_random(args: Any) -> Any:
    # No seed: the scope's RNG. A seed: java.util.Random(seed).nextDouble(), which is what
    # AWS returns ($random(42) = 0.7275636800328681, floci-io/floci measurement).
    _check_arity(args, "random", 1)
    seed = _arg(args, 0)
    if seed is None:
        return _current_scope().random_source().random()
    java = JavaRandom(_toward_zero(seed, "random", 1))
    return ((java._next(26) << 27) + java._next(27)) * 2.0**-53


def _f_uuid(args: Any) -> Any:
    _check_arity(args, "uuid", 0)
    return str(uuid.UUID(int=_current_scope().random_source().getrandbits(128), version=4))


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
    if text_deeper_than(text):  # json.loads and _parsed recurse once per level
        raise JException(depth_message("The JSON text given to $parse"), -1)
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
        return int(v) if v.is_integer() and abs(v) < TWO_63 else v
    if isinstance(v, int) and not -TWO_63 <= v < TWO_63:
        if not -MAX_DOUBLE_INT <= v <= MAX_DOUBLE_INT:
            raise _d3137("Invalid JSON")  # Infinity as a double, refused like 1e400 above
        return float(v)  # AWS keeps integers exact while they fit a long
    if isinstance(v, dict):
        return {k: _parsed(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_parsed(x) for x in v]
    return v


def _f_string(args: Any) -> Any:
    return js_string(_arg(args, 0), _arg(args, 1))


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
    if is_number(arg):
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
    for el in js_items(arr):
        if not any(js_equal(el, r) for r in results):
            results.append(el)
    return results


def _f_clone(args: Any) -> Any:
    value = _arg(args, 0)
    return None if value is None else clone_value(value)


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


def _f_match(args: Any) -> Any:
    text, pattern, limit = _arg(args, 0), _arg(args, 1), _arg(args, 2)
    if text is None:
        return None
    if limit is not None and limit < 0:
        raise JException("D3040", -1, limit)
    result = Utils.create_sequence()
    if limit is None or limit > 0:
        for count, m in enumerate(regex_matches(pattern, text)):
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
            out.append(replacement if isinstance(replacement, str) else js_string(replacement))
            position = index + len(pattern)
            count += 1
            index = text.find(pattern, position)
        out.append(text[position:])
        return "".join(out)
    for m in regex_matches(pattern, text):
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
    for m in regex_matches(separator, text):
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
    if is_number(v):
        return v == v and v != 0
    return True


def _f_sort(args: Any) -> Any:
    arr, comparator = _arg(args, 0), _arg(args, 1)
    if arr is None:
        return None
    items = list(js_items(arr))
    if len(items) <= 1:
        return arr
    if comparator is None:
        if not (all(is_number(x) for x in items) or all(isinstance(x, str) for x in items)):
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
    return next(iter(regex_matches(token, text)), None) is not None


def _f_now(args: Any) -> Any:
    return Functions.datetime_from_millis(_current_scope().millis(), _arg(args, 0), _arg(args, 1))


def _f_millis(args: Any) -> Any:
    return _current_scope().millis()


class JsSignature(Signature):
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
        if is_function(value):
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
    function.signature = JsSignature(signature, name)
    function.function_name = name
    frame.bind(name, function)


def _base_frame() -> Jsonata.Frame:
    frame = Jsonata.Frame(Jsonata.static_frame)
    for name, builtin in Jsonata.static_frame.bindings.items():
        if isinstance(builtin, Jsonata.JFunction) and builtin.signature is not None:
            fixed = copy.copy(builtin)
            fixed.signature = copy.copy(builtin.signature)
            fixed.signature.__class__ = JsSignature
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


#: the frame of built-ins, read-only after import: every evaluation's frame has it as parent
BASE_FRAME = _base_frame()
