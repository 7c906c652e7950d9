"""Checks of ``Retry`` and ``Catch``: retrier and catcher fields, ``ErrorEquals`` and error names.

``ErrorEquals`` must be a non-empty list of strings; ``States.ALL`` must stand alone and
in the last retrier or catcher; a ``States.*`` name Step Functions never raises is an
``UNKNOWN_ERROR_NAME`` warning (:func:`error_equals`). Retrier numbers are checked against
AWS's ranges (:func:`retriers`); a catcher's ``Next`` becomes an edge of the state graph,
and its ``ResultPath`` (JSONPath) or ``Output`` (JSONata) and ``Assign`` are checked like
a state's (:func:`catchers`).
"""

from __future__ import annotations

from typing import Any

from aslrun.validation import expressions, fields
from aslrun.validation.report import (
    JSONATA,
    JSONPATH,
    UNKNOWN_ERROR_NAME,
    Reporter,
    Scope,
    did_you_mean,
    join_pointer,
)

_RETRIER_FIELDS = (
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
)
_CATCHER_FIELDS = {
    JSONPATH: ("ErrorEquals", "Next", "ResultPath", "Assign", "Comment"),
    JSONATA: ("ErrorEquals", "Next", "Output", "Assign", "Comment"),
}

_ERROR_NAMES = frozenset(
    [
        "States.ALL",
        "States.DataLimitExceeded",
        "States.Runtime",
        "States.Timeout",
        "States.TaskFailed",
        "States.Permissions",
        "States.ResultPathMatchFailure",
        "States.ParameterPathFailure",
        "States.BranchFailed",
        "States.NoChoiceMatched",
        "States.IntrinsicFailure",
        "States.ExceedToleratedFailureThreshold",
        "States.ItemReaderFailed",
        "States.ResultWriterFailed",
        "States.HeartbeatTimeout",
        "States.QueryEvaluationError",
        "States.Http.Socket",
    ]
)


def error_equals(r: Reporter, item: dict[str, Any], where: str, state: str | None, last: bool, what: str) -> None:
    """The ``ErrorEquals`` of a retrier or catcher (``what``); ``last`` says whether it ends the list."""
    if "ErrorEquals" not in item:
        r.error(
            "The field 'ErrorEquals' is required but was missing.",
            where,
            state,
            'Add "ErrorEquals": ["States.ALL"] or a list of error names.',
        )
        return
    names = item["ErrorEquals"]
    at = join_pointer(where, "ErrorEquals")
    if not isinstance(names, list):
        r.type_error("ARRAY", names, at, state, 'Write a list of error names, e.g. ["States.ALL"].')
        return
    if not names:
        r.error("Value cannot be empty.", at, state, 'List at least one error name, e.g. ["States.ALL"].')
        return
    for i, err in enumerate(names):
        if not isinstance(err, str):
            r.type_error("STRING", err, join_pointer(at, i), state)
        elif err.startswith("States.") and err not in _ERROR_NAMES and err not in r.raised_errors():
            # A name the definition's own Fail states raise is a real error name, even under
            # "States." (AWS accepts it: public samples raise and catch "States.FauxFailure1").
            hint = did_you_mean(err, _ERROR_NAMES) or "Names starting with 'States.' are reserved for AWS errors."
            r.add(
                UNKNOWN_ERROR_NAME,
                f'"{err}" is not an error name Step Functions raises.',
                join_pointer(at, i),
                state,
                hint,
                severity="WARNING",
            )
    if "States.ALL" in names:
        if len(names) > 1:
            r.error(
                "States.ALL must appear alone in 'ErrorEquals'.",
                at,
                state,
                f'Move the other error names to an earlier {what} and keep ["States.ALL"] here.',
            )
        if not last:
            r.error(
                f"A {what} with States.ALL must be the last {what}.",
                at,
                state,
                f"Move this {what} to the end of the list; {what}s after it can never match.",
            )


def retriers(r: Reporter, value: Any, where: str, state: str) -> None:
    """A state's ``Retry`` list."""
    if not isinstance(value, list):
        r.type_error("ARRAY", value, where, state, "Retry is a list of retriers.")
        return
    for i, item in enumerate(value):
        at = join_pointer(where, i)
        if not isinstance(item, dict):
            r.type_error("OBJECT", item, at, state, 'A retrier looks like {"ErrorEquals": ["States.ALL"]}.')
            continue
        fields.unknown_fields(r, item, _RETRIER_FIELDS, at, state, "A retrier")
        error_equals(r, item, at, state, i == len(value) - 1, "retrier")
        fields.integer(r, item, "IntervalSeconds", at, state, 1, 99999999)
        fields.integer(r, item, "MaxAttempts", at, state, 0, 99999999)
        fields.number(r, item, "BackoffRate", at, state, 1.0)
        fields.integer(r, item, "MaxDelaySeconds", at, state, 1, 31622401)
        fields.enum(r, item, "JitterStrategy", ("FULL", "NONE"), at, state)
        fields.string(r, item, "Comment", at, state)


def catchers(r: Reporter, value: Any, where: str, state: str, lang: str, scope: Scope) -> None:
    """A state's ``Catch`` list; each ``Next`` becomes an edge of ``scope``."""
    if not isinstance(value, list):
        r.type_error("ARRAY", value, where, state, "Catch is a list of catchers.")
        return
    for i, item in enumerate(value):
        at = join_pointer(where, i)
        if not isinstance(item, dict):
            r.type_error(
                "OBJECT",
                item,
                at,
                state,
                'A catcher looks like {"ErrorEquals": ["States.ALL"], "Next": "Handle"}.',
            )
            continue
        _catcher(r, item, at, state, lang, scope, last=i == len(value) - 1)


def _catcher(r: Reporter, item: dict[str, Any], at: str, state: str, lang: str, scope: Scope, *, last: bool) -> None:
    allowed = _CATCHER_FIELDS[lang]
    other = _CATCHER_FIELDS[JSONATA if lang == JSONPATH else JSONPATH]
    for key in item:
        if key not in allowed:
            if key in other:
                fields.language_error(r, key, lang, join_pointer(at, key), state)
            else:
                hint = did_you_mean(key, allowed) or f"A catcher accepts only: {', '.join(allowed)}."
                r.error(f"Field '{key}' is not supported.", join_pointer(at, key), state, hint)
    error_equals(r, item, at, state, last, "catcher")
    if "Next" not in item:
        r.error(
            "The field 'Next' is required but was missing.",
            at,
            state,
            'Add "Next": the state to go to when this catcher matches.',
        )
    elif fields.string(r, item, "Next", at, state, empty_ok=False):
        scope.edges.append((state, item["Next"], join_pointer(at, "Next")))
    fields.string(r, item, "Comment", at, state)
    if lang == JSONPATH and "ResultPath" in item:
        expressions.path(
            r,
            item["ResultPath"],
            "ResultPath",
            join_pointer(at, "ResultPath"),
            state,
            reference=True,
            nullable=True,
            context=False,
            variables=False,
        )
    if lang == JSONATA and "Output" in item:
        expressions.jsonata_value(r, item["Output"], join_pointer(at, "Output"), state)
    if "Assign" in item:
        expressions.assign(r, item["Assign"], join_pointer(at, "Assign"), state, lang)
