"""Field tables, and the generic checks of an object's fields: presence, types, ranges, enums.

:data:`STATE_FIELDS` says which fields each state type accepts in both query languages,
in JSONPath only and in JSONata only; a field of the other language is reported with a
hint that says what to write instead (:func:`language_error`), a field of another state
type or an unknown one with what the state accepts (:func:`unsupported`). The generic
checks (:func:`required`, :func:`exclusive`, :func:`string`, :func:`integer`,
:func:`number`, :func:`enum`, :func:`unknown_fields`) report AWS's wording for a missing
field, a wrong type or a value out of range.

Each check is handed the :class:`~aslrun.validation.report.Reporter`, the object, the
field name(s), the object's pointer and the state's name. ``required``, ``exclusive`` and
``string`` return whether the field passed, so that a caller can skip checks that would
only repeat the problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aslrun.validation import expressions
from aslrun.validation.report import (
    JSONATA,
    JSONPATH,
    MISSING,
    Reporter,
    describe,
    did_you_mean,
    is_int,
    is_jsonata,
    is_number,
    join_pointer,
    placeholder_hint,
)

#: in the order AWS lists them in its message
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")

#: fields every state accepts
COMMON_FIELDS = ("Type", "Comment", "QueryLanguage")

#: the fields of a top-level machine, a Parallel branch and a Map processor
MACHINE_FIELDS = ("Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage")
BRANCH_FIELDS = ("Comment", "StartAt", "States")
PROCESSOR_FIELDS = ("Comment", "StartAt", "States", "ProcessorConfig")

_IO = "InputPath OutputPath "
_RESULT = "ResultPath Parameters ResultSelector "

#: per state type: (fields in both languages, JSONPath-only fields, JSONata-only fields)
STATE_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    typ: tuple(tuple(names.split()) for names in sets)
    for typ, sets in {
        "Task": (
            "Resource Next End Retry Catch TimeoutSeconds HeartbeatSeconds Credentials Assign",
            _IO + _RESULT + "TimeoutSecondsPath HeartbeatSecondsPath",
            "Arguments Output",
        ),
        "Pass": ("Next End Assign", _IO + "ResultPath Parameters Result", "Output"),
        "Choice": ("Choices Default Assign", _IO, "Output"),
        "Wait": ("Next End Seconds Timestamp Assign", _IO + "SecondsPath TimestampPath", "Output"),
        "Succeed": ("", _IO, "Output"),
        "Fail": ("Error Cause", "ErrorPath CausePath", ""),
        "Parallel": ("Branches Next End Retry Catch Assign", _IO + _RESULT, "Arguments Output"),
        "Map": (
            "ItemProcessor Iterator ItemSelector MaxConcurrency ItemReader ItemBatcher ResultWriter "
            "ToleratedFailurePercentage ToleratedFailureCount Label Next End Retry Catch Assign",
            _IO
            + _RESULT
            + "ItemsPath MaxConcurrencyPath ToleratedFailurePercentagePath ToleratedFailureCountPath",
            "Items Output",
        ),
    }.items()
}

_JSONATA_ONLY_HINTS = {
    "Arguments": 'In a JSONPath state use Parameters, or set "QueryLanguage": "JSONata" on the state or the machine.',
    "Output": 'In a JSONPath state use ResultSelector, ResultPath and OutputPath, or set "QueryLanguage": "JSONata".',
    "Items": 'In a JSONPath state use ItemsPath, or set "QueryLanguage": "JSONata".',
    "Condition": "In a JSONPath state write the rule with Variable and a comparison operator, "
    'or set "QueryLanguage": "JSONata".',
}
_JSONPATH_ONLY_HINTS = {
    "InputPath": "In a JSONata state read the input as $states.input inside Arguments or Output.",
    "Parameters": "In a JSONata state use Arguments (Task, Parallel), ItemSelector (Map) or Output (Pass).",
    "ResultSelector": "In a JSONata state shape the result in Output with $states.result.",
    "ResultPath": "In a JSONata state build the output in Output, e.g. "
    "\"{% $merge([$states.input, {'result': $states.result}]) %}\".",
    "OutputPath": "In a JSONata state use Output.",
    "Result": "In a JSONata state put the value in Output.",
    "ItemsPath": 'In a JSONata state use Items, e.g. "Items": "{% $states.input.list %}".',
    "Variable": 'In a JSONata state write the rule as "Condition": "{% ... %}".',
}

#: the fields of a JSONPath choice rule
CHOICE_OPERATORS = frozenset(
    [
        f"{kind}{op}{suffix}"
        for kind in ("String", "Numeric", "Timestamp")
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
        for suffix in ("", "Path")
    ]
    + [
        "StringMatches",
        "BooleanEquals",
        "BooleanEqualsPath",
        "IsNull",
        "IsPresent",
        "IsNumeric",
        "IsString",
        "IsBoolean",
        "IsTimestamp",
        "And",
        "Or",
        "Not",
        "Variable",
    ]
)
#: the fields of a JSONata choice rule
JSONATA_RULE_FIELDS = ("Condition", "Next", "Assign", "Output", "Comment")


# ---------------------------------------------------------------- presence


def required(
    r: Reporter, obj: dict[str, Any], keys: Iterable[str], ptr: str, state: str | None, hint: str | None = None
) -> bool:
    """Report the ``keys`` missing from ``obj``; True when none is."""
    missing = [k for k in keys if k not in obj]
    if len(missing) == 1:
        r.error(f"The field '{missing[0]}' is required but was missing.", ptr, state, hint)
    elif missing:
        r.error(f"These fields are required: [{', '.join(missing)}].", ptr, state, hint)
    return not missing


def unknown_fields(
    r: Reporter,
    obj: dict[str, Any],
    allowed: Iterable[str],
    ptr: str,
    state: str | None,
    what: str,
    hints: dict[str, str] | None = None,
) -> None:
    """Report each field of ``obj`` not in ``allowed``, with a hint (``what`` names the object)."""
    allowed = tuple(allowed)
    for key in obj:
        if key not in allowed:
            hint = (
                (hints or {}).get(key)
                or did_you_mean(key, allowed)
                or f"{what} accepts only: {', '.join(allowed)}."
            )
            r.error(f"Field '{key}' is not supported.", join_pointer(ptr, key), state, hint)


def exclusive(r: Reporter, obj: dict[str, Any], keys: tuple[str, ...], ptr: str, state: str | None) -> bool:
    """Report more than one of ``keys`` in ``obj``; True when at most one is there."""
    present = [k for k in keys if k in obj]
    if len(present) > 1:
        r.error(
            f"There should only be one of the following fields: [{', '.join(keys)}].",
            join_pointer(ptr, present[0]),
            state,
            f"Keep one of {' and '.join(present)} and remove the other.",
        )
        return False
    return True


# ---------------------------------------------------------------- types and ranges


def string(
    r: Reporter, obj: dict[str, Any], key: str, ptr: str, state: str | None, *, empty_ok: bool = True
) -> bool:
    """True when ``obj[key]`` is there and a string (non-empty unless ``empty_ok``); reports otherwise."""
    value = obj.get(key, MISSING)
    if value is MISSING:
        return False
    if not isinstance(value, str):
        r.type_error("STRING", value, join_pointer(ptr, key), state)
        return False
    if not empty_ok and not value:
        r.error("Value cannot be empty.", join_pointer(ptr, key), state, f"Give '{key}' a value.")
        return False
    return True


def integer(
    r: Reporter,
    obj: dict[str, Any],
    key: str,
    ptr: str,
    state: str | None,
    minimum: int,
    maximum: int | None = None,
    *,
    jsonata: bool = False,
) -> None:
    """``obj[key]``, if there, is a whole number in range (or, with ``jsonata``, a JSONata expression)."""
    _bounded(r, obj, key, ptr, state, minimum, maximum, jsonata, whole=True)


def number(
    r: Reporter,
    obj: dict[str, Any],
    key: str,
    ptr: str,
    state: str | None,
    minimum: float,
    maximum: float | None = None,
    *,
    jsonata: bool = False,
) -> None:
    """``obj[key]``, if there, is a number in range (or, with ``jsonata``, a JSONata expression)."""
    _bounded(r, obj, key, ptr, state, minimum, maximum, jsonata, whole=False)


def _bounded(r: Reporter, obj: dict[str, Any], key: str, ptr: str, state: str | None, minimum: float,
             maximum: float | None, jsonata: bool, whole: bool) -> None:
    value = obj.get(key, MISSING)
    if value is MISSING:
        return
    where = join_pointer(ptr, key)
    if jsonata and isinstance(value, str) and is_jsonata(value):
        expressions.jsonata_string(r, value, where, state)
        return
    if not (is_int(value) if whole else is_number(value)):
        kind = "[INTEGER]" if whole else "[NUMBER]"
        if jsonata:
            kind += " or a JSONata expression"
        hint: str | None
        if whole:
            hint = placeholder_hint(value, "a whole number") or \
                f"Write '{key}' as a whole number, e.g. {max(minimum, 1)}."
        else:
            hint = placeholder_hint(value, "a number")
        r.error(f"Expected value of type {kind}, found {describe(value)}.", where, state, hint)
        return
    _in_range(r, value, key, where, state, minimum, maximum)


def _in_range(
    r: Reporter, value: float, key: str, where: str, state: str | None, minimum: float, maximum: float | None
) -> None:
    if value < minimum:
        r.error(
            f"Minimum value is {minimum}, found {value}.",
            where,
            state,
            f"'{key}' must be at least {minimum}.",
        )
    elif maximum is not None and value > maximum:
        r.error(
            f"Maximum value is {maximum}, found {value}.",
            where,
            state,
            f"'{key}' must be at most {maximum}.",
        )


def enum(
    r: Reporter, obj: dict[str, Any], key: str, values: tuple[str, ...], ptr: str, state: str | None
) -> None:
    """``obj[key]``, if there, is one of ``values``."""
    value = obj.get(key, MISSING)
    if value is MISSING:
        return
    where = join_pointer(ptr, key)
    if not isinstance(value, str):
        r.type_error("STRING", value, where, state)
    elif value not in values:
        hint = did_you_mean(value, values) or f"Use one of: {', '.join(values)}."
        r.error(
            f"The field '{key}' should have one of these values: [{', '.join(values)}], "
            f'found "{value}".',
            where,
            state,
            hint,
        )


# ---------------------------------------------------------------- fields of the other query language or state type


def language_error(r: Reporter, key: str, lang: str, where: str, state: str | None) -> None:
    """Report ``key``, a field of the other query language than ``lang``, with what to write instead."""
    other = JSONPATH if lang == JSONATA else JSONATA
    if lang == JSONATA:
        hint = _JSONPATH_ONLY_HINTS.get(key)
        if hint is None and key in CHOICE_OPERATORS:
            hint = _JSONPATH_ONLY_HINTS["Variable"]
        if hint is None and key.endswith("Path"):
            hint = (
                f"In a JSONata state give '{key[:-4]}' a JSONata expression instead, "
                f'e.g. "{key[:-4]}": "{{% $states.input.value %}}".'
            )
    else:
        hint = _JSONATA_ONLY_HINTS.get(key)
    r.error(
        f"The QueryLanguage is set to '{lang}', but field '{key}' is only supported for the "
        f"'{other}' QueryLanguage.",
        where,
        state,
        hint,
    )


def unsupported(r: Reporter, key: str, typ: str, supported: tuple[str, ...], where: str, state: str) -> None:
    """Report ``key``, a field a ``typ`` state does not accept, with what it probably meant."""
    owners = [t for t, sets in STATE_FIELDS.items() if any(key in s for s in sets)]
    if key == "Arguments" and typ == "Map":
        hint = "A Map state passes data to its iterations with ItemSelector (and Items in JSONata)."
    elif owners:
        # A real field of other state types: a spelling suggestion would mislead.
        hint = f"'{key}' is supported on {', '.join(owners)} states only; remove it from this {typ} state."
    else:
        hint = did_you_mean(key, supported) or f"Remove it; a {typ} state accepts: {', '.join(supported)}."
    r.error(f"Field '{key}' is not supported.", where, state, hint)
