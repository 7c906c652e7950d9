"""The live view of ``aslrun run`` tells the truth: what a ``.sync`` Task waits on, retries, caught errors.

Rich output is read from a ``Console(file=StringIO(), width=80)``; the ``--quiet``/``--json``
checks go through click's ``CliRunner`` with stderr kept apart. EKS machines use the shipped
fake backend, so nothing real is needed and the virtual clock makes every wait free.
"""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rich.console import Console

from aslrun import Interpreter, VirtualClock
from aslrun.cli.main import cli
from aslrun.cli.render import LiveView
from aslrun.execution import ExecutionResult
from aslrun.integrations.eks.backends.fake import FakeBackend, FakeJob
from aslrun.integrations.mock import MockConfig

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

CLUSTER = {
    "Name": "MyCluster",
    "RoleArn": "arn:aws:iam::123456789012:role/MyEKSClusterRole",
    "ResourcesVpcConfig": {"SubnetIds": ["subnet-1", "subnet-2"]},
}
JOB_TARGET = {
    "ClusterName": "MyCluster",
    "CertificateAuthority": "Q0E=",
    "Endpoint": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
    "Namespace": "default",
}


def job(name: str) -> dict[str, Any]:
    return {**JOB_TARGET, "Job": {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
        "spec": {"backoffLimit": 0, "template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox", "command": ["true"]}]}}},
    }}


def view_of(machine: dict[str, Any], interpreter: Interpreter, **kwargs: Any) -> tuple[str, ExecutionResult]:
    console = Console(file=StringIO(), width=80)
    view = LiveView(console, **kwargs)
    result = interpreter.run(machine, {}, name="run-1", listeners=[view])
    view.finish(result)
    return console.file.getvalue(), result  # type: ignore[attr-defined]


def closing(text: str) -> str:
    """The closing line, unwrapped (it may be longer than 80 columns)."""
    return re.sub(r"\s+", " ", text[text.rindex("SUCCEEDED"):]).strip()


def lines_about(text: str, name: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if name in line]


# ---------------------------------------------------------------- what a .sync Task waits on


def test_create_cluster_sync_shows_each_status_with_the_time_on_the_state() -> None:
    machine = {"StartAt": "Create", "States": {"Create": {
        "Type": "Task", "Resource": "arn:aws:states:::eks:createCluster.sync", "Parameters": CLUSTER, "End": True}}}
    backend = FakeBackend(transitions=3)
    text, result = view_of(machine, Interpreter(clock="virtual", options={"eks.backend": backend}))
    assert result.succeeded
    creating = [line for line in text.splitlines() if "cluster MyCluster: CREATING" in line]
    active = [line for line in text.splitlines() if "cluster MyCluster: ACTIVE" in line]
    assert len(creating) == 1 and len(active) == 1
    # The note is drawn under its state, with how long the state has been going on the execution clock.
    assert creating[0].startswith("  ⋯ ") and creating[0].endswith("on Create)")
    waited = re.search(r"\((\d+\.\d+) s on Create\)", active[0])
    assert waited is not None and float(waited.group(1)) >= 2.0  # the polls' backoff passed on the virtual clock
    assert text.index("CREATING") < text.index("ACTIVE") < text.index("✓ Create")


def test_run_job_sync_shows_the_cluster_notice_and_the_job_while_it_runs() -> None:
    machine = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync", "Parameters": job("x"), "End": True}}}
    backend = FakeBackend(jobs={"x": FakeJob(polls=2)})
    text, result = view_of(machine, Interpreter(clock="virtual", options={"eks.backend": backend}))
    assert result.succeeded
    notes = [line for line in text.splitlines() if line.startswith("  ⋯ ")]
    assert "cluster MyCluster via the fake Kubernetes API of cluster MyCluster" in notes[0]
    assert any("Job default/x running (active 1)" in line for line in notes)
    assert "Job default/x Complete" in notes[-1]
    # The state's name is said once per line, not twice ("Run: ..." prefix dropped, "on Run" kept).
    assert all("Run: " not in line and line.endswith("on Run)") for line in notes)


def test_waiting_names_what_is_waited_on_while_the_task_runs() -> None:
    machine = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync", "Parameters": job("x"), "End": True}}}
    backend = FakeBackend(jobs={"x": FakeJob(polls=2)})
    console = Console(file=StringIO(), width=80)
    view = LiveView(console)
    seen: list[str] = []

    def during(execution: Any, event: Any) -> None:
        seen.append(view.waiting().plain)

    Interpreter(clock="virtual", options={"eks.backend": backend}).run(machine, {}, listeners=[view, during])
    assert any(re.fullmatch(r"⋯ Run  Job default/x running \(active 1\)  \d+(\.\d+)? (ms|s)", s) for s in seen)
    assert seen[-1] == ""  # nothing is waited on once the execution is over
    assert view.footer is False  # not a terminal: no transient line is drawn over the log


def test_progress_notes_are_not_shown_under_quiet_and_json() -> None:
    machine = SAMPLES / "eks" / "run-job.json"
    args = ["run", str(machine), "--input", f"@{SAMPLES / 'eks' / 'run-job.input.json'}", "--eks-backend", "fake"]
    runner = CliRunner()
    shown = runner.invoke(cli, args)
    assert shown.exit_code == 0
    assert "⋯ Job default/example-job Complete" in shown.stderr
    assert "cluster MyCluster via the fake Kubernetes API" in shown.stderr
    for flag in ("--quiet", "--json"):
        quiet = runner.invoke(cli, [*args, flag])
        assert quiet.exit_code == 0 and quiet.stderr == ""


# ---------------------------------------------------------------- retried and caught failures


RETRY_THEN_CATCH = {"StartAt": "Run", "States": {
    "Run": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync", "Parameters": job("x"),
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "MaxAttempts": 2,
                       "BackoffRate": 3}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
            "Next": "Done"},
    "Recover": {"Type": "Pass", "End": True},
    "Done": {"Type": "Succeed"},
}}


def mocked(machine: dict[str, Any], responses: dict[str, Any]) -> Interpreter:
    # a frozen virtual clock: the durations shown are the Waits' and backoffs' alone, however busy the machine
    interpreter = Interpreter(clock=VirtualClock(frozen=True))
    config = MockConfig.load({"StateMachines": {"M": {"TestCases": {"Case": {"Run": "Run"}}}},
                              "MockedResponses": {"Run": responses}})
    interpreter.mock = config.test_case("M", "Case")
    return interpreter


def test_a_caught_task_is_drawn_as_failed_and_caught_not_as_success() -> None:
    backend = FakeBackend(jobs={"x": FakeJob(succeed=False, reason="BackoffLimitExceeded")})
    text, result = view_of(RETRY_THEN_CATCH, Interpreter(clock="virtual", options={"eks.backend": backend}))
    assert result.succeeded
    run_lines = lines_about(text, "Run")
    assert not any(line.startswith("✓ Run") for line in run_lines)
    assert "Job default/x Failed (BackoffLimitExceeded)" in text  # what the wait saw, before the failure
    # The retry posts the Job again and the fake answers 409 AlreadyExists, as Kubernetes would:
    # the view says which error each retry follows, and which one the Catch finally handled.
    assert [line for line in run_lines if line.startswith("↻")] == [
        "↻ Run  States.TaskFailed  retrying in 2 s (retry 1 of 2)",
        "↻ Run  EKS.409  retrying in 6 s (retry 2 of 2)",
    ]
    caught = [line for line in run_lines if "caught" in line]
    assert len(caught) == 1
    assert caught[0].startswith("✗ Run  caught EKS.409 → Recover  ")
    assert closing(text).endswith("(2 retries, 1 caught)")


def test_retries_show_the_error_the_wait_and_the_attempt() -> None:
    throw = {"Throw": {"Error": "States.TaskFailed", "Cause": "boom"}}
    text, result = view_of(RETRY_THEN_CATCH, mocked(RETRY_THEN_CATCH, {"0-2": throw}))
    assert result.succeeded
    retries = [line for line in text.splitlines() if line.startswith("↻ Run")]
    assert retries == [
        "↻ Run  States.TaskFailed  retrying in 2 s (retry 1 of 2)",
        "↻ Run  States.TaskFailed  retrying in 6 s (retry 2 of 2)",
    ]
    assert text.count("✗ TaskFailed: States.TaskFailed — boom") == 3
    caught = [line for line in text.splitlines() if line.startswith("✗ Run")]
    assert len(caught) == 1
    assert caught[0].startswith("✗ Run  caught States.TaskFailed → Recover  8.00 s  after 2 retries")
    assert "▶ Recover (Pass)" in text
    assert closing(text).endswith("(2 retries, 1 caught)")


def test_a_task_that_succeeds_after_a_retry_says_so() -> None:
    text, result = view_of(RETRY_THEN_CATCH, mocked(RETRY_THEN_CATCH, {
        "0": {"Throw": {"Error": "States.TaskFailed", "Cause": "flaky"}},
        "1": {"Return": {"ok": True}},
    }))
    assert result.succeeded
    assert "↻ Run  States.TaskFailed  retrying in 2 s (retry 1 of 2)" in text
    done = [line for line in text.splitlines() if line.startswith("✓ Run")]
    assert len(done) == 1 and "after 1 retry" in done[0]
    assert "caught" not in text


def test_a_caught_parallel_and_a_retried_map_are_not_successes() -> None:
    machine = {"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "Ok", "States": {"Ok": {"Type": "Pass", "End": True}}},
            {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail", "Error": "Data.Invalid", "Cause": "no"}}},
        ], "ResultPath": None, "Catch": [{"ErrorEquals": ["Data.Invalid"], "ResultPath": "$.error", "Next": "Each"}],
            "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {"StartAt": "Boom", "States": {
            "Boom": {"Type": "Fail", "Error": "Item.Bad"}}},
            "Parameters": {"v": 1},
            "Retry": [{"ErrorEquals": ["Item.Bad"], "IntervalSeconds": 1, "MaxAttempts": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "End"}], "End": True},
        "End": {"Type": "Succeed"},
    }}
    console = Console(file=StringIO(), width=80)
    view = LiveView(console)
    result = Interpreter(clock="virtual").run(machine, {"items": [1]}, listeners=[view])
    view.finish(result)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert result.succeeded
    assert not any(line.startswith(("✓ Fan", "✓ Each")) for line in text.splitlines())
    assert any(line.startswith("✗ Fan  caught Data.Invalid → Each") for line in text.splitlines())
    assert "↻ Each  Item.Bad  retrying in 1 s (retry 1 of 1)" in text
    assert any(line.startswith("✗ Each  caught Item.Bad → End") for line in text.splitlines())


# ---------------------------------------------------------------- --quiet and --json


def _runs() -> list[tuple[str, list[str]]]:
    runs = []
    for path in sorted([*SAMPLES.glob("*.json"), *SAMPLES.glob("*.yaml"), *(SAMPLES / "eks").glob("*.json")]):
        if path.name.endswith(".input.json"):
            continue
        args = ["run", str(path)]
        given = path.with_name(path.stem + ".input.json")
        if given.exists():
            args += ["--input", f"@{given}"]
        if path.parent.name == "eks":
            args += ["--eks-backend", "fake"]
        runs.append((f"{path.parent.name}/{path.name}", args))
    return runs


@pytest.mark.parametrize(("sample", "args"), _runs(), ids=[name for name, _ in _runs()])
@pytest.mark.parametrize("flag", ["--quiet", "--json"])
def test_quiet_and_json_print_nothing_on_stderr_but_errors(sample: str, args: list[str], flag: str) -> None:
    result = CliRunner().invoke(cli, [*args, flag])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 0 or flag == "--json":
        assert result.stderr == ""
    else:
        # --quiet still says why a run failed, and nothing else.
        assert result.stderr.startswith("execution FAILED\nerror: ")
        assert "▶" not in result.stderr and "⋯" not in result.stderr
    if flag == "--json":
        assert json.loads(result.stdout)["status"] in ("SUCCEEDED", "FAILED")


def test_on_a_terminal_a_transient_line_shows_the_wait_and_is_gone_at_the_end() -> None:
    import threading

    machine = {"StartAt": "Run", "States": {"Run": {
        "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync", "Parameters": job("x"), "End": True}}}
    backend = FakeBackend(jobs={"x": FakeJob(polls=2)})
    console = Console(file=StringIO(), width=80, force_terminal=True, color_system=None)
    view = LiveView(console)
    assert view.footer is True
    before = set(threading.enumerate())
    result = Interpreter(clock="virtual", options={"eks.backend": backend}).run(machine, {}, listeners=[view])
    view.finish(result)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert result.succeeded
    assert "⋯ Run  Job default/x running (active 1)" in text  # the transient line was drawn...
    assert text.rstrip().endswith("execution clock")  # ...and nothing is left after the closing line
    assert "✓ Run" in text
    assert not [t for t in set(threading.enumerate()) - before if t.is_alive()]  # its refresh thread ended


def test_notices_from_outside_the_events_are_printed_as_notices() -> None:
    console = Console(file=StringIO(), width=80)
    view = LiveView(console, max_lines=0)
    view.notice("default/x-abc container 'main' runs: true")
    assert console.file.getvalue() == "  ℹ default/x-abc container 'main' runs: true\n"  # type: ignore[attr-defined]


LOCAL_PROCESS_JOB = {"StartAt": "Run", "States": {"Run": {
    "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync", "Parameters": job("echo-job"), "End": True}}}


@pytest.mark.parametrize("flag", ["--quiet", "--json"])
def test_local_job_processes_print_nothing_under_quiet_and_json(tmp_path: Path, flag: str) -> None:
    machine = tmp_path / "job.json"
    machine.write_text(json.dumps(LOCAL_PROCESS_JOB), encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(machine), "--eks-backend", "local", "--jobs", "process", flag])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize("prompting", [False, True])
def test_no_transient_line_over_a_prompt_for_a_task_token(prompting: bool, tmp_path: Path) -> None:
    """The person types a token's answer on the last line: the ticking line stays away while it is asked for."""
    from aslrun.cli.render import Answer, TokenAnswers
    from aslrun.integrations.aws.target import reset_local

    setup = tmp_path / "setup.py"
    setup.write_text('def setup(session):\n    session.client("sqs").create_queue(QueueName="approvals")\n')
    machine = {"StartAt": "Approve", "States": {"Approve": {
        "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "End": True,
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/111111111111/approvals",
                       "MessageBody": {"token.$": "$$.Task.Token"}}}}}
    console = Console(file=StringIO(), width=80, force_terminal=True, color_system=None)
    view = LiveView(console)
    view.prompting = prompting
    answers = TokenAnswers({"Approve": [Answer(True, output={"ok": 1})]}, console)
    reset_local("111111111111")
    try:
        with Interpreter(options={"aws.setup": str(setup)}) as interpreter:
            result = interpreter.run(machine, {}, listeners=[view, answers])
    finally:
        reset_local("111111111111")
    view.finish(result)
    assert result.output == {"ok": 1}
    drew_live_line = "\x1b[?25l" in console.file.getvalue()  # type: ignore[attr-defined]  # rich hides the cursor
    assert drew_live_line is not prompting
