"""Retry and Catch arithmetic: which ``ErrorEquals`` matches an error, and how long a retry waits.

Pure functions of the definition and the error; :class:`aslrun.engine.Engine` applies them, the
debugger and the CLI's live view use them to say what a Retry or Catch will do.
"""

from __future__ import annotations

from typing import Any

from aslrun import defaults
from aslrun.nodes import Retrier

__all__ = ["NEVER_HANDLED", "error_matches", "retry_delay"]

#: errors that no Retry or Catch ever handles
NEVER_HANDLED = frozenset({"States.Runtime"})
#: errors that States.ALL does not match. AWS's guide also names States.DataLimitExceeded here, but
#: recorded executions show States.ALL catching an oversized task result, so only Runtime is excluded.
_NOT_IN_ALL = frozenset({"States.Runtime"})


def error_matches(error_equals: tuple[str, ...], error: str | None, heartbeat: bool = False) -> bool:
    """Does a retrier's or catcher's ``ErrorEquals`` match ``error``?

    ``heartbeat`` marks a missed heartbeat: AWS reports it as ``States.Timeout`` and lets
    either ``States.Timeout`` or ``States.HeartbeatTimeout`` handle it.
    """
    name = error or ""
    if name in NEVER_HANDLED or name.startswith("aslrun."):
        return False
    for candidate in error_equals:
        if candidate == name or (heartbeat and candidate == "States.HeartbeatTimeout"):
            return True
        if candidate == "States.ALL":
            return name not in _NOT_IN_ALL
        # AWS's guide: States.TaskFailed matches any known error except States.Timeout.
        if candidate == "States.TaskFailed" and name != "States.Timeout":
            return True
    return False


def retry_delay(retrier: Retrier, attempt: int, uniform: Any = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based) of ``retrier``.

    The growth saturates at :data:`~aslrun.defaults.MAX_RETRY_DELAY_SECONDS` (longer than any execution
    may last) instead of overflowing: ``BackoffRate: 1e308`` is valid ASL.
    """
    try:
        base = min(retrier.interval_seconds * (retrier.backoff_rate ** (attempt - 1)),
                   defaults.MAX_RETRY_DELAY_SECONDS)
    except OverflowError:
        base = defaults.MAX_RETRY_DELAY_SECONDS
    if retrier.max_delay_seconds is not None:
        base = min(base, retrier.max_delay_seconds)
    if retrier.jitter == "FULL" and uniform is not None:
        return float(uniform(0.0, base))
    return float(base)
