"""Clocks: the execution's source of time.

:class:`VirtualClock` makes Waits, retry backoffs and timeouts pass instantly while
still recording realistic timestamps: it runs at wall-clock speed between sleeps and
jumps forward over them. :class:`SystemClock` really waits.

Work outside the execution's own thread can wait on the same clock with ``wait_until`` (the local
EKS's simulated Job containers do): on the system clock that is a real wait; on a virtual clock the
thread waits until the execution moves the clock past the moment, which it does when nothing else
is left to happen first (see :meth:`VirtualClock.next_waiter`). One clock, whoever waits on it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "SystemClock", "VirtualClock", "to_datetime"]


def to_datetime(seconds: float) -> datetime:
    """Epoch seconds -> aware UTC datetime."""
    return datetime.fromtimestamp(seconds, UTC)


class Clock(Protocol):
    """What the driver needs from a clock."""

    #: True when sleeping costs no real time
    virtual: bool

    def time(self) -> float:
        """Seconds since the epoch, as a float."""

    def sleep_until(self, moment: float, wake: threading.Event | None = None) -> None:
        """Return once ``time()`` has reached ``moment`` (or ``wake`` is set)."""

    def wait_until(self, moment: float, cancelled: threading.Event | None = None) -> bool:
        """From any thread: block until ``time()`` reaches ``moment`` (True) or ``cancelled`` is set (False)."""


#: longest uninterrupted real sleep: how late at most a Ctrl-C that raced the sleep is handled (seconds)
SIGNAL_SLICE = 0.25


class SystemClock:
    """Real time; sleeping really waits (interruptibly, through ``wake``)."""

    virtual = False

    def time(self) -> float:
        return time.time()

    def sleep_until(self, moment: float, wake: threading.Event | None = None) -> None:
        # Wait in slices: a signal (Ctrl-C) that lands just before the thread blocks does not interrupt
        # the block, and its Python handler runs only when the thread next runs Python code.
        while (delay := moment - time.time()) > 0:
            step = min(delay, SIGNAL_SLICE)
            if wake is not None:
                if wake.wait(step):
                    return
            else:
                time.sleep(step)

    def wait_until(self, moment: float, cancelled: threading.Event | None = None) -> bool:
        delay = max(0.0, moment - time.time())
        if cancelled is None:
            time.sleep(delay)
            return True
        return not cancelled.wait(delay)


#: how often a thread waiting on a virtual clock looks at its cancel flag (seconds)
_CANCEL_POLL = 0.05


class VirtualClock:
    """Wall-clock time plus the total of all skipped sleeps.

    ``start`` pins the clock to a given epoch time (for reproducible timestamps);
    ``frozen=True`` stops it from following the wall clock between sleeps.
    """

    virtual = True

    def __init__(self, start: float | None = None, frozen: bool = False) -> None:
        self._origin = time.time() if start is None else start
        self._real_origin = time.monotonic()
        self._offset = 0.0
        self._frozen = frozen
        self._waiters: list[tuple[float, threading.Event]] = []
        self._waiters_lock = threading.Lock()

    def time(self) -> float:
        if self._frozen:
            return self._origin + self._offset
        return self._origin + (time.monotonic() - self._real_origin) + self._offset

    def sleep_until(self, moment: float, wake: threading.Event | None = None) -> None:
        now = self.time()
        if moment > now:
            self._offset += moment - now
        self._release()

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self._offset += seconds
        self._release()

    def wait_until(self, moment: float, cancelled: threading.Event | None = None) -> bool:
        if self.time() >= moment:
            return True
        entry = (moment, threading.Event())
        with self._waiters_lock:
            self._waiters.append(entry)
        try:
            while not entry[1].wait(_CANCEL_POLL):
                if cancelled is not None and cancelled.is_set():
                    return False
                if self.time() >= moment:  # not frozen: wall-clock time got there by itself
                    return True
            return True
        finally:
            with self._waiters_lock:
                if entry in self._waiters:
                    self._waiters.remove(entry)

    def next_waiter(self) -> float | None:
        """The earliest moment another thread waits for (``wait_until``), or None."""
        with self._waiters_lock:
            return min((moment for moment, _ in self._waiters), default=None)

    def _release(self) -> None:
        now = self.time()
        with self._waiters_lock:
            due = [event for moment, event in self._waiters if moment <= now]
        for event in due:
            event.set()
