"""The TestState API, locally: run one state and report what AWS's ``TestState`` reports.

>>> from aslrun.teststate import test_state
>>> result = test_state({"Type": "Pass", "Result": {"ok": True}, "ResultPath": "$.r", "End": True},
...                     {"in": 1}, inspection_level="DEBUG")
>>> result.status, result.output, result.inspection_data["afterResultPath"]
('SUCCEEDED', {'in': 1, 'r': {'ok': True}}, {'in': 1, 'r': {'ok': True}})
>>> result.to_json()["inspectionData"]["result"]
'{"ok":true}'

There is no second interpreter and no second driver here. The ordinary
:class:`~aslrun.execution.Execution` drives the engine's own state runner
(``Engine.runners[type(state)]``) with inspection on, under a :class:`_TestStatePolicy`: it
records every data-flow :class:`~aslrun.effects.Stage`, answers the tested Task's
:class:`~aslrun.effects.Invoke` from the inline ``mock`` (other Tasks go to the
MockConfigFile test case and the integrations, as in any execution), and at the ``error`` stage
decides between ``RETRIABLE`` (a retrier would run the state again), ``CAUGHT_ERROR`` (a catcher
takes it; the engine computes the catcher's output) and ``FAILED``.

What AWS shows, and so what this shows (LocalStack's AWS-recorded TestState snapshots):

* ``inspectionData`` only at ``DEBUG`` and ``TRACE``. Payload fields are JSON *text*.
* JSONPath states: ``input``, ``afterInputPath``, ``afterParameters``, ``result``,
  ``afterResultSelector`` (the result itself when there is no ResultSelector),
  ``afterResultPath``. A Pass with ``Result`` shows ``result`` but not ``afterInputPath``/
  ``afterParameters``; a Pass without one shows no ``result``. Choice, Wait, Succeed and Fail
  show ``input`` and ``afterInputPath``.
* JSONata states: ``input``, a Task's ``afterArguments`` and ``result``.
* Map states: ``maxConcurrency`` (0 when unset), ``toleratedFailureCount``/``Percentage`` when
  set, and in JSONPath ``afterInputPath`` and ``afterItemsPath``.
* ``variables`` when any are in scope after the state; ``errorDetails`` with ``retryIndex`` and
  ``retryBackoffIntervalSeconds`` (RETRIABLE), ``catchIndex`` (CAUGHT_ERROR), or ``retryIndex``
  alone when the matching retrier is used up.
* In the context object the state is named ``StateName`` and the execution is an express one.
"""

from __future__ import annotations

import copy
import json
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from aslrun.clock import VirtualClock
from aslrun.context import ContextFactory
from aslrun.dataflow import apply_input_path, compact_json
from aslrun.effects import CheckTask, ChildOutcome, Event, Invoke, Spawn, Stage, TaskReply
from aslrun.engine import Engine, Frame, error_matches
from aslrun.errors import InputError, StatesError
from aslrun.execution import Execution
from aslrun.integrations.mock import NOT_MOCKED
from aslrun.nodes import (
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    State,
    StateMachine,
    SucceedState,
    TaskState,
    WaitState,
)
from aslrun.policy import Halt, Policy

if TYPE_CHECKING:
    from aslrun.interpreter import Interpreter

__all__ = ["INSPECTION_LEVELS", "STATUSES", "TestStateResult", "test_state"]

#: TestState's inspection levels; INFO returns no inspectionData
INSPECTION_LEVELS = ("INFO", "DEBUG", "TRACE")
#: TestState's statuses
STATUSES = ("SUCCEEDED", "FAILED", "RETRIABLE", "CAUGHT_ERROR")
#: the name AWS gives a lone state (and the tested state in the context object)
LONE_STATE_NAME = "StateName"

#: inspectionData members that hold JSON text (the rest are numbers or objects)
_TEXT_FIELDS = frozenset({
    "input", "afterInputPath", "afterParameters", "afterArguments", "result", "afterResultSelector",
    "afterResultPath", "variables", "afterItemsPath", "afterItemSelector", "afterItemBatcher", "afterItemsPointer",
})
#: the order of inspectionData members in AWS's responses
_ORDER = ("input", "afterInputPath", "afterItemsPath", "afterParameters", "afterArguments", "result",
          "afterResultSelector", "afterResultPath", "maxConcurrency", "toleratedFailureCount",
          "toleratedFailurePercentage", "variables", "errorDetails")
_MOCKABLE = (TaskState, MapState, ParallelState)
_TRANSITIONS = (PassState, TaskState, WaitState, ParallelState, MapState)


@dataclass
class TestStateResult:
    """What :func:`test_state` found, with values as JSON values; :meth:`to_json` gives AWS's response shape.

    ``inspection_data`` is filled at every level (INFO just leaves it out of :meth:`to_json`).
    """

    __test__ = False  # not a pytest test class, whatever its name says

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection_data: dict[str, Any] = field(default_factory=dict)
    inspection_level: str = "INFO"
    state_name: str = ""
    events: list[Event] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The ``TestState`` response: ``output`` and payloads as JSON text, members in AWS's order."""
        out: dict[str, Any] = {}
        if self.status in ("SUCCEEDED", "CAUGHT_ERROR"):
            out["output"] = compact_json(self.output)
        if self.error is not None:
            out["error"] = self.error
        if self.cause is not None:
            out["cause"] = self.cause
        if self.inspection_level != "INFO" and self.inspection_data:
            out["inspectionData"] = {
                key: compact_json(value) if key in _TEXT_FIELDS else value
                for key, value in self.inspection_data.items()
            }
        if self.next_state is not None:
            out["nextState"] = self.next_state
        out["status"] = self.status
        return out


def test_state(
    definition: Any,
    input: Any = None,
    *,
    state_name: str | None = None,
    mock: Mapping[str, Any] | None = None,
    inspection_level: str = "INFO",
    context: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | str | None = None,
    retrier_retry_count: int | None = None,
    interpreter: Interpreter | None = None,
    name: str | None = None,
) -> TestStateResult:
    """Run one state as AWS's TestState API does.

    :param definition: one state (``{"Type": "Pass", ...}``), or a whole machine with ``state_name``;
        a dict, JSON/YAML text or a path.
    :param input: the state's input (a JSON value; default ``{}``).
    :param state_name: the state to run in a whole machine (nested states included).
    :param mock: for Task, Map and Parallel states: ``{"result": <JSON text or value>}`` or
        ``{"errorOutput": {"error": ..., "cause": ...}}``. Without one a Task goes to the
        interpreter's integrations and a Map/Parallel runs its iterations/branches.
    :param inspection_level: ``INFO`` (no inspectionData), ``DEBUG`` or ``TRACE``.
    :param context: context object fields merged over the generated one (``$$``).
    :param variables: variables in scope (a dict or JSON object text).
    :param retrier_retry_count: retries already made, as ``stateConfiguration.retrierRetryCount``.
    :param interpreter: settings, integrations and a MockConfigFile test case (default: a new one).
    :param name: the state machine's name in the context object.
    :raises InputError: a bad option, an unknown state, a mock for a state type that takes none.
    :raises DefinitionError: the definition is invalid.
    """
    from aslrun.interpreter import Interpreter

    level = str(inspection_level).upper()
    if level not in INSPECTION_LEVELS:
        raise InputError(f"unknown inspection level {inspection_level!r}: use one of {', '.join(INSPECTION_LEVELS)}")
    if retrier_retry_count is not None and (
        isinstance(retrier_retry_count, bool) or not isinstance(retrier_retry_count, int) or retrier_retry_count < 0
    ):
        raise InputError(f"the retrier retry count must be a whole number of 0 or more, not {retrier_retry_count!r}")
    if interpreter is None:
        with Interpreter() as made:
            return test_state(definition, input, state_name=state_name, mock=mock, inspection_level=level,
                              context=context, variables=variables, retrier_retry_count=retrier_retry_count,
                              interpreter=made, name=name)
    interp = interpreter
    machine, state = _load(interp, definition, state_name, name)
    parsed_mock = _parse_mock(mock, state, interp)
    scope_variables = _parse_variables(variables)
    if input is None:
        input = {}
    retries = retrier_retry_count or 0

    # A virtual clock unless the interpreter names one (--clock real: a Task's retry waits really wait).
    clock = VirtualClock() if interp.clock == "auto" else interp.choose_clock(machine)
    rng = random.Random(interp.seed)
    ctx = _TestStateContext(
        machine.name, str(uuid.UUID(int=rng.getrandbits(128), version=4)), input, clock.time(),
        role_arn=interp.role_arn, region=interp.region, account=interp.account, partition=interp.partition,
        tested=state, retries=retries, override=dict(context) if context else None,
    )
    engine = Engine(machine, ctx, rng, region=interp.region, check_payload_limits=interp.check_payload_limits,
                    inspect=True)
    frame = Frame(dict(scope_variables), ())
    engine.root_variables = frame.variables  # type: ignore[assignment]
    policy = _TestStatePolicy(engine, state, parsed_mock, retries)
    runner = engine.runners[type(state)](_with_retries_used(state, retries), input, frame)
    execution = Execution(interp, machine, engine, input, ctx.execution_name, clock, [], None, policy=policy,
                          root=runner)
    result = policy.result(execution.drive(), execution.events)
    result.inspection_level = level
    result.state_name = state.name
    result.inspection_data = _inspection(policy, _entered(execution.events), state, input, frame)
    return result


test_state.__test__ = False  # type: ignore[attr-defined]  # a library function, not a pytest test


# ---------------------------------------------------------------- loading


def _load(interp: Interpreter, definition: Any, state_name: str | None,
          name: str | None) -> tuple[StateMachine, State]:
    from aslrun.source import read_definition

    if isinstance(definition, StateMachine):
        machine = definition
    else:
        src = read_definition(definition)
        value = src.value
        if not isinstance(value, Mapping):
            raise InputError("a TestState definition must be a JSON object: one state, or a state machine")
        machine_name = name or (src.path.stem if src.path is not None else "StateMachine")
        if "States" not in value:
            if state_name is not None and state_name != LONE_STATE_NAME:
                raise InputError(f"--state {state_name!r} names a state in a state machine, but the definition is "
                                 "a single state; leave --state out")
            if "Type" not in value:
                raise InputError('a TestState definition must be one state (with "Type") or a state machine '
                                 '(with "StartAt" and "States")')
            value = _wrap_lone_state(value)
            state_name = LONE_STATE_NAME
        machine = interp.load(dict(value), name=machine_name)
    states = machine.all_states()
    if state_name is None:
        raise InputError("the definition is a whole state machine: say which state to test with --state NAME "
                         f"(one of: {', '.join(states)})")
    if state_name not in states:
        raise InputError(f"State not found in definition: {state_name!r} (the states are: {', '.join(states)})")
    return machine, states[state_name]


def _wrap_lone_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """A machine holding one state; the states it points to become Succeed stubs, as TestState ignores them."""
    body = dict(state)
    if body.get("Type") not in ("Choice", "Succeed", "Fail") and "Next" not in body and "End" not in body:
        body["End"] = True
    targets: list[str] = []
    if isinstance(body.get("Next"), str):
        targets.append(body["Next"])
    if isinstance(body.get("Default"), str):
        targets.append(body["Default"])
    for key in ("Choices", "Catch"):
        for entry in body.get(key) or ():
            if isinstance(entry, Mapping) and isinstance(entry.get("Next"), str):
                targets.append(entry["Next"])
    states: dict[str, Any] = {LONE_STATE_NAME: body}
    for target in targets:
        if target != LONE_STATE_NAME:
            states.setdefault(target, {"Type": "Succeed"})
    return {"StartAt": LONE_STATE_NAME, "States": states}


#: AWS's answer to a Map or Parallel without a mock: InvalidDefinition with this literal message, the same
#: for both types (recorded by LocalStack against AWS: localstack/localstack pull request 13457)
_MAP_PARALLEL_NEED_A_MOCK = ("InvalidDefinition: TestState API does not support Map or Parallel states. "
                             "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]")


def _refuse_without_mock(state: State, interp: Interpreter | None) -> None:
    """TestState "only supports the following when a mock is specified: Activity tasks, .sync or
    .waitForTaskToken service integration patterns, Parallel, or Map states" (TestState API reference).

    A Task the caller gave aslrun a way to run (a MockConfigFile test case, or an integration that
    handles its resource, such as the EKS plugin's ``eks:runJob.sync``) still runs: that is what a
    local TestState is for. Without either, AWS's refusal is the useful answer.
    """
    from aslrun.integrations.arn import parse_resource

    if isinstance(state, (MapState, ParallelState)):
        raise InputError(f"{_MAP_PARALLEL_NEED_A_MOCK} ({state.name!r} is a {state.type} state: give it a mock, "
                         '--mock \'{"result": ...}\' or {"errorOutput": ...})')
    if not isinstance(state, TaskState):
        return
    parsed = parse_resource(state.resource)
    if parsed.kind == "activity":
        what = "Activity tasks"
    elif parsed.pattern.startswith(".sync") or parsed.pattern == ".waitForTaskToken":
        what = f"the '{parsed.pattern.split(':')[0]}' service integration pattern"
    else:
        return
    if interp is not None and (interp.mock is not None or interp.integrations.resolve(parsed) is not None):
        return
    raise InputError(f"InvalidDefinition: TestState API supports {what} only when a mock is specified "
                     f"({state.name!r} has Resource {state.resource!r}): give it a mock, "
                     '--mock \'{"result": ...}\' or {"errorOutput": ...}')


def _parse_mock(mock: Mapping[str, Any] | None, state: State,
                interp: Interpreter | None = None) -> tuple[str, Any] | None:
    if mock is None:
        _refuse_without_mock(state, interp)
        return None
    if not isinstance(mock, Mapping):
        raise InputError('a mock must be an object: {"result": ...} or {"errorOutput": {"error": ..., "cause": ...}}')
    if not isinstance(state, _MOCKABLE):
        raise InputError(f"a mock can only be given for Task, Map and Parallel states; {state.name!r} is a "
                         f"{state.type} state")
    unknown = sorted(set(mock) - {"result", "errorOutput", "fieldValidationMode"})
    if unknown:
        raise InputError(f"unknown mock field {unknown[0]!r}: use result or errorOutput (and fieldValidationMode)")
    if ("result" in mock) == ("errorOutput" in mock):
        raise InputError("a mock holds exactly one of result and errorOutput")
    if "result" in mock:
        value = mock["result"]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise InputError(f"mock result is not valid JSON text: {exc.msg} (column {exc.colno})") from None
        return "result", value
    error_output = mock["errorOutput"]
    if not isinstance(error_output, Mapping) or set(error_output) - {"error", "cause"} or not all(
        isinstance(v, str) for v in error_output.values()
    ):
        raise InputError('mock errorOutput must be {"error": "<name>", "cause": "<text>"} (both strings, optional)')
    return "errorOutput", (error_output.get("error"), error_output.get("cause"))


def _parse_variables(variables: Mapping[str, Any] | str | None) -> dict[str, Any]:
    if variables is None:
        return {}
    if isinstance(variables, str):
        try:
            variables = json.loads(variables)
        except json.JSONDecodeError as exc:
            raise InputError(f"variables are not valid JSON: {exc.msg} (column {exc.colno})") from None
    if not isinstance(variables, Mapping):
        raise InputError("variables must be a JSON object of name -> value")
    return dict(variables)


def _with_retries_used(state: State, retries: int) -> State:
    """The state with ``retries`` already spent on every retrier, so the engine retries only when AWS would."""
    if not retries or not isinstance(state, _MOCKABLE) or not state.retry:
        return state
    spent = tuple(replace(r, max_attempts=max(0, r.max_attempts - retries)) for r in state.retry)
    return replace(state, retry=spent)


class _TestStateContext(ContextFactory):
    """The context object TestState builds: an express execution, the tested state named ``StateName``."""

    def __init__(self, *args: Any, tested: State, retries: int, override: dict[str, Any] | None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tested = tested
        self.retries = retries
        self.override = override
        self.execution["Id"] = (f"arn:{self.partition}:states:{self.region}:{self.account}:express:"
                                f"{self.machine_name}:{self.execution_name}")
        # AWS's TestState context has no RedriveCount (an express execution is never redriven).
        self.execution.pop("RedriveCount", None)

    def state_context(self, name: str, entered: Any, retry_count: int | None,
                      task_token: str | None = None) -> dict[str, Any]:
        ctx = super().state_context(name, entered, retry_count, task_token)
        if name == self.tested.name:
            ctx["State"]["Name"] = LONE_STATE_NAME
            if isinstance(self.tested, _MOCKABLE):
                ctx["State"]["RetryCount"] = self.retries
        if self.override:
            ctx = _merge(ctx, copy.deepcopy(self.override))
        return ctx


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# ---------------------------------------------------------------- the driver


class _TestStatePolicy(Policy):
    """TestState on the ordinary driver: records stages, answers the inline mock, decides the status."""

    deadline = False
    unhandled_hint = ("Give the state a mock (--mock '{\"result\": ...}'), or install or register an "
                      "integration for it.")

    def __init__(self, engine: Engine, state: State, mock: tuple[str, Any] | None, retries: int) -> None:
        super().__init__()
        self.engine = engine
        self.state = state
        self.mock = mock
        self.retries = retries
        self.stages: dict[str, Any] = {}
        self.error_details: dict[str, Any] | None = None
        self.status: str | None = None
        self.error: tuple[str | None, str | None] | None = None

    def _tested(self, stage: Stage) -> bool:
        return stage.scope == () and stage.state.name == self.state.name

    def stage(self, execution: Execution, stage: Stage) -> Any:
        if not self._tested(stage):
            return stage.value
        if stage.name == "error":
            return self._decide(stage)
        if stage.name == "result" and self.mock is not None and isinstance(self.state, (MapState, ParallelState)):
            kind, value = self.mock
            if kind == "errorOutput":
                raise StatesError(value[0], value[1])
            stage.value = copy.deepcopy(value)
        self.stages[stage.name] = stage.value
        return stage.value

    def _decide(self, stage: Stage) -> Any:
        """At the error stage: RETRIABLE halts here; CAUGHT_ERROR and FAILED let the engine go on."""
        plan = stage.value
        error, cause = plan.get("Error"), plan.get("Cause")
        self.error = (error, cause)
        state: Any = self.state
        if self.retries:
            plan = self.engine.failure_plan(state, StatesError(error, cause), [self.retries] * len(state.retry),
                                            False)
        details: dict[str, Any] = {}
        if plan.get("retryIndex") is not None:
            delay = plan["retryBackoffIntervalSeconds"]
            details["retryBackoffIntervalSeconds"] = int(delay) if float(delay).is_integer() else delay
            details["retryIndex"] = plan["retryIndex"]
            self.error_details = details
            raise Halt
        for i, retrier in enumerate(state.retry):
            if error_matches(retrier.error_equals, error):
                details["retryIndex"] = i  # matched, but its attempts are used up
                break
        if plan.get("catchIndex") is not None:
            details["catchIndex"] = plan["catchIndex"]
            self.status = "CAUGHT_ERROR"
        self.error_details = details or None
        return stage.value

    def _mocks_task(self, state_name: str, scope: tuple[Any, ...] | None = None) -> bool:
        if self.mock is None or not isinstance(self.state, TaskState):
            return False
        return scope == (self.state.name,) if scope is not None else state_name == self.state.name

    def answer(self, execution: Execution, invoke: Invoke) -> Any:
        if not self._mocks_task(invoke.state_name, invoke.scope):
            return NOT_MOCKED
        assert self.mock is not None
        kind, value = self.mock
        if kind == "errorOutput":
            raise StatesError(value[0], value[1])
        return TaskReply(copy.deepcopy(value))

    def checks(self, execution: Execution, check: CheckTask) -> bool:
        return not self._mocks_task(check.state_name)

    def runs(self, execution: Execution, spawn: Spawn) -> bool:
        # A mocked Map or Parallel runs no iterations or branches: the mock is its result.
        return not (self.mock is not None and isinstance(self.state, (MapState, ParallelState)))

    def result(self, outcome: ChildOutcome, events: list[Event]) -> TestStateResult:
        """The TestState answer for how the state's run ended."""
        if outcome.extra.get("halted"):
            error, cause = self.error or (None, None)
            return TestStateResult("RETRIABLE", error=error, cause=cause, events=events)
        if not outcome.ok:
            return TestStateResult("FAILED", error=outcome.error, cause=outcome.cause, events=events)
        next_state, output = outcome.value
        if self.status == "CAUGHT_ERROR":
            error, cause = self.error or (None, None)
            return TestStateResult("CAUGHT_ERROR", output, error, cause, next_state, events=events)
        return TestStateResult("SUCCEEDED", output, next_state=next_state, events=events)


def _entered(events: list[Event]) -> Event | None:
    """The tested state's ``…StateEntered`` event (the first one recorded)."""
    return next((e for e in events if e.type.endswith("StateEntered")), None)


# ---------------------------------------------------------------- inspectionData


def _inspection(policy: _TestStatePolicy, entered: Event | None, state: State, input: Any,
                frame: Frame) -> dict[str, Any]:
    stages = policy.stages
    data: dict[str, Any] = {"input": input}
    if state.jsonata:
        if isinstance(state, TaskState):
            _copy(stages, data, "afterArguments")
            _copy(stages, data, "result")
    elif isinstance(state, PassState):
        if state.has_result:
            _copy(stages, data, "result")
            _result_fields(stages, data)
        else:
            _copy(stages, data, "afterInputPath")
            if "afterInputPath" in data:
                data["afterParameters"] = stages.get("afterParameters", data["afterInputPath"])
            if "result" in stages:
                data["afterResultSelector"] = stages["result"]
            _copy(stages, data, "afterResultPath")
    elif isinstance(state, TaskState):
        _copy(stages, data, "afterInputPath")
        if "afterInputPath" in data:
            data["afterParameters"] = stages.get("afterParameters", data["afterInputPath"])
        _copy(stages, data, "result")
        _result_fields(stages, data)
    elif isinstance(state, (ChoiceState, WaitState)):
        _copy(stages, data, "afterInputPath")
    elif isinstance(state, (SucceedState, ParallelState, MapState)):
        after = _after_input_path(policy.engine, entered, state, input, frame)
        if after is not _MISSING:
            data["afterInputPath"] = after
        if isinstance(state, ParallelState):
            _copy(stages, data, "result")
            _result_fields(stages, data)
        elif isinstance(state, MapState):
            _result_fields(stages, data)
    elif isinstance(state, FailState):
        data["afterInputPath"] = input
    if isinstance(state, MapState):
        data.update(_map_fields(policy.engine, entered, state, input, frame))
    if frame.variables:
        data["variables"] = dict(frame.variables)
    if policy.error_details:
        data["errorDetails"] = policy.error_details
    return {key: data[key] for key in _ORDER if key in data}


_MISSING: Any = object()


def _copy(stages: Mapping[str, Any], data: dict[str, Any], key: str) -> None:
    if key in stages:
        data[key] = stages[key]


def _result_fields(stages: Mapping[str, Any], data: dict[str, Any]) -> None:
    """afterResultSelector (the result itself without a ResultSelector) and afterResultPath, once reached."""
    if "afterResultPath" not in stages:
        return
    data["afterResultSelector"] = stages.get("afterResultSelector", stages.get("result"))
    data["afterResultPath"] = stages["afterResultPath"]


def _after_input_path(engine: Engine, entered: Event | None, state: State, input: Any, frame: Frame) -> Any:
    """InputPath alone is pure, so it is worked out again for the states whose runner reports no stage for it."""
    if entered is None:  # pragma: no cover - every runner enters its state first
        return _MISSING
    try:
        return apply_input_path(state.input_path, engine.env(frame, state, input, entered))
    except StatesError:
        return _MISSING


def _map_fields(engine: Engine, entered: Event | None, state: MapState, input: Any, frame: Frame) -> dict[str, Any]:
    """maxConcurrency, the tolerated failures and (JSONPath) afterItemsPath, as the engine computes them."""
    out: dict[str, Any] = {}
    if entered is None:  # pragma: no cover
        return out
    env = None if state.jsonata else engine.env(frame, state, input, entered)
    try:
        if env is not None:
            effective = apply_input_path(state.input_path, env)
            items = state.items_path.get(env.with_input(effective)) if state.items_path is not None else effective
            out["afterItemsPath"] = items
        _, max_conc, tolerance, _ = engine.maps.setup(state, input, frame, entered, env)
        out["maxConcurrency"] = max_conc
        count, pct = tolerance()
    except Exception:  # the run itself reported the problem; show what could be worked out
        return out
    if count is not None:
        out["toleratedFailureCount"] = count
    if pct is not None:
        out["toleratedFailurePercentage"] = float(pct)
    return out
