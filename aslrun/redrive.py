"""Redrive: where a failed, aborted or timed-out execution starts again (``RedriveExecution``).

AWS's rule, from the developer guide ("Redriving executions", "Redriving Map Runs"): a redrive continues
the execution from its unsuccessful steps with the same input and definition; states that have an
``…StateEntered`` event but no matching ``…StateExited`` event run again, successful states do not, and an
inline Map or a Parallel re-runs only the iterations and branches that did not succeed. The history keeps
what it had and goes on after an ``ExecutionRedriven`` event.

So the plan comes from the history alone: :func:`plan_redrive` reads the events (with the ``scope`` each
was recorded in, which says which thread of control — the execution, a branch, an iteration, a child
execution — it belongs to) and returns a :class:`RedrivePlan`: for the execution, the state to run again,
the input it was entered with and the variables assigned before it; for a Map or Parallel among those
states, what each finished child returned and where each unfinished one resumes. The engine runs the plan
(:meth:`aslrun.engine.Engine.run` with ``redrive=``); nothing here touches the world.

[UNSURE] (no recorded redriven history was found): the re-run state records its ``…StateEntered`` event
again, ``ExecutionRedriven`` follows the last event of the earlier attempt, and Retry counters start at 0.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aslrun.errors import AslrunError
from aslrun.nodes import MapState, ParallelState, State, StateMachine, States, SucceedState

__all__ = ["Done", "NotRedrivable", "RedrivePlan", "Resume", "plan_redrive", "take_resume"]

#: AWS refuses a redrive when the history could not take the ExecutionRedriven event (BOTO: 24,999)
MAX_REDRIVE_EVENTS = 24_999

#: the events that say a Task state called its resource (once per invocation, retries included)
_SCHEDULED = frozenset({"TaskScheduled", "ActivityScheduled", "LambdaFunctionScheduled"})

_FINAL = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionAborted": "ABORTED",
    "ExecutionTimedOut": "TIMED_OUT",
}


class NotRedrivable(AslrunError):
    """The execution cannot be redriven; ``reason`` is AWS's ``redriveStatusReason`` text where AWS has one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Done:
    """A branch, iteration or child execution that succeeded: its output is kept, it does not run again."""

    output: Any


@dataclass
class Resume:
    """A thread of control that runs again from ``state`` (entered with ``input``, never exited)."""

    state: str
    input: Any
    #: the variables this thread itself assigned before (outer ones come from the enclosing thread)
    variables: dict[str, Any] = field(default_factory=dict)
    #: for a Map or Parallel at ``state``: each child's index -> Done or Resume; a child absent here never
    #: started and runs from its beginning
    children: dict[int, Done | Resume] | None = None
    #: for a Distributed Map at ``state``: the ARN of the Map Run that is redriven
    map_run_arn: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state, "input": self.input, "variables": self.variables}
        if self.children is not None:
            out["children"] = {str(i): ({"output": c.output} if isinstance(c, Done) else c.to_json())
                               for i, c in self.children.items()}
        if self.map_run_arn is not None:
            out["mapRunArn"] = self.map_run_arn
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resume:
        children = None
        if data.get("children") is not None:
            children = {int(i): (Done(c["output"]) if "state" not in c else cls.from_json(c))
                        for i, c in data["children"].items()}
        return cls(data["state"], data["input"], dict(data.get("variables") or {}), children,
                   data.get("mapRunArn"))


@dataclass
class RedrivePlan:
    """How a redrive goes on: see the module docstring."""

    root: Resume
    #: the execution's redriveCount after this redrive ($$.Execution.RedriveCount)
    redrive_count: int
    #: the id the ExecutionRedriven event gets (the history's ids go on)
    next_event_id: int
    #: the execution's StartTime (epoch seconds), kept by a redrive
    start_time: float | None = None
    #: the status the execution ended with before this redrive
    previous_status: str = "FAILED"
    #: the execution's input (a redrive runs with the same)
    input: Any = None
    #: how often each Task state was called before, by state name: a MockConfigFile's numbered responses go
    #: on from there (a mock that fails at "0" and succeeds at "1" succeeds when redriven)
    invocations: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root.to_json(), "redriveCount": self.redrive_count,
                "nextEventId": self.next_event_id, "startTime": self.start_time,
                "previousStatus": self.previous_status, "input": self.input, "invocations": self.invocations}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RedrivePlan:
        return cls(Resume.from_json(data["root"]), int(data["redriveCount"]), int(data["nextEventId"]),
                   data.get("startTime"), data.get("previousStatus", "FAILED"), data.get("input"),
                   dict(data.get("invocations") or {}))


def take_resume(frame: Any, state: State) -> Resume | None:
    """For a Map or Parallel runner: the redrive plan of ``state`` if its frame resumes at it (taken once).

    :meth:`aslrun.engine.Engine.run_states` leaves the :class:`Resume` of the state a redriven thread
    starts at on the frame; a Map or Parallel takes it when it runs, so a Retry of the whole state, or a
    later state, runs every child afresh.
    """
    resume = frame.resume
    if resume is None:
        return None
    frame.resume = None
    return resume if resume.state == state.name and resume.children is not None else None


# ---------------------------------------------------------------- reading the history


@dataclass
class _Thread:
    entered: tuple[str, Any] | None = None  # (state, input) entered and not exited
    exited: str | None = None  # the last state exited
    output: Any = None
    variables: dict[str, Any] = field(default_factory=dict)
    succeeded: bool = False  # MapIterationSucceeded seen
    map_run_arn: str | None = None


@dataclass
class _Event:
    type: str
    details: dict[str, Any]
    scope: tuple[Any, ...]
    child: Any
    timestamp: Any


def plan_redrive(machine: StateMachine, events: Iterable[Any]) -> RedrivePlan:
    """The plan to redrive an execution whose whole history so far is ``events`` (in id order).

    Each event is an :class:`aslrun.effects.Event` as recorded (it knows its ``scope``) or an AWS-shaped
    dict as ``GetExecutionHistory`` gives it (JSON text in ``input``/``output``) with an extra ``"scope"``
    key: the scope as a list. A Distributed Map's children's events may be among them.

    :raises NotRedrivable: the execution succeeded or is still running, its history is full, or its events
        do not say where they happened.
    """
    history = [_normalise(e) for e in events]
    main = [e for e in history if e.child is None]
    if not main or main[0].type != "ExecutionStarted":
        raise NotRedrivable("The history does not start with ExecutionStarted")
    status = next((_FINAL[e.type] for e in reversed(main) if e.type in _FINAL), None)
    if status is None or main[-1].type == "ExecutionRedriven":
        raise NotRedrivable("Execution is RUNNING and cannot be redriven")
    if status == "SUCCEEDED":
        raise NotRedrivable("Execution is SUCCEEDED and cannot be redriven")
    if len(main) >= MAX_REDRIVE_EVENTS:
        raise NotRedrivable("Execution history event limit exceeded")
    threads = _replay(main)
    runs: dict[Any, list[_Event]] = {}
    for e in history:
        if e.child is not None:
            runs.setdefault(e.child[0], []).append(e)
    children = {arn: _replay(events) for arn, events in runs.items()}
    count = sum(1 for e in main if e.type == "ExecutionRedriven") + 1
    execution_input = main[0].details.get("input")
    root = _resume((), machine.body, threads, children) or Resume(machine.body.start_at, execution_input)
    invocations = Counter(e.scope[-1] for e in history if e.type in _SCHEDULED and e.scope)
    return RedrivePlan(root, count, len(main) + 1, _epoch(main[0].timestamp), status, execution_input,
                       dict(invocations))


def _replay(history: list[_Event]) -> dict[tuple[Any, ...], _Thread]:
    """Every thread's last state, input and variables, by the scope of the thread."""
    threads: dict[tuple[Any, ...], _Thread] = {}
    # After ExecutionRedriven, the threads that were cut short go on: the state they enter again, and
    # the Map or Parallel that starts again, keep what their children did before.
    resuming: set[tuple[Any, ...]] = set()
    keep: set[tuple[Any, ...]] = set()
    for ev in history:
        kind = ev.type
        if kind == "ExecutionRedriven":
            resuming = {key for key, thread in threads.items() if thread.entered is not None}
            continue
        if kind == "MapIterationSucceeded":
            threads.setdefault(ev.scope, _Thread()).succeeded = True
            continue
        if kind in ("MapIterationStarted", "MapStateStarted", "ParallelStateStarted"):
            # An iteration, or a Map or Parallel retried, starts afresh: what ran before in it is gone.
            if ev.scope in keep:
                keep.discard(ev.scope)
            elif not (kind == "MapIterationStarted" and ev.scope in resuming):
                _forget(threads, ev.scope, kind == "MapIterationStarted")
            continue
        if kind in ("MapRunStarted", "MapRunRedriven") and ev.scope:
            threads.setdefault(ev.scope[:-1], _Thread()).map_run_arn = ev.details.get("mapRunArn")
            continue
        entered = kind.endswith("StateEntered")
        if not (entered or kind.endswith("StateExited")) or not ev.scope:
            continue
        key, name = ev.scope[:-1], ev.scope[-1]
        thread = threads.setdefault(key, _Thread())
        if entered:
            if key in resuming and thread.entered is not None and thread.entered[0] == name:
                resuming.discard(key)
                keep.add(key + (name,))
            else:
                # A state entered again (a loop) starts its children afresh.
                _forget(threads, key + (name,), False)
                thread.map_run_arn = None
            thread.entered = (name, ev.details.get("input"))
        else:
            thread.entered = None
            thread.exited, thread.output = name, ev.details.get("output")
            assigned = ev.details.get("assignedVariables")
            if assigned:
                thread.variables.update({k: json.loads(v) if isinstance(v, str) else v for k, v in assigned.items()})
    return threads


def _forget(threads: dict[tuple[Any, ...], _Thread], prefix: tuple[Any, ...], itself: bool) -> None:
    depth = len(prefix) if itself else len(prefix) + 1
    for old in [k for k in threads if len(k) >= depth and k[:len(prefix)] == prefix]:
        del threads[old]


_Runs = dict[Any, dict[tuple[Any, ...], _Thread]]


def _resume(key: tuple[Any, ...], body: States, threads: dict[tuple[Any, ...], _Thread], runs: _Runs) -> Resume | None:
    """Where the thread ``key`` (running ``body``) goes on; None when it has nothing to run again."""
    thread = threads.get(key)
    if thread is None or thread.entered is None:
        return None
    name, value = thread.entered
    state = body.states.get(name)
    if state is None:
        raise NotRedrivable(f"The history names a state {name!r} that the definition does not have")
    resume = Resume(name, value, dict(thread.variables))
    if isinstance(state, MapState) and state.distributed:
        # A Distributed Map's children are executions of their own, with their own histories.
        resume.map_run_arn = thread.map_run_arn
        resume.children = _children(key + (name,), state, runs.get(thread.map_run_arn, {}), runs)
    elif isinstance(state, (MapState, ParallelState)):
        resume.children = _children(key + (name,), state, threads, runs)
    return resume


def _children(prefix: tuple[Any, ...], state: State, threads: dict[tuple[Any, ...], _Thread],
              runs: _Runs) -> dict[int, Done | Resume]:
    children: dict[int, Done | Resume] = {}
    depth = len(prefix) + 1
    for key, thread in threads.items():
        if len(key) != depth or key[:-1] != prefix or not isinstance(key[-1], int):
            continue
        index = key[-1]
        body = state.branches[index] if isinstance(state, ParallelState) else state.processor  # type: ignore[attr-defined]
        if thread.entered is None and (thread.succeeded or _terminal(body, thread.exited)):
            children[index] = Done(thread.output)
            continue
        resume = _resume(key, body, threads, runs)
        if resume is not None:
            children[index] = resume
    return children


def _terminal(body: States, name: str | None) -> bool:
    state = body.states.get(name) if name is not None else None
    return state is not None and (state.end or isinstance(state, SucceedState))


def _normalise(event: Any) -> _Event:
    if isinstance(event, Mapping):
        scope = event.get("scope")
        if scope is None:
            raise NotRedrivable("The execution's history was recorded without the scope of its events")
        details: dict[str, Any] = {}
        for key, value in event.items():
            if key.endswith("EventDetails") and isinstance(value, Mapping):
                details = dict(value)
        for key in ("input", "output"):
            if isinstance(details.get(key), str):
                details[key] = json.loads(details[key])
        child = event.get("child")
        return _Event(event["type"], details, tuple(scope), tuple(child) if child else None,
                      event.get("timestamp"))
    return _Event(event.type, event.details or {}, tuple(event.scope), event.child, event.timestamp)


def _epoch(stamp: Any) -> float | None:
    if isinstance(stamp, (int, float)):
        return float(stamp)
    if isinstance(stamp, datetime):
        return stamp.timestamp()
    if isinstance(stamp, str):
        try:
            return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None

