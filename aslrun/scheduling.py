"""The driver's scheduling records: a run of a generator, and the timer entries that end a Task.

:class:`Run` is one generator the driver (:mod:`aslrun.execution`) steps: the execution, a
Parallel branch, a Map iteration, an integration's work. :class:`Deadline` and
:class:`CallbackTimer` are timer entries for a Task's TimeoutSeconds and HeartbeatSeconds.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from aslrun import defaults
from aslrun.callbacks import CallbackWait
from aslrun.effects import ChildOutcome

__all__ = ["CallbackTimer", "Deadline", "Run", "finished_in_order", "roomy_gc"]


class Run:
    """Scheduler record for one generator."""

    __slots__ = ("gen", "done", "outcome", "started", "waiting_on", "send", "throw", "seq", "parent",
                 "cancelled", "label", "finished_seq", "resume", "remote", "scope", "child")

    def __init__(self, gen: Generator[Any, Any, Any], label: str = "", parent: Run | None = None) -> None:
        self.gen = gen
        self.done = False
        self.outcome: ChildOutcome | None = None
        self.started = False
        self.waiting_on: list[Run] | None = None
        self.send: Any = None
        self.throw: BaseException | None = None
        self.parent = parent
        self.cancelled = False
        self.label = label
        self.finished_seq = 0
        #: a run to resume with this run's result (an integration generator's Task)
        self.resume: Run | None = None
        #: an integration talking to a real remote system: its sleeps take real time, whatever the clock
        self.remote = False
        #: where it is, for Progress notes: the scope of its last event (an integration run: its Task's)
        self.scope: tuple[Any, ...] = ()
        #: the Distributed Map child execution its last event belonged to (``Event.child``), if any
        self.child: Any = None


def finished_in_order(handles: Iterable[Any]) -> list[Any]:
    """The finished runs among ``handles``, the first to finish last (so ``pop()`` takes it).

    Taking them one by one is what one ``WaitAny`` per child answers (the earliest finished first),
    as long as nothing runs in between: a Parallel or Map that takes every finished child after one
    wake-up scans its children once, not once per child.
    """
    done = [h for h in handles if h.done]
    done.sort(key=_finish_order, reverse=True)
    return done


def _finish_order(run: Run) -> int:
    return run.finished_seq


class Deadline:
    """A timer entry: the Task run ``task`` times out unless ``sub`` (its integration) finishes first."""

    __slots__ = ("sub", "task", "heartbeat")

    def __init__(self, sub: Run, task: Run, heartbeat: bool = False) -> None:
        self.sub = sub
        self.task = task
        self.heartbeat = heartbeat


class CallbackTimer:
    """A timer entry: a Task waiting for its token times out (heartbeat: unless a heartbeat came)."""

    __slots__ = ("wait", "heartbeat")

    def __init__(self, wait: CallbackWait, heartbeat: bool) -> None:
        self.wait = wait
        self.heartbeat = heartbeat


_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def roomy_gc() -> Iterator[None]:
    """While any execution runs: the young generation collected every
    :data:`~aslrun.defaults.GC_YOUNG_THRESHOLD` new objects, not every 700; the program's own setting
    comes back when the last execution ends (executions on several threads share it)."""
    global _gc_users, _gc_saved
    with _gc_lock:
        _gc_users += 1
        if _gc_users == 1:
            _gc_saved = gc.get_threshold()
            if defaults.GC_YOUNG_THRESHOLD > _gc_saved[0]:
                gc.set_threshold(defaults.GC_YOUNG_THRESHOLD, *_gc_saved[1:])
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)
