"""JSONata-mode data flow: ``Arguments``, ``Output``, ``Assign`` and typed fields.

In a JSONata state the state's raw input is ``$states.input``; a Task, Map or
Parallel's result is ``$states.result`` (in ``Output`` and ``Assign`` only); a
Catcher sees ``$states.errorOutput``. Fields that must have a type (``Items``,
``Seconds``, ``Condition``...) are checked here with AWS's causes.
"""

from __future__ import annotations

from typing import Any

from aslrun.dataflow import compact_json
from aslrun.errors import StatesError

__all__ = ["evaluate", "evaluate_typed", "is_field"]


def is_field(value: Any) -> bool:
    """True for a compiled JSONata field (as opposed to a literal kept as is)."""
    return hasattr(value, "field") and hasattr(value, "text")


def evaluate(jfield: Any, scope: Any, name: str) -> Any:
    """Evaluate a compiled field; literals are returned unchanged."""
    if is_field(jfield):
        return jfield.field.evaluate(scope, name)
    return jfield


def _unexpected(jfield: Any, name: str, expected: str, value: Any) -> StatesError:
    from aslrun.expressions.jsonata import type_name

    text = jfield.text if is_field(jfield) and jfield.text is not None else compact_json(getattr(jfield, "raw", jfield))
    return StatesError(
        "States.QueryEvaluationError",
        f"The JSONata expression '{text}' specified for the field '{name}' returned an unexpected result type. "
        f"Expected '{expected}', but was '{type_name(value)}' for value: {compact_json(value)}",
        evaluation=True,
        location=name,
    )


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def evaluate_typed(jfield: Any, scope: Any, name: str, kind: str) -> Any:
    """Evaluate a field and check its type.

    ``kind`` is one of ``array``, ``boolean``, ``string``, ``timestamp``,
    ``non-negative-integer``, ``positive-integer``, ``percentage``.
    """
    value = evaluate(jfield, scope, name)
    if kind == "array":
        if not isinstance(value, list):
            raise _unexpected(jfield, name, "array", value)
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _unexpected(jfield, name, "boolean", value)
        return value
    if kind == "string":
        if not isinstance(value, str):
            raise _unexpected(jfield, name, "string", value)
        return value
    if kind == "timestamp":
        from aslrun.expressions.timestamps import parse_timestamp

        moment = parse_timestamp(value) if isinstance(value, str) else None
        if moment is None:
            raise StatesError(
                "States.QueryEvaluationError",
                f"The {name} field cannot be parsed as an ISO-8601 extended offset date-time format string: "
                f"{value if isinstance(value, str) else compact_json(value)}",
                evaluation=True,
                location=name,
            )
        return moment
    if kind in ("non-negative-integer", "positive-integer"):
        if not _is_int(value):
            raise _unexpected(jfield, name, "integer", value)
        number = int(value)
        if number < 0 or (kind == "positive-integer" and number == 0):
            raise StatesError(
                "States.QueryEvaluationError",
                f"The JSONata expression '{getattr(jfield, 'text', compact_json(value))}' specified for the field "
                f"'{name}' returned an out-of-range value: {number}. It must be "
                f"{'greater than 0' if kind == 'positive-integer' else 'greater than or equal to 0'}.",
                evaluation=True,
                location=name,
            )
        return number
    if kind == "percentage":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _unexpected(jfield, name, "number", value)
        if not 0 <= value <= 100:
            raise StatesError(
                "States.QueryEvaluationError",
                f"The JSONata expression '{getattr(jfield, 'text', compact_json(value))}' specified for the field "
                f"'{name}' returned an out-of-range value: {compact_json(value)}. It must be between 0 and 100.",
                evaluation=True,
                location=name,
            )
        return value
    raise ValueError(f"unknown field kind {kind!r}")
