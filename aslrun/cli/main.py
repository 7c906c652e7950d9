"""The ``aslrun`` command group and its console-script entry point.

Each command lives in its own module (``run``, ``validate``, ``test-state``, ``debug``, ``cluster``)
and imports only :mod:`~aslrun.cli.common`, :mod:`~aslrun.cli.options` and :mod:`~aslrun.cli.render`;
this module names them in :data:`COMMANDS` and imports one only when it is run, so ``aslrun run`` does
not pay for ``cluster``'s EKS plugin and ``aslrun --help`` imports no command at all.

Exit codes: 0 the execution succeeded (or the definition is valid); 1 the execution
failed, timed out or was aborted; 2 bad usage, bad input or an invalid definition;
3 an internal error.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from typing import Any, NoReturn

import click

from aslrun.cli.common import UsageGroup, escape, fail, json_text, stderr_console
from aslrun.errors import AslrunError

__all__ = ["COMMANDS", "INTERNAL_ERROR_EXIT", "LazyGroup", "cli", "main"]

#: the exit code of an internal error (a bug in aslrun), apart from 1 (the execution failed) and 2 (usage)
INTERNAL_ERROR_EXIT = 3

#: Every command: its name -> ("module:attribute" of the click command, the first paragraph of its help).
#: ``aslrun --help`` lists the commands from this table, so it imports none of them; running one imports
#: only its module. To add a command, add a row here (the help is the first paragraph of the command's
#: docstring; ``tests/test_startup.py`` checks that every row matches its command) — no import, no
#: ``cli.add_command`` (that still works, but makes every run import the command's module).
COMMANDS: dict[str, tuple[str, str]] = {
    "cluster": ("aslrun.cli.cluster:cluster", "The local EKS clusters of running `aslrun run` executions."),
    "debug": ("aslrun.cli.debug:debug",
              "Step through DEFINITION in a debugger: it starts paused; type help at the prompt."),
    "executions": ("aslrun.cli.executions:executions", "List and inspect the executions aslrun serve ran."),
    "graph": ("aslrun.cli.graph:graph", "Draw DEFINITION as the Step Functions console does."),
    "policy": ("aslrun.cli.policy:policy", "Print the IAM policy DEFINITION's execution role needs."),
    "run": ("aslrun.cli.run:run",
            "Run DEFINITION (JSON or YAML, or a template's state machine) and print its output."),
    "serve": ("aslrun.cli.serve:serve", "Answer the AWS Step Functions API on http://HOST:PORT (endpoint_url for "
              "boto3, --endpoint-url for aws)."),
    "test-state": ("aslrun.cli.teststate:test_state",
                   "Run one state of DEFINITION as AWS's TestState API does and print its response."),
    "validate": ("aslrun.cli.validate:validate", "Check DEFINITION and print every problem; exit 2 when there is any."),
}


class _Commands(dict):  # type: ignore[type-arg]
    """A group's commands by name; indexing one not imported yet imports it (``cli.commands["run"]``)."""

    def __init__(self, group: LazyGroup, commands: Mapping[str, click.Command]) -> None:
        super().__init__(commands)
        self._group = group

    def __missing__(self, name: str) -> click.Command:
        command = self._group.load(name)
        if command is None:
            raise KeyError(name)
        return command


class LazyGroup(UsageGroup):
    """A command group that imports a command's module the first time the command is asked for.

    ``lazy`` maps a command name to ``("module:attribute", short help)``; commands added with
    :meth:`add_command` work as in any click group.
    """

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})
        self.commands = _Commands(self, self.commands)

    def load(self, name: str) -> click.Command | None:
        """The command ``name``, importing its module if the table names it; None for an unknown name."""
        command = self.commands.get(name)
        if command is None and name in self.lazy:
            module, _, attribute = self.lazy[name][0].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            self.add_command(command, name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own listing, with the table's help standing in for a command not imported yet
        rows = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name) or click.Command(name, help=self.lazy[name][1])
            if not command.hidden:
                rows.append((name, command))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in rows])


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aslrun", prog_name="aslrun")
@click.option("--debug", is_flag=True,
              help="On an internal error (a bug in aslrun, exit code 3), print the Python traceback too. "
                   "Also accepted after the command (aslrun run m.json --debug).")
def cli(debug: bool) -> None:
    """Run AWS Step Functions state machines locally, exactly as the service does.

    Exit codes: 0 succeeded (or valid); 1 the execution failed, timed out or was aborted; 2 bad usage,
    bad input or an invalid definition; 3 an internal error of aslrun (a bug: please report it).
    """


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
