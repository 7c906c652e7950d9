"""``--workers N`` (option ``lambda.workers``): at most N worker processes per local Lambda function.

The children of a Distributed Map that invoke one local handler run in up to N processes side by side;
more invocations wait for a free worker. Each handler reports its process id and when it ran, so the
tests see how many processes served the Map and how many invocations overlapped.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aslrun import Interpreter
from aslrun.cli.main import cli
from aslrun.errors import InputError
from aslrun.integrations.aws.lambda_process import DEFAULT_WORKERS
from aslrun.integrations.aws.lambdas import workers_setting

HANDLER = textwrap.dedent("""\
    import os
    import time


    def work(event, context):
        started = time.time()
        time.sleep(0.2)
        return {"pid": os.getpid(), "start": started, "end": time.time()}
    """)


def machine(items: int) -> dict[str, Any]:
    """A Distributed Map of ``items`` children, each invoking the ``Work`` function once."""
    return {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "QueryLanguage": "JSONata", "Items": list(range(items)), "MaxConcurrency": 10, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "Work", "States": {"Work": {
                              "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:Work",
                              "End": True}}}}}}


@pytest.fixture()
def handler(tmp_path: Path) -> str:
    (tmp_path / "work.py").write_text(HANDLER)
    return f"{tmp_path / 'work.py'}:work"


def most_at_once(runs: list[dict[str, Any]]) -> int:
    """The largest number of invocations that were running at the same moment."""
    marks = sorted([(r["start"], 1) for r in runs] + [(r["end"], -1) for r in runs])
    running = peak = 0
    for _, step in marks:
        running += step
        peak = max(peak, running)
    return peak


@pytest.mark.parametrize("workers", [1, 2])
def test_a_map_s_invocations_use_at_most_n_workers_side_by_side(handler: str, workers: int) -> None:
    options = {"lambda.functions": {"Work": handler}, "lambda.workers": workers}
    with Interpreter(options=options) as interp:
        result = interp.run(machine(6), {})
    assert result.status == "SUCCEEDED", result.cause
    runs = result.output
    assert len(runs) == 6
    assert len({r["pid"] for r in runs}) == workers
    assert most_at_once(runs) == workers  # N ran side by side, never more


def test_by_default_each_concurrent_invocation_gets_a_worker(handler: str) -> None:
    with Interpreter(options={"lambda.functions": {"Work": handler}}) as interp:
        result = interp.run(machine(3), {})
    assert result.status == "SUCCEEDED", result.cause
    assert len({r["pid"] for r in result.output}) == 3
    assert DEFAULT_WORKERS >= 3


def test_the_cli_option_reaches_the_workers(handler: str, tmp_path: Path) -> None:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(machine(4)))
    out = CliRunner().invoke(cli, ["run", str(path), "--lambda", f"Work={handler}", "--workers", "1", "--json"])
    assert out.exit_code == 0, out.output
    runs = json.loads(out.stdout)["output"]
    assert len({r["pid"] for r in runs}) == 1


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_a_bad_workers_value_is_bad_usage(value: str, tmp_path: Path) -> None:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))
    out = CliRunner().invoke(cli, ["run", str(path), "--workers", value])
    assert out.exit_code == 2
    assert "--workers" in out.output


@pytest.mark.parametrize("value", [0, -3, 1.5, True, "4"])
def test_a_bad_workers_option_is_refused_with_its_name(value: Any) -> None:
    with pytest.raises(InputError, match=r"lambda\.workers must be an integer of at least 1"):
        workers_setting({"lambda.workers": value})
    assert workers_setting({"lambda.workers": 3}) == 3
    assert workers_setting({}) == DEFAULT_WORKERS
