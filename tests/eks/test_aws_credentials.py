"""The ``aws`` EKS backend without usable AWS credentials: one attempt, a States.Runtime error that says the fix.

A credentials problem is a setup error that no retry can fix, so it is the error that neither
``Retry`` nor ``Catch`` handles; a ``Retry`` on ``States.ALL`` (the AWS sample projects have one,
30 s then 60 s) must not make it wait. Nothing here reaches AWS: the environment has no
credentials and every endpoint is a closed port on 127.0.0.1.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import aslrun
from aslrun.integrations.eks.errors import translate
from aslrun.kube import CertificateAuthority

CLOSED_PORT = "http://127.0.0.1:9"
FIX = "or run with --eks-backend local (the default) for the embedded local EKS"


@pytest.fixture
def no_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An environment with no AWS credentials anywhere (env, files, instance metadata)."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")


def retried(resource: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """A Task with the sample projects' Retry on States.ALL and a Catch on States.ALL."""
    return {
        "StartAt": "Task",
        "States": {
            "Task": {
                "Type": "Task", "Resource": f"arn:aws:states:::eks:{resource}", "Parameters": parameters,
                "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30, "MaxAttempts": 2, "BackoffRate": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def run(machine: dict[str, Any]) -> aslrun.ExecutionResult:
    # The virtual clock: were the failure retried, the history would show it without the 90 s wait.
    with aslrun.Interpreter(clock="virtual", options={"eks.backend": "aws", "eks.endpoint_url": CLOSED_PORT}) as interp:
        return interp.run(machine, {})


def events(result: aslrun.ExecutionResult, kind: str) -> list[dict[str, Any]]:
    return [e for e in result.history if e["type"] == kind]


def test_no_credentials_fail_a_control_plane_task_once_with_the_fix(no_credentials: None) -> None:
    result = run(retried("createCluster.sync", {"Name": "c", "RoleArn": "arn:aws:iam::111122223333:role/eks",
                                                "ResourcesVpcConfig": {"SubnetIds": ["subnet-1"]}}))
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert "the EKS API: no AWS credentials found (Unable to locate credentials)" in result.cause
    assert "aws configure, AWS_PROFILE" in result.cause and FIX in result.cause
    assert len(events(result, "TaskScheduled")) == 1 and len(events(result, "TaskFailed")) == 1
    assert not events(result, "PassStateEntered")  # the Catch on States.ALL does not take it either


def test_no_credentials_fail_run_job_sync_once_before_any_connection(no_credentials: None) -> None:
    ca = CertificateAuthority.generate("unused")
    result = run(retried("runJob.sync", {
        "ClusterName": "c", "CertificateAuthority": ca.ca_b64, "Endpoint": "https://127.0.0.1:9",
        "Job": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                "spec": {"template": {"spec": {"restartPolicy": "Never",
                                               "containers": [{"name": "c", "image": "busybox"}]}}}},
    }))
    assert result.error == "States.Runtime"
    assert "(cluster c, EKS token from your AWS credentials): no AWS credentials found" in result.cause
    assert FIX in result.cause and "could not connect" not in result.cause
    assert len(events(result, "TaskScheduled")) == 1


def test_partial_credentials_say_what_is_missing(no_credentials: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    result = run(retried("deleteCluster", {"Name": "c"}))
    assert result.error == "States.Runtime"
    assert "the AWS credentials are incomplete (Partial credentials found in env, missing: " in result.cause
    assert FIX in result.cause and len(events(result, "TaskScheduled")) == 1


@pytest.mark.parametrize("code", ["ExpiredTokenException", "UnrecognizedClientException", "InvalidSignatureException"])
def test_credentials_aws_refuses_are_a_setup_error(code: str) -> None:
    exc = ClientError({"Error": {"Code": code, "Message": "The security token included in the request is expired"},
                       "ResponseMetadata": {"HTTPStatusCode": 403, "RequestId": "r"}}, "CreateCluster")
    err = translate(exc, "the EKS API")
    assert err.error == "States.Runtime"
    assert err.cause == (f"the EKS API: AWS refused the credentials ({code}: The security token included in the "
                         "request is expired). Configure AWS credentials (aws configure, AWS_PROFILE, "
                         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or aws sso login) to reach real EKS with "
                         f"--eks-backend aws, {FIX}.")


def test_other_eks_api_errors_keep_their_names() -> None:
    exc = ClientError({"Error": {"Code": "ResourceInUseException", "Message": "Cluster already exists"},
                       "ResponseMetadata": {"HTTPStatusCode": 409, "RequestId": "r"}}, "CreateCluster")
    assert translate(exc, "the EKS API").error == "EKS.ResourceInUseException"
