"""The EKS backend protocol: what the ``eks:*`` actions need from the world.

A backend has two halves. The **control plane** is the EKS API (clusters, node groups,
Fargate profiles): requests and responses are the EKS API's own camelCase dicts, as boto3
takes and returns them; failures raise :class:`EksApiError`. The **Kubernetes API** of one
cluster is a :class:`KubeApi`: ``request`` for any REST call (non-2xx answers come back as a
:class:`KubeResponse`, they are not raised) and ``watch`` for the watch API.

Every method may block (network I/O); the actions call them through
:class:`~aslrun.effects.Blocking`, never from the engine's thread. Transport failures
(TLS, connection refused, missing AWS credentials) are raised as they are and translated in
:mod:`aslrun.integrations.eks.errors`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "ClusterRef",
    "ControlPlane",
    "EksApiError",
    "EksBackend",
    "KubeApi",
    "KubeResponse",
    "WatchUnsupported",
]


@dataclass(frozen=True, slots=True)
class ClusterRef:
    """Which Kubernetes API a task talks to: the task's ``ClusterName``, ``Endpoint`` and ``CertificateAuthority``."""

    name: str
    endpoint: str
    certificate_authority: str

    def __repr__(self) -> str:  # the CA is long and says nothing useful in a message
        return f"ClusterRef({self.name!r}, {self.endpoint!r})"


@dataclass(slots=True)
class KubeResponse:
    """One answer of the Kubernetes API: status, reason phrase, headers and the raw body."""

    status: int
    reason: str
    data: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; the text itself when it is not JSON (``""`` for no body)."""
        if not self.data:
            return ""
        try:
            return json.loads(self.data)
        except ValueError:
            return self.text


class EksApiError(Exception):
    """An error answer of the EKS API: ``code`` is its name (``ResourceInUseException``)."""

    def __init__(self, code: str, message: str, status: int = 400, request_id: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id


class WatchUnsupported(Exception):
    """The Kubernetes API (or the backend) cannot watch; the caller polls instead."""


@runtime_checkable
class ControlPlane(Protocol):
    """The EKS API operations the lifecycle resources use (boto3-shaped dicts in and out)."""

    def create_cluster(self, request: dict[str, Any]) -> dict[str, Any]: ...
    def describe_cluster(self, name: str) -> dict[str, Any]: ...
    def delete_cluster(self, name: str) -> dict[str, Any]: ...
    def create_nodegroup(self, request: dict[str, Any]) -> dict[str, Any]: ...
    def describe_nodegroup(self, cluster: str, name: str) -> dict[str, Any]: ...
    def delete_nodegroup(self, cluster: str, name: str) -> dict[str, Any]: ...
    def create_fargate_profile(self, request: dict[str, Any]) -> dict[str, Any]: ...
    def describe_fargate_profile(self, cluster: str, name: str) -> dict[str, Any]: ...
    def delete_fargate_profile(self, cluster: str, name: str) -> dict[str, Any]: ...


@runtime_checkable
class KubeApi(Protocol):
    """The Kubernetes API of one cluster."""

    #: how to name this connection in messages (never contains a credential)
    description: str

    def request(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        content_type: str | None = None,
        accept: str = "application/json",
    ) -> KubeResponse:
        """One REST call; ``path`` starts with ``/``. Non-2xx answers are returned, not raised."""

    def watch(
        self,
        path: str,
        query: Sequence[tuple[str, str]],
        timeout_seconds: float,
        until: Callable[[str, dict[str, Any]], bool],
    ) -> tuple[str, dict[str, Any]] | None:
        """Watch the collection at ``path`` until ``until(event_type, object)`` is true.

        Returns that event, or None when the watch ended first (server timeout). Raises
        :class:`WatchUnsupported` when watching is not possible; a non-2xx answer to the watch
        request comes back as ``("HTTP", {"code": status, ...})``.
        """


@runtime_checkable
class EksBackend(Protocol):
    """Where ``eks:*`` tasks go: one control plane and a Kubernetes API per cluster."""

    #: the name ``--eks-backend`` uses (``aws``, ``kubeconfig``, ``fake``)
    name: str
    #: True when it talks to real systems (the execution then defaults to the real clock)
    remote: bool

    def control_plane(self) -> ControlPlane:
        """The EKS API (may block: it builds a client)."""

    def kube(self, cluster: ClusterRef) -> KubeApi:
        """The Kubernetes API for a task's cluster (may block: it may read files or mint a token)."""
