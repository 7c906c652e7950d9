"""Contract tests: real Kubernetes clients drive aslrun's emulator, with TLS verified.

The official Python client (37.x) and kubectl 1.20 (Debian) and 1.33 (PyPI wheel) must be able to
do what the EKS plugin and users do against a real cluster. If one of these fails, the emulator
has stopped speaking Kubernetes. kubectl binaries come from ``tools/install-kubectl``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from aslrun.kube import CertificateAuthority, JobOutcome, KubeEmulator

pytestmark = pytest.mark.contract

JOB_YAML = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
  backoffLimit: {backoff}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox:1.36
        command: ["sh", "-c", "echo hello"]
"""

AWS_AUTH_YAML = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: aws-auth
  namespace: kube-system
data:
  mapRoles: '{roles}'
"""


def job_manifest(name: str, *, backoff: int = 0, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"backoffLimit": backoff, **spec, "template": {"spec": {
                "restartPolicy": "Never",
                "containers": [{"name": "main", "image": "busybox:1.36", "command": ["echo", "hi"]}]}}}}


def finished(job: Any) -> str | None:
    for cond in job.status.conditions or []:
        if cond.type in ("Complete", "Failed") and cond.status == "True":
            return str(cond.type)
    return None


def watch_until_finished(batch: client.BatchV1Api, name: str, namespace: str = "default") -> Any:
    w = watch.Watch()
    for event in w.stream(batch.list_namespaced_job, namespace, field_selector=f"metadata.name={name}",
                          timeout_seconds=10):
        if finished(event["object"]):
            w.stop()
            return event["object"]
    raise AssertionError(f"job {name} did not finish")


def status_of(exc: ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


# --- the official Python client --------------------------------------------------------------------


def test_python_client_runs_a_job_to_completion_and_reads_its_logs(kube_api: KubeEmulator, kube_client: Any) -> None:
    kube_api.set_outcome("pi", JobOutcome(log="first\nsecond\n{\"pi\": 3.14159}\n"))
    batch, core = client.BatchV1Api(kube_client), client.CoreV1Api(kube_client)
    created = batch.create_namespaced_job("default", job_manifest("pi"))
    uid = created.metadata.uid
    assert created.spec.selector.match_labels == {"batch.kubernetes.io/controller-uid": uid}
    assert created.spec.template.metadata.labels["job-name"] == "pi"
    assert created.spec.completions == 1 and created.spec.parallelism == 1

    job = watch_until_finished(batch, "pi")
    assert finished(job) == "Complete"
    assert job.status.succeeded == 1 and job.status.completion_time is not None
    assert [c.type for c in job.status.conditions] == ["SuccessCriteriaMet", "Complete"]

    pods = core.list_namespaced_pod("default", label_selector="job-name=pi").items
    assert len(pods) == 1
    pod = pods[0]
    assert pod.status.phase == "Succeeded"
    assert pod.metadata.owner_references[0].uid == uid
    assert pod.status.container_statuses[0].state.terminated.exit_code == 0

    name = pod.metadata.name
    assert core.read_namespaced_pod_log(name, "default") == 'first\nsecond\n{"pi": 3.14159}\n'
    assert core.read_namespaced_pod_log(name, "default", container="main", tail_lines=1) == '{"pi": 3.14159}\n'
    assert core.read_namespaced_pod_log(name, "default", tail_lines=2, limit_bytes=4) == "seco"
    stamped = core.read_namespaced_pod_log(name, "default", timestamps=True, tail_lines=1)
    assert stamped.endswith('Z {"pi": 3.14159}\n') and stamped[4] == "-"


def test_python_client_foreground_delete_removes_the_job_after_its_pods(kube_api: KubeEmulator,
                                                                         kube_client: Any) -> None:
    kube_api.set_outcome("slow", JobOutcome(delay=30))
    batch, core = client.BatchV1Api(kube_client), client.CoreV1Api(kube_client)
    batch.create_namespaced_job("default", job_manifest("slow"))
    assert kube_api.wait_for(lambda: any(p["status"].get("phase") == "Running" for p in kube_api.list("", "pods")))

    answer = batch.delete_namespaced_job("slow", "default", propagation_policy="Foreground")
    assert answer["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert answer["metadata"]["deletionTimestamp"]
    assert kube_api.wait_for(lambda: kube_api.get("batch", "jobs", "default", "slow") is None, timeout=5)
    assert core.list_namespaced_pod("default", label_selector="job-name=slow").items == []
    with pytest.raises(ApiException) as err:
        batch.read_namespaced_job("slow", "default")
    assert err.value.status == 404


def test_python_client_failed_job_honours_backoff_limit(kube_api: KubeEmulator, kube_client: Any) -> None:
    kube_api.set_outcome("crash", JobOutcome(exit_code=3, log="boom\n"))
    batch, core = client.BatchV1Api(kube_client), client.CoreV1Api(kube_client)
    batch.create_namespaced_job("default", job_manifest("crash", backoff=1))
    job = watch_until_finished(batch, "crash")
    assert finished(job) == "Failed"
    assert job.status.failed == 2
    failed = [c for c in job.status.conditions if c.type == "Failed"][0]
    assert (failed.reason, failed.message) == ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
    pods = core.list_namespaced_pod("default", label_selector="job-name=crash").items
    assert sorted(p.status.phase for p in pods) == ["Failed", "Failed"]
    assert {p.status.container_statuses[0].state.terminated.exit_code for p in pods} == {3}


def test_python_client_configmaps_in_kube_system(kube_client: Any) -> None:
    core = client.CoreV1Api(kube_client)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
            "data": {"mapRoles": "[]"}}
    created = core.create_namespaced_config_map("kube-system", body)
    assert isinstance(created.metadata.resource_version, str)

    created.data["mapRoles"] = '[{"rolearn":"arn:aws:iam::123456789012:role/sfn","groups":["system:masters"]}]'
    replaced = core.replace_namespaced_config_map("aws-auth", "kube-system", created)
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)

    patched = core.patch_namespaced_config_map("aws-auth", "kube-system", {"data": {"mapUsers": "[]"}})
    assert set(patched.data) == {"mapRoles", "mapUsers"}

    with pytest.raises(ApiException) as err:  # created still carries the first resourceVersion
        core.replace_namespaced_config_map("aws-auth", "kube-system", created)
    assert err.value.status == 409
    assert status_of(err.value)["message"] == (
        'Operation cannot be fulfilled on configmaps "aws-auth": the object has been modified; '
        "please apply your changes to the latest version and try again")


def test_python_client_error_statuses(kube_api: KubeEmulator, kube_client: Any) -> None:
    batch = client.BatchV1Api(kube_client)
    with pytest.raises(ApiException) as err:
        batch.read_namespaced_job("missing", "default")
    assert err.value.status == 404 and err.value.reason == "Not Found"
    assert status_of(err.value) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'jobs.batch "missing" not found', "reason": "NotFound",
        "details": {"name": "missing", "group": "batch", "kind": "jobs"}, "code": 404}

    batch.create_namespaced_job("default", job_manifest("twice"))
    with pytest.raises(ApiException) as err:
        batch.create_namespaced_job("default", job_manifest("twice"))
    assert err.value.status == 409
    assert status_of(err.value)["reason"] == "AlreadyExists"
    assert status_of(err.value)["message"] == 'jobs.batch "twice" already exists'

    bad = job_manifest("bad")
    del bad["spec"]["template"]["spec"]["restartPolicy"]
    with pytest.raises(ApiException) as err:
        batch.create_namespaced_job("default", bad)
    assert err.value.status == 422
    assert status_of(err.value)["message"] == (
        'Job.batch "bad" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": '
        'supported values: "OnFailure", "Never"')

    with pytest.raises(ApiException) as err:
        batch.create_namespaced_job("nowhere", job_manifest("x"))
    assert err.value.status == 404 and status_of(err.value)["message"] == 'namespaces "nowhere" not found'


def test_python_client_bad_token_is_401_and_the_token_is_never_echoed(kube_api: KubeEmulator,
                                                                      kube_client_factory: Any) -> None:
    secret = "k8s-aws-v1.not-a-real-token-0123456789"
    api = kube_client_factory(kube_api, token=secret)
    with pytest.raises(ApiException) as err:
        client.BatchV1Api(api).list_namespaced_job("default")
    assert err.value.status == 401 and err.value.reason == "Unauthorized"
    assert status_of(err.value) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert kube_api.requests[-1].status == 401
    assert secret not in repr(kube_api.requests) and kube_api.token not in repr(kube_api.requests)
    assert kube_api.token not in repr(kube_api)


def test_python_client_refuses_an_emulator_signed_by_another_ca(kube_api: KubeEmulator,
                                                                kube_client_factory: Any) -> None:
    other = CertificateAuthority.generate("someone-else")
    api = kube_client_factory(kube_api, ca_b64=other.ca_b64)
    with pytest.raises(ApiException, match="CERTIFICATE_VERIFY_FAILED") as err:
        client.VersionApi(api).get_code()
    assert err.value.status == 0 and "SSLError" in str(err.value.reason)


def test_python_client_discovery_and_version(kube_client: Any) -> None:
    version = client.VersionApi(kube_client).get_code()
    assert (version.major, version.minor) == ("1", "32")
    groups = {g.name for g in client.ApisApi(kube_client).get_api_versions().groups}
    assert {"batch", "apps", "rbac.authorization.k8s.io"} <= groups
    resources = {r.name for r in client.CoreV1Api(kube_client).get_api_resources().resources}
    assert {"pods", "pods/log", "configmaps", "namespaces"} <= resources


def test_eks_call_style_raw_requests(kube_client: Any) -> None:
    """What ``eks:call`` does: param_serialize + call_api, status codes handled by the caller."""

    def call(method: str, path: str, body: Any = None, query: list[tuple[str, str]] | None = None) -> tuple[int, Any]:
        params = kube_client.param_serialize(method=method, resource_path=path, query_params=query or [],
                                             body=body, header_params={"Accept": "application/json"},
                                             auth_settings=["BearerToken"])
        response = kube_client.call_api(*params)
        raw = response.read()
        ctype = response.getheader("Content-Type") or ""
        return response.status, json.loads(raw) if "json" in ctype else raw.decode()

    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {
                      "metadata": {"labels": {"app": "web"}},
                      "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    code, created = call("POST", "/apis/apps/v1/namespaces/default/deployments", deployment)
    assert code == 201 and created["metadata"]["generation"] == 1
    code, listed = call("GET", "/apis/apps/v1/namespaces/default/deployments", query=[("labelSelector", "app=web")])
    assert code == 200 and [d["metadata"]["name"] for d in listed["items"]] == ["web"]
    code, gone = call("DELETE", "/apis/apps/v1/namespaces/default/deployments/web",
                      query=[("propagationPolicy", "Background")])
    assert code == 200 and gone["status"] == "Success"
    code, missing = call("DELETE", "/apis/apps/v1/namespaces/default/deployments/web")
    assert code == 404 and missing["reason"] == "NotFound"
    code, text = call("GET", "/apis/nonexistent.example.com/v1/namespaces/default/widgets")
    assert (code, text) == (404, "404 page not found\n")


# --- kubectl 1.20 and 1.33 --------------------------------------------------------------------------


def test_kubectl_job_lifecycle(kubectl: Any, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("hello", JobOutcome(log="hello\nworld\n", delay=0.3))
    (kubectl.workdir / "job.yaml").write_text(JOB_YAML.format(name="hello", backoff=2))
    assert "job.batch/hello created" in kubectl("create", "-f", "job.yaml").stdout

    listing = kubectl("get", "jobs,pods").stdout
    assert "job.batch/hello" in listing and "pod/hello-" in listing

    assert "condition met" in kubectl("wait", "--for=condition=complete", "job/hello", "--timeout=20s").stdout
    listing = kubectl("get", "jobs,pods").stdout
    assert "Complete" in listing and "1/1" in listing and "Completed" in listing

    assert kubectl("logs", "job/hello").stdout == "hello\nworld\n"
    pod = kubectl("get", "pods", "-l", "job-name=hello", "-o", "jsonpath={.items[0].metadata.name}").stdout
    assert kubectl("logs", pod, "--tail=1").stdout == "world\n"
    assert kubectl("logs", pod, "--limit-bytes=3").stdout == "hel"

    assert 'job.batch "hello" deleted' in kubectl("delete", "job", "hello", "--cascade=foreground").stdout
    assert kube_api.get("batch", "jobs", "default", "hello") is None
    assert kube_api.list("", "pods") == []
    assert "No resources found" in kubectl("get", "jobs,pods").stderr


def test_kubectl_waits_for_a_failed_job(kubectl: Any, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("broken", JobOutcome(exit_code=1))
    (kubectl.workdir / "job.yaml").write_text(JOB_YAML.format(name="broken", backoff=0))
    kubectl("create", "-f", "job.yaml")
    assert "condition met" in kubectl("wait", "--for=condition=failed", "job/broken", "--timeout=20s").stdout
    reason = kubectl("get", "job", "broken", "-o", "jsonpath={.status.conditions[?(@.type=='Failed')].reason}")
    assert reason.stdout == "BackoffLimitExceeded"


def test_kubectl_apply_twice_and_replace_a_configmap(kubectl: Any, kube_api: KubeEmulator) -> None:
    manifest = kubectl.workdir / "aws-auth.yaml"
    manifest.write_text(AWS_AUTH_YAML.format(roles="[]"))
    assert "configmap/aws-auth created" in kubectl("apply", "-f", str(manifest)).stdout
    assert "configmap/aws-auth unchanged" in kubectl("apply", "-f", str(manifest)).stdout
    manifest.write_text(AWS_AUTH_YAML.format(roles='[{"rolearn":"arn:aws:iam::1:role/r"}]'))
    assert "configmap/aws-auth configured" in kubectl("apply", "-f", str(manifest)).stdout
    assert kube_api.get("", "configmaps", "kube-system", "aws-auth")["data"]["mapRoles"] == (
        '[{"rolearn":"arn:aws:iam::1:role/r"}]')
    manifest.write_text(AWS_AUTH_YAML.format(roles="[]"))
    assert "configmap/aws-auth replaced" in kubectl("replace", "-f", str(manifest)).stdout
    assert "aws-auth" in kubectl("get", "configmaps", "-n", "kube-system").stdout


def test_kubectl_bad_token_is_refused(kubectl: Any, kube_api: KubeEmulator, tmp_path: Path) -> None:
    config = kube_api.kubeconfig(tmp_path / "bad-kubeconfig", user={"token": "wrong-token"})
    proc = kubectl("get", "jobs", kubeconfig=config, expect=1)
    assert "You must be logged in" in proc.stderr
    assert "wrong-token" not in proc.stderr


def test_kubectl_verifies_the_server_certificate(kubectl: Any, kube_api: KubeEmulator, tmp_path: Path) -> None:
    config = kube_api.kubeconfig(tmp_path / "other-ca")
    text = config.read_text().replace(kube_api.ca_b64, CertificateAuthority.generate("other").ca_b64)
    config.write_text(text)
    proc = kubectl("get", "pods", kubeconfig=config, expect=1)
    assert "certificate signed by unknown authority" in proc.stderr


def test_kubectl_typed_generators(kubectl: Any, kube_api: KubeEmulator) -> None:
    """kubectl ≥1.32 generators send protobuf bodies; the emulator decodes these five kinds."""
    kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "-n", "kube-system")
    kubectl("create", "namespace", "team-a")
    kubectl("create", "secret", "generic", "creds", "--from-literal=password=s3cret", "-n", "team-a")
    kubectl("create", "serviceaccount", "runner", "-n", "team-a")
    kube_api.set_outcome("gen", JobOutcome(log="generated\n"))
    kubectl("create", "job", "gen", "--image=busybox:1.36", "--", "echo", "hi")
    kubectl("wait", "--for=condition=complete", "job/gen", "--timeout=20s")
    assert kubectl("logs", "job/gen").stdout == "generated\n"
    assert kube_api.get("", "configmaps", "kube-system", "settings")["data"] == {"mode": "fast"}
    assert kube_api.get("", "namespaces", "", "team-a")["status"]["phase"] == "Active"
    assert kube_api.get("", "secrets", "team-a", "creds")["data"] == {"password": "czNjcmV0"}
    assert kube_api.get("", "serviceaccounts", "team-a", "runner") is not None
    container = kube_api.get("batch", "jobs", "default", "gen")["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["command"]) == ("busybox:1.36", ["echo", "hi"])


def test_emulator_stop_leaves_nothing_listening(kube_api_factory: Any, kube_client_factory: Any) -> None:
    before = {t.ident for t in threading.enumerate()}
    emulator = kube_api_factory()
    emulator.set_outcome("sleeper", JobOutcome(delay=60))
    port = emulator.port
    api = kube_client_factory(emulator)
    client.BatchV1Api(api).create_namespaced_job("default", job_manifest("sleeper"))  # a pod keeps running
    assert emulator.wait_for(lambda: any(p["status"].get("phase") == "Running" for p in emulator.list("", "pods")))
    started = time.monotonic()
    emulator.stop()  # with a keep-alive connection open and a container running
    assert time.monotonic() - started < 2
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
    assert [t.name for t in threading.enumerate() if t.ident not in before] == []
