"""``aslrun serve`` killed with SIGKILL and restarted on the same ``--data``: nothing acknowledged is lost.

The server runs as a subprocess (``python -m aslrun serve --port 0``; it prints its endpoint on
stdout). The fixture kills and reaps every server it started. ``bench/serve_load.py`` is the large
version (200 executions, 20 polling clients, figures); this one asserts correctness only.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from aslrun.server import LOST_CAUSE

ROLE = "arn:aws:iam::111111111111:role/r"
QUICK = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
SLOW = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "Next": "P"},
                                   "P": {"Type": "Pass", "End": True}}}
FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


Start = Callable[..., tuple[subprocess.Popen[str], str]]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Start]:
    """``start_server(data, port=0)`` → (process, endpoint); every process is killed and reaped at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(data: Path, port: int = 0) -> tuple[subprocess.Popen[str], str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "aslrun", "serve", "--port", str(port), "--data", str(data), "--clock", "real"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline().strip()  # the endpoint, once it listens
        assert line.startswith("http://127.0.0.1:"), f"aslrun serve printed {line!r}"
        return process, line

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def client(endpoint: str) -> Any:
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=20))


def test_sigkill_loses_no_acknowledged_execution(start_server: Start, tmp_path: Path) -> None:
    data = tmp_path / "data"
    process, endpoint = start_server(data)
    sfn = client(endpoint)
    quick = sfn.create_state_machine(name="Quick", definition=json.dumps(QUICK), roleArn=ROLE)["stateMachineArn"]
    slow = sfn.create_state_machine(name="Slow", definition=json.dumps(SLOW), roleArn=ROLE)["stateMachineArn"]
    with ThreadPoolExecutor(4) as pool:
        finished = list(pool.map(lambda i: sfn.start_execution(stateMachineArn=quick, name=f"q{i}",
                                                               input=json.dumps({"i": i}))["executionArn"], range(10)))
        running = list(pool.map(lambda i: sfn.start_execution(stateMachineArn=slow, name=f"s{i}",
                                                              input=json.dumps({"i": i}))["executionArn"], range(10)))
    deadline = time.monotonic() + 20
    while any(sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" for arn in finished):
        assert time.monotonic() < deadline, "the quick executions did not finish"
        time.sleep(0.05)

    process.send_signal(signal.SIGKILL)
    process.wait(10)
    _, endpoint = start_server(data)
    sfn = client(endpoint)

    listed = {e["executionArn"]: e["status"] for machine in (quick, slow)
              for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
    assert set(listed) == set(finished) | set(running)  # every ARN the API returned
    assert {listed[arn] for arn in finished} == {"SUCCEEDED"}
    assert {listed[arn] for arn in running} == {"FAILED"}
    for arn in finished + running:
        described = sfn.describe_execution(executionArn=arn)
        events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        assert events[0]["type"] == "ExecutionStarted"
        assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == json.loads(described["input"])
        if arn in running:
            assert (described["error"], described["cause"]) == ("States.Runtime", LOST_CAUSE)
            assert events[-1]["type"] == "ExecutionFailed"
            assert events[-1]["executionFailedEventDetails"] == {"error": "States.Runtime", "cause": LOST_CAUSE}
        else:
            assert json.loads(described["output"]) == {"ok": True}
            assert events[-1]["type"] == "ExecutionSucceeded"


def test_a_running_execution_without_stored_events_gets_started_and_failed(tmp_path: Path) -> None:
    # killed after StartExecution's commit, before the writer's first batch: the row is all there is
    from aslrun.server import ApiServer, Store

    store = Store(tmp_path)
    arn = "arn:aws:states:us-east-1:111111111111:execution:M:bare"
    store.add_execution({"arn": arn, "machine_arn": "arn:aws:states:us-east-1:111111111111:stateMachine:M",
                         "name": "bare", "status": "RUNNING", "input": '{"a": 1}', "start": 1.5,
                         "definition": json.dumps(QUICK), "revision": "r", "role_arn": ROLE})
    store.close()
    with ApiServer("127.0.0.1", 0, data=tmp_path, clock="virtual") as server:
        server.start()
        sfn = client(server.endpoint)
        events = sfn.get_execution_history(executionArn=arn)["events"]
        assert [(e["id"], e["type"]) for e in events] == [(1, "ExecutionStarted"), (2, "ExecutionFailed")]
        assert events[0]["executionStartedEventDetails"]["input"] == '{"a":1}'
        assert sfn.describe_execution(executionArn=arn)["status"] == "FAILED"
