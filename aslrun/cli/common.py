"""What every ``aslrun`` command shares: reading JSON options, printing errors, writing JSON.

Command modules import from here (and from :mod:`~aslrun.cli.options` and :mod:`~aslrun.cli.render`),
never from :mod:`~aslrun.cli.main`, which imports them to register them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from aslrun.errors import AslrunError, DefinitionError
from aslrun.source import read_input, read_input_file

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "UsageGroup",
    "check_resources",
    "check_writable",
    "escape",
    "fail",
    "json_text",
    "read_json_option",
    "stderr_console",
    "write_history",
]


def stderr_console() -> Console:
    """A rich console on stderr, without syntax highlighting (messages are not code)."""
    from rich.console import Console  # rich only when there is something to print: not under --json

    return Console(stderr=True, highlight=False)


def escape(text: str) -> str:
    """``text`` with rich markup escaped, for printing user-given text."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def json_text(value: Any, indent: int | None = None) -> str:
    """``value`` as RFC 8259 JSON text that UTF-8 can carry.

    Non-ASCII characters stay as they are, except when the text holds a lone surrogate (which UTF-8
    cannot encode): then every non-ASCII character is escaped. NaN and infinities are not JSON and
    raise ``ValueError`` (an internal error: no execution produces them).
    """
    text = json.dumps(value, indent=indent, ensure_ascii=False, allow_nan=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, indent=indent, ensure_ascii=True, allow_nan=False)
    return text


def fail(error: AslrunError, as_json: bool = False) -> NoReturn:
    """Print an aslrun error on stderr (rich) and exit with its code.

    With ``--json`` stdout still gets exactly one object, so a script always has something to parse.
    """
    if as_json:
        payload: dict[str, Any] = {"status": "INVALID" if isinstance(error, DefinitionError) else "ERROR",
                                   "error": type(error).__name__, "cause": str(error)}
        if isinstance(error, DefinitionError):
            payload["diagnostics"] = [d.to_json() for d in error.diagnostics]
        click.echo(json_text(payload))
    console = stderr_console()
    if isinstance(error, DefinitionError):
        from aslrun.cli.render import render_diagnostics

        render_diagnostics(console, error.diagnostics, error.source_name)
    else:
        console.print(f"[bold red]error:[/bold red] {escape(str(error))}")
    sys.exit(error.exit_code)


def read_json_option(value: str, what: str) -> Any:
    """``inline JSON``, ``@file`` or ``-`` (stdin); every problem is an :class:`~aslrun.errors.InputError`."""
    if value == "-":
        return read_input(sys.stdin.buffer.read(), f"{what} from stdin")
    if value.startswith("@"):
        return read_input_file(Path(value[1:]), what)
    return read_input(value, what)


def check_writable(path: Path) -> None:
    """Fail before the run, not after it, when the history file cannot be written."""
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise AslrunError(f"cannot write history to {path}: {exc.strerror}") from None


def write_history(path: Path, history: list[dict[str, Any]]) -> None:
    """Write ``history`` as ``{"events": [...]}`` (the GetExecutionHistory shape); exit 2 when that fails."""
    try:
        path.write_text(json_text({"events": history}, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        fail(AslrunError(f"cannot write history to {path}: {exc.strerror}"))


class _MissingCommand(click.UsageError):
    """A group called without a command: its help on stderr, exit 2 (on every click version)."""

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), file=file, err=True, color=self.ctx.color if self.ctx else None)


class UsageGroup(click.Group):
    """A command group that treats a missing command as bad usage (exit 2), not as a request for help."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            raise _MissingCommand(ctx.get_help(), ctx=ctx)
        return super().parse_args(ctx, args)


def check_resources(source: Any, interpreter: Any) -> None:
    """A Task resource AWS does not know, and no integration declares, is a definition error (as CreateStateMachine
    refuses it), before anything runs.

    A Task the MockConfigFile's test case answers is never called: its resource (often a placeholder in a test
    suite's copy of a definition) is reported as a warning, saying AWS would refuse it, and the run goes on.
    """
    from aslrun.errors import DefinitionError
    from aslrun.validation import validate_definition

    mocked = set(interpreter.mock.states) if interpreter.mock is not None else set()
    found = validate_definition(source.value, resources=interpreter.integrations.declares)
    errors = [d for d in found if d.severity == "ERROR"]
    answered = [d for d in errors if d.state in mocked and d.location.endswith("/Resource")]
    for d in answered:
        click.echo(f"aslrun: warning: {d.format()} The state is answered by the mock test case, so the run goes on; "
                   "AWS would refuse this definition.", err=True)
    errors = [d for d in errors if d not in answered]
    if errors:
        raise DefinitionError(errors, source.name)
