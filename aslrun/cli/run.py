"""``aslrun run``: run a state machine and print its output (or, with ``--json``, one result object).

Exit codes: 0 the execution succeeded; 1 it failed, timed out or was aborted; 2 bad usage, bad input
or an invalid definition.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from aslrun.cli.common import (
    check_resources,
    check_writable,
    fail,
    json_text,
    read_json_option,
    stderr_console,
    write_history,
)
from aslrun.cli.options import DefinitionChoice, ExecutionOptions, definition_options, execution_options
from aslrun.errors import AslrunError

__all__ = ["run"]


@click.command()
@definition_options
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
@click.option("--answer-tokens", "answer_tokens", metavar="JSON|@FILE",
              help='Answer .waitForTaskToken Tasks by state name: {"Approve": {"output": {...}}} or '
                   '{"Approve": {"error": "...", "cause": "..."}} (a list: one per token, the last repeats). '
                   "On a terminal, tokens without one are asked for at a prompt.")
@click.option("--store", "store_dir", is_flag=False, flag_value="", default=None, metavar="[DIR]",
              help="Record the run in aslrun serve's store (DIR, default its data directory): "
                   "'aslrun executions list' shows it.")
@execution_options
def run(definition: DefinitionChoice, input_: str, name: str | None, execution_name: str | None, context_: str | None,
        as_json: bool, history_file: Path | None, show_variables: bool, quiet: bool, answer_tokens: str | None,
        store_dir: str | None, execution: ExecutionOptions) -> None:
    """Run DEFINITION (JSON or YAML, or a template's state machine) and print its output.

    Ctrl-C or SIGTERM aborts the execution cleanly (status ABORTED, --history written, exit 1);
    a second one exits at once. A .waitForTaskToken Task is answered from --answer-tokens or, when
    stdin is a terminal, at a prompt (s JSON, f ERROR CAUSE, h); stdin is never read otherwise.
    """
    view = None
    if not (quiet or as_json):  # rich's live view is not imported under --json or --quiet
        from aslrun.cli.render import LiveView

        view = LiveView(stderr_console())
    try:
        input_value = read_json_option(input_, "input")
        context_value = read_json_option(context_, "context") if context_ else None
        if context_value is not None and not isinstance(context_value, dict):
            raise AslrunError("--context must be a JSON object")
        # The local EKS says which containers it starts; in the live view, or nowhere under --quiet/--json.
        echo = view.notice if view is not None else _discard
        local = execution.backend in (None, "local")  # the local EKS is the default backend
        interpreter = execution.interpreter(options={"eks.local.echo": echo} if local else None)
        source = definition.read()
        machine = interpreter.load(source, name=name or definition.machine_name(source))
        interpreter.mock = execution.mock_test_case(machine.name)
        check_resources(source, interpreter)
        tokens = _token_answers(answer_tokens, machine, view)
        listeners = [listener for listener in (view, tokens) if listener is not None]
        running = interpreter.start(machine, input_value, name=execution_name, listeners=listeners,
                                    context=context_value)
        if history_file is not None:
            check_writable(history_file)
        recorder = _recorder(store_dir, running, machine, input_value) if store_dir is not None else None
    except AslrunError as exc:
        fail(exc, as_json)

    with interpreter, _abort_on_signals(running) as interrupted:
        try:
            result = running.run()
        finally:
            if tokens is not None:
                tokens.close()
            if view is not None:
                view.close()
    if interrupted:
        stderr_console().print(f"[yellow]{interrupted[0]}: the execution was aborted[/yellow]")
    if recorder is not None:
        recorder.finish(result)

    if history_file is not None:
        write_history(history_file, result.history)
    if show_variables:
        from aslrun.cli.render import render_variables

        render_variables(stderr_console(), result.variables)
    if as_json:
        click.echo(json_text(result.to_json()))
    else:
        if view is not None:
            view.finish(result)
        else:
            from aslrun.cli.render import render_result_summary

            render_result_summary(stderr_console(), result)
        if result.succeeded:
            click.echo(json_text(result.output, indent=2))
    sys.exit(0 if result.succeeded else 1)


def _token_answers(answer_tokens: str | None, machine: Any, view: Any) -> Any:
    """Who answers the run's task tokens: --answer-tokens, and the person at the prompt when stdin is a terminal
    (None: nobody, and rich stays unimported under --json and --quiet)."""
    interactive = sys.stdin.isatty()
    if answer_tokens is None and not interactive and view is None:
        return None
    from aslrun.cli.render import TokenAnswers, read_answers

    answers = read_answers(read_json_option(answer_tokens, "answer-tokens"), machine.all_states()) \
        if answer_tokens is not None else {}
    if view is not None:
        view.prompting = interactive
    console = stderr_console() if interactive or view is not None else None
    return TokenAnswers(answers, console, interactive=interactive)


def _recorder(store_dir: str, running: Any, machine: Any, input_value: Any) -> Any:
    """--store: the run's row in aslrun serve's store, written before it runs."""
    from aslrun.server.record import RunRecorder
    from aslrun.server.store import default_data_dir

    return RunRecorder(store_dir or default_data_dir(), running, machine, input_value)


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
