"""The execution options, declared once for ``run``, ``debug`` and ``test-state``.

:func:`execution_options` adds ``--clock``, ``--seed``, ``--no-history-limit``, the mock options
(``--mock-config``, ``--test-case``, ``--hybrid``) and the EKS options (``--eks-backend``,
``--eks-kubeconfig``, ``--jobs``) to a command, and hands the command one
:class:`ExecutionOptions` as ``execution``. :meth:`ExecutionOptions.interpreter` builds the
:class:`~aslrun.Interpreter`; an option that does not apply (``--jobs process`` with
``--eks-backend fake``) is an :class:`~aslrun.errors.InputError` (exit 2), never ignored.
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

__all__ = ["ExecutionOptions", "execution_options"]

_NAMES = ("clock", "seed", "no_history_limit", "mock_config", "test_case", "hybrid", "eks_backend",
          "eks_kubeconfig", "jobs")


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

    @property
    def backend(self) -> str | None:
        """The EKS backend asked for (``--eks-kubeconfig`` implies ``kubeconfig``); None: the default."""
        if self.eks_kubeconfig and self.eks_backend is None:
            return "kubeconfig"
        return self.eks_backend

    def eks_settings(self) -> dict[str, Any]:
        """The ``eks.*`` interpreter options these flags stand for (checked against the settings table)."""
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

        return Interpreter(
            clock=clock or self.clock,
            seed=self.seed,
            history_limit=None if self.no_history_limit else defaults.MAX_HISTORY_EVENTS,
            options={**self.eks_settings(), **(options or {})},
        )

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
    ]
    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper
