"""``--jobs process``: Job containers are real processes, and none outlives its pod, Job, Task or cluster.

Each test starts real processes (``sh``, ``sleep``) through the emulator's :class:`ProcessExecutor`
without the bubblewrap sandbox (its private ``/tmp`` and PID namespace would hide the pids the
container writes). A pid is "gone" when it no longer exists or is a zombie: an exited process whose
parent has not reaped it yet (in a container whose PID 1 never reaps, orphans stay zombies).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import aslrun
from aslrun.integrations.eks.backends.local import LocalBackend
from aslrun.integrations.eks.jobs import FAILED_CONTAINERS, FAILED_LOG_LINES
from aslrun.kube import KubeEmulator
from aslrun.kube.executors import ProcessExecutor, host_hint

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups are POSIX")

#: what Debian 12's perl prints when bpi(2000) dies (Math::BigInt 1.999830)
CALC_PM = ("Can't use an undefined value as an ARRAY reference at /usr/share/perl/5.36/Math/BigInt/Calc.pm "
           "line 1049.")
PERL_HINT = ("Debian 12's perl (Math::BigInt 1.999830) cannot compute bpi(2000); install libmath-bigint-perl "
             "(apt-get install libmath-bigint-perl)")


def running(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return True
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            return predicate()
        time.sleep(0.05)
    return True


@pytest.fixture
def said() -> list[str]:
    return []


@pytest.fixture
def process_emulator(kube_api_factory: Callable[..., KubeEmulator], said: list[str]) -> KubeEmulator:
    return kube_api_factory(executor=ProcessExecutor(sandbox=False, echo=said.append, grace=1.0))


@pytest.fixture
def pid_dir(tmp_path: Path) -> Iterator[Path]:
    """Where containers write their pids; every pid written is killed if a test leaves it running."""
    where = tmp_path / "pids"
    where.mkdir()
    yield where
    for pid in pids_in(where):
        if running(pid):
            os.kill(pid, 9)


def pids_in(where: Path) -> list[int]:
    return [int(p.read_text()) for p in where.glob("*.pid") if p.read_text().strip()]


def forking_job(name: str, pid_dir: Path) -> dict[str, Any]:
    """A Job whose shell forks a grandchild (a background ``sleep``), both writing their pids, then sleeps."""
    script = (f"sleep 300 & echo $! > {pid_dir}/grandchild.pid; echo $$ > {pid_dir}/shell.pid; "
              "echo started; exec sleep 300")
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": "default"},
            "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
                {"name": "c", "image": "busybox", "command": ["sh", "-c", script]}]}}}}


def api(emulator: KubeEmulator, method: str, path: str, body: dict[str, Any] | None = None) -> int:
    """One request to the emulator's HTTPS API, as a client sends it; returns the status code."""
    import ssl
    import urllib.request

    ctx = ssl.create_default_context(cadata=emulator.ca_pem)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{emulator.endpoint}{path}", data=data, method=method,
                                 headers={"Authorization": f"Bearer {emulator.token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
        return int(resp.status)


def create_job(emulator: KubeEmulator, job: dict[str, Any]) -> None:
    assert api(emulator, "POST", "/apis/batch/v1/namespaces/default/jobs", job) == 201


def started(pid_dir: Path) -> list[int]:
    assert wait_until(lambda: len(pids_in(pid_dir)) == 2), "the container did not start"
    pids = pids_in(pid_dir)
    assert all(running(pid) for pid in pids)
    return pids


@pytest.mark.parametrize("policy", ["Background", "Foreground"])
def test_deleting_the_job_kills_its_container_and_what_it_forked(process_emulator: KubeEmulator, pid_dir: Path,
                                                                 policy: str) -> None:
    create_job(process_emulator, forking_job("forks", pid_dir))
    pids = started(pid_dir)
    # kubectl delete job sends Background; the plugin, when a Task stops, Foreground
    assert api(process_emulator, "DELETE", f"/apis/batch/v1/namespaces/default/jobs/forks?propagationPolicy={policy}",
               ) in (200, 202)
    assert wait_until(lambda: not any(running(pid) for pid in pids)), [p for p in pids if running(p)]
    assert wait_until(lambda: not process_emulator.list("", "pods", "default"))


def test_stopping_the_emulator_kills_every_container_process(process_emulator: KubeEmulator,
                                                             pid_dir: Path) -> None:
    create_job(process_emulator, forking_job("forks", pid_dir))
    pids = started(pid_dir)
    process_emulator.stop()
    assert not process_emulator.running
    assert wait_until(lambda: not any(running(pid) for pid in pids)), [p for p in pids if running(p)]


def test_a_container_that_exits_takes_its_background_children_with_it(process_emulator: KubeEmulator,
                                                                      pid_dir: Path) -> None:
    script = f"sleep 300 & echo $! > {pid_dir}/grandchild.pid; echo $$ > {pid_dir}/shell.pid; exit 0"
    job = forking_job("leaves-a-child", pid_dir)
    job["spec"]["template"]["spec"]["containers"][0]["command"] = ["sh", "-c", script]
    create_job(process_emulator, job)
    assert wait_until(lambda: (process_emulator.get("batch", "jobs", "default", "leaves-a-child") or {})
                      .get("status", {}).get("succeeded") == 1)
    assert wait_until(lambda: not any(running(pid) for pid in pids_in(pid_dir)))
    assert len(pids_in(pid_dir)) == 2


def run_job_machine(job: dict[str, Any], **task: Any) -> dict[str, Any]:
    return {"StartAt": "J", "States": {"J": {
        "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
        "Parameters": {"ClusterName": "procs", "Endpoint": "https://x", "CertificateAuthority": "Q0E=",
                       "LogOptions": {"RetrieveLogs": True}, "Job": job}, **task, "End": True}}}


def pids_running(argv: list[str]) -> list[int]:
    """Processes whose command line is ``argv`` (seen from here even inside bubblewrap's PID namespace)."""
    wanted = ("\0".join(argv) + "\0").encode()
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/cmdline").read_bytes() == wanted and running(int(entry)):
                found.append(int(entry))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds the process through /proc")
def test_a_task_timeout_deletes_the_job_and_its_processes() -> None:
    command = ["sleep", f"300.{os.getpid()}{time.monotonic_ns() % 100000}"]  # a command line no one else has
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "times-out"},
           "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "c", "image": "busybox", "command": command}]}}}}
    seen: list[int] = []

    def listen(execution: Any, event: Any) -> None:
        if event.type == "Progress" and "waiting for it to finish" in str(event.details["message"]):
            wait_until(lambda: bool(pids_running(command)), timeout=10)  # the Job's container starts
            seen.extend(pids_running(command))

    backend = LocalBackend({"eks.jobs": "process", "eks.local.echo": lambda text: None})
    try:
        result = aslrun.Interpreter(clock="real", options={"eks.backend": backend, "eks.poll_interval": 0.1}).run(
            run_job_machine(job, TimeoutSeconds=3), {}, listeners=[listen])
        assert result.status == "FAILED" and result.error == "States.Timeout", (result.status, result.cause)
        assert len(seen) == 1
        # the plugin deleted the Job when the Task timed out, before the backend closed
        assert wait_until(lambda: not pids_running(command)), pids_running(command)
    finally:
        backend.close()
        for pid in pids_running(command):
            os.kill(pid, 9)


def notes_into(notes: list[str]) -> Callable[[Any, Any], None]:
    """A listener keeping the execution's progress notes (the CLI's live view prints them)."""

    def listen(execution: Any, event: Any) -> None:
        if event.type == "Progress":
            notes.append(str(event.details["message"]))

    return listen


def failing_machine(command: list[str]) -> dict[str, Any]:
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "fails"},
           "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "c", "image": "busybox", "command": command}]}}}}
    return run_job_machine(job)


def test_a_failed_jobs_cause_carries_the_tail_of_the_failed_containers_log() -> None:
    notes: list[str] = []
    backend = LocalBackend({"eks.local.executor": ProcessExecutor(sandbox=False, echo=lambda text: None)})
    script = "for i in $(seq 1 40); do echo line $i >&2; done; exit 3"
    try:
        result = aslrun.Interpreter(options={"eks.backend": backend}).run(
            failing_machine(["sh", "-c", script]), {}, listeners=[notes_into(notes)])
    finally:
        backend.close()
    assert result.error == "States.TaskFailed"
    cause = json.loads(result.cause or "")
    assert cause["kind"] == "Job" and cause["status"]["conditions"][-1]["reason"] == "BackoffLimitExceeded"
    (failed,) = cause[FAILED_CONTAINERS]
    assert failed["container"] == "c" and failed["exitCode"] == 3 and failed["pod"].startswith("fails-")
    assert failed["logTail"] == [f"line {i}" for i in range(41 - FAILED_LOG_LINES, 41)]
    assert "hint" not in failed
    assert any(note.startswith("J: Job default/fails Failed (BackoffLimitExceeded); container c of pod fails-")
               and note.endswith("exited 3: line 40") for note in notes), notes


def test_a_long_log_tail_is_cut_to_2_kib() -> None:
    backend = LocalBackend({"eks.local.executor": ProcessExecutor(sandbox=False, echo=lambda text: None)})
    try:
        result = aslrun.Interpreter(options={"eks.backend": backend}).run(
            failing_machine(["sh", "-c", "for i in $(seq 1 30); do printf '%0200d\\n' $i; done; exit 1"]), {})
    finally:
        backend.close()
    (failed,) = json.loads(result.cause or "")[FAILED_CONTAINERS]
    tail = failed["logTail"]
    assert len("\n".join(tail).encode()) <= 2048 and tail[-1] == f"{30:0200d}" and len(tail) < FAILED_LOG_LINES


def test_debian_perls_bpi_failure_gets_a_hint_in_the_cause_and_the_notice() -> None:
    said: list[str] = []
    notes: list[str] = []
    backend = LocalBackend({"eks.local.executor": ProcessExecutor(sandbox=False, echo=said.append)})
    try:
        result = aslrun.Interpreter(options={"eks.backend": backend}).run(
            failing_machine(["sh", "-c", f"echo \"{CALC_PM}\" >&2; exit 255"]), {}, listeners=[notes_into(notes)])
    finally:
        backend.close()
    (failed,) = json.loads(result.cause or "")[FAILED_CONTAINERS]
    assert failed["exitCode"] == 255 and failed["logTail"] == [CALC_PM]
    assert failed["hint"] == PERL_HINT
    assert said[-1].endswith(f"container 'c' exited 255: {PERL_HINT}")
    assert any(note.endswith(f"exited 255: {CALC_PM} ({PERL_HINT})") for note in notes), notes


def test_host_hint_needs_the_calc_pm_message() -> None:
    assert host_hint(f"prefix\n{CALC_PM}\n") == PERL_HINT
    assert host_hint("Can't use an undefined value as an ARRAY reference at x.pl line 3.") is None
