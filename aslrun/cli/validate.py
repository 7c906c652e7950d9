"""``aslrun validate``: check a definition without running it; exit 2 when it has any error."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from aslrun.cli.common import escape, fail, json_text, stderr_console
from aslrun.cli.options import DefinitionChoice, definition_options
from aslrun.errors import AslrunError, DefinitionError

__all__ = ["validate"]


@click.command()
@definition_options
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON on stdout.")
@click.option(
    "--type",
    "machine_type",
    type=click.Choice(["STANDARD", "EXPRESS"], case_sensitive=False),
    default="STANDARD",
    show_default=True,
    help="The state machine's type; EXPRESS also refuses activities, '.sync' and '.waitForTaskToken'.",
)
def validate(definition: DefinitionChoice, as_json: bool, machine_type: str) -> None:
    """Check DEFINITION and print every problem; exit 2 when there is any."""
    from aslrun.cli.render import render_diagnostics
    from aslrun.errors import SourceError
    from aslrun.validation import validate_definition

    machine_type = machine_type.upper()
    blank = definition.path is not None and _is_blank(definition.path)
    try:
        if blank:
            # AWS answers an empty definition with SCHEMA_VALIDATION_FAILED, not a JSON syntax error.
            diagnostics = validate_definition("", type=machine_type)
        else:
            source = definition.read()
            diagnostics = validate_definition(source.value, type=machine_type, resources=_declared_resources())
        if not blank and not any(d.severity == "ERROR" for d in diagnostics):
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


def _declared_resources() -> Any:
    """Accepts the Task resources the installed integration plugins add to AWS's."""
    from aslrun.integrations.registry import IntegrationRegistry

    return IntegrationRegistry().declares


def _is_blank(path: Path) -> bool:
    """An existing file holding nothing but white space (an unreadable one is left to read_definition)."""
    try:
        return path.is_file() and not path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return False
