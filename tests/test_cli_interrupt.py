"""Ctrl-C and SIGTERM during ``aslrun run``: the execution is aborted cleanly, its history kept (a real process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

WAIT_MACHINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"step": 1}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_aborts_the_execution_and_keeps_the_history(tmp_path: Path, signum: int) -> None:
    definition = tmp_path / "hold.json"
    definition.write_text(json.dumps(WAIT_MACHINE), encoding="utf-8")
    history = tmp_path / "history.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "aslrun", "run", str(definition), "--clock", "real", "--history", str(history)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    try:
        deadline = time.monotonic() + 20
        # Wait until the Wait state has been entered (the live view prints it on stderr).
        seen = ""
        assert proc.stderr is not None
        while "Hold" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.readline()
        assert "Hold" in seen, seen
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "Traceback" not in err
    assert "ABORTED" in err
    assert out == ""
    events = json.loads(history.read_text(encoding="utf-8"))["events"]
    types = [e["type"] for e in events]
    assert types[-2:] == ["WaitStateAborted", "ExecutionAborted"]
    assert "PassStateExited" in types


FORKING_JOB = {"StartAt": "Run", "States": {"Run": {
    "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
    "Parameters": {"ClusterName": "sig", "Endpoint": "https://example.invalid", "CertificateAuthority": "Q0E=",
                   "Job": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "forks"},
                           "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
                               {"name": "c", "image": "busybox", "command": ["sh", "-c"],
                                "args": ["sleep 300 & echo $! > \"$PIDS\"; echo $$ >> \"$PIDS\"; sleep 300"]}]}}}}},
    "End": True}}}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_a_local_job_leaves_no_process_behind(tmp_path: Path, signum: int) -> None:
    machine = json.loads(json.dumps(FORKING_JOB))
    pids_file = tmp_path / "pids"
    container = machine["States"]["Run"]["Parameters"]["Job"]["spec"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "PIDS", "value": str(pids_file)}]
    definition = tmp_path / "forks.json"
    definition.write_text(json.dumps(machine), encoding="utf-8")
    history = tmp_path / "history.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "aslrun", "run", str(definition), "--jobs", "process", "--clock", "real",
         "--history", str(history)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while len(pids) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
            if pids_file.exists():
                pids = [int(p) for p in pids_file.read_text().split()]
        assert len(pids) == 2, "the Job's container never started"
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    types = [e["type"] for e in json.loads(history.read_text(encoding="utf-8"))["events"]]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionAborted"
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)], "the Job's processes outlived aslrun"
