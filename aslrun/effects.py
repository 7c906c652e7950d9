"""What the engine asks its driver to do, and the events it reports.

The engine is a generator. It yields an :class:`Event` (the driver records it and
sends back its event id) or an effect (the driver performs it and sends back the
result, or throws a :class:`~aslrun.errors.StatesError` into the generator):

* :class:`Invoke` — call a Task's integration; the result is the raw task result.
* :class:`CheckTask` — let the integration refuse unusable parameters before the Task is scheduled.
* :class:`Sleep` — let ``seconds`` of (virtual or real) time pass.
* :class:`Spawn` — start a child run (a Parallel branch or a Map iteration); returns a handle.
* :class:`WaitAny` — block until one of the handles is finished; returns that handle.
* :class:`Cancel` — abort a running child; its generator receives :class:`Aborted`.
* :class:`Now` — the current time of the execution's clock (a datetime).
* :class:`Blocking` — run a blocking call on a worker thread (integrations doing I/O).
* :class:`Progress` — tell listeners how long work is going (not recorded in the history).
* :class:`AwaitCallback` — wait until a ``.waitForTaskToken`` Task's token is answered.
* :class:`Stage` — a data-flow step, when inspection is on; the reply may edit the value.

Nothing here does I/O; :mod:`aslrun.execution` performs the effects.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Aborted",
    "AwaitCallback",
    "Blocking",
    "Cancel",
    "CheckTask",
    "ChildOutcome",
    "Event",
    "ExecutionTimedOut",
    "Invoke",
    "Now",
    "Progress",
    "Sleep",
    "Spawn",
    "Stage",
    "TaskReply",
    "WaitAny",
]


class Event:
    """One history event before the driver gives it an id and a timestamp.

    ``details_key`` names the details object (``stateEnteredEventDetails``);
    ``previous`` is the id of the event this one follows in its own thread.
    ``scope`` tells listeners where the event happened (state path, branch/iteration
    indexes); it is not part of the AWS history shape.
    """

    __slots__ = ("type", "details_key", "details", "previous", "scope", "child", "id", "timestamp")

    def __init__(
        self,
        type: str,
        details_key: str | None = None,
        details: dict[str, Any] | None = None,
        previous: int = 0,
        scope: tuple[Any, ...] = (),
        child: Any = None,
    ) -> None:
        self.type = type
        self.details_key = details_key
        self.details = details
        self.previous = previous
        self.scope = scope
        #: the child execution (Distributed Map) whose history this belongs to; None for the main one
        self.child = child
        #: set by the driver when it records the event
        self.id = 0
        self.timestamp: Any = None

    def __repr__(self) -> str:
        return f"Event({self.type!r}, {self.details!r})"


@dataclass(slots=True)
class Invoke:
    """Call the integration for a Task state."""

    resource: str
    parameters: Any
    state_name: str
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None
    credentials: Any = None
    task_token: str | None = None
    context: Any = None
    scope: tuple[Any, ...] = ()


@dataclass(slots=True)
class TaskReply:
    """What the driver sends back for :class:`Invoke`: the raw task result and extra events.

    ``events`` are ``(type, details_key, details)`` triples recorded between
    TaskStarted and TaskSucceeded, e.g. ``TaskSubmitted`` for ``.sync`` resources.
    """

    result: Any
    events: Sequence[tuple[str, str | None, Mapping[str, Any] | None]] = field(default_factory=list)
    #: for a ``.waitForTaskToken`` resource: ``result`` is what the service call returned (recorded in
    #: ``TaskSubmitted``), and the Task now waits for its token to be answered (:class:`AwaitCallback`)
    callback: bool = False


@dataclass(slots=True)
class AwaitCallback:
    """Wait until the Task's token is answered (``SendTaskSuccess``/``SendTaskFailure``).

    The driver sends back a :class:`TaskReply` with the answer's output or throws its failure in.
    ``heartbeat_seconds``: the wait fails with ``States.Timeout`` (a missed heartbeat, which
    ``States.HeartbeatTimeout`` also matches) when that long passes without ``SendTaskHeartbeat``;
    ``timeout_seconds``: with ``States.Timeout`` when that long has passed since the wait began.
    """

    token: str
    state_name: str
    heartbeat_seconds: int | None = None
    timeout_seconds: int | None = None
    scope: tuple[Any, ...] = ()


@dataclass(slots=True)
class CheckTask:
    """Before a Task is scheduled: may its integration start it with these parameters?

    The driver asks the integration's optional ``check(resource, parameters)``; a failure is
    thrown back in (AWS fails such a task right after TaskStateEntered, before TaskScheduled).
    """

    resource: str
    parameters: Any
    state_name: str


@dataclass(slots=True)
class Sleep:
    """Let time pass (a Wait state, a retry backoff)."""

    seconds: float
    reason: str = "wait"


@dataclass(slots=True)
class Now:
    """Ask the driver for the execution clock's current time."""


@dataclass(slots=True)
class Blocking:
    """Call ``fn(*args)`` (network I/O, a subprocess) on a worker thread; its result comes back.

    Other branches keep running meanwhile. An exception from ``fn`` is thrown back in.
    While an aborted run unwinds (cleaning up a Job it created, say), the call runs inline.
    """

    fn: Any
    args: tuple[Any, ...] = ()


@dataclass(slots=True)
class Stage:
    """A data-flow step of a state, yielded only when inspection is on (debugger, TestState).

    ``name`` is one of ``input``, ``afterInputPath``, ``afterParameters``, ``afterArguments``,
    ``result``, ``afterResultSelector``, ``afterResultPath``, ``output``, or ``error`` (before
    Retry/Catch decide; ``value`` then describes the failure and the plan). The driver sends back
    the value to continue with — the same one, or an edited one. For ``error`` it may send
    ``"retry"`` (run the state again now) or ``("skip", output)`` (leave the state with that output).
    """

    state: Any
    name: str
    value: Any
    scope: tuple[Any, ...] = ()


@dataclass(slots=True)
class Progress:
    """A line of progress for listeners (the live view, the debugger); not part of the history."""

    message: str
    scope: tuple[Any, ...] = ()


@dataclass(slots=True)
class Spawn:
    """Start a child run. ``run`` is an engine generator; the handle comes back."""

    run: Generator[Any, Any, Any]
    label: str = ""


@dataclass(slots=True)
class WaitAny:
    """Block until one of ``handles`` is done; the finished handle comes back."""

    handles: list[Any]


@dataclass(slots=True)
class Cancel:
    """Abort a child run; the engine code in it receives :class:`Aborted`.

    ``silent`` closes it without letting it record anything (AWS records no aborted events
    when a States.Runtime error or the execution timeout ends everything).
    """

    handle: Any
    silent: bool = False


@dataclass(slots=True)
class ChildOutcome:
    """How a child run ended: ``ok`` with ``value``, or ``error``/``cause``."""

    ok: bool
    value: Any = None
    error: str | None = None
    cause: str | None = None
    aborted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Aborted(BaseException):
    """Thrown into an engine generator whose run is being stopped.

    A ``BaseException`` so that engine code catching ``Exception`` cannot swallow it.
    """


class ExecutionTimedOut(Aborted):
    """Thrown into the root run when the execution's TimeoutSeconds (or the one-year limit) expires."""
