"""Worker processes for local Lambda functions: started on first use, kept warm, killed on timeout or close.

Each :class:`FunctionPool` belongs to one bound function and holds its idle workers (one process per
concurrent invocation, as Lambda keeps one execution environment per concurrent request), at most
``max_workers`` of them at once (the ``lambda.workers`` option, ``--workers N``): an invocation that
finds them all busy waits for one, as a function with a reserved concurrency queues here instead of
being throttled. The wait does not count against the function's timeout. A worker
that times out is killed, as Lambda discards the sandbox; the next invocation starts a new one
(a cold start). :meth:`FunctionPool.close` kills every worker and unblocks invocations waiting on one.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_WORKERS", "FunctionPool", "Invocation", "Outcome"]

_WORKER = Path(__file__).with_name("lambda_worker.py")
#: worker processes per function by default: as many as an execution runs background calls at once
#: (its 16 threads), so one execution's concurrent invocations each get an environment, as on Lambda,
#: while many executions (``aslrun serve``) cannot start hundreds of processes per function.
DEFAULT_WORKERS = 16


@dataclass(frozen=True)
class Invocation:
    """One request to a function: what its runtime gets."""

    request_id: str
    event_text: str
    invoked_arn: str
    timeout: float
    client_context: Any = None


@dataclass(frozen=True)
class Outcome:
    """What came back: ``ok`` with the payload text, a function error document, or ``timed_out``."""

    ok: bool
    payload: str
    log: str = ""
    timed_out: bool = False
    #: the worker process ended during the invocation (``sys.exit`` in the handler): its exit status
    exit_code: int | None = None
    duration_ms: float = 0.0
    cold: bool = False


class _Worker:
    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-P", "-u", str(_WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            env=env, cwd=cwd, start_new_session=True,  # Ctrl-C goes to aslrun, which closes the workers
        )
        self.buffer = b""
        self.fresh = True
        #: the worker closed its end: it exited (or was killed)
        self.eof = False

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        """Send one invocation; its reply, or None when ``timeout`` passed (or the worker died)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            return None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    return None
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return None
                if not chunk:
                    self.eof = True
                    return None
                self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self.process.wait()


def _exit_code(worker: _Worker) -> int | None:
    """The exit status of a worker that closed its end during an invocation (None: still running)."""
    if not worker.eof:
        return None
    try:
        return worker.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


class FunctionPool:
    """The warm workers of one function (``env``: its whole environment; ``cwd``: its code directory)."""

    def __init__(self, env: dict[str, str], cwd: str, max_workers: int = DEFAULT_WORKERS) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be at least 1, not {max_workers}")
        self.env = env
        self.cwd = cwd
        self.max_workers = max_workers
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()
        #: signalled when a worker is handed back or the pool is closed
        self._free = threading.Condition(self._lock)
        #: counts closes: an invocation waiting for a worker gives up when the pool is closed meanwhile
        self._generation = 0
        self._closed = False

    def invoke(self, invocation: Invocation) -> Outcome:
        """Run one invocation in a warm worker (or a new one); blocks until it ends or times out.

        With ``max_workers`` busy it first waits for one to be handed back; a :meth:`close` meanwhile
        ends it as timed out, as it ends the invocations that are running.
        """
        with self._lock:
            generation = self._generation
            while not self._idle and len(self._busy) >= self.max_workers:
                self._free.wait()
                if self._generation != generation:
                    return Outcome(False, "", timed_out=True)
            worker = self._idle.pop() if self._idle else _Worker(self.env, self.cwd)
            self._busy.add(worker)
        cold, worker.fresh = worker.fresh, False
        started = time.monotonic()
        message = {"id": invocation.request_id, "event": invocation.event_text, "arn": invocation.invoked_arn,
                   "deadline": int((time.time() + invocation.timeout) * 1000),
                   "client_context": invocation.client_context}
        reply = worker.request(message, invocation.timeout)
        duration = (time.monotonic() - started) * 1000
        exit_code = _exit_code(worker) if reply is None else None
        with self._lock:
            self._busy.discard(worker)
            keep = reply is not None and not self._closed
            if keep:
                self._idle.append(worker)
            self._free.notify()
        if not keep:
            worker.kill()
        if reply is None:
            return Outcome(False, "", timed_out=exit_code is None, exit_code=exit_code, duration_ms=duration,
                           cold=cold)
        return Outcome(bool(reply["ok"]), str(reply["payload"]), str(reply.get("log", "")), duration_ms=duration,
                       cold=cold)

    def close(self) -> None:
        """Kill every worker; invocations still running end as timed out. The pool works again afterwards."""
        with self._lock:
            workers = self._idle + list(self._busy)
            self._idle = []
            self._closed = True
            self._generation += 1
            self._free.notify_all()
        for worker in workers:
            worker.kill()
        with self._lock:
            self._closed = False
