"""Worker processes for local Lambda functions: started on first use, kept warm, killed on timeout or close.

Each :class:`FunctionPool` belongs to one bound function and holds its idle workers (one process per
concurrent invocation, as Lambda keeps one execution environment per concurrent request). A worker
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

__all__ = ["FunctionPool", "Invocation", "Outcome"]

_WORKER = Path(__file__).with_name("lambda_worker.py")


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

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.env = env
        self.cwd = cwd
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def invoke(self, invocation: Invocation) -> Outcome:
        """Run one invocation in a warm worker (or a new one); blocks until it ends or times out."""
        with self._lock:
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
        for worker in workers:
            worker.kill()
        with self._lock:
            self._closed = False
