"""The in-process handle: :class:`KubeEmulator` owns one emulated cluster and its HTTPS endpoint.

>>> with KubeEmulator() as kube:                          # doctest: +SKIP
...     kube.kubeconfig("kubeconfig.yaml")
...     print(kube.endpoint, kube.ca_b64[:10], len(kube.requests))

It wires the store, the registry, the controllers (job controller, garbage collector,
kubelet — driven by one controller-loop thread) and the HTTPS server, and stops them all:
after :meth:`KubeEmulator.stop` nothing listens and every thread has been joined.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from aslrun.kube.admission import admit_create
from aslrun.kube.api import Api
from aslrun.kube.auth import (
    Authenticator,
    Authorizer,
    TokenVerifier,
    UserInfo,
    default_authorizer,
)
from aslrun.kube.executors import Executor, JobOutcome, SimulatedExecutor
from aslrun.kube.gc import GarbageCollector
from aslrun.kube.jobs import JobController
from aslrun.kube.kubelet import NODE_NAME, Kubelet, LogBook
from aslrun.kube.resources import Registry
from aslrun.kube.server import HttpsServer, RequestRecord
from aslrun.kube.store import Store
from aslrun.kube.tls import CertificateAuthority

__all__ = ["KubeEmulator"]

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class _ControllerLoop:
    """One thread feeding every store event to the garbage collector, kubelet and job controller."""

    def __init__(self, store: Store, handlers: list[Callable[[Any], None]], jobs: JobController,
                 errors: list[BaseException]) -> None:
        self._store = store
        self._handlers = handlers
        self._jobs = jobs
        self._errors = errors
        self._stop = threading.Event()
        self._sub = store.subscribe(None, since=store.resource_version)
        self._thread = threading.Thread(target=self._run, name="kube-emulator-controllers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._sub.close()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            due = self._jobs.next_timeout()
            event = self._sub.get(timeout=0.5 if due is None else min(due, 0.5))
            if self._sub.closed:
                return
            try:
                if event is not None:
                    for handler in self._handlers:
                        handler(event)
                self._jobs.tick()
            except Exception as exc:  # keep the cluster alive; tests check internal_errors
                self._errors.append(exc)


class KubeEmulator:
    """A Kubernetes API server (plus job controller and a simulated node) on ``https://127.0.0.1:PORT``.

    Knobs:

    * ``executor`` — runs containers (default :class:`SimulatedExecutor` with ``job_outcomes``
      and ``simulated_delay``); see :mod:`.executors`.
    * ``tokens`` — accepted bearer tokens (iterable, or ``{token: username}``); default: one random
      admin token, exposed as :attr:`token`. ``token_verifier`` accepts further tokens (e.g. EKS).
    * ``authorizer`` — ``RequestAttributes -> bool`` (default: authenticated users may do anything).
    * ``anonymous`` — requests without a token are ``system:anonymous`` (True, as on EKS) or 401.
    * ``ca`` — share a :class:`CertificateAuthority` between emulators (default: a fresh one).
    * ``kubernetes_version`` — what ``/version`` and OpenAPI report (``"1.31"``).
    * ``pod_start_delay`` — seconds a pod stays Pending/ContainerCreating before it runs.
    * ``watch_history`` — how many past events a watch can resume from (older: 410 Expired).
    * ``cluster_name`` — names the kubeconfig cluster/context/user and the CA.
    """

    def __init__(self, *, executor: Executor | None = None, job_outcomes: Mapping[str, JobOutcome] | None = None,
                 simulated_delay: float = 0.05, tokens: Iterable[str] | Mapping[str, str | UserInfo] | None = None,
                 token_verifier: TokenVerifier | None = None, authorizer: Authorizer | None = None,
                 anonymous: bool = True, ca: CertificateAuthority | None = None, host: str = "127.0.0.1",
                 port: int = 0, kubernetes_version: str = "1.32", pod_start_delay: float = 0.0,
                 cluster_name: str = "aslrun", watch_history: int = 10_000,
                 clock: Callable[[], float] = time.time) -> None:
        self.cluster_name = cluster_name
        self.executor: Executor = executor or SimulatedExecutor(job_outcomes, delay=simulated_delay)
        if tokens is None:
            self._token: str | None = secrets.token_urlsafe(32)
            tokens = [self._token]
        else:
            tokens = dict(tokens) if isinstance(tokens, Mapping) else list(tokens)
            self._token = next(iter(tokens), None)
        self._authenticator = Authenticator(tokens, verifier=token_verifier, anonymous=anonymous)
        self._authorizer = authorizer or default_authorizer
        self._ca = ca
        self._host, self._port = host, port
        self.kubernetes_version = kubernetes_version
        self.pod_start_delay = pod_start_delay
        self.registry = Registry.with_builtins()
        self.store = Store(self.registry, clock=clock, history=watch_history)
        self.logs = LogBook(clock)
        #: Exceptions raised inside the emulator (controllers, request handlers): bugs, for tests to check.
        self.internal_errors: list[BaseException] = []
        self._stopping = threading.Event()
        self._server: HttpsServer | None = None
        self._loop: _ControllerLoop | None = None
        self._kubelet: Kubelet | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = self.endpoint if self._server else "stopped"
        return f"<KubeEmulator {self.cluster_name} {state}>"

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> KubeEmulator:
        """Generate TLS material, seed the cluster, start controllers and the server. Returns ``self``."""
        with self._lock:
            if self._server is not None:
                return self
            if self._ca is None:
                self._ca = CertificateAuthority.generate(f"{self.cluster_name}-ca")
            context = self._ca.issue_server_cert().ssl_context()
            self._seed()
            self._stopping.clear()
            api = Api(self.store, self.registry, self.logs, self._authenticator, self._authorizer,
                      kubernetes_version=self.kubernetes_version, server_address=lambda: f"{self._host}:{self.port}",
                      stopping=self._stopping, errors=self.internal_errors)
            server = HttpsServer(api.handle, context, host=self._host, port=self._port)
            self._kubelet = Kubelet(self.store, self.executor, self.logs, start_delay=self.pod_start_delay)
            jobs = JobController(self.store)
            gc = GarbageCollector(self.store)
            self._loop = _ControllerLoop(self.store, [gc.handle, self._kubelet.handle, jobs.handle], jobs,
                                         self.internal_errors)
            self._loop.start()
            server.start()
            self._server = server
        return self

    def stop(self) -> None:
        """Stop serving, end every running container (a process executor's whole process groups) and
        join every thread; idempotent."""
        with self._lock:
            server, self._server = self._server, None
            if server is None:
                return
            self._stopping.set()
            if self._loop is not None:
                self._loop.stop()
            server.stop(before_join=self.store.close_all)
            if self._kubelet is not None:
                self._kubelet.stop()
            self.store.close_all()

    def __enter__(self) -> KubeEmulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _seed(self) -> None:
        if self.store.keys():
            return
        ns_type = self.registry.get("", "v1", "namespaces")
        node_type = self.registry.get("", "v1", "nodes")
        assert ns_type is not None and node_type is not None
        for name in DEFAULT_NAMESPACES:
            obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
            self.store.create(ns_type, admit_create(ns_type, obj))
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": NODE_NAME, "labels": {"kubernetes.io/hostname": NODE_NAME,
                                                           "kubernetes.io/os": "linux"}},
                "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                           "message": "simulated by aslrun"}],
                           "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}]}}
        self.store.create(node_type, node)

    # --- what clients need -----------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The TCP port (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return self._server.address[1]

    @property
    def endpoint(self) -> str:
        """``https://127.0.0.1:PORT`` — the EKS ``endpoint`` equivalent."""
        return f"https://{self._host}:{self.port}"

    @property
    def ca(self) -> CertificateAuthority:
        """The certificate authority clients must trust (after :meth:`start`)."""
        if self._ca is None:
            raise RuntimeError("the emulator is not started")
        return self._ca

    @property
    def ca_pem(self) -> str:
        """The CA certificate, PEM."""
        return self.ca.ca_pem

    @property
    def ca_b64(self) -> str:
        """The CA PEM in base64 (EKS ``certificateAuthority.data``, ASL ``CertificateAuthority``)."""
        return self.ca.ca_b64

    @property
    def token(self) -> str | None:
        """A bearer token the emulator accepts (``None`` if only a verifier accepts tokens)."""
        return self._token

    def kubeconfig(self, path: str | os.PathLike[str], *, namespace: str = "default",
                   user: Mapping[str, Any] | None = None) -> Path:
        """Write a kubeconfig (mode 0600) for this cluster; ``user`` replaces the token entry
        (e.g. ``{"exec": {...}}`` for ``aws eks get-token``). Returns the path."""
        name = self.cluster_name
        config = {
            "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": self.endpoint,
                                                    "certificate-authority-data": self.ca_b64}}],
            "users": [{"name": f"{name}-user", "user": dict(user) if user is not None else {"token": self.token}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-user",
                                                    "namespace": namespace}}],
        }
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(config, fh, sort_keys=False)
        return target

    # --- introspection and knobs -----------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request served so far (method, path, query, status, user; never credentials)."""
        return self._server.requests if self._server is not None else []

    def clear_requests(self) -> None:
        """Empty the request log."""
        if self._server is not None:
            self._server.clear_requests()

    def set_outcome(self, pattern: str, outcome: JobOutcome) -> None:
        """Set what Jobs named ``pattern`` (exact or glob) do, with the simulated executor."""
        if not isinstance(self.executor, SimulatedExecutor):
            raise TypeError(f"set_outcome needs the SimulatedExecutor, not {type(self.executor).__name__}")
        self.executor.set_outcome(pattern, outcome)

    def get(self, group: str, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """An object straight from the store (``None`` if absent), for assertions."""
        return self.store.find((group, plural), namespace, name)

    def list(self, group: str, plural: str, namespace: str | None = None) -> list[dict[str, Any]]:
        """Objects straight from the store, for assertions."""
        return self.store.list_objects((group, plural), namespace)[0]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> bool:
        """Poll ``predicate`` until true or ``timeout``; returns its last value."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            time.sleep(interval)
        return True
