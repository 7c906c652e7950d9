"""Where a run's AWS calls go, per service: an embedded AWS, an endpoint URL, or real AWS.

Options (``Interpreter(options={...})``, the CLI's ``--aws``):

* ``aws.target``: ``"local"`` (the default), ``"real"`` or an endpoint URL (``http://127.0.0.1:5000``).
* ``aws.services``: per-service overrides, ``{"dynamodb": "real", "sqs": "http://..."}``.
* ``aws.region``: the region of the calls (default: the interpreter's region; for ``real``, the boto3
  configuration's region first).

``local`` is moto's in-memory AWS reached without a socket: each client gets its own moto
``BotocoreStubber`` on its ``before-send`` event, so nothing is patched globally, no server or thread
runs, and a per-service ``real`` override in the same run really goes to AWS. Its state lives in moto's
in-process backends, under the run's account id (sent as ``x-moto-account-id``). When the run has local
Lambda handlers, the same backends are also served to their worker processes on ``127.0.0.1`` for the
run (:mod:`aslrun.integrations.aws.embedded`); aslrun's own clients still need no socket.

:func:`client_for` is the public helper: a boto3 client for one service under a run's options.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aslrun import defaults
from aslrun.errors import InputError

__all__ = ["AwsTargets", "Target", "any_real", "client_for", "endpoint_variable", "handler_endpoints", "parse_target",
           "reset_local", "target_for"]

#: Step Functions' and users' service names -> botocore's (``--aws states=real`` names Step Functions)
_BOTO_NAMES = {"states": "stepfunctions", "sfn": "stepfunctions", "eventbridge": "events",
               "cloudwatchlogs": "logs"}
#: fake keys for targets that check no signature; never real, never printed
_FAKE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass(frozen=True)
class Target:
    """One place calls go: ``kind`` is ``local``, ``url`` (then ``url`` is set) or ``real``."""

    kind: str
    url: str | None = None

    @property
    def remote(self) -> bool:
        """Whether calls leave the process (then the real clock is the default)."""
        return self.kind != "local"

    def __str__(self) -> str:
        return self.url or self.kind


def parse_target(text: str) -> Target:
    """``local``, ``real`` or an ``http(s)://`` URL as a :class:`Target`; anything else is an InputError."""
    if text in ("local", "real"):
        return Target(text)
    if text.startswith(("http://", "https://")):
        return Target("url", text.rstrip("/"))
    raise InputError(f"unknown AWS target {text!r}: use local, real or an endpoint URL (http://host:port)")


def boto_service(service: str) -> str:
    """botocore's name for a service as options and resources name it."""
    return _BOTO_NAMES.get(service, service)


def target_for(service: str, options: dict[str, Any]) -> Target:
    """The target of ``service`` under a run's options (a per-service override, else ``aws.target``)."""
    overrides = {boto_service(k): v for k, v in (options.get("aws.services") or {}).items()}
    chosen = overrides.get(boto_service(service), options.get("aws.target") or "local")
    return chosen if isinstance(chosen, Target) else parse_target(str(chosen))


def check_options(options: dict[str, Any]) -> None:
    """Raise InputError for an ``aws.*`` option that cannot be used."""
    target_for("", options)
    services = options.get("aws.services") or {}
    if not isinstance(services, dict):
        raise InputError("aws.services must be a mapping of service name to target")
    for value in services.values():
        parse_target(str(value))


class AwsTargets:
    """The boto3 clients of one integration, made once per service and kept until :meth:`close`."""

    def __init__(self, options: dict[str, Any], region: str = defaults.REGION,
                 account: str = defaults.ACCOUNT_ID) -> None:
        check_options(options)
        self.options = options
        self.region = options.get("aws.region") or region
        self.account = account
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def target(self, service: str) -> Target:
        """Where ``service``'s calls go."""
        return target_for(service, self.options)

    @property
    def remote(self) -> bool:
        """Whether any service's calls leave the process."""
        if target_for("", self.options).remote:
            return True
        return any(parse_target(str(v)).remote for v in (self.options.get("aws.services") or {}).values())

    def session(self) -> Any:
        """A boto3 Session whose clients go where this run's options say (for ``--aws-setup``, fixtures)."""
        return make_session(self.options, self.region, self.account)

    def client(self, service: str) -> Any:
        """The client for ``service`` (made on first use; thread-safe)."""
        name = boto_service(service)
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self.session().client(name)
            return self._clients[name]

    def close(self) -> None:
        """Forget the clients (their connection pools close with them)."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


def make_session(options: dict[str, Any], region: str, account: str) -> Any:
    """A boto3 Session bound to the targets of ``options`` (see :class:`AwsTargets`)."""
    import boto3

    class TargetSession(boto3.Session):
        """A boto3 Session whose ``client()``/``resource()`` follow the run's per-service targets."""

        def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            target = target_for(service_name, options)
            if target.kind != "real":
                kwargs.setdefault("endpoint_url", target.url)
                if target.kind == "local" or self.get_credentials() is None:
                    for key, value in _FAKE_KEYS.items():
                        kwargs.setdefault(key, value)
            made = super().client(service_name, *args, **kwargs)
            if target.kind == "local":
                _embed(made, account)
            return made

    real = target_for("", options).kind == "real" or any(
        str(v) == "real" for v in (options.get("aws.services") or {}).values())
    session = TargetSession()
    region_name = (session.region_name if real else None) or options.get("aws.region") or region
    return TargetSession(region_name=region_name)


def _embed(client: Any, account: str) -> None:
    """Route ``client``'s requests into moto's in-memory backends of ``account``."""
    from moto.core.botocore_stubber import BotocoreStubber

    stubber = BotocoreStubber()
    stubber.enabled = True

    def as_account(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register_first("before-send", as_account)
    client.meta.events.register("before-send", stubber)


def client_for(service: str, options: dict[str, Any], *, region: str = defaults.REGION,
               account: str = defaults.ACCOUNT_ID) -> Any:
    """A boto3 client for ``service`` under a run's options (``aws.target``, ``aws.services``, ``aws.region``)."""
    return make_session(options, region, account).client(boto_service(service))


def any_real(options: dict[str, Any]) -> bool:
    """Whether some service's calls go to real AWS (``aws.target`` or an ``aws.services`` override is ``real``)."""
    if target_for("", options).kind == "real":
        return True
    return any(parse_target(str(v)).kind == "real" for v in (options.get("aws.services") or {}).values())


def endpoint_variable(service: str) -> str:
    """The AWS SDKs' service-specific endpoint variable of ``service``: ``AWS_ENDPOINT_URL_DYNAMODB``,
    ``AWS_ENDPOINT_URL_SFN`` (the service id, upper-cased, spaces and hyphens as underscores)."""
    from botocore import utils

    name = utils.SERVICE_NAME_ALIASES.get(boto_service(service), boto_service(service))
    service_id = utils.CLIENT_NAME_TO_HYPHENIZED_SERVICE_ID_OVERRIDES.get(name, name)
    return "AWS_ENDPOINT_URL_" + service_id.replace("-", "_").upper()


def handler_endpoints(options: dict[str, Any], local_url: Callable[[], str],
                      environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``AWS_ENDPOINT_URL[_<SERVICE>]`` variables that send a local Lambda handler's own AWS SDK calls where
    the run sends the same service's calls (``local_url()``: the embedded AWS served on 127.0.0.1).

    Without a ``real`` target one ``AWS_ENDPOINT_URL`` names the default target, and a per-service variable
    each service with another one. With a ``real`` one the SDK must find no endpoint for the real services:
    then every other service (each botocore knows) gets its own variable, and a real service keeps the
    variable of ``environ`` (this process's environment by default), if it has one.
    """
    import os

    environ = os.environ if environ is None else environ
    default = target_for("", options)
    overrides = {boto_service(str(k)): parse_target(str(v)) for k, v in (options.get("aws.services") or {}).items()}

    def url_of(target: Target) -> str:
        return target.url if target.url is not None else local_url()

    found: dict[str, str] = {}
    if not any_real(options):
        found["AWS_ENDPOINT_URL"] = url_of(default)
        found.update({endpoint_variable(s): url_of(t) for s, t in overrides.items() if t != default})
        return found
    from botocore.session import Session

    for service in Session().get_available_services():
        target = overrides.get(service, default)
        if target.kind != "real":
            found[endpoint_variable(service)] = url_of(target)
        elif endpoint_variable(service) in environ:
            found[endpoint_variable(service)] = environ[endpoint_variable(service)]
    return found


def reset_local(account: str = defaults.ACCOUNT_ID) -> None:
    """Forget everything the embedded AWS holds for ``account`` (tables, queues, ...) in this process."""
    import sys

    if "moto" not in sys.modules:
        return
    from moto.core.base_backend import BackendDict

    for backends in list(BackendDict._instances):  # type: ignore[misc]
        if account in backends:
            backends[account].reset()
