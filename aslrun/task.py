"""Task states: parameters, the :class:`~aslrun.effects.Invoke` effect and the Task history events.

:class:`TaskRunner` is a collaborator of :class:`aslrun.engine.Engine`: the engine makes one and
hands Task states to :meth:`TaskRunner.run`. Like the rest of the core it only yields events and
effects; the driver (:mod:`aslrun.execution`) answers the ``Invoke`` from a mock or an integration.
A Lambda function ARN used directly as the resource gets ``LambdaFunction*`` events, an activity ARN
``Activity*`` events (``ActivityScheduled`` with the input and limits, ``ActivityStarted``,
``ActivitySucceeded``/``ActivityFailed``/``ActivityTimedOut``), every other resource ``Task*`` events.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from aslrun import dataflow_jsonata as jflow
from aslrun.dataflow import apply_input_path, exceeds_payload_limit, java_text, resolve_path
from aslrun.effects import AwaitCallback, CheckTask, Invoke, Stage
from aslrun.errors import StatesError
from aslrun.expressions.access import Env
from aslrun.integrations.arn import resource_type_and_name
from aslrun.nodes import TaskState

if TYPE_CHECKING:
    from aslrun.effects import Event, TaskReply
    from aslrun.engine import Engine, Frame

__all__ = ["TaskRunner"]

Gen = Generator[Any, Any, Any]

_NO_DETAILS: dict[str, Any] = {"truncated": False}


class TaskRunner:
    """Runs the Task states of one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run(self, state: TaskState, value: Any, frame: Frame) -> Gen:
        """Enter, invoke (again on each retry), record the outcome, leave or recover."""
        engine = self.engine
        ev = yield from engine.enter(frame, state, value)
        counts = [0] * len(state.retry)
        rtype, rname = resource_type_and_name(state.resource)
        is_lambda_arn = rtype == "lambda-arn"
        retries = 0
        token = _new_token(engine.rng) if state.resource.endswith(".waitForTaskToken") else None
        # An activity's worker answers a token too; it is not in the context ($$.Task.Token).
        activity_token = _new_token(engine.rng) if rtype == "activity" else None
        while True:
            if engine.inspect:
                value = yield Stage(state, "input", value, frame.scope)
            env = None if state.jsonata else engine.env(frame, state, value, ev, retries, token)
            invoked = taken = False  # the service was called; a worker took the activity task
            try:
                try:
                    invoke = yield from self.prepare(state, value, frame, ev, env, retries, token)
                    if activity_token is not None:
                        invoke.task_token = activity_token
                    yield CheckTask(state.resource, invoke.parameters, state.name)
                except StatesError as err:
                    raise (yield from engine.failed(err, state, ev, frame)) from None
                yield from self.started(frame, state, rtype, rname, is_lambda_arn, invoke)
                invoked = True
                reply = yield invoke
                if activity_token is not None:
                    taken = True
                    reply = yield from self.activity_started(frame, state, invoke, reply)
                elif reply.callback and token is not None:
                    reply = yield from self.await_callback(frame, state, rtype, rname, invoke, reply)
                result = yield from self.succeeded(frame, state, rtype, rname, is_lambda_arn, reply)
                invoked = False
                try:
                    output, values = yield from engine.task_output(state, value, result, frame, ev, env, retries,
                                                                   token)
                except StatesError as err:
                    raise (yield from engine.failed(err, state, ev, frame)) from None
                yield from engine.leave(frame, state, output, engine.apply(frame, values))
                return engine.next_name(state), output
            except StatesError as err:
                if invoked and not taken and activity_token is not None and err.error != "States.Timeout":
                    # The activity failed as its worker (a mock, a fake) answered: it had started.
                    started = engine.event(frame, state, "ActivityStarted")
                    yield started
                    frame.last = started.id
                if invoked:
                    yield from self.failure_event(frame, state, err, rtype, rname, is_lambda_arn)
                caught = yield from engine.recover(state, err, counts, frame, value, ev, env)
                if caught is None:
                    retries += 1
                    continue
                return caught

    def prepare(self, state: TaskState, value: Any, frame: Frame, ev: Event, env: Env | None, retries: int,
                token: str | None) -> Gen:
        """The Invoke effect for one attempt: parameters (or Arguments), limits, credentials, context."""
        engine = self.engine
        if state.jsonata:
            context = engine.ctx.state_context(state.name, ev.timestamp, retries, token)
            scope = engine.scope(frame, state, value, ev, context=context)
            params = jflow.evaluate(state.arguments, scope, "Arguments") if state.arguments is not None else value
            if engine.inspect:
                params = yield Stage(state, "afterArguments", params, frame.scope)
            timeout = jflow.evaluate_typed(state.timeout_seconds, scope, "TimeoutSeconds", "positive-integer") \
                if jflow.is_field(state.timeout_seconds) else state.timeout_seconds
            heartbeat = jflow.evaluate_typed(state.heartbeat_seconds, scope, "HeartbeatSeconds", "positive-integer") \
                if jflow.is_field(state.heartbeat_seconds) else state.heartbeat_seconds
            credentials = jflow.evaluate(state.credentials, scope, "Credentials") \
                if state.credentials is not None else None
        else:
            assert env is not None
            effective = apply_input_path(state.input_path, env)
            if engine.inspect:
                effective = yield Stage(state, "afterInputPath", effective, frame.scope)
            penv = env.with_input(effective)
            params = state.parameters.evaluate(penv) if state.parameters is not None else effective
            if engine.inspect:
                params = yield Stage(state, "afterParameters", params, frame.scope)
            timeout = _positive_int_field(state.timeout_seconds, state.timeout_seconds_path, penv,
                                          "TimeoutSecondsPath")
            heartbeat = _positive_int_field(state.heartbeat_seconds, state.heartbeat_seconds_path, penv,
                                            "HeartbeatSecondsPath")
            credentials = state.credentials.evaluate(penv) if state.credentials is not None else None
            context = env.context
        return Invoke(resource=state.resource, parameters=params, state_name=state.name, timeout_seconds=timeout,
                      heartbeat_seconds=heartbeat, credentials=credentials, task_token=token, context=context,
                      scope=frame.scope + (state.name,))

    def started(self, frame: Frame, state: TaskState, rtype: str, rname: str, is_lambda_arn: bool,
                invoke: Invoke) -> Gen:
        """``TaskScheduled`` and ``TaskStarted`` (``LambdaFunction…`` for a bare function ARN)."""
        engine = self.engine
        timeout, heartbeat, credentials = invoke.timeout_seconds, invoke.heartbeat_seconds, invoke.credentials
        if is_lambda_arn or rtype == "activity":
            # A Lambda function ARN or an activity as the Resource: LambdaFunction*/Activity* events.
            prefix = "LambdaFunction" if is_lambda_arn else "Activity"
            details: dict[str, Any] = {"resource": state.resource, "input": invoke.parameters,
                                       "inputDetails": _NO_DETAILS}
            if timeout is not None:
                details["timeoutInSeconds"] = timeout
            if heartbeat is not None and not is_lambda_arn:
                details["heartbeatInSeconds"] = heartbeat
            if credentials is not None and is_lambda_arn:
                details["taskCredentials"] = {"roleArn": credentials.get("RoleArn")}
            sched = engine.event(frame, state, prefix + "Scheduled", _details_key(prefix + "Scheduled"), details)
            yield sched
            frame.last = sched.id
            if not is_lambda_arn:
                return  # ActivityStarted comes when a worker takes the task (activity_started)
            started = engine.event(frame, state, prefix + "Started")
        else:
            details = {"resourceType": rtype, "resource": rname, "region": engine.region,
                       "parameters": invoke.parameters}
            if timeout is not None:
                details["timeoutInSeconds"] = timeout
            if heartbeat is not None:
                details["heartbeatInSeconds"] = heartbeat
            if credentials is not None:
                details["taskCredentials"] = {"roleArn": credentials.get("RoleArn")}
            sched = engine.event(frame, state, "TaskScheduled", "taskScheduledEventDetails", details)
            yield sched
            frame.last = sched.id
            started = engine.event(frame, state, "TaskStarted", "taskStartedEventDetails",
                                   {"resourceType": rtype, "resource": rname})
        yield started
        frame.last = started.id

    def activity_started(self, frame: Frame, state: TaskState, invoke: Invoke, reply: TaskReply) -> Gen:
        """A worker took the activity task: ``ActivityStarted`` (with its ``workerName``), then the wait for its
        answer (``SendTaskSuccess``/``Failure``; ``SendTaskHeartbeat`` restarts ``HeartbeatSeconds``).

        An integration that answers at once (a mock) gets ``ActivityStarted`` without a worker.
        """
        worker = reply.result.get("workerName") if reply.callback and isinstance(reply.result, dict) else None
        started = self.engine.event(frame, state, "ActivityStarted", "activityStartedEventDetails",
                                    {"workerName": worker} if worker else None)
        yield started
        frame.last = started.id
        if not reply.callback:
            return reply
        assert invoke.task_token is not None
        answer = yield AwaitCallback(invoke.task_token, state.name, invoke.heartbeat_seconds, invoke.timeout_seconds,
                                     invoke.scope)
        return answer

    def await_callback(self, frame: Frame, state: TaskState, rtype: str, rname: str, invoke: Invoke,
                       submitted: TaskReply) -> Gen:
        """``TaskSubmitted`` with what the service call returned, then the wait for the token's answer."""
        details = {"resourceType": rtype, "resource": rname, "output": submitted.result, "outputDetails": _NO_DETAILS}
        event = self.engine.event(frame, state, "TaskSubmitted", "taskSubmittedEventDetails", details)
        yield event
        frame.last = event.id
        assert invoke.task_token is not None
        answer = yield AwaitCallback(invoke.task_token, state.name, invoke.heartbeat_seconds, invoke.timeout_seconds,
                                     invoke.scope)
        return answer

    def succeeded(self, frame: Frame, state: TaskState, rtype: str, rname: str, is_lambda_arn: bool,
                  reply: TaskReply) -> Gen:
        """The integration's own events and ``TaskSucceeded``; returns the result."""
        engine = self.engine
        result = reply.result
        if engine.inspect:
            result = yield Stage(state, "result", result, frame.scope)
        if engine.check_limits and exceeds_payload_limit(result):
            raise StatesError(
                "States.DataLimitExceeded",
                f"The state/task '{state.resource if is_lambda_arn else rtype}' returned a result with a "
                "size exceeding the maximum number of bytes service limit.",
            )
        for extra_type, extra_key, extra_details in reply.events:
            details = dict(extra_details) if extra_details is not None else None
            if details is not None and not is_lambda_arn:
                details = {"resourceType": rtype, "resource": rname, **details}
            extra = engine.event(frame, state, extra_type, extra_key, details)
            yield extra
            frame.last = extra.id
        if is_lambda_arn or rtype == "activity":
            etype = "LambdaFunctionSucceeded" if is_lambda_arn else "ActivitySucceeded"
            done = engine.event(frame, state, etype, _details_key(etype), {"output": result, "outputDetails": _NO_DETAILS})
        else:
            done = engine.event(frame, state, "TaskSucceeded", "taskSucceededEventDetails",
                                {"resourceType": rtype, "resource": rname, "output": result,
                                 "outputDetails": _NO_DETAILS})
        yield done
        frame.last = done.id
        return result

    def failure_event(self, frame: Frame, state: TaskState, err: StatesError, rtype: str, rname: str,
                      is_lambda_arn: bool) -> Gen:
        """``TaskFailed``/``TaskTimedOut`` (or the Lambda ones), after the integration's own events."""
        engine = self.engine
        details: dict[str, Any] = {}
        kind = err.extra.get("event")
        if kind is None and err.error == "States.Timeout":
            kind = "TaskTimedOut"
        for extra_type, extra_key, extra_details in err.extra.get("events", ()):
            extra_ev = engine.event(frame, state, extra_type, extra_key,
                                    {"resourceType": rtype, "resource": rname, **(extra_details or {})})
            yield extra_ev
            frame.last = extra_ev.id
        if is_lambda_arn or rtype == "activity":
            prefix = "LambdaFunction" if is_lambda_arn else "Activity"
            etype = prefix + ("TimedOut" if kind == "TaskTimedOut" else "Failed")
        else:
            etype = kind or "TaskFailed"
            details = {"resourceType": rtype, "resource": rname}
        if err.error is not None:
            details["error"] = err.error
        if err.cause is not None:
            details["cause"] = err.cause
        fev = engine.event(frame, state, etype, _details_key(etype), details)
        yield fev
        frame.last = fev.id


def _new_token(rng: Any) -> str:
    """A task token: 64 hex digits from the execution's seeded random source."""
    return "".join(f"{rng.getrandbits(32):08x}" for _ in range(8))


def _details_key(event_type: str) -> str:
    """``ActivityScheduled`` -> ``activityScheduledEventDetails``."""
    return event_type[0].lower() + event_type[1:] + "EventDetails"


def _positive_int_field(literal: Any, path: Any, env: Env, field: str) -> int | None:
    if path is None:
        return literal  # type: ignore[no-any-return]
    raw = resolve_path(path, env)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw <= 0 or (
        isinstance(raw, float) and not raw.is_integer()
    ):
        raise StatesError(
            "States.Runtime",
            f"The {field} parameter references an invalid value: {path.text} == {java_text(raw)}",
        )
    return int(raw)
