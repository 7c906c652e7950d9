"""Every machine in samples/eks/ runs alone, with the default backend and no options, and shows its point.

The default backend is the embedded local EKS and the default Job executor simulates containers, so
nothing really runs; each test checks what the sample is about, from its own definition and input file.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import aslrun
from aslrun.integrations.eks.backends.local import LocalBackend

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "eks"
#: every sample definition in samples/eks/, each with a test below
EKS_SAMPLES = [
    "add-aws-auth.json",
    "cluster-lifecycle.json",
    "delete-job.json",
    "list-job-pods.json",
    "manage-eks-cluster.json",
    "pipeline.json",
    "run-and-delete-job.json",
    "run-and-list-pods.json",
    "run-job.json",
]
#: the container args of the AWS documentation's runJob.sync example, as it writes them
PI_2000_ARGS = ["-Mbignum=bpi", "-wle", "print bpi(2000)"]



def definition(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def sample_input(name: str) -> Any:
    return json.loads((SAMPLES / name.replace(".json", ".input.json")).read_text(encoding="utf-8"))


def run(name: str, **settings: Any) -> aslrun.ExecutionResult:
    """Run a sample on its own input file with default settings; it must succeed."""
    result = aslrun.run(SAMPLES / name, sample_input(name), **settings)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result


def exited(result: aslrun.ExecutionResult) -> dict[str, Any]:
    """State name -> the output it left with (the last time it exited)."""
    outputs = {}
    for event in result.history_values():
        details = event.get("stateExitedEventDetails")
        if details is not None:
            outputs[details["name"]] = details.get("output")
    return outputs


def task_outputs(result: aslrun.ExecutionResult, resource: str) -> list[Any]:
    """The raw results of the tasks on ``resource`` (e.g. ``"call"``), before ResultSelector."""
    return [
        event["taskSucceededEventDetails"]["output"]
        for event in result.history_values()
        if event["type"] == "TaskSucceeded" and event["taskSucceededEventDetails"]["resource"] == resource
    ]


def job_condition(job: dict[str, Any]) -> str:
    return next(c["type"] for c in job["status"]["conditions"] if c["type"] in ("Complete", "Failed"))


# ---------------------------------------------------------------- every sample


def test_samples_eks_holds_exactly_these_samples_each_with_an_input_file() -> None:
    found = sorted(p.name for p in SAMPLES.glob("*.json") if not p.name.endswith(".input.json"))
    assert found == EKS_SAMPLES
    assert all((SAMPLES / name.replace(".json", ".input.json")).is_file() for name in EKS_SAMPLES)
    assert {name: aslrun.validate(SAMPLES / name) for name in EKS_SAMPLES} == {name: [] for name in EKS_SAMPLES}


@pytest.mark.parametrize("name", EKS_SAMPLES)
def test_sample_runs_alone_with_the_default_backend(name: str) -> None:
    result = run(name)
    tasks = [e for e in result.history_values() if e["type"] == "TaskScheduled"]
    assert tasks and all(e["taskScheduledEventDetails"]["resourceType"] == "eks" for e in tasks)


# ---------------------------------------------------------------- the AWS documentation's examples


def test_run_job_runs_the_documented_pi_job_to_completion_and_returns_its_logs() -> None:
    job = definition("run-job.json")["States"]["Run a job on EKS"]["Parameters"]["Job"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert (container["name"], container["image"], container["command"], container["args"]) == (
        "pi-2000", "perl", ["perl"], PI_2000_ARGS
    )
    out = run("run-job.json").output
    assert out["kind"] == "Job"
    assert out["metadata"]["name"] == "example-job"
    assert job_condition(out) == "Complete"
    assert out["status"]["succeeded"] == 1
    [pod] = out["logs"]["pods"].values()
    assert list(pod["containers"]) == ["pi-2000"]
    assert "print bpi(2000)" in pod["containers"]["pi-2000"]["log"]  # simulated: the log names the command


@pytest.mark.skipif(shutil.which("perl") is None and not os.environ.get("CI"), reason="needs perl on PATH")
def test_run_job_with_real_processes_prints_pi() -> None:
    # bpi(2000) needs Math::BigInt >= 1.999838 (Debian 12: libmath-bigint-perl; .ci/run installs it).
    out = run("run-job.json", options={"eks.jobs": "process"}).output
    [pod] = out["logs"]["pods"].values()
    # RetrieveLogs parses a log that is JSON: 2000 digits of pi become a number
    assert pod["containers"]["pi-2000"]["log"] == pytest.approx(math.pi)


def test_list_job_pods_alone_lists_no_pods_in_a_new_cluster() -> None:
    # Each execution starts from no clusters, even in one interpreter after a run that made the Job.
    interpreter = aslrun.Interpreter()
    assert interpreter.run(SAMPLES / "run-and-list-pods.json", sample_input("run-and-list-pods.json")).succeeded
    result = interpreter.run(SAMPLES / "list-job-pods.json", sample_input("list-job-pods.json"))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["StatusCode"] == 200
    assert result.output["StatusText"] == "OK"
    assert result.output["ResponseBody"]["kind"] == "PodList"
    assert result.output["ResponseBody"]["items"] == []


def test_run_and_list_pods_lists_the_pod_of_the_job_it_ran() -> None:
    out = run("run-and-list-pods.json").output
    assert out["StatusCode"] == 200
    [pod] = out["ResponseBody"]["items"]
    assert pod["metadata"]["labels"]["job-name"] == "example-job"
    assert pod["metadata"]["ownerReferences"][0]["name"] == "example-job"
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["spec"]["containers"][0]["args"] == ["-Mbignum=bpi", "-wle", "print bpi(20)"]


def test_delete_job_starts_example_job_then_deletes_it() -> None:
    result = run("delete-job.json")
    started = result.output["StartedJob"]
    assert started["name"] == "example-job"
    # eks:runJob without .sync returns once the Job exists: no wait, no TaskSubmitted
    assert not any(e["type"] == "TaskSubmitted" for e in result.history_values())
    [deleted] = task_outputs(result, "call")
    assert deleted["StatusCode"] == 200
    assert deleted["ResponseBody"]["metadata"]["uid"] == started["uid"]
    assert result.output["DeleteJobResult"] == {"status": deleted["ResponseBody"]["status"]}


def test_delete_job_on_a_cluster_that_has_example_job_deletes_that_job() -> None:
    # As the AWS sample project uses it: the Job exists (here from run-job.json, on a backend kept open).
    cluster = sample_input("delete-job.json")
    with LocalBackend({}) as backend:
        interpreter = aslrun.Interpreter(options={"eks.backend": backend})
        ran = interpreter.run(SAMPLES / "run-job.json", cluster)
        assert ran.succeeded, (ran.error, ran.cause)
        result = interpreter.run(SAMPLES / "delete-job.json", cluster)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["StartedJob"]["Error"] == "EKS.409"  # caught: the Job was already there
    [deleted] = task_outputs(result, "call")
    assert deleted["ResponseBody"]["metadata"]["uid"] == ran.output["metadata"]["uid"]
    assert result.output["DeleteJobResult"]["status"]["succeeded"] == 1


def test_run_and_delete_job_deletes_the_completed_job_in_the_foreground() -> None:
    delete = definition("run-and-delete-job.json")["States"]["Delete job"]["Parameters"]
    assert delete["QueryParameters"] == {"propagationPolicy": ["Foreground"]}
    result = run("run-and-delete-job.json")
    [deleted] = task_outputs(result, "call")
    assert deleted["StatusCode"] == 200
    assert deleted["ResponseBody"]["metadata"]["name"] == "example-job"
    status = result.output["DeleteJobResult"]["status"]
    assert status["succeeded"] == 1  # runJob.sync waited for the Job before it was deleted
    assert job_condition({"status": status}) == "Complete"


def test_add_aws_auth_creates_the_configmap_it_sends() -> None:
    body = definition("add-aws-auth.json")["States"]["Add authorized user"]["Parameters"]["RequestBody"]
    out = run("add-aws-auth.json").output
    assert (out["StatusCode"], out["StatusText"]) == (201, "Created")
    created = out["ResponseBody"]
    assert (created["kind"], created["metadata"]["name"], created["metadata"]["namespace"]) == (
        "ConfigMap", "aws-auth", "kube-system"
    )
    assert created["data"] == body["data"]
    assert [u["groups"] for u in json.loads(created["data"]["mapUsers"])] == [["system:masters"]]


def test_cluster_lifecycle_creates_then_deletes_a_cluster_nodegroup_and_fargate_profile() -> None:
    out = run("cluster-lifecycle.json").output
    cluster = out["cluster"]["Cluster"]
    assert (cluster["Name"], cluster["Status"]) == ("MyCluster", "ACTIVE")
    assert cluster["Endpoint"].startswith("https://127.0.0.1:")  # the embedded local EKS
    assert (out["nodegroup"]["Nodegroup"]["NodegroupName"], out["nodegroup"]["Nodegroup"]["Status"]) == (
        "MyNodegroup", "ACTIVE"
    )
    profile = out["fargateProfile"]["FargateProfile"]
    assert (profile["FargateProfileName"], profile["Status"]) == ("MyFargateProfile", "ACTIVE")
    assert profile["Selectors"] == [{"Namespace": "my-namespace", "Labels": {"my-label": "my-value"}}]
    # the delete calls answer DELETING; .sync returned only once each resource was gone
    assert out["deletedFargateProfile"]["FargateProfile"]["Status"] == "DELETING"
    assert out["deletedNodegroup"]["Nodegroup"]["Status"] == "DELETING"
    assert out["deletedCluster"]["Cluster"]["Status"] == "DELETING"


def test_manage_eks_cluster_sees_the_expected_pi_and_cleans_up() -> None:
    result = run("manage-eks-cluster.json")
    outputs = exited(result)
    assert "Send unexpected result" not in outputs
    message = outputs["Send expected result"]["SNSResult"]["Input"]
    assert message.startswith("Saw expected value for pi: 3.14159")
    assert outputs["Delete job"]["DeleteJobResult"]["status"]["succeeded"] == 1
    assert list(outputs)[-3:] == ["Delete job", "Delete node group", "Delete cluster"]
    assert result.output["Cluster"]["Name"] == "ExampleCluster"
    assert result.output["Cluster"]["Status"] == "DELETING"


def test_pipeline_runs_the_job_on_the_cluster_it_created_and_deletes_both() -> None:
    data = sample_input("pipeline.json")
    result = run("pipeline.json")
    out = result.output
    assert out["cluster"]["Cluster"]["Name"] == data["ClusterName"]
    assert out["nodegroup"]["Nodegroup"]["NodegroupName"] == data["NodegroupName"]
    assert out["job"]["status"]["succeeded"] == 1
    [pod] = out["job"]["logs"]["pods"].values()
    assert list(pod["containers"]) == ["pi"]
    assert out["deleted"] == {"status": "DELETING"}
    entered = [e["stateEnteredEventDetails"]["name"] for e in result.history_values()
               if "stateEnteredEventDetails" in e]
    assert entered == ["Create cluster", "Create node group", "Run job", "Delete node group", "Delete cluster"]
    # the Job went to the cluster the execution created, through its Endpoint and CA
    scheduled = [e["taskScheduledEventDetails"] for e in result.history_values() if e["type"] == "TaskScheduled"]
    run_job = next(s for s in scheduled if s["resource"] == "runJob.sync")
    assert run_job["parameters"]["Endpoint"] == out["cluster"]["Cluster"]["Endpoint"]
