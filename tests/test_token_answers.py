"""Answering a ``.waitForTaskToken`` Task during ``aslrun run``: ``--answer-tokens`` and the terminal prompt.

The Tasks send a message to an SQS queue of the embedded AWS (made by ``--aws-setup``) and wait for their
token, as a real approval step does; nobody reads the queue, so only ``aslrun run`` can answer.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pexpect  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner

from aslrun.cli.main import cli
from aslrun.integrations.aws.target import reset_local

ASLRUN = Path(sys.executable).with_name("aslrun")
ACCOUNT = "111111111111"
QUEUE = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/approvals"


def waiting_task(next_state: str | None = None, **fields: Any) -> dict[str, Any]:
    task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": QUEUE, "MessageBody": {"token.$": "$$.Task.Token"}},
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.rejected", "Next": "Rejected"}], **fields}
    return {**task, "Next": next_state} if next_state else {**task, "End": True}


APPROVAL = {"StartAt": "Approve", "States": {
    "Approve": waiting_task("Ship", ResultPath="$.approval"),
    "Ship": waiting_task(ResultPath="$.shipping"),
    "Rejected": {"Type": "Pass", "End": True}}}
EACH = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True, "ItemProcessor": {
        "StartAt": "Approve", "States": {"Approve": waiting_task(), "Rejected": {"Type": "Pass", "Result": "no",
                                                                                "End": True}}}}}}


@pytest.fixture()
def project(tmp_path: Path) -> Any:
    (tmp_path / "approval.json").write_text(json.dumps(APPROVAL))
    (tmp_path / "each.json").write_text(json.dumps(EACH))
    (tmp_path / "setup.py").write_text('def setup(session):\n    session.client("sqs").create_queue(QueueName="approvals")\n')
    reset_local(ACCOUNT)
    yield tmp_path
    reset_local(ACCOUNT)


def run(project: Path, machine: str, *args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, ["run", str(project / machine), "--aws-setup", str(project / "setup.py"), *args],
                              input=stdin)


def test_answer_tokens_answers_each_state_by_name(project: Path) -> None:
    answers = {"Approve": {"output": {"by": "ana"}}, "Ship": {"error": "Rejected", "cause": "out of stock"}}
    out = run(project, "approval.json", "--json", "--answer-tokens", json.dumps(answers))
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"] == {"approval": {"by": "ana"},
                                                "rejected": {"Error": "Rejected", "Cause": "out of stock"}}


def test_a_list_of_answers_is_used_one_per_token_the_last_repeating(project: Path) -> None:
    answers = project / "answers.json"
    answers.write_text(json.dumps({"Approve": [{"output": "first"}, {"error": "Rejected"}, {"output": "again"}]}))
    items = json.dumps({"items": [{"n": n} for n in range(4)]})
    out = run(project, "each.json", "--json", "--input", items, "--answer-tokens", f"@{answers}")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"] == ["first", "no", "again", "again"]


@pytest.mark.parametrize(("answers", "message"), [
    ({"Aprove": {"output": 1}}, "no state named 'Aprove'. Did you mean \"Approve\"?"),
    ({"Approve": {"output": 1, "error": "E"}}, 'must be {"output": JSON} or {"error": "...", "cause": "..."}'),
    ([{"output": 1}], "must be a JSON object of state name -> answer"),
])
def test_bad_answer_tokens_are_bad_usage(project: Path, answers: Any, message: str) -> None:
    out = run(project, "approval.json", "--answer-tokens", json.dumps(answers))
    assert out.exit_code == 2
    assert message in " ".join(out.output.split())


def test_without_a_terminal_stdin_is_never_read(project: Path) -> None:
    """An unanswered token waits for its timeout, not for stdin (which would have answered it)."""
    (project / "timeout.json").write_text(json.dumps({"StartAt": "Approve", "States": {
        "Approve": waiting_task(TimeoutSeconds=1), "Rejected": {"Type": "Pass", "End": True}}}))
    out = run(project, "timeout.json", "--clock", "real", stdin='s {"read": "from stdin"}\n')
    assert out.exit_code == 1
    assert "States.Timeout" in out.output
    assert "Approve waits for something to answer its task token (to answer it yourself: --answer-tokens, or run " \
           "in a terminal)" in " ".join(out.output.split())


def test_a_person_answers_at_the_prompt(project: Path) -> None:
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
    for key in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        env.pop(key, None)
    child = pexpect.spawn(str(ASLRUN), ["run", "approval.json", "--aws-setup", "setup.py"], env=env,
                          encoding="utf-8", timeout=30, dimensions=(50, 160), cwd=str(project))
    try:
        child.expect("Approve waits for its task token. Answer: s JSON")
        child.sendline("approve")
        child.expect("not understood: approve")
        child.sendline("s {broken")
        child.expect("the output is not JSON")
        child.sendline("h")
        child.expect("Approve: SendTaskHeartbeat")
        child.sendline('s {"by": "ana"}')
        child.expect("Ship waits for its task token")
        child.sendline("f Rejected out of stock")
        child.expect(pexpect.EOF)
        output = child.before
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, output
    assert '"Cause": "out of stock"' in output and '"by": "ana"' in output


CONSUMER = '''\
import json

import boto3


def approve(event, context):
    """Reads the approval request from SQS and answers its token, as a real consumer does."""
    sqs = boto3.client("sqs")
    queue = sqs.get_queue_url(QueueName="approvals")["QueueUrl"]
    message = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=10)["Messages"][0]
    token = json.loads(message["Body"])["token"]
    sfn = boto3.client("stepfunctions")
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output=json.dumps({"by": "handler"}))
    try:
        sfn.send_task_success(taskToken=token, output="{}")
    except sfn.exceptions.TaskTimedOut as exc:  # answered already: what AWS says to a token used again
        return exc.response["Error"]["Code"]
    return "answered twice"
'''


def test_a_lambda_handler_answers_the_token_through_the_local_step_functions(project: Path) -> None:
    (project / "consumer.py").write_text(CONSUMER)
    (project / "both.json").write_text(json.dumps({"StartAt": "Both", "States": {"Both": {
        "Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "Approve", "States": {"Approve": waiting_task(TimeoutSeconds=60),
                                              "Rejected": {"Type": "Pass", "End": True}}},
            {"StartAt": "Consume", "States": {"Consume": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "OutputPath": "$.Payload",
                "Parameters": {"FunctionName": "approve", "Payload": {}}, "End": True}}}]}}}))
    out = run(project, "both.json", "--json", "--lambda", f"approve={project}/consumer.py:approve")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["output"] == [{"by": "handler"}, "TaskTimedOut"]
