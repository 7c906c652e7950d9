"""A local Lambda handler's own AWS calls go where the run sends each service (``--aws SERVICE=TARGET``).

With ``--aws local`` the default and DynamoDB elsewhere (``real``, or an endpoint URL), the handler's DynamoDB
calls must reach that same DynamoDB and its SQS calls the embedded AWS. A moto server on 127.0.0.1 stands
in for real AWS: ``real`` means the user's own SDK configuration, which here names that server in
``AWS_ENDPOINT_URL_DYNAMODB`` with made-up keys.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aslrun.cli.main import cli
from aslrun.integrations.aws.target import handler_endpoints, reset_local

RUN_ACCOUNT = "111111111111"  # the embedded AWS's account (aslrun's default)
SERVER_ACCOUNT = "123456789012"  # what the moto server files unsigned-identity requests under
USER_KEY = "AKIAUSERCHAINKEY0001"

HANDLER = textwrap.dedent("""\
    import os

    import boto3


    def record(event, context):
        boto3.client("dynamodb").put_item(TableName="Orders", Item={"orderId": {"S": event["id"]}})
        sqs = boto3.client("sqs")
        queue = sqs.get_queue_url(QueueName="events")["QueueUrl"]
        sqs.send_message(QueueUrl=queue, MessageBody=event["id"])
        return {"queue": queue, "global_endpoint": os.environ.get("AWS_ENDPOINT_URL"),
                "own_keys": os.environ.get("AWS_ACCESS_KEY_ID") == "USER_KEY"}
    """).replace("USER_KEY", USER_KEY)
SETUP = textwrap.dedent("""\
    def setup(session):
        session.client("dynamodb").create_table(
            TableName="Orders", KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
        session.client("sqs").create_queue(QueueName="events")
    """)
MACHINE = {"StartAt": "Record", "States": {
    "Record": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "ResultSelector": {"h.$": "$.Payload"},
               "Parameters": {"FunctionName": "record", "Payload": {"id": "A-1"}}, "Next": "Read"},
    "Read": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "ResultSelector": {"item.$": "$.Item"},
             "Parameters": {"TableName": "Orders", "Key": {"orderId": {"S": "A-1"}}}, "ResultPath": "$.read",
             "Next": "Receive"},
    "Receive": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:receiveMessage",
                "Parameters": {"QueueUrl.$": "$.h.queue"}, "ResultSelector": {"bodies.$": "$.Messages[*].Body"},
                "ResultPath": "$.received", "End": True}}}


@pytest.fixture()
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "handler.py").write_text(HANDLER)
    (tmp_path / "setup.py").write_text(SETUP)
    (tmp_path / "machine.json").write_text(json.dumps(MACHINE))
    reset_local(RUN_ACCOUNT)
    reset_local(SERVER_ACCOUNT)
    yield tmp_path
    reset_local(RUN_ACCOUNT)
    reset_local(SERVER_ACCOUNT)


def _table_holds(account: str) -> list[Any]:
    """The Orders items in one account of this process's moto backends (both moto servers share them)."""
    from moto.dynamodb.models import dynamodb_backends

    tables = dynamodb_backends[account]["us-east-1"].tables
    return [item.to_json()["Attributes"] for item in tables["Orders"].all_items()] if "Orders" in tables else []


@pytest.mark.parametrize("dynamodb", ["real", "url"])
def test_a_handler_calls_each_service_where_the_run_does(project: Path, moto_url: str, dynamodb: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", USER_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "user-chain-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    if dynamodb == "real":  # the user's own configuration says where "real" DynamoDB is
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_url)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    target = "real" if dynamodb == "real" else moto_url
    out = CliRunner().invoke(cli, ["run", str(project / "machine.json"), "--json", "--aws", f"dynamodb={target}",
                                   "--aws-setup", str(project / "setup.py"),
                                   "--lambda", f"record={project}/handler.py:record"])
    assert out.exit_code == 0, out.output
    assert USER_KEY not in out.output and "user-chain-secret" not in out.output
    output = json.loads(out.output)["output"]
    # aslrun's own getItem reads what the handler wrote: both went to the moto server
    assert output["read"]["item"] == {"orderId": {"S": "A-1"}}
    assert _table_holds(SERVER_ACCOUNT) == [{"orderId": {"S": "A-1"}}]
    assert _table_holds(RUN_ACCOUNT) == []
    # the handler's SQS message went to the embedded AWS, where the run's receiveMessage found it
    assert output["received"]["bodies"] == ["A-1"]
    if dynamodb == "real":
        assert output["h"]["global_endpoint"] is None  # else it would send DynamoDB there too
        assert output["h"]["own_keys"] is True  # a real service needs the user's credential chain
    else:
        assert output["h"]["global_endpoint"].startswith("http://127.0.0.1:")
        assert output["h"]["own_keys"] is False  # everything is local or a URL: fake keys only


def test_handler_endpoints_name_every_local_service_when_one_is_real() -> None:
    def local() -> str:
        return "http://127.0.0.1:7"

    found = handler_endpoints({"aws.services": {"dynamodb": "real", "sqs": "http://127.0.0.1:8"}}, local, {})
    assert "AWS_ENDPOINT_URL" not in found and "AWS_ENDPOINT_URL_DYNAMODB" not in found
    assert found["AWS_ENDPOINT_URL_SQS"] == "http://127.0.0.1:8"
    assert found["AWS_ENDPOINT_URL_SFN"] == found["AWS_ENDPOINT_URL_EVENTBRIDGE"] == "http://127.0.0.1:7"
    assert found["AWS_ENDPOINT_URL_S3"] == found["AWS_ENDPOINT_URL_SECRETS_MANAGER"] == "http://127.0.0.1:7"
    kept = handler_endpoints({"aws.target": "real"}, local, {"AWS_ENDPOINT_URL_DYNAMODB": "http://mine"})
    assert kept == {"AWS_ENDPOINT_URL_DYNAMODB": "http://mine"}


def test_handler_endpoints_without_a_real_service_use_one_default() -> None:
    def local() -> str:
        return "http://127.0.0.1:7"

    assert handler_endpoints({}, local, {}) == {"AWS_ENDPOINT_URL": "http://127.0.0.1:7"}
    assert handler_endpoints({"aws.target": "http://127.0.0.1:9", "aws.services": {"states": "local"}}, local, {}) == {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_SFN": "http://127.0.0.1:7"}


def test_the_embedded_aws_lets_in_only_the_runs_key() -> None:
    """The embedded AWS a run serves its handlers on 127.0.0.1 refuses a request signed with another key (or
    none): another local process cannot read or change the run's AWS."""
    import urllib.error
    import urllib.request

    import boto3
    from botocore.exceptions import ClientError

    from aslrun.integrations.aws.embedded import EmbeddedServer

    server = EmbeddedServer("123456789012", access_key="ASLRUNTESTKEY0000001")
    try:
        def dynamodb(key: str) -> Any:
            return boto3.client("dynamodb", endpoint_url=server.url, region_name="us-east-1",
                                aws_access_key_id=key, aws_secret_access_key="x")

        ours, other = dynamodb("ASLRUNTESTKEY0000001"), dynamodb("AKIAOTHERKEY00000000")
        try:
            assert "TableNames" in ours.list_tables()
            with pytest.raises(ClientError, match="UnrecognizedClientException"):
                other.list_tables()
        finally:
            ours.close()
            other.close()
        with pytest.raises(urllib.error.HTTPError) as unsigned:
            urllib.request.urlopen(server.url + "/", timeout=10)
        unsigned.value.close()
        assert unsigned.value.code == 403
    finally:
        server.close()
