"""``aslrun debug``: run a state machine paused at its first state, under the step-through debugger.

A thin shell: it reads the options, starts the execution with a
:class:`~aslrun.debugger.repl.Debugger` listening, and exits 0 when the execution succeeded,
1 when it failed, timed out or was aborted (``quit``), 2 for bad usage or an invalid definition.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from aslrun.cli.common import check_resources, check_writable, fail, read_json_option, write_history
from aslrun.cli.options import DefinitionChoice, ExecutionOptions, definition_options, execution_options
from aslrun.errors import AslrunError

__all__ = ["debug"]


@click.command()
@definition_options
@click.option("--input", "input_", default="{}", show_default=True, metavar="JSON|@FILE|-",
              help="Execution input: inline JSON, @file, or - for stdin (then give --commands).")
@click.option("--break", "breaks", multiple=True, metavar="SPEC",
              help="Stop at STATE, type:TYPE, error[:NAME] or 'if CONDITION' (repeatable).")
@click.option("--commands", "commands_file", type=click.File("r", encoding="utf-8"), metavar="FILE",
              help="Read debugger commands from FILE (- for stdin) instead of a prompt. Commands also come "
                   "from stdin when it is not a terminal.")
@click.option("--name", help="The state machine's name (default: the file's stem).")
@click.option("--execution-name", help="The execution's name (default: a random UUID).")
@click.option("--context", "context_", metavar="JSON|@FILE", help="Extra Context object fields ($$), merged in.")
@click.option("--history", "history_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the execution history (GetExecutionHistory shape) to this file at the end.")
@execution_options
def debug(definition: DefinitionChoice, input_: str, breaks: tuple[str, ...], commands_file: TextIO | None,
          name: str | None, execution_name: str | None, context_: str | None, history_file: Path | None,
          execution: ExecutionOptions) -> None:
    """Step through DEFINITION in a debugger: it starts paused; type help at the prompt."""
    from rich.console import Console

    from aslrun.debugger.repl import Debugger, ScriptInput

    try:
        if input_ == "-" and commands_file is None:
            raise AslrunError("--input - reads the input from stdin, so the commands cannot come from there too: "
                              "give them with --commands FILE")
        input_value = read_json_option(input_, "input")
        context_value = read_json_option(context_, "context") if context_ else None
        if context_value is not None and not isinstance(context_value, dict):
            raise AslrunError("--context must be a JSON object")
        interpreter = execution.interpreter()
        loaded = definition.read()
        machine = interpreter.load(loaded, name=name or definition.machine_name(loaded))
        interpreter.mock = execution.mock_test_case(machine.name)
        check_resources(loaded, interpreter)
        if history_file is not None:
            check_writable(history_file)
        console = Console(highlight=False)
        source = None
        if commands_file is not None:
            source = ScriptInput(commands_file)
        elif not sys.stdin.isatty():
            source = ScriptInput(sys.stdin)
        debugger = Debugger(machine, console, source)  # None: a prompt with readline
        for spec in breaks:
            debugger.add_breakpoint(spec)
        running = debugger.start(interpreter, input_value, name=execution_name, context=context_value)
    except AslrunError as exc:
        fail(exc)

    with interpreter:
        result = debugger.run_execution(running)
    if history_file is not None:
        write_history(history_file, result.history)
    sys.exit(0 if result.succeeded else 1)
