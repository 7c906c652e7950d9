"""How long a Wait state waits: its Seconds, SecondsPath, Timestamp or TimestampPath, as AWS reads them.

Pure like the rest of the core: the current time comes from the driver through the
:class:`~aslrun.effects.Now` effect, so these are generators (``yield from``).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any

from aslrun import dataflow_jsonata as jflow
from aslrun import defaults
from aslrun.dataflow import java_text, resolve_path
from aslrun.effects import Now
from aslrun.errors import StatesError
from aslrun.expressions.access import Env
from aslrun.expressions.timestamps import parse_timestamp
from aslrun.nodes import WaitState

__all__ = ["seconds_until", "wait_seconds", "wait_seconds_jsonata"]

Gen = Generator[Any, Any, Any]

#: the range of a Java long, as AWS reads SecondsPath
_JAVA_LONG_MIN, _JAVA_LONG_MAX = -(2**63), 2**63 - 1


def wait_seconds(state: WaitState, env: Env) -> Gen:
    """A JSONPath Wait's delay in seconds (Seconds, SecondsPath, Timestamp or TimestampPath)."""
    seconds: float | int
    if state.seconds is not None:
        seconds = state.seconds
    elif state.seconds_path is not None:
        path = state.seconds_path
        raw = resolve_path(path, env)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (
            isinstance(raw, float) and not raw.is_integer()
        ) or not _JAVA_LONG_MIN <= raw <= _JAVA_LONG_MAX:
            # AWS reads the value as a Java long: a fraction, or a number outside the long range, is not one.
            raise StatesError(
                "States.Runtime",
                f"The SecondsPath parameter cannot be parsed as a long value: {path.text} == {java_text(raw)}",
            )
        if raw < 0:
            raise StatesError(
                "States.Runtime",
                f"The SecondsPath parameter references a negative value: {path.text} == {java_text(raw)}",
            )
        seconds = raw
    else:
        if state.timestamp is not None:
            until = state.timestamp
        else:
            path = state.timestamp_path
            raw = resolve_path(path, env)
            until = parse_timestamp(raw) if isinstance(raw, str) else None
            if until is None:
                raise StatesError(
                    "States.Runtime",
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                    f"date-time format string: {path.text} == {java_text(raw)}",
                )
        seconds = yield from seconds_until(until)
    # Compared before any float conversion: an integer too large for a float is simply too long.
    if seconds > defaults.MAX_WAIT_SECONDS:
        raise StatesError("States.Runtime", "Wait state delay is too long.")
    return float(seconds)

def wait_seconds_jsonata(state: WaitState, scope: Any) -> Gen:
    """A JSONata Wait's delay in seconds (Seconds or Timestamp, literal or evaluated)."""
    seconds: float | int
    if state.seconds is not None:
        seconds = (jflow.evaluate_typed(state.seconds, scope, "Seconds", "non-negative-integer")
                   if jflow.is_field(state.seconds) else state.seconds)
    else:
        until = jflow.evaluate_typed(state.timestamp, scope, "Timestamp", "timestamp") \
            if jflow.is_field(state.timestamp) else state.timestamp
        seconds = yield from seconds_until(until)
    if seconds > defaults.MAX_WAIT_SECONDS:
        raise StatesError("States.Runtime", "Wait state delay is too long.")
    return float(seconds)

def seconds_until(until: datetime) -> Gen:
    """Seconds from now (asked of the driver with :class:`~aslrun.effects.Now`) to ``until``, at least 0."""
    now: datetime = yield Now()
    return max(0.0, (until - now).total_seconds())
