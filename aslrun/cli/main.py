"""The ``aslrun`` command group and its console-script entry point.

Each command lives in its own module (``run``, ``validate``, ``test-state``, ``debug``, ``cluster``)
and imports only :mod:`~aslrun.cli.common`, :mod:`~aslrun.cli.options` and :mod:`~aslrun.cli.render`;
this module imports them and registers them.

Exit codes: 0 the execution succeeded (or the definition is valid); 1 the execution
failed, timed out or was aborted; 2 bad usage, bad input or an invalid definition;
3 an internal error.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from aslrun.cli.cluster import cluster
from aslrun.cli.common import UsageGroup, escape, fail, json_text, stderr_console
from aslrun.cli.debug import debug
from aslrun.cli.graph import graph
from aslrun.cli.policy import policy
from aslrun.cli.run import run
from aslrun.cli.teststate import test_state
from aslrun.cli.validate import validate
from aslrun.errors import AslrunError

__all__ = ["INTERNAL_ERROR_EXIT", "cli", "main"]

#: the exit code of an internal error (a bug in aslrun), apart from 1 (the execution failed) and 2 (usage)
INTERNAL_ERROR_EXIT = 3


@click.group(cls=UsageGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aslrun", prog_name="aslrun")
@click.option("--debug", is_flag=True,
              help="On an internal error (a bug in aslrun, exit code 3), print the Python traceback too. "
                   "Also accepted after the command (aslrun run m.json --debug).")
def cli(debug: bool) -> None:
    """Run AWS Step Functions state machines locally, exactly as the service does.

    Exit codes: 0 succeeded (or valid); 1 the execution failed, timed out or was aborted; 2 bad usage,
    bad input or an invalid definition; 3 an internal error of aslrun (a bug: please report it).
    """


cli.add_command(run)
cli.add_command(validate)
cli.add_command(test_state)
cli.add_command(debug)
cli.add_command(cluster)
cli.add_command(graph)
cli.add_command(policy)


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
        fail(exc, as_json)
    except Exception as exc:
        _internal_error(exc, debug, as_json)


def _internal_error(exc: BaseException, debug: bool, as_json: bool) -> NoReturn:
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
    if as_json:
        click.echo(json_text({"status": "ERROR", "error": "aslrun.InternalError", "cause": what}))
    console = stderr_console()
    if debug:
        import traceback

        console.print(escape("".join(traceback.format_exception(exc))), end="")
    console.print(f"[bold red]internal error:[/bold red] {escape(what)} — this is a bug in aslrun. Please report "
                  "it with the command, the definition and its input"
                  + ("." if debug else " (add --debug for the traceback)."), soft_wrap=True)
    sys.exit(INTERNAL_ERROR_EXIT)


if __name__ == "__main__":  # pragma: no cover
    main()
