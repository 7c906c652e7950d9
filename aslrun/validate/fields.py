"""Per-state field tables and the generic field checks: presence, types, ranges, enums.

:data:`_FIELDS` says which fields each state type accepts in both query languages, in
JSONPath only and in JSONata only; a field of the other language is reported with a hint
that says what to write instead (:meth:`_FieldChecks.language_error`), a field of another
state type or an unknown one with what the state accepts (:meth:`_FieldChecks.unsupported`).
The generic checks (``required``, ``exclusive``, ``string``, ``integer``, ``number``,
``enum``, ...) report AWS's wording for a missing field, a wrong type or a value out of range.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aslrun.validate.expressions import _ExpressionChecks
from aslrun.validate.report import (
    _MISSING,
    JSONATA,
    JSONPATH,
    _describe,
    _is_int,
    _is_jsonata,
    _is_number,
    did_you_mean,
    join_pointer,
)

#: in the order AWS lists them in its message
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")

_COMMON = ("Type", "Comment", "QueryLanguage")

# Per state type: (fields in both languages, JSONPath-only fields, JSONata-only fields).
_IO = "InputPath OutputPath "
_RESULT = "ResultPath Parameters ResultSelector "
_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
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

_CHOICE_OPERATORS = frozenset(
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
_JSONATA_RULE_FIELDS = ("Condition", "Next", "Assign", "Output", "Comment")


class _FieldChecks(_ExpressionChecks):
    """Checks of the fields of one object: which are allowed, required or exclusive, and their types."""

    # ------------------------------------------------------------ generic field checks

    def required(
        self, obj: dict[str, Any], keys: Iterable[str], ptr: str, state: str | None, hint: str | None = None
    ) -> bool:
        missing = [k for k in keys if k not in obj]
        if len(missing) == 1:
            self.error(f"The field '{missing[0]}' is required but was missing.", ptr, state, hint)
        elif missing:
            self.error(f"These fields are required: [{', '.join(missing)}].", ptr, state, hint)
        return not missing

    def unknown_fields(
        self,
        obj: dict[str, Any],
        allowed: Iterable[str],
        ptr: str,
        state: str | None,
        what: str,
        hints: dict[str, str] | None = None,
    ) -> None:
        allowed = tuple(allowed)
        for key in obj:
            if key not in allowed:
                hint = (
                    (hints or {}).get(key)
                    or did_you_mean(key, allowed)
                    or f"{what} accepts only: {', '.join(allowed)}."
                )
                self.error(f"Field '{key}' is not supported.", join_pointer(ptr, key), state, hint)

    def exclusive(self, obj: dict[str, Any], keys: tuple[str, ...], ptr: str, state: str | None) -> bool:
        present = [k for k in keys if k in obj]
        if len(present) > 1:
            self.error(
                f"There should only be one of the following fields: [{', '.join(keys)}].",
                join_pointer(ptr, present[0]),
                state,
                f"Keep one of {' and '.join(present)} and remove the other.",
            )
            return False
        return True

    def string(
        self, obj: dict[str, Any], key: str, ptr: str, state: str | None, *, empty_ok: bool = True
    ) -> bool:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return False
        if not isinstance(value, str):
            self.type_error("STRING", value, join_pointer(ptr, key), state)
            return False
        if not empty_ok and not value:
            self.error("Value cannot be empty.", join_pointer(ptr, key), state, f"Give '{key}' a value.")
            return False
        return True

    def integer(
        self,
        obj: dict[str, Any],
        key: str,
        ptr: str,
        state: str | None,
        minimum: int,
        maximum: int | None = None,
        *,
        jsonata: bool = False,
    ) -> None:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return
        where = join_pointer(ptr, key)
        if jsonata and isinstance(value, str) and _is_jsonata(value):
            self.jsonata_string(value, where, state)
            return
        if not _is_int(value):
            kind = "[INTEGER] or a JSONata expression" if jsonata else "[INTEGER]"
            self.error(
                f"Expected value of type {kind}, found {_describe(value)}.",
                where,
                state,
                f"Write '{key}' as a whole number, e.g. {max(minimum, 1)}.",
            )
            return
        self.in_range(value, key, where, state, minimum, maximum)

    def number(
        self,
        obj: dict[str, Any],
        key: str,
        ptr: str,
        state: str | None,
        minimum: float,
        maximum: float | None = None,
        *,
        jsonata: bool = False,
    ) -> None:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return
        where = join_pointer(ptr, key)
        if jsonata and isinstance(value, str) and _is_jsonata(value):
            self.jsonata_string(value, where, state)
            return
        if not _is_number(value):
            kind = "[NUMBER] or a JSONata expression" if jsonata else "[NUMBER]"
            self.error(f"Expected value of type {kind}, found {_describe(value)}.", where, state)
            return
        self.in_range(value, key, where, state, minimum, maximum)

    def in_range(
        self, value: float, key: str, where: str, state: str | None, minimum: float, maximum: float | None
    ) -> None:
        if value < minimum:
            self.error(
                f"Minimum value is {minimum}, found {value}.",
                where,
                state,
                f"'{key}' must be at least {minimum}.",
            )
        elif maximum is not None and value > maximum:
            self.error(
                f"Maximum value is {maximum}, found {value}.",
                where,
                state,
                f"'{key}' must be at most {maximum}.",
            )

    def enum(
        self, obj: dict[str, Any], key: str, values: tuple[str, ...], ptr: str, state: str | None
    ) -> None:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return
        where = join_pointer(ptr, key)
        if not isinstance(value, str):
            self.type_error("STRING", value, where, state)
        elif value not in values:
            hint = did_you_mean(value, values) or f"Use one of: {', '.join(values)}."
            self.error(
                f"The field '{key}' should have one of these values: [{', '.join(values)}], "
                f'found "{value}".',
                where,
                state,
                hint,
            )

    # ------------------------------------------------------------ fields of the other query language or state type

    def language_error(self, key: str, lang: str, where: str, state: str | None) -> None:
        other = JSONPATH if lang == JSONATA else JSONATA
        if lang == JSONATA:
            hint = _JSONPATH_ONLY_HINTS.get(key)
            if hint is None and key in _CHOICE_OPERATORS:
                hint = _JSONPATH_ONLY_HINTS["Variable"]
            if hint is None and key.endswith("Path"):
                hint = (
                    f"In a JSONata state give '{key[:-4]}' a JSONata expression instead, "
                    f'e.g. "{key[:-4]}": "{{% $states.input.value %}}".'
                )
        else:
            hint = _JSONATA_ONLY_HINTS.get(key)
        self.error(
            f"The QueryLanguage is set to '{lang}', but field '{key}' is only supported for the "
            f"'{other}' QueryLanguage.",
            where,
            state,
            hint,
        )

    def unsupported(self, key: str, typ: str, supported: tuple[str, ...], where: str, state: str) -> None:
        owners = [t for t, sets in _FIELDS.items() if any(key in s for s in sets)]
        if key == "Arguments" and typ == "Map":
            hint = "A Map state passes data to its iterations with ItemSelector (and Items in JSONata)."
        elif owners:
            # A real field of other state types: a spelling suggestion would mislead.
            hint = (
                f"'{key}' is supported on {', '.join(owners)} states only; remove it from this {typ} state."
            )
        else:
            hint = (
                did_you_mean(key, supported) or f"Remove it; a {typ} state accepts: {', '.join(supported)}."
            )
        self.error(f"Field '{key}' is not supported.", where, state, hint)
