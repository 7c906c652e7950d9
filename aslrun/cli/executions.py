"""``aslrun executions list|show|history|redrive``: what ``aslrun serve`` stored, read from its data directory.

A Distributed Map's child executions are there too: ``list --map-run ARN`` lists them, ``show`` and
``history`` take a child's ARN. ``redrive`` redrives a stored execution in this process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from aslrun.cli.common import UsageGroup, fail, json_text
from aslrun.errors import AslrunError

__all__ = ["executions"]

_DATA = click.option("--data", metavar="DIR", help="The data directory of aslrun serve (default: its default).")


def _store(data: str | None) -> Any:
    from aslrun.server import DB_NAME, Store, default_data_dir

    directory = data or str(default_data_dir())
    if not Path(directory, DB_NAME).exists():
        fail(AslrunError(f"no aslrun serve data in {directory}"))
    return Store(directory)


def _find(store: Any, ref: str) -> dict[str, Any]:
    row = store.execution(ref)
    if row is None:
        matches = [r for r in store.executions() if r["name"] == ref]
        if len(matches) == 1:
            row = matches[0]
    if row is None:
        fail(AslrunError(f"no execution {ref!r} (give its ARN, or a name that only one execution has)"))
    return dict(row)


@click.group(cls=UsageGroup)
def executions() -> None:
    """List and inspect the executions aslrun serve ran."""


@executions.command("list")
@_DATA
@click.option("--state-machine", help="Only this state machine's (name or ARN).")
@click.option("--status", type=click.Choice(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]))
@click.option("--map-run", metavar="ARN", help="The child executions of this Map Run instead.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
def list_(data: str | None, state_machine: str | None, status: str | None, map_run: str | None,
          as_json: bool) -> None:
    """The executions, newest first."""
    store = _store(data)
    try:
        if map_run is not None:
            rows = store.executions(map_run, status, column="map_run_arn")
        else:
            rows = store.executions(status=status)
    finally:
        store.close()
    if state_machine:
        rows = [r for r in rows if state_machine in (r["machine_arn"], r["machine_arn"].rsplit(":", 1)[1])]
    if as_json:
        click.echo(json_text([_summary(r) for r in rows], indent=2))
        return
    for row in rows:
        click.echo(f"{row['status']:<10} {row['name']:<38} {row['machine_arn'].rsplit(':', 1)[1]}")


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    out = {"executionArn": row["arn"], "stateMachineArn": row["machine_arn"], "name": row["name"],
           "status": row["status"], "startDate": row["start"], "stopDate": row["stop"]}
    for column, key in (("version_arn", "stateMachineVersionArn"), ("alias_arn", "stateMachineAliasArn"),
                        ("map_run_arn", "mapRunArn"), ("redrive_count", "redriveCount"),
                        ("redrive_date", "redriveDate")):
        if row.get(column):
            out[key] = row[column]
    return out


@executions.command()
@_DATA
@click.argument("execution")
def show(data: str | None, execution: str) -> None:
    """One execution (ARN or name; a Map Run's child by its ARN), as DescribeExecution shows it, in JSON."""
    from aslrun.server.views import describe

    store = _store(data)
    try:
        out = describe(store, _find(store, execution))
    finally:
        store.close()
    click.echo(json_text(out, indent=2))


@executions.command()
@_DATA
@click.option("--reverse", is_flag=True, help="Newest event first.")
@click.argument("execution")
def history(data: str | None, reverse: bool, execution: str) -> None:
    """One execution's history (ARN or name), as GetExecutionHistory's {"events": [...]}."""
    store = _store(data)
    try:
        events = store.events(_find(store, execution)["arn"], reverse=reverse)
    finally:
        store.close()
    click.echo(json_text({"events": events}, indent=2))


@executions.command()
@_DATA
@click.option("--mock-config", type=click.Path(exists=True, dir_okay=False),
              help="The MockConfigFile of an execution started on '<machine ARN>#<TestCase>'.")
@click.option("--json", "as_json", is_flag=True, help="The redriven execution as DescribeExecution shows it.")
@click.argument("execution")
def redrive(data: str | None, mock_config: str | None, as_json: bool, execution: str) -> None:
    """Redrive a failed, aborted or timed-out execution (ARN or name) in this process, as RedriveExecution does.

    Exits 1 when the redriven execution does not succeed.
    """
    from aslrun.server.record import redrive_recorded

    store = _store(data)
    store.close()
    directory = data or str(_default_dir())
    try:
        arn, result = redrive_recorded(directory, execution, mock_config)
    except AslrunError as exc:
        fail(exc, as_json)
    if as_json:
        from aslrun.server.views import describe

        store = _store(data)
        try:
            click.echo(json_text(describe(store, dict(store.execution(arn) or {})), indent=2))
        finally:
            store.close()
    else:
        click.echo(f"{result.status} {arn}")
    if result.status != "SUCCEEDED":
        raise SystemExit(1)


def _default_dir() -> Path:
    from aslrun.server import default_data_dir

    return default_data_dir()
