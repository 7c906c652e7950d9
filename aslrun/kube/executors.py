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

:class:`ProcessExecutor` runs each container in a process group (a session) of its own and, as a
kubelet tears down a container's PID namespace, kills the whole group (SIGTERM, then SIGKILL after
:data:`KILL_GRACE_SECONDS`) when the container's main process exits, when the pod is deleted
(which is how deleting a Job, a Task timeout and :meth:`KubeEmulator.stop` reach it): a command that
forks leaves nothing behind. :func:`host_hint` names known failures of host tools.
"""

from __future__ import annotations

import collections
import fnmatch
import json
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["AnnotatedSimulatedExecutor", "ContainerRun", "DockerExecutor", "Executor", "JobOutcome", "ProcessExecutor",
           "SimulatedExecutor", "host_hint", "make_executor"]


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
        #: the clock delays run on (None: real time); see :meth:`use_clock`
        self.clock: Any = None

    def use_clock(self, clock: Any) -> None:
        """Let containers run on ``clock`` (an aslrun :class:`~aslrun.clock.Clock`; default: real time).

        On a virtual clock a container's delay is virtual: it ends when the execution's clock gets
        there, which costs no real time.
        """
        self.clock = clock

    def _wait(self, seconds: float, run: ContainerRun) -> bool:
        """Wait ``seconds`` on the clock; True when the container was cancelled first."""
        clock = self.clock
        if clock is None:
            return run.cancelled.wait(seconds)
        return not clock.wait_until(clock.time() + seconds, run.cancelled)

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
        if self._wait(delay, run):
            return 137
        return outcome.code_for(attempt)


# ---------------------------------------------------------------- executors of the local backend

#: pod annotations the simulated executor of the local backend reads (the Job's pod template sets them)
LOG_ANNOTATION = "aslrun.io/log"
EXIT_CODE_ANNOTATION = "aslrun.io/exit-code"
DURATION_ANNOTATION = "aslrun.io/duration"

#: the bubblewrap sandbox of ``ProcessExecutor`` (no network, read-only host, private /tmp)
BWRAP_ARGS = ("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--unshare-all",
              "--die-with-parent")


def _annotations(run: ContainerRun) -> Mapping[str, Any]:
    meta = run.pod.get("metadata") or {}
    return meta.get("annotations") or {}


class AnnotatedSimulatedExecutor(SimulatedExecutor):
    """The simulated executor, plus per-pod outcomes from annotations of the Job's pod template.

    ``aslrun.io/log`` (or ``aslrun.io/log.CONTAINER``) is the log text; ``aslrun.io/exit-code``
    (or ``aslrun.io/exit-code.CONTAINER``) the exit code, ``aslrun.io/duration`` the seconds it
    runs. Without them the mock outcomes apply.
    """

    def run(self, run: ContainerRun) -> int:
        notes = _annotations(run)
        name = str(run.container.get("name", ""))
        log = notes.get(f"{LOG_ANNOTATION}.{name}", notes.get(LOG_ANNOTATION))
        code = notes.get(f"{EXIT_CODE_ANNOTATION}.{name}", notes.get(EXIT_CODE_ANNOTATION))
        duration = notes.get(DURATION_ANNOTATION)
        if log is None and code is None and duration is None:
            return super().run(run)
        base = self.outcome_for(run.owner_name)
        if log is not None:
            run.write(str(log) if str(log).endswith("\n") else f"{log}\n")
        else:
            text = base.log_for(run.container)
            if text:
                run.write(text if text.endswith("\n") else text + "\n")
        delay = self.delay if base.delay is None else base.delay
        try:
            delay = float(duration) if duration is not None else delay
        except (TypeError, ValueError):
            pass
        if self._wait(delay, run):
            return 137
        try:
            return int(code) if code is not None else base.code_for(run.restart_count)
        except (TypeError, ValueError):
            return 1


#: seconds a container's process group has between SIGTERM and SIGKILL
KILL_GRACE_SECONDS = 2.0

#: (text in a container's log, what to tell the user): host tools that fail where an image's would not
HOST_HINTS = (
    (("Can't use an undefined value as an ARRAY reference", "Math/BigInt/Calc.pm"),
     "Debian 12's perl (Math::BigInt 1.999830) cannot compute bpi(2000); install libmath-bigint-perl "
     "(apt-get install libmath-bigint-perl)"),
)


def host_hint(log: str) -> str | None:
    """What to tell a user whose container log shows a known failure of a host tool (None: nothing known)."""
    for needles, hint in HOST_HINTS:
        if all(needle in log for needle in needles):
            return hint
    return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` still runs (zombies waiting for a parent's wait() do not)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        entries = os.listdir("/proc")
    except OSError:  # no procfs: a zombie counts as alive, so the group gets SIGKILL after the grace
        return True
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
            return True
    return False


def kill_group(pgid: int, grace: float = KILL_GRACE_SECONDS, reap: Callable[[], object] | None = None) -> bool:
    """End every process of group ``pgid``: SIGTERM, then SIGKILL for what still runs after ``grace``.

    ``reap`` (e.g. ``Popen.poll``) is called while waiting so the group leader, our child, does not
    linger as a zombie. Returns whether anything was running.
    """
    if not _group_alive(pgid):
        return False
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if reap is not None:
            reap()
        if not _group_alive(pgid):
            return True
        time.sleep(0.02)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return True


class ProcessExecutor:
    """Runs a container's ``command`` + ``args`` on this machine (opt-in only: ``--jobs process``).

    The image is ignored. The environment is the literal ``env[].value`` entries (plus ``PATH``,
    ``HOME`` and ``LANG``), the working directory a fresh temp dir, stdout and stderr the pod log,
    the exit code the container's. Inside ``bwrap`` (no network, read-only host) when ``bwrap`` is
    on PATH and ``sandbox`` is not False. ``echo`` gets one line per container run, saying what runs,
    and one more when a failed run's log shows a known host-tool failure (:func:`host_hint`'s advice).

    Each run is a session (process group) of its own; when the main process exits or the pod is
    deleted, every process left in the group gets SIGTERM, then SIGKILL after ``grace`` seconds.
    A process that leaves the group (``setsid``) escapes this, unless ``bwrap`` runs it: then its
    PID namespace ends with the sandbox.
    """

    def __init__(self, *, sandbox: bool | None = None, echo: Callable[[str], None] | None = None,
                 bwrap: str | None = None, grace: float = KILL_GRACE_SECONDS) -> None:
        import shutil

        self.bwrap = bwrap or shutil.which("bwrap")
        self.sandbox = bool(self.bwrap) if sandbox is None else (sandbox and bool(self.bwrap))
        self.echo = echo if echo is not None else _stderr_line
        self.grace = grace

    def argv(self, run: ContainerRun) -> list[str] | None:
        """What runs for ``run`` (None when the container has no ``command``)."""
        command = [str(c) for c in (run.container.get("command") or [])]
        if not command:
            return None
        argv = [*command, *(str(a) for a in (run.container.get("args") or []))]
        if self.sandbox and self.bwrap:
            return [self.bwrap, *BWRAP_ARGS, "--chdir", "/tmp", *argv]
        return argv

    def run(self, run: ContainerRun) -> int:
        import subprocess
        import tempfile

        argv = self.argv(run)
        name = str(run.container.get("name", ""))
        if argv is None:
            run.write(f"aslrun: container {name!r} has no command; --jobs process cannot run an image's "
                      "entrypoint\n")
            return 127
        env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        for item in run.container.get("env") or []:
            if isinstance(item, Mapping) and "name" in item and "value" in item:
                env[str(item["name"])] = str(item["value"])
        where = f"{run.namespace}/{run.pod_name} container {name!r}"
        self.echo(f"aslrun: {where} (image {run.container.get('image', '')} ignored) runs: "
                  f"{' '.join(_quote(a) for a in argv)}")
        with tempfile.TemporaryDirectory(prefix="aslrun-pod-") as cwd:
            try:
                proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True,
                                        preexec_fn=_die_with_parent)
            except OSError as exc:
                run.write(f"aslrun: cannot run {argv[0]!r}: {exc.strerror or exc}\n")
                return 127
            assert proc.stdout is not None
            out = proc.stdout
            tail: collections.deque[str] = collections.deque(maxlen=20)

            def pump() -> None:
                for line in iter(out.readline, b""):
                    text = line.decode("utf-8", errors="replace")
                    tail.append(text)
                    run.write(text)

            reader = threading.Thread(target=pump, name=f"aslrun-log-{run.pod_name}", daemon=True)
            reader.start()
            cancelled = False
            try:
                while proc.poll() is None:
                    if run.cancelled.wait(0.02):
                        cancelled = True
                        break
            finally:
                # The session id is the leader's pid; what it forked dies with it, as in a container.
                kill_group(proc.pid, self.grace, proc.poll)
                proc.wait()
                reader.join(timeout=5)
                out.close()
            if cancelled:
                return 137
            code = int(proc.returncode) if proc.returncode >= 0 else 128 - proc.returncode
            hint = host_hint("".join(tail)) if code else None
            if hint:
                self.echo(f"aslrun: {where} exited {code}: {hint}")
            return code


class DockerExecutor(ProcessExecutor):
    """``docker run --rm --network none IMAGE [command] [args]`` (opt-in only: ``--jobs docker``)."""

    def __init__(self, *, docker: str = "docker", echo: Callable[[str], None] | None = None) -> None:
        super().__init__(sandbox=False, echo=echo)
        self.docker = docker

    def argv(self, run: ContainerRun) -> list[str] | None:
        argv = [self.docker, "run", "--rm", "--network", "none"]
        for item in run.container.get("env") or []:
            if isinstance(item, Mapping) and "name" in item and "value" in item:
                argv += ["-e", f"{item['name']}={item['value']}"]
        command = [str(c) for c in (run.container.get("command") or [])]
        if command:
            argv += ["--entrypoint", command[0]]
        argv.append(str(run.container.get("image", "")))
        argv += command[1:]
        argv += [str(a) for a in (run.container.get("args") or [])]
        return argv


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def _stderr_line(text: str) -> None:
    import sys

    print(text, file=sys.stderr, flush=True)


def docker_answers(docker: str = "docker") -> bool:
    """Whether ``docker info`` succeeds (a daemon answers) within a few seconds."""
    import shutil
    import subprocess

    if shutil.which(docker) is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


#: ``--jobs`` choices
JOB_RUNTIMES = ("simulate", "process", "docker")


def make_executor(kind: str, *, echo: Callable[[str], None] | None = None) -> Executor:
    """The executor for ``--jobs KIND``; ValueError for an unknown kind."""
    if kind == "simulate":
        return AnnotatedSimulatedExecutor(delay=0.05)
    if kind == "process":
        return ProcessExecutor(echo=echo)
    if kind == "docker":
        if not docker_answers():
            raise ValueError("--jobs docker needs a Docker daemon, and `docker info` does not answer; use "
                             "--jobs simulate or --jobs process")
        return DockerExecutor(echo=echo)
    raise ValueError(f"unknown job runtime {kind!r}: use one of {', '.join(JOB_RUNTIMES)}")
