"""The ``aslrun`` command: thin click commands over the Python API.

Exit codes: 0 the execution succeeded (or the definition is valid); 1 the execution
failed, timed out or was aborted; 2 bad usage, bad input or an invalid definition.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from aslrun.cli.options import ExecutionOptions, execution_options
from aslrun.errors import AslrunError, DefinitionError
from aslrun.source import read_input, read_input_file

__all__ = ["cli", "main"]


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _fail(error: AslrunError, as_json: bool = False) -> NoReturn:
    """Print an aslrun error on stderr (rich) and exit with its code.

    With ``--json`` stdout still gets exactly one object, so a script always has something to parse.
    """
    if as_json:
        payload: dict[str, Any] = {"status": "INVALID" if isinstance(error, DefinitionError) else "ERROR",
                                   "error": type(error).__name__, "cause": str(error)}
        if isinstance(error, DefinitionError):
            payload["diagnostics"] = [d.to_json() for d in error.diagnostics]
        click.echo(json_text(payload))
    console = _stderr()
    if isinstance(error, DefinitionError):
        from aslrun.cli.render import render_diagnostics

        render_diagnostics(console, error.diagnostics, error.source_name)
    else:
        console.print(f"[bold red]error:[/bold red] {_escape(str(error))}")
    sys.exit(error.exit_code)


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


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _read_json_option(value: str, what: str) -> Any:
    """``inline JSON``, ``@file`` or ``-`` (stdin); every problem is an :class:`~aslrun.errors.InputError`."""
    if value == "-":
        return read_input(sys.stdin.buffer.read(), f"{what} from stdin")
    if value.startswith("@"):
        return read_input_file(Path(value[1:]), what)
    return read_input(value, what)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aslrun", prog_name="aslrun")
@click.option("--debug", is_flag=True,
              help="On an internal error (a bug in aslrun, exit code 3), print the Python traceback too. "
                   "Also accepted after the command (aslrun run m.json --debug).")
def cli(debug: bool) -> None:
    """Run AWS Step Functions state machines locally, exactly as the service does.

    Exit codes: 0 succeeded (or valid); 1 the execution failed, timed out or was aborted; 2 bad usage,
    bad input or an invalid definition; 3 an internal error of aslrun (a bug: please report it).
    """


@cli.command()
@click.argument("definition", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--input", "input_", default="{}", show_default=True, metavar="JSON|@FILE|-",
              help="Execution input: inline JSON, @file, or - for stdin.")
@click.option("--name", help="The state machine's name (default: the file's stem).")
@click.option("--execution-name", help="The execution's name (default: a random UUID).")
@click.option("--context", "context_", metavar="JSON|@FILE", help="Extra Context object fields ($$), merged in.")
@click.option("--json", "as_json", is_flag=True,
              help='Print only {"status": ..., "output"|"error","cause": ...} on stdout.')
@click.option("--history", "history_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the execution history (GetExecutionHistory shape) to this file.")
@click.option("--show-variables", is_flag=True, help="Print the execution's final variables (Assign) on stderr.")
@click.option("--quiet", "-q", is_flag=True, help="No live view on stderr (errors only).")
@execution_options
def run(definition: Path, input_: str, name: str | None, execution_name: str | None, context_: str | None,
        as_json: bool, history_file: Path | None, show_variables: bool, quiet: bool,
        execution: ExecutionOptions) -> None:
    """Run DEFINITION (JSON or YAML) and print its output.

    Ctrl-C or SIGTERM aborts the execution cleanly (status ABORTED, --history written, exit 1);
    a second one exits at once.
    """
    from aslrun.cli.render import LiveView, render_result_summary

    view = None if quiet or as_json else LiveView(_stderr())
    try:
        input_value = _read_json_option(input_, "input")
        context_value = _read_json_option(context_, "context") if context_ else None
        if context_value is not None and not isinstance(context_value, dict):
            raise AslrunError("--context must be a JSON object")
        # The local EKS says which containers it starts; in the live view, or nowhere under --quiet/--json.
        echo = view.notice if view is not None else _discard
        local = execution.backend in (None, "local")  # the local EKS is the default backend
        interpreter = execution.interpreter(options={"eks.local.echo": echo} if local else None)
        machine = interpreter.load(definition, name=name)
        interpreter.mock = execution.mock_test_case(machine.name)
        running = interpreter.start(machine, input_value, name=execution_name,
                                    listeners=[view] if view is not None else [], context=context_value)
        if history_file is not None:
            _check_writable(history_file)
    except AslrunError as exc:
        _fail(exc, as_json)

    with interpreter, _abort_on_signals(running) as interrupted:
        try:
            result = running.run()
        finally:
            if view is not None:
                view.close()
    if interrupted:
        _stderr().print(f"[yellow]{interrupted[0]}: the execution was aborted[/yellow]")

    if history_file is not None:
        try:
            history_file.write_text(json_text({"events": result.history}, indent=2) + "\n",
                                    encoding="utf-8")
        except OSError as exc:
            _fail(AslrunError(f"cannot write history to {history_file}: {exc.strerror}"))
    if show_variables:
        from aslrun.cli.render import render_variables

        render_variables(_stderr(), result.variables)
    if as_json:
        click.echo(json_text(result.to_json()))
    else:
        if view is not None:
            view.finish(result)
        else:
            render_result_summary(_stderr(), result)
        if result.succeeded:
            click.echo(json_text(result.output, indent=2))
    sys.exit(0 if result.succeeded else 1)


def _discard(text: str) -> None:
    """Say nothing (--quiet, --json)."""


_SIGNALS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


@contextlib.contextmanager
def _abort_on_signals(execution: Any) -> Iterator[list[str]]:
    """Ctrl-C (SIGINT) and SIGTERM abort ``execution`` cleanly; a second signal has its usual effect.

    Yields a list that holds the first signal's description once one came. Nothing is printed in
    the handler: it may run in the middle of the live view's own write.
    """
    previous = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    interrupted: list[str] = []

    def on_signal(signum: int, frame: Any) -> None:
        for number, handler in previous.items():
            signal.signal(number, handler)
        interrupted.append(_SIGNALS[signal.Signals(signum)])
        execution.abort()

    for signum in _SIGNALS:
        signal.signal(signum, on_signal)
    try:
        yield interrupted
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _check_writable(path: Path) -> None:
    """Fail before the run, not after it, when the history file cannot be written."""
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise AslrunError(f"cannot write history to {path}: {exc.strerror}") from None


@cli.command()
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
        _fail(exc)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    if as_json:
        click.echo(json_text({"result": "FAIL" if errors else "OK",
                               "diagnostics": [d.to_json() for d in diagnostics]}))
    elif diagnostics:
        render_diagnostics(_stderr(), diagnostics, str(definition))
        if not errors:
            _stderr().print(f"[green]✓[/green] {_escape(str(definition))} is a valid state machine (with warnings)")
    else:
        _stderr().print(f"[green]✓[/green] {_escape(str(definition))} is a valid state machine")
    sys.exit(2 if errors else 0)


cli.add_command(__import__("aslrun.cli.teststate", fromlist=["test_state"]).test_state)


cli.add_command(__import__("aslrun.cli.debug", fromlist=["debug"]).debug)
cli.add_command(__import__("aslrun.cli.cluster", fromlist=["cluster"]).cluster)


#: the exit code of an internal error (a bug in aslrun), apart from 1 (the execution failed) and 2 (usage)
INTERNAL_ERROR_EXIT = 3


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    An exception that is not an aslrun error is a bug: one line on stderr saying what failed and how to
    report it (the traceback with ``--debug``), one JSON object on stdout under ``--json``, exit code 3.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    as_json = "--json" in args
    try:
        # --debug is taken wherever it stands, before or after the command
        cli.main(args=[a for a in args if a != "--debug"], prog_name="aslrun", standalone_mode=True)
    except AslrunError as exc:  # pragma: no cover - commands handle their own
        _fail(exc, as_json)
    except Exception as exc:
        _internal_error(exc, debug, as_json)


def _internal_error(exc: BaseException, debug: bool, as_json: bool) -> NoReturn:
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    if as_json:
        click.echo(json_text({"status": "ERROR", "error": "aslrun.InternalError", "cause": what}))
    console = _stderr()
    if debug:
        import traceback

        console.print(_escape("".join(traceback.format_exception(exc))), end="")
    console.print(f"[bold red]internal error:[/bold red] {_escape(what)} — this is a bug in aslrun. Please report "
                  "it with the command, the definition and its input"
                  + ("." if debug else " (add --debug for the traceback)."), soft_wrap=True)
    sys.exit(INTERNAL_ERROR_EXIT)


if __name__ == "__main__":  # pragma: no cover
    main()
