"""The execution's clock as a debugging session sees it: real sleeps give way to a requested pause."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from aslrun.clock import SIGNAL_SLICE, Clock

if TYPE_CHECKING:
    from aslrun.debugger.session import Session

__all__ = ["PausableClock"]


class PausableClock:
    """The execution's clock as the session sees it: a real sleep gives way to a requested pause.

    It sleeps in slices of :data:`~aslrun.clock.SIGNAL_SLICE` and, between two, lets the session stop
    (:meth:`Session.pause_waiting`) while every run of the execution is blocked. It then returns early and
    the execution, finding its timer not due yet, sleeps again. A virtual clock is passed through.
    """

    def __init__(self, clock: Clock, session: Session) -> None:
        self.clock = clock
        self.virtual = clock.virtual
        self._session = session

    def time(self) -> float:
        return self.clock.time()

    def wait_until(self, moment: float, cancelled: threading.Event | None = None) -> bool:
        return self.clock.wait_until(moment, cancelled)

    def next_waiter(self) -> float | None:
        next_waiter = getattr(self.clock, "next_waiter", None)
        return next_waiter() if next_waiter is not None else None

    def idle(self) -> bool:
        """The execution waits on work in the background (a ``.sync`` Task): pause there if asked."""
        return self._session.pause_waiting(None)

    def sleep_until(self, moment: float, wake: threading.Event | None = None) -> None:
        if self.virtual:
            self.clock.sleep_until(moment, wake)
            return
        session = self._session
        while (now := self.clock.time()) < moment:
            if session.quitting or wake is not None and wake.is_set():
                return
            # While a Task works in the background, the moment is only the next timer (the execution's
            # timeout, say): the pause is "waiting on the Task", not a countdown.
            busy = session.execution is not None and session.execution.busy
            if session.pause_waiting(None if busy else moment - now):
                return  # the execution looks again: an abort, a result, or its timer still to come
            self.clock.sleep_until(min(moment, now + SIGNAL_SLICE), wake)
