"""One clock: the local EKS's simulated Jobs run on the execution's clock.

On a virtual clock a simulated container's duration (``aslrun.io/duration``) is virtual time, so a
Task's ``TimeoutSeconds`` and the history's timestamps agree with it and nothing waits in real time;
on the real clock it really runs that long (tests/eks/test_local_long_jobs.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aslrun


def _machine(duration: float, timeout: int | None = None) -> dict[str, Any]:
    task: dict[str, Any] = {
        "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
        "Parameters": {"ClusterName": "clock", "Endpoint": "https://example.invalid", "CertificateAuthority": "Q0E=",
                       "Job": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "sleepy"}, "spec": {
                           "backoffLimit": 0, "template": {
                               "metadata": {"annotations": {"aslrun.io/duration": str(duration)}},
                               "spec": {"restartPolicy": "Never", "containers": [
                                   {"name": "c", "image": "busybox", "command": ["true"]}]}}}}},
        "End": True}
    if timeout is not None:
        task["TimeoutSeconds"] = timeout
    return {"StartAt": "Run", "States": {"Run": task}}


def _seconds_between(result: Any, first: str, last: str) -> float:
    events = {e["type"]: datetime.fromisoformat(e["timestamp"]) for e in result.history_values()}
    return (events[last] - events[first]).total_seconds()


def test_a_task_timeout_on_the_virtual_clock_ends_a_longer_simulated_job() -> None:
    result = aslrun.run(_machine(duration=12, timeout=3), {}, clock="virtual")
    assert result.status == "FAILED" and result.error == "States.Timeout"
    assert 3 <= _seconds_between(result, "TaskScheduled", "TaskTimedOut") < 4


def test_a_long_simulated_job_takes_its_duration_on_the_virtual_clock() -> None:
    result = aslrun.run(_machine(duration=900), {}, clock="virtual")  # 15 minutes of virtual time
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["status"]["succeeded"] == 1
    assert 900 <= _seconds_between(result, "TaskStarted", "TaskSucceeded") < 1000


def test_parallel_simulated_jobs_share_the_one_virtual_clock() -> None:
    branch = _machine(duration=300)
    second = _machine(duration=600)
    second["States"]["Run"]["Parameters"]["Job"]["metadata"]["name"] = "sleepier"
    second = {"StartAt": "Run longer", "States": {"Run longer": second["States"]["Run"]}}
    machine = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True,
                                                      "Branches": [branch, second]}}}
    result = aslrun.run(machine, {}, clock="virtual")
    assert result.status == "SUCCEEDED", result.cause
    assert 600 <= _seconds_between(result, "ParallelStateEntered", "ParallelStateExited") < 700
