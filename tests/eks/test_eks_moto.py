"""The EKS API resources through the aws backend against moto's EKS server over HTTP (boto3, dummy credentials).

``moto_slow`` makes CREATING → ACTIVE and DELETING → gone take several describes, so the .sync loops
really poll; failure statuses come from the same patch.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

import aslrun

pytest_plugins = ["conftest_eks"]

REGION = "us-east-1"
Transitions = Any  # conftest_eks.Transitions


def moto_options(endpoint: str, **extra: Any) -> dict[str, Any]:
    return {"eks.backend": "aws", "eks.endpoint_url": endpoint, "eks.region": REGION, "eks.poll_interval": 0.05,
            "eks.poll_max_interval": 0.2, **extra}

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "eks"
ROLE = "arn:aws:iam::123456789012:role/MyEKSClusterRole"
CLUSTER = {"Name": "MyCluster", "RoleArn": ROLE,
           "ResourcesVpcConfig": {"SubnetIds": ["subnet-053e7c47012341234", "subnet-027cfea4b12341234"]}}
NODEGROUP = {"ClusterName": "MyCluster", "NodegroupName": "MyNodegroup",
             "NodeRole": "arn:aws:iam::123456789012:role/MyNodeInstanceRole", "Subnets": ["subnet-09fb51df01234"]}
PROFILE = {"ClusterName": "MyCluster", "FargateProfileName": "MyFargateProfile",
           "PodExecutionRoleArn": "arn:aws:iam::123456789012:role/MyFargatePodExecutionRole",
           "Selectors": [{"Namespace": "my-namespace", "Labels": {"my-label": "my-value"}}]}


def task(resource: str, parameters: Any, **extra: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": f"arn:aws:states:::eks:{resource}",
                                             "Parameters": parameters, "End": True, **extra}}}


def run(machine: Any, endpoint: str, **settings: Any) -> aslrun.ExecutionResult:
    return aslrun.Interpreter(options=moto_options(endpoint), **settings).run(machine, {})


def eks(endpoint: str) -> Any:
    return boto3.client("eks", endpoint_url=endpoint, region_name=REGION)


def types(result: aslrun.ExecutionResult) -> list[str]:
    return [e["type"] for e in result.history_values()]


def test_create_cluster_request_response_is_the_capitalised_eks_response(moto_eks: str) -> None:
    result = run(task("createCluster", CLUSTER), moto_eks)
    assert result.succeeded, result.cause
    cluster = result.output["Cluster"]
    described = eks(moto_eks).describe_cluster(name="MyCluster")["cluster"]
    assert cluster["Arn"] == described["arn"]
    assert cluster["Endpoint"] == described["endpoint"]
    assert cluster["CertificateAuthority"] == {"Data": described["certificateAuthority"]["data"]}
    assert cluster["ResourcesVpcConfig"]["SubnetIds"] == CLUSTER["ResourcesVpcConfig"]["SubnetIds"]
    assert cluster["CreatedAt"] == int(described["createdAt"].timestamp() * 1000)
    assert result.output["SdkHttpMetadata"]["HttpStatusCode"] == 200
    assert result.output["SdkResponseMetadata"]["RequestId"]
    assert "TaskSubmitted" not in types(result)


def test_create_cluster_sync_polls_through_creating_until_active(slow: Transitions) -> None:
    moto_slow = slow
    moto_slow.ticks = 3
    result = run(task("createCluster.sync", CLUSTER), _endpoint(moto_slow))
    assert result.succeeded, result.cause
    assert result.output["Cluster"]["Status"] == "ACTIVE"
    assert "SdkHttpMetadata" not in result.output
    assert moto_slow.describes.count("cluster/MyCluster") == 3
    submitted = [e for e in result.history_values() if e["type"] == "TaskSubmitted"][0]["taskSubmittedEventDetails"]
    assert submitted["output"]["Cluster"]["Status"] == "CREATING"
    assert types(result)[-5:] == ["TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited",
                                  "ExecutionSucceeded"]


def _endpoint(transitions: Transitions) -> str:
    return transitions.endpoint  # type: ignore[attr-defined, no-any-return]


@pytest.fixture
def slow(moto_slow: Transitions, moto_eks: str) -> Transitions:
    moto_slow.endpoint = moto_eks  # type: ignore[attr-defined]
    return moto_slow


def test_the_lifecycle_sample_creates_and_deletes_all_three_kinds(slow: Transitions) -> None:
    result = run(SAMPLES / "cluster-lifecycle.json", _endpoint(slow))
    assert result.succeeded, result.cause
    out = result.output
    assert (out["cluster"]["Cluster"]["Status"], out["nodegroup"]["Nodegroup"]["Status"],
            out["fargateProfile"]["FargateProfile"]["Status"]) == ("ACTIVE", "ACTIVE", "ACTIVE")
    assert out["fargateProfile"]["FargateProfile"]["Selectors"][0]["Labels"] == {"my-label": "my-value"}
    assert out["nodegroup"]["Nodegroup"]["Subnets"] == ["subnet-09fb51df01234", "subnet-027cfea4b1234"]
    assert (out["deletedFargateProfile"]["FargateProfile"]["Status"], out["deletedNodegroup"]["Nodegroup"]["Status"],
            out["deletedCluster"]["Cluster"]["Status"]) == ("DELETING", "DELETING", "DELETING")
    assert eks(_endpoint(slow)).list_clusters()["clusters"] == []
    for key in ("cluster/MyCluster", "nodegroup/MyCluster/MyNodegroup", "fargateprofile/MyCluster/MyFargateProfile"):
        assert slow.describes.count(key) >= 4  # two to become ACTIVE, two to disappear


def test_a_remote_backend_is_never_polled_faster_than_the_interval_even_on_a_virtual_clock(slow: Transitions) -> None:
    slow.ticks = 4
    started = time.monotonic()
    result = aslrun.Interpreter(clock="virtual", options=moto_options(
        _endpoint(slow), **{"eks.poll_interval": 0.1, "eks.poll_max_interval": 0.1})).run(
        task("createCluster.sync", CLUSTER), {})
    assert result.succeeded
    assert time.monotonic() - started >= 0.3  # three real 0.1 s pauses between four describes


def test_the_real_clock_is_chosen_for_the_aws_backend(moto_eks: str) -> None:
    machine = aslrun.load(task("createCluster.sync", CLUSTER))
    assert not aslrun.Interpreter(options=moto_options(moto_eks)).choose_clock(machine).virtual


@pytest.mark.parametrize(("failure", "status", "machine", "member"), [
    ("cluster/MyCluster", "FAILED", task("createCluster.sync", CLUSTER), "Cluster"),
    ("nodegroup/MyCluster/MyNodegroup", "CREATE_FAILED", task("createNodegroup.sync", NODEGROUP), "Nodegroup"),
    ("fargateprofile/MyCluster/MyFargateProfile", "CREATE_FAILED", task("createFargateProfile.sync", PROFILE),
     "FargateProfile"),
    ("nodegroup/MyCluster/MyNodegroup", "DELETE_FAILED", task("deleteNodegroup.sync", {
        "ClusterName": "MyCluster", "NodegroupName": "MyNodegroup"}), "Nodegroup"),
    ("fargateprofile/MyCluster/MyFargateProfile", "DELETE_FAILED", task("deleteFargateProfile.sync", {
        "ClusterName": "MyCluster", "FargateProfileName": "MyFargateProfile"}), "FargateProfile"),
])
def test_failure_statuses_fail_the_sync_task(slow: Transitions, failure: str, status: str, machine: Any,
                                             member: str) -> None:
    client = eks(_endpoint(slow))
    if not machine["States"]["T"]["Resource"].endswith(("createCluster.sync",)):
        client.create_cluster(name="MyCluster", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s"]})
        while client.describe_cluster(name="MyCluster")["cluster"]["status"] != "ACTIVE":
            pass
    if "delete" in machine["States"]["T"]["Resource"]:
        if member == "Nodegroup":
            client.create_nodegroup(clusterName="MyCluster", nodegroupName="MyNodegroup", nodeRole=ROLE, subnets=["s"])
        else:
            client.create_fargate_profile(clusterName="MyCluster", fargateProfileName="MyFargateProfile",
                                          podExecutionRoleArn=ROLE, selectors=[{"namespace": "n"}])
        slow.ticks = 1
    slow.failures[failure] = status
    result = run(machine, _endpoint(slow))
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    assert json.loads(result.cause)[member]["Status"] == status
    assert types(result)[-3:] == ["TaskSubmitted", "TaskFailed", "ExecutionFailed"]


def test_deleting_a_cluster_with_a_node_group_is_resource_in_use(moto_eks: str) -> None:
    client = eks(moto_eks)
    client.create_cluster(name="MyCluster", roleArn=ROLE, resourcesVpcConfig={"subnetIds": ["s"]})
    client.create_nodegroup(clusterName="MyCluster", nodegroupName="MyNodegroup", nodeRole=ROLE, subnets=["s"])
    machine = {"StartAt": "Delete", "States": {
        "Delete": {"Type": "Task", "Resource": "arn:aws:states:::eks:deleteCluster.sync",
                   "Parameters": {"Name": "MyCluster"},
                   "Catch": [{"ErrorEquals": ["EKS.ResourceInUseException"], "ResultPath": "$.error", "Next": "InUse"}],
                   "End": True},
        "InUse": {"Type": "Pass", "End": True}}}
    result = run(machine, moto_eks)
    assert result.succeeded
    error = result.output["error"]
    assert error["Error"] == "EKS.ResourceInUseException"
    assert error["Cause"].startswith("Cluster has nodegroups attached (Service: AmazonEKS; Status Code: 409; "
                                     "Error Code: ResourceInUseException; Request ID: ")
    assert client.describe_cluster(name="MyCluster")["cluster"]["status"] == "ACTIVE"


@pytest.mark.parametrize(("machine", "error", "message"), [
    (task("deleteCluster.sync", {"Name": "Nope"}), "EKS.ResourceNotFoundException", "No cluster found for name: Nope."),
    (task("createCluster", {**CLUSTER, "RoleArn": "bad"}), "EKS.InvalidParameterException", "Invalid Role Arn: 'bad'"),
    (task("describeNodegroup", NODEGROUP), "States.Runtime", "is not an Amazon EKS integration"),
])
def test_eks_api_errors_keep_their_aws_names(moto_eks: str, machine: Any, error: str, message: str) -> None:
    result = run(machine, moto_eks)
    assert (result.status, result.error) == ("FAILED", error)
    assert message in result.cause


def test_an_unreachable_eks_api_fails_the_task_clearly(aws_env: dict[str, str]) -> None:
    result = run(task("createCluster", CLUSTER), "http://127.0.0.1:9")
    assert result.error == "States.TaskFailed"
    assert result.cause.startswith("the EKS API: could not connect: ")


def test_missing_aws_credentials_say_what_to_do(moto_eks: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    result = run(task("deleteCluster", {"Name": "MyCluster"}), moto_eks)
    assert result.error == "States.Runtime"  # a setup problem: no Retry or Catch waits on it
    assert "no AWS credentials found (Unable to locate credentials)" in result.cause
    assert "--eks-backend local (the default)" in result.cause
