"""Tasks that wait for their token: what ``SendTaskSuccess``, ``SendTaskFailure`` and ``SendTaskHeartbeat`` answer.

A ``.waitForTaskToken`` Task whose integration has made its call yields
:class:`~aslrun.effects.AwaitCallback`; the driver (:mod:`aslrun.execution`) parks the Task's run
here under its token until an answer comes from another thread (the Python API, ``aslrun serve``,
a handler calling back) or its ``HeartbeatSeconds``/``TimeoutSeconds`` run out.

A token is *issued* when the Task's integration is called, before the Task waits: a consumer that
answers at once (a Lambda handler reading the SQS message the call sent) may be quicker than the
driver. Such an early answer is held, and the Task takes it when it begins to wait.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["HELD", "CallbackWait", "CallbackWaits"]

#: what :meth:`CallbackWaits.answer` returns for an answer held until its Task waits
HELD: Any = object()


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
        #: tokens given to an integration whose Task does not wait yet, with any answer that came early
        self._issued: dict[str, Any] = {}

    def issue(self, token: str) -> None:
        """``token`` goes out with a Task's call: answers may come before the Task waits."""
        with self._lock:
            self._issued[token] = None

    def issued(self, token: str) -> bool:
        with self._lock:
            return token in self._issued

    def wait(self, wait: CallbackWait) -> Any:
        """The Task begins to wait: the answer that came early, or None (it is parked until one comes)."""
        with self._lock:
            early = self._issued.pop(wait.token, None)
            if early is None:
                self._waits[wait.token] = wait
            return early

    def answer(self, token: str, answer: Any) -> Any:
        """Who takes ``answer``: the waiting Task's :class:`CallbackWait`, :data:`HELD` (kept for a Task
        that does not wait yet; a second early answer is refused like a late one), or None (no such Task)."""
        with self._lock:
            wait = self._waits.pop(token, None)
            if wait is not None:
                return wait
            if token in self._issued and self._issued[token] is None:
                self._issued[token] = answer
                return HELD
            return None

    def take_issued(self) -> list[str]:
        """The tokens issued whose Tasks never waited (the run is over)."""
        with self._lock:
            tokens = list(self._issued)
            self._issued.clear()
            return tokens

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
