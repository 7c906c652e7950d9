"""``aslrun debug`` (aslrun/cli/debug.py): the real command in a pseudo-terminal, and scripted through CliRunner.

The pseudo-terminal test types at the ``(aslrun)`` prompt as a person would and reads the screen;
the CliRunner tests feed commands with ``--commands FILE`` or on stdin (not a terminal).
Exit codes: 0 the execution succeeded, 1 it failed or was aborted (quit), 2 bad usage.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pexpect  # type: ignore[import-untyped]
import pytest
from click.testing import CliRunner, Result

from aslrun.cli.main import cli

ASLRUN = Path(sys.executable).with_name("aslrun")
ENV = {"COLUMNS": "120", "NO_COLOR": "1", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TERM": "dumb"}
PROMPT = "(aslrun) "

SHOP = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"orderId.$": "$.orderId", "amount.$": "$.amount"},
                    "Next": "Charge"},
        "Charge": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "charge", "Payload": {"amount.$": "$.amount"}},
            "ResultSelector": {"chargeId.$": "$.Payload.chargeId"},
            "ResultPath": "$.charge",
            "Retry": [{"ErrorEquals": ["Card.Declined"], "MaxAttempts": 2, "IntervalSeconds": 5}],
            "Next": "Receipt",
        },
        "Receipt": {"Type": "Pass", "Parameters": {"text.$": "States.Format('{} paid {}', $.orderId, $.amount)"},
                    "ResultPath": "$.receipt", "End": True},
    },
}
MOCKS = {
    "StateMachines": {"shop": {"TestCases": {"happy": {"Charge": "Paid"}, "declined": {"Charge": "Declined"}}}},
    "MockedResponses": {
        "Paid": {"0": {"Return": {"Payload": {"chargeId": "ch_1"}}}},
        "Declined": {"0-2": {"Throw": {"Error": "Card.Declined", "Cause": "card 4242 was declined"}}},
    },
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    (tmp_path / "shop.json").write_text(json.dumps(SHOP), encoding="utf-8")
    (tmp_path / "mocks.json").write_text(json.dumps(MOCKS), encoding="utf-8")
    return tmp_path


def invoke(args: list[str], stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["debug", *args], input=stdin, env=ENV, catch_exceptions=False)


# ---------------------------------------------------------------- a person at a terminal


def spawn(args: list[str], cwd: Path) -> Any:
    """``aslrun debug ARGS`` in a pseudo-terminal, as a person starts it."""
    env = {**os.environ, **{k: v for k, v in ENV.items() if v is not None}}
    for key in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        env.pop(key, None)
    return pexpect.spawn(str(ASLRUN), ["debug", *args], env=env, encoding="utf-8", timeout=30, dimensions=(60, 120),
                         cwd=str(cwd))


def test_break_continue_print_set_step_and_quit_in_a_pseudo_terminal(shop: Path) -> None:
    history = shop / "history.json"
    child = spawn([str(shop / "shop.json"), "--input", '{"orderId": "A-1", "amount": 1200}', "--mock-config",
                   str(shop / "mocks.json"), "--test-case", "happy", "--history", str(history)], shop)
    try:
        child.expect_exact("▶ Prepare (Pass)  starts")
        child.expect_exact(PROMPT)

        def do(command: str, *expected: str) -> str:
            child.sendline(command)
            for text in expected:
                child.expect_exact(text)
            child.expect_exact(PROMPT)
            return str(child.before)

        do("break Charge", "breakpoint 1: state Charge")
        do("continue", "stop 2 · breakpoint 1 (state Charge)", "▶ Charge (Task)  starts")
        screen = do("print", "Charge (Task) — the data at each stage")
        assert '▶ input (raw)' in screen and '{"orderId":"A-1","amount":1200}' in screen
        assert "after Parameters (effective input)" in screen and "(not reached yet)" in screen
        do("until effective", "● Charge (Task)  at after Parameters (effective input)",
           'afterParameters: {"FunctionName":"charge","Payload":{"amount":1200}}')
        do("set $.Payload.amount = 5", "✎ $.Payload.amount set in afterParameters: 5")
        do("print effective", '"amount": 5')
        do("step", "▶ Receipt (Pass)  starts", '"charge":{"chargeId":"ch_1"}')
        do("where", "▶ Receipt (Pass)  starting")
        child.sendline("quit")
        child.expect_exact("execution ABORTED")
        child.expect_exact("aborted: the history so far is kept")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 1
    events = json.loads(history.read_text(encoding="utf-8"))["events"]
    assert events[-1]["type"] == "ExecutionAborted"
    charged = [e for e in events if e["type"] == "TaskScheduled"][0]
    assert json.loads(charged["taskScheduledEventDetails"]["parameters"])["Payload"] == {"amount": 5}


NAP = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Pass", "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 3, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": {"ok": True}, "End": True},
    },
}


def test_ctrl_c_during_a_real_wait_gives_the_prompt_at_once_and_continue_waits_out_the_rest(tmp_path: Path) -> None:
    (tmp_path / "nap.json").write_text(json.dumps(NAP), encoding="utf-8")
    history = tmp_path / "history.json"
    child = spawn(["nap.json", "--clock", "real", "--break", "Nap", "--history", str(history)], tmp_path)
    try:
        child.expect_exact(PROMPT)
        child.sendline("continue")
        child.expect_exact("▶ Nap (Wait)  starts")
        child.expect_exact(PROMPT)
        child.sendline("continue")  # the 3 s wait starts at once
        time.sleep(0.5)
        sent = time.monotonic()
        child.sendintr()
        # Before the fix the Ctrl-C was only noted: the prompt came back at Done, 2.5 s later.
        child.expect_exact("── stop 3 · paused (Ctrl-C)", timeout=1.5)
        child.expect_exact("‖ Nap (Wait)  waiting, ")
        child.expect_exact(PROMPT, timeout=1.5)
        assert time.monotonic() - sent < 1.5
        child.sendline("where")
        child.expect_exact("▶ Nap (Wait)  waiting")
        child.expect_exact(PROMPT)
        child.sendline("continue")
        child.expect_exact("execution SUCCEEDED", timeout=10)
        child.expect_exact(PROMPT)  # after the end: print, history, graph still work
        child.sendline("quit")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    events = json.loads(history.read_text(encoding="utf-8"))["events"]
    entered, exited = (e["timestamp"] for e in events if e["type"] in ("WaitStateEntered", "WaitStateExited"))
    assert _seconds(exited) - _seconds(entered) >= 3  # the pause did not cut the wait short


def _seconds(timestamp: Any) -> float:
    if isinstance(timestamp, (int, float)):
        return float(timestamp)
    return datetime.fromisoformat(str(timestamp).replace("Z", "+00:00")).timestamp()


def test_clear_asks_and_enter_repeats_only_next_in_a_pseudo_terminal(shop: Path) -> None:
    child = spawn([str(shop / "shop.json"), "--input", '{"orderId": "A-1", "amount": 1}', "--mock-config",
                   str(shop / "mocks.json"), "--test-case", "happy", "--break", "Receipt"], shop)
    child.logfile_read = screen = StringIO()

    def do(command: str, *expected: str) -> None:
        child.sendline(command)
        for text in expected:
            child.expect_exact(text)
        child.expect_exact(PROMPT)

    try:
        child.expect_exact(PROMPT)
        child.sendline("clear")
        child.expect_exact("Clear all breaks? [y/N] ")
        do("", "no breakpoint deleted")  # Enter answers no
        child.sendline("clear")
        child.expect_exact("Clear all breaks? [y/N] ")
        child.sendintr()  # so does Ctrl-C
        child.expect_exact("no breakpoint deleted")
        child.expect_exact(PROMPT)
        do("next", "── stop 2 · next", "▶ Charge (Task)  starts")
        do("print", "Charge (Task) — the data at each stage")
        do("")  # after print, Enter does nothing
        do("where", "▶ Charge (Task)  starting")
        do("next", "── stop 3 · breakpoint 1 (state Receipt)")
        do("", "execution SUCCEEDED")  # after next, Enter runs next again
        do("")  # after the end, Enter does nothing (it does not leave)
        child.sendline("clear")
        child.expect_exact("Clear all breaks? [y/N] ")
        do("y", "deleted breakpoint 1 (state Receipt)")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    text = screen.getvalue()
    assert text.count("── stop ") == 3
    assert text.index("▶ Charge (Task)  starting") < text.index("── stop 3")


# ---------------------------------------------------------------- scripts


def test_commands_file_with_mocks_shows_the_retry_plan_and_skip_goes_on(shop: Path) -> None:
    commands = shop / "commands.txt"
    commands.write_text("# stop when the card is declined\nbreak error:Card.Declined\ncontinue\n"
                        "continue\nskip {\"orderId\": \"A-1\", \"amount\": 9, \"charge\": \"by hand\"}\nprint $.charge\n"
                        "continue\n", encoding="utf-8")
    result = invoke([str(shop / "shop.json"), "--input", '{"orderId": "A-1", "amount": 9}', "--mock-config",
                     str(shop / "mocks.json"), "--test-case", "declined", "--commands", str(commands)])
    out = result.output
    assert result.exit_code == 0, out
    assert "(aslrun) break error:Card.Declined" in out  # commands are echoed after the prompt
    assert "✗ Charge (Task)  failed" in out
    assert "cause: card 4242 was declined" in out
    assert 'matches Retry #0: {"ErrorEquals":["Card.Declined"],"MaxAttempts":2,"IntervalSeconds":5}' in out
    assert "next: Retry #0 runs the state again after 5 s (attempt 1 of 2 retries)." in out
    assert "(attempt 2)" in out
    assert "next: Retry #0 runs the state again after 10 s (attempt 2 of 2 retries)." in out
    assert 'the state is left with output {"orderId":"A-1","amount":9,"charge":"by hand"}' in out
    assert '(aslrun) print $.charge\n$.charge\n"by hand"' in out
    assert "execution SUCCEEDED" in out
    assert '"text": "A-1 paid 9"' in out


def test_commands_on_stdin_when_it_is_not_a_terminal(shop: Path) -> None:
    result = invoke([str(shop / "shop.json"), "--input", '{"orderId": "B", "amount": 1}', "--mock-config",
                     str(shop / "mocks.json"), "--test-case", "happy", "--break", "Receipt"],
                    stdin="continue\nprint $.charge\nhistory 3\ncontinue\n")
    assert result.exit_code == 0, result.output
    assert "stop 2 · breakpoint 1 (state Receipt)" in result.output
    assert '"chargeId": "ch_1"' in result.output
    assert "PassStateEntered" in result.output
    assert "execution SUCCEEDED" in result.output


def test_a_failed_execution_exits_1(shop: Path) -> None:
    result = invoke([str(shop / "shop.json"), "--mock-config", str(shop / "mocks.json"), "--test-case", "declined",
                     "--input", '{"orderId": "C", "amount": 1}'], stdin="continue\n")
    assert result.exit_code == 1
    assert "execution FAILED" in result.output
    assert "error: Card.Declined" in result.output


def test_help_lists_every_command_with_its_alias(shop: Path) -> None:
    result = invoke([str(shop / "shop.json"), "--mock-config", str(shop / "mocks.json"), "--test-case", "happy",
                     "--input", '{"orderId": "C", "amount": 1}'], stdin="help\nhelp break\ncontinue\n")
    out = result.output
    for usage in ("step", "next", "finish", "continue", "until [STAGE]", "retry", "skip [JSON]", "quit",
                  "break [SPEC]", "delete [N]", "watch [PATH]", "print [WHAT]", "set PATH = JSON", "where",
                  "history [N]", "graph", "help [COMMAND]"):
        assert usage in out
    assert "break error:NAME        when the error is NAME" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--break", "Charj"], "there is no state named 'Charj' in this machine. Did you mean 'Charge'?"),
    (["--input", "-"], "give them with --commands FILE"),
    (["--test-case", "nope", "--mock-config", "mocks.json"], "has no test case 'nope'"),
])
def test_bad_usage_exits_2_with_the_reason(shop: Path, args: list[str], message: str, monkeypatch: Any) -> None:
    monkeypatch.chdir(shop)
    result = invoke(["shop.json", *args], stdin="")
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
