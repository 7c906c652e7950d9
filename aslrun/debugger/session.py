"""The debugger's logic: where to stop, what a stop shows, how edits flow back (aslrun's ``bdb``).

A :class:`Session` is not a second interpreter. It is a listener and a stage callback of one
ordinary :class:`~aslrun.execution.Execution`::

    session = Session(machine)
    execution = session.start(interpreter, input)   # wires session.listener and session.on_stage in
    result = execution.run()

As events are recorded and data-flow stages pass, the session decides whether to stop
(breakpoints, watches, the stepping mode). To stop, it calls :meth:`Session.user_stop` from
inside the callback — the UI's hook, like ``bdb.Bdb.user_line``. The execution's scheduler is
one thread, so while the hook runs every branch and iteration is frozen where it is (integration
work already started in the background, a Kubernetes Job say, goes on). The hook inspects and
edits through the session's methods and returns once it has chosen how to go on (:meth:`step`,
:meth:`next`, :meth:`finish`, :meth:`cont`, :meth:`until`, :meth:`retry`, :meth:`skip`,
:meth:`quit`); the callback then hands the (possibly edited) value back to the engine.

Where a stop can be:

* ``enter`` — a state starts: at its ``input`` stage, or (Map, Parallel, Fail, which have no
  input stage) at its ``…StateEntered`` event, where the input cannot be edited;
* ``return`` — a Map or Parallel has its branches' or iterations' results (its ``result`` stage);
* ``stage`` — any other data-flow stage (``until`` and breakpoints reach these);
* ``error`` — a Task, Map or Parallel failed and Retry/Catch are about to decide;
* ``pause`` — Ctrl-C (:meth:`Session.request_pause`) while the execution waits on a real clock
  (a Wait, a retry backoff): the state that waits, paused mid-sleep; the sleep goes on after.

The session does no I/O; :mod:`aslrun.debugger.repl` is the terminal around it.
"""

from __future__ import annotations

import difflib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from aslrun.debugger.clock import PausableClock
from aslrun.debugger.probes import CommandError, Probe, compile_probe
from aslrun.debugger.stops import (
    MISSING,
    ORDER,
    STAGES,
    Breakpoint,
    Failure,
    Location,
    Stop,
    Visit,
    Watch,
    stage_name,
)
from aslrun.effects import Event, Stage
from aslrun.nodes import FailState, MapState, ParallelState, State, StateMachine, TaskState

if TYPE_CHECKING:
    from aslrun.execution import Execution, ExecutionResult
    from aslrun.interpreter import Interpreter

__all__ = [
    "MISSING",
    "STAGES",
    "Breakpoint",
    "CommandError",
    "Failure",
    "Location",
    "Session",
    "Stop",
    "Visit",
    "Watch",
    "stage_name",
]


_STATE_TYPES = ("Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
#: state types whose input reaches the debugger as an event only (no ``input`` stage)
_NO_INPUT_STAGE = (MapState, ParallelState, FailState)
_STEPPING_POINTS = ("enter", "return", "error")


class Session:
    """Breakpoints, stepping and inspection for one execution; subclass it and override :meth:`user_stop`."""

    def __init__(self, machine: StateMachine) -> None:
        self.machine = machine
        self.states: dict[str, State] = machine.all_states()
        self.execution: Execution | None = None
        self.result: ExecutionResult | None = None
        self.breakpoints: list[Breakpoint] = []
        self.watches: list[Watch] = []
        #: the current stop while paused, else None; ``last_stop`` stays for looking back
        self.stop: Stop | None = None
        self.last_stop: Stop | None = None
        #: how often each state was entered
        self.visited: Counter[str] = Counter()
        self._visits: dict[tuple[Any, ...], Visit] = {}
        self._assigned: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._numbers = 0
        self._stops = 0
        self._mode: str | None = "step"
        self._mode_frame: tuple[Any, ...] = ()
        self._mode_visit: Visit | None = None
        self._until = 0
        self._quitting = False
        self._pause = False
        self._started = False

    # ------------------------------------------------------------ the UI's hooks

    def user_stop(self, stop: Stop) -> None:
        """Called at each stop; inspect, edit, then choose how to go on. The default goes on."""
        self.cont()

    def user_event(self, event: Event) -> None:
        """Called with every history event and ``Progress`` note as it happens (for live output)."""

    # ------------------------------------------------------------ wiring

    def start(self, interpreter: Interpreter, input: Any = None, *, name: str | None = None,
              listeners: Iterable[Any] = (), context: dict[str, Any] | None = None) -> Execution:
        """Start an execution of the session's machine with the session listening; call ``run()`` on it."""
        execution = interpreter.start(self.machine, input, name=name, context=context,
                                      listeners=[*listeners, self.listener], on_stage=self.on_stage)
        # The clock is where an idle execution waits: seen through the session, a pause can land there.
        execution.clock = PausableClock(execution.clock, self)
        self.execution = execution
        return execution

    def run(self, interpreter: Interpreter, input: Any = None, **options: Any) -> ExecutionResult:
        """Start an execution and run it to the end, stopping as the session decides."""
        result = self.start(interpreter, input, **options).run()
        self.result = result
        return result

    @property
    def resumed(self) -> bool:
        """True once a command has chosen how to go on from the current stop (the UI's loop ends)."""
        return self._mode is not None

    @property
    def quitting(self) -> bool:
        """True once :meth:`quit` (or :meth:`abort`) was asked: nothing stops any more."""
        return self._quitting

    def listener(self, execution: Execution, event: Event) -> None:
        """The execution's listener: tracks states and variables, stops at Map/Parallel/Fail entries."""
        self.execution = execution
        etype = event.type
        if etype.endswith("StateEntered"):
            state = self.states.get(event.scope[-1]) if event.scope else None
            if state is not None:
                visit = Visit(state, event.scope[:-1], event)
                self._visits[event.scope] = visit
                self.visited[state.name] += 1
                if isinstance(state, (MapState, ParallelState)):
                    self._forget_inside(event.scope)
                self.user_event(event)
                if isinstance(state, _NO_INPUT_STAGE):
                    self._point("enter", visit, None, visit.input, editable=False)
                return
        elif etype.endswith("StateExited"):
            self._visits.pop(event.scope, None)  # a stop keeps its own visit; a 10,000-item Map keeps none
            assigned = (event.details or {}).get("assignedVariables")
            if assigned:
                store = self._assigned.setdefault(event.scope[:-1], {})
                for key, text in assigned.items():
                    store[key] = _loads(text)
        elif etype in ("MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"):
            self._assigned.pop(event.scope, None)  # an iteration's variables end with it
        elif etype in ("MapStateStarted", "ParallelStateStarted"):
            started = self._visits.get(event.scope)
            if started is not None:
                if started.started:  # the container's Retry runs it again
                    started.attempt += 1
                    started.stages = {}
                    self._forget_inside(event.scope)
                started.started = True
        self.user_event(event)

    def on_stage(self, execution: Execution, stage: Stage) -> Any:
        """The execution's stage callback: may stop, and returns the value (or decision) to go on with."""
        self.execution = execution
        path = stage.scope + (stage.state.name,)
        visit = self._visits.get(path)
        if visit is None:  # not announced by an event (should not happen); track it from here
            visit = Visit(stage.state, stage.scope, Event(stage.state.type + "StateEntered"))
            self._visits[path] = visit
        name = stage.name
        if name == "error":
            visit.error = stage.value
            stop = self._point("error", visit, "error", stage.value, editable=False)
            if stop is not None and stop.decision is not None:
                return stop.decision
            return stage.value
        if name == "input" and visit.stages:
            visit.attempt += 1  # Retry runs the state again
            visit.stages = {}
        visit.stages[name] = stage.value
        if name == "input":
            kind = "enter"
        elif name == "result" and isinstance(stage.state, (MapState, ParallelState)):
            kind = "return"
        else:
            kind = "stage"
        stop = self._point(kind, visit, name, stage.value, editable=True)
        if stop is None:
            return stage.value
        visit.stages[name] = stop.value
        return stop.value

    # ------------------------------------------------------------ deciding

    def _point(self, kind: str, visit: Visit, stage: str | None, value: Any, editable: bool) -> Stop | None:
        if self._quitting:
            return None
        reasons: list[str] = []
        if kind == "enter":
            reasons += self._entry_hits(visit, value)
        elif kind == "error":
            error = (value or {}).get("Error")
            for bp in self.breakpoints:
                if bp.kind == "error" and _error_hit(bp.target, error):
                    bp.hits += 1
                    reasons.append(f"breakpoint {bp.number} ({bp.describe()})")
        if self._pause and kind in _STEPPING_POINTS:
            reasons.append("paused (Ctrl-C)")
        if not reasons:
            mode = self._mode_reason(kind, visit, stage)
            if mode is None:
                return None
            reasons.append(mode)
        return self._halt(Stop(self._stops + 1, kind, visit, stage, value, reasons, editable))

    def pause_waiting(self, remaining: float | None) -> bool:
        """The execution is idle, its clock waiting ``remaining`` seconds (None: waiting on a Task's
        integration in the background): stop there if a pause was asked.

        Returns whether it stopped.
        """
        if not self._pause or self._quitting or self.stop is not None:
            return False
        visit = self._waiting_visit()
        if visit is None:  # no state to show: pause as the next state starts
            return False
        reached = sorted(visit.stages, key=lambda name: ORDER[name])
        stage = reached[-1] if reached else None
        value = visit.stages[stage] if stage is not None else visit.input
        self._halt(Stop(self._stops + 1, "pause", visit, stage, value, ["paused (Ctrl-C)"], False,
                        remaining=None if remaining is None else max(remaining, 0.0)))
        return True

    def _waiting_visit(self) -> Visit | None:
        """The state that waits: the latest entered of those running no branch or iteration of their own."""
        paths = list(self._visits)
        leaves = [visit for path, visit in self._visits.items()
                  if not any(len(other) > len(path) and other[:len(path)] == path for other in paths)]
        return max(leaves, key=lambda visit: visit.entered.id or 0, default=None)

    def _halt(self, stop: Stop) -> Stop:
        """Stop: hand ``stop`` to :meth:`user_stop`, which returns once a command chose how to go on."""
        self._stops = stop.number
        self._started = True
        self._pause = False  # a stop answers any Ctrl-C still pending
        self.stop = self.last_stop = stop
        self._mode = None
        try:
            self.user_stop(stop)
        finally:
            self.stop = None
            if self._mode is None:
                self._mode = "continue"
        return stop

    def _entry_hits(self, visit: Visit, value: Any) -> list[str]:
        reasons = []
        state = visit.state
        for bp in self.breakpoints:
            if bp.kind == "error":
                # A Fail state is where an error starts; Retry/Catch (the error stop) come later, elsewhere.
                if isinstance(state, FailState) and _error_hit(bp.target, self.fail_error(visit, value)):
                    bp.hits += 1
                    reasons.append(f"breakpoint {bp.number} ({bp.describe()})")
                continue
            if bp.kind == "state" and bp.target != state.name or bp.kind == "type" and bp.target != state.type:
                continue
            if bp.condition is not None and not bp.condition.holds(value, self._view(visit.scope),
                                                                   lambda: self._context(visit)):
                continue
            bp.hits += 1
            reasons.append(f"breakpoint {bp.number} ({bp.describe()})")
        if self.watches:
            variables = self._view(visit.scope)
            for watch in self.watches:
                now = _read(watch.probe, value, variables, lambda: self._context(visit))
                if not _same(now, watch.last):
                    watch.previous, watch.last = watch.last, now
                    reasons.append(f"watch {watch.number}: {watch.probe.text} changed")
        return reasons

    def _mode_reason(self, kind: str, visit: Visit, stage: str | None) -> str | None:
        mode = self._mode
        frame = visit.scope
        if mode == "step":
            if kind not in _STEPPING_POINTS:
                return None
            return "step" if self._started else "the first state"
        if mode == "step-in":
            inside = _encloses(self._mode_frame, frame)
            return "step" if kind in _STEPPING_POINTS and (inside or _encloses(frame, self._mode_frame[:-1])) \
                else None
        if mode == "next":
            return "next" if kind in _STEPPING_POINTS and _encloses(frame, self._mode_frame) else None
        if mode == "finish":
            if kind in _STEPPING_POINTS and len(frame) < len(self._mode_frame) and _encloses(frame, self._mode_frame):
                return "finish"
            return None
        if mode == "until":
            if visit is self._mode_visit:
                if kind == "error" or kind == "enter" or stage in ORDER and ORDER[stage] >= self._until:
                    return "until"
                return None
            return "until" if kind in _STEPPING_POINTS and _encloses(frame, self._mode_frame) else None
        return None

    # ------------------------------------------------------------ going on

    def _require_stop(self, what: str) -> Stop:
        if self.stop is None:
            raise CommandError(f"{what}: the execution is not paused")
        return self.stop

    def step(self) -> None:
        """Go on to the next state anywhere; at a Parallel or Map that starts, into its first branch/iteration."""
        stop = self._require_stop("step")
        if stop.kind == "enter" and isinstance(stop.state, (MapState, ParallelState)):
            # Other branches may be scheduled first; stepping into a container means into *it*.
            self._mode, self._mode_frame = "step-in", stop.path
        else:
            self._mode = "step"

    def next(self) -> None:
        """Go on to the next state of this branch/iteration (or outside it); nested ones run through."""
        stop = self._require_stop("next")
        self._mode, self._mode_frame = "next", stop.scope

    def finish(self) -> None:
        """Run the rest of this Parallel branch or Map iteration; stop back in the Parallel/Map."""
        stop = self._require_stop("finish")
        if not stop.scope:
            raise CommandError("finish leaves a Parallel branch or Map iteration, and this state is at the top "
                               "level: use next or continue")
        self._mode, self._mode_frame = "finish", stop.scope

    def cont(self) -> None:
        """Run until a breakpoint, a watch change or the end."""
        self._require_stop("continue")
        self._mode = "continue"

    def until(self, stage: str | None = None) -> str:
        """Run this state to ``stage`` (default: its next stage) and stop there; returns the stage's name."""
        stop = self._require_stop("until")
        if stop.kind == "error":
            raise CommandError("until: the state has failed; use retry, skip or continue to let Retry/Catch decide")
        current = ORDER.get(stop.stage or "", -1)
        if stage is None:
            target = current + 1
            label = "its next stage"
        else:
            name = stage_name(stage) if stage != "effective" else self.effective_stage(stop.state)
            if name is None and stage == "effective":
                raise CommandError(f"until: the debugger sees no effective input for a {stop.state.type} state; "
                                   "use until result or until output")
            if name is None:
                raise CommandError(f"until: {stage!r} is not a stage; use one of input, effective, result, output, "
                                   + ", ".join(s for s in STAGES if s not in ("input", "result", "output")))
            target = ORDER[name]
            label = stage
            if target <= current:
                raise CommandError(f"until: {stop.state.name} is already past {stage} (at {stop.stage})")
        self._mode, self._mode_frame, self._mode_visit, self._until = "until", stop.scope, stop.visit, target
        return label

    def retry(self) -> None:
        """At an error stop: run the state again now (no backoff, no retry attempt used)."""
        stop = self._require_error("retry")
        stop.decision = "retry"
        self._mode, self._mode_frame = "next", stop.scope

    def skip(self, output: Any = MISSING) -> Any:
        """At an error stop: leave the state as if it succeeded with ``output`` (default: its input)."""
        stop = self._require_error("skip")
        value = stop.visit.input if output is MISSING else output
        stop.decision = ("skip", value)
        self._mode, self._mode_frame = "next", stop.scope
        return value

    def _require_error(self, what: str) -> Stop:
        stop = self._require_stop(what)
        if stop.kind != "error":
            raise CommandError(f"{what} works when a Task, Map or Parallel has failed and Retry/Catch are about to "
                               "decide; add a breakpoint with 'break error' to stop there")
        return stop

    def quit(self) -> None:
        """Abort the execution (it ends ABORTED with its history); nothing stops any more."""
        self._require_stop("quit")
        self.abort()

    def abort(self) -> None:
        """Abort from anywhere (thread-safe): the execution stops cleanly, ABORTED."""
        self._quitting = True
        self._mode = "continue"
        if self.execution is not None:
            self.execution.abort()

    def request_pause(self) -> None:
        """Stop as soon as possible: Ctrl-C while running. Safe from another thread and from a signal handler.

        The execution stops as the next state starts (or a Map/Parallel has its results, or a state fails),
        or, while it sleeps on a real clock (a Wait, a retry backoff), within a moment, in the state that
        waits (a ``pause`` stop); the sleep then goes on to its end. A wait for background work only (a long
        Task without TimeoutSeconds) is not cut short: the stop comes as the next state starts.
        """
        self._pause = True

    # ------------------------------------------------------------ breakpoints and watches

    def add_breakpoint(self, spec: str) -> Breakpoint:
        """Add a breakpoint from its text; raises :class:`CommandError` naming what is wrong."""
        spec = spec.strip()
        head, condition = spec, None
        if spec.startswith("if ") or spec == "if":
            head, condition = "", spec[2:].strip()
        elif " if " in spec:
            head, condition = (part.strip() for part in spec.split(" if ", 1))
        if condition is not None and not condition:
            raise CommandError("break if needs a condition, e.g. break if $.total > 100")
        probe = compile_probe(condition, condition=True) if condition is not None else None
        if not head:
            if probe is None:
                raise CommandError("break needs a state name, type:TYPE, error[:NAME] or if CONDITION")
            kind, target = "condition", None
        elif head == "error" or head.startswith("error:"):
            kind, target = "error", head[6:].strip() or None
            if probe is not None:
                raise CommandError("an error breakpoint takes no condition; use break error:NAME")
        elif head.startswith("type:"):
            wanted = head[5:].strip()
            match = [t for t in _STATE_TYPES if t.lower() == wanted.lower()]
            if not match:
                raise CommandError(f"{wanted!r} is not a state type; use one of {', '.join(_STATE_TYPES)}")
            kind, target = "type", match[0]
        else:
            if head not in self.states:
                close = difflib.get_close_matches(head, list(self.states), n=3)
                hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else \
                    " Type 'graph' to see the states."
                raise CommandError(f"there is no state named {head!r} in this machine.{hint}")
            kind, target = "state", head
        self._numbers += 1
        bp = Breakpoint(self._numbers, spec, kind, target, probe)
        self.breakpoints.append(bp)
        return bp

    def delete_breakpoint(self, number: int | None = None) -> list[Breakpoint]:
        """Delete breakpoint ``number`` (every breakpoint when None); returns what was deleted."""
        if number is None:
            gone, self.breakpoints = self.breakpoints, []
            return gone
        gone = [bp for bp in self.breakpoints if bp.number == number]
        if not gone:
            have = ", ".join(str(bp.number) for bp in self.breakpoints) or "none"
            raise CommandError(f"there is no breakpoint {number} (breakpoints: {have})")
        self.breakpoints = [bp for bp in self.breakpoints if bp.number != number]
        return gone

    def add_watch(self, text: str) -> Watch:
        """Watch ``text`` (a path or JSONata): stop when its value changes as a state starts."""
        self._numbers += 1
        watch = Watch(self._numbers, compile_probe(text))
        stop = self.stop or self.last_stop
        if stop is not None:
            watch.last = _read(watch.probe, stop.data, self.variables(stop.scope), self._context(stop.visit))
        self.watches.append(watch)
        return watch

    def delete_watch(self, number: int | None = None) -> list[Watch]:
        """Delete watch ``number`` (every watch when None)."""
        if number is None:
            gone, self.watches = self.watches, []
            return gone
        gone = [w for w in self.watches if w.number == number]
        if not gone:
            raise CommandError(f"there is no watch {number}")
        self.watches = [w for w in self.watches if w.number != number]
        return gone

    # ------------------------------------------------------------ looking

    def where(self, stop: Stop | None = None) -> list[Location]:
        """The current state's path: each enclosing Parallel/Map with the branch/iteration index, then the state."""
        stop = stop or self._require_stop("where")
        levels = []
        path = stop.path
        for i in range(0, len(path) - 1, 2):
            levels.append(Location(self.states.get(path[i]), path[i + 1]))
        levels.append(Location(stop.state))
        return levels

    def expected_stages(self, state: State) -> list[str]:
        """The stages the engine reports for ``state``, in order (``input`` comes from its event for
        Map, Parallel and Fail)."""
        if isinstance(state, FailState):
            return ["input"]
        jsonata = state.jsonata
        out = ["input"]
        if isinstance(state, (MapState, ParallelState)):
            out.append("result")
            if not jsonata and getattr(state, "result_selector", None) is not None:
                out.append("afterResultSelector")
            if not jsonata:
                out.append("afterResultPath")
            return out + ["output"]
        if jsonata:
            if isinstance(state, TaskState):
                out += ["afterArguments", "result"]
            return out + ["output"]
        if state.type in ("Succeed",):
            return out + ["output"]
        out.append("afterInputPath")
        if state.type in ("Choice", "Wait"):
            return out + ["output"]
        if isinstance(state, TaskState) or getattr(state, "parameters", None) is not None:
            out.append("afterParameters")
        out.append("result")
        if isinstance(state, TaskState) and state.result_selector is not None:
            out.append("afterResultSelector")
        return out + ["afterResultPath", "output"]

    def effective_stage(self, state: State) -> str | None:
        """The stage holding ``state``'s effective input (after InputPath and Parameters/Arguments), if reported."""
        found = None
        for name in self.expected_stages(state):
            if name in ("afterInputPath", "afterParameters", "afterArguments"):
                found = name
        return found

    def stages(self, stop: Stop | None = None) -> list[tuple[str, Any]]:
        """Each stage of the stopped state with its value, :data:`MISSING` for those not reached yet."""
        stop = stop or self._require_stop("print")
        visit = stop.visit
        names = self.expected_stages(visit.state)
        names += [n for n in visit.stages if n not in names]
        out = []
        for name in sorted(names, key=lambda n: ORDER[n]):
            if name == "input":
                out.append((name, visit.input))
            else:
                out.append((name, visit.stages.get(name, MISSING)))
        return out

    def value_of(self, what: str, stop: Stop | None = None) -> Any:
        """``input``, ``effective``, ``result``, ``output`` (or any stage), ``error``, ``context``,
        ``variables``, or a path / JSONata expression, at the stop."""
        stop = stop or self._require_stop("print")
        visit = stop.visit
        if what == "context":
            return self._context(visit)
        if what == "variables":
            return self.variables(stop.scope)
        if what == "error":
            if visit.error is None:
                raise CommandError(f"{visit.state.name} has not failed")
            return visit.error
        if what == "effective":
            effective = self.effective_stage(visit.state)
            if effective is None:
                raise CommandError(f"the debugger sees no effective input for a {visit.state.type} state like "
                                   f"{visit.state.name}: print input and print result show what it has")
            if effective not in visit.stages:
                raise CommandError(f"{visit.state.name} has no effective input yet (it is computed after InputPath"
                                   f"{'' if effective == 'afterInputPath' else ' and ' + effective[5:]}); use "
                                   "'until effective' to get there")
            return visit.stages[effective]
        name = stage_name(what)
        if name is not None:
            if name == "input":
                return visit.input
            if name not in visit.stages:
                if name not in self.expected_stages(visit.state):
                    raise CommandError(f"a {visit.state.type} state like {visit.state.name} has no {what} stage")
                raise CommandError(f"{visit.state.name} has not reached its {what} stage yet; use 'until {what}'")
            return visit.stages[name]
        probe = compile_probe(what)
        value = _read(probe, stop.data, self.variables(stop.scope), self._context(visit))
        if value is MISSING:
            raise CommandError(f"{what} selects nothing here")
        return value

    def variables(self, scope: tuple[Any, ...] | None = None) -> dict[str, Any]:
        """The variables a state in ``scope`` sees: top-level ones, overlaid by each enclosing branch/iteration's."""
        if scope is None:
            stop = self.stop or self.last_stop
            scope = stop.scope if stop is not None else ()
        root = getattr(self.execution.engine, "root_variables", None) if self.execution is not None else None
        out = dict(root) if root is not None else dict(self._assigned.get((), {}))
        for depth in range(2, len(scope) + 1, 2):
            out.update(self._assigned.get(scope[:depth], {}))
        return out

    def _view(self, scope: tuple[Any, ...]) -> Mapping[str, Any]:
        """:meth:`variables` without copying when nothing nested is assigned (checked at every state)."""
        if not any(self._assigned.get(scope[:depth]) for depth in range(2, len(scope) + 1, 2)):
            root: Mapping[str, Any] | None = getattr(self.execution.engine, "root_variables", None) \
                if self.execution is not None else None
            if root is not None:
                return root
        return self.variables(scope)

    def history(self, count: int | None = None) -> list[Event]:
        """The last ``count`` history events so far (all of them when None)."""
        events = self.execution.events if self.execution is not None else []
        return list(events if count is None else events[-count:] if count > 0 else [])

    def failure(self, stop: Stop | None = None) -> Failure:
        """At an error stop: the error, the retrier/catcher that matches, and what will happen."""
        from aslrun.engine import error_matches

        stop = stop or self._require_error("failure")
        plan = stop.value or {}
        state = stop.state
        retry = list(state.raw.get("Retry", ()) or ())
        catch = list(state.raw.get("Catch", ()) or ())
        container = self.states.get(stop.scope[-2]) if stop.scope else None
        info = Failure(plan.get("Error"), plan.get("Cause"), "fail", container=container)
        if plan.get("retryIndex") is not None:
            i = plan["retryIndex"]
            retrier = getattr(state, "retry", ())[i]
            info.outcome, info.retry_index = "retry", i
            info.retrier = retry[i] if i < len(retry) else None
            info.attempt, info.max_attempts = plan.get("retryAttempt"), retrier.max_attempts
            info.delay = plan.get("retryBackoffIntervalSeconds")
            return info
        for i, retrier in enumerate(getattr(state, "retry", ())):
            if error_matches(retrier.error_equals, info.error):
                info.exhausted_index, info.max_attempts = i, retrier.max_attempts
                info.retrier = retry[i] if i < len(retry) else None
                break
        if plan.get("catchIndex") is not None:
            j = plan["catchIndex"]
            info.outcome, info.catch_index = "catch", j
            info.catcher = catch[j] if j < len(catch) else None
            info.next = plan.get("next")
        return info

    # ------------------------------------------------------------ editing

    def set(self, path: str, value: Any) -> str:
        """Edit the data flowing on from this stop (``$``, ``$.a.b``) or a variable (``$name``, ``$name.a``).

        Returns what was changed, in words.
        """
        from aslrun.expressions.access import compile_value_path, is_variable_path
        from aslrun.expressions.jsonpath import PathNotFound, PathSyntaxError, ResultPathMatchFailure

        stop = self._require_stop("set")
        path = path.strip()
        if path.startswith("$$"):
            raise CommandError("the context object ($$) cannot be edited; edit the data ($.field) or a variable")
        try:
            compiled = compile_value_path(path)
        except PathSyntaxError as exc:
            raise CommandError(f"{path} is not a valid path: {exc.reason}") from None
        if not compiled.definite:
            raise CommandError(f"{path} may select several values; set needs a path to one value, like $.a.b[0]")
        if is_variable_path(path):
            return self._set_variable(stop, compiled, path, value)
        if not stop.editable:
            if stop.kind == "pause":
                raise CommandError(f"the data cannot be edited while {stop.state.name} waits; use 'until output' to "
                                   "edit its output, or set a variable")
            if stop.kind == "error":
                raise CommandError("the data cannot be edited at a failure; use 'skip JSON' to leave the state with "
                                   "an output, or 'retry'")
            raise CommandError(f"a {stop.state.type} state's input cannot be edited as it starts; use "
                               "'until result' to edit the result it collects, or edit the previous state's output")
        try:
            stop.value = compiled.path.set(stop.value, value)
        except ResultPathMatchFailure:
            raise CommandError(f"{path} does not fit the data here (a step goes through something that is not an "
                               "object or array, or past the end of an array)") from None
        except PathNotFound as exc:  # pragma: no cover - set creates what is missing
            raise CommandError(str(exc)) from None
        stop.visit.stages[stop.stage or "input"] = stop.value
        return f"{path} set in {stop.stage}"

    def _set_variable(self, stop: Stop, compiled: Any, path: str, value: Any) -> str:
        from aslrun.expressions.jsonpath import ResultPathMatchFailure

        name = compiled.variable
        for depth in range(2, len(stop.scope) + 1, 2):
            if name in self._assigned.get(stop.scope[:depth], {}):
                raise CommandError(f"${name} was assigned inside this branch/iteration, where the debugger cannot "
                                   "change it yet; only top-level variables can be set")
        engine = self.execution.engine if self.execution is not None else None
        store = getattr(engine, "root_variables", None)
        if store is None:
            raise CommandError("no execution is running")
        if name not in store and compiled.path.keys:
            raise CommandError(f"${name} is not defined; set it whole first: set ${name} = JSON")
        try:
            store[name] = compiled.path.set(store.get(name), value) if compiled.path.keys else value
        except ResultPathMatchFailure:
            raise CommandError(f"{path} does not fit the value of ${name}") from None
        return f"variable ${name} set"

    # ------------------------------------------------------------ helpers

    def _context(self, visit: Visit) -> Any:
        if self.execution is None:
            return {}
        retries = visit.attempt - 1 if isinstance(visit.state, TaskState) else None
        return self.execution.engine.ctx.state_context(visit.state.name, visit.entered.timestamp, retries)

    def fail_error(self, visit: Visit, value: Any) -> str | None:
        """The error a Fail state raises, when it can be told before it runs (Error, or ErrorPath)."""
        from aslrun.expressions.access import Env

        state = visit.state
        if isinstance(getattr(state, "error", None), str):
            return state.error  # type: ignore[attr-defined, no-any-return]
        error_path = getattr(state, "error_path", None)
        if error_path is not None and not state.jsonata:
            try:
                error = error_path(Env(value, self._view(visit.scope), context_factory=lambda: self._context(visit)))
            except Exception:  # the Fail state itself will report a bad ErrorPath
                return None
            return error if isinstance(error, str) else None
        return None

    def _forget_inside(self, path: tuple[Any, ...]) -> None:
        """A Map/Parallel starts (again): what its earlier branches/iterations assigned is gone."""
        n = len(path)
        for key in [k for k in self._assigned if len(k) > n and k[:n] == path]:
            del self._assigned[key]


def _encloses(outer: tuple[Any, ...], inner: tuple[Any, ...]) -> bool:
    """Is ``outer`` the frame ``inner`` or one around it?"""
    return inner[: len(outer)] == outer


def _error_hit(target: str | None, error: str | None) -> bool:
    from aslrun.engine import error_matches

    if target is None or target in ("*", "States.ALL") or target == error:
        return True
    return error_matches((target,), error)


def _read(probe: Probe, data: Any, variables: Mapping[str, Any], context: Any) -> Any:
    try:
        return probe.read(data, variables, context)
    except (LookupError, ValueError, TypeError):
        return MISSING
    except Exception as exc:  # a States.* error from an intrinsic, say: shown, not raised
        return f"<error: {exc}>"


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return type(a) is type(b) and a == b


def _loads(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
