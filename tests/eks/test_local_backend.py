"""The ``local`` backend (the default): embedded EKS over boto3, a KubeEmulator per ACTIVE cluster, samples."""

from __future__ import annotations

import copy
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import aslrun
from aslrun.integrations.eks.backends import make_backend, make_local_backend
from aslrun.integrations.eks.backends.base import ClusterRef, EksApiError, EksBackend
from aslrun.integrations.eks.backends.local import LocalBackend, LocalControlPlane
from aslrun.kube.executors import (
    AnnotatedSimulatedExecutor,
    DockerExecutor,
    ProcessExecutor,
    docker_answers,
    make_executor,
)

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples" / "eks"
ROLE = "arn:aws:iam::123456789012:role/R"



@pytest.fixture
def backend() -> Iterator[LocalBackend]:
    be = LocalBackend({"eks.local.transition_polls": 2})
    yield be
    be.close()
    assert not be.emulators


def listening(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=0.5):
            return True
    except OSError:
        return False


def run(path: Path | dict[str, Any], backend: LocalBackend, data: Any = None) -> aslrun.ExecutionResult:
    machine = json.loads(path.read_text()) if isinstance(path, Path) else path
    if data is None and isinstance(path, Path):
        data = json.loads(path.with_suffix(".input.json").read_text())
    return aslrun.Interpreter(options={"eks.backend": backend, "eks.poll_interval": 0.05}).run(machine, data or {})


# ---------------------------------------------------------------- registry


def test_the_local_backend_has_the_backend_shape() -> None:
    be = make_local_backend({"eks.jobs": "simulate"})
    assert isinstance(be, LocalBackend) and isinstance(be, EksBackend) and be.name == "local" and not be.remote
    assert make_backend(be, {}) is be
    be.close()


def test_make_executor_choices() -> None:
    assert isinstance(make_executor("simulate"), AnnotatedSimulatedExecutor)
    assert isinstance(make_executor("process"), ProcessExecutor)
    if docker_answers():
        assert isinstance(make_executor("docker"), DockerExecutor)
    else:
        with pytest.raises(ValueError, match="docker info"):
            make_executor("docker")
    with pytest.raises(ValueError, match="simulate, process, docker"):
        make_executor("podman")


# ---------------------------------------------------------------- control plane through boto3


def test_lifecycle_through_boto3_with_rules(backend: LocalBackend) -> None:
    from botocore.exceptions import ClientError

    control = backend.control_plane()
    assert type(control).__name__ == "Boto3ControlPlane"
    assert backend.endpoint_url and backend.endpoint_url.startswith("http://127.0.0.1:")
    with pytest.raises(ClientError) as missing:
        control.create_nodegroup({"clusterName": "nope", "nodegroupName": "ng", "nodeRole": ROLE,
                                  "subnets": ["s"]})
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    created = control.create_cluster({"name": "c1", "roleArn": ROLE, "resourcesVpcConfig": {"subnetIds": ["s"]}})
    assert created["cluster"]["status"] == "CREATING"
    with pytest.raises(ClientError) as again:
        control.create_cluster({"name": "c1", "roleArn": ROLE, "resourcesVpcConfig": {}})
    assert again.value.response["Error"]["Code"] == "ResourceInUseException"
    statuses = [control.describe_cluster("c1")["cluster"]["status"] for _ in range(2)]
    assert statuses == ["CREATING", "ACTIVE"]  # two polls (transition_polls=2)
    active = control.describe_cluster("c1")["cluster"]
    emulator = backend.emulators["c1"]
    assert active["endpoint"] == emulator.endpoint and active["certificateAuthority"]["data"] == emulator.ca_b64
    assert listening(active["endpoint"])

    control.create_nodegroup({"clusterName": "c1", "nodegroupName": "ng", "nodeRole": ROLE, "subnets": ["s"]})
    with pytest.raises(ClientError) as in_use:
        control.delete_cluster("c1")
    assert in_use.value.response["Error"]["Code"] == "ResourceInUseException"
    assert "nodegroups" in in_use.value.response["Error"]["Message"]
    control.delete_nodegroup("c1", "ng")
    assert control.describe_nodegroup("c1", "ng")["nodegroup"]["status"] == "DELETING"
    with pytest.raises(ClientError):
        control.describe_nodegroup("c1", "ng")  # gone after the second poll
    assert control.delete_cluster("c1")["cluster"]["status"] == "DELETING"
    control.describe_cluster("c1")
    with pytest.raises(ClientError) as gone:
        control.describe_cluster("c1")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "c1" not in backend.emulators and not listening(active["endpoint"])


def test_transitions_are_timed_on_the_given_clock() -> None:
    now = [100.0]
    plane = LocalControlPlane(transition_seconds=30, transition_polls=1000, clock=lambda: now[0],
                              on_active=lambda name: ("https://127.0.0.1:1", "Q0E="))
    plane.create_cluster({"name": "c", "roleArn": ROLE})
    assert plane.describe_cluster("c")["cluster"]["status"] == "CREATING"
    now[0] += 29
    assert plane.describe_cluster("c")["cluster"]["status"] == "CREATING"
    now[0] += 1
    described = plane.describe_cluster("c")["cluster"]
    assert described["status"] == "ACTIVE" and described["endpoint"] == "https://127.0.0.1:1"
    plane.create_fargate_profile({"clusterName": "c", "fargateProfileName": "fp", "podExecutionRoleArn": ROLE,
                                  "selectors": [{"namespace": "default"}]})
    with pytest.raises(EksApiError, match="Fargate profiles"):
        plane.delete_cluster("c")


def test_close_stops_everything(backend: LocalBackend) -> None:
    backend.control_plane()
    url = backend.endpoint_url
    api = backend.kube(ClusterRef("adhoc", "https://example.eks.amazonaws.com", "Q0E="))
    endpoint = backend.emulators["adhoc"].endpoint
    assert "provisioned on first use" in api.description and "overridden" in api.description
    assert api.request("GET", "/api/v1/namespaces").status == 200
    backend.close()
    assert url and not listening(url) and not listening(endpoint)
    backend.close()  # idempotent


# ---------------------------------------------------------------- samples with the default backend


def test_run_job_sample_routes_the_hard_coded_endpoint(backend: LocalBackend) -> None:
    result = run(SAMPLES / "run-job.json", backend)
    assert result.succeeded, result.error
    out = result.output
    assert out["kind"] == "Job" and out["status"]["succeeded"] == 1
    (pod,) = out["logs"]["pods"].values()
    assert "perl" in pod["containers"]["pi-2000"]["log"]
    assert "MyCluster" in backend.emulators


@pytest.mark.parametrize("sample", ["run-and-list-pods", "run-and-delete-job", "list-job-pods", "add-aws-auth",
                                    "cluster-lifecycle",
                                    "manage-eks-cluster", "pipeline"])
def test_every_sample_runs_with_the_local_backend(sample: str, backend: LocalBackend) -> None:
    result = run(SAMPLES / f"{sample}.json", backend)
    assert result.succeeded, (result.error, result.cause)
    out = result.output
    if sample == "list-job-pods":  # a fresh cluster: no pods yet
        assert out["StatusCode"] == 200 and out["ResponseBody"]["items"] == []
    elif sample == "run-and-list-pods":
        assert out["StatusCode"] == 200 and out["ResponseBody"]["kind"] == "PodList"
        assert [p["metadata"]["labels"]["job-name"] for p in out["ResponseBody"]["items"]] == ["example-job"]
    elif sample == "run-and-delete-job":
        assert out["DeleteJobResult"]["status"]["succeeded"] == 1  # Foreground answers with the Job itself
    elif sample == "add-aws-auth":
        assert out["StatusCode"] == 201 and out["ResponseBody"]["metadata"]["name"] == "aws-auth"
    elif sample == "cluster-lifecycle":
        assert out["deletedCluster"]["Cluster"]["Status"] == "DELETING"
        assert backend.control.resources == {}
    elif sample == "manage-eks-cluster":
        entered = [e["stateEnteredEventDetails"]["name"] for e in result.history_values()
                   if e["type"].endswith("StateEntered")]
        assert "Send expected result" in entered and "Send unexpected result" not in entered
    elif sample == "pipeline":
        assert out["job"]["status"]["succeeded"] == 1 and out["deleted"] == {"status": "DELETING"}
        assert backend.control.resources == {} and not backend.emulators


def test_pipeline_failure_goes_through_catch_and_deletes_everything(backend: LocalBackend) -> None:
    machine = json.loads((SAMPLES / "pipeline.json").read_text())
    failing = copy.deepcopy(machine)
    template = failing["States"]["Run job"]["Parameters"]["Job"]["spec"]["template"]
    template["metadata"]["annotations"] = {"aslrun.io/exit-code": "1", "aslrun.io/log": "boom"}
    data = json.loads((SAMPLES / "pipeline.input.json").read_text())
    result = run(failing, backend, data)
    assert not result.succeeded and result.error == "States.TaskFailed"
    entered = [e["stateEnteredEventDetails"]["name"] for e in result.history_values()
               if e["type"].endswith("StateEntered")]
    assert entered[-3:] == ["Cleanup: delete node group", "Cleanup: delete cluster", "Pipeline failed"]
    assert backend.control.resources == {} and not backend.emulators


# ---------------------------------------------------------------- --jobs process


def test_process_executor_runs_the_command(tmp_path: Path) -> None:
    said: list[str] = []
    be = LocalBackend({"eks.local.executor": ProcessExecutor(echo=said.append)})
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "sh"},
           "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "c", "image": "busybox", "command": ["sh", "-c"],
                "args": ["echo out-$GREETING; echo err >&2; exit 3"], "env": [{"name": "GREETING", "value": "hi"}]}]}}}}
    machine = {"StartAt": "J", "States": {"J": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
               "Parameters": {"ClusterName": "p", "Endpoint": "https://x", "CertificateAuthority": "Q0E=",
                              "LogOptions": {"RetrieveLogs": True}, "Job": job}, "End": True}}}
    try:
        result = aslrun.Interpreter(options={"eks.backend": be}).run(machine, {})
    finally:
        be.close()
    assert not result.succeeded
    cause = json.loads(result.cause)
    (pod,) = cause["logs"]["pods"].values()
    assert pod["containers"]["c"]["log"] == "out-hi\nerr\n"
    assert len(said) == 1 and "sh -c" in said[0] and "image busybox ignored" in said[0]


def test_process_executor_prints_pi_digits() -> None:
    be = LocalBackend({"eks.jobs": "process", "eks.local.echo": lambda text: None})
    machine = json.loads((SAMPLES / "manage-eks-cluster.json").read_text())
    try:
        result = run(machine, be, json.loads((SAMPLES / "manage-eks-cluster.input.json").read_text()))
    finally:
        be.close()
    assert result.succeeded, result.cause
    entered = [e["stateEnteredEventDetails"]["name"] for e in result.history_values()
               if e["type"].endswith("StateEntered")]
    assert "Send expected result" in entered and "Send unexpected result" not in entered


def test_bwrap_and_docker_argv(tmp_path: Path) -> None:
    import threading

    from aslrun.kube.executors import ContainerRun

    container = {"name": "c", "image": "perl:5", "command": ["perl"], "args": ["-e", "1"],
                 "env": [{"name": "A", "value": "1"}]}
    spec = ContainerRun("default", "p", "u", "j", "ju", container, {}, 0, threading.Event(), lambda s: None)
    sandboxed = ProcessExecutor(sandbox=True, bwrap="/usr/bin/bwrap", echo=lambda s: None).argv(spec)
    assert sandboxed is not None and sandboxed[:2] == ["/usr/bin/bwrap", "--ro-bind"]
    assert "--unshare-all" in sandboxed and sandboxed[-3:] == ["perl", "-e", "1"]
    assert DockerExecutor().argv(spec) == ["docker", "run", "--rm", "--network", "none", "-e", "A=1",
                                           "--entrypoint", "perl", "perl:5", "-e", "1"]


# ---------------------------------------------------------------- a script that closes nothing itself


SCRIPT = """
import json, sys
import aslrun
endpoints = []
options = {"eks.poll_interval": 0.05, "eks.local.on_start": lambda name, emu: endpoints.append(emu.endpoint)}
machine = json.load(open(sys.argv[1]))
result = aslrun.Interpreter(options=options).run(machine, json.load(open(sys.argv[2])))
print(json.dumps({"status": result.status, "endpoints": endpoints}))
"""


def test_a_script_that_closes_nothing_leaves_nothing_and_exits_promptly(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(SAMPLES / "run-job.json"),
                           str(SAMPLES / "run-job.input.json")], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "SUCCEEDED" and out["endpoints"]
    assert time.monotonic() - started < 30
    assert not any(listening(e) for e in out["endpoints"])


def test_active_deadline_kills_a_process_container() -> None:
    be = LocalBackend({"eks.local.executor": ProcessExecutor(sandbox=False, echo=lambda text: None)})
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "slow"},
           "spec": {"backoffLimit": 0, "activeDeadlineSeconds": 1, "template": {"spec": {
               "restartPolicy": "Never", "containers": [{"name": "c", "image": "x", "command": ["sleep", "30"]}]}}}}
    machine = {"StartAt": "J", "States": {"J": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
               "Parameters": {"ClusterName": "d", "Endpoint": "https://x", "CertificateAuthority": "Q0E=",
                              "Job": job}, "End": True}}}
    started = time.monotonic()
    try:
        result = aslrun.Interpreter(options={"eks.backend": be}).run(machine, {})
    finally:
        be.close()
    assert not result.succeeded and "DeadlineExceeded" in (result.cause or "")
    assert time.monotonic() - started < 15


INTERRUPTED = """
import json, sys
import aslrun
options = {"eks.local.on_start": lambda name, emu: print(emu.endpoint, flush=True)}
machine = {"StartAt": "J", "States": {"J": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
    "Parameters": {"ClusterName": "int", "Endpoint": "https://x", "CertificateAuthority": "Q0E=", "Job": {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "long"}, "spec": {"template": {
            "metadata": {"annotations": {"aslrun.io/duration": "60"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x", "command": ["true"]}]}}}}},
    "End": True}}}
aslrun.Interpreter(options=options).run(machine, {})
"""


def test_ctrl_c_tears_everything_down() -> None:
    import signal

    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        assert proc.stdout is not None
        endpoint = proc.stdout.readline().strip()
        assert endpoint.startswith("https://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        deadline = time.monotonic() + 10
        while not listening(endpoint):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.5)  # the runJob.sync is waiting on the Job now
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert not listening(endpoint)


FORGETFUL = """
import json, sys
import aslrun
from aslrun.integrations.eks.backends.local import LocalBackend
backend = LocalBackend({})  # the caller's own backend object, never closed
result = aslrun.Interpreter(options={"eks.backend": backend}).run(json.load(open(sys.argv[1])),
                                                                 json.load(open(sys.argv[2])))
print(result.status)
"""


def test_a_script_that_never_closes_its_own_backend_still_exits() -> None:
    # the emulator's connection threads are daemons: an open keep-alive connection (idle timeout 120 s)
    # cannot hold the interpreter at exit
    proc = subprocess.run([sys.executable, "-c", FORGETFUL, str(SAMPLES / "run-job.json"),
                           str(SAMPLES / "run-job.input.json")], capture_output=True, text=True, timeout=60, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "SUCCEEDED"
