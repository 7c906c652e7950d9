"""The pure core: walks states, applies data flow, Retry and Catch.

:meth:`Engine.run` returns a generator that yields :class:`~aslrun.effects.Event`
objects and effects (:mod:`aslrun.effects`) and returns the execution's outcome.
It never sleeps, reads a clock, or does I/O: the driver in :mod:`aslrun.execution`
does those things and resumes the generator. Randomness (retry jitter, UUIDs) comes
from the execution's own seeded ``random.Random``.
"""

from __future__ import annotations

import math
from collections import ChainMap
from collections.abc import Generator, MutableMapping
from datetime import datetime
from typing import Any

from aslrun import defaults
from aslrun.context import ContextFactory
from aslrun.dataflow import (
    apply_input_path,
    apply_output_path,
    apply_result_path,
    compact_json,
    exceeds_payload_limit,
    payload_size,
)
from aslrun.effects import Aborted, Cancel, ChildOutcome, Event, Invoke, Now, Sleep, Spawn, WaitAny
from aslrun.errors import StatesError
from aslrun.expressions.access import Env
from aslrun.expressions.jsonpath import PathNotFound
from aslrun.integrations.arn import resource_type_and_name
from aslrun.nodes import (
    Catcher,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    Retrier,
    State,
    StateMachine,
    States,
    SucceedState,
    TaskState,
    WaitState,
)

__all__ = ["Engine", "ExecutionTimedOut", "Frame", "Outcome", "error_matches", "retry_delay"]

Gen = Generator[Any, Any, Any]

#: errors that no Retry or Catch ever handles
_NEVER_HANDLED = frozenset({"States.Runtime"})
#: errors that States.ALL does not match. AWS's guide also names States.DataLimitExceeded here, but
#: recorded executions show States.ALL catching an oversized task result, so only Runtime is excluded.
_NOT_IN_ALL = frozenset({"States.Runtime"})
#: errors whose cause AWS prefixes with "An error occurred while executing the state ..."
_PREFIXED = frozenset({"States.Runtime", "States.QueryEvaluationError"})

_NO_DETAILS: dict[str, Any] = {"truncated": False}


class ExecutionTimedOut(Aborted):
    """Thrown into the root run when the machine's TimeoutSeconds expires."""


class Outcome:
    """How an execution ended."""

    __slots__ = ("status", "output", "error", "cause")

    def __init__(self, status: str, output: Any = None, error: str | None = None,
                 cause: str | None = None) -> None:
        self.status = status
        self.output = output
        self.error = error
        self.cause = cause


def error_matches(error_equals: tuple[str, ...], error: str | None) -> bool:
    """Does a retrier's or catcher's ``ErrorEquals`` match ``error``?"""
    name = error or ""
    if name in _NEVER_HANDLED or name.startswith("aslrun."):
        return False
    for candidate in error_equals:
        if candidate == name:
            return True
        if candidate == "States.ALL":
            return name not in _NOT_IN_ALL
        # AWS's guide: States.TaskFailed matches any known error except States.Timeout.
        if candidate == "States.TaskFailed" and name != "States.Timeout":
            return True
    return False


def retry_delay(retrier: Retrier, attempt: int, uniform: Any = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based) of ``retrier``."""
    base = retrier.interval_seconds * (retrier.backoff_rate ** (attempt - 1))
    if retrier.max_delay_seconds is not None:
        base = min(base, retrier.max_delay_seconds)
    if retrier.jitter == "FULL" and uniform is not None:
        return float(uniform(0.0, base))
    return float(base)


class Frame:
    """One thread of control: the execution itself, a Parallel branch or a Map iteration."""

    __slots__ = ("last", "variables", "scope", "child", "depth")

    def __init__(self, variables: MutableMapping[str, Any], scope: tuple[Any, ...] = (), last: int = 0,
                 child: Any = None, depth: int = 0) -> None:
        self.last = last
        self.variables = variables
        self.scope = scope
        self.child = child
        self.depth = depth


class Engine:
    """Runs one execution of ``machine``; create one per execution."""

    def __init__(
        self,
        machine: StateMachine,
        context: ContextFactory,
        rng: Any,
        region: str = defaults.REGION,
        check_payload_limits: bool = True,
    ) -> None:
        self.machine = machine
        self.ctx = context
        self.rng = rng
        self.region = region
        self.check_limits = check_payload_limits
        self.map_run_counter = 0
        self.root_variables: dict[str, Any] = {}

    # ------------------------------------------------------------ entry point

    def run(self, input: Any) -> Gen:
        """The execution: ExecutionStarted, the states, then the final event."""
        started = Event(
            "ExecutionStarted",
            "executionStartedEventDetails",
            {"input": input, "inputDetails": _NO_DETAILS, "roleArn": self.ctx.role_arn},
        )
        yield started
        frame = Frame({}, ())
        self.root_variables = frame.variables
        try:
            if self.check_limits and exceeds_payload_limit(input):
                raise StatesError(
                    "States.DataLimitExceeded",
                    "The input of the execution has a size exceeding the maximum number of bytes service limit.",
                )
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

    # ------------------------------------------------------------ helpers

    def emit(self, frame: Frame, type: str, key: str | None, details: dict[str, Any] | None,
             link: bool = True) -> Event:
        ev = Event(type, key, details, frame.last, frame.scope, frame.child)
        return ev

    def entered(self, frame: Frame, state: State, value: Any) -> Event:
        return Event(
            state.type + "StateEntered",
            "stateEnteredEventDetails",
            {"name": state.name, "input": value, "inputDetails": _NO_DETAILS},
            frame.last,
            frame.scope + (state.name,),
            frame.child,
        )

    def exited(self, frame: Frame, state: State, output: Any, assigned: dict[str, Any] | None) -> Event:
        details: dict[str, Any] = {"name": state.name, "output": output, "outputDetails": _NO_DETAILS}
        if assigned:
            details["assignedVariables"] = {k: compact_json(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = _NO_DETAILS
        return Event(state.type + "StateExited", "stateExitedEventDetails", details, frame.last,
                     frame.scope + (state.name,), frame.child)

    def env(self, frame: Frame, state: State, value: Any, entered: Event, retry_count: int | None = None,
            task_token: str | None = None) -> Env:
        ctx = self.ctx
        return Env(
            value,
            frame.variables,
            context_factory=lambda: ctx.state_context(state.name, entered.timestamp, retry_count, task_token),
            rng=self.rng,
        )

    def fail_in_state(self, err: StatesError, state: State, entered_id: int) -> StatesError:
        if err.error in _PREFIXED and not err.extra.get("prefixed"):
            err.cause = (
                f"An error occurred while executing the state '{state.name}' "
                f"(entered at the event id #{entered_id}). {err.cause}"
            )
            err.extra["prefixed"] = True
        return err

    def check_result(self, state: State, value: Any) -> None:
        if self.check_limits and exceeds_payload_limit(value):
            raise StatesError(
                "States.DataLimitExceeded",
                f"The state/task '{state.name}' returned a result with a size exceeding the maximum number "
                "of bytes service limit.",
            )

    def assign(self, frame: Frame, state: State, template: Any, env: Env) -> dict[str, Any] | None:
        """Evaluate an Assign block; variables change only after the whole block is evaluated."""
        if template is None:
            return None
        values = template.evaluate(env)
        if self.check_limits:
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
        frame.variables.update(values)
        return values

    # ------------------------------------------------------------ walking

    def run_states(self, body: States, value: Any, frame: Frame) -> Gen:
        """Run one States object from StartAt to a terminal state; return its output."""
        states = body.states
        name: str | None = body.start_at
        while name is not None:
            state = states[name]
            kind = type(state)
            if kind is PassState:
                name, value = yield from self.run_pass(state, value, frame)  # type: ignore[arg-type]
            elif kind is ChoiceState:
                name, value = yield from self.run_choice(state, value, frame)  # type: ignore[arg-type]
            elif kind is TaskState:
                name, value = yield from self.run_task(state, value, frame)  # type: ignore[arg-type]
            elif kind is WaitState:
                name, value = yield from self.run_wait(state, value, frame)  # type: ignore[arg-type]
            elif kind is SucceedState:
                name, value = yield from self.run_succeed(state, value, frame)  # type: ignore[arg-type]
            elif kind is FailState:
                yield from self.run_fail(state, value, frame)  # type: ignore[arg-type]
            elif kind is ParallelState:
                name, value = yield from self.run_parallel(state, value, frame)  # type: ignore[arg-type]
            elif kind is MapState:
                name, value = yield from self.run_map(state, value, frame)  # type: ignore[arg-type]
            else:  # pragma: no cover - the parser builds only the eight types
                raise StatesError("States.Runtime", f"Unknown state type {state.type}")
        return value

    def _next(self, state: State) -> str | None:
        return None if state.end else state.next

    # ------------------------------------------------------------ simple states

    def run_pass(self, state: PassState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        try:
            env = self.env(frame, state, value, ev)
            effective = apply_input_path(state.input_path, env)
            if state.parameters is not None:
                effective = state.parameters.evaluate(env.with_input(effective))
            result = state.result if state.has_result else effective
            self.check_result(state, result)
            output = apply_result_path(state.result_path, value, result)
            output = apply_output_path(state.output_path, output, env)
            assigned = self.assign(frame, state, state.assign, env.with_input(result))
        except StatesError as err:
            raise self.fail_in_state(err, state, ev.id) from None
        out = self.exited(frame, state, output, assigned)
        yield out
        frame.last = out.id
        return self._next(state), output

    def run_succeed(self, state: SucceedState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        try:
            env = self.env(frame, state, value, ev)
            output = apply_input_path(state.input_path, env)
            output = apply_output_path(state.output_path, output, env)
        except StatesError as err:
            raise self.fail_in_state(err, state, ev.id) from None
        out = self.exited(frame, state, output, None)
        yield out
        frame.last = out.id
        return None, output

    def run_fail(self, state: FailState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        env = self.env(frame, state, value, ev)
        try:
            error = state.error
            cause = state.cause
            if state.error_path is not None:
                error = state.error_path(env)
            if state.cause_path is not None:
                cause = state.cause_path(env)
        except StatesError as err:
            raise self.fail_in_state(err, state, ev.id) from None
        raise StatesError(_as_text(error), _as_text(cause))

    def run_choice(self, state: ChoiceState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        try:
            env = self.env(frame, state, value, ev)
            effective = apply_input_path(state.input_path, env)
            cenv = env.with_input(effective) if effective is not value else env
            target = None
            assign = state.assign
            for branch in state.choices:
                if branch.condition.evaluate(cenv):
                    target = branch.next
                    if branch.assign is not None:
                        assign = branch.assign
                    break
            if target is None:
                if state.default is None:
                    # The spec names States.NoChoiceMatched; AWS fails with States.Runtime and this cause.
                    raise StatesError(
                        "States.Runtime",
                        "Failed to transition out of the state. The state does not point to a next state.",
                    )
                target = state.default
            output = apply_output_path(state.output_path, effective, env)
            assigned = self.assign(frame, state, assign, cenv)
        except StatesError as err:
            raise self.fail_in_state(err, state, ev.id) from None
        out = self.exited(frame, state, output, assigned)
        yield out
        frame.last = out.id
        return target, output

    def run_wait(self, state: WaitState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        try:
            env = self.env(frame, state, value, ev)
            effective = apply_input_path(state.input_path, env)
            seconds = yield from self.wait_seconds(state, env.with_input(effective))
        except StatesError as err:
            raise self.fail_in_state(err, state, ev.id) from None
        try:
            if seconds > 0:
                yield Sleep(seconds, "wait")
        except Aborted:
            yield Event("WaitStateAborted", None, None, frame.last, frame.scope + (state.name,), frame.child)
            raise
        try:
            output = apply_output_path(state.output_path, effective, env)
            assigned = self.assign(frame, state, state.assign, env.with_input(effective))
        except StatesError as err:
            raise self.fail_in_state(err, state, ev.id) from None
        out = self.exited(frame, state, output, assigned)
        yield out
        frame.last = out.id
        return self._next(state), output

    def wait_seconds(self, state: WaitState, env: Env) -> Gen:
        if state.seconds is not None:
            seconds = float(state.seconds)
        elif state.seconds_path is not None:
            path = state.seconds_path
            raw = _resolve(path, env)
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or (
                isinstance(raw, float) and not raw.is_integer()
            ):
                raise StatesError(
                    "States.Runtime",
                    f"The SecondsPath parameter cannot be parsed as a long value: {path.text} == {_java_text(raw)}",
                )
            if raw < 0:
                raise StatesError(
                    "States.Runtime",
                    f"The SecondsPath parameter references a negative value: {path.text} == {_java_text(raw)}",
                )
            seconds = float(raw)
        else:
            if state.timestamp is not None:
                until = state.timestamp
            else:
                from aslrun.expressions.timestamps import parse_timestamp

                path = state.timestamp_path
                raw = _resolve(path, env)
                until = parse_timestamp(raw) if isinstance(raw, str) else None
                if until is None:
                    raise StatesError(
                        "States.Runtime",
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset "
                        f"date-time format string: {path.text} == {_java_text(raw)}",
                    )
            now: datetime = yield Now()
            seconds = max(0.0, (until - now).total_seconds())
        if seconds > defaults.MAX_WAIT_SECONDS:
            raise StatesError("States.Runtime", "Wait state delay is too long.")
        return seconds

    # ------------------------------------------------------------ retry / catch

    def handle_failure(self, state: Any, err: StatesError, counts: list[int], frame: Frame,
                       raw_input: Any, env: Env) -> Gen:
        """Decide what a failure does: ('retry', None) after the backoff, or ('catch', (next, output))."""
        name = err.error
        if err.extra.get("final"):
            return "raise", None
        for i, retrier in enumerate(state.retry):
            if error_matches(retrier.error_equals, name):
                if counts[i] < retrier.max_attempts:
                    counts[i] += 1
                    delay = retry_delay(retrier, counts[i], self.rng.uniform)
                    if delay > 0:
                        yield Sleep(delay, "retry")
                    return "retry", None
                break
        catcher: Catcher
        for catcher in state.catch:
            if error_matches(catcher.error_equals, name):
                error_output: dict[str, Any] = {"Error": name}
                if err.cause is not None:
                    error_output["Cause"] = err.cause
                else:
                    error_output["Cause"] = None
                error_output = {k: v for k, v in error_output.items() if v is not None or k == "Error"}
                output = apply_result_path(catcher.result_path, raw_input, error_output)
                assigned = self.assign(frame, state, catcher.assign, env.with_input(error_output))
                return "catch", (catcher.next, output, assigned)
        return "raise", None

    # ------------------------------------------------------------ Task

    def run_task(self, state: TaskState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        entered_id = ev.id
        counts = [0] * len(state.retry)
        rtype, rname = resource_type_and_name(state.resource)
        is_lambda_arn = rtype == "lambda-arn"
        retries = 0
        token = None
        if state.resource.endswith(".waitForTaskToken"):
            token = "".join(f"{self.rng.getrandbits(32):08x}" for _ in range(8))
        while True:
            env = self.env(frame, state, value, ev, retry_count=retries, task_token=token)
            task_failed_event = False
            try:
                try:
                    effective = apply_input_path(state.input_path, env)
                    penv = env.with_input(effective)
                    params = state.parameters.evaluate(penv) if state.parameters is not None else effective
                    timeout = _positive_int_field(state.timeout_seconds, state.timeout_seconds_path, penv,
                                                  "TimeoutSecondsPath")
                    heartbeat = _positive_int_field(state.heartbeat_seconds, state.heartbeat_seconds_path, penv,
                                                    "HeartbeatSecondsPath")
                    credentials = state.credentials.evaluate(penv) if state.credentials is not None else None
                except StatesError as err:
                    raise self.fail_in_state(err, state, entered_id) from None
                if is_lambda_arn:
                    sched_details: dict[str, Any] = {"resource": state.resource, "input": params,
                                                     "inputDetails": _NO_DETAILS}
                    if timeout is not None:
                        sched_details["timeoutInSeconds"] = timeout
                    sched = Event("LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails", sched_details,
                                  frame.last, frame.scope + (state.name,), frame.child)
                    yield sched
                    frame.last = sched.id
                    started = Event("LambdaFunctionStarted", None, None, frame.last,
                                    frame.scope + (state.name,), frame.child)
                else:
                    sched_details = {"resourceType": rtype, "resource": rname, "region": self.region,
                                     "parameters": params}
                    if timeout is not None:
                        sched_details["timeoutInSeconds"] = timeout
                    if heartbeat is not None:
                        sched_details["heartbeatInSeconds"] = heartbeat
                    if credentials is not None:
                        sched_details["taskCredentials"] = {"roleArn": credentials.get("RoleArn")}
                    sched = Event("TaskScheduled", "taskScheduledEventDetails", sched_details, frame.last,
                                  frame.scope + (state.name,), frame.child)
                    yield sched
                    frame.last = sched.id
                    started = Event("TaskStarted", "taskStartedEventDetails",
                                    {"resourceType": rtype, "resource": rname}, frame.last,
                                    frame.scope + (state.name,), frame.child)
                yield started
                frame.last = started.id
                task_failed_event = True
                try:
                    reply = yield Invoke(
                        resource=state.resource,
                        parameters=params,
                        state_name=state.name,
                        timeout_seconds=timeout,
                        heartbeat_seconds=heartbeat,
                        credentials=credentials,
                        task_token=token,
                        context=env.context,
                        scope=frame.scope + (state.name,),
                    )
                except Aborted:
                    ab = Event("TaskStateAborted", None, None, frame.last, frame.scope + (state.name,), frame.child)
                    yield ab
                    raise
                result = reply.result
                if self.check_limits and exceeds_payload_limit(result):
                    raise StatesError(
                        "States.DataLimitExceeded",
                        f"The state/task '{state.resource if is_lambda_arn else rtype}' returned a result with a "
                        "size exceeding the maximum number of bytes service limit.",
                    )
                for extra_type, extra_key, extra_details in reply.events:
                    details = dict(extra_details) if extra_details else None
                    if details is not None and not is_lambda_arn:
                        details = {"resourceType": rtype, "resource": rname, **details}
                    extra = Event(extra_type, extra_key, details, frame.last, frame.scope + (state.name,),
                                  frame.child)
                    yield extra
                    frame.last = extra.id
                if is_lambda_arn:
                    done = Event("LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails",
                                 {"output": result, "outputDetails": _NO_DETAILS}, frame.last,
                                 frame.scope + (state.name,), frame.child)
                else:
                    done = Event("TaskSucceeded", "taskSucceededEventDetails",
                                 {"resourceType": rtype, "resource": rname, "output": result,
                                  "outputDetails": _NO_DETAILS}, frame.last, frame.scope + (state.name,), frame.child)
                yield done
                frame.last = done.id
                task_failed_event = False
                try:
                    selected = state.result_selector.evaluate(env.with_input(result)) \
                        if state.result_selector is not None else result
                    output = apply_result_path(state.result_path, value, selected)
                    output = apply_output_path(state.output_path, output, env)
                    assigned = self.assign(frame, state, state.assign, env.with_input(selected))
                except StatesError as err:
                    raise self.fail_in_state(err, state, entered_id) from None
                out = self.exited(frame, state, output, assigned)
                yield out
                frame.last = out.id
                return self._next(state), output
            except StatesError as err:
                if task_failed_event:
                    yield from self.task_failure_event(frame, state, err, rtype, rname, is_lambda_arn)
                action, payload = yield from self.handle_failure(state, err, counts, frame, value, env)
                if action == "retry":
                    retries += 1
                    continue
                if action == "catch":
                    target, output, assigned = payload
                    out = self.exited(frame, state, output, assigned)
                    yield out
                    frame.last = out.id
                    return target, output
                raise

    def task_failure_event(self, frame: Frame, state: TaskState, err: StatesError, rtype: str, rname: str,
                           is_lambda_arn: bool) -> Gen:
        details: dict[str, Any] = {}
        kind = err.extra.get("event")
        if kind is None and err.error == "States.Timeout":
            kind = "TaskTimedOut"
        for extra_type, extra_key, extra_details in err.extra.get("events", ()):
            extra_ev = Event(extra_type, extra_key, {"resourceType": rtype, "resource": rname, **(extra_details or {})},
                             frame.last, frame.scope + (state.name,), frame.child)
            yield extra_ev
            frame.last = extra_ev.id
        if is_lambda_arn:
            etype = {"TaskTimedOut": "LambdaFunctionTimedOut"}.get(kind or "", "LambdaFunctionFailed")
            key = etype[0].lower() + etype[1:] + "EventDetails"
        else:
            etype = kind or "TaskFailed"
            key = etype[0].lower() + etype[1:] + "EventDetails"
            details = {"resourceType": rtype, "resource": rname}
        if err.error is not None:
            details["error"] = err.error
        if err.cause is not None:
            details["cause"] = err.cause
        fev = Event(etype, key, details, frame.last, frame.scope + (state.name,), frame.child)
        yield fev
        frame.last = fev.id

    # ------------------------------------------------------------ Parallel

    def run_parallel(self, state: ParallelState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        counts = [0] * len(state.retry)
        while True:
            env = self.env(frame, state, value, ev)
            try:
                try:
                    effective = apply_input_path(state.input_path, env)
                    if state.parameters is not None:
                        effective = state.parameters.evaluate(env.with_input(effective))
                except StatesError as err:
                    raise self.fail_in_state(err, state, ev.id) from None
                started = Event("ParallelStateStarted", None, None, frame.last, frame.scope + (state.name,),
                                frame.child)
                yield started
                frame.last = started.id
                handles = []
                for i, branch in enumerate(state.branches):
                    child = Frame(ChainMap({}, frame.variables), frame.scope + (state.name, i), frame.last,
                                  frame.child, frame.depth + 1)
                    handle = yield Spawn(self.run_child(branch, effective, child), f"{state.name}[{i}]")
                    handles.append((handle, child))
                results = yield from self.join(state, frame, handles, fail_fast=True)
                done = Event("ParallelStateSucceeded", None, None, frame.last, frame.scope + (state.name,),
                             frame.child)
                yield done
                try:
                    self.check_result(state, results)
                    selected = state.result_selector.evaluate(env.with_input(results)) \
                        if state.result_selector is not None else results
                    output = apply_result_path(state.result_path, value, selected)
                    output = apply_output_path(state.output_path, output, env)
                    assigned = self.assign(frame, state, state.assign, env.with_input(selected))
                except StatesError as err:
                    raise self.fail_in_state(err, state, ev.id) from None
                out = self.exited(frame, state, output, assigned)
                yield out
                frame.last = out.id
                return self._next(state), output
            except StatesError as err:
                action, payload = yield from self.handle_failure(state, err, counts, frame, value, env)
                if action == "retry":
                    continue
                if action == "catch":
                    target, output, assigned = payload
                    out = self.exited(frame, state, output, assigned)
                    yield out
                    frame.last = out.id
                    return target, output
                raise

    def run_child(self, body: States, value: Any, frame: Frame) -> Gen:
        """A Parallel branch: the branch's states; fails with the branch's error."""
        output = yield from self.run_states(body, value, frame)
        return output

    def join(self, state: Any, frame: Frame, handles: list[tuple[Any, Frame]], fail_fast: bool,
             tolerated: Any = None) -> Gen:
        """Wait for children; on the first failure cancel the rest and raise it (unless tolerated)."""
        results: list[Any] = [None] * len(handles)
        index = {id(h): i for i, (h, _) in enumerate(handles)}
        pending = [h for h, _ in handles]
        while pending:
            try:
                finished = yield WaitAny(pending)
            except Aborted:
                for h in pending:
                    yield Cancel(h)
                yield Event(state.type + "StateAborted", None, None, frame.last, frame.scope + (state.name,),
                            frame.child)
                raise
            pending.remove(finished)
            i = index[id(finished)]
            child_frame = handles[i][1]
            frame.last = max(frame.last, child_frame.last)
            outcome: ChildOutcome = finished.outcome
            if not outcome.ok:
                for h in pending:
                    yield Cancel(h)
                failed = Event(state.type + "StateFailed", None, None, frame.last, frame.scope + (state.name,),
                               frame.child)
                yield failed
                raise StatesError(outcome.error, outcome.cause)
            results[i] = outcome.value
        return results

    # ------------------------------------------------------------ Map

    def run_map(self, state: MapState, value: Any, frame: Frame) -> Gen:
        ev = self.entered(frame, state, value)
        yield ev
        frame.last = ev.id
        counts = [0] * len(state.retry)
        while True:
            env = self.env(frame, state, value, ev)
            try:
                try:
                    effective = apply_input_path(state.input_path, env)
                    ienv = env.with_input(effective)
                    items = _resolve(state.items_path, ienv) if state.items_path is not None else effective
                    if not isinstance(items, list):
                        raise StatesError("States.Runtime",
                                          f"Map state input must be an array but was: {compact_json(items)}")
                    max_conc = self.map_int(state.max_concurrency, state.max_concurrency_path, ienv,
                                            "MaxConcurrencyPath", "integer")
                    tolerated = self.tolerance(state, ienv)
                    batches = self.batch_items(state, items, ienv)
                except StatesError as err:
                    raise self.fail_in_state(err, state, ev.id) from None
                started = Event("MapStateStarted", "mapStateStartedEventDetails", {"length": len(batches)},
                                frame.last, frame.scope + (state.name,), frame.child)
                yield started
                frame.last = started.id
                if state.distributed:
                    results = yield from self.run_distributed(state, frame, env, ev, effective, batches,
                                                              max_conc, tolerated)
                else:
                    results = yield from self.run_inline(state, frame, env, ev, effective, batches, max_conc)
                done = Event("MapStateSucceeded", None, None, frame.last, frame.scope + (state.name,), frame.child)
                yield done
                try:
                    self.check_result(state, results)
                    selected = state.result_selector.evaluate(env.with_input(results)) \
                        if state.result_selector is not None else results
                    output = apply_result_path(state.result_path, value, selected)
                    output = apply_output_path(state.output_path, output, env)
                    assigned = self.assign(frame, state, state.assign, env.with_input(selected))
                except StatesError as err:
                    raise self.fail_in_state(err, state, ev.id) from None
                out = self.exited(frame, state, output, assigned)
                yield out
                frame.last = out.id
                return self._next(state), output
            except StatesError as err:
                action, payload = yield from self.handle_failure(state, err, counts, frame, value, env)
                if action == "retry":
                    continue
                if action == "catch":
                    target, output, assigned = payload
                    out = self.exited(frame, state, output, assigned)
                    yield out
                    frame.last = out.id
                    return target, output
                raise

    def map_int(self, literal: Any, path: Any, env: Env, field: str, kind: str) -> Any:
        if path is None:
            return literal
        raw = _lenient_number(_resolve(path, env))
        if kind == "integer":
            if isinstance(raw, bool) or not isinstance(raw, int):
                if not (isinstance(raw, float) and raw.is_integer()):
                    raise StatesError(
                        "States.Runtime",
                        f"The {field} field refers to value {_quoted_java(raw)} which is not a valid integer: "
                        f"{path.text}",
                    )
                raw = int(raw)
        else:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise StatesError(
                    "States.Runtime",
                    f"The {field} field refers to value {_quoted_java(raw)} which is not a valid float: "
                    f"{path.text}",
                )
        return raw

    def tolerance(self, state: MapState, env: Env) -> tuple[Any, Any]:
        count = self.map_int(state.tolerated_failure_count, state.tolerated_failure_count_path, env,
                             "ToleratedFailureCountPath", "integer")
        pct = self.map_int(state.tolerated_failure_percentage, state.tolerated_failure_percentage_path, env,
                           "ToleratedFailurePercentagePath", "float")
        if count is not None and count < 0:
            raise StatesError("States.Runtime", "ToleratedFailureCount cannot be negative.")
        if pct is not None and not 0 <= pct <= 100:
            raise StatesError("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100.")
        return count, pct

    def batch_items(self, state: MapState, items: list[Any], env: Env) -> list[Any]:
        batcher = state.item_batcher
        if batcher is None:
            return items
        max_items = batcher["MaxItemsPerBatch"]
        if batcher["MaxItemsPerBatchPath"] is not None:
            max_items = self.map_int(None, batcher["MaxItemsPerBatchPath"], env, "MaxItemsPerBatchPath", "integer")
        max_bytes = batcher["MaxInputBytesPerBatch"]
        if batcher["MaxInputBytesPerBatchPath"] is not None:
            max_bytes = self.map_int(None, batcher["MaxInputBytesPerBatchPath"], env, "MaxInputBytesPerBatchPath",
                                     "integer")
        batch_input = batcher["BatchInput"].evaluate(env) if batcher["BatchInput"] is not None else None
        batches: list[Any] = []
        current: list[Any] = []
        size = 0
        for item in items:
            item_size = payload_size(item) if max_bytes else 0
            if current and ((max_items and len(current) >= max_items) or (max_bytes and size + item_size > max_bytes)):
                batches.append(current)
                current, size = [], 0
            current.append(item)
            size += item_size
        if current:
            batches.append(current)
        out = []
        for b in batches:
            entry: dict[str, Any] = {"Items": b}
            if batch_input is not None:
                entry["BatchInput"] = batch_input
            out.append(entry)
        return out

    def item_input(self, state: MapState, env: Env, effective: Any, index: int, item: Any, entered: Event) -> Any:
        if state.item_selector is None:
            return item
        ctx = self.ctx
        ienv = Env(
            effective,
            env.variables,
            context_factory=lambda: ctx.map_item_context(state.name, entered.timestamp, index, item),
            rng=self.rng,
        )
        return state.item_selector.evaluate(ienv)

    def run_inline(self, state: MapState, frame: Frame, env: Env, entered: Event, effective: Any,
                   items: list[Any], max_conc: int) -> Gen:
        limit = max_conc if max_conc and max_conc > 0 else defaults.INLINE_MAP_MAX_CONCURRENCY
        limit = min(limit, defaults.INLINE_MAP_MAX_CONCURRENCY)
        results: list[Any] = [None] * len(items)
        running: dict[int, tuple[int, Frame, Any]] = {}
        next_index = 0
        while next_index < len(items) or running:
            while next_index < len(items) and len(running) < limit:
                i = next_index
                next_index += 1
                try:
                    item_value = self.item_input(state, env, effective, i, items[i], entered)
                except StatesError as err:
                    for _, (_, _, h) in list(running.items()):
                        yield Cancel(h)
                    raise self.fail_in_state(err, state, entered.id) from None
                child = Frame(ChainMap({}, frame.variables), frame.scope + (state.name, i), frame.last,
                              frame.child, frame.depth + 1)
                handle = yield Spawn(self.run_iteration(state, i, item_value, child), f"{state.name}[{i}]")
                running[id(handle)] = (i, child, handle)
            try:
                finished = yield WaitAny([h for (_, _, h) in running.values()])
            except Aborted:
                for _, (_, _, h) in list(running.items()):
                    yield Cancel(h)
                yield Event("MapStateAborted", None, None, frame.last, frame.scope + (state.name,), frame.child)
                raise
            i, child, _ = running.pop(id(finished))
            frame.last = max(frame.last, child.last)
            outcome: ChildOutcome = finished.outcome
            if not outcome.ok:
                for _, (_, _, h) in list(running.items()):
                    yield Cancel(h)
                failed = Event("MapStateFailed", None, None, frame.last, frame.scope + (state.name,), frame.child)
                yield failed
                raise StatesError(outcome.error, outcome.cause)
            results[i] = outcome.value
        return results

    def run_iteration(self, state: MapState, index: int, value: Any, frame: Frame) -> Gen:
        details = {"index": index, "name": state.name}
        started = Event("MapIterationStarted", "mapIterationStartedEventDetails", details, frame.last,
                        frame.scope, frame.child)
        yield started
        frame.last = started.id
        try:
            output = yield from self.run_states(state.processor, value, frame)
        except StatesError:
            yield Event("MapIterationFailed", "mapIterationFailedEventDetails", details, frame.last, frame.scope,
                        frame.child)
            raise
        except Aborted:
            yield Event("MapIterationAborted", "mapIterationAbortedEventDetails", details, frame.last, frame.scope,
                        frame.child)
            raise
        yield Event("MapIterationSucceeded", "mapIterationSucceededEventDetails", details, frame.last, frame.scope,
                    frame.child)
        return output

    def run_distributed(self, state: MapState, frame: Frame, env: Env, entered: Event, effective: Any,
                        items: list[Any], max_conc: int, tolerated: tuple[Any, Any]) -> Gen:
        self.map_run_counter += 1
        run_arn = self.ctx.map_run_arn(state.label or state.name, self.map_run_counter)
        started = Event("MapRunStarted", "mapRunStartedEventDetails", {"mapRunArn": run_arn}, frame.last,
                        frame.scope + (state.name,), frame.child)
        yield started
        frame.last = started.id
        limit = max_conc if max_conc and max_conc > 0 else defaults.DISTRIBUTED_MAP_MAX_CONCURRENCY
        count_limit, pct_limit = tolerated
        results: list[Any] = [None] * len(items)
        failures = 0
        running: dict[int, tuple[int, Any]] = {}
        next_index = 0
        first_error: tuple[str | None, str | None] | None = None

        def exceeded() -> bool:
            if failures == 0:
                return False
            if count_limit is None and pct_limit is None:
                return True
            over_count = count_limit is not None and failures > count_limit
            over_pct = pct_limit is not None and len(items) > 0 and failures * 100.0 / len(items) > pct_limit
            if count_limit is not None and pct_limit is not None:
                return over_count or over_pct
            return over_count if count_limit is not None else over_pct

        while next_index < len(items) or running:
            while next_index < len(items) and len(running) < limit:
                i = next_index
                next_index += 1
                try:
                    item_value = self.item_input(state, env, effective, i, items[i], entered)
                except StatesError as err:
                    for _, (_, h) in list(running.items()):
                        yield Cancel(h)
                    raise self.fail_in_state(err, state, entered.id) from None
                # Child executions of a Distributed Map do not see the parent's variables.
                child = Frame({}, frame.scope + (state.name, i), 0, (run_arn, i), frame.depth + 1)
                handle = yield Spawn(self.run_child_execution(state, item_value, child),
                                     f"{state.name}[{i}]")
                running[id(handle)] = (i, handle)
            try:
                finished = yield WaitAny([h for (_, h) in running.values()])
            except Aborted:
                for _, (_, h) in list(running.items()):
                    yield Cancel(h)
                yield Event("MapRunAborted", None, None, frame.last, frame.scope + (state.name,), frame.child)
                yield Event("MapStateAborted", None, None, frame.last, frame.scope + (state.name,), frame.child)
                raise
            i, _ = running.pop(id(finished))
            outcome: ChildOutcome = finished.outcome
            if outcome.ok:
                results[i] = outcome.value
                continue
            failures += 1
            if first_error is None:
                first_error = (outcome.error, outcome.cause)
            results[i] = {"Error": outcome.error, "Cause": outcome.cause}
            if exceeded():
                for _, (_, h) in list(running.items()):
                    yield Cancel(h)
                error = "States.ExceedToleratedFailureThreshold"
                cause = "The specified tolerated failure threshold was exceeded"
                yield Event("MapRunFailed", "mapRunFailedEventDetails", {"error": error, "cause": cause},
                            frame.last, frame.scope + (state.name,), frame.child)
                yield Event("MapStateFailed", None, None, frame.last, frame.scope + (state.name,), frame.child)
                raise StatesError(error, cause)
        yield Event("MapRunSucceeded", None, None, frame.last, frame.scope + (state.name,), frame.child)
        return results

    def run_child_execution(self, state: MapState, value: Any, frame: Frame) -> Gen:
        output = yield from self.run_states(state.processor, value, frame)
        return output


def _resolve(path: Any, env: Env) -> Any:
    try:
        return path.get(env)
    except PathNotFound as exc:
        raise StatesError("States.Runtime", f"Invalid path '{path.text}' : {exc.message}") from None


def _lenient_number(value: Any) -> Any:
    """A numeric string counts as its number (AWS reads these fields with Jackson's asInt/asDouble)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _positive_int_field(literal: Any, path: Any, env: Env, field: str) -> int | None:
    if path is None:
        return literal
    raw = _resolve(path, env)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0 or (
        isinstance(raw, float) and not raw.is_integer()
    ):
        raise StatesError(
            "States.Runtime",
            f"The {field} parameter references an invalid value: {path.text} == {_java_text(raw)}",
        )
    return int(raw)


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return compact_json(value)


def _java_text(value: Any) -> str:
    """How Java's Jackson prints a JSON node in AWS's messages (strings unquoted)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return repr(value)
    return compact_json(value)


def _quoted_java(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value + '"'
    return '"' + compact_json(value) + '"'

