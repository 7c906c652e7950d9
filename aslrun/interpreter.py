"""The hub: settings, clock choice, randomness and the integration registry.

One :class:`Interpreter` holds everything an execution needs that is not the
definition itself. Nothing mutable lives at module level; two interpreters with
different settings can run side by side.
"""

from __future__ import annotations

import random
import threading
import uuid
import warnings
from collections.abc import Iterable
from typing import Any

from aslrun import defaults
from aslrun.clock import Clock, SystemClock, VirtualClock
from aslrun.context import ContextFactory
from aslrun.engine import Engine
from aslrun.errors import InputError, TaskTokenError
from aslrun.execution import Execution, ExecutionResult, Listener
from aslrun.expressions.cache import ExpressionCache
from aslrun.integrations.base import Integration
from aslrun.integrations.mock import MockTestCase
from aslrun.integrations.registry import IntegrationRegistry
from aslrun.jsonlimits import find_problem
from aslrun.nodes import StateMachine, TaskState
from aslrun.parser import parse
from aslrun.redrive import RedrivePlan
from aslrun.source import read_definition

__all__ = ["Interpreter"]

_CLOCKS = ("auto", "virtual", "real")


class Interpreter:
    """Loads state machines and runs executions of them.

    :param clock: ``"auto"`` (virtual unless a Task talks to a real remote system),
        ``"virtual"``, ``"real"``, or a :class:`~aslrun.clock.Clock` instance.
    :param integrations: integrations tried before the ``aslrun.integrations`` plugins.
    :param load_plugins: load plugins from the entry-point group.
    :param seed: seed for the execution's randomness (retry jitter, UUIDs, unseeded
        ``States.MathRandom``), for reproducible runs.
    :param history_limit: maximum history events (AWS: 25,000); ``None`` lifts it.
    :param check_payload_limits: enforce the 256 KiB payload limit (``States.DataLimitExceeded``).
    :param mock: a :class:`~aslrun.integrations.mock.MockTestCase` whose mocked responses Task
        states get instead of calling integrations.
    :param options: settings that integration plugins read (``{"eks.backend": "aws"}``).
    :param keep_history: ``False`` keeps no events (listeners still get each one): memory stays flat
        over huge loops and benchmarks; the result's ``history`` is then empty.
    """

    def __init__(
        self,
        *,
        clock: str | Clock = "auto",
        integrations: Iterable[Integration] = (),
        load_plugins: bool = True,
        seed: int | None = None,
        region: str = defaults.REGION,
        account: str = defaults.ACCOUNT_ID,
        partition: str = defaults.PARTITION,
        role_arn: str = defaults.ROLE_ARN,
        history_limit: int | None = defaults.MAX_HISTORY_EVENTS,
        check_payload_limits: bool = True,
        mock: MockTestCase | None = None,
        options: dict[str, Any] | None = None,
        keep_history: bool = True,
    ) -> None:
        if isinstance(clock, str) and clock not in _CLOCKS:
            raise InputError(f"unknown clock {clock!r}: use one of {', '.join(_CLOCKS)}")
        self.clock = clock
        self.integrations = IntegrationRegistry(integrations, load_plugins=load_plugins, owner=self)
        self.seed = seed
        self._seeder = random.Random(seed)
        self.region = region
        self.account = account
        self.partition = partition
        self.role_arn = role_arn
        self.history_limit = history_limit
        #: False: events go to listeners but are not kept (memory stays flat over huge loops; the
        #: result's history is empty). The 25,000-event limit still counts them.
        self.keep_history = keep_history
        self.check_payload_limits = check_payload_limits
        #: mocked Task results (a MockConfigFile test case); tried before any integration
        self.mock = mock
        #: settings for integration plugins, by dotted name (``"eks.backend": "local"``)
        self.options: dict[str, Any] = dict(options or {})
        self._running = 0
        self._used: dict[int, Integration] = {}
        self._running_lock = threading.Lock()
        #: task token -> the execution whose Task waits on it (SendTaskSuccess and friends find it here)
        self._tokens: dict[str, Execution] = {}
        self._issued: set[str] = set()
        #: compiled expressions of the definitions this interpreter loaded; its own, never shared
        self.expression_cache = ExpressionCache()

    # ------------------------------------------------------------ loading

    def load(self, source: Any, name: str | None = None, validate: bool = True) -> StateMachine:
        """Read, validate and compile a definition (dict, JSON/YAML text, or a path).

        ``name`` is the state machine's name (default: the file's stem, else ``StateMachine``).
        Raises :class:`~aslrun.errors.DefinitionError` listing every problem.
        """
        if isinstance(source, StateMachine):
            return source
        src = read_definition(source, None)
        machine_name = name or (src.path.stem if src.path is not None else "StateMachine")
        return parse(src.value, name=machine_name, source_name=src.name, validate=validate,
                     cache=self.expression_cache)

    # ------------------------------------------------------------ running

    def choose_clock(self, machine: StateMachine) -> Clock:
        """The clock for one execution of ``machine``."""
        if not isinstance(self.clock, str):
            return self.clock
        if self.clock == "virtual":
            return VirtualClock()
        if self.clock == "real":
            return SystemClock()
        for state in machine.all_states().values():
            if isinstance(state, TaskState):
                if self.mock is not None and (state.name in self.mock.states or not self.mock.hybrid):
                    continue
                integration = self.integrations.resolve(state.resource)
                if integration is not None and getattr(integration, "remote", False):
                    return SystemClock()
        return VirtualClock()

    def start(
        self,
        machine: StateMachine | Any,
        input: Any = None,
        *,
        name: str | None = None,
        listeners: Iterable[Listener] = (),
        context: dict[str, Any] | None = None,
        on_stage: Any = None,
        redrive: RedrivePlan | None = None,
    ) -> Execution:
        """Prepare an execution; call :meth:`Execution.run` to run it.

        ``listeners`` get every history event as it is recorded; ``on_stage(execution, stage)``
        turns inspection on and gets every data-flow step (:class:`aslrun.effects.Stage`), returning
        the value to go on with. ``redrive`` (from :func:`aslrun.redrive.plan_redrive`) makes the
        execution a redrive of an earlier one of the same ``name`` and ``input``: its history goes on
        from ``ExecutionRedriven`` (see :meth:`redrive`).
        """
        machine = self.load(machine)
        if input is None:
            input = {}
        rng = random.Random(self._seeder.getrandbits(64))
        execution_name = str(uuid.UUID(int=rng.getrandbits(128), version=4)) if name is None else name
        if not 1 <= len(execution_name) <= defaults.MAX_NAME_LENGTH:
            raise InputError(
                f"an execution name must be 1 to {defaults.MAX_NAME_LENGTH} characters long, "
                f"not {len(execution_name)}"
            )
        # StartExecution takes the input as JSON text and refuses text that is not valid JSON
        # (InvalidExecutionInput, "The provided JSON input data is not valid."): a Python value that
        # no JSON text can hold (NaN, a lone surrogate, an object, ...) or that is past aslrun's
        # limits (MAX_JSON_DEPTH, MAX_NUMBER_DIGITS) is refused before an execution exists.
        problem = find_problem(input)
        if problem is not None:
            raise InputError(f"invalid execution input at {problem.pointer}: {problem.message}")
        if self.check_payload_limits:
            from aslrun.dataflow import payload_size

            size = payload_size(input)
            if size > defaults.MAX_PAYLOAD_BYTES:
                # StartExecution refuses such an input; no execution is created.
                raise InputError(
                    "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have "
                    f"length less than or equal to {defaults.MAX_PAYLOAD_BYTES} (the input is {size} bytes)"
                )
        clock = self.choose_clock(machine)
        start_time = clock.time()
        if redrive is not None and redrive.start_time is not None:
            start_time = redrive.start_time
        ctx = ContextFactory(
            machine.name,
            execution_name,
            input,
            start_time,
            role_arn=self.role_arn,
            region=self.region,
            account=self.account,
            partition=self.partition,
            extra=context,
        )
        if redrive is not None:
            ctx.execution["RedriveCount"] = redrive.redrive_count
        engine = Engine(machine, ctx, rng, region=self.region, check_payload_limits=self.check_payload_limits,
                        inspect=on_stage is not None)
        return Execution(self, machine, engine, input, execution_name, clock, list(listeners), self.history_limit,
                         on_stage=on_stage, redrive=redrive)

    def redrive(self, machine: StateMachine | Any, history: ExecutionResult | Iterable[Any], *,
                name: str | None = None, listeners: Iterable[Listener] = ()) -> Execution:
        """Prepare a redrive of a failed, aborted or timed-out execution, as ``RedriveExecution`` does.

        ``history`` is the execution's result, or its whole history so far (the first attempt's events
        followed by those of every earlier redrive, with ``name`` then). It runs with the same name and
        input; the returned execution's :attr:`~Execution.events` are the new ones only, from
        ``ExecutionRedriven`` on::

            first = interpreter.run(machine, {"order": 1})          # FAILED
            second = interpreter.redrive(machine, first).run()
            history = first.events + second.events

        :raises aslrun.redrive.NotRedrivable: the execution succeeded, is running, or its history is full.
        """
        from aslrun.redrive import plan_redrive

        if isinstance(history, ExecutionResult):
            name = history.name if name is None else name
            history = history.events + [e for events in history.child_events.values() for e in events]
        if name is None:
            raise InputError("redrive needs the execution's name with a bare history")
        machine = self.load(machine)
        plan = plan_redrive(machine, history)
        return self.start(machine, plan.input, name=name, listeners=listeners, redrive=plan)

    # ------------------------------------------------------------ integrations' lifetime

    # ------------------------------------------------------------ callbacks

    def send_task_success(self, token: str, output: Any) -> None:
        """``SendTaskSuccess``: the Task waiting on ``token`` (in any execution of this interpreter) succeeds.

        :raises TaskTokenError: ``InvalidToken`` for a token this interpreter never issued,
            ``TaskDoesNotExist`` when no Task waits on it any more.
        """
        self._waiting(token).send_task_success(token, output)

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """``SendTaskFailure``: the Task waiting on ``token`` fails with ``error`` and ``cause``."""
        self._waiting(token).send_task_failure(token, error, cause)

    def send_task_heartbeat(self, token: str) -> None:
        """``SendTaskHeartbeat``: the Task waiting on ``token`` is still being worked on."""
        self._waiting(token).send_task_heartbeat(token)

    def remember_token(self, token: str, execution: Execution) -> None:
        """Called by an execution whose Task now waits on ``token``."""
        with self._running_lock:
            self._tokens[token] = execution
            self._issued.add(token)

    def forget_token(self, token: str) -> None:
        """Called when the Task waiting on ``token`` was answered, timed out or stopped."""
        with self._running_lock:
            self._tokens.pop(token, None)

    def _waiting(self, token: str) -> Execution:
        with self._running_lock:
            execution = self._tokens.get(token)
            issued = token in self._issued
        if execution is None:
            if not issued:
                raise TaskTokenError("InvalidToken", "Invalid token: no Task of this interpreter was given it")
            raise TaskTokenError("TaskDoesNotExist", "Task does not exist anymore: it was answered, timed out or "
                                                     "its execution ended")
        return execution

    def execution_started(self) -> None:
        """An execution (or a TestState call) of this interpreter begins (see :meth:`execution_ended`)."""
        with self._running_lock:
            self._running += 1

    def execution_ended(self, used: Iterable[Integration]) -> None:
        """An execution ended, whatever its outcome, having invoked ``used``.

        When no other execution of this interpreter is still running, every integration used since the
        last such moment is closed (its optional ``close()``): it releases what the runs held (the local EKS
        stops its servers, so nothing listens after a run) and opens again on its next use. An
        integration that fails to close is reported as a :class:`RuntimeWarning`; it does not change
        the execution's result.
        """
        with self._running_lock:
            self._running -= 1
            for integration in used:
                self._used[id(integration)] = integration
            if self._running > 0:
                return
            pending, self._used = list(self._used.values()), {}
        _close_all(pending)

    def close(self) -> None:
        """Close every integration this interpreter loaded (servers, threads, sockets, child processes).

        Idempotent. Executions close what they used when they end, so this matters for integrations
        that hold something between runs; ``with Interpreter(...) as interp:`` calls it on exit.
        """
        with self._running_lock:
            self._used = {}
        _close_all(self.integrations.loaded())

    def __enter__(self) -> Interpreter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(
        self,
        machine: StateMachine | Any,
        input: Any = None,
        *,
        name: str | None = None,
        listeners: Iterable[Listener] = (),
        context: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Run an execution to the end and return its result."""
        return self.start(machine, input, name=name, listeners=listeners, context=context).run()


def _close_all(integrations: Iterable[Integration]) -> None:
    """Call each integration's optional ``close()``; a failure is a warning, never the run's result."""
    for integration in integrations:
        close = getattr(integration, "close", None)
        if close is None:
            continue
        try:
            close()
        except Exception as exc:  # the run is over; its result stands
            warnings.warn(f"the {getattr(integration, 'name', integration)!s} integration failed to close: "
                          f"{type(exc).__name__}: {exc}", RuntimeWarning, stacklevel=3)
