"""The EKS plugin's settings: one typed table, with defaults and the backends each one applies to.

Settings reach the plugin as the interpreter's options (``Interpreter(options={"eks.jobs": "process"})``,
or the CLI's ``--eks-backend``/``--jobs``/``--eks-kubeconfig``). :func:`check` refuses an unknown
``eks.*`` name (with the nearest known one), a value of the wrong type or outside its choices, and a
setting that the chosen backend would ignore (``eks.jobs`` with the ``fake`` backend): nothing is
silently dropped. :func:`value` reads a setting or its default.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["SETTINGS", "Setting", "SettingsError", "check", "value"]

#: every backend name (``eks.backend`` may also be a backend object)
BACKEND_NAMES = ("local", "aws", "kubeconfig", "fake")
_ALL = frozenset(BACKEND_NAMES)
_AWS = frozenset({"aws", "kubeconfig"})
_LOCAL = frozenset({"local"})


class SettingsError(ValueError):
    """An ``eks.*`` setting that is unknown, of the wrong type, or does not apply to the chosen backend."""


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _positive(v: Any) -> bool:
    return _number(v) and v > 0


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _text(v: Any) -> bool:
    return isinstance(v, str) and v != ""


def _flag(v: Any) -> bool:
    return isinstance(v, bool)


def _contexts(v: Any) -> bool:
    return isinstance(v, Mapping) and all(_text(k) and _text(c) for k, c in v.items())


def _anything(v: Any) -> bool:
    return True


@dataclass(frozen=True)
class Setting:
    """One ``eks.*`` setting: its default, what a value must be, and where it applies."""

    name: str
    default: Any
    #: what a valid value is, in words (for the error message)
    kind: str
    valid: Callable[[Any], bool]
    #: the backend names it applies to
    backends: frozenset[str]
    doc: str


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("eks.backend", "local", "local, aws, kubeconfig, fake or a backend object",
            lambda v: v in BACKEND_NAMES or not isinstance(v, str), _ALL,
            "where eks:* tasks go"),
    Setting("eks.jobs", "simulate", "simulate, process or docker",
            lambda v: v in ("simulate", "process", "docker"), _LOCAL,
            "how the local EKS runs Job containers"),
    Setting("eks.kubeconfig", None, "a mapping of cluster names to kubeconfig contexts", _contexts,
            frozenset({"kubeconfig"}), "a kubeconfig context per cluster name"),
    Setting("eks.kubeconfig_file", None, "a file path", _text, frozenset({"kubeconfig"}),
            "the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)"),
    Setting("eks.endpoint_url", None, "a URL", _text, _AWS, "the EKS API endpoint (e.g. a moto server)"),
    Setting("eks.region", None, "a region name", _text, _AWS, "the EKS API's region"),
    Setting("eks.profile", None, "a profile name", _text, _AWS, "the AWS profile for EKS calls and tokens"),
    Setting("eks.poll_interval", 2.0, "a number of seconds above 0", _positive, _ALL,
            "first wait between .sync polls"),
    Setting("eks.poll_backoff", 1.5, "a number of 1 or more", lambda v: _number(v) and v >= 1, _ALL,
            "growth of the wait between .sync polls"),
    Setting("eks.poll_max_interval", 30.0, "a number of seconds above 0", _positive, _ALL,
            "longest wait between .sync polls"),
    Setting("eks.watch", True, "true or false", _flag, _ALL, "wait for Jobs with watches (else poll)"),
    Setting("eks.watch_timeout", 20.0, "a number of seconds above 0", _positive, _ALL,
            "longest single watch request"),
    Setting("eks.job_failed_error", "States.TaskFailed", "an error name", _text, _ALL,
            "the error of a runJob.sync whose Job failed"),
    Setting("eks.local.transition_seconds", 1.0, "a number of seconds of 0 or more",
            lambda v: _number(v) and v >= 0, _LOCAL, "how long CREATING/DELETING last on the local EKS"),
    Setting("eks.local.transition_polls", 3, "a whole number of 1 or more", _count, _LOCAL,
            "describes after which a transition ends anyway (a virtual clock's polls)"),
    Setting("eks.local.boto3", True, "true or false", _flag, _LOCAL,
            "reach the local EKS API through boto3 over HTTP (false: in process)"),
    Setting("eks.local.registry", True, "true or false", _flag, _LOCAL,
            "list running clusters for `aslrun cluster`"),
    Setting("eks.local.echo", None, "a function of one text argument", callable, _LOCAL,
            "where the local EKS says which container it starts (default: stderr)"),
    Setting("eks.local.on_start", None, "a function (name, emulator)", callable, _LOCAL,
            "called when a local cluster's Kubernetes API is up"),
    Setting("eks.local.on_stop", None, "a function (name)", callable, _LOCAL,
            "called when a local cluster's Kubernetes API is stopped"),
    Setting("eks.local.executor", None, "an Executor object", _anything, _LOCAL,
            "runs Job containers instead of the one eks.jobs names"),
)}


def value(options: Mapping[str, Any], name: str) -> Any:
    """The setting ``name`` from ``options``, or its default (``None`` counts as not given)."""
    given = options.get(name)
    return SETTINGS[name].default if given is None else given


def check(options: Mapping[str, Any]) -> None:
    """Raise :class:`SettingsError` for every ``eks.*`` option that is unknown, invalid or would be ignored."""
    problems = []
    backend = value(options, "eks.backend")
    for name, given in options.items():
        if not isinstance(name, str) or not name.startswith("eks.") or given is None:
            continue
        setting = SETTINGS.get(name)
        if setting is None:
            near = difflib.get_close_matches(name, SETTINGS, n=1)
            hint = f" Did you mean {near[0]!r}?" if near else f" Known: {', '.join(sorted(SETTINGS))}."
            problems.append(f"{name!r} is not an EKS setting.{hint}")
            continue
        if not setting.valid(given):
            problems.append(f"{name} must be {setting.kind}, not {given!r}")
            continue
        if isinstance(backend, str) and backend not in setting.backends:
            where = " or ".join(sorted(setting.backends))
            problems.append(f"{name} ({setting.doc}) applies to the {where} backend only, not {backend}: "
                            f"drop it or choose the {sorted(setting.backends)[0]} backend")
    if problems:
        raise SettingsError("; ".join(problems))
