"""Every execution closes what it opened: the local EKS, its servers, threads and Job processes.

The ``leaves_nothing`` fixture (tests/conftest.py) checks this process after each test here: no
listening socket, no non-daemon thread, no child process left behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leakcheck import listening_sockets

import aslrun
from aslrun.teststate import test_state as run_test_state

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "eks"

JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "tick"}, "spec": {"backoffLimit": 0, "template": {
    "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox", "command": ["true"]}]}}}}
RUN_JOB = {"StartAt": "Run", "States": {"Run": {
    "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
    "Parameters": {"ClusterName": "life", "Endpoint": "https://example.invalid", "CertificateAuthority": "Q0E=",
                   "Job": JOB}, "End": True}}}


def _recording() -> tuple[list[str], dict[str, Any]]:
    endpoints: list[str] = []
    return endpoints, {"eks.local.on_start": lambda name, emulator: endpoints.append(emulator.endpoint)}


def test_twenty_local_eks_executions_in_one_process_leave_nothing_running() -> None:
    endpoints, options = _recording()
    before = listening_sockets()  # other tests' module-scoped servers may be up
    interpreter = aslrun.Interpreter(options=options)  # never closed by hand: each run closes what it used
    for _ in range(20):
        result = interpreter.run(RUN_JOB, {})
        assert result.status == "SUCCEEDED", result.cause
        assert result.output["status"]["succeeded"] == 1
        assert listening_sockets() <= before
    assert len(endpoints) == 20  # each run started its own cluster API, from no clusters


def test_each_run_starts_from_no_clusters() -> None:
    machine = json.loads((SAMPLES / "run-job.json").read_text())
    inputs = json.loads((SAMPLES / "run-job.input.json").read_text())
    endpoints, options = _recording()
    with aslrun.Interpreter(options=options) as interpreter:
        first = interpreter.run(machine, inputs)
        second = interpreter.run(machine, inputs)
    assert first.status == second.status == "SUCCEEDED"
    assert len(endpoints) == 2 and endpoints[0] != endpoints[1]


def test_a_failed_execution_closes_the_local_eks_too() -> None:
    failing = json.loads(json.dumps(RUN_JOB))
    failing["States"]["Run"]["Parameters"]["Job"]["metadata"]["annotations"] = {"aslrun.io/exit-code": "3"}
    failing["States"]["Run"]["Parameters"]["Job"]["spec"]["template"]["metadata"] = {
        "annotations": {"aslrun.io/exit-code": "3"}}
    endpoints, options = _recording()
    before = listening_sockets()
    result = aslrun.run(failing, {}, options=options)
    assert result.status == "FAILED"
    assert endpoints and listening_sockets() <= before


def test_the_interpreter_is_a_context_manager_that_closes_its_integrations() -> None:
    closed: list[str] = []

    class Holder:
        name = "holder"
        remote = False

        def handles(self, resource: Any) -> bool:
            return resource.service == "holder"

        def invoke(self, request: Any) -> Any:
            return {"ok": True}

        def close(self) -> None:
            closed.append("closed")

    machine = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::holder:do",
                                                "End": True}}}
    with aslrun.Interpreter(integrations=[Holder()], load_plugins=False) as interpreter:
        assert interpreter.run(machine).output == {"ok": True}
        assert closed == ["closed"]  # the run closed what it used
        assert interpreter.run(machine).output == {"ok": True}  # and it works again afterwards
    assert closed == ["closed", "closed", "closed"]  # the second run, then the interpreter


def test_an_integration_that_fails_to_close_is_a_warning_not_a_failed_run() -> None:
    import pytest

    class Broken:
        name = "broken"
        remote = False

        def handles(self, resource: Any) -> bool:
            return resource.service == "broken"

        def invoke(self, request: Any) -> Any:
            return 1

        def close(self) -> None:
            raise OSError("socket already gone")

    machine = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::broken:do",
                                                "End": True}}}
    with pytest.warns(RuntimeWarning, match="the broken integration failed to close: OSError: socket already gone"):
        result = aslrun.Interpreter(integrations=[Broken()], load_plugins=False).run(machine)
    assert result.status == "SUCCEEDED" and result.output == 1


def test_test_state_closes_the_local_eks() -> None:
    endpoints, options = _recording()
    before = listening_sockets()
    with aslrun.Interpreter(options=options) as interpreter:
        result = run_test_state(RUN_JOB, {}, state_name="Run", interpreter=interpreter)
        assert result.status == "SUCCEEDED", result
        assert endpoints and listening_sockets() <= before
