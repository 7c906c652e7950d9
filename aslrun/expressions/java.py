"""Java look-alikes: how AWS's Java runtime writes, hashes and draws JSON values.

AWS evaluates intrinsic functions (and ``$hash``/``$random(seed)`` in JSONata) in Java, so
the text and order of some results are Java's: ``String.valueOf`` and ``Double.toString``
(:func:`java_str`, :func:`java_double`), Jackson's compact JSON (:func:`jackson_json`),
``hashCode()`` and ``HashSet`` iteration order (:func:`java_hash`, :func:`hash_set_order`),
``equals`` (:func:`java_key`), ``String.length()`` (:func:`utf16_len`) and
``java.util.Random`` (:class:`JavaRandom`). Everything here is a pure function of its
arguments; :class:`JavaRandom` is a value the caller creates from a seed and owns.
"""

from __future__ import annotations

import json
import math
import re
import struct
from decimal import Decimal
from typing import Any

from aslrun.expressions._limits import int_text, write_nested

__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "JavaRandom",
    "hash_set_order",
    "jackson_json",
    "java_double",
    "java_hash",
    "java_key",
    "java_str",
    "utf16_len",
]

#: the range of Java's ``int``
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def java_double(x: float) -> str:
    """``Double.toString``: plain between 1e-3 and 1e7, else ``1.0E20`` style."""
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    a = abs(x)
    if 1e-3 <= a < 1e7:
        # Python's repr is plain decimal in this range and, like Java's, the shortest.
        return repr(x)
    t = Decimal(repr(a)).as_tuple()
    exponent = len(t.digits) + int(t.exponent) - 1
    digits = "".join(map(str, t.digits)).rstrip("0") or "0"
    sign = "-" if x < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _literal(v: Any) -> str | None:
    """null, a boolean or a number as Java prints it; None for anything else."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return int_text(v)
    if isinstance(v, float):
        return java_double(v)
    return None


def _java_scalar(v: Any) -> str:
    if isinstance(v, str):
        return v
    literal = _literal(v)
    return literal if literal is not None else str(v)


def java_str(v: Any) -> str:
    """``String.valueOf`` of the Java object AWS holds for a JSON value.

    Objects print as ``{a=1, b=[x, y]}`` (``Map.toString``): AWS's States.Format
    renders ``{"Arg1": 1, "Arg2": []}`` as ``{Arg1=1, Arg2=[]}`` (LocalStack snapshot
    ``test_generic.snapshot.json::test_format_2``, recorded against AWS).
    """
    if isinstance(v, (dict, list)):
        return write_nested(v, _java_scalar, lambda k: f"{k}=", ", ")
    return _java_scalar(v)


_LOWER_HEX_ESCAPE = re.compile(r"(\\\\)|\\u00([0-9a-f]{2})")


def _jackson_string(s: str) -> str:
    text = json.dumps(s, ensure_ascii=False)
    if "\\u00" in text:
        # Jackson writes control characters as \u001F, Python as \u001f.
        text = _LOWER_HEX_ESCAPE.sub(lambda m: m.group(1) or "\\u00" + m.group(2).upper(), text)
    return text


def _jackson_scalar(v: Any) -> str:
    if isinstance(v, str):
        return _jackson_string(v)
    literal = _literal(v)
    if literal is None:
        raise TypeError(f"not a JSON value: {v!r}")
    return literal


def jackson_json(v: Any) -> str:
    """Compact JSON text as Jackson writes it: no spaces, non-ASCII kept, Java doubles."""
    if isinstance(v, (dict, list)):
        return write_nested(v, _jackson_scalar, lambda k: _jackson_string(str(k)) + ":")
    return _jackson_scalar(v)


def _u32(n: int) -> int:
    return n & 0xFFFFFFFF


def java_hash(v: Any) -> int:
    """``hashCode()`` (as an unsigned 32-bit int) of the Java object for a JSON value."""
    if v is None:
        return 0  # HashMap's hash of the null key
    if v is True:
        return 1231
    if v is False:
        return 1237
    if isinstance(v, int):
        if INT32_MIN <= v <= INT32_MAX:
            return _u32(v)  # Integer
        if -(2**63) <= v < 2**63:
            u = v & 0xFFFFFFFFFFFFFFFF  # Long
            return _u32(u ^ (u >> 32))
        mag = abs(v)  # BigInteger: 31*h + word over big-endian 32-bit words, times signum
        h = 0
        for word in reversed([(mag >> s) & 0xFFFFFFFF for s in range(0, mag.bit_length(), 32)]):
            h = _u32(31 * h + word)
        return h if v > 0 else _u32(-h)
    if isinstance(v, float):
        (bits,) = struct.unpack(">Q", struct.pack(">d", v))
        return _u32(bits ^ (bits >> 32))
    if isinstance(v, str):
        h = 0
        data = v.encode("utf-16-be", "surrogatepass")
        for i in range(0, len(data), 2):
            h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
        return h
    if isinstance(v, list):
        h = 1
        for item in v:
            h = _u32(31 * h + java_hash(item))
        return h
    if isinstance(v, dict):
        return _u32(sum(java_hash(str(k)) ^ java_hash(x) for k, x in v.items()))
    return _u32(hash(v))


def java_key(v: Any) -> Any:
    """A hashable key with Java ``equals`` semantics: 1 != 1.0, maps ignore key order."""
    if v is None or isinstance(v, (bool, str)):
        return (type(v).__name__, v)
    if isinstance(v, int):
        return ("i", v)
    if isinstance(v, float):
        return ("f", struct.pack(">d", v))
    if isinstance(v, list):
        return ("a", tuple(map(java_key, v)))
    if isinstance(v, dict):
        return ("o", frozenset((k, java_key(x)) for k, x in v.items()))
    return ("?", repr(v))


def hash_set_order(values: list[Any], size: int) -> list[Any]:
    """Iteration order of ``new HashSet<>(list)`` holding ``values`` (first occurrences).

    ``size`` is the list's length with duplicates, which fixes the table size:
    ``max(size / .75 + 1, 16)`` rounded up to a power of two.
    """
    capacity = max(int(size / 0.75) + 1, 16)
    table = 1 << (capacity - 1).bit_length()
    mask = table - 1

    def bucket(item: Any) -> int:
        h = java_hash(item)
        return (h ^ (h >> 16)) & mask

    return sorted(values, key=bucket)  # stable: equal buckets keep insertion order


class JavaRandom:
    """``java.util.Random``: the 48-bit LCG and ``nextInt(bound)``."""

    __slots__ = ("seed",)

    _MULT = 0x5DEECE66D
    _MASK = (1 << 48) - 1

    def __init__(self, seed: int) -> None:
        self.seed = (seed ^ self._MULT) & self._MASK

    def _next(self, bits: int) -> int:
        self.seed = (self.seed * self._MULT + 0xB) & self._MASK
        return self.seed >> (48 - bits)

    def next_int(self, bound: int) -> int:
        r = self._next(31)
        m = bound - 1
        if bound & m == 0:
            return (bound * r) >> 31
        u = r
        r = u % bound
        # Java loops while u - r + m overflows a signed int.
        while u - r + m > INT32_MAX:
            u = self._next(31)
            r = u % bound
        return r


def utf16_len(s: str) -> int:
    """``String.length()`` in Java: UTF-16 code units, so an emoji counts twice."""
    if s.isascii():
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) // 2
