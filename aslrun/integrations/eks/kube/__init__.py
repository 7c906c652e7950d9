"""aslrun's Kubernetes API emulator: the engine of the local EKS backend and of the EKS tests.

It serves the subset of the Kubernetes API that the EKS integration and real clients
(kubectl 1.20–1.33, the official Python client) use — discovery, OpenAPI, Namespaces, Jobs
with a working job controller, Pods and their logs, ConfigMaps, watches, Tables, and generic
storage for the common built-in kinds and CRDs — over HTTPS with a per-emulator CA::

    from aslrun.integrations.eks.kube import JobOutcome, KubeEmulator

    with KubeEmulator(job_outcomes={"flaky": JobOutcome(exit_code=(1, 0))}) as kube:
        kube.kubeconfig("kubeconfig")           # or use kube.endpoint / kube.ca_b64 / kube.token

Modules: ``emulator`` (the handle), ``server`` (HTTPS), ``api`` (REST), ``store`` (objects,
watches), ``admission`` (defaults, validation), ``jobs``/``gc``/``kubelet`` (controllers),
``executors`` (container runtimes), ``resources`` (kinds, discovery), ``selectors``,
``patch``, ``table``, ``auth``, ``status`` (error bodies), ``tls`` (the CA).
"""

from aslrun.integrations.eks.kube.auth import RequestAttributes, UserInfo
from aslrun.integrations.eks.kube.emulator import KubeEmulator
from aslrun.integrations.eks.kube.executors import ContainerRun, Executor, JobOutcome, SimulatedExecutor
from aslrun.integrations.eks.kube.server import RequestRecord
from aslrun.integrations.eks.kube.tls import CertificateAuthority

__all__ = [
    "CertificateAuthority",
    "ContainerRun",
    "Executor",
    "JobOutcome",
    "KubeEmulator",
    "RequestAttributes",
    "RequestRecord",
    "SimulatedExecutor",
    "UserInfo",
]
