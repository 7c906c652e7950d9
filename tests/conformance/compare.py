"""Compare an execution result with the result AWS recorded for a conformance case.

A result is the ``--json`` object of ``aslrun run`` (``ExecutionResult.to_json()``):
``{"status": "SUCCEEDED", "output": ...}`` or ``{"status": "FAILED", "error": ..., "cause": ...}``.
:func:`compare_result` returns ``None`` when it matches the case's ``expected`` and otherwise one
line saying what differs and where (a JSON Pointer into ``expected``).

The rules are those of the corpus (``README.md`` beside this module):

* the status must be equal;
* an output must be equal as a JSON value (key order free, ``1 == 1.0``, no other coercion), after
  the result went through the masking the recorder applied (:func:`mask_like_recording`);
* an error and a cause must be equal as strings (missing, ``null`` and ``""`` are all "none"), the
  ones listed in ``json_text_fields`` as the JSON values they hold;
* at a pointer listed in ``masked_fields`` or ``nondeterministic_fields`` each placeholder of the
  expected string matches any non-empty text, and a string that is only a placeholder matches any
  value.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "CASES",
    "KNOWN_DIFFERENCES",
    "compare_result",
    "load_cases",
    "mask_dates",
    "mask_like_recording",
]

#: the public cases, kept in the repository
CASES = Path(__file__).resolve().parent / "cases"

#: cases aslrun does not reproduce, each with the reason
KNOWN_DIFFERENCES: dict[str, str] = {}

# An ISO-8601 date-time with a zone; the recorder turned every one (with a real calendar date) into "date".
_DATE_TIME = re.compile(
    r"(?P<year>[1-9]\d{3})-(?P<month>\d{2})-(?P<day>\d{2})T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?"
    r"(?:Z|[+-][01]\d:?(?:[0-5]\d)?)"
)
# <ExecArnPart_0idx>, <uuid:1>, <lambda_function_name>, ...
_PLACEHOLDER = re.compile(r"<[A-Za-z0-9_\-:. ]{1,80}>")
_TIMESTAMP_KEY = re.compile("timestamp", re.IGNORECASE)
_TIMESTAMP_KEYS = frozenset({"creationTime", "ingestionTime"})


class _Mismatch(Exception):
    """Where the first difference is; the message is the reason :func:`compare_result` returns."""


def load_cases(*directories: Path) -> list[dict[str, Any]]:
    """Every case of ``directories`` (``*.json`` with a definition and an expected result), sorted by id.

    A case id found in more than one directory is taken from the first.
    """
    found: dict[str, dict[str, Any]] = {}
    for directory in directories or (CASES,):
        for path in sorted(Path(directory).glob("*.json")):
            case = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(case, dict) and "definition" in case and "expected" in case:
                found.setdefault(case["id"], case)
    return [found[key] for key in sorted(found)]


def _is_date(match: re.Match[str]) -> bool:
    try:
        datetime.date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        return False
    return True


def mask_dates(text: str) -> str:
    """``text`` with every ISO-8601 date-time that has a zone and a valid date replaced by ``date``."""
    return _DATE_TIME.sub(lambda m: "date" if _is_date(m) else m.group(0), text)


def _starts_with_date(text: str) -> bool:
    match = _DATE_TIME.match(text)
    return match is not None and _is_date(match)


def _mask_timestamp_keys(value: dict[str, Any]) -> dict[str, Any]:
    masked: dict[str, Any] = {}
    for key, item in value.items():
        timestamp_key = _TIMESTAMP_KEY.search(key) is not None or key in _TIMESTAMP_KEYS
        if timestamp_key and not _starts_with_date(str(item)):
            masked[key] = "timestamp"
        elif isinstance(item, dict):
            masked[key] = _mask_timestamp_keys(item)
        elif isinstance(item, list):
            # the recorder went through arrays of objects, not through arrays of arrays
            masked[key] = [_mask_timestamp_keys(x) if isinstance(x, dict) else x for x in item]
        else:
            masked[key] = item
    return masked


def _mask_strings(value: Any) -> Any:
    if isinstance(value, str):
        return mask_dates(value)
    if isinstance(value, dict):
        return {mask_dates(key): _mask_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_strings(item) for item in value]
    return value


def mask_like_recording(value: Any) -> Any:
    """``value`` as the recorder would have stored it: timestamps and date-times masked."""
    if isinstance(value, dict):
        value = _mask_timestamp_keys(value)
    return _mask_strings(value)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _child(pointer: str, key: str | int) -> str:
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _match_placeholders(expected: Any, actual: Any, field: dict[str, Any], pointer: str) -> None:
    if not isinstance(expected, str):
        return
    tokens = {token for token in field.get("placeholders", []) if token} | set(_PLACEHOLDER.findall(expected))
    if not tokens or expected in tokens:
        return  # a value masked whole: any value fits
    if not isinstance(actual, str):
        raise _Mismatch(f"{pointer}: expected a string like {_short(expected)}, got {_short(actual)}")
    pattern = re.escape(expected)
    for token in sorted(tokens, key=len, reverse=True):
        pattern = pattern.replace(re.escape(token), "(?:.+?)")
    if re.fullmatch(pattern, actual, flags=re.DOTALL) is None:
        raise _Mismatch(f"{pointer}: {_short(actual)} does not fit {_short(expected)}")


def _compare(expected: Any, actual: Any, pointer: str, wild: dict[str, dict[str, Any]], strict_numbers: bool) -> None:
    where = pointer or "/"
    if pointer in wild:
        _match_placeholders(expected, actual, wild[pointer], pointer)
    elif isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise _Mismatch(f"{where}: expected an object, got {_short(actual)}")
        if expected.keys() != actual.keys():
            missing = sorted(expected.keys() - actual.keys())[:5]
            extra = sorted(actual.keys() - expected.keys())[:5]
            raise _Mismatch(f"{where}: missing keys {missing}, unexpected keys {extra}")
        for key, item in expected.items():
            _compare(item, actual[key], _child(pointer, key), wild, strict_numbers)
    elif isinstance(expected, list):
        if not isinstance(actual, list):
            raise _Mismatch(f"{where}: expected an array, got {_short(actual)}")
        if len(expected) != len(actual):
            raise _Mismatch(f"{where}: expected {len(expected)} items, got {len(actual)}: {_short(actual)}")
        for index, (item, other) in enumerate(zip(expected, actual)):
            _compare(item, other, _child(pointer, index), wild, strict_numbers)
    elif _is_number(expected) and _is_number(actual):
        if expected != actual or (strict_numbers and type(expected) is not type(actual)):
            raise _Mismatch(f"{where}: expected {_short(expected)}, got {_short(actual)}")
    elif type(expected) is not type(actual) or expected != actual:
        raise _Mismatch(f"{where}: expected {_short(expected)}, got {_short(actual)}")


def _placeholder_pointers(value: Any, pointer: str, tokens: set[str]) -> Iterable[str]:
    """Pointers to the strings inside ``value`` that hold one of ``tokens``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _placeholder_pointers(item, _child(pointer, key), tokens)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _placeholder_pointers(item, _child(pointer, index), tokens)
    elif isinstance(value, str) and (value in tokens or tokens.intersection(_PLACEHOLDER.findall(value))):
        yield pointer


def _compare_json_text(expected: str, actual: Any, pointer: str, field: dict[str, Any] | None,
                       strict_numbers: bool) -> None:
    """The recorder stored these strings parsed, so only their values can be compared."""
    if not isinstance(actual, str):
        raise _Mismatch(f"{pointer}: expected JSON text, got {_short(actual)}")
    try:
        expected_value = json.loads(expected)
        actual_value = json.loads(actual)
    except ValueError:
        raise _Mismatch(f"{pointer}: expected JSON text like {_short(expected)}, got {_short(actual)}") from None
    wild: dict[str, dict[str, Any]] = {}
    if field is not None:
        tokens = set(field.get("placeholders", []))
        wild = {inner: field for inner in _placeholder_pointers(expected_value, pointer, tokens)}
    _compare(expected_value, actual_value, pointer, wild, strict_numbers)


def _compare_failure(case: dict[str, Any], actual: dict[str, Any], wild: dict[str, dict[str, Any]],
                     strict_numbers: bool) -> None:
    expected = case["expected"]
    json_text = {field["pointer"] for field in case.get("json_text_fields", [])}
    for name in ("error", "cause"):
        want = expected.get(name)
        got = actual.get(name)
        if isinstance(got, str):
            got = mask_dates(got)
        pointer = f"/{name}"
        if pointer in json_text and want is not None:
            _compare_json_text(want, got, pointer, wild.get(pointer), strict_numbers)
        elif pointer in wild:
            if want is None and got in (None, ""):
                continue
            _match_placeholders(want, got, wild[pointer], pointer)
        elif (want or None) != (got or None):
            raise _Mismatch(f"{name}: expected {_short(want)}, got {_short(got)}")


def compare_result(case: dict[str, Any], actual: Any, strict_numbers: bool = False) -> str | None:
    """``None`` when ``actual`` matches what AWS recorded for ``case``, else the first difference.

    ``strict_numbers`` makes ``1`` and ``1.0`` differ.
    """
    expected = case["expected"]
    if not isinstance(actual, dict) or "status" not in actual:
        return "runner output is not an object with a status"
    if actual["status"] != expected["status"]:
        detail = ""
        if actual["status"] == "FAILED":
            detail = f" ({actual.get('error')}: {str(actual.get('cause'))[:120]})"
        elif expected["status"] == "FAILED":
            detail = f" (expected {expected.get('error')}: {str(expected.get('cause'))[:120]})"
        return f"status {actual['status']}, expected {expected['status']}{detail}"
    wild = {field["pointer"]: field
            for field in case.get("masked_fields", []) + case.get("nondeterministic_fields", [])}
    try:
        if expected["status"] == "SUCCEEDED":
            if "output" not in actual:
                return "no output"
            _compare(expected["output"], mask_like_recording(actual["output"]), "/output", wild, strict_numbers)
        else:
            _compare_failure(case, actual, wild, strict_numbers)
    except _Mismatch as exc:
        return str(exc)
    return None
