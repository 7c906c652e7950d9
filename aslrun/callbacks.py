"""Tasks that wait for their token: what ``SendTaskSuccess``, ``SendTaskFailure`` and ``SendTaskHeartbeat`` answer.

A ``.waitForTaskToken`` Task whose integration has made its call yields
:class:`~aslrun.effects.AwaitCallback`; the driver (:mod:`aslrun.execution`) parks the Task's run
here under its token until an answer comes from another thread (the Python API, ``aslrun serve``,
a handler calling back) or its ``HeartbeatSeconds``/``TimeoutSeconds`` run out.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["CallbackWait", "CallbackWaits"]


class CallbackWait:
    """One Task waiting for the answer to ``token``."""

    __slots__ = ("token", "run", "state_name", "heartbeat", "last_beat")

    def __init__(self, token: str, run: Any, state_name: str, heartbeat: int | None, now: float) -> None:
        self.token = token
        self.run = run
        self.state_name = state_name
        self.heartbeat = heartbeat
        #: when the wait began or the last SendTaskHeartbeat came (on the execution's clock)
        self.last_beat = now


class CallbackWaits:
    """The waits of one execution, by token; safe to use from any thread."""

    def __init__(self) -> None:
        self._waits: dict[str, CallbackWait] = {}
        self._lock = threading.Lock()

    def add(self, wait: CallbackWait) -> None:
        with self._lock:
            self._waits[wait.token] = wait

    def get(self, token: str) -> CallbackWait | None:
        with self._lock:
            return self._waits.get(token)

    def take(self, token: str) -> CallbackWait | None:
        """Remove and return the wait for ``token``: whoever takes it answers it (once)."""
        with self._lock:
            return self._waits.pop(token, None)

    def take_run(self, run: Any) -> list[CallbackWait]:
        """Remove and return the waits of ``run`` (it is being cancelled)."""
        with self._lock:
            found = [w for w in self._waits.values() if w.run is run]
            for wait in found:
                del self._waits[wait.token]
            return found

    def take_all(self) -> list[CallbackWait]:
        with self._lock:
            found = list(self._waits.values())
            self._waits.clear()
            return found
