"""AWS service integrations (``aslrun/integrations/aws``): aws-sdk and optimized calls through boto3.

Calls go to moto: in the process (``--aws local``, the default) or a moto server started here on
127.0.0.1 (``--aws http://127.0.0.1:PORT``). Result and error shapes are compared with AWS's recordings
in ``tests/conformance/cases`` where they exist. moto is imported lazily and one server serves the module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aslrun import Interpreter
from aslrun.cli.main import cli
from aslrun.integrations.aws import AwsIntegration
from aslrun.integrations.aws.target import client_for, reset_local

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "conformance" / "cases"
SAMPLE = ROOT / "samples" / "aws"
ACCOUNT = "111111111111"
CHILD = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}}}
FAILING_CHILD = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "SomeFailure",
                                                  "Cause": "This state machines raises a 'SomeFailure' failure."}}}
FAKE_KEY, FAKE_SECRET = "AKIAEXAMPLEDONOTPRINT", "wJalrXUtnFEMIexampleSECRETdoNotPrint0000"


def recorded(suffix: str, state: str) -> Any:
    """The output AWS recorded for ``state`` in the corpus case whose id ends with ``suffix``."""
    (path,) = CASES.glob(f"*{suffix}.json")
    return json.loads(path.read_text())["task_results"][state][0]["output"]


def task(resource: str, parameters: Any, **extra: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "Parameters": parameters,
                                             "End": True, **extra}}}


@pytest.fixture
def interp() -> Iterator[Interpreter]:
    """An interpreter with only the aws integration, on the embedded AWS; its state is forgotten after."""
    machines = {"Child": CHILD, "Failing": FAILING_CHILD}
    with Interpreter(load_plugins=False, options={"aws.machines": machines}) as interpreter:
        interpreter.integrations.add(AwsIntegration(interpreter))
        reset_local(ACCOUNT)
        yield interpreter
    reset_local(ACCOUNT)


@pytest.fixture
def session(interp: Interpreter) -> Any:
    aws = interp.integrations.all()[0]
    return aws.session()


def table(session: Any, name: str = "T") -> None:
    session.client("dynamodb").create_table(
        TableName=name, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def output(interp: Interpreter, definition: dict[str, Any], value: Any = None) -> Any:
    result = interp.run(definition, value or {})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return result.output


def assert_like(actual: Any, expected: Any) -> None:
    """Same keys (recursively, SDK metadata headers aside) as AWS's recording."""
    assert isinstance(actual, dict) and isinstance(expected, dict)
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if key == "SdkHttpMetadata":
            assert actual[key].keys() == value.keys() and actual[key]["HttpStatusCode"] == 200
            assert "x-amzn-RequestId" in actual[key]["HttpHeaders"]
            assert actual[key]["AllHttpHeaders"]["Content-Type"] == [actual[key]["HttpHeaders"]["Content-Type"]]
        elif key == "SdkResponseMetadata":
            assert actual[key]["RequestId"]
        elif isinstance(value, dict) and key not in ("Item", "Attributes"):
            assert_like(actual[key], value)


# ---------------------------------------------------------------- optimized integrations

def test_dynamodb_put_get_update_delete_have_aws_result_shapes(interp: Interpreter, session: Any) -> None:
    table(session)
    key = {"id": {"S": "id1"}}
    put = output(interp, task("arn:aws:states:::dynamodb:putItem", {"TableName": "T", "Item": {
        "id": {"S": "id1"}, "data": {"S": "HelloWorld"}}}))
    assert_like(put, recorded("DYNAMODB_PUT_GET_ITEM-e55322f8", "PutItem"))
    got = output(interp, task("arn:aws:states:::dynamodb:getItem", {"TableName": "T", "Key": key}))
    assert_like(got, recorded("DYNAMODB_PUT_GET_ITEM-e55322f8", "GetItem"))
    assert got["Item"] == {"data": {"S": "HelloWorld"}, "id": {"S": "id1"}}
    updated = output(interp, task("arn:aws:states:::dynamodb:updateItem", {
        "TableName": "T", "Key": key, "UpdateExpression": "SET #d = :d", "ExpressionAttributeNames": {"#d": "data"},
        "ExpressionAttributeValues": {":d": {"S": "Bye"}}, "ReturnValues": "UPDATED_NEW"}))
    assert updated["Attributes"] == {"data": {"S": "Bye"}}
    deleted = output(interp, task("arn:aws:states:::dynamodb:deleteItem", {"TableName": "T", "Key": key}))
    assert deleted.keys() == {"SdkHttpMetadata", "SdkResponseMetadata"}


def test_dynamodb_errors_have_sdk_v1_names_and_causes(interp: Interpreter, session: Any) -> None:
    result = interp.run(task("arn:aws:states:::dynamodb:putItem", {"TableName": "Nope", "Item": {"id": {"S": "1"}}}))
    assert result.error == "DynamoDB.ResourceNotFoundException"
    assert result.cause is not None and result.cause.startswith("Requested resource not found (Service: "
                                                                "AmazonDynamoDBv2; Status Code: 400; Error Code: "
                                                                "ResourceNotFoundException; Request ID: ")
    assert result.cause.endswith("; Proxy: null)")
    table(session)
    condition = {"TableName": "T", "Item": {"id": {"S": "1"}}, "ConditionExpression": "attribute_exists(id)"}
    caught = task("arn:aws:states:::dynamodb:putItem", condition, Catch=[
        {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "Next": "Caught"}])
    caught["States"]["Caught"] = {"Type": "Pass", "End": True}
    assert output(interp, caught)["Error"] == "DynamoDB.ConditionalCheckFailedException"


def test_sqs_send_message_sends_objects_as_json_and_names_md5_as_aws(interp: Interpreter, session: Any) -> None:
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sent = output(interp, task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": {"a": 1}}))
    assert_like(sent, {k: v for k, v in recorded("test_sqs_send_message-2778a935", "SendSQS").items()})
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == '{"a":1}'
    empty = interp.run(task("arn:aws:states:::sqs:sendMessage", {"QueueUrl": url, "MessageBody": None}))
    assert empty.error == "SQS.AmazonSQSException"
    assert empty.cause is not None and empty.cause.startswith(
        "The request must contain the parameter MessageBody. (Service: AmazonSQS; Status Code: 400; "
        "Error Code: MissingParameter; Request ID: ")


def test_sns_publish_result_and_missing_topic(interp: Interpreter, session: Any) -> None:
    topic = session.client("sns").create_topic(Name="t")["TopicArn"]
    published = output(interp, task("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": {"m": 1}}))
    assert_like(published, recorded("test_publish_base_1-667598df", "Publish"))
    missing = interp.run(task("arn:aws:states:::sns:publish", {"TopicArn": topic + "x", "Message": "m"}))
    assert missing.error == "SNS.NotFoundException"
    assert missing.cause is not None and "(Service: AmazonSNS; Status Code: 404; Error Code: NotFound;" in missing.cause


def test_events_put_events_has_no_sdk_metadata(interp: Interpreter) -> None:
    put = output(interp, task("arn:aws:states:::events:putEvents", {"Entries": [
        {"Source": "s", "DetailType": "d", "Detail": {"a": 1}}]}))
    assert put.keys() == {"Entries", "FailedEntryCount"} and put["FailedEntryCount"] == 0


def test_start_execution_request_response_and_sync(interp: Interpreter) -> None:
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Child"
    started = output(interp, task("arn:aws:states:::states:startExecution", {
        "StateMachineArn": arn, "Input": {}, "Name": "TestStartTarget"}))
    assert_like(started, recorded("test_start_execution_input_json-7340dced", "StartExecution"))
    assert started["ExecutionArn"] == f"arn:aws:states:us-east-1:{ACCOUNT}:execution:Child:TestStartTarget"
    result = interp.run(task("arn:aws:states:::states:startExecution.sync", {
        "StateMachineArn": arn, "Input": {}, "Name": "TestStartTarget"}))
    expected = recorded("test_sfn_start_execution_sync_SFN_SYNC-a98a256f", "StartExecution")
    assert result.output.keys() == expected.keys()
    masked = {"ExecutionArn", "StateMachineArn", "StartDate", "StopDate"}
    assert {k: v for k, v in result.output.items() if k not in masked} == {
        k: v for k, v in expected.items() if k not in masked}
    assert [e["type"] for e in result.history].count("TaskSubmitted") == 1
    sync2 = output(interp, task("arn:aws:states:::states:startExecution.sync:2", {"StateMachineArn": arn}))
    assert sync2["Output"] == {"Arg1": "argument1"} and sync2["Input"] == {}


def test_start_execution_sync_failed_child_is_a_task_failure(interp: Interpreter) -> None:
    result = interp.run(task("arn:aws:states:::states:startExecution.sync", {
        "StateMachineArn": f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Failing", "Name": "TestStartTarget"}))
    assert result.error == "States.TaskFailed"
    (path,) = CASES.glob("*test_start_execution_sync_delegate_failure-53291519.json")
    expected = json.loads(json.loads(path.read_text())["expected"]["cause"])
    cause = json.loads(result.cause or "")
    masked = {"ExecutionArn", "StateMachineArn", "StartDate", "StopDate"}
    assert cause.keys() == expected.keys()
    assert {k: v for k, v in cause.items() if k not in masked} == {k: v for k, v in expected.items() if k not in masked}
    missing = interp.run(task("arn:aws:states:::states:startExecution", {"StateMachineArn": "arn:x:stateMachine:No"}))
    assert missing.error == "StepFunctions.StateMachineDoesNotExistException"
    assert "--machine NAME=FILE" in (missing.cause or "")


# ---------------------------------------------------------------- aws-sdk

def test_aws_sdk_results_drop_metadata_and_blobs_are_json_text(interp: Interpreter, session: Any) -> None:
    table(session)
    session.client("dynamodb").put_item(TableName="T", Item={"id": {"S": "1"}})
    query = output(interp, task("arn:aws:states:::aws-sdk:dynamodb:query", {
        "TableName": "T", "KeyConditionExpression": "id = :i", "ExpressionAttributeValues": {":i": {"S": "1"}}}))
    assert query == {"Count": 1, "Items": [{"id": {"S": "1"}}], "ScannedCount": 1}
    session.client("s3").create_bucket(Bucket="bucket-name")
    output(interp, task("arn:aws:states:::aws-sdk:s3:putObject", {"Bucket": "bucket-name", "Key": "k", "Body": "text data"}))
    got = output(interp, task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "bucket-name", "Key": "k"}))
    assert got["Body"] == '"text data"' and "ResponseMetadata" not in got
    assert isinstance(got["LastModified"], str)


def test_aws_sdk_errors_are_prefix_dot_exception_name(interp: Interpreter, session: Any) -> None:
    session.client("s3").create_bucket(Bucket="bucket-name")
    result = interp.run(task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "bucket-name", "Key": "no_such_key.json"}))
    assert result.error == "S3.NoSuchKeyException"
    assert result.cause is not None and result.cause.startswith(
        "The specified key does not exist. (Service: S3, Status Code: 404, Request ID: ")
    missing = interp.run(task("arn:aws:states:::aws-sdk:dynamodb:getItem", {"TableName": "No", "Key": {}}))
    assert missing.error == "DynamoDb.ResourceNotFoundException"
    sfn = interp.run(task("arn:aws:states:::aws-sdk:sfn:describeExecution", {"ExecutionArn": "bad"}))
    assert sfn.error is not None and sfn.error.startswith("Sfn.")


# ---------------------------------------------------------------- targets, options, fixture

def test_client_for_and_targets(interp: Interpreter) -> None:
    from aslrun.errors import InputError
    from aslrun.integrations.aws.target import parse_target, target_for

    assert target_for("dynamodb", {}).kind == "local"
    assert target_for("dynamodb", {"aws.target": "local", "aws.services": {"dynamodb": "real"}}).kind == "real"
    assert target_for("states", {"aws.services": {"sfn": "http://h:1"}}).url == "http://h:1"
    with pytest.raises(InputError, match="unknown AWS target 'bogus'"):
        parse_target("bogus")
    client = client_for("sqs", {}, account=ACCOUNT)
    assert client.create_queue(QueueName="helper")["QueueUrl"].endswith(f"/{ACCOUNT}/helper")
    client.close()
    aws = AwsIntegration(Interpreter(load_plugins=False, options={"aws.services": {"dynamodb": "real"}}))
    assert aws.remote and not AwsIntegration(interp).remote


def test_aws_session_fixture_prepares_the_embedded_aws(aws_session: Any, aslrun_interpreter: Interpreter) -> None:
    table(aws_session, "Fixture")
    aws_session.client("dynamodb").put_item(TableName="Fixture", Item={"id": {"S": "7"}})
    result = aslrun_interpreter.run(task("arn:aws:states:::dynamodb:getItem", {
        "TableName": "Fixture", "Key": {"id": {"S": "7"}}}, ResultSelector={"id.$": "$.Item.id.S"}))
    assert result.output == {"id": "7"}


def test_import_aslrun_loads_no_boto3_or_moto() -> None:
    code = "import sys, aslrun; print(sorted(m for m in ('boto3', 'botocore', 'moto') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------- the sample, through the CLI

def run_sample(*extra: str, order: str | None = None) -> Any:
    runner = CliRunner(env={"AWS_ACCESS_KEY_ID": FAKE_KEY, "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
                            "AWS_DEFAULT_REGION": "us-east-1", "NO_COLOR": "1"})
    args = ["run", str(SAMPLE / "order.json"), "--input", order or f"@{SAMPLE / 'order.input.json'}",
            "--aws-setup", str(SAMPLE / "setup.py"), "--machine", f"Fulfilment={SAMPLE / 'fulfilment.json'}",
            "--lambda", f"PriceOrder={SAMPLE / 'handlers' / 'price.py'}:handler", "--json", *extra]
    result = runner.invoke(cli, args, prog_name="aslrun")
    for secret in (FAKE_KEY, FAKE_SECRET):
        assert secret not in result.output
    return result


def test_sample_runs_on_the_embedded_aws() -> None:
    reset_local(ACCOUNT)
    try:
        shipped = run_sample()
        assert shipped.exit_code == 0, shipped.output
        output = json.loads(shipped.output)["output"]
        assert output["tracking"] == "TRK-A-1001" and output["total"] == 42.5  # priced by the local handler
        reset_local(ACCOUNT)
        duplicate = run_sample(order='{"orderId": "A-0999", "customer": {"email": "b@e.com"}, "total": 3, '
                                     '"items": []}')
        assert json.loads(duplicate.output)["output"] == {"orderId": "A-0999", "result": "DUPLICATE",
                                                          "existingStatus": "SHIPPED"}
    finally:
        reset_local(ACCOUNT)


def test_sample_runs_against_a_moto_server(moto_url: str) -> None:
    result = run_sample("--aws", moto_url, order='{"orderId": "A-2", "customer": {"email": "b@e.com"}, '
                                                     '"total": 3, "items": [{"sku": "MUG-7", "quantity": 50}]}')
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)["output"]
    assert out["result"] == "BACKORDERED" and out["childError"] == "DynamoDB.ConditionalCheckFailedException"


def test_bad_aws_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["run", str(SAMPLE / "order.json"), "--aws", "bogus", "--json"],
                                prog_name="aslrun")
    assert result.exit_code == 2 and "unknown AWS target 'bogus'" in result.output


def test_start_execution_of_a_machine_on_the_target(moto_url: str) -> None:
    options = {"aws.target": moto_url}
    sfn = client_for("stepfunctions", options, account=ACCOUNT)
    arn = sfn.create_state_machine(name="Remote", definition=json.dumps(CHILD),
                                   roleArn=f"arn:aws:iam::{ACCOUNT}:role/r")["stateMachineArn"]
    sfn.close()
    with Interpreter(load_plugins=False, clock="virtual", options=options) as interpreter:
        interpreter.integrations.add(AwsIntegration(interpreter))
        started = output(interpreter, task("arn:aws:states:::states:startExecution",
                                           {"StateMachineArn": arn, "Name": "n1"}))
    assert started["ExecutionArn"].endswith(":execution:Remote:n1")
    assert started["SdkHttpMetadata"]["HttpStatusCode"] == 200


def test_sqs_wait_for_task_token_is_answered_by_a_consumer(interp: Interpreter, session: Any) -> None:
    import threading

    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="callbacks")["QueueUrl"]
    execution = interp.start(task("arn:aws:states:::sqs:sendMessage.waitForTaskToken", {
        "QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token", "n": 2}}, TimeoutSeconds=60))

    def consumer() -> None:
        for _ in range(200):
            messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", [])
            if messages:
                body = json.loads(messages[0]["Body"])
                execution.send_task_success(body["token"], {"doubled": body["n"] * 2})
                return
            threading.Event().wait(0.02)

    worker = threading.Thread(target=consumer)
    worker.start()
    result = execution.run()
    worker.join(10)
    assert result.output == {"doubled": 4}
    submitted = next(e for e in result.history_values() if e["type"] == "TaskSubmitted")
    assert "MD5OfMessageBody" in submitted["taskSubmittedEventDetails"]["output"]


# ---------------------------------------------------------------- aws-sdk:sfn on aslrun's own executions


SFN = "arn:aws:states:::aws-sdk:sfn:"
CHILD_ARN = f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Child"


def test_sdk_start_and_describe_execution_run_the_local_machine(interp: Interpreter) -> None:
    definition = {"StartAt": "Start", "States": {
        "Start": {"Type": "Task", "Resource": SFN + "startExecution", "ResultPath": "$.started", "Next": "Describe",
                  "Parameters": {"StateMachineArn": CHILD_ARN, "Name": "run-7", "Input": {"n": 1}}},
        "Describe": {"Type": "Task", "Resource": SFN + "describeExecution", "End": True,
                     "Parameters": {"ExecutionArn.$": "$.started.ExecutionArn"}}}}
    described = output(interp, definition)
    assert described["ExecutionArn"] == f"arn:aws:states:us-east-1:{ACCOUNT}:execution:Child:run-7"
    assert (described["Status"], json.loads(described["Output"]), json.loads(described["Input"])) == (
        "SUCCEEDED", {"Arg1": "argument1"}, {"n": 1})
    # the shape AWS recorded for aws-sdk:sfn:startExecution: PascalCase, no SDK metadata
    started = output(interp, task(SFN + "startExecution", {"StateMachineArn": CHILD_ARN}))
    assert sorted(started) == sorted(recorded("test_sfn_start_execution-ddf69b49", "StartExecution"))


def test_sdk_start_execution_of_an_unknown_machine(interp: Interpreter) -> None:
    result = interp.run(task(SFN + "startExecution", {"StateMachineArn": CHILD_ARN + "Typo"}))
    assert result.error == "Sfn.StateMachineDoesNotExistException"
    assert result.cause.startswith(f"State Machine Does Not Exist: '{CHILD_ARN}Typo' (aslrun: give it with --machine")
    assert "(Service: Sfn, Status Code: 400, Request ID: " in result.cause


def test_sdk_describe_of_an_execution_never_started(interp: Interpreter) -> None:
    arn = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:Child:nope"
    result = interp.run(task(SFN + "describeExecution", {"ExecutionArn": arn}))
    assert result.error == "Sfn.ExecutionDoesNotExistException"
    assert result.cause.startswith(f"Execution Does Not Exist: '{arn}' (Service: Sfn, Status Code: 400")


def answered_in_a_branch(url: str) -> dict[str, Any]:
    """One branch waits for its token (sent on SQS); the other reads it and answers through aws-sdk:sfn."""
    return {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Wait", "States": {"Wait": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "TimeoutSeconds": 60,
            "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}}, "End": True}}},
        {"StartAt": "Read", "States": {
            "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:receiveMessage",
                     "Parameters": {"QueueUrl": url, "WaitTimeSeconds": 10},
                     "ResultSelector": {"body.$": "States.StringToJson($.Messages[0].Body)"}, "Next": "Answer"},
            "Answer": {"Type": "Task", "Resource": SFN + "sendTaskSuccess", "End": True,
                       "Parameters": {"TaskToken.$": "$.body.token", "Output": "{\"approved\": true}"}}}},
    ]}}}


def test_sdk_send_task_success_answers_a_token_of_the_run(interp: Interpreter, session: Any) -> None:
    url = session.client("sqs").create_queue(QueueName="approvals")["QueueUrl"]
    assert output(interp, answered_in_a_branch(url)) == [{"approved": True}, {}]


def test_the_run_answers_its_own_tokens_under_a_remote_target(moto_url: str) -> None:
    """The token is aslrun's: Step Functions on the target (here a moto server) could not answer it."""
    options = {"aws.target": moto_url}
    sqs = client_for("sqs", options, account=ACCOUNT)
    url = sqs.create_queue(QueueName="remote-approvals")["QueueUrl"]
    sqs.close()
    with Interpreter(load_plugins=False, options=options) as interpreter:
        interpreter.integrations.add(AwsIntegration(interpreter))
        assert output(interpreter, answered_in_a_branch(url)) == [{"approved": True}, {}]
        # a token aslrun never issued is the target's to judge: moto's Step Functions takes any
        # (aslrun's own answer would be Sfn.InvalidTokenException, as under the local target)
        result = interpreter.run(task(SFN + "sendTaskSuccess", {"TaskToken": "not-ours", "Output": "{}"}))
    assert (result.status, result.output) == ("SUCCEEDED", {})


@pytest.mark.parametrize(("action", "error", "cause"), [
    ("sendTaskSuccess", "Sfn.InvalidTokenException", "Invalid Token: 'Invalid token'"),
    ("sendTaskFailure", "Sfn.InvalidTokenException", "Invalid Token: 'Invalid token'"),
    ("sendTaskHeartbeat", "Sfn.InvalidTokenException", "Invalid Token: 'Invalid token'"),
])
def test_sdk_answers_to_a_token_nobody_issued(interp: Interpreter, action: str, error: str, cause: str) -> None:
    """As recorded: test_sfn_send_task_outcome_with_no_such_token (Sfn.InvalidTokenException)."""
    result = interp.run(task(SFN + action, {"TaskToken": "not-a-token", "Output": "{}"}))
    assert result.error == error
    assert result.cause.startswith(cause + " (Service: Sfn, Status Code: 400, Request ID: ")


def test_sdk_results_use_pascal_case_members_for_camel_case_apis(interp: Interpreter) -> None:
    definition = {"StartAt": "Create", "States": {
        "Create": {"Type": "Task", "Resource": SFN + "createStateMachine", "Next": "List", "ResultPath": None,
                   "Parameters": {"Name": "Listed", "Definition": json.dumps(CHILD),
                                  "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"}},
        "List": {"Type": "Task", "Resource": SFN + "listStateMachines", "Parameters": {}, "End": True}}}
    listed = output(interp, definition)
    assert [(m["Name"], m["StateMachineArn"]) for m in listed["StateMachines"]] == [
        ("Listed", f"arn:aws:states:us-east-1:{ACCOUNT}:stateMachine:Listed")]
