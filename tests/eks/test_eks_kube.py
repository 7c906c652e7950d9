"""eks:runJob(.sync) and eks:call against aslrun's Kubernetes emulator over HTTPS (TLS verified, bearer tokens).

The aws backend authenticates with a ``k8s-aws-v1.`` token minted from the dummy AWS credentials; the
emulator checks it offline (SigV4 recomputed with the known secret, ``x-k8s-aws-id`` = ``ClusterName``).
The kubeconfig backend uses the emulator's kubeconfig. The full AWS sample project runs with moto as the
EKS API and the emulator as the cluster.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import aslrun
from aslrun.integrations.eks.backends.aws import AwsBackend
from aslrun.integrations.eks.backends.base import ClusterRef
from aslrun.integrations.eks.backends.http import KubeHttp, ca_pem_from_base64, ssl_context_for
from aslrun.integrations.eks.token import TokenCache
from aslrun.kube import CertificateAuthority, JobOutcome, KubeEmulator

pytest_plugins = ["conftest_eks"]

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "eks"
PI = "3.14159265358979323846"
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "example-job"},
       "spec": {"backoffLimit": 0, "template": {"metadata": {"name": "example-job"}, "spec": {
           "containers": [{"name": "main", "image": "busybox", "command": ["echo", "hi"]}],
           "restartPolicy": "Never"}}}}


class Cluster:
    """An emulator that accepts EKS tokens for one cluster name, and the ASL parameters to reach it."""

    def __init__(self, emulator: KubeEmulator, name: str, tokens_seen: list[str]) -> None:
        self.kube, self.name, self.tokens_seen = emulator, name, tokens_seen

    @property
    def params(self) -> dict[str, str]:
        return {"ClusterName": self.name, "CertificateAuthority": self.kube.ca_b64, "Endpoint": self.kube.endpoint}

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.kube.requests if method is None or r.method == method]


@pytest.fixture
def cluster(kube_api_factory: Callable[..., KubeEmulator], rig: Any) -> Cluster:
    seen: list[str] = []

    def verify(token: str) -> str:
        seen.append(token)
        return "aws:" + rig.verify_eks_token(token, "MyCluster")

    return Cluster(kube_api_factory(token_verifier=verify, anonymous=False), "MyCluster", seen)


def options(rig: Any, **extra: Any) -> dict[str, Any]:
    return {"eks.backend": "aws", "eks.region": rig.REGION, "eks.poll_interval": 0.05,
            "eks.poll_max_interval": 0.2, "eks.watch_timeout": 5, **extra}


def task(resource: str, parameters: Any, **extra: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": f"arn:aws:states:::eks:{resource}",
                                             "Parameters": parameters, "End": True, **extra}}}


def run(machine: Any, opts: dict[str, Any], data: Any = None, **settings: Any) -> aslrun.ExecutionResult:
    progress: list[str] = []
    result = aslrun.Interpreter(options=opts, **settings).run(
        machine, data or {}, listeners=[lambda ex, ev: progress.append(ev.details["message"])
                                        if ev.type == "Progress" else None])
    result.progress = progress  # type: ignore[attr-defined]
    return result


def sample(name: str) -> Any:
    return json.loads((SAMPLES / f"{name}.json").read_text())


# ---------------------------------------------------------------- runJob


def test_run_job_creates_the_job_with_a_verified_eks_token(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    result = run(task("runJob", {**cluster.params, "Job": JOB}), options(rig))
    assert result.succeeded, result.cause
    assert result.output["metadata"]["name"] == "example-job" and result.output["metadata"]["uid"]
    assert cluster.kube.get("batch", "jobs", "default", "example-job") is not None
    post = [r for r in cluster.kube.requests if r.method == "POST"][0]
    assert (post.path, post.status, post.user) == ("/apis/batch/v1/namespaces/default/jobs", 201,
                                                   "aws:" + rig.ACCESS_KEY)
    assert cluster.tokens_seen and all(t.startswith("k8s-aws-v1.") for t in cluster.tokens_seen)


def test_the_run_job_sample_waits_and_retrieves_parsed_logs(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    cluster.kube.set_outcome("example-job", JobOutcome(log=PI + "\n"))
    result = run(sample("run-job"), options(rig), cluster.params)
    assert result.succeeded, result.cause
    job = result.output
    condition = [c for c in job["status"]["conditions"] if c["type"] == "Complete"][0]
    assert condition["status"] == "True"
    (pod, entry), = job["logs"]["pods"].items()
    assert pod.startswith("example-job-")
    assert entry == {"containers": {"pi-2000": {"log": float(PI)}}}
    assert any(r.query.get("watch") == ["true"] for r in cluster.kube.requests)  # waited on the watch API
    logs = [r for r in cluster.kube.requests if r.path.endswith("/log")]
    assert [r.query["container"] for r in logs] == [["pi-2000"]]
    submitted = [e for e in result.history_values() if e["type"] == "TaskSubmitted"]
    assert submitted[0]["taskSubmittedEventDetails"]["output"]["metadata"]["name"] == "example-job"


def test_raw_logs_and_log_parameters_reach_the_read_log_api(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    cluster.kube.set_outcome("example-job", JobOutcome(log="one\ntwo\n{\"three\": 3}\n"))
    result = run(task("runJob.sync", {**cluster.params, "Job": JOB, "LogOptions": {
        "RetrieveLogs": True, "RawLogs": True, "LogParameters": {"tailLines": ["1"]}}}), options(rig))
    assert list(result.output["logs"]["pods"].values())[0]["containers"]["main"]["log"] == '{"three": 3}\n'
    log = [r for r in cluster.kube.requests if r.path.endswith("/log")][0]
    assert log.query == {"container": ["main"], "tailLines": ["1"]}


def test_polling_works_without_the_watch_api(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    result = run(task("runJob.sync", {**cluster.params, "Job": JOB}), options(rig, **{"eks.watch": False}))
    assert result.succeeded
    assert not any("watch" in r.query for r in cluster.kube.requests)
    assert cluster.paths("GET").count("/apis/batch/v1/namespaces/default/jobs/example-job") >= 1


def test_a_failed_job_is_a_task_failure_naming_the_job_and_condition(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    cluster.kube.set_outcome("example-job", JobOutcome(exit_code=3, log="bad input\n"))
    result = run(task("runJob.sync", {**cluster.params, "Job": JOB, "LogOptions": {"RetrieveLogs": True}}),
                 options(rig))
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    cause = json.loads(result.cause)
    assert cause["metadata"]["name"] == "example-job"
    failed = [c for c in cause["status"]["conditions"] if c["type"] == "Failed"][0]
    assert (failed["status"], failed["reason"]) == ("True", "BackoffLimitExceeded")
    assert list(cause["logs"]["pods"].values())[0]["containers"]["main"]["log"] == "bad input\n"


def test_a_task_timeout_deletes_the_job_in_the_cluster(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    cluster.kube.set_outcome("example-job", JobOutcome(delay=30))
    result = run(task("runJob.sync", {**cluster.params, "Job": JOB}, TimeoutSeconds=1), options(rig))
    assert result.error == "States.Timeout"
    delete = [r for r in cluster.kube.requests if r.method == "DELETE"]
    assert [(r.path, r.query) for r in delete] == [
        ("/apis/batch/v1/namespaces/default/jobs/example-job", {"propagationPolicy": ["Foreground"]})]
    assert cluster.kube.wait_for(lambda: cluster.kube.get("batch", "jobs", "default", "example-job") is None, 5)
    assert result.progress[-1] == ("T: deleted Job default/example-job and its pods "  # type: ignore[attr-defined]
                                   "(propagationPolicy Foreground)")


# ---------------------------------------------------------------- eks:call


def test_the_call_samples_list_pods_delete_the_job_and_add_aws_auth(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    assert run(task("runJob.sync", {**cluster.params, "Job": JOB}), options(rig)).succeeded
    pods = run(sample("list-job-pods"), options(rig), cluster.params)
    assert pods.output["StatusCode"] == 200 and pods.output["StatusText"] == "OK"
    assert [p["metadata"]["labels"]["job-name"] for p in pods.output["ResponseBody"]["items"]] == ["example-job"]
    deleted = run(sample("delete-job"), options(rig), cluster.params)
    # a Job deleted without a propagation policy orphans its pods: the answer is the Job, being deleted
    assert deleted.output["DeleteJobResult"]["status"]["succeeded"] == 1
    added = run(sample("add-aws-auth"), options(rig), cluster.params)
    assert (added.output["StatusCode"], added.output["StatusText"]) == (201, "Created")
    stored = cluster.kube.get("", "configmaps", "kube-system", "aws-auth")
    assert stored is not None and "my-role" in stored["data"]["mapRoles"]
    again = run(sample("add-aws-auth"), options(rig), cluster.params)
    assert again.error == "EKS.409"
    assert json.loads(again.cause)["ResponseBody"]["reason"] == "AlreadyExists"


def test_an_unauthorized_identity_gets_the_documented_eks_401(kube_api: KubeEmulator, rig: Any, aws_env: Any) -> None:
    params = {"ClusterName": "MyCluster", "CertificateAuthority": kube_api.ca_b64, "Endpoint": kube_api.endpoint}
    result = run(task("call", {**params, "Method": "GET", "Path": "/api/v1/namespaces/default/pods"}), options(rig))
    assert result.error == "EKS.401"
    assert json.loads(result.cause) == {
        "ResponseBody": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                         "message": "Unauthorized", "reason": "Unauthorized", "code": 401},
        "StatusCode": 401, "StatusText": "Unauthorized"}


def test_not_found_is_eks_404_and_catchable(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    machine = {"StartAt": "D", "States": {
        "D": {"Type": "Task", "Resource": "arn:aws:states:::eks:call", "Parameters": {
            **cluster.params, "Method": "DELETE", "Path": "/apis/batch/v1/namespaces/default/jobs/nope",
            "QueryParameters": {"propagationPolicy": ["Foreground"]}},
            "Catch": [{"ErrorEquals": ["EKS.404"], "Next": "Gone"}], "End": True},
        "Gone": {"Type": "Pass", "End": True}}}
    result = run(machine, options(rig))
    assert result.succeeded
    assert json.loads(result.output["Cause"])["ResponseBody"]["reason"] == "NotFound"


# ---------------------------------------------------------------- TLS and tokens


def test_a_server_not_signed_by_the_given_ca_is_refused(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    other = CertificateAuthority.generate("someone-else")
    params = {**cluster.params, "CertificateAuthority": other.ca_b64}
    result = run(task("call", {**params, "Method": "GET", "Path": "/api"}), options(rig))
    assert result.error == "States.TaskFailed"
    assert "the TLS connection failed" in result.cause and "CERTIFICATE_VERIFY_FAILED" in result.cause
    assert not cluster.kube.requests


def test_a_certificate_authority_that_is_not_pem_is_a_parameter_error(cluster: Cluster, rig: Any,
                                                                       aws_env: Any) -> None:
    result = run(task("call", {**cluster.params, "CertificateAuthority": "ANPAJ2UCCR6DPCEXAMPLE", "Method": "GET",
                               "Path": "/api"}), options(rig))
    assert result.error == "States.Runtime"
    assert "The value of the field 'CertificateAuthority'" in result.cause


def test_tokens_never_appear_in_output_history_or_progress(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    cluster.kube.set_outcome("example-job", JobOutcome(exit_code=1))
    result = run(task("runJob.sync", {**cluster.params, "Job": JOB, "LogOptions": {"RetrieveLogs": True}}),
                 options(rig))
    text = json.dumps(result.history) + json.dumps(result.progress) + (result.cause or "")  # type: ignore[attr-defined]
    assert cluster.tokens_seen
    for token in set(cluster.tokens_seen):
        assert token not in text and token[len("k8s-aws-v1."):][:40] not in text


def test_tokens_are_renewed_during_long_waits(cluster: Cluster, rig: Any, aws_env: Any) -> None:
    now = [1000.0]
    backend = AwsBackend({"eks.region": rig.REGION})
    backend.tokens = TokenCache(backend._mint, now=lambda: now[0])
    kube = backend.kube(ClusterRef("MyCluster", cluster.kube.endpoint, cluster.kube.ca_b64))
    assert kube.request("GET", "/api").status == 200
    now[0] += 11 * 60
    assert kube.request("GET", "/api").status == 200
    assert backend.tokens.minted == 1
    now[0] += 2 * 60  # 13 minutes after minting: renewed before EKS's 15-minute limit
    assert kube.request("GET", "/api").status == 200
    assert backend.tokens.minted == 2
    assert len(set(cluster.tokens_seen)) >= 1


def test_the_http_client_verifies_the_host_name(kube_api: KubeEmulator) -> None:
    ctx = ssl_context_for(ca_pem=ca_pem_from_base64(kube_api.ca_b64))
    good = KubeHttp(kube_api.endpoint, ctx, lambda: f"Bearer {kube_api.token}")
    assert good.request("GET", "/version").status == 200
    wrong_host = kube_api.endpoint.replace("127.0.0.1", "127.0.0.2")
    import urllib3

    with pytest.raises((urllib3.exceptions.SSLError, urllib3.exceptions.NewConnectionError, OSError)):
        KubeHttp(wrong_host, ctx, lambda: None).request("GET", "/version")


# ---------------------------------------------------------------- kubeconfig backend


def test_the_kubeconfig_backend_uses_a_context_instead_of_endpoint_and_ca(kube_api: KubeEmulator,
                                                                          tmp_path: Path) -> None:
    config = kube_api.kubeconfig(tmp_path / "kubeconfig")
    kube_api.set_outcome("example-job", JobOutcome(log='{"ok": true}'))
    opts = {"eks.backend": "kubeconfig", "eks.kubeconfig_file": str(config),
            "eks.kubeconfig": {"MyCluster": kube_api.cluster_name}, "eks.poll_interval": 0.05}
    params = {"ClusterName": "MyCluster", "CertificateAuthority": "ANPAJ2UCCR6DPCEXAMPLE",
              "Endpoint": "https://AKIAIOSFODNN7EXAMPLE.yl4.us-east-1.eks.amazonaws.com"}
    result = run(task("runJob.sync", {**params, "Job": JOB, "LogOptions": {"RetrieveLogs": True}}), opts)
    assert result.succeeded, result.cause
    assert list(result.output["logs"]["pods"].values())[0]["containers"]["main"]["log"] == {"ok": True}
    assert result.progress[0] == (f"T: cluster MyCluster via kubeconfig context {kube_api.cluster_name} "  # type: ignore[attr-defined]
                                  f"({kube_api.endpoint})")
    unmapped = run(task("call", {**params, "ClusterName": "Other", "Method": "GET", "Path": "/api"}), opts)
    assert unmapped.error == "States.TaskFailed"
    assert f"no kubeconfig context for the cluster 'Other' in {config}" in unmapped.cause
    assert "--eks-kubeconfig Other=CONTEXT" in unmapped.cause


# ---------------------------------------------------------------- the AWS sample project, end to end


class MotoAndEmulator:
    """A backend whose EKS API is moto and whose every cluster is the emulator (what the local backend will do)."""

    name = "moto+emulator"
    remote = True

    def __init__(self, endpoint_url: str, emulator: KubeEmulator, region: str) -> None:
        self._aws = AwsBackend({"eks.endpoint_url": endpoint_url, "eks.region": region})
        self._kube = KubeHttp(emulator.endpoint, ssl_context_for(ca_pem=emulator.ca_pem),
                              lambda: f"Bearer {emulator.token}", f"the emulator at {emulator.endpoint}")

    def control_plane(self) -> Any:
        return self._aws.control_plane()

    def kube(self, cluster: ClusterRef) -> Any:
        return self._kube


def test_the_manage_an_eks_cluster_sample_project_runs_end_to_end(moto_slow: Any, moto_eks: str,
                                                                  kube_api: KubeEmulator, rig: Any) -> None:
    kube_api.set_outcome("example-job", JobOutcome(log="{ \"pi\": " + PI + " }\n"))
    backend = MotoAndEmulator(moto_eks, kube_api, rig.REGION)
    started = time.monotonic()
    result = run(sample("manage-eks-cluster"), {"eks.backend": backend, "eks.poll_interval": 0.05,
                                                "eks.poll_max_interval": 0.1})
    assert result.succeeded, result.cause
    assert result.output["Cluster"]["Status"] == "DELETING"  # the last state's result
    exited = {e["stateExitedEventDetails"]["name"]: e["stateExitedEventDetails"]["output"]
              for e in result.history_values() if e["type"].endswith("Exited")}
    out = exited["Delete job"]
    assert out["eks"]["Cluster"]["Status"] == "ACTIVE"
    assert out["nodegroup"]["Nodegroup"]["Status"] == "ACTIVE"
    assert out["RunJobResult"]["logs"] == [float(PI)]
    assert out["RunJobResult"]["status"]["succeeded"] == 1
    assert out["SNSResult"] == {"Input": f"Saw expected value for pi: {float(PI)}"}
    assert out["DeleteJobResult"]["status"]["succeeded"] == 1
    assert list(exited) == ["Create an EKS cluster", "Create a node group", "Run a job on EKS", "Examine output",
                      "Send expected result", "Delete job", "Delete node group", "Delete cluster"]
    assert time.monotonic() - started < 20
