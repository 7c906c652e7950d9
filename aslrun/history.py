"""Execution history in the shape of ``GetExecutionHistory``.

The engine's events keep Python values; AWS's history holds JSON *text* for
``input``, ``output`` and ``parameters``. The conversion happens here, once, when
someone asks for the history — never on the hot path of a transition.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aslrun.context import iso_millis
from aslrun.dataflow import compact_json
from aslrun.effects import Event

__all__ = ["event_to_dict", "history_to_json"]

_JSON_TEXT_FIELDS = ("input", "output", "parameters")


def event_to_dict(event: Event, parsed: bool = False) -> dict[str, Any]:
    """One event as AWS shows it. ``parsed=True`` keeps payloads as JSON values (easier to read)."""
    out: dict[str, Any] = {
        "id": event.id,
        "previousEventId": event.previous,
        "timestamp": iso_millis(event.timestamp),
        "type": event.type,
    }
    if event.details_key is not None and event.details is not None:
        details = dict(event.details)
        if not parsed:
            for key in _JSON_TEXT_FIELDS:
                if key in details:
                    details[key] = compact_json(details[key])
        elif "assignedVariables" in details:
            import json

            details["assignedVariables"] = {k: json.loads(v) for k, v in details["assignedVariables"].items()}
        out[event.details_key] = details
    return out


def history_to_json(events: Iterable[Event], parsed: bool = False) -> list[dict[str, Any]]:
    """The whole history as a list of AWS-shaped event dicts."""
    return [event_to_dict(e, parsed) for e in events]
