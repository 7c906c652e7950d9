"""Pluggable container runtimes for the emulator's kubelet.

An :class:`Executor` runs one container of one pod and returns its exit code, writing the
container's output through ``run.write``. It must return promptly (with any code) once
``run.cancelled`` is set: that happens when the pod is deleted, for instance when a Job
exceeds ``activeDeadlineSeconds``.

:class:`SimulatedExecutor` is the safe default: nothing runs on the host. Each container
"runs" for a delay, prints a configurable log and exits with a configurable code, chosen per
Job name (exact name or glob) through :class:`JobOutcome`. A sequence of exit codes gives
successive attempts different outcomes (``(1, 1, 0)``: fail twice, then succeed), which is how
tests exercise ``backoffLimit``.
"""

from __future__ import annotations

import fnmatch
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["ContainerRun", "Executor", "JobOutcome", "SimulatedExecutor"]


@dataclass(frozen=True, slots=True)
class ContainerRun:
    """Everything an executor gets for one container run."""

    namespace: str
    pod_name: str
    pod_uid: str
    job_name: str | None
    job_uid: str | None
    container: Mapping[str, Any]
    pod: Mapping[str, Any]
    restart_count: int
    cancelled: threading.Event
    write: Callable[[str], None]

    @property
    def owner_name(self) -> str:
        """The Job name, or the pod name for a bare pod (what outcomes are matched against)."""
        return self.job_name or self.pod_name


@runtime_checkable
class Executor(Protocol):
    """Runs one container; returns its exit code (137 when cancelled)."""

    def run(self, run: ContainerRun) -> int:
        """Run ``run.container`` to completion or cancellation."""
        ...


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a simulated container does.

    ``exit_code`` is one code, or one per attempt (the last repeats). ``log`` is the output
    text, or ``{container name: text}``; ``None`` prints a line naming the image and command.
    ``delay`` (seconds) overrides the executor's default run time.
    """

    exit_code: int | Sequence[int] = 0
    log: str | Mapping[str, str] | None = None
    delay: float | None = None

    def code_for(self, attempt: int) -> int:
        """The exit code of attempt ``attempt`` (0-based)."""
        if isinstance(self.exit_code, int):
            return self.exit_code
        codes = list(self.exit_code) or [0]
        return codes[min(attempt, len(codes) - 1)]

    def log_for(self, container: Mapping[str, Any]) -> str:
        """The log text of ``container``."""
        if isinstance(self.log, str):
            return self.log
        name = str(container.get("name", ""))
        if isinstance(self.log, Mapping) and name in self.log:
            return self.log[name]
        argv = [*(container.get("command") or []), *(container.get("args") or [])]
        return f"simulated container {name!r} (image {container.get('image', '')}): {json.dumps(argv)}\n"


class SimulatedExecutor:
    """Containers succeed (or fail) after ``delay`` seconds, running nothing on the host.

    >>> ex = SimulatedExecutor(delay=0.01)
    >>> ex.set_outcome("flaky-*", JobOutcome(exit_code=(1, 0), log="retrying\\n"))
    """

    def __init__(self, outcomes: Mapping[str, JobOutcome] | None = None, *,
                 default: JobOutcome | None = None, delay: float = 0.05) -> None:
        self.default = default or JobOutcome()
        self.delay = delay
        self._outcomes: dict[str, JobOutcome] = dict(outcomes or {})
        self._attempts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def set_outcome(self, pattern: str, outcome: JobOutcome) -> None:
        """Make Jobs (or bare pods) whose name matches ``pattern`` (exact or glob) behave as ``outcome``."""
        with self._lock:
            self._outcomes[pattern] = outcome

    def outcome_for(self, name: str) -> JobOutcome:
        """The outcome for a Job or pod name: an exact entry, else the first matching glob, else default."""
        with self._lock:
            if name in self._outcomes:
                return self._outcomes[name]
            for pattern, outcome in self._outcomes.items():
                if fnmatch.fnmatchcase(name, pattern):
                    return outcome
        return self.default

    def run(self, run: ContainerRun) -> int:
        """Write the log, wait the delay (or until cancelled) and return the attempt's exit code."""
        outcome = self.outcome_for(run.owner_name)
        key = (run.job_uid or run.pod_uid, str(run.container.get("name", "")))
        with self._lock:
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
        text = outcome.log_for(run.container)
        if text:
            run.write(text if text.endswith("\n") else text + "\n")
        delay = self.delay if outcome.delay is None else outcome.delay
        if run.cancelled.wait(delay):
            return 137
        return outcome.code_for(attempt)
