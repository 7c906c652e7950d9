"""All rich rendering of the CLI: the live view of an execution, diagnostics, results."""

from __future__ import annotations

import json
import time
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from aslrun.effects import Event
from aslrun.errors import Diagnostic
from aslrun.execution import Execution, ExecutionResult

__all__ = ["LiveView", "render_diagnostics", "render_result_summary", "render_variables"]

_STATUS_STYLE = {"SUCCEEDED": "bold green", "FAILED": "bold red", "TIMED_OUT": "bold red", "ABORTED": "bold yellow"}


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class LiveView:
    """Prints states as they are entered and exited, with timings, on a (stderr) console.

    After ``max_lines`` state lines it stops printing each one and keeps a running
    count instead, so a 10,000-iteration loop does not flood the terminal.
    """

    def __init__(self, console: Console, max_lines: int = 200, show_data: bool = True) -> None:
        self.console = console
        self.max_lines = max_lines
        self.show_data = show_data
        self.lines = 0
        self.transitions = 0
        self.suppressed = 0
        self._entered: dict[tuple[Any, ...], float] = {}
        self._last_note = 0.0

    def __call__(self, execution: Execution, event: Event) -> None:
        etype = event.type
        scope = event.scope
        depth = max(len(scope) - 1, 0) // 2
        indent = "  " * depth
        if etype.endswith("StateEntered"):
            self.transitions += 1
            self._entered[scope] = event.timestamp
            if self._room():
                name = scope[-1] if scope else "?"
                kind = etype[: -len("StateEntered")]
                self._print(Text.assemble((indent + "▶ ", "cyan"), (str(name), "bold"), (f" ({kind})", "dim")))
            return
        if etype.endswith("StateExited"):
            began = self._entered.pop(scope, None)
            took = (event.timestamp - began) if began is not None else 0.0
            if self._room():
                name = scope[-1] if scope else "?"
                line = Text.assemble((indent + "✓ ", "green"), (str(name), "bold"), (f"  {_duration(took)}", "dim"))
                if self.show_data and event.details is not None:
                    line.append("  → " + _short(event.details.get("output")), style="dim")
                self._print(line)
            return
        if etype in ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "ExecutionFailed", "MapIterationFailed",
                     "ExecutionTimedOut", "EvaluationFailed"):
            details = event.details or {}
            error = details.get("error")
            text = f"{indent}✗ {etype}"
            if error or details.get("cause"):
                text += f": {error}"
                cause = details.get("cause")
                if cause:
                    text += f" — {cause if len(str(cause)) < 300 else str(cause)[:300] + '…'}"
            self._print(Text(text, style="red"), force=True)
            return
        if etype == "TaskScheduled" and self._room():
            details = event.details or {}
            self._print(Text(f"{indent}  … {details.get('resourceType')}:{details.get('resource')}", style="dim"))

    def _room(self) -> bool:
        if self.lines < self.max_lines:
            return True
        self.suppressed += 1
        now = time.monotonic()
        if now - self._last_note > 1.0:
            self._last_note = now
            self.console.print(Text(f"  … {self.transitions} states so far", style="dim"))
        return False

    def _print(self, text: Text, force: bool = False) -> None:
        self.lines += 1
        self.console.print(text, highlight=False, soft_wrap=True)

    def finish(self, result: ExecutionResult) -> None:
        """The closing line: status, duration, number of states and events."""
        took = result.stop_time - result.start_time
        style = _STATUS_STYLE.get(result.status, "bold")
        text = Text.assemble(
            (result.status, style),
            (f"  {result.name}  ", "dim"),
            (f"{self.transitions} states, {len(result.events)} events, {_duration(took)} on the execution clock",
             "dim"),
        )
        if self.suppressed:
            text.append(f"  ({self.suppressed} lines not shown)", style="dim")
        self.console.print(text)
        if not result.succeeded and result.status != "ABORTED":
            self.console.print(Text.assemble(("error: ", "red"), (str(result.error), "bold red")))
            if result.cause:
                self.console.print(Text.assemble(("cause: ", "red"), (str(result.cause), "")), soft_wrap=True)


def render_result_summary(console: Console, result: ExecutionResult) -> None:
    """Error and cause of a failed execution (when no live view ran)."""
    if result.succeeded:
        return
    console.print(Text.assemble(("execution ", ""), (result.status, _STATUS_STYLE.get(result.status, "bold"))))
    if result.error:
        console.print(Text.assemble(("error: ", "red"), (result.error, "bold red")))
    if result.cause:
        console.print(Text.assemble(("cause: ", "red"), result.cause), soft_wrap=True)


def render_diagnostics(console: Console, diagnostics: list[Diagnostic], source_name: str | None) -> None:
    """A table of definition problems: where, what, and how to fix it."""
    count = len(diagnostics)
    errors = sum(1 for d in diagnostics if d.severity == "ERROR")
    kind = "problem" if errors else "warning"
    console.print(Text(f"{source_name or 'definition'}: {count} {kind}{'s' if count != 1 else ''}", style="bold"),
                  soft_wrap=True)
    syntax = [d for d in diagnostics if d.line is not None]
    if syntax and len(syntax) == len(diagnostics):
        # A syntax error carries an excerpt with a caret; a table cell would wrap it out of line.
        for d in syntax:
            console.print(Text(d.message), soft_wrap=True)
        return
    table = Table(show_lines=False, expand=False)
    table.add_column("location", style="cyan", no_wrap=True)
    table.add_column("state", style="bold")
    table.add_column("problem")
    for d in diagnostics:
        where = d.location
        if d.line is not None:
            where = f"line {d.line}, col {d.column}"
        message = escape(d.message)
        if d.hint:
            message += f"\n[green]{escape(d.hint)}[/green]"
        if d.severity != "ERROR":
            message = f"[yellow]{d.severity.lower()}:[/yellow] " + message
        table.add_row(escape(where), escape(d.state or ""), message)
    console.print(table)


def render_variables(console: Console, variables: dict[str, Any]) -> None:
    """The execution's final top-level variables, one per row, values as JSON."""
    if not variables:
        console.print(Text("no variables were assigned", style="dim"))
        return
    table = Table(title="variables", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("value")
    for name in sorted(variables):
        table.add_row(escape(name), escape(json.dumps(variables[name], ensure_ascii=False)))
    console.print(table)
