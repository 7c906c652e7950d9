"""The ``local`` backend (the default): an embedded EKS on 127.0.0.1 that needs nothing installed.

* **The EKS API** is a small REST-JSON server (:class:`LocalEksServer`) on an ephemeral port of
  127.0.0.1, speaking the paths the plugin uses (``/clusters``, ``/clusters/{name}``,
  ``…/node-groups[/{ng}]``, ``…/fargate-profiles[/{fp}]``). The plugin reaches it through boto3
  with ``endpoint_url`` (:class:`~aslrun.integrations.eks.backends.aws.Boto3ControlPlane`), so the
  same code path as real EKS runs, errors included (``x-amzn-ErrorType`` + ``{"message": …}``).
* **Transitions** CREATING → ACTIVE and DELETING → gone are timed by :class:`LocalControlPlane`:
  a resource moves on once ``transition_seconds`` have passed on its clock (real time by default)
  *or* it has been described ``transition_polls`` times, whichever comes first. The poll count
  is what makes a virtual clock free: when the plugin's waits take no real time its polls come
  back to back and the count ends the transition; against the real clock the time does.
* **Dependency rules** are EKS's: a cluster with node groups or Fargate profiles cannot be deleted
  (``ResourceInUseException``); a node group on a missing cluster is ``ResourceNotFoundException``;
  one on a cluster that is not ACTIVE is ``InvalidRequestException``.
* **Every ACTIVE cluster** has a live :class:`~aslrun.kube.KubeEmulator` on
  ``https://127.0.0.1:PORT``; ``describeCluster`` returns that endpoint and the run's CA.
* **Routing:** a task's ``Endpoint``/``CertificateAuthority`` that are not the local cluster's
  (AWS's examples hard-code real ones) are replaced by the local cluster of the same
  ``ClusterName``; a cluster the run never created is provisioned ACTIVE on first use. Both are
  said once, in the connection's description (the plugin prints it as a one-line notice).
* **Containers** run through the executor chosen with ``eks.jobs``: ``simulate`` (default),
  ``process`` (host subprocess, bubblewrap when available) or ``docker``
  (:mod:`aslrun.kube.executors`).
* :meth:`LocalBackend.close` stops every server and emulator (and with them every Job's processes);
  nothing listens afterwards. The EKS integration calls it when the interpreter's runs end, so every
  execution starts from no clusters; whoever makes a ``LocalBackend`` by hand closes it
  (it is a context manager).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from aslrun.clock import Clock, SystemClock
from aslrun.integrations.eks.backends.base import ClusterRef, ControlPlane, EksApiError, KubeApi
from aslrun.integrations.eks.backends.fake import FakeControlPlane
from aslrun.integrations.eks.backends.http import KubeHttp, ssl_context_for
from aslrun.integrations.eks.backends.local_registry import LocalRegistry
from aslrun.kube.executors import Executor, SimulatedExecutor, make_executor

__all__ = ["LocalBackend", "LocalControlPlane", "LocalEksServer"]

#: default seconds a CREATING/DELETING transition lasts (on the control plane's clock)
TRANSITION_SECONDS = 1.0
#: default number of describes after which a transition ends anyway (a virtual clock's polls)
TRANSITION_POLLS = 3


class LocalControlPlane(FakeControlPlane):
    """The EKS control plane in memory, with timed transitions and a live Kubernetes API per ACTIVE cluster.

    ``on_active(name)`` must start the cluster's Kubernetes API and return ``(endpoint, ca_b64)``;
    ``on_gone(name)`` stops it. ``clock`` gives seconds (default: ``time.monotonic``).
    """

    def __init__(self, region: str = "us-east-1", account: str = "111111111111", *,
                 transition_seconds: float = TRANSITION_SECONDS, transition_polls: int = TRANSITION_POLLS,
                 on_active: Callable[[str], tuple[str, str]] | None = None,
                 on_gone: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(region, account, transitions=1)
        self.transition_seconds = transition_seconds
        self.transition_polls = max(1, transition_polls)
        self._on_active = on_active
        self._on_gone = on_gone
        self._clock = clock
        self._since: dict[str, float] = {}

    def _mark(self, key: str) -> None:
        self._since[key] = self._clock()
        self._ticks.pop(key, None)

    def _create(self, key: str, body: dict[str, Any], exists: str) -> dict[str, Any]:
        out = super()._create(key, body, exists)
        self._mark(key)
        return out

    def _delete_child(self, key: str, message: str, op: str, arg: Any) -> dict[str, Any]:
        out = super()._delete_child(key, message, op, arg)
        self._mark(key)
        return out

    def delete_cluster(self, name: str) -> dict[str, Any]:
        out = super().delete_cluster(name)
        with self._lock:
            self._mark(f"cluster/{name}")
        return out

    def _advance(self, key: str) -> None:
        res = self.resources[key]
        if res["status"] not in ("CREATING", "DELETING"):
            return
        self._ticks[key] = self._ticks.get(key, 0) + 1
        elapsed = self._clock() - self._since.get(key, self._clock())
        if elapsed < self.transition_seconds and self._ticks[key] < self.transition_polls:
            return
        self._ticks.pop(key, None)
        self._since.pop(key, None)
        cluster = key.split("/", 1)[1] if key.startswith("cluster/") else None
        if res["status"] == "CREATING":
            res["status"] = "ACTIVE"
            if cluster is not None:
                self._activate(res, cluster)
        else:
            del self.resources[key]
            if cluster is not None and self._on_gone is not None:
                self._on_gone(cluster)

    def _activate(self, res: dict[str, Any], name: str) -> None:
        if self._on_active is not None:
            endpoint, ca = self._on_active(name)
            res["endpoint"] = endpoint
            res["certificateAuthority"] = {"data": ca}
        res.setdefault("identity", {"oidc": {"issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/LOCAL"}})

    def ensure_active(self, name: str) -> bool:
        """Make cluster ``name`` exist and be ACTIVE at once (first use by a task); True if it was made now."""
        with self._lock:
            res = self.resources.get(f"cluster/{name}")
            if res is not None and res["status"] == "ACTIVE":
                return False
            if res is None:
                self.calls.append(("ProvisionOnFirstUse", name))
                body = {"name": name, "arn": self._arn("cluster", name), "createdAt": datetime.now().astimezone(),
                        "version": "1.32", "roleArn": f"arn:aws:iam::{self.account}:role/aslrun-local",
                        "resourcesVpcConfig": {"subnetIds": [], "securityGroupIds": []},
                        "platformVersion": "eks.1", "tags": {"aslrun.io/provisioned-on-first-use": "true"}}
                self.resources[f"cluster/{name}"] = body
                res = body
            res["status"] = "ACTIVE"
            self._since.pop(f"cluster/{name}", None)
            self._activate(res, name)
            return True


# ---------------------------------------------------------------- the EKS REST-JSON server

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/clusters$"), "create_cluster"),
    ("GET", re.compile(r"^/clusters/(?P<cluster>[^/]+)$"), "describe_cluster"),
    ("DELETE", re.compile(r"^/clusters/(?P<cluster>[^/]+)$"), "delete_cluster"),
    ("POST", re.compile(r"^/clusters/(?P<cluster>[^/]+)/node-groups$"), "create_nodegroup"),
    ("GET", re.compile(r"^/clusters/(?P<cluster>[^/]+)/node-groups/(?P<name>[^/]+)$"), "describe_nodegroup"),
    ("DELETE", re.compile(r"^/clusters/(?P<cluster>[^/]+)/node-groups/(?P<name>[^/]+)$"), "delete_nodegroup"),
    ("POST", re.compile(r"^/clusters/(?P<cluster>[^/]+)/fargate-profiles$"), "create_fargate_profile"),
    ("GET", re.compile(r"^/clusters/(?P<cluster>[^/]+)/fargate-profiles/(?P<name>[^/]+)$"),
     "describe_fargate_profile"),
    ("DELETE", re.compile(r"^/clusters/(?P<cluster>[^/]+)/fargate-profiles/(?P<name>[^/]+)$"),
     "delete_fargate_profile"),
]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def dispatch(control: ControlPlane, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Answer one EKS REST call: ``(status, body)``; raises :class:`EksApiError`."""
    for verb, pattern, operation in _ROUTES:
        found = pattern.match(path)
        if verb != method or found is None:
            continue
        ids = {k: unquote(v) for k, v in found.groupdict().items()}
        fn = getattr(control, operation)
        if operation == "create_cluster":
            result = fn(body)
        elif operation.startswith("create_"):
            result = fn({**body, "clusterName": ids["cluster"]})
        elif "name" in ids:
            result = fn(ids["cluster"], ids["name"])
        else:
            result = fn(ids["cluster"])
        return 200, _jsonable(result)
    raise EksApiError("ResourceNotFoundException", f"no such EKS operation: {method} {path}", 404)


class LocalEksServer:
    """The EKS API over HTTP on ``http://127.0.0.1:PORT`` (what ``endpoint_url`` points boto3 at)."""

    def __init__(self, control: ControlPlane, host: str = "127.0.0.1", port: int = 0) -> None:
        self.control = control
        self._host = host
        handler = self._handler_class()
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="aslrun-local-eks", daemon=True)
        self.requests: list[tuple[str, str, int]] = []

    @property
    def endpoint(self) -> str:
        return f"http://{self._host}:{self._httpd.server_address[1]}"

    def start(self) -> LocalEksServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                path = urlsplit(self.path).path
                headers: dict[str, str] = {"Content-Type": "application/json", "x-amzn-RequestId": "local"}
                try:
                    body = json.loads(raw) if raw else {}
                    status, out = dispatch(server.control, self.command, path, body)
                except EksApiError as exc:
                    status, out = exc.status, {"message": exc.message}
                    headers["x-amzn-ErrorType"] = f"{exc.code}:http://internal.amazon.com/coral/com.amazonaws.eks/"
                except (KeyError, TypeError, ValueError) as exc:
                    status, out = 400, {"message": f"Invalid request: {exc}"}
                    headers["x-amzn-ErrorType"] = "InvalidParameterException"
                except Exception as exc:  # a bug: answer 500 rather than hang the client
                    status, out = 500, {"message": f"{type(exc).__name__}: {exc}"}
                    headers["x-amzn-ErrorType"] = "ServerException"
                server.requests.append((self.command, path, status))
                data = json.dumps(out, default=str).encode()
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = _answer

        return Handler


# ---------------------------------------------------------------- backend


class LocalBackend:
    """An embedded EKS: control plane over boto3 to 127.0.0.1, a KubeEmulator per ACTIVE cluster.

    Options: ``eks.jobs`` (``simulate``/``process``/``docker``), ``eks.local.transition_seconds``,
    ``eks.local.transition_polls``, ``eks.local.boto3`` (False: skip HTTP, call the control plane
    in process), ``eks.local.on_start(name, emulator)`` (called when a cluster's API is up; the
    CLI uses it for ``aslrun cluster kubeconfig``), ``eks.local.executor`` (an Executor object).
    """

    name = "local"
    remote = False

    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = dict(options or {})
        self.region = str(options.get("region") or "us-east-1")
        account = str(options.get("account") or "111111111111")
        executor = options.get("eks.local.executor")
        self.executor: Executor = executor if executor is not None else make_executor(
            str(options.get("eks.jobs") or "simulate"), echo=options.get("eks.local.echo"))
        self._use_boto3 = bool(options.get("eks.local.boto3", True))
        self._on_start = options.get("eks.local.on_start")
        self._on_stop = options.get("eks.local.on_stop")
        #: the execution's clock (:meth:`use_clock`): transitions and simulated containers run on it
        self.clock: Clock = SystemClock()
        self.control = LocalControlPlane(
            self.region, account,
            transition_seconds=float(options.get("eks.local.transition_seconds", TRANSITION_SECONDS)),
            transition_polls=int(options.get("eks.local.transition_polls", TRANSITION_POLLS)),
            on_active=self._start_cluster, on_gone=self._stop_cluster, clock=lambda: self.clock.time())
        self.emulators: dict[str, Any] = {}
        self._ca: Any = None
        self._server: LocalEksServer | None = None
        self._client_plane: ControlPlane | None = None
        self._kubes: dict[str, KubeHttp] = {}
        #: every client made for a cluster, closed with it (a blocked watch then returns at once)
        self._clients: dict[str, list[KubeHttp]] = {}
        self._lock = threading.RLock()
        self._closed = False
        self.registry = LocalRegistry() if options.get("eks.local.registry", True) else None

    def __repr__(self) -> str:
        return f"LocalBackend({sorted(self.emulators)})"

    @property
    def real_time(self) -> bool:
        """True when Job containers really run (process, docker): then runs default to the real clock."""
        return not isinstance(self.executor, SimulatedExecutor)

    def use_clock(self, clock: Clock) -> None:
        """Run on ``clock`` (the execution's): CREATING/DELETING transitions and simulated containers.

        On a virtual clock a simulated container's duration is virtual time that passes when the
        execution has nothing else to do first; on the system clock it really passes. Executions that
        share one backend at the same time share the clock of the one that called last.
        """
        self.clock = clock
        use = getattr(self.executor, "use_clock", None)
        if use is not None:
            use(clock)

    # --- clusters' Kubernetes APIs

    def _start_cluster(self, name: str) -> tuple[str, str]:
        from aslrun.kube import KubeEmulator
        from aslrun.kube.tls import CertificateAuthority

        with self._lock:
            if self._closed:
                raise EksApiError("ServiceUnavailableException", "the local EKS has been shut down", 503)
            emulator = self.emulators.get(name)
            if emulator is None:
                if self._ca is None:
                    self._ca = CertificateAuthority.generate("aslrun-local-eks-ca")
                emulator = KubeEmulator(executor=self.executor, ca=self._ca, cluster_name=name).start()
                self.emulators[name] = emulator
                if self.registry is not None:
                    self.registry.add(name, emulator.endpoint, emulator.ca_b64, emulator.token)
                if self._on_start is not None:
                    self._on_start(name, emulator)
            return emulator.endpoint, emulator.ca_b64

    def _stop_cluster(self, name: str) -> None:
        with self._lock:
            emulator = self.emulators.pop(name, None)
            self._kubes.pop(name, None)
            clients = self._clients.pop(name, [])
            if self.registry is not None:
                self.registry.remove(name)
        for client in clients:
            client.close()
        if emulator is not None:
            emulator.stop()
            if self._on_stop is not None:
                self._on_stop(name)

    # --- EksBackend

    def control_plane(self) -> ControlPlane:
        if not self._use_boto3:
            return self.control
        with self._lock:
            if self._client_plane is None:
                import botocore.session
                from botocore.config import Config

                from aslrun.integrations.eks.backends.aws import Boto3ControlPlane

                self._server = LocalEksServer(self.control).start()
                session = botocore.session.get_session()
                client = session.create_client(
                    "eks", region_name=self.region, endpoint_url=self._server.endpoint,
                    aws_access_key_id="aslrun-local", aws_secret_access_key="aslrun-local",
                    config=Config(retries={"max_attempts": 1}, proxies={}))
                self._client_plane = Boto3ControlPlane(client)
            return self._client_plane

    @property
    def endpoint_url(self) -> str | None:
        """The local EKS API's URL (None until a control-plane task ran)."""
        return self._server.endpoint if self._server is not None else None

    def kube(self, cluster: ClusterRef) -> KubeApi:
        notes = []
        if self.control.ensure_active(cluster.name):
            notes.append("provisioned on first use: the run never created it")
        with self._lock:
            emulator = self.emulators[cluster.name]
            if cluster.endpoint.rstrip("/") != emulator.endpoint or cluster.certificate_authority != emulator.ca_b64:
                notes.append(f"the task's Endpoint {cluster.endpoint or '(none)'} and CertificateAuthority "
                             "are overridden")
            api = self._kubes.get(cluster.name)
            if api is None or notes:
                token = emulator.token
                ctx = ssl_context_for(ca_pem=emulator.ca_pem)
                extra = f" ({'; '.join(notes)})" if notes else ""
                api = KubeHttp(emulator.endpoint, ctx, lambda: f"Bearer {token}",
                               f"local cluster {cluster.name} at {emulator.endpoint}{extra}")
                self._kubes[cluster.name] = api
                self._clients.setdefault(cluster.name, []).append(api)
            return api

    def close(self) -> None:
        """Stop the EKS API server and every cluster's Kubernetes API (idempotent)."""
        with self._lock:
            self._closed = True
            server, self._server = self._server, None
            self._client_plane = None
            names = list(self.emulators)
        for name in names:
            self._stop_cluster(name)
        if server is not None:
            server.stop()
        if self.registry is not None:
            self.registry.clear()

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
