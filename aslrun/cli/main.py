"""The ``aslrun`` command: thin click commands over the Python API.

Exit codes: 0 the execution succeeded (or the definition is valid); 1 the execution
failed, timed out or was aborted; 2 bad usage, bad input or an invalid definition.
"""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from aslrun.errors import AslrunError, DefinitionError
from aslrun.source import read_input

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
        click.echo(json.dumps(payload, ensure_ascii=False))
    console = _stderr()
    if isinstance(error, DefinitionError):
        from aslrun.cli.render import render_diagnostics

        render_diagnostics(console, error.diagnostics, error.source_name)
    else:
        console.print(f"[bold red]error:[/bold red] {_escape(str(error))}")
    sys.exit(error.exit_code)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _read_json_option(value: str, what: str) -> Any:
    """``inline JSON``, ``@file`` or ``-`` (stdin)."""
    if value == "-":
        text = sys.stdin.read()
        where = f"{what} from stdin"
    elif value.startswith("@"):
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise AslrunError(f"{what} file not found: {path}") from None
        except OSError as exc:
            raise AslrunError(f"cannot read {what} file {path}: {exc.strerror}") from None
        where = f"{what} file {path}"
    else:
        text = value
        where = what
    return read_input(text, where)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aslrun", prog_name="aslrun")
def cli() -> None:
    """Run AWS Step Functions state machines locally, exactly as the service does."""


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
@click.option("--clock", type=click.Choice(["auto", "virtual", "real"]), default="auto", show_default=True,
              help="virtual: Waits and retries take no real time; real: they really wait; "
                   "auto: virtual unless a Task talks to a real remote system.")
@click.option("--seed", type=int, help="Seed for jitter, UUIDs and random numbers (reproducible runs).")
@click.option("--no-history-limit", is_flag=True, help="Lift AWS's 25,000-event history limit.")
@click.option("--mock-config", type=click.Path(dir_okay=False, path_type=Path),
              help="Mocked responses in the Step Functions Local MockConfigFile format "
                   "(default: $SFN_MOCK_CONFIG when --test-case is given).")
@click.option("--test-case", help="The test case of the mock config to use (needs --mock-config).")
@click.option("--hybrid", is_flag=True, help="Task states the test case does not mock call the real integrations.")
@click.option("--show-variables", is_flag=True, help="Print the execution's final variables (Assign) on stderr.")
@click.option("--eks-backend", type=click.Choice(["local", "aws", "kubeconfig", "fake"]),
              help="Where eks:* tasks go: local (default: an embedded EKS and a Kubernetes API per cluster on "
                   "127.0.0.1, nothing to install, torn down when the run ends), aws (EKS and the task's Endpoint "
                   "with an EKS token from your AWS credentials), kubeconfig (kubeconfig contexts; implied by "
                   "--eks-kubeconfig) or fake (in memory).")
@click.option("--jobs", "jobs", type=click.Choice(["simulate", "process", "docker"]), default="simulate",
              show_default=True,
              help="With the embedded local EKS backend, how Job containers run: simulate (nothing runs), process "
                   "(command+args as a host subprocess, in bubblewrap when installed) or docker.")
@click.option("--eks-kubeconfig", "eks_kubeconfig", multiple=True, metavar="NAME=CONTEXT",
              help="With --eks-backend kubeconfig: send tasks for cluster NAME to kubeconfig context CONTEXT "
                   "(repeatable; NAME * for every cluster).")
@click.option("--quiet", "-q", is_flag=True, help="No live view on stderr.")
def run(definition: Path, input_: str, name: str | None, execution_name: str | None, context_: str | None,
        as_json: bool, history_file: Path | None, clock: str, seed: int | None, no_history_limit: bool,
        mock_config: Path | None, test_case: str | None, hybrid: bool, show_variables: bool,
        eks_backend: str | None, eks_kubeconfig: tuple[str, ...], jobs: str, quiet: bool) -> None:
    """Run DEFINITION (JSON or YAML) and print its output."""
    from aslrun import defaults
    from aslrun.cli.render import LiveView, render_result_summary
    from aslrun.interpreter import Interpreter

    try:
        input_value = _read_json_option(input_, "input")
        context_value = _read_json_option(context_, "context") if context_ else None
        if context_value is not None and not isinstance(context_value, dict):
            raise AslrunError("--context must be a JSON object")
        interpreter = Interpreter(
            clock=clock,
            seed=seed,
            history_limit=None if no_history_limit else defaults.MAX_HISTORY_EVENTS,
            options={**_eks_options(eks_backend, eks_kubeconfig, jobs), "eks.jobs": jobs},
        )
        machine = interpreter.load(definition, name=name)
        interpreter.mock = _mock_test_case(mock_config, test_case, hybrid, machine.name)
        listeners = []
        view = None
        if not quiet and not as_json:
            view = LiveView(_stderr())
            listeners.append(view)
        execution = interpreter.start(machine, input_value, name=execution_name, listeners=listeners,
                                      context=context_value)
        if history_file is not None:
            _check_writable(history_file)
    except AslrunError as exc:
        _fail(exc, as_json)

    previous = signal.getsignal(signal.SIGINT)
    interrupted = []

    def on_interrupt(signum: int, frame: Any) -> None:
        # First Ctrl-C stops the execution cleanly (ABORTED, history kept); a second one exits at once.
        # Nothing is printed here: the handler may run in the middle of the live view's own write.
        signal.signal(signal.SIGINT, previous)
        interrupted.append(True)
        execution.abort()

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        result = execution.run()
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        _stderr().print("[yellow]interrupted: the execution was aborted[/yellow]")

    if history_file is not None:
        try:
            history_file.write_text(json.dumps({"events": result.history}, indent=2, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
        except OSError as exc:
            _fail(AslrunError(f"cannot write history to {history_file}: {exc.strerror}"))
    if show_variables:
        from aslrun.cli.render import render_variables

        render_variables(_stderr(), result.variables)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False))
    else:
        if view is not None:
            view.finish(result)
        else:
            render_result_summary(_stderr(), result)
        if result.succeeded:
            click.echo(json.dumps(result.output, indent=2, ensure_ascii=False))
    sys.exit(0 if result.succeeded else 1)


def _eks_options(backend: str | None, kubeconfig: tuple[str, ...], jobs: str = "simulate") -> dict[str, Any]:
    if kubeconfig and backend is None:
        backend = "kubeconfig"
    if kubeconfig and backend != "kubeconfig":
        raise AslrunError(f"--eks-kubeconfig names kubeconfig contexts: it needs --eks-backend kubeconfig, not {backend}")
    if jobs != "simulate" and backend not in (None, "local"):
        raise AslrunError(f"--jobs {jobs} runs Job containers on the local EKS: it needs --eks-backend local "
                          f"(the default), not {backend}")
    options: dict[str, Any] = {"eks.backend": backend} if backend else {}
    contexts = {}
    for item in kubeconfig:
        cluster, sep, context = item.partition("=")
        if not sep or not cluster or not context:
            raise AslrunError(f"--eks-kubeconfig {item!r}: expected NAME=CONTEXT (a cluster name and a kubeconfig context)")
        contexts[cluster] = context
    if contexts:
        options["eks.kubeconfig"] = contexts
    return options


def _check_writable(path: Path) -> None:
    """Fail before the run, not after it, when the history file cannot be written."""
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise AslrunError(f"cannot write history to {path}: {exc.strerror}") from None


def _mock_test_case(path: Path | None, test_case: str | None, hybrid: bool, machine_name: str) -> Any:
    from aslrun.integrations.mock import MockConfig, find_mock_config

    if path is None and test_case is None:
        if hybrid:
            raise AslrunError("--hybrid needs --mock-config and --test-case")
        return None
    found = find_mock_config(path)
    if found is None:
        raise AslrunError("--test-case needs --mock-config FILE (or the SFN_MOCK_CONFIG environment variable)")
    if test_case is None:
        raise AslrunError(f"--mock-config {found} needs --test-case NAME: which test case of it to use")
    return MockConfig.load(found).test_case(machine_name, test_case).with_hybrid(hybrid)


@cli.command()
@click.argument("definition", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the diagnostics as JSON on stdout.")
def validate(definition: Path, as_json: bool) -> None:
    """Check DEFINITION and print every problem; exit 2 when there is any."""
    from aslrun.cli.render import render_diagnostics
    from aslrun.errors import SourceError
    from aslrun.source import read_definition
    from aslrun.validate import validate_definition

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
        click.echo(json.dumps({"result": "FAIL" if errors else "OK",
                               "diagnostics": [d.to_json() for d in diagnostics]}, ensure_ascii=False))
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


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="aslrun", standalone_mode=True)
    except AslrunError as exc:  # pragma: no cover - commands handle their own
        _fail(exc)


if __name__ == "__main__":  # pragma: no cover
    main()
