"""Ctrl-C during ``aslrun run``: the execution is aborted cleanly, its history kept (a real process)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

WAIT_MACHINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Result": {"step": 1}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def test_sigint_aborts_the_execution_and_keeps_the_history(tmp_path: Path) -> None:
    definition = tmp_path / "hold.json"
    definition.write_text(json.dumps(WAIT_MACHINE), encoding="utf-8")
    history = tmp_path / "history.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "aslrun", "run", str(definition), "--clock", "real", "--history", str(history)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
    )
    try:
        deadline = time.monotonic() + 20
        # Wait until the Wait state has been entered (the live view prints it on stderr).
        seen = ""
        assert proc.stderr is not None
        while "Hold" not in seen and time.monotonic() < deadline:
            seen += proc.stderr.readline()
        assert "Hold" in seen, seen
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "Traceback" not in err
    assert "ABORTED" in err
    assert out == ""
    events = json.loads(history.read_text(encoding="utf-8"))["events"]
    types = [e["type"] for e in events]
    assert types[-2:] == ["WaitStateAborted", "ExecutionAborted"]
    assert "PassStateExited" in types
