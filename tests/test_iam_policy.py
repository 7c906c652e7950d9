"""``aslrun policy`` and :func:`aslrun.iam.policy_for`: the IAM policy a state machine's role needs.

The EKS templates below are the ones AWS publishes ("IAM policies for Amazon EKS",
https://docs.aws.amazon.com/step-functions/latest/dg/eks-iam.html, region sa-east-1, account 444455556666);
the generator must reproduce each, statement for statement (compared as sets).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from aslrun.cli.main import cli
from aslrun.iam import policy_for
from aslrun.source import read_definition

REGION, ACCOUNT = "sa-east-1", "444455556666"
CLUSTER_ROLE = "arn:aws:iam::444455556666:role/StepFunctionsSample-EKSClusterManag-EKSServiceRole-ANPAJ2UCCR6DPCEXAMPLE"
NODE_ROLE = "arn:aws:iam::444455556666:role/StepFunctionsSample-EKSClusterMan-NodeInstanceRole-ANPAJ2UCCR6DPCEXAMPLE"
TO_EKS = {"StringEquals": {"iam:PassedToService": "eks.amazonaws.com"}}
SAMPLES = Path(__file__).resolve().parent.parent / "samples"

PUBLISHED = {
    "createCluster": [
        {"Effect": "Allow", "Action": ["eks:CreateCluster"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["eks:DescribeCluster", "eks:DeleteCluster"],
         "Resource": "arn:aws:eks:sa-east-1:444455556666:cluster/*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": [CLUSTER_ROLE], "Condition": TO_EKS},
    ],
    "createNodegroup": [
        {"Effect": "Allow", "Action": ["ec2:DescribeSubnets", "eks:CreateNodegroup"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["eks:DescribeNodegroup", "eks:DeleteNodegroup"],
         "Resource": "arn:aws:eks:sa-east-1:444455556666:nodegroup/*"},
        {"Effect": "Allow", "Action": ["iam:GetRole", "iam:ListAttachedRolePolicies"],
         "Resource": "arn:aws:iam::444455556666:role/*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": [NODE_ROLE], "Condition": TO_EKS},
    ],
    "deleteCluster": [
        {"Effect": "Allow", "Action": ["eks:DeleteCluster", "eks:DescribeCluster"],
         "Resource": ["arn:aws:eks:sa-east-1:444455556666:cluster/ExampleCluster"]},
    ],
    "deleteNodegroup": [
        {"Effect": "Allow", "Action": ["eks:DeleteNodegroup", "eks:DescribeNodegroup"],
         "Resource": ["arn:aws:eks:sa-east-1:444455556666:nodegroup/ExampleCluster/ExampleNodegroup/*"]},
    ],
}
PARAMETERS = {
    "createCluster": {"Name": "ExampleCluster", "RoleArn": CLUSTER_ROLE,
                      "ResourcesVpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]}},
    "createNodegroup": {"ClusterName": "ExampleCluster", "NodegroupName": "ExampleNodegroup",
                        "NodeRole": NODE_ROLE, "Subnets": ["subnet-1", "subnet-2"]},
    "deleteCluster": {"Name": "ExampleCluster"},
    "deleteNodegroup": {"ClusterName": "ExampleCluster", "NodegroupName": "ExampleNodegroup"},
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(document: dict[str, Any] | list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    statements = document["Statement"] if isinstance(document, dict) else document
    return {(s["Effect"], frozenset(_as_list(s["Action"])), frozenset(_as_list(s["Resource"])),
             json.dumps(s.get("Condition"), sort_keys=True)) for s in statements}


def _task(resource: str, parameters: Any = None, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Task", "Resource": resource, "End": True, **fields}
    if parameters is not None:
        state["Parameters"] = parameters
    return {"StartAt": "Only", "States": {"Only": state}}


@pytest.mark.parametrize("api", sorted(PUBLISHED))
@pytest.mark.parametrize("sync", ["", ".sync"])
def test_each_published_eks_template_is_reproduced(api: str, sync: str) -> None:
    definition = _task(f"arn:aws:states:::eks:{api}{sync}", PARAMETERS[api])
    policy = policy_for(definition, region=REGION, account=ACCOUNT)
    assert _statements(policy.to_json()) == _statements(PUBLISHED[api])
    assert not policy.inferred
    assert policy.warnings == []


def test_the_eks_cluster_lifecycle_sample_holds_every_published_statement() -> None:
    definition = read_definition(SAMPLES / "eks" / "cluster-lifecycle.json").value
    got = policy_for(definition, region=REGION, account=ACCOUNT).to_json()["Statement"]
    flat = {(a, r) for s in got for a in _as_list(s["Action"]) for r in _as_list(s["Resource"])}
    assert ("eks:CreateCluster", "*") in flat
    assert ("iam:PassRole", "arn:aws:iam::123456789012:role/MyEKSClusterRole") in flat
    assert ("eks:DeleteCluster", "arn:aws:eks:sa-east-1:444455556666:cluster/MyCluster") in flat


def test_fargate_profiles_run_job_and_call_are_marked_inferred() -> None:
    definition = {"StartAt": "F", "States": {
        "F": {"Type": "Task", "Resource": "arn:aws:states:::eks:createFargateProfile.sync", "Next": "R",
              "Parameters": {"ClusterName": "c", "FargateProfileName": "p",
                             "PodExecutionRoleArn": "arn:aws:iam::444455556666:role/pod"}},
        "R": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync", "End": True,
              "Parameters": {"ClusterName": "c", "Namespace": "default", "Job": {}}}}}
    policy = policy_for(definition, region=REGION, account=ACCOUNT)
    assert policy.statements and all(s.inferred for s in policy.statements)
    document = policy.to_json()
    assert all(s["Sid"].startswith("Inferred") for s in document["Statement"])
    assert {"Sid": "Inferred3", "Effect": "Allow", "Action": "iam:PassRole",
            "Resource": "arn:aws:iam::444455556666:role/pod", "Condition": TO_EKS} in document["Statement"]
    assert any("RBAC" in note for note in policy.notes)


def test_lambda_invoke_names_the_function_and_its_qualifiers() -> None:
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "B",
              "Parameters": {"FunctionName": "charge", "Payload.$": "$"}},
        "B": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:222233334444:function:refund", "End": True}}}
    document = policy_for(definition, region="us-east-1", account="111122223333").to_json()
    assert document["Statement"] == [{"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": [
        "arn:aws:lambda:us-east-1:111122223333:function:charge",
        "arn:aws:lambda:us-east-1:111122223333:function:charge:*",
        "arn:aws:lambda:eu-west-1:222233334444:function:refund",
        "arn:aws:lambda:eu-west-1:222233334444:function:refund:*"]}]


def test_start_execution_sync_adds_the_eventbridge_rule() -> None:
    # "IAM policies for AWS Step Functions" (stepfunctions-iam.html), Synchronous
    arn = "arn:aws:states:us-east-1:111122223333:stateMachine:Child"
    definition = _task("arn:aws:states:::states:startExecution.sync:2", {"StateMachineArn": arn, "Input.$": "$"})
    got = policy_for(definition, region="us-east-1", account="111122223333").to_json()
    assert _statements(got) == _statements([
        {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [arn]},
        {"Effect": "Allow", "Action": ["states:DescribeExecution", "states:StopExecution"],
         "Resource": ["arn:aws:states:us-east-1:111122223333:execution:Child:*"]},
        {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
         "Resource": ["arn:aws:events:us-east-1:111122223333:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]},
    ])


def test_distributed_map_starts_its_own_children_and_reads_and_writes_s3() -> None:
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Work", "States": {"Work": {
                              "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
                              "Parameters": {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/111122223333/jobs",
                                             "MessageBody.$": "$"}}}},
        "ItemReader": {"Resource": "arn:aws:states:::s3:listObjectsV2",
                       "Parameters": {"Bucket": "data", "Prefix": "in/"}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "results", "Prefix": "out"}}}}}
    got = policy_for(definition, region="us-east-1", account="111122223333", name="Fleet").to_json()
    assert _statements(got) == _statements([
        {"Effect": "Allow", "Action": "states:StartExecution",
         "Resource": "arn:aws:states:us-east-1:111122223333:stateMachine:Fleet"},
        {"Effect": "Allow", "Action": ["states:DescribeExecution", "states:StopExecution"],
         "Resource": "arn:aws:states:us-east-1:111122223333:execution:Fleet:*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data",
         "Condition": {"StringLike": {"s3:prefix": ["in/*"]}}},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts",
                                       "s3:AbortMultipartUpload"], "Resource": "arn:aws:s3:::results/out/*"},
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:eu-west-1:111122223333:jobs"},
    ])


def test_dynamic_values_get_a_star_and_a_warning_naming_the_state() -> None:
    definition = {"QueryLanguage": "JSONata", "StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "Next": "Publish",
                "Arguments": {"TableName": "{% $states.input.table %}", "Item": {}}},
        "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True,
                    "Arguments": {"TopicArn": "arn:aws:sns:us-east-1:111122223333:orders", "Message": "hi"}}}}
    policy = policy_for(definition)
    assert policy.to_json()["Statement"] == [
        {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"},
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:orders"}]
    assert len(policy.warnings) == 1 and policy.warnings[0].startswith("Put: TableName is dynamic")


def test_nested_branches_aws_sdk_ecs_and_activities() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Sdk", "States": {"Sdk": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                                              "Parameters": {"Bucket": "b"}, "End": True}}},
        {"StartAt": "Ecs", "States": {"Ecs": {"Type": "Task", "Resource": "arn:aws:states:::ecs:runTask.sync",
                                              "Parameters": {"TaskDefinition": "web:3"}, "End": True}}},
        {"StartAt": "Act", "States": {"Act": {"Type": "Task", "End": True,
                                              "Resource": "arn:aws:states:us-east-1:111122223333:activity:approve"}}},
    ]}}}
    policy = policy_for(definition, account="111122223333")
    assert _statements(policy.to_json()) == _statements([
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
        {"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "arn:aws:ecs:us-east-1:111122223333:task-definition/web:3"},
        {"Effect": "Allow", "Action": ["ecs:StopTask", "ecs:DescribeTasks"], "Resource": "*"},
        {"Effect": "Allow", "Action": ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
         "Resource": "arn:aws:events:us-east-1:111122223333:rule/StepFunctionsGetEventsForECSTaskRule"},
    ])
    assert any(w.startswith("Sdk: aws-sdk:s3:listObjectsV2") for w in policy.warnings)
    assert any(n.startswith("Act: activity tasks need no permission") for n in policy.notes)


def _write(tmp_path: Path, definition: dict[str, Any]) -> Path:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(definition), encoding="utf-8")
    return path


def test_cli_prints_json_with_region_account_partition(tmp_path: Path) -> None:
    path = _write(tmp_path, _task("arn:aws:states:::eks:deleteCluster", {"Name": "prod"}))
    result = CliRunner().invoke(cli, ["policy", str(path), "--region", "cn-north-1", "--account", "999988887777",
                                      "--partition", "aws-cn"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["Statement"] == [{"Effect": "Allow",
        "Action": ["eks:DeleteCluster", "eks:DescribeCluster"],
        "Resource": "arn:aws-cn:eks:cn-north-1:999988887777:cluster/prod"}]


def test_cli_yaml_and_warnings_on_stderr(tmp_path: Path) -> None:
    path = _write(tmp_path, _task("arn:aws:states:::lambda:invoke", {"FunctionName.$": "$.fn"}))
    result = CliRunner().invoke(cli, ["policy", str(path), "--format", "yaml"])
    assert result.exit_code == 0
    document = YAML(typ="safe", pure=True).load(result.stdout)
    assert document == {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"}]}
    assert "Only: FunctionName is dynamic" in " ".join(result.stderr.split())


def test_cli_invalid_definition_exits_2(tmp_path: Path) -> None:
    path = _write(tmp_path, {"StartAt": "Nope", "States": {"A": {"Type": "Pass", "End": True}}})
    result = CliRunner().invoke(cli, ["policy", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize(("resource", "parameters", "expected"), [
    ("arn:aws:states:::glue:startJobRun.sync", {"JobName": "etl"},
     [{"Effect": "Allow", "Action": ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
       "Resource": "arn:aws:glue:us-east-1:111122223333:job/etl"}]),
    ("arn:aws:states:::glue:startJobRun", {"JobName": "etl"},
     [{"Effect": "Allow", "Action": "glue:StartJobRun", "Resource": "arn:aws:glue:us-east-1:111122223333:job/etl"}]),
    ("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
     {"QueueUrl": "https://sqs.us-west-2.amazonaws.com/111122223333/approvals", "MessageBody": {"t.$": "$$.Task.Token"}},
     [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-west-2:111122223333:approvals"}]),
    ("arn:aws:states:::dynamodb:getItem", {"TableName": "orders", "Key": {}},
     [{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/orders"}]),
    ("arn:aws:states:::ecs:runTask", {"TaskDefinition.$": "$.td"},
     [{"Effect": "Allow", "Action": "ecs:RunTask", "Resource": "*"}]),
    ("arn:aws:states:::apigateway:invoke", {"ApiEndpoint": "x.execute-api.us-east-1.amazonaws.com", "Method": "GET"},
     [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:execute-api:us-east-1:111122223333:*"}]),
])
def test_optimized_integrations_follow_their_published_templates(resource: str, parameters: Any,
                                                                 expected: list[dict[str, Any]]) -> None:
    policy = policy_for(_task(resource, parameters), account="111122223333")
    assert _statements(policy.to_json()) == _statements(expected)
    assert not policy.inferred


def test_batch_and_cross_account_credentials_are_inferred() -> None:
    definition = _task("arn:aws:states:::batch:submitJob.sync", {"JobName": "n", "JobDefinition": "render",
                                                                 "JobQueue": "gpu"},
                       Credentials={"RoleArn": "arn:aws:iam::222233334444:role/target"})
    policy = policy_for(definition, account="111122223333")
    got = {(frozenset(s.actions), s.inferred) for s in policy.statements}
    assert (frozenset({"batch:SubmitJob"}), True) in got
    assert (frozenset({"sts:AssumeRole"}), True) in got
    assert (frozenset({"events:PutTargets", "events:PutRule", "events:DescribeRule"}), False) in got
    submit = next(s for s in policy.statements if s.actions == ("batch:SubmitJob",))
    assert submit.resources == ("arn:aws:batch:us-east-1:111122223333:job-definition/render:*",
                                "arn:aws:batch:us-east-1:111122223333:job-queue/gpu")


def test_unknown_resources_warn_instead_of_guessing() -> None:
    policy = policy_for(_task("arn:aws:states:::http:invoke", {"ApiEndpoint": "https://example.com", "Method": "GET"}))
    assert policy.statements == []
    assert policy.warnings == ["Only: arn:aws:states:::http:invoke: no policy known for this integration; "
                               "add its permissions by hand"]
