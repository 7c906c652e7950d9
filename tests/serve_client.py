"""What the tests of ``aslrun serve`` share: a boto3 client for a server, and waiting for an execution's end."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::111111111111:role/r"


def client(server: Any) -> Any:
    """A Step Functions client for ``server`` (an ApiServer). TestState and StartSyncExecution carry the
    "sync-" host prefix, which a local endpoint has no host for: injection off; one attempt, no retries."""
    return boto3.client("stepfunctions", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))


def wait_done(sfn: Any, arn: str, timeout: float = 20.0) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING (or after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        described: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.01)


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """The API error's code and message."""
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]
