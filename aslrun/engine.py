"""The pure core: walks states, applies data flow, Retry and Catch.

:meth:`Engine.run` returns a generator that yields :class:`~aslrun.effects.Event`
objects and effects (:mod:`aslrun.effects`) and returns the execution's outcome.
It never sleeps, reads a clock, or does I/O: the driver in :mod:`aslrun.execution`
does those things and resumes the generator. Randomness (retry jitter, UUIDs) comes
from the execution's own seeded ``random.Random``.

Each state runner handles both query languages: JSONPath states go through
:mod:`aslrun.dataflow`, JSONata states through :mod:`aslrun.dataflow_jsonata`.
Map states are run by :class:`aslrun.map.MapRunner` and Task states by
:class:`aslrun.task.TaskRunner`, collaborators of the engine.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Generator, MutableMapping
from functools import partial
from typing import Any

from aslrun import dataflow_jsonata as jflow
from aslrun import defaults
from aslrun.context import ContextFactory
from aslrun.dataflow import (
    PayloadSizes,
    apply_input_path,
    apply_output_path,
    apply_result_path,
    compact_json,
    exceeds_payload_limit,
    payload_size,
)
from aslrun.effects import (
    Aborted,
    Cancel,
    ChildOutcome,
    Event,
    ExecutionTimedOut,
    Sleep,
    Spawn,
    Stage,
    WaitAny,
)
from aslrun.errors import StatesError
from aslrun.expressions.access import Env
from aslrun.map import MapRunner
from aslrun.maprun import MapRuns
from aslrun.nodes import (
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    State,
    StateMachine,
    States,
    SucceedState,
    TaskState,
    WaitState,
)
from aslrun.redrive import Done, RedrivePlan, Resume, take_resume
from aslrun.retrying import NEVER_HANDLED, error_matches, retry_delay
from aslrun.scheduling import finished_in_order
from aslrun.task import TaskRunner
from aslrun.wait import wait_seconds, wait_seconds_jsonata

__all__ = ["Engine", "ExecutionTimedOut", "Frame", "Outcome", "error_matches", "retry_delay"]

Gen = Generator[Any, Any, Any]

_NEVER_HANDLED = NEVER_HANDLED
#: errors whose cause AWS prefixes with "An error occurred while executing the state ..."
_PREFIXED = frozenset({"States.Runtime", "States.QueryEvaluationError"})

_NO_DETAILS: dict[str, Any] = {"truncated": False}
#: state types that have a ``…StateAborted`` history event
_ABORTABLE = frozenset({TaskState, WaitState, ParallelState, MapState})
_UNSET: Any = object()


class Outcome:
    """How an execution ended."""

    __slots__ = ("status", "output", "error", "cause")

    def __init__(self, status: str, output: Any = None, error: str | None = None,
                 cause: str | None = None) -> None:
        self.status = status
        self.output = output
        self.error = error
        self.cause = cause


class Frame:
    """One thread of control: the execution itself, a Parallel branch or a Map iteration."""

    __slots__ = ("last", "variables", "scope", "child", "depth", "kind", "end", "resume")

    def __init__(self, variables: MutableMapping[str, Any], scope: tuple[Any, ...] = (), last: int = 0,
                 child: Any = None, depth: int = 0, kind: str = "execution") -> None:
        self.last = last
        self.variables = variables
        self.scope = scope
        self.child = child
        self.depth = depth
        #: "execution", "branch" (Parallel), "iteration" (inline Map) or "child" (Distributed Map item)
        self.kind = kind
        #: id of the event that closed an iteration (MapIterationSucceeded), for the Map's links
        self.end = 0
        #: a redrive: what the children of the Map or Parallel this frame runs next did before
        #: (:attr:`aslrun.redrive.Resume.children`); the runner takes it once
        self.resume: Any = None

    def nested(self, key: tuple[Any, ...], kind: str, isolated: bool = False, child: Any = None) -> Frame:
        """A frame for a branch or iteration: reads outer variables (unless isolated), assigns its own."""
        variables: MutableMapping[str, Any] = {} if isolated else ChainMap({}, self.variables)
        return Frame(variables, self.scope + key, 0 if child is not None else self.last,
                     child if child is not None else self.child, self.depth + 1, kind)


class Engine:
    """Runs one execution of ``machine``; create one per execution."""

    def __init__(
        self,
        machine: StateMachine,
        context: ContextFactory,
        rng: Any,
        region: str = defaults.REGION,
        check_payload_limits: bool = True,
        inspect: bool = False,
    ) -> None:
        self.machine = machine
        self.ctx = context
        self.rng = rng
        self.region = region
        self.check_limits = check_payload_limits
        #: size bounds of the values this execution has checked, so that most checks encode nothing
        self.sizes = PayloadSizes()
        self.map_run_counter = 0
        #: the Map Runs this engine started, which UpdateMapRun changes (aslrun.maprun)
        self.map_runs = MapRuns()
        self.root_variables: dict[str, Any] = {}
        self.variable_bytes: dict[tuple[int, str], int] = {}
        #: yield a Stage effect at every data-flow step (the debugger and TestState turn this on)
        self.inspect = inspect
        self._reads_context: dict[int, bool] = {}
        #: runs Map states (inline iterations, distributed child executions) on this engine's seams
        self.maps = MapRunner(self)
        #: runs Task states (parameters, the Invoke effect, Task* events)
        self.tasks = TaskRunner(self)
        #: one runner per state type; each returns (next state name or None, output)
        self.runners: dict[type, Any] = {
            PassState: self.run_pass,
            ChoiceState: self.run_choice,
            TaskState: self.tasks.run,
            WaitState: self.run_wait,
            SucceedState: self.run_succeed,
            FailState: self.run_fail,
            ParallelState: self.run_parallel,
            MapState: self.maps.run,
        }

    # ------------------------------------------------------------ entry point

    def run(self, input: Any, redrive: RedrivePlan | None = None) -> Gen:
        """The execution: ExecutionStarted, the states, then the final event.

        With ``redrive``, the execution goes on where an earlier attempt stopped (:mod:`aslrun.redrive`):
        ExecutionRedriven, then the states that did not succeed.
        """
        if redrive is None:
            yield Event(
                "ExecutionStarted",
                "executionStartedEventDetails",
                {"input": input, "inputDetails": _NO_DETAILS, "roleArn": self.ctx.role_arn},
            )
            frame = Frame({}, ())
        else:
            redriven = Event("ExecutionRedriven", "executionRedrivenEventDetails",
                             {"redriveCount": redrive.redrive_count}, redrive.next_event_id - 1)
            yield redriven
            frame = Frame({}, (), redriven.id)
        self.root_variables = frame.variables  # type: ignore[assignment]
        try:
            if redrive is not None:
                output = yield from self.run_states(self.machine.body, redrive.root.input, frame, redrive.root)
            elif self.check_limits and exceeds_payload_limit(input):
                raise StatesError(
                    "States.DataLimitExceeded",
                    "The input of the execution has a size exceeding the maximum number of bytes service limit.",
                )
            else:
                output = yield from self.run_states(self.machine.body, input, frame)
        except ExecutionTimedOut:
            # AWS records no cause and links the event to nothing (previousEventId 0).
            yield Event("ExecutionTimedOut", "executionTimedOutEventDetails", {"error": "States.Timeout"}, 0)
            return Outcome("TIMED_OUT", error="States.Timeout")
        except Aborted:
            yield Event("ExecutionAborted", "executionAbortedEventDetails", {}, frame.last)
            return Outcome("ABORTED")
        except StatesError as err:
            details: dict[str, Any] = {}
            if err.error is not None:
                details["error"] = err.error
            if err.cause is not None:
                details["cause"] = err.cause
            yield Event("ExecutionFailed", "executionFailedEventDetails", details, frame.last)
            return Outcome("FAILED", error=err.error, cause=err.cause)
        yield Event(
            "ExecutionSucceeded",
            "executionSucceededEventDetails",
            {"output": output, "outputDetails": _NO_DETAILS},
            frame.last,
        )
        return Outcome("SUCCEEDED", output=output)

    # ------------------------------------------------------------ events

    def event(self, frame: Frame, state: State, type: str, key: str | None = None,
              details: dict[str, Any] | None = None) -> Event:
        """An event about ``state`` in ``frame``'s thread (the caller decides whether it links on)."""
        return Event(type, key, details, frame.last, frame.scope + (state.name,), frame.child)

    def enter(self, frame: Frame, state: State, value: Any) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        return ev

    def entered(self, frame: Frame, state: State, value: Any) -> Event:
        """The state's ``…StateEntered`` event; :meth:`enter` yields it (the Pass runner does it itself)."""
        return Event(state.entered_type, "stateEnteredEventDetails",
                     {"name": state.name, "input": value, "inputDetails": _NO_DETAILS},
                     frame.last, frame.scope + (state.name,), frame.child)

    def leave(self, frame: Frame, state: State, output: Any, assigned: dict[str, Any] | None) -> Gen:
        ev = self.exited(frame, state, output, assigned)
        yield ev
        frame.last = ev.id

    def exited(self, frame: Frame, state: State, output: Any, assigned: dict[str, Any] | None) -> Event:
        """The state's ``…StateExited`` event; :meth:`leave` yields it."""
        details: dict[str, Any] = {"name": state.name, "output": output, "outputDetails": _NO_DETAILS}
        if assigned:
            details["assignedVariables"] = {k: compact_json(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = _NO_DETAILS
        return Event(state.exited_type, "stateExitedEventDetails", details, frame.last,
                     frame.scope + (state.name,), frame.child)

    def failed(self, err: StatesError, state: State, entered: Event, frame: Frame) -> Gen:
        """Give a state's failure AWS's cause prefix, and record EvaluationFailed for JSONata errors."""
        if err.error in _PREFIXED and not err.extra.get("prefixed"):
            err.cause = (
                f"An error occurred while executing the state '{state.name}' "
                f"(entered at the event id #{entered.id}). {err.cause}"
            )
            err.extra["prefixed"] = True
        if err.evaluation and not err.extra.get("recorded"):
            err.extra["recorded"] = True
            details = {"error": err.error, "cause": err.cause, "location": err.location, "state": state.name}
            if err.location is None:
                del details["location"]
            # AWS links EvaluationFailed to the event before the state, except for Wait timestamps.
            previous = entered.id if err.location == "Timestamp" else entered.previous
            ev = Event("EvaluationFailed", "evaluationFailedEventDetails", details, previous,
                       frame.scope + (state.name,), frame.child)
            yield ev
            frame.last = ev.id
        return err

    # ------------------------------------------------------------ evaluation environments

    def env(self, frame: Frame, state: State, value: Any, entered: Event, retry_count: int | None = None,
            task_token: str | None = None) -> Env:
        """What a JSONPath expression sees: ``$`` = value, ``$$`` built on demand, ``$var``."""
        return Env(value, frame.variables, None,
                   partial(self.ctx.state_context, state.name, entered.timestamp, retry_count, task_token), self.rng)

    def scope(self, frame: Frame, state: State, raw: Any, entered: Event, result: Any = _UNSET,
              error_output: Any = _UNSET, retry_count: int | None = None, task_token: str | None = None,
              context: Any = None) -> Any:
        """What a JSONata expression sees: ``$states`` and the variables."""
        from aslrun.expressions.jsonata import Scope

        states: dict[str, Any] = {"input": raw}
        if context is not None:
            states["context"] = context
        elif self.reads_context(state):
            states["context"] = self.ctx.state_context(state.name, entered.timestamp, retry_count, task_token)
        if result is not _UNSET:
            states["result"] = result
        if error_output is not _UNSET:
            states["errorOutput"] = error_output
        return Scope(states, frame.variables, self.rng, entered.timestamp)

    def reads_context(self, state: State) -> bool:
        """Does any JSONata field of ``state`` read ``$states.context``? (Building it costs; most don't.)"""
        known = self._reads_context.get(id(state))
        if known is None:
            known = any(getattr(field, "reads_context", False) for field in _jsonata_fields(state))
            self._reads_context[id(state)] = known
        return known

    def check_result(self, state: State, value: Any, template: Any = None) -> None:
        """States.DataLimitExceeded for a result over 256 KiB (``template``: the one that may have built it)."""
        if self.check_limits and self.sizes.exceeds(value, template):
            raise StatesError(
                "States.DataLimitExceeded",
                f"The state/task '{state.name}' returned a result with a size exceeding the maximum number "
                "of bytes service limit.",
            )

    # ------------------------------------------------------------ variables

    def assign_values(self, state: State, assign: Any, source: Any) -> dict[str, Any] | None:
        """Evaluate an Assign block against ``source`` (an Env in JSONPath, a Scope in JSONata).

        Nothing changes yet: every right-hand side sees the values as they were on state entry.
        """
        if assign is None:
            return None
        if state.jsonata:
            values = jflow.evaluate(assign, source, "Assign")
        else:
            values = assign.evaluate(source)
        if self.check_limits and values:
            total = 0
            for name, value in values.items():
                size = payload_size(value)
                total += size
                if size > defaults.MAX_PAYLOAD_BYTES:
                    raise StatesError(
                        "States.DataLimitExceeded",
                        f"The variable '{name}' assigned in state '{state.name}' has a size exceeding the "
                        "maximum number of bytes service limit.",
                    )
            if total > defaults.MAX_PAYLOAD_BYTES:
                raise StatesError(
                    "States.DataLimitExceeded",
                    f"The variables assigned in state '{state.name}' have a combined size exceeding the "
                    "maximum number of bytes service limit.",
                )
        return values

    def apply(self, frame: Frame, values: dict[str, Any] | None) -> dict[str, Any] | None:
        """Store assigned variables; all stored variables of an execution stay within 10 MiB."""
        if values:
            if self.check_limits:
                store = frame.variables.maps[0] if isinstance(frame.variables, ChainMap) else frame.variables
                for name, value in values.items():
                    self.variable_bytes[(id(store), name)] = payload_size(value)
                if sum(self.variable_bytes.values()) > defaults.MAX_VARIABLES_BYTES:
                    raise StatesError(
                        "States.DataLimitExceeded",
                        "The variables of the execution have a combined size exceeding the maximum number of "
                        f"bytes service limit ({defaults.MAX_VARIABLES_BYTES} bytes).",
                    )
            frame.variables.update(values)
        return values

    # ------------------------------------------------------------ walking

    def run_states(self, body: States, value: Any, frame: Frame, resume: Resume | None = None) -> Gen:
        """Run one States object from StartAt (or where ``resume`` says) to a terminal state; return its output."""
        states = body.states
        name: str | None = body.start_at
        if resume is not None:  # a redrive: the thread goes on where it stopped, with what it assigned
            name, value, frame.resume = resume.state, resume.input, resume
            frame.variables.update(resume.variables)
        while name is not None:
            state = states[name]
            kind = type(state)
            try:
                name, value = yield from self.runners[kind](state, value, frame)
            except ExecutionTimedOut:
                raise  # AWS records nothing for the running states when the execution times out
            except Aborted:
                # Wherever the stop lands inside these states, AWS records the state as aborted.
                if kind in _ABORTABLE:
                    yield self.event(frame, state, state.type + "StateAborted")
                raise
            except StatesError as err:
                # A Task failing a Parallel branch is recorded as aborted when the branch ends.
                if kind is TaskState and frame.kind == "branch" and err.error not in _NEVER_HANDLED:
                    yield self.event(frame, state, "TaskStateAborted")
                raise
        return value


    @staticmethod
    def next_name(state: State) -> str | None:
        return None if state.end else state.next

    # ------------------------------------------------------------ simple states

    def run_pass(self, state: PassState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        try:
            if self.inspect:
                value = yield Stage(state, "input", value, frame.scope)
            if state.jsonata:
                scope = self.scope(frame, state, value, ev)
                values = self.assign_values(state, state.assign, scope)
                output = jflow.evaluate(state.output, scope, "Output") if state.output is not None else value
                self.check_result(state, output)
            else:
                env = self.env(frame, state, value, ev)
                effective = apply_input_path(state.input_path, env)
                if self.inspect:
                    effective = yield Stage(state, "afterInputPath", effective, frame.scope)
                if state.parameters is not None:
                    effective = state.parameters.evaluate(env.with_input(effective))
                    if self.inspect:
                        effective = yield Stage(state, "afterParameters", effective, frame.scope)
                result = state.result if state.has_result else effective
                if self.inspect:
                    result = yield Stage(state, "result", result, frame.scope)
                self.check_result(state, result, state.parameters)
                output = apply_result_path(state.result_path, value, result)
                if self.inspect:
                    output = yield Stage(state, "afterResultPath", output, frame.scope)
                output = apply_output_path(state.output_path, output, env)
                values = self.assign_values(state, state.assign, env.with_input(result)) \
                    if state.assign is not None else None
            if self.inspect:
                output = yield Stage(state, "output", output, frame.scope)
        except StatesError as err:
            raise (yield from self.failed(err, state, ev, frame)) from None
        ev = self.exited(frame, state, output, self.apply(frame, values))
        yield ev
        frame.last = ev.id
        return self.next_name(state), output

    def run_succeed(self, state: SucceedState, value: Any, frame: Frame) -> Gen:
        ev = yield from self.enter(frame, state, value)
        try:
            if self.inspect:
                value = yield Stage(state, "input", value, frame.scope)
            if state.jsonata:
                output = value
                if state.output is not None:
                    output = jflow.evaluate(state.output, self.scope(frame, state, value, ev), "Output")
            else:
                env = self.env(frame, state, value, ev)
                output = apply_input_path(state.input_path, env)
                output = apply_output_path(state.output_path, output, env)
            if self.inspect:
                output = yield Stage(state, "output", output, frame.scope)
        except StatesError as err:
            raise (yield from self.failed(err, state, ev, frame)) from None
        yield from self.leave(frame, state, output, None)
        return None, output

    def run_fail(self, state: FailState, value: Any, frame: Frame) -> Gen:
        ev = yield from self.enter(frame, state, value)
        try:
            if state.jsonata:
                scope = self.scope(frame, state, value, ev)
                error = jflow.evaluate_typed(state.error, scope, "Error", "string") \
                    if jflow.is_field(state.error) else state.error
                cause = jflow.evaluate_typed(state.cause, scope, "Cause", "string") \
                    if jflow.is_field(state.cause) else state.cause
            else:
                env = self.env(frame, state, value, ev)
                error = state.error_path(env) if state.error_path is not None else state.error
                cause = state.cause_path(env) if state.cause_path is not None else state.cause
        except StatesError as err:
            raise (yield from self.failed(err, state, ev, frame)) from None
        raise StatesError(_as_text(error), _as_text(cause))

    def run_choice(self, state: ChoiceState, value: Any, frame: Frame) -> Gen:
        ev = yield from self.enter(frame, state, value)
        try:
            if self.inspect:
                value = yield Stage(state, "input", value, frame.scope)
            if state.jsonata:
                target, output, values = self.choose_jsonata(state, value, frame, ev)
            else:
                env = self.env(frame, state, value, ev)
                effective = apply_input_path(state.input_path, env)
                if self.inspect:
                    effective = yield Stage(state, "afterInputPath", effective, frame.scope)
                cenv = env.with_input(effective) if effective is not value else env
                target = None
                assign = None
                for branch in state.choices:
                    if branch.condition.evaluate(cenv):
                        # The chosen rule's Assign replaces the state's, even when the rule has none.
                        target = branch.next
                        assign = branch.assign
                        break
                if target is None:
                    target = self.no_choice(state)
                    assign = state.assign
                output = apply_output_path(state.output_path, effective, env)
                values = self.assign_values(state, assign, cenv)
            if self.inspect:
                output = yield Stage(state, "output", output, frame.scope)
        except StatesError as err:
            raise (yield from self.failed(err, state, ev, frame)) from None
        yield from self.leave(frame, state, output, self.apply(frame, values))
        return target, output

    def choose_jsonata(self, state: ChoiceState, value: Any, frame: Frame, ev: Event) -> tuple[Any, Any, Any]:
        scope = self.scope(frame, state, value, ev)
        for branch in state.choices:
            cond = branch.condition
            matched = jflow.evaluate_typed(cond, scope, "Condition", "boolean") if jflow.is_field(cond) \
                else bool(cond)
            if matched:
                # The chosen rule's Assign and Output replace the state's, even when the rule has none.
                values = self.assign_values(state, branch.assign, scope)
                output = jflow.evaluate(branch.output, scope, "Output") if branch.output is not None else value
                return branch.next, output, values
        target = self.no_choice(state)
        values = self.assign_values(state, state.assign, scope)
        output = jflow.evaluate(state.output, scope, "Output") if state.output is not None else value
        return target, output, values

    @staticmethod
    def no_choice(state: ChoiceState) -> str:
        if state.default is None:
            # The spec names States.NoChoiceMatched; AWS fails with States.Runtime and this cause.
            raise StatesError(
                "States.Runtime",
                "Failed to transition out of the state. The state does not point to a next state.",
            )
        return state.default

    def run_wait(self, state: WaitState, value: Any, frame: Frame) -> Gen:
        ev = yield from self.enter(frame, state, value)
        try:
            if self.inspect:
                value = yield Stage(state, "input", value, frame.scope)
            if state.jsonata:
                scope = self.scope(frame, state, value, ev)
                seconds = yield from wait_seconds_jsonata(state, scope)
            else:
                env = self.env(frame, state, value, ev)
                effective = apply_input_path(state.input_path, env)
                if self.inspect:
                    effective = yield Stage(state, "afterInputPath", effective, frame.scope)
                seconds = yield from wait_seconds(state, env.with_input(effective))
        except StatesError as err:
            raise (yield from self.failed(err, state, ev, frame)) from None
        if seconds > 0:
            yield Sleep(seconds, "wait")
        try:
            if state.jsonata:
                values = self.assign_values(state, state.assign, scope)
                output = jflow.evaluate(state.output, scope, "Output") if state.output is not None else value
            else:
                output = apply_output_path(state.output_path, effective, env)
                values = self.assign_values(state, state.assign, env.with_input(effective))
            if self.inspect:
                output = yield Stage(state, "output", output, frame.scope)
        except StatesError as err:
            raise (yield from self.failed(err, state, ev, frame)) from None
        yield from self.leave(frame, state, output, self.apply(frame, values))
        return self.next_name(state), output

    # ------------------------------------------------------------ retry / catch

    def handle_failure(self, state: Any, err: StatesError, counts: list[int], frame: Frame,
                       raw_input: Any, entered: Event, env: Env | None) -> Gen:
        """What a failure does: ``("retry", None)`` after the backoff, ``("catch", (next, output, values))``
        or ``("raise", None)``."""
        name = err.error
        heartbeat = bool(err.extra.get("heartbeat"))
        if err.extra.get("final"):
            return "raise", None
        if self.inspect:
            decision = yield Stage(state, "error", self.failure_plan(state, err, counts, heartbeat), frame.scope)
            if isinstance(decision, tuple) and decision and decision[0] == "skip":
                return "catch", (self.next_name(state), decision[1], None)
            if decision == "retry":
                return "retry", None
        for i, retrier in enumerate(state.retry):
            if error_matches(retrier.error_equals, name, heartbeat):
                if counts[i] < retrier.max_attempts:
                    counts[i] += 1
                    delay = retry_delay(retrier, counts[i], self.rng.uniform)
                    if delay > 0:
                        yield Sleep(delay, "retry")
                    return "retry", None
                break
        for catcher in state.catch:
            if not error_matches(catcher.error_equals, name, heartbeat):
                continue
            error_output: dict[str, Any] = {"Error": name}
            if err.cause is not None:
                error_output["Cause"] = err.cause
            if state.jsonata:
                scope = self.scope(frame, state, raw_input, entered, error_output=error_output)
                values = self.assign_values(state, catcher.assign, scope)
                output = jflow.evaluate(catcher.output, scope, "Output") \
                    if catcher.output is not None else error_output
            else:
                output = apply_result_path(catcher.result_path, raw_input, error_output)
                assert env is not None
                values = self.assign_values(state, catcher.assign, env.with_input(error_output))
            return "catch", (catcher.next, output, values)
        return "raise", None

    def failure_plan(self, state: Any, err: StatesError, counts: list[int], heartbeat: bool) -> dict[str, Any]:
        """What Retry/Catch will do with ``err``, for inspection (the debugger, TestState)."""
        plan: dict[str, Any] = {"Error": err.error, "Cause": err.cause, "retryIndex": None, "catchIndex": None}
        for i, retrier in enumerate(state.retry):
            if error_matches(retrier.error_equals, err.error, heartbeat):
                if counts[i] < retrier.max_attempts:
                    plan["retryIndex"] = i
                    plan["retryAttempt"] = counts[i] + 1
                    plan["retryBackoffIntervalSeconds"] = retry_delay(retrier, counts[i] + 1)
                    return plan
                break
        for j, catcher in enumerate(state.catch):
            if error_matches(catcher.error_equals, err.error, heartbeat):
                plan["catchIndex"] = j
                plan["next"] = catcher.next
                return plan
        return plan

    def recover(self, state: Any, err: StatesError, counts: list[int], frame: Frame, value: Any,
                entered: Event, env: Env | None) -> Gen:
        """Retry/Catch for Task, Parallel and Map: returns None to retry, or (next, output) when caught."""
        try:
            action, payload = yield from self.handle_failure(state, err, counts, frame, value, entered, env)
        except StatesError as inner:
            raise (yield from self.failed(inner, state, entered, frame)) from None
        if action == "retry":
            return None
        if err.extra.get("container"):
            # A Parallel/Map records its failure once, when no retry follows.
            failed = self.event(frame, state, state.type + "StateFailed")
            yield failed
            frame.last = failed.id
        if action == "catch":
            target, output, values = payload
            yield from self.leave(frame, state, output, self.apply(frame, values))
            return target, output
        raise err

    # ------------------------------------------------------------ Task

    def task_output(self, state: Any, raw: Any, result: Any, frame: Frame, entered: Event, env: Env | None,
                    retries: int | None = None, token: str | None = None) -> Gen:
        """A Task/Parallel/Map result -> (state output, assigned values)."""
        if state.jsonata:
            scope = self.scope(frame, state, raw, entered, result=result, retry_count=retries, task_token=token)
            values = self.assign_values(state, state.assign, scope)
            output = jflow.evaluate(state.output, scope, "Output") if state.output is not None else result
        else:
            assert env is not None
            selected = state.result_selector.evaluate(env.with_input(result)) \
                if state.result_selector is not None else result
            if self.inspect and state.result_selector is not None:
                selected = yield Stage(state, "afterResultSelector", selected, frame.scope)
            output = apply_result_path(state.result_path, raw, selected)
            if self.inspect:
                output = yield Stage(state, "afterResultPath", output, frame.scope)
            output = apply_output_path(state.output_path, output, env)
            values = self.assign_values(state, state.assign, env.with_input(selected))
        if self.inspect:
            output = yield Stage(state, "output", output, frame.scope)
        return output, values

    # ------------------------------------------------------------ Parallel

    def run_parallel(self, state: ParallelState, value: Any, frame: Frame) -> Gen:
        resumed = take_resume(frame, state)
        prior = resumed.children if resumed is not None else None
        ev = yield from self.enter(frame, state, value)
        counts = [0] * len(state.retry)
        while True:
            env = None if state.jsonata else self.env(frame, state, value, ev)
            try:
                try:
                    if state.jsonata:
                        scope = self.scope(frame, state, value, ev)
                        effective = jflow.evaluate(state.arguments, scope, "Arguments") \
                            if state.arguments is not None else value
                    else:
                        assert env is not None
                        effective = apply_input_path(state.input_path, env)
                        if state.parameters is not None:
                            effective = state.parameters.evaluate(env.with_input(effective))
                except StatesError as err:
                    raise (yield from self.failed(err, state, ev, frame)) from None
                started = self.event(frame, state, "ParallelStateStarted")
                yield started
                frame.last = started.id
                handles = []
                results: list[Any] = [None] * len(state.branches)
                for i, branch in enumerate(state.branches):
                    before = prior.get(i) if prior is not None else None
                    if isinstance(before, Done):  # a redrive keeps a branch that succeeded
                        results[i] = before.output
                        continue
                    child = frame.nested((state.name, i), "branch")
                    handle = yield Spawn(self.run_states(branch, effective, child, before), f"{state.name}[{i}]")
                    handles.append((i, handle, child))
                yield from self.join(state, frame, handles, results)
                yield self.event(frame, state, "ParallelStateSucceeded")
                return (yield from self.finish(state, value, results, frame, ev, env))
            except StatesError as err:
                caught = yield from self.recover(state, err, counts, frame, value, ev, env)
                if caught is None:
                    continue
                return caught

    def finish(self, state: Any, value: Any, results: list[Any], frame: Frame, entered: Event,
               env: Env | None) -> Gen:
        """A Parallel's or Map's results -> the state's output, its variables, and the exit event."""
        try:
            if self.inspect:
                results = yield Stage(state, "result", results, frame.scope)
            self.check_result(state, results)
            output, values = yield from self.task_output(state, value, results, frame, entered, env)
        except StatesError as err:
            raise (yield from self.failed(err, state, entered, frame)) from None
        yield from self.leave(frame, state, output, self.apply(frame, values))
        return self.next_name(state), output

    def join(self, state: Any, frame: Frame, handles: list[tuple[int, Any, Frame]], results: list[Any]) -> Gen:
        """Wait for every child, putting its output at its index in ``results``; on the first failure
        cancel the rest and raise it."""
        index = {id(h): (i, child) for i, h, child in handles}
        pending = [h for _, h, _ in handles]
        done: list[Any] = []  # finished children not yet taken: one WaitAny per wake-up, not per child
        while pending:
            if not done:
                try:
                    yield WaitAny(pending)
                except Aborted as stop:
                    for h in pending:
                        yield Cancel(h, silent=isinstance(stop, ExecutionTimedOut))
                    raise
                done = finished_in_order(pending)
            finished = done.pop()
            pending.remove(finished)
            i, child = index[id(finished)]
            frame.last = max(frame.last, child.last)
            outcome: ChildOutcome = finished.outcome
            if not outcome.ok:
                raise (yield from self.child_failed(outcome, pending))
            results[i] = outcome.value
        return results

    def child_failed(self, outcome: ChildOutcome, pending: list[Any]) -> Gen:
        """A branch or iteration failed: stop the others; the error becomes the Parallel/Map's own.

        A States.Runtime error ends everything at once, as AWS records it: no aborted or failed events.
        """
        runtime = outcome.error in _NEVER_HANDLED
        for h in pending:
            yield Cancel(h, silent=runtime)
        err = StatesError(outcome.error, outcome.cause)
        if runtime:
            err.extra["prefixed"] = True
        else:
            err.extra["container"] = True
        return err


def _jsonata_fields(state: Any) -> list[Any]:
    """Every compiled JSONata field of a state, its Choice rules and Catchers included."""
    fields: list[Any] = []
    for name in ("output", "assign", "arguments", "items", "item_selector", "seconds", "timestamp", "error",
                 "cause", "timeout_seconds", "heartbeat_seconds", "credentials", "max_concurrency",
                 "tolerated_failure_count", "tolerated_failure_percentage"):
        fields.append(getattr(state, name, None))
    for rule in getattr(state, "choices", ()):
        fields += [rule.condition, rule.output, rule.assign]
    for catcher in getattr(state, "catch", ()):
        fields += [catcher.output, catcher.assign]
    batcher = getattr(state, "item_batcher", None)
    if batcher:
        fields += list(batcher.values())
    return [f for f in fields if jflow.is_field(f)]


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return compact_json(value)
