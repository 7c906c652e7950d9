"""kubectl against the local cluster of a running execution (the default local backend).

``aslrun run`` (on the real clock, so a Job really lasts) and ``aslrun debug`` (paused after the first
Job) keep their cluster up; ``aslrun cluster kubeconfig`` finds it in the per-user registry and
kubectl sees its Jobs, pods and logs. When the run ends, nothing listens any more.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aslrun.integrations.eks.backends.local_registry import find_cluster

JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hello"},
       "spec": {"backoffLimit": 0, "template": {"metadata": {"annotations": {"aslrun.io/log": "hello from the job"}},
                                                "spec": {"restartPolicy": "Never", "containers": [
                                                    {"name": "c", "image": "busybox", "command": ["true"]}]}}}}
MACHINE = {"StartAt": "Run", "States": {
    "Run": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
            "Parameters": {"ClusterName": "Looked", "Endpoint": "https://EXAMPLE.gr7.us-east-1.eks.amazonaws.com",
                           "CertificateAuthority": "Q0E=", "Job": JOB}, "ResultPath": None, "Next": "Linger"},
    # a Job that runs for 5 s keeps the run (and its cluster) alive while kubectl looks
    "Linger": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
               "Parameters": {"ClusterName": "Looked", "Endpoint": "https://EXAMPLE.gr7.us-east-1.eks.amazonaws.com",
                              "CertificateAuthority": "Q0E=", "Job": {
                                  "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "linger"},
                                  "spec": {"template": {"metadata": {"annotations": {"aslrun.io/duration": "5"}},
                                                        "spec": {"restartPolicy": "Never", "containers": [
                                                            {"name": "c", "image": "busybox",
                                                             "command": ["true"]}]}}}}},
               "ResultPath": None, "End": True}}}

COMMANDS = {
    "run": ["run", "--clock", "real", "--json"],
    # paused at the second Task until the test writes "continue"
    "debug": ["debug", "--break", "Linger", "--commands", "-"],
}


@pytest.mark.parametrize("command", ["run", "debug"])
def test_kubectl_sees_the_jobs_pods_and_logs_of_a_running_run(tmp_path: Path, kubectl_binaries: dict[str, Path],
                                                              command: str) -> None:
    if not kubectl_binaries:
        message = "no kubectl installed: run `bash tools/install-kubectl`"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs both versions; a missing one is a broken CI, not a skip
        pytest.skip(message)
    binary = kubectl_binaries[max(kubectl_binaries)]
    machine = tmp_path / "machine.json"
    machine.write_text(json.dumps(MACHINE))
    runtime = tmp_path / "runtime"
    env = {**os.environ, "ASLRUN_RUNTIME_DIR": str(runtime), "NO_PROXY": "127.0.0.1"}
    argv = [sys.executable, "-m", "aslrun", COMMANDS[command][0], str(machine), *COMMANDS[command][1:]]
    run = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    if command == "debug":  # it starts paused at the first state: go on to the breakpoint
        assert run.stdin is not None
        run.stdin.write("continue\n")
        run.stdin.flush()
    try:
        config = tmp_path / "kubeconfig"
        deadline = time.monotonic() + 20
        while True:
            made = subprocess.run([sys.executable, "-m", "aslrun", "cluster", "kubeconfig", "Looked", "-o",
                                   str(config)], env=env, capture_output=True, text=True)
            if made.returncode == 0:
                break
            assert time.monotonic() < deadline, made.stderr
            assert run.poll() is None, run.communicate()
            time.sleep(0.2)
        kenv = {"HOME": str(tmp_path), "PATH": os.environ.get("PATH", ""), "NO_PROXY": "127.0.0.1"}

        def kubectl(*args: str) -> str:
            proc = subprocess.run([str(binary), "--kubeconfig", str(config), *args], capture_output=True, text=True,
                                  env=kenv, timeout=30)
            assert proc.returncode == 0, proc.stderr
            return proc.stdout

        while "hello" not in kubectl("get", "jobs,pods"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        listing = kubectl("get", "jobs,pods")
        assert "job.batch/hello" in listing and "pod/hello-" in listing
        while "hello from the job" not in kubectl("logs", "job/hello"):
            assert time.monotonic() < deadline
            time.sleep(0.2)
        endpoint = find_cluster("Looked", runtime)
        assert endpoint is not None
    finally:
        out, err = run.communicate("continue\n" if command == "debug" else None, timeout=60)
    assert run.returncode == 0, err
    if command == "run":
        assert json.loads(out)["status"] == "SUCCEEDED"
    else:
        assert "SUCCEEDED" in out
    assert find_cluster("Looked", runtime) is None  # the registry entry went with the run
    gone = subprocess.run([str(binary), "--kubeconfig", str(config), "get", "pods", "--request-timeout", "2s"],
                          capture_output=True, text=True, env={"HOME": str(tmp_path), "PATH": os.environ["PATH"]})
    assert gone.returncode != 0  # nothing listens after exit
