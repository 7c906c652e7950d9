"""The eks plugin against the in-package fake backend: every resource, result shapes, errors, waiting, abort.

Fast and offline; the virtual clock makes .sync polling free. Real-protocol tests are in test_eks_moto.py
(EKS API over HTTP) and test_eks_kube.py (Kubernetes API over HTTPS).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import aslrun
from aslrun.integrations.arn import parse_resource
from aslrun.integrations.eks import EksIntegration, FakeBackend, FakeJob
from aslrun.integrations.eks.backends import make_backend

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "eks"
KUBE = {"ClusterName": "MyCluster", "CertificateAuthority": "ANPAJ2UCCR6DPCEXAMPLE",
        "Endpoint": "https://AKIAIOSFODNN7EXAMPLE.yl4.us-east-1.eks.amazonaws.com"}
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "example-job"},
       "spec": {"backoffLimit": 0, "template": {"metadata": {"name": "example-job"}, "spec": {
           "containers": [{"name": "main", "image": "busybox", "command": ["echo", "hi"]}],
           "restartPolicy": "Never"}}}}


def task(resource: str, parameters: Any, **extra: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": f"arn:aws:states:::eks:{resource}",
                                             "Parameters": parameters, "End": True, **extra}}}


def run(machine: Any, backend: FakeBackend, data: Any = None, **options: Any) -> aslrun.ExecutionResult:
    progress: list[str] = []
    result = aslrun.Interpreter(options={"eks.backend": backend, **options}).run(
        machine, data or {}, listeners=[lambda ex, ev: progress.append(ev.details["message"])
                                        if ev.type == "Progress" else None])
    result.progress = progress  # type: ignore[attr-defined]
    return result


def events(result: aslrun.ExecutionResult, kind: str) -> list[dict[str, Any]]:
    return [e for e in result.history_values() if e["type"] == kind]


# ---------------------------------------------------------------- registration


def test_the_plugin_comes_from_the_entry_point_like_a_third_party_one() -> None:
    found = aslrun.Interpreter().integrations.resolve("arn:aws:states:::eks:runJob.sync")
    assert isinstance(found, EksIntegration)
    # the EKS SDK calls are the AWS service integration's, not the EKS plugin's
    sdk = aslrun.Interpreter().integrations.resolve("arn:aws:states:::aws-sdk:eks:describeCluster")
    assert sdk is not None and not isinstance(sdk, EksIntegration) and sdk.name == "aws"


@pytest.mark.parametrize("resource", [
    "runJob", "runJob.sync", "call", "createCluster", "createCluster.sync", "deleteCluster", "deleteCluster.sync",
    "createNodegroup", "createNodegroup.sync", "deleteNodegroup", "deleteNodegroup.sync", "createFargateProfile",
    "createFargateProfile.sync", "deleteFargateProfile", "deleteFargateProfile.sync"])
def test_it_handles_every_eks_resource(resource: str) -> None:
    assert EksIntegration().handles(parse_resource(f"arn:aws:states:::eks:{resource}"))


@pytest.mark.parametrize(("resource", "message"), [
    ("call.sync", "eks:call has no '.sync' pattern"),
    ("runJob.waitForTaskToken", "eks:runJob has no '.waitForTaskToken' pattern"),
    ("describeCluster", "eks:describeCluster is not an Amazon EKS integration"),
])
def test_unsupported_eks_resources_fail_clearly(resource: str, message: str) -> None:
    result = run(task(resource, KUBE), FakeBackend())
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert message in result.cause


def test_the_clock_is_virtual_for_in_process_backends_and_real_for_remote_ones() -> None:
    machine = aslrun.load(task("call", {**KUBE, "Method": "GET", "Path": "/api"}))
    assert aslrun.Interpreter(options={"eks.backend": "fake"}).choose_clock(machine).virtual
    assert aslrun.Interpreter(options={"eks.backend": FakeBackend()}).choose_clock(machine).virtual
    assert aslrun.Interpreter(options={"eks.backend": "local"}).choose_clock(machine).virtual
    assert not aslrun.Interpreter(options={"eks.backend": "aws"}).choose_clock(machine).virtual
    assert not aslrun.Interpreter(options={"eks.backend": "kubeconfig"}).choose_clock(machine).virtual
    assert aslrun.Interpreter().choose_clock(machine).virtual  # local is the default
    # Job containers that really run take real time: the real clock then
    assert not aslrun.Interpreter(options={"eks.jobs": "process"}).choose_clock(machine).virtual
    from aslrun.integrations.eks.backends.local import LocalBackend

    with LocalBackend({"eks.jobs": "process"}) as own, LocalBackend({}) as simulated:
        assert not aslrun.Interpreter(options={"eks.backend": own}).choose_clock(machine).virtual
        assert aslrun.Interpreter(options={"eks.backend": simulated}).choose_clock(machine).virtual


def test_an_unknown_backend_name_is_a_clear_failure() -> None:
    with pytest.raises(ValueError, match="unknown EKS backend 'nope': use one of aws, fake, kubeconfig, local"):
        make_backend("nope", {})
    result = aslrun.Interpreter(options={"eks.backend": "nope"}, clock="virtual").run(task("runJob", {**KUBE, "Job": JOB}))
    assert result.error == "States.Runtime"
    assert "eks.backend must be local, aws, kubeconfig, fake or a backend object, not 'nope'" in result.cause


# ---------------------------------------------------------------- eks:call


def test_call_returns_body_status_code_and_text() -> None:
    backend = FakeBackend()
    run(task("runJob", {**KUBE, "Job": JOB}), backend)
    result = run(json.loads((SAMPLES / "list-job-pods.json").read_text()), backend,
                 json.loads((SAMPLES / "list-job-pods.input.json").read_text()))
    assert result.succeeded, result.cause
    assert set(result.output) == {"ResponseBody", "StatusCode", "StatusText"}
    assert (result.output["StatusCode"], result.output["StatusText"]) == (200, "OK")
    pods = result.output["ResponseBody"]["items"]
    assert [p["metadata"]["labels"]["job-name"] for p in pods] == ["example-job"]
    assert backend.paths("GET")[-1] == "/api/v1/namespaces/default/pods?labelSelector=job-name=example-job"


def test_call_aws_auth_configmap_from_the_documentation() -> None:
    backend = FakeBackend()
    machine = json.loads((SAMPLES / "add-aws-auth.json").read_text())
    result = run(machine, backend, json.loads((SAMPLES / "add-aws-auth.input.json").read_text()))
    assert result.succeeded, result.cause
    assert (result.output["StatusCode"], result.output["StatusText"]) == (201, "Created")
    stored = backend.kube("MyCluster").objects["/api/v1/namespaces/kube-system/configmaps"]["aws-auth"]
    assert json.loads(stored["data"]["mapRoles"])[0]["rolearn"] == "arn:aws:iam::123456789012:role/my-role"
    again = run(machine, backend, json.loads((SAMPLES / "add-aws-auth.input.json").read_text()))
    assert again.error == "EKS.409"
    assert json.loads(again.cause)["ResponseBody"]["reason"] == "AlreadyExists"


def test_call_request_body_may_be_a_json_string_and_patch_is_a_merge_patch() -> None:
    backend = FakeBackend()
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}})
    assert run(task("call", {**KUBE, "Method": "POST", "Path": "/api/v1/namespaces/default/configmaps",
                             "RequestBody": body}), backend).succeeded
    patched = run(task("call", {**KUBE, "Method": "PATCH", "Path": "/api/v1/namespaces/default/configmaps/c",
                                "RequestBody": {"data": {"b": "2"}}}), backend)
    assert patched.output["ResponseBody"]["data"] == {"a": "1", "b": "2"}
    head = run(task("call", {**KUBE, "Method": "HEAD", "Path": "/api/v1/namespaces/default/configmaps/c"}), backend)
    assert head.output == {"ResponseBody": "", "StatusCode": 200, "StatusText": "OK"}


def test_call_query_parameters_repeat_for_each_value() -> None:
    backend = FakeBackend()
    run(task("call", {**KUBE, "Method": "GET", "Path": "/api/v1/namespaces/default/pods",
                      "QueryParameters": {"labelSelector": ["a=b"], "x": ["1", "2"]}}), backend)
    assert backend.requests[-1][3] == [("labelSelector", "a=b"), ("x", "1"), ("x", "2")]


def test_kubernetes_http_failures_are_eks_status_errors_with_the_documented_cause() -> None:
    result = run(task("call", {**KUBE, "Method": "GET", "Path": "/api/v1/namespaces/default/pods"}),
                 FakeBackend(unauthorized=["MyCluster"]))
    assert result.error == "EKS.401"
    assert json.loads(result.cause) == {
        "ResponseBody": {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                         "message": "Unauthorized", "reason": "Unauthorized", "code": 401},
        "StatusCode": 401, "StatusText": "Unauthorized"}


def test_eks_errors_are_catchable_and_retriable() -> None:
    backend = FakeBackend()
    machine = {"StartAt": "Delete", "States": {
        "Delete": {"Type": "Task", "Resource": "arn:aws:states:::eks:call",
                   "Parameters": {**KUBE, "Method": "DELETE", "Path": "/apis/batch/v1/namespaces/default/jobs/gone"},
                   "Retry": [{"ErrorEquals": ["EKS.500"]}],
                   "Catch": [{"ErrorEquals": ["EKS.404"], "ResultPath": "$.error", "Next": "Gone"}], "End": True},
        "Gone": {"Type": "Pass", "End": True}}}
    result = run(machine, backend)
    assert result.succeeded
    assert result.output["error"]["Error"] == "EKS.404"
    assert json.loads(result.output["error"]["Cause"])["ResponseBody"]["reason"] == "NotFound"
    caught_all = run({**machine, "States": {**machine["States"], "Delete": {
        **machine["States"]["Delete"], "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Gone"}]}}}, backend)
    assert caught_all.succeeded  # States.TaskFailed matches EKS.* errors


# ---------------------------------------------------------------- eks:runJob


def test_run_job_returns_the_created_job() -> None:
    backend = FakeBackend()
    result = run(task("runJob", {**KUBE, "Job": JOB}), backend)
    assert result.succeeded
    job = result.output
    assert job["kind"] == "Job" and job["metadata"]["name"] == "example-job"
    assert job["metadata"]["uid"] and job["metadata"]["namespace"] == "default"
    assert "conditions" not in job["status"]
    assert backend.paths("POST") == ["/apis/batch/v1/namespaces/default/jobs"]
    assert not events(result, "TaskSubmitted")


def test_run_job_takes_the_job_as_a_string_and_a_namespace() -> None:
    backend = FakeBackend()
    result = run(task("runJob", {**KUBE, "Namespace": "batch", "Job": json.dumps(JOB)}), backend)
    assert result.output["metadata"]["namespace"] == "batch"
    yaml_job = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: from-yaml\nspec:\n  template:\n    spec:\n" \
               "      containers: [{name: c, image: busybox}]\n"
    assert run(task("runJob", {**KUBE, "Job": yaml_job}), backend).output["metadata"]["name"] == "from-yaml"


def test_run_job_sync_waits_for_complete_and_returns_the_final_job() -> None:
    backend = FakeBackend(jobs={"example-job": FakeJob(polls=4)})
    result = run(task("runJob.sync", {**KUBE, "Job": JOB}), backend)
    assert result.succeeded, result.cause
    job = result.output
    assert [c["type"] for c in job["status"]["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert "logs" not in job
    assert backend.paths("GET").count("/apis/batch/v1/namespaces/default/jobs/example-job") == 4
    types = [e["type"] for e in result.history_values()]
    assert types[types.index("TaskStarted"):types.index("TaskSucceeded") + 1] == [
        "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = events(result, "TaskSubmitted")[0]["taskSubmittedEventDetails"]
    assert (submitted["resourceType"], submitted["resource"]) == ("eks", "runJob.sync")
    assert submitted["output"]["metadata"]["name"] == "example-job" and "conditions" not in submitted["output"]["status"]
    assert result.progress[-1] == "T: Job default/example-job Complete"  # type: ignore[attr-defined]


def test_polling_backs_off_on_the_execution_clock() -> None:
    backend = FakeBackend(jobs={"*": FakeJob(polls=6)})
    result = run(task("runJob.sync", {**KUBE, "Job": JOB}), backend, **{"eks.poll_interval": 10,
                                                                        "eks.poll_backoff": 2, "eks.poll_max_interval": 60})
    stamps = {e.type: e.timestamp for e in result.events}
    # six reads of the Job, each after a wait: 10 + 20 + 40 + 60 + 60 + 60 seconds of virtual time
    assert 250 <= stamps["TaskSucceeded"] - stamps["TaskStarted"] < 260


def test_run_job_sync_logs_parsed_raw_and_with_log_parameters() -> None:
    logs = {"main": '{ "pi": 3.14159265358979323846 }\n'}
    backend = FakeBackend(jobs={"example-job": FakeJob(logs=logs)})
    parsed = run(task("runJob.sync", {**KUBE, "Job": JOB, "LogOptions": {"RetrieveLogs": True}}), backend)
    pods = parsed.output["logs"]["pods"]
    (pod, entry), = pods.items()
    assert pod.startswith("example-job-")
    assert entry == {"containers": {"main": {"log": {"pi": 3.141592653589793}}}}
    run(task("call", {**KUBE, "Method": "DELETE", "Path": "/apis/batch/v1/namespaces/default/jobs/example-job"}), backend)
    raw = run(task("runJob.sync", {**KUBE, "Job": JOB, "LogOptions": {
        "RetrieveLogs": True, "RawLogs": True, "LogParameters": {"tailLines": ["6"], "limitBytes": ["12"]}}}), backend)
    assert list(raw.output["logs"]["pods"].values())[0]["containers"]["main"]["log"] == '{ "pi": 3.14'
    assert backend.requests[-1][3] == [("container", "main"), ("tailLines", "6"), ("limitBytes", "12")]


def test_a_log_that_cannot_be_read_has_error_and_cause_instead() -> None:
    job = json.loads(json.dumps(JOB))
    job["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": "busybox"})
    backend = FakeBackend(jobs={"*": FakeJob(logs={"main": "plain text"}, log_errors={"side": 404})})
    result = run(task("runJob.sync", {**KUBE, "Job": job, "LogOptions": {"RetrieveLogs": True}}), backend)
    containers = list(result.output["logs"]["pods"].values())[0]["containers"]
    assert containers["main"] == {"log": "plain text"}
    assert containers["side"]["error"] == "EKS.404"
    assert json.loads(containers["side"]["cause"])["StatusCode"] == 404


def test_a_failed_job_fails_the_task_naming_the_job_and_its_condition() -> None:
    backend = FakeBackend(jobs={"*": FakeJob(succeed=False, logs={"main": "boom"})})
    result = run(task("runJob.sync", {**KUBE, "Job": JOB, "LogOptions": {"RetrieveLogs": True}}), backend)
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    cause = json.loads(result.cause)
    assert cause["metadata"]["name"] == "example-job"
    failed = [c for c in cause["status"]["conditions"] if c["type"] == "Failed"][0]
    assert (failed["status"], failed["reason"]) == ("True", "BackoffLimitExceeded")
    assert list(cause["logs"]["pods"].values())[0]["containers"]["main"]["log"] == "boom"
    types = [e["type"] for e in result.history_values()]
    assert types[types.index("TaskStarted"):types.index("TaskFailed") + 1] == ["TaskStarted", "TaskSubmitted", "TaskFailed"]
    custom = run(task("runJob.sync", {**KUBE, "Job": {**JOB, "metadata": {"name": "other"}}}), backend,
                 **{"eks.job_failed_error": "EKS.JobFailed"})
    assert custom.error == "EKS.JobFailed"


def test_rerunning_a_job_with_the_same_name_is_eks_409() -> None:
    backend = FakeBackend()
    assert run(task("runJob.sync", {**KUBE, "Job": JOB}), backend).succeeded
    again = run(task("runJob.sync", {**KUBE, "Job": JOB}), backend)
    assert again.error == "EKS.409"
    assert json.loads(again.cause)["ResponseBody"]["reason"] == "AlreadyExists"


def test_a_task_timeout_deletes_the_job_it_created_and_says_so() -> None:
    backend = FakeBackend(jobs={"*": FakeJob(polls=1000)})
    result = run(task("runJob.sync", {**KUBE, "Job": JOB}, TimeoutSeconds=60), backend)
    assert result.error == "States.Timeout"
    assert ("MyCluster", "DELETE", "/apis/batch/v1/namespaces/default/jobs/example-job",
            [("propagationPolicy", "Foreground")]) in backend.requests
    assert not backend.kube("MyCluster").objects["/apis/batch/v1/namespaces/default/jobs"]
    assert not backend.kube("MyCluster").objects["/api/v1/namespaces/default/pods"]
    assert result.progress[-2:] == [  # type: ignore[attr-defined]
        "T: stopped; deleting Job default/example-job (propagationPolicy Foreground)",
        "T: deleted Job default/example-job and its pods (propagationPolicy Foreground)"]


def test_stopping_the_execution_deletes_the_job_it_created() -> None:
    backend = FakeBackend(jobs={"*": FakeJob(polls=10**9)})
    interp = aslrun.Interpreter(options={"eks.backend": backend}, clock="virtual")
    execution = interp.start(task("runJob.sync", {**KUBE, "Job": JOB}), {})
    original = backend.kube("MyCluster").request

    def request(*args: Any, **kwargs: Any) -> Any:
        if args[0] == "GET":
            execution.abort()
        return original(*args, **kwargs)

    backend.kube("MyCluster").request = request  # type: ignore[method-assign]
    assert execution.run().status == "ABORTED"
    assert any(r[1] == "DELETE" for r in backend.requests)


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(("resource", "parameters", "reason"), [
    ("runJob", {k: v for k, v in KUBE.items() if k != "Endpoint"} | {"Job": JOB}, "The field 'Endpoint' is required"),
    ("runJob", {**KUBE}, "The field 'Job' is required"),
    ("runJob", {**KUBE, "Job": 3}, "The value of the field 'Job' must be a Job manifest (JSON object or string), not a number"),
    ("runJob", {**KUBE, "Job": {"apiVersion": "v1", "kind": "Pod"}}, "must be a batch/v1 Job; use eks:call"),
    ("runJob", {**KUBE, "Job": JOB, "Namespace": 1}, "The value of the field 'Namespace' must be a string, not a number"),
    ("runJob.sync", {**KUBE, "Job": JOB, "LogOptions": {"RetrieveLogs": "yes"}},
     "The value of the field 'LogOptions.RetrieveLogs' must be a boolean, not a string"),
    ("runJob.sync", {**KUBE, "Job": JOB, "LogOptions": {"LogParameters": {"tailLines": "6"}}},
     "The value of the field 'LogOptions.LogParameters.tailLines' must be a list of strings"),
    ("runJob", {**KUBE, "Job": JOB, "Jobs": 1}, "The field 'Jobs' is not supported by Step Functions"),
    ("call", {**KUBE, "Method": "FETCH", "Path": "/api"}, "The value of the field 'Method' must be one of GET, POST"),
    ("call", {**KUBE, "Method": "GET", "Path": "api"}, "The value of the field 'Path' must start with '/'"),
    ("call", {**KUBE, "Method": "GET", "Path": "/api", "QueryParameters": {"a": [1]}},
     "The value of the field 'QueryParameters.a' must be a list of strings"),
    ("createCluster", {"Name": "c", "ResourcesVpcConfig": {"SubnetIds": ["s"]}}, "The field 'RoleArn' is required"),
    ("createCluster", {"Name": "c", "RoleArn": "arn:r", "ResourcesVpcConfig": {"SubnetIds": "s"}},
     "The value of the field 'ResourcesVpcConfig.SubnetIds' must be an array, not a string"),
    ("createCluster", {"Name": "c", "RoleArn": "arn:r", "ResourcesVpcConfig": {}, "Colour": "red"},
     "The field 'Colour' is not supported by Step Functions"),
    ("createNodegroup", {"ClusterName": "c", "NodegroupName": "n", "NodeRole": "arn:r", "Subnets": ["s"],
                         "ScalingConfig": {"MinSize": "1"}},
     "The value of the field 'ScalingConfig.MinSize' must be an integer, not a string"),
    ("deleteFargateProfile", {"ClusterName": "c"}, "The field 'FargateProfileName' is required"),
])
def test_unusable_parameters_fail_the_task_with_aws_wording(resource: str, parameters: Any, reason: str) -> None:
    result = run(task(resource, parameters), FakeBackend())
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "could not be used to start the Task: [" in result.cause
    assert reason in result.cause
    with pytest.raises(aslrun.StatesError, match="could not be used to start the Task") as checked:
        EksIntegration().check(parse_resource(f"arn:aws:states:::eks:{resource}"), parameters)
    assert checked.value.error == "States.Runtime" and reason in (checked.value.cause or "")


def test_unusable_parameters_fail_before_the_task_is_scheduled_as_on_aws() -> None:
    result = run(task("runJob", {**KUBE}), FakeBackend())
    assert [e["type"] for e in result.history_values()] == ["ExecutionStarted", "TaskStateEntered", "ExecutionFailed"]
    assert result.cause == ("An error occurred while executing the state 'T' (entered at the event id #2). The "
                            f"Parameters '{json.dumps(KUBE, separators=(',', ':'))}' could not be used to start the "
                            "Task: [The field 'Job' is required]")


# ---------------------------------------------------------------- EKS API resources


CLUSTER = {"Name": "MyCluster", "RoleArn": "arn:aws:iam::123456789012:role/MyEKSClusterRole",
           "ResourcesVpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]}, "Tags": {"team-Name": "x"}}


def test_create_cluster_request_response_capitalises_and_keeps_map_keys() -> None:
    backend = FakeBackend()
    result = run(task("createCluster", CLUSTER), backend)
    cluster = result.output["Cluster"]
    assert (cluster["Name"], cluster["Status"]) == ("MyCluster", "CREATING")
    assert cluster["ResourcesVpcConfig"]["SubnetIds"] == ["subnet-1", "subnet-2"]
    assert cluster["Tags"] == {"team-Name": "x"}
    assert isinstance(cluster["CreatedAt"], int)
    assert result.output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert result.output["SdkResponseMetadata"]["RequestId"]
    assert backend.control.calls[0] == ("CreateCluster", {
        "name": "MyCluster", "roleArn": "arn:aws:iam::123456789012:role/MyEKSClusterRole",
        "resourcesVpcConfig": {"subnetIds": ["subnet-1", "subnet-2"]}, "tags": {"team-Name": "x"}})


def test_the_cluster_lifecycle_sample_creates_and_deletes_everything() -> None:
    backend = FakeBackend(transitions=3)
    result = run(json.loads((SAMPLES / "cluster-lifecycle.json").read_text()), backend)
    assert result.succeeded, result.cause
    out = result.output
    assert out["cluster"]["Cluster"]["Status"] == "ACTIVE"
    assert out["cluster"]["Cluster"]["CertificateAuthority"]["Data"]
    assert out["nodegroup"]["Nodegroup"]["Status"] == "ACTIVE"
    assert out["fargateProfile"]["FargateProfile"]["Selectors"] == [
        {"Namespace": "my-namespace", "Labels": {"my-label": "my-value"}}]
    assert out["deletedCluster"]["Cluster"]["Status"] == "DELETING"
    assert "SdkHttpMetadata" not in out["cluster"]
    assert backend.control.resources == {}
    assert len(events(result, "TaskSubmitted")) == 6
    submitted = events(result, "TaskSubmitted")[0]["taskSubmittedEventDetails"]["output"]
    assert submitted["Cluster"]["Status"] == "CREATING" and "SdkHttpMetadata" in submitted


@pytest.mark.parametrize(("failure", "resource", "parameters", "member"), [
    ("cluster/MyCluster", "createCluster.sync", CLUSTER, "Cluster"),
])
def test_a_failed_status_fails_the_sync_task(failure: str, resource: str, parameters: Any, member: str) -> None:
    backend = FakeBackend(transitions=2, failures={failure: "FAILED"})
    result = run(task(resource, parameters), backend)
    assert result.error == "States.TaskFailed"
    assert json.loads(result.cause)[member]["Status"] == "FAILED"
    assert [e["type"] for e in result.history_values()][-3:] == ["TaskSubmitted", "TaskFailed", "ExecutionFailed"]


def test_eks_api_errors_keep_their_names() -> None:
    backend = FakeBackend(transitions=0)
    assert run(task("createCluster", CLUSTER), backend).succeeded
    group = {"ClusterName": "MyCluster", "NodegroupName": "ng", "NodeRole": "arn:r", "Subnets": ["s"]}
    assert run(task("createNodegroup", group), backend).succeeded
    busy = run(task("deleteCluster.sync", {"Name": "MyCluster"}), backend)
    assert busy.error == "EKS.ResourceInUseException"
    assert busy.cause.startswith("Cluster has nodegroups attached (Service: AmazonEKS; Status Code: 409; "
                                 "Error Code: ResourceInUseException; Request ID: ")
    assert busy.cause.endswith("; Proxy: null)")
    missing = run(task("deleteCluster", {"Name": "Nope"}), backend)
    assert missing.error == "EKS.ResourceNotFoundException"
    dup = run(task("createCluster", CLUSTER), backend)
    assert dup.error == "EKS.ResourceInUseException"


def test_stopping_a_lifecycle_wait_leaves_the_resource_and_says_so() -> None:
    backend = FakeBackend(transitions=10**6)
    result = run(task("createCluster.sync", CLUSTER, TimeoutSeconds=30), backend)
    assert result.error == "States.Timeout"
    assert backend.control.resources["cluster/MyCluster"]["status"] == "CREATING"
    assert result.progress[-1] == (  # type: ignore[attr-defined]
        "T: cluster MyCluster: stopped waiting; the cluster is left as it is (Step Functions does not delete or "
        "roll back EKS resources when an execution stops)")
