"""``aslrun test-state``: the TestState API locally, as a thin shell over :func:`aslrun.teststate.test_state`.

Prints the TestState response (``output``, ``error``, ``cause``, ``inspectionData``, ``nextState``,
``status``) as JSON on stdout. Exit codes: 0 SUCCEEDED or CAUGHT_ERROR; 1 FAILED or RETRIABLE;
2 bad usage, bad input or an invalid definition.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from aslrun.cli.common import fail, json_text, read_json_option
from aslrun.cli.options import DefinitionChoice, ExecutionOptions, definition_options, execution_options
from aslrun.errors import AslrunError, InputError

__all__ = ["test_state"]

_EXIT = {"SUCCEEDED": 0, "CAUGHT_ERROR": 0, "FAILED": 1, "RETRIABLE": 1}


@click.command("test-state")
@definition_options
@click.option("--state", "state_name", metavar="NAME",
              help="The state to test when DEFINITION is a whole state machine (nested states too).")
@click.option("--input", "input_", default="{}", show_default=True, metavar="JSON|@FILE|-",
              help="The state's input: inline JSON, @file, or - for stdin.")
@click.option("--inspection-level", type=click.Choice(["INFO", "DEBUG", "TRACE"], case_sensitive=False),
              default="INFO", show_default=True, help="DEBUG and TRACE add inspectionData (each data-flow step).")
@click.option("--mock", metavar="JSON|@FILE",
              help='Task/Map/Parallel only: {"result": <JSON>} or {"errorOutput": {"error": ..., "cause": ...}}.')
@click.option("--context", "context_", metavar="JSON|@FILE", help="Context object fields ($$), merged in.")
@click.option("--variables", metavar="JSON|@FILE", help="Variables in scope, as a JSON object.")
@click.option("--retrier-retry-count", type=click.IntRange(min=0), metavar="N",
              help="Retries already made (stateConfiguration.retrierRetryCount).")
@click.option("--name", help="The state machine's name in the context object (default: the file's stem).")
@execution_options
def test_state(definition: DefinitionChoice, state_name: str | None, input_: str, inspection_level: str, mock: str | None,
               context_: str | None, variables: str | None, retrier_retry_count: int | None, name: str | None,
               execution: ExecutionOptions) -> None:
    """Run one state of DEFINITION as AWS's TestState API does and print its response.

    DEFINITION is one state (a JSON/YAML object with "Type") or a whole state machine with --state.
    """
    from aslrun.teststate import test_state as run_test_state

    try:
        input_value = read_json_option(input_, "input")
        mock_value = read_json_option(mock, "mock") if mock is not None else None
        context_value = _object_option(context_, "context")
        variables_value = _object_option(variables, "variables")
        source = definition.read()
        name = name or definition.machine_name(source)
        with execution.interpreter() as interpreter:
            if execution.mock_config is not None or execution.test_case is not None:
                interpreter.mock = execution.mock_test_case(name)
            result = run_test_state(
                source, input_value, state_name=state_name, mock=mock_value, inspection_level=inspection_level,
                context=context_value, variables=variables_value, retrier_retry_count=retrier_retry_count,
                interpreter=interpreter, name=name,
            )
    except AslrunError as exc:
        fail(exc)
    click.echo(json_text(result.to_json(), indent=2))
    sys.exit(_EXIT[result.status])


def _object_option(value: str | None, what: str) -> Any:
    if value is None:
        return None
    parsed = read_json_option(value, what)
    if not isinstance(parsed, dict):
        raise InputError(f"--{what} must be a JSON object")
    return parsed
