"""``aslrun graph``: draw a state machine (Mermaid, DOT, or SVG/PNG through Graphviz).

With ``--history`` (a file ``aslrun run --history`` wrote) the states the run went through are green,
the failed ones red, each with how often it ran. Exit 2 on an invalid definition, an unreadable
history, or SVG/PNG without Graphviz installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from aslrun.cli.common import fail, stderr_console
from aslrun.cli.options import DefinitionChoice, definition_options
from aslrun.errors import AslrunError

__all__ = ["graph"]


@click.command()
@definition_options
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg", "png"]), default="mermaid",
              show_default=True, help="Mermaid or DOT text, or a picture drawn by Graphviz's dot (SVG, PNG).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout (PNG needs one).")
@click.option("--history", "history_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Colour the run recorded in this file (aslrun run --history): its path, failed state, counts.")
@click.option("--name", help="The state machine's name (default: the template's name for it, else the file's stem).")
def graph(definition: DefinitionChoice, fmt: str, output: Path | None, history_file: Path | None, name: str | None) -> None:
    """Draw DEFINITION as the Step Functions console does.

    Choice edges carry their rule, Catch edges are dashed and carry their errors, Retry is noted on
    the state, Parallel branches and Map processors are nested boxes.
    """
    from aslrun.graph import overlay_from_history, render, to_dot, to_mermaid
    from aslrun.parser import parse
    from aslrun.source import read_input_file

    try:
        if fmt == "png" and output is None:
            raise AslrunError("--format png writes binary data: give --output FILE")
        source = definition.read()
        machine = parse(source.value, name=name or definition.machine_name(source), source_name=source.name)
        overlay = overlay_from_history(read_input_file(history_file, "history")) if history_file else None
        if fmt == "mermaid":
            data = to_mermaid(machine, overlay).encode("utf-8")
        else:
            data = to_dot(machine, overlay).encode("utf-8")
            if fmt in ("svg", "png"):
                data = render(data.decode("utf-8"), fmt)
        if output is not None:
            try:
                output.write_bytes(data)
            except OSError as exc:
                raise AslrunError(f"cannot write {output}: {exc.strerror}") from None
            stderr_console().print(f"[green]✓[/green] wrote {fmt} to {output}", soft_wrap=True, markup=True)
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
    except AslrunError as exc:
        fail(exc)
    sys.exit(0)
