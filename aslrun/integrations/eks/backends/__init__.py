"""EKS backends: where ``eks:*`` tasks go, chosen per run with ``--eks-backend`` (option ``eks.backend``).

* ``local`` (default): an embedded EKS control plane on 127.0.0.1 reached through boto3, and a
  Kubernetes API emulator over HTTPS for every ACTIVE cluster (:mod:`.local`). Nothing to install;
  the integration closes it when the interpreter's runs end, so nothing listens afterwards.
* ``aws``: the EKS API through boto3 and the task's own ``Endpoint`` with an EKS token,
  exactly as Step Functions does it (:mod:`.aws`).
* ``kubeconfig``: Kubernetes calls through kubeconfig contexts (kind, minikube, any cluster) (:mod:`.kubeconfig`).
* ``fake``: everything in memory, for tests (:mod:`.fake`).

``eks.backend`` may also be a backend object (anything with the :class:`EksBackend` shape); then
closing it is the caller's business. A new backend is one more entry in :data:`BACKENDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aslrun.integrations.eks.backends.base import (
    ClusterRef,
    ControlPlane,
    EksApiError,
    EksBackend,
    KubeApi,
    KubeResponse,
    WatchUnsupported,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "ClusterRef",
    "ControlPlane",
    "EksApiError",
    "EksBackend",
    "KubeApi",
    "KubeResponse",
    "WatchUnsupported",
    "make_backend",
    "make_local_backend",
]

#: the backend used when a run names none
DEFAULT_BACKEND = "local"


def _aws(options: Mapping[str, Any]) -> EksBackend:
    from aslrun.integrations.eks.backends.aws import AwsBackend

    return AwsBackend(options)


def make_local_backend(options: Mapping[str, Any]) -> EksBackend:
    """The embedded local EKS (:mod:`.local`)."""
    from aslrun.integrations.eks.backends.local import LocalBackend

    return LocalBackend(options)


def _kubeconfig(options: Mapping[str, Any]) -> EksBackend:
    from aslrun.integrations.eks.backends.kubeconfig import KubeconfigBackend

    return KubeconfigBackend(options)


def _fake(options: Mapping[str, Any]) -> EksBackend:
    from aslrun.integrations.eks.backends.fake import FakeBackend

    return FakeBackend(region=options.get("region") or "us-east-1", account=options.get("account") or "111111111111")


#: backend name -> factory(options)
BACKENDS: dict[str, Callable[[Mapping[str, Any]], EksBackend]] = {
    "local": make_local_backend,
    "aws": _aws,
    "kubeconfig": _kubeconfig,
    "fake": _fake,
}


def make_backend(choice: Any, options: Mapping[str, Any]) -> EksBackend:
    """The backend named ``choice`` (or ``choice`` itself when it is a backend object).

    Raises ValueError naming the choices for an unknown name.
    """
    if choice is None:
        choice = DEFAULT_BACKEND
    if not isinstance(choice, str):
        return choice  # type: ignore[no-any-return]
    factory = BACKENDS.get(choice)
    if factory is None:
        known = ", ".join(sorted(BACKENDS))
        raise ValueError(f"unknown EKS backend {choice!r}: use one of {known}")
    return factory(options)
