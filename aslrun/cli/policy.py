"""``aslrun policy``: print the IAM policy the state machine's role needs (as the console generates it).

The policy goes to stdout (JSON, or YAML with ``--format yaml``); warnings (dynamic resources granted
on ``*``, integrations without a known policy) and notes go to stderr. Exit 2 on an invalid definition.
"""

from __future__ import annotations

import io
import sys

import click

from aslrun import defaults
from aslrun.cli.common import escape, fail, json_text, stderr_console
from aslrun.cli.options import DefinitionChoice, definition_options
from aslrun.errors import AslrunError

__all__ = ["policy"]


@click.command()
@definition_options
@click.option("--region", default=defaults.REGION, show_default=True, help="The state machine's region.")
@click.option("--account", default=defaults.ACCOUNT_ID, show_default=True, help="The state machine's account.")
@click.option("--partition", default=defaults.PARTITION, show_default=True,
              help="The ARN partition (aws, aws-cn, aws-us-gov).")
@click.option("--name", help="The state machine's name, for its own ARN (default: the template's name for it, else the file's stem).")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True,
              help="The policy document's format.")
def policy(definition: DefinitionChoice, region: str, account: str, partition: str, name: str | None, fmt: str) -> None:
    """Print the IAM policy DEFINITION's execution role needs.

    Resources are narrowed to what the definition names; a value taken from a path or a JSONata
    expression is granted on "*" with a warning naming the state. Statements no AWS template
    publishes have a Sid starting with "Inferred": check them.
    """
    from aslrun.iam import policy_for
    from aslrun.parser import parse

    try:
        source = definition.read(region=region, account=account, partition=partition)
        machine = parse(source.value, name=name or definition.machine_name(source), source_name=source.name)
        result = policy_for(machine, region=region, account=account, partition=partition)
    except AslrunError as exc:
        fail(exc)
    document = result.to_json()
    if fmt == "yaml":
        from ruamel.yaml import YAML

        yaml = YAML(typ="rt")  # keeps the statement's key order (Sid, Effect, Action, Resource, Condition)
        yaml.default_flow_style = False
        buffer = io.StringIO()
        yaml.dump(document, buffer)
        click.echo(buffer.getvalue(), nl=False)
    else:
        click.echo(json_text(document, indent=2))
    console = stderr_console()
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}", soft_wrap=True)
    for statement in result.inferred:
        console.print(f"[cyan]inferred:[/cyan] {escape(', '.join(statement.actions))} for "
                      f"{escape(', '.join(statement.states))}: no AWS template publishes it; check it",
                      soft_wrap=True)
    for note in result.notes:
        console.print(f"[dim]note:[/dim] {escape(note)}", soft_wrap=True)
    sys.exit(0)
