"""The execution options, declared once for ``run``, ``debug`` and ``test-state``.

:func:`execution_options` adds ``--clock``, ``--seed``, ``--no-history-limit``, the mock options
(``--mock-config``, ``--test-case``, ``--hybrid``), the EKS options (``--eks-backend``,
``--eks-kubeconfig``, ``--jobs``), the AWS options (``--aws``, ``--aws-setup``, ``--machine``) and the
local Lambda options (``--lambda``, ``--project``) to a command, and hands the command one
:class:`ExecutionOptions` as ``execution``.
:meth:`ExecutionOptions.interpreter` builds the :class:`~aslrun.Interpreter`; an option that does not apply (``--jobs process`` with
``--eks-backend fake``) is an :class:`~aslrun.errors.InputError` (exit 2), never ignored.

:func:`definition_options` declares where a command's definition comes from: the ``DEFINITION``
argument, or ``--template FILE [--state-machine ID]``, or ``--cdk-out DIR [--stack NAME]``, with
``--substitution KEY=VALUE`` and ``--substitutions FILE``; the command gets one
:class:`DefinitionChoice` as ``definition`` and reads it with :meth:`DefinitionChoice.read`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aslrun.errors import InputError

if TYPE_CHECKING:
    from aslrun.interpreter import Interpreter
    from aslrun.source import Source

__all__ = ["DefinitionChoice", "ExecutionOptions", "definition_options", "execution_options"]

_NAMES = ("clock", "seed", "no_history_limit", "mock_config", "test_case", "hybrid", "eks_backend",
          "eks_kubeconfig", "jobs")
#: the AWS service options (``--aws``, ``--aws-setup``, ``--machine``), read by :meth:`ExecutionOptions.aws_settings`
_AWS_NAMES = ("aws", "aws_setup", "machine")
#: the local Lambda options (``--lambda``, ``--project``, ``--workers``), read by
#: :meth:`ExecutionOptions.lambda_settings`
_LAMBDA_NAMES = ("lambdas", "project", "workers")
#: ``click`` context ``meta`` keys: a template's Lambda bindings, and the interpreters that should get them
_TEMPLATE_LAMBDAS = "aslrun.lambda.template_functions"
_INTERPRETERS = "aslrun.interpreters"


@dataclass(frozen=True)
class ExecutionOptions:
    """What the shared options said, as given (``None``: not given)."""

    clock: str = "auto"
    seed: int | None = None
    no_history_limit: bool = False
    mock_config: Path | None = None
    test_case: str | None = None
    hybrid: bool = False
    eks_backend: str | None = None
    eks_kubeconfig: tuple[str, ...] = ()
    jobs: str | None = None
    aws: tuple[str, ...] = ()
    aws_setup: Path | None = None
    machine: tuple[str, ...] = ()
    lambdas: tuple[str, ...] = ()
    project: Path | None = None
    workers: int | None = None

    def lambda_settings(self) -> dict[str, Any]:
        """``lambda.functions``: the project file's ``lambdas`` (``--project``, else ``./aslrun.yaml``),
        overridden by each ``--lambda``; ``lambda.workers`` (``--workers``)."""
        from aslrun.integrations.aws.lambda_config import PROJECT_FILE_NAMES, load_project, parse_cli_bindings

        project = self.project
        if project is None:
            project = next((Path(n) for n in PROJECT_FILE_NAMES if Path(n).is_file()), None)
        elif not project.is_file():
            raise InputError(f"--project {project}: no such file")
        functions = {**(load_project(project) if project is not None else {}), **parse_cli_bindings(self.lambdas)}
        settings: dict[str, Any] = {"lambda.functions": functions} if functions else {}
        if self.workers is not None:
            settings["lambda.workers"] = self.workers
        return settings

    def aws_settings(self) -> dict[str, Any]:
        """The ``aws.*`` interpreter options of ``--aws``, ``--aws-setup`` and ``--machine``."""
        settings: dict[str, Any] = {}
        services: dict[str, str] = {}
        for item in self.aws:
            service, sep, target = item.partition("=")
            if sep and "://" not in service:
                if not service or not target:
                    raise InputError(f"--aws {item!r}: expected local, real, a URL or SERVICE=TARGET")
                services[service] = target
            else:
                settings["aws.target"] = item
        if services:
            settings["aws.services"] = services
        if self.aws_setup is not None:
            settings["aws.setup"] = str(self.aws_setup)
        machines = {}
        for item in self.machine:
            name, sep, path = item.partition("=")
            if not sep or not name or not path:
                raise InputError(f"--machine {item!r}: expected NAME=FILE (a state machine name and its definition)")
            machines[name] = Path(path)
        if machines:
            settings["aws.machines"] = machines
        if settings.keys() - {"aws.setup", "aws.machines"}:
            from aslrun.integrations.aws.target import check_options

            check_options(settings)
        return settings

    @property
    def backend(self) -> str | None:
        """The EKS backend asked for (``--eks-kubeconfig`` implies ``kubeconfig``); None: the default."""
        if self.eks_kubeconfig and self.eks_backend is None:
            return "kubeconfig"
        return self.eks_backend

    def eks_settings(self) -> dict[str, Any]:
        """The ``eks.*`` interpreter options these flags stand for (checked against the settings table)."""
        if self.backend is None and self.jobs is None and not self.eks_kubeconfig:
            return {}  # nothing to check: a run without EKS flags does not import the EKS plugin
        from aslrun.integrations.eks.settings import SettingsError, check

        backend = self.backend
        settings: dict[str, Any] = {}
        if backend is not None:
            settings["eks.backend"] = backend
        if self.jobs is not None:
            settings["eks.jobs"] = self.jobs
        contexts = {}
        for item in self.eks_kubeconfig:
            cluster, sep, context = item.partition("=")
            if not sep or not cluster or not context:
                raise InputError(f"--eks-kubeconfig {item!r}: expected NAME=CONTEXT "
                                 "(a cluster name and a kubeconfig context)")
            contexts[cluster] = context
        if contexts:
            settings["eks.kubeconfig"] = contexts
        try:
            check(settings)
        except SettingsError as exc:
            raise InputError(_as_flags(str(exc))) from None
        return settings

    def interpreter(self, *, clock: str | None = None, options: dict[str, Any] | None = None) -> Interpreter:
        """An :class:`~aslrun.Interpreter` with these settings (``options`` added to the EKS ones)."""
        from aslrun import defaults
        from aslrun.interpreter import Interpreter

        ctx = click.get_current_context(silent=True)
        template = ctx.meta.get(_TEMPLATE_LAMBDAS, {}) if ctx is not None else {}
        interpreter = Interpreter(
            clock=clock or self.clock,
            seed=self.seed,
            history_limit=None if self.no_history_limit else defaults.MAX_HISTORY_EVENTS,
            options={**self.eks_settings(), **self.aws_settings(), **self.lambda_settings(),
                     **template, **(options or {})},
        )
        if ctx is not None:
            # A template read after this (DefinitionChoice.read) still binds its functions here.
            ctx.meta.setdefault(_INTERPRETERS, []).append(interpreter)
        return interpreter

    def mock_test_case(self, machine_name: str) -> Any:
        """The MockConfigFile test case the mock options choose (``None`` when none is chosen)."""
        from aslrun.integrations.mock import MockConfig, find_mock_config

        if self.mock_config is None and self.test_case is None:
            if self.hybrid:
                raise InputError("--hybrid needs --mock-config and --test-case")
            return None
        found = find_mock_config(self.mock_config)
        if found is None:
            raise InputError("--test-case needs --mock-config FILE (or the SFN_MOCK_CONFIG environment variable)")
        if self.test_case is None:
            raise InputError(f"--mock-config {found} needs --test-case NAME: which test case of it to use")
        return MockConfig.load(found).test_case(machine_name, self.test_case).with_hybrid(self.hybrid)


_FLAGS = {"eks.backend": "--eks-backend", "eks.jobs": "--jobs", "eks.kubeconfig": "--eks-kubeconfig"}


def _as_flags(message: str) -> str:
    for setting, flag in _FLAGS.items():
        message = message.replace(f"{setting} (", f"{flag} (").replace(f"{setting} must", f"{flag} must")
    return message


def execution_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared execution options to a click command; it gets them as ``execution``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NAMES}
        given["eks_kubeconfig"] = tuple(given["eks_kubeconfig"] or ())
        given.update({name: kwargs.pop(name) for name in _AWS_NAMES})
        given["aws"], given["machine"] = tuple(given["aws"] or ()), tuple(given["machine"] or ())
        given.update({name: kwargs.pop(name) for name in _LAMBDA_NAMES})
        given["lambdas"] = tuple(given["lambdas"] or ())
        return command(*args, execution=ExecutionOptions(**given), **kwargs)

    decorators = [
        click.option("--clock", type=click.Choice(["auto", "virtual", "real"]), default="auto", show_default=True,
                     help="virtual: Waits and retries take no real time; real: they really wait; "
                          "auto: virtual unless a Task talks to a real remote system."),
        click.option("--seed", type=int, help="Seed for jitter, UUIDs and random numbers (reproducible runs)."),
        click.option("--no-history-limit", is_flag=True, help="Lift AWS's 25,000-event history limit."),
        click.option("--mock-config", type=click.Path(dir_okay=False, path_type=Path),
                     help="Mocked responses in the Step Functions Local MockConfigFile format "
                          "(default: $SFN_MOCK_CONFIG when --test-case is given)."),
        click.option("--test-case", help="The test case of the mock config to use (needs --mock-config)."),
        click.option("--hybrid", is_flag=True,
                     help="Task states the test case does not mock call the real integrations."),
        click.option("--eks-backend", type=click.Choice(["local", "aws", "kubeconfig", "fake"]),
                     help="Where eks:* tasks go: local (default: an embedded EKS and a Kubernetes API per cluster "
                          "on 127.0.0.1, nothing to install, torn down when the run ends), aws (EKS and the "
                          "task's Endpoint with an EKS token from your AWS credentials), kubeconfig (kubeconfig "
                          "contexts; implied by --eks-kubeconfig) or fake (in memory)."),
        click.option("--eks-kubeconfig", "eks_kubeconfig", multiple=True, metavar="NAME=CONTEXT",
                     help="Send cluster NAME's Kubernetes calls to kubeconfig context CONTEXT "
                          "(implies --eks-backend kubeconfig; repeatable; NAME * for every cluster)."),
        click.option("--jobs", "jobs", type=click.Choice(["simulate", "process", "docker"]),
                     help="How the local EKS runs Job containers: simulate (the default: nothing runs), process "
                          "(each container's command on this machine in its own process group, in bubblewrap when "
                          "installed) or docker."),
        click.option("--aws", "aws", multiple=True, metavar="TARGET|SERVICE=TARGET",
                     help="Where AWS service calls go: local (default: moto's AWS in this process, no account "
                          "needed), real (your AWS credentials and region) or an endpoint URL (a moto server, "
                          "LocalStack); SERVICE=TARGET for one service, e.g. dynamodb=real (repeatable)."),
        click.option("--aws-setup", "aws_setup", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE.py",
                     help="Before the run, call setup(session) from FILE.py with a boto3 Session bound to the "
                          "--aws target (create tables, queues, buckets, secrets)."),
        click.option("--machine", "machine", multiple=True, metavar="NAME=FILE",
                     help="A child state machine for states:startExecution, named as in its StateMachineArn "
                          "(repeatable)."),
        click.option("--lambda", "lambdas", multiple=True, metavar="NAME=FILE.py:FUNCTION",
                     help="Run Lambda function NAME (a name, function ARN or version/alias ARN) with the Python "
                          "handler FUNCTION of FILE.py, in a local worker process (repeatable; overrides the "
                          "project file and a --template's own functions)."),
        click.option("--project", "project", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
                     help="A project file (YAML or JSON) whose 'lambdas' section binds functions to handlers "
                          "(default: ./aslrun.yaml when it exists)."),
        click.option("--workers", "workers", type=click.IntRange(min=1), metavar="N",
                     help="At most N worker processes per local Lambda function, so N invocations of it (the "
                          "children of a Map, say) run in parallel; more wait for a free one (default: 16, one "
                          "per concurrent invocation of an execution, as Lambda scales out)."),
    ]
    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper


# ---------------------------------------------------------------- where the definition comes from

_SOURCE_NAMES = ("definition", "template", "state_machine", "cdk_out", "stack", "substitution", "substitutions_file")


@dataclass(frozen=True)
class DefinitionChoice:
    """Where a command's definition comes from: a file, a template's state machine, or a cdk.out stack."""

    path: Path | None = None
    template: Path | None = None
    state_machine: str | None = None
    cdk_out: Path | None = None
    stack: str | None = None
    substitution: tuple[str, ...] = ()
    substitutions_file: Path | None = None

    def __str__(self) -> str:
        if self.path is not None:
            return str(self.path)
        where = str(self.template or self.cdk_out)
        if self.stack:
            where += f"#{self.stack}"
        return where + (f"#{self.state_machine}" if self.state_machine else "")

    @staticmethod
    def machine_name(source: Source) -> str:
        """The state machine's default name: the template's name for it (or its logical id), else the file's stem."""
        if source.template is not None:
            return source.template.name
        return source.path.stem if source.path is not None else "StateMachine"

    def substitutions(self) -> dict[str, str]:
        """``--substitutions FILE`` (a JSON or YAML mapping), overridden by each ``--substitution KEY=VALUE``."""
        from aslrun.source import read_definition, substitution_text

        found: dict[str, str] = {}
        if self.substitutions_file is not None:
            mapping = read_definition(self.substitutions_file, name=str(self.substitutions_file)).value
            if not isinstance(mapping, dict):
                raise InputError(f"--substitutions {self.substitutions_file}: expected a mapping of KEY: VALUE")
            found.update(substitution_text(mapping))
        for item in self.substitution:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise InputError(f"--substitution {item!r}: expected KEY=VALUE")
            found[key] = value
        return found

    def read(self, **where: str) -> Source:
        """The definition, read and substituted (a :class:`~aslrun.source.Source`); problems are AslrunErrors.

        ``where`` (``account``, ``region``, ``partition``) places a template's fake ARNs
        (default: :mod:`aslrun.defaults`); it does not change a definition file.
        """
        from aslrun.source import read_definition

        if self.path is not None:
            return read_definition(self.path, substitutions=self.substitutions())
        from aslrun.templates import read_template_definition

        source = read_template_definition(self.template, self.state_machine, cdk_out=self.cdk_out, stack=self.stack,
                                          substitutions=self.substitutions(), **where)
        _bind_template_lambdas(source)
        return source


def _bind_template_lambdas(source: Source) -> None:
    """Bind the template's local Python functions in this command's interpreters (``--lambda`` still wins)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or source.template is None:
        return
    from aslrun.integrations.aws.lambda_config import template_bindings

    settings = {"lambda.template_functions": template_bindings(source.template),
                "lambda.template_ids": {fn.logical_id: fn.name for fn in source.template.functions}}
    ctx.meta[_TEMPLATE_LAMBDAS] = settings
    for interpreter in ctx.meta.get(_INTERPRETERS, ()):
        interpreter.options.update(settings)


def _check_choice(choice: DefinitionChoice) -> None:
    ctx = click.get_current_context()
    given = [flag for flag, value in (("DEFINITION", choice.path), ("--template", choice.template),
                                      ("--cdk-out", choice.cdk_out)) if value is not None]
    if not given:
        param = next(p for p in ctx.command.params if p.name == "definition")
        raise click.MissingParameter(ctx=ctx, param=param)
    if len(given) > 1:
        raise click.UsageError(f"give one of DEFINITION, --template and --cdk-out, not {' and '.join(given)}", ctx)
    if choice.state_machine is not None and choice.path is not None:
        raise click.UsageError("--state-machine picks a state machine of --template or --cdk-out", ctx)
    if choice.stack is not None and choice.cdk_out is None:
        raise click.UsageError("--stack picks a stack of --cdk-out DIR", ctx)


def definition_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the DEFINITION argument and the template and substitution options; the command gets ``definition``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _SOURCE_NAMES}
        choice = DefinitionChoice(path=given["definition"], template=given["template"],
                                  state_machine=given["state_machine"], cdk_out=given["cdk_out"],
                                  stack=given["stack"], substitution=tuple(given["substitution"] or ()),
                                  substitutions_file=given["substitutions_file"])
        _check_choice(choice)
        return command(*args, definition=choice, **kwargs)

    path = click.Path(dir_okay=False, path_type=Path)
    decorators = [
        click.argument("definition", type=path, required=False, metavar="DEFINITION"),
        click.option("--template", type=path, metavar="FILE",
                     help="Take the definition out of this CloudFormation or SAM template (JSON or YAML)."),
        click.option("--state-machine", metavar="LOGICAL_ID",
                     help="The template's state machine to use (needed when it has several)."),
        click.option("--cdk-out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
                     help="Take the definition out of a synthesized CDK app (its cdk.out directory)."),
        click.option("--stack", metavar="NAME", help="The stack of --cdk-out to read (needed when it has several)."),
        click.option("--substitution", "substitution", multiple=True, metavar="KEY=VALUE",
                     help="Replace ${KEY} in the definition with VALUE, as DefinitionSubstitutions do "
                          "(repeatable; overrides the template's own)."),
        click.option("--substitutions", "substitutions_file", type=path, metavar="FILE",
                     help="Substitutions from a JSON or YAML mapping (--substitution overrides them)."),
    ]
    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper
