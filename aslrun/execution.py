"""Drives the engine: performs effects, records the history, tells listeners.

The driver is a small cooperative scheduler. Each run (the execution, a Parallel
branch, a Map iteration, a running integration) is a generator with a
:class:`Run` record. A run goes until it blocks — on a sleep, on children, on an
integration working in the background — and then the next ready run goes.
With a virtual clock, when nothing is ready the clock jumps to the next wake-up
time, so Waits and retry backoffs take no real time but keep their order.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

from aslrun import defaults
from aslrun.callbacks import HELD, CallbackWait, CallbackWaits
from aslrun.clock import Clock, to_datetime
from aslrun.effects import (
    Aborted,
    AwaitCallback,
    Blocking,
    Cancel,
    CheckTask,
    ChildOutcome,
    Event,
    Invoke,
    Now,
    Progress,
    Sleep,
    Spawn,
    Stage,
    TaskReply,
    WaitAny,
)
from aslrun.engine import Engine, ExecutionTimedOut, Outcome
from aslrun.errors import StatesError, TaskTokenError
from aslrun.integrations.arn import parse_resource
from aslrun.integrations.base import TaskRequest
from aslrun.integrations.mock import NOT_MOCKED
from aslrun.integrations.services import check_service_parameters
from aslrun.policy import Halt, Policy
from aslrun.result import ExecutionResult
from aslrun.scheduling import CallbackTimer, Deadline, Run, roomy_gc

if TYPE_CHECKING:
    from aslrun.interpreter import Interpreter
    from aslrun.nodes import StateMachine
    from aslrun.redrive import RedrivePlan

__all__ = ["Execution", "ExecutionResult", "Listener"]

#: a listener gets every event as it is recorded
Listener = Callable[["Execution", Event], None]


class Execution:
    """One execution of a state machine. Create it with :meth:`aslrun.Interpreter.start`."""

    def __init__(
        self,
        interpreter: Interpreter,
        machine: StateMachine,
        engine: Engine,
        input: Any,
        name: str,
        clock: Clock,
        listeners: list[Listener],
        history_limit: int | None = defaults.MAX_HISTORY_EVENTS,
        on_stage: Callable[[Execution, Stage], Any] | None = None,
        policy: Policy | None = None,
        root: Generator[Any, Any, Any] | None = None,
        redrive: RedrivePlan | None = None,
    ) -> None:
        self.interpreter = interpreter
        self.machine = machine
        self.engine = engine
        self.input = input
        self.name = name
        self.clock = clock
        self.listeners = list(listeners)
        self.history_limit = history_limit
        #: the longest it may run whatever the definition says (an Express one: MAX_EXPRESS_SECONDS)
        self.max_seconds = defaults.MAX_EXECUTION_SECONDS
        #: what this driver is running for: an ordinary execution unless told otherwise (TestState)
        self.policy = policy if policy is not None else Policy(on_stage)
        #: the generator to drive: the whole machine unless told otherwise (one state, for TestState)
        self._root_gen = root
        self.events: list[Event] = []
        self.child_events: dict[Any, list[Event]] = {}
        #: told of each Distributed Map child's event (``listeners`` get the execution's own only)
        self.child_listeners: list[Listener] = []
        self._child_ids: dict[Any, int] = {}
        self._keep_history = interpreter.keep_history
        self.result: ExecutionResult | None = None
        #: a redrive (aslrun.redrive): the history's ids go on after the earlier attempts'
        self._redrive = redrive
        self._ids = redrive.next_event_id - 1 if redrive is not None else 0
        self._ready: deque[Run] = deque()
        self._timers: list[tuple[float, int, Any]] = []
        self._seq = itertools.count()
        self._finish_seq = itertools.count(1)
        self._root: Run | None = None
        self._abort_requested: type[Aborted] | None = None
        self._wake = threading.Event()
        self._invocations: dict[str, int] = dict(redrive.invocations) if redrive is not None else {}
        self._background: int = 0
        self._lock = threading.Lock()
        self._completed: deque[tuple[Run, Any, BaseException | None]] = deque()
        self._pool: Any = None
        self._event_cap = history_limit if history_limit is not None else float("inf")
        #: integrations this execution invoked (by id), closed when the interpreter has no run left
        self._used: dict[int, Any] = {}
        #: Tasks waiting for their token to be answered
        self._callbacks = CallbackWaits()
        #: set when the run is over: real waits on worker threads end at once
        self._stopping = threading.Event()

    # ------------------------------------------------------------ public

    @property
    def execution_arn(self) -> str:
        return self.engine.ctx.execution_arn

    @property
    def busy(self) -> bool:
        """True while an integration call runs in the background (a ``.sync`` Task waiting on its service)."""
        return self._background > 0

    def abort(self) -> None:
        """Stop the execution as StopExecution does (the run ends ABORTED).

        Safe from any thread and from a signal handler: on the main thread (where handlers run) the
        wake-up is handed to a short-lived thread, because setting the wake event there could wait on
        a lock that the interrupted code holds.
        """
        self._abort_requested = Aborted
        if threading.current_thread() is threading.main_thread():
            threading.Thread(target=self._wake.set, name="aslrun-abort", daemon=True).start()
        else:
            self._wake.set()

    def send_task_success(self, token: str, output: Any) -> None:
        """Answer a waiting ``.waitForTaskToken`` Task: it succeeds with ``output`` (any thread).

        :raises TaskTokenError: no Task of this execution waits on ``token``.
        """
        self._answer(token, TaskReply(output), None)

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        """Answer a waiting Task with a failure: its Retry and Catch see ``error`` and ``cause`` (any thread)."""
        self._answer(token, None, StatesError(error, cause))

    def send_task_heartbeat(self, token: str) -> None:
        """Tell a waiting Task its work goes on: its ``HeartbeatSeconds`` start again (any thread)."""
        wait = self._callbacks.get(token)
        if wait is None:
            if self._callbacks.issued(token):
                return  # its Task has not begun to wait: the heartbeat period starts then anyway
            raise TaskTokenError("TaskDoesNotExist", f"no Task of execution {self.name} waits on this token")
        wait.last_beat = self.clock.time()

    def run(self) -> ExecutionResult:
        """Run to the end and return the result."""
        if self.result is not None:
            return self.result
        start = self.clock.time()
        root = self.drive()
        outcome: Outcome = root.value if root.ok and isinstance(root.value, Outcome) else Outcome("ABORTED")
        ctx = self.engine.ctx
        self.result = ExecutionResult(
            status=outcome.status,
            output=outcome.output,
            error=outcome.error,
            cause=outcome.cause,
            name=self.name,
            execution_arn=ctx.execution_arn,
            state_machine_arn=ctx.machine_arn,
            start_time=start,
            stop_time=self.clock.time(),
            events=self.events,
            variables=dict(self.engine.root_variables),
            child_events=self.child_events,
        )
        return self.result

    def drive(self) -> ChildOutcome:
        """Drive the root generator to its end; how it ended (``extra["halted"]`` when a policy halted it).

        :meth:`run` drives the whole machine; TestState drives one state's runner with its own :class:`Policy`.
        """
        if self._root is not None:
            raise RuntimeError("an execution runs once")
        gen = self._root_gen if self._root_gen is not None else self.engine.run(self.input, self._redrive)
        root = Run(gen, "execution")
        self._root = root
        if self.policy.deadline:
            timeout = min(self.machine.timeout_seconds or self.max_seconds, self.max_seconds)
            heapq.heappush(self._timers, (self.clock.time() + timeout, next(self._seq), _TIMEOUT))
        self._ready.append(root)
        self.interpreter.execution_started()
        try:
            try:
                with roomy_gc():
                    self._loop()
            except KeyboardInterrupt:
                self._abort_root(Aborted)
        finally:
            self._release()
        return root.outcome if root.outcome is not None else ChildOutcome(ok=False, aborted=True)

    def _release(self) -> None:
        """The run is over: close the integrations it used and end every worker thread it started.

        Closing the integrations first unblocks worker threads still waiting on them (an open watch);
        a worker still busy after :data:`~aslrun.defaults.WORKER_JOIN_SECONDS` is reported as a
        :class:`RuntimeWarning` naming it rather than left to hold the process open unnoticed.
        """
        self._stopping.set()
        for wait in self._callbacks.take_all():
            self.interpreter.forget_token(wait.token)
        for token in self._callbacks.take_issued():
            self.interpreter.forget_token(token)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        self.interpreter.execution_ended(self._used.values())
        if pool is None:
            return
        threads = list(getattr(pool, "_threads", ()))
        deadline = time.monotonic() + defaults.WORKER_JOIN_SECONDS
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in threads if t.is_alive()]
        if stuck:
            import warnings

            warnings.warn(f"aslrun: {len(stuck)} worker thread(s) of the execution {self.name} still busy "
                          f"{defaults.WORKER_JOIN_SECONDS:g} s after it ended: {', '.join(stuck)}",
                          RuntimeWarning, stacklevel=3)

    # ------------------------------------------------------------ scheduler

    def _loop(self) -> None:
        root = self._root
        assert root is not None
        while not root.done:
            if self._abort_requested is not None:
                kind, self._abort_requested = self._abort_requested, None
                self._abort_root(kind)
                continue
            self._drain_completed()
            if self._ready:
                run = self._ready.popleft()
                if not run.done and not run.cancelled:
                    self._step(run)
                continue
            if self._timers:
                moment, _, run = self._timers[0]
                if self._background and self.clock.virtual and self.clock.time() < moment:
                    # A virtual clock must not race ahead of real work in the background, unless that
                    # work itself waits on the clock (a simulated Job container).
                    if not self._advance_for_waiters(moment):
                        self._wait_background()
                    continue
                # Wait for whichever comes first: the timer, a background result, or an abort. The wake
                # flag may still be set by an earlier result: clear it, then look again before sleeping.
                self._wake.clear()
                if self._completed or self._abort_requested is not None:
                    continue
                self.clock.sleep_until(moment, self._wake)
                if self._abort_requested is not None or self.clock.time() < moment:
                    continue
                heapq.heappop(self._timers)
                if run is _TIMEOUT:
                    self._abort_root(ExecutionTimedOut)
                    continue
                if isinstance(run, CallbackTimer):
                    self._callback_timer(run)
                    continue
                if isinstance(run, Deadline):
                    self._task_timed_out(run)
                    continue
                if run.done or run.cancelled or run.waiting_on is not _SLEEPING:
                    continue
                run.waiting_on = None
                run.send = None
                self._ready.append(run)
                continue
            if self._background:
                if not (self.clock.virtual and self._advance_for_waiters(None)):
                    self._wait_background()
                continue
            raise RuntimeError("aslrun internal error: every run is blocked and nothing can wake them")

    def _start_blocking(self, run: Run, item: Blocking) -> None:
        """Run ``item.fn`` on a worker thread; the run resumes when it returns."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="aslrun-io")
        run.waiting_on = _BLOCKING
        self._background += 1

        def done(future: Any) -> None:
            exc = future.exception()
            self._completed.append((run, None if exc else future.result(), exc))
            self._wake.set()

        self._pool.submit(item.fn, *item.args).add_done_callback(done)

    def _progress(self, item: Progress, run: Run | None = None, **extra: Any) -> None:
        scope = item.scope or (run.scope if run is not None else ())
        note = Event("Progress", None, {"message": item.message, **extra}, 0, scope)
        note.timestamp = self.clock.time()
        for listener in self.listeners:
            listener(self, note)

    def _advance_for_waiters(self, limit: float | None) -> bool:
        """Move a virtual clock to the first moment a background thread waits for (at most ``limit``).

        Only once the background has been quiet for :data:`~aslrun.defaults.VIRTUAL_QUIET_SECONDS` of
        real time: a result that comes in that time is handled first. False when no thread waits on
        the clock (then the caller waits for the background as before).
        """
        next_waiter = getattr(self.clock, "next_waiter", None)
        waiting = next_waiter() if next_waiter is not None else None
        if waiting is None:
            return False
        if self._wake.wait(defaults.VIRTUAL_QUIET_SECONDS):
            self._wake.clear()
            return True  # a result or an abort came: the loop looks at it first
        if self._completed or self._abort_requested is not None:
            return True
        self.clock.sleep_until(waiting if limit is None else min(waiting, limit))
        return True

    def _wait_background(self) -> None:
        idle = getattr(self.clock, "idle", None)  # a debugger's clock may stop here (Ctrl-C)
        if idle is not None and idle():
            return
        self._wake.wait(0.5)
        self._wake.clear()

    def _drain_completed(self) -> None:
        while self._completed:
            run, value, exc = self._completed.popleft()
            self._background -= 1
            if run.done or run.cancelled:
                continue
            run.waiting_on = None
            run.send, run.throw = value, exc
            self._ready.append(run)

    def _record(self, event: Event) -> None:
        keep = self._keep_history
        if event.child is not None:
            ids = self._child_ids
            event.id = ids[event.child] = ids.get(event.child, 0) + 1
            event.timestamp = self.clock.time()
            if keep:
                self.child_events.setdefault(event.child, []).append(event)
            for listener in self.child_listeners:
                listener(self, event)
            return
        self._ids += 1
        event.id = self._ids
        event.timestamp = self.clock.time()
        if keep:
            self.events.append(event)
        for listener in self.listeners:
            listener(self, event)

    def _finish(self, run: Run, outcome: ChildOutcome) -> None:
        run.done = True
        run.outcome = outcome
        run.finished_seq = next(self._finish_seq)
        parent = run.parent
        key = run.child
        if key is not None and (parent is None or parent.child != key):
            # A Distributed Map's child execution ended: its event counter goes (a million children).
            self._child_ids.pop(key, None)
        if run.resume is not None:
            task = run.resume
            if not task.done and not task.cancelled:
                task.waiting_on = None
                if outcome.ok:
                    task.send, task.throw = outcome.value, None
                elif outcome.aborted:
                    return
                else:
                    task.send, task.throw = None, outcome.extra.get("exception") or StatesError(
                        outcome.error, outcome.cause)
                self._ready.append(task)
            return
        if parent is not None and parent.waiting_on is not None and parent.waiting_on is not _SLEEPING \
                and run in parent.waiting_on:
            parent.waiting_on = None
            parent.send = run
            self._ready.append(parent)

    def _step(self, run: Run) -> None:
        """Resume ``run`` and perform what it yields until it blocks or ends."""
        gen = run.gen
        send, exc = run.send, run.throw
        run.send = run.throw = None
        run.started = True
        while True:
            try:
                item = gen.throw(exc) if exc is not None else gen.send(send)
            except StopIteration as stop:
                self._finish(run, ChildOutcome(ok=True, value=stop.value))
                return
            except StatesError as err:
                self._finish(run, ChildOutcome(ok=False, error=err.error, cause=err.cause,
                                               extra={"exception": err}))
                return
            except Aborted:
                self._finish(run, ChildOutcome(ok=False, aborted=True))
                return
            if type(item) is Event:
                # Events are most of what a run yields: recorded here, without a call to _perform.
                if self._ids + 1 >= self._event_cap and item.child is None and item.type not in _FINAL_TYPES:
                    # AWS: event number 25,000 must be the execution's end, else it is ExecutionFailed.
                    self._history_limit_reached()
                    return
                run.scope = item.scope
                run.child = item.child
                self._record(item)
                if self._abort_requested is not None:
                    # Let the loop stop the execution between two events.
                    self._ready.appendleft(run)
                    return
                send = exc = None
                continue
            answer = self._perform(run, item, False)
            if answer is _BLOCKED:
                return
            send, exc = answer

    def _perform(self, run: Run, item: Any, unwinding: bool) -> Any:
        """Perform one effect of ``run``: ``(value to send, exception to throw)``, or ``_BLOCKED``.

        This is the one place effects are performed (a live run's history events excepted: :meth:`_step`
        records those itself, as they are most of what a run yields). ``unwinding`` is a run being stopped
        (:meth:`_unwind`): it finishes synchronously, so what would block it (a sleep, an
        invocation, waiting on children) is answered with :class:`~aslrun.effects.Aborted`, and a
        blocking call runs inline. A new effect type gets its branch here and nowhere else.
        """
        kind = type(item)
        if kind is Event:  # a live run's events are recorded by _step itself (the hot path)
            self._record(item)
            return _GO_ON
        if kind is Now:
            return to_datetime(self.clock.time()), None
        if kind is Cancel:
            self._cancel(item.handle, item.silent)
            return _GO_ON
        if kind is Progress:
            self._progress(item, run)
            return _GO_ON
        if kind is Stage:
            if unwinding:
                return item.value, None
            try:
                return self.policy.stage(self, item), None
            except StatesError as err:
                return None, err
            except Halt:
                self._halt()
                return _BLOCKED
        if kind is Blocking:
            if not unwinding:
                self._start_blocking(run, item)
                return _BLOCKED
            # Cleanup while stopping (deleting a Job, say) runs inline: nothing else is waiting on it.
            try:
                return item.fn(*item.args), None
            except Exception as err:  # handed back to the code that asked, as with any Blocking call
                return None, err
        if unwinding:
            return None, Aborted()
        if kind is Invoke:
            outcome = self._invoke(run, item)
            if outcome is _BLOCKED:
                return _BLOCKED
            return (None, outcome) if isinstance(outcome, BaseException) else (outcome, None)
        if kind is Sleep:
            return self._sleep(run, item)
        if kind is Spawn:
            return self._spawn(run, item), None
        if kind is WaitAny:
            finished = [h for h in item.handles if h.done]
            if finished:
                return min(finished, key=lambda h: h.finished_seq), None
            run.waiting_on = list(item.handles)
            return _BLOCKED
        if kind is AwaitCallback:
            return self._await_callback(run, item)
        if kind is CheckTask:
            return None, self._check_task(item)
        return None, TypeError(f"aslrun internal error: the engine yielded {item!r}")

    def _sleep(self, run: Run, item: Sleep) -> Any:
        """The only place aslrun paces time: a timer on the execution's clock (real or virtual)."""
        if item.reason == "retry" and self.listeners:
            self._progress(Progress(f"retrying in {item.seconds:g} s"), run, retryIn=item.seconds)
        if run.remote and self.clock.virtual:
            # Polling a real API: a virtual clock must not turn the waits into a tight loop.
            self._start_blocking(run, Blocking(self._stopping.wait, (item.seconds,)))
            return _BLOCKED
        run.waiting_on = _SLEEPING
        heapq.heappush(self._timers, (self.clock.time() + item.seconds, next(self._seq), run))
        return _BLOCKED

    def _spawn(self, run: Run, item: Spawn) -> Run:
        child = Run(item.run, item.label, run)
        if not self.policy.runs(self, item):
            # The policy answers for the child (a mocked Map or Parallel): it ends at once, with no value.
            item.run.close()
            child.done = True
            child.outcome = ChildOutcome(ok=True)
            child.finished_seq = next(self._finish_seq)
            return child
        self._ready.append(child)
        return child

    # ------------------------------------------------------------ cancelling

    def _stop_integration(self, run: Run) -> None:
        """A Task run is going away: let the integration working for it clean up (delete its Job...)."""
        for wait in self._callbacks.take_run(run):
            self._background -= 1
            self.interpreter.forget_token(wait.token)
        waiting = run.waiting_on
        if isinstance(waiting, list):
            for sub in waiting:
                if sub.resume is run and not sub.done:
                    sub.resume = None
                    self._cancel(sub)

    def _cancel(self, run: Run, silent: bool = False) -> None:
        if run.done:
            return
        self._stop_integration(run)
        run.cancelled = True
        if not run.started or silent:
            run.gen.close()
            run.done = True
            run.outcome = ChildOutcome(ok=False, aborted=True)
            return
        self._unwind(run, Aborted())

    def _unwind(self, run: Run, exc: BaseException | None) -> Any:
        """Throw ``exc`` into a run and finish it synchronously (events and nested cancels only)."""
        self._stop_integration(run)
        gen = run.gen
        run.waiting_on = None
        send: Any = None
        while True:
            try:
                item = gen.throw(exc) if exc is not None else gen.send(send)
            except StopIteration as stop:
                run.done = True
                run.outcome = ChildOutcome(ok=True, value=stop.value)
                return stop.value
            except (Aborted, StatesError):
                run.done = True
                run.outcome = ChildOutcome(ok=False, aborted=True)
                return None
            send, exc = self._perform(run, item, True)

    def _await_callback(self, run: Run, item: AwaitCallback) -> Any:
        """Park ``run`` until its token is answered or its heartbeat or timeout runs out."""
        now = self.clock.time()
        wait = CallbackWait(item.token, run, item.state_name, item.heartbeat_seconds, now)
        early = self._callbacks.wait(wait)
        if early is not None:  # answered before the Task began to wait
            self.interpreter.forget_token(item.token)
            return early
        self.interpreter.remember_token(item.token, self)
        run.waiting_on = _CALLBACK
        # An answer comes from another thread, like a background call's result: a virtual clock waits for it.
        self._background += 1
        for seconds, heartbeat in ((item.timeout_seconds, False), (item.heartbeat_seconds, True)):
            if seconds:
                moment = now + min(seconds, defaults.MAX_RETRY_DELAY_SECONDS)
                heapq.heappush(self._timers, (moment, next(self._seq), CallbackTimer(wait, heartbeat)))
        self._progress(Progress(f"waiting for SendTaskSuccess or SendTaskFailure with task token {item.token}",
                                item.scope), run, taskToken=item.token)
        return _BLOCKED

    def _answer(self, token: str, value: Any, exc: BaseException | None) -> None:
        wait = self._callbacks.answer(token, (value, exc))
        if wait is HELD:
            return
        if wait is None:
            raise TaskTokenError("TaskDoesNotExist", f"no Task of execution {self.name} waits on this token")
        self.interpreter.forget_token(token)
        self._completed.append((wait.run, value, exc))
        self._wake.set()

    def _callback_timer(self, timer: CallbackTimer) -> None:
        """A waiting Task's TimeoutSeconds, or its HeartbeatSeconds since the last heartbeat, passed."""
        wait = timer.wait
        if self._callbacks.get(wait.token) is not wait:
            return  # answered already
        if timer.heartbeat and wait.heartbeat:
            due = wait.last_beat + wait.heartbeat
            if self.clock.time() < due:  # a heartbeat came: look again when the new period ends
                heapq.heappush(self._timers, (due, next(self._seq), timer))
                return
        if self._callbacks.take(wait.token) is not wait:
            return
        self.interpreter.forget_token(wait.token)
        self._background -= 1
        run = wait.run
        run.waiting_on = None
        run.send, run.throw = None, StatesError(
            "States.Timeout", None, extra={"event": "TaskTimedOut", "heartbeat": timer.heartbeat})
        self._ready.append(run)

    def _task_timed_out(self, deadline: Deadline) -> None:
        """A Task's TimeoutSeconds passed while its integration was still working."""
        sub, task = deadline.sub, deadline.task
        if sub.done or task.done or task.cancelled:
            return
        sub.resume = None
        self._cancel(sub)
        task.waiting_on = None
        task.send, task.throw = None, StatesError(
            "States.Timeout", None, extra={"event": "TaskTimedOut", "heartbeat": deadline.heartbeat})
        self._ready.append(task)

    def _history_limit_reached(self) -> None:
        """Stop everything and end the execution with AWS's history-limit failure."""
        root = self._root
        assert root is not None
        self._ready.clear()
        self._timers.clear()
        cause = f"The execution reached the maximum number of history events ({self.history_limit})."
        final = Event("ExecutionFailed", "executionFailedEventDetails",
                      {"error": "States.Runtime", "cause": cause}, self._ids)
        self._record(final)
        root.gen.close()
        root.done = True
        root.outcome = ChildOutcome(ok=True, value=Outcome("FAILED", error="States.Runtime", cause=cause))

    def _halt(self) -> None:
        """A policy ended the run where it stands (TestState at a RETRIABLE error): nothing else runs."""
        root = self._root
        assert root is not None
        self._ready.clear()
        self._timers.clear()
        root.gen.close()
        root.done = True
        root.outcome = ChildOutcome(ok=False, aborted=True, extra={"halted": True})

    def _abort_root(self, kind: type[Aborted]) -> None:
        root = self._root
        assert root is not None
        if root.done:
            return
        self._ready.clear()
        value = self._unwind(root, kind())
        root.done = True
        root.outcome = ChildOutcome(ok=True, value=value if isinstance(value, Outcome) else Outcome("ABORTED"))

    # ------------------------------------------------------------ tasks

    def _check_task(self, item: CheckTask) -> StatesError | None:
        """Step Functions' own check of a service's parameters (always), then the integration's (if it has
        one; mocked states are not checked by their integration)."""
        try:
            check_service_parameters(parse_resource(item.resource), item.parameters)
        except StatesError as err:
            return err
        mock = self.interpreter.mock
        if mock is not None and (item.state_name in mock.states or not mock.hybrid):
            return None
        if not self.policy.checks(self, item):
            return None
        try:
            integration = self.interpreter.integrations.resolve(item.resource)
            check = getattr(integration, "check", None)
            if check is not None:
                check(parse_resource(item.resource), item.parameters)
        except StatesError as err:
            return err
        except Exception:  # a broken check must not hide the task: invoke reports the problem
            return None
        return None

    def _invoke(self, run: Run, item: Invoke) -> Any:
        """Answer a Task: the policy, then the MockConfigFile test case, then the integration."""
        try:
            reply = self.policy.answer(self, item)
        except StatesError as err:
            return err
        if reply is not NOT_MOCKED:
            return reply if isinstance(reply, TaskReply) else TaskReply(reply)
        resource = parse_resource(item.resource)
        count = self._invocations.get(item.state_name, 0)
        self._invocations[item.state_name] = count + 1
        request = TaskRequest(
            resource=resource,
            parameters=item.parameters,
            state_name=item.state_name,
            invocation=count,
            timeout_seconds=item.timeout_seconds,
            heartbeat_seconds=item.heartbeat_seconds,
            credentials=item.credentials,
            context=item.context,
            machine_name=self.machine.name,
            execution_arn=self.execution_arn,
            scope=item.scope,
            clock=self.clock,
            task_token=item.task_token,
        )
        mock = self.interpreter.mock
        if mock is not None:
            try:
                reply = mock.invoke(request)
            except StatesError as err:
                return err
            if reply is not NOT_MOCKED:
                return reply
            if not mock.hybrid:
                return StatesError(
                    "States.Runtime",
                    f"Task state '{item.state_name}' has no mocked response in test case '{mock.name}' of "
                    f"state machine '{mock.machine_name}' ({mock.source}). Add it to the test case, or run with "
                    "--hybrid to send unmocked states to the real integrations.",
                )
        try:
            integration = self.interpreter.integrations.resolve(resource)
        except Exception as exc:
            return StatesError("States.Runtime", str(exc))
        if integration is not None:
            self._used[id(integration)] = integration
        if integration is None:
            return StatesError(
                "States.Runtime",
                f"No integration handles the resource '{item.resource}' (Task state '{item.state_name}'). "
                + self.policy.unhandled_hint,
            )
        if item.task_token is not None:  # an answer may come before the Task waits (see aslrun.callbacks)
            self._callbacks.issue(item.task_token)
            self.interpreter.remember_token(item.task_token, self)
        try:
            reply = integration.invoke(request)
        except StatesError as err:
            return err
        except Exception as exc:  # an integration bug must not crash the execution
            return StatesError("States.TaskFailed", f"The {integration.name} integration raised "
                                                    f"{type(exc).__name__}: {exc}")
        if isinstance(reply, Generator):
            sub = Run(_as_reply(reply), f"{item.state_name}:invoke", None)
            sub.resume = run
            sub.remote = bool(getattr(integration, "remote", False))
            sub.scope = item.scope
            run.waiting_on = [sub]
            self._ready.append(sub)
            limits = [s for s in (item.timeout_seconds, item.heartbeat_seconds) if s]
            if limits:
                # No integration sends heartbeats yet, so a heartbeat limit acts as a deadline too.
                heartbeat = bool(item.heartbeat_seconds) and min(limits) == item.heartbeat_seconds
                deadline = Deadline(sub, run, heartbeat)
                # A limit past the longest execution changes nothing: saturate rather than overflow a float.
                limit = min(min(limits), defaults.MAX_RETRY_DELAY_SECONDS)
                heapq.heappush(self._timers, (self.clock.time() + limit, next(self._seq), deadline))
            return _BLOCKED
        return reply if isinstance(reply, TaskReply) else TaskReply(reply)


def _as_reply(gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
    value = yield from gen
    return value if isinstance(value, TaskReply) else TaskReply(value)


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_FINAL_TYPES = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})
_BLOCKED = _Marker("BLOCKED")
_GO_ON = (None, None)
_BLOCKING: Any = _Marker("BLOCKING")
_SLEEPING: Any = _Marker("SLEEPING")
_CALLBACK: Any = _Marker("CALLBACK")
_TIMEOUT: Any = _Marker("TIMEOUT")
