"""``aslrun validate``: check a definition without running it; exit 2 when it has any error."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aslrun.cli.common import escape, fail, json_text, stderr_console
from aslrun.errors import AslrunError, DefinitionError

__all__ = ["validate"]


@click.command()
@click.argument("definition", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON on stdout.")
def validate(definition: Path, as_json: bool) -> None:
    """Check DEFINITION and print every problem; exit 2 when there is any."""
    from aslrun.cli.render import render_diagnostics
    from aslrun.errors import SourceError
    from aslrun.source import read_definition
    from aslrun.validation import validate_definition

    try:
        source = read_definition(definition)
        diagnostics = validate_definition(source.value)
        if not any(d.severity == "ERROR" for d in diagnostics):
            from aslrun.parser import parse

            parse(source.value, validate=False, source_name=source.name)
    except SourceError as exc:
        diagnostics = exc.diagnostics
    except DefinitionError as exc:
        diagnostics = exc.diagnostics
    except AslrunError as exc:
        fail(exc)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    if as_json:
        click.echo(json_text({"result": "FAIL" if errors else "OK",
                               "diagnostics": [d.to_json() for d in diagnostics]}))
    elif diagnostics:
        render_diagnostics(stderr_console(), diagnostics, str(definition))
        if not errors:
            stderr_console().print(f"[green]✓[/green] {escape(str(definition))} is a valid state machine "
                                   "(with warnings)")
    else:
        stderr_console().print(f"[green]✓[/green] {escape(str(definition))} is a valid state machine")
    sys.exit(2 if errors else 0)
