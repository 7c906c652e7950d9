"""``aslrun executions list|show|history``: what ``aslrun serve`` stored, read from its data directory."""

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
@click.option("--json", "as_json", is_flag=True, help="One JSON array on stdout.")
def list_(data: str | None, state_machine: str | None, status: str | None, as_json: bool) -> None:
    """The executions, newest first."""
    store = _store(data)
    try:
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
    for column, key in (("version_arn", "stateMachineVersionArn"), ("alias_arn", "stateMachineAliasArn")):
        if row.get(column):
            out[key] = row[column]
    return out


@executions.command()
@_DATA
@click.argument("execution")
def show(data: str | None, execution: str) -> None:
    """One execution (ARN or name), as DescribeExecution shows it, in JSON."""
    store = _store(data)
    try:
        row = _find(store, execution)
    finally:
        store.close()
    out = _summary(row)
    out.update({k: row[k] for k in ("input", "output", "error", "cause") if row[k] is not None})
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
