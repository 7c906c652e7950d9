"""aslrun's Kubernetes API emulator: a package of its own, usable without the EKS plugin.

It serves the subset of the Kubernetes API that real clients (kubectl 1.20–1.33, the official
Python client) and aslrun's EKS integration use — discovery, OpenAPI, Namespaces, Jobs with a
working job controller, Pods and their logs, ConfigMaps, watches, Tables, and generic storage
for the common built-in kinds and CRDs — over HTTPS with a per-emulator CA. It imports nothing
from the rest of aslrun. The local EKS backend runs one per cluster; from Python::

    from aslrun.kube import JobOutcome, KubeEmulator

    with KubeEmulator(job_outcomes={"flaky": JobOutcome(exit_code=(1, 0))}) as kube:
        kube.kubeconfig("kubeconfig")           # or use kube.endpoint / kube.ca_b64 / kube.token

and from the shell, ``python -m aslrun.kube --port 0 --kubeconfig PATH`` (see ``__main__``).
``README.md`` beside this file says what it serves and its limits.

Modules: ``emulator`` (the handle), ``server`` (HTTPS), ``api`` (REST), ``store`` (objects,
watches), ``admission`` (defaults, validation), ``jobs``/``gc``/``kubelet`` (controllers),
``executors`` (container runtimes), ``resources`` (kinds, discovery), ``selectors``,
``patch``, ``table``, ``auth``, ``status`` (error bodies), ``tls`` (the CA), ``protobuf``.
"""

from aslrun.kube.auth import RequestAttributes, UserInfo
from aslrun.kube.emulator import KubeEmulator
from aslrun.kube.executors import ContainerRun, Executor, JobOutcome, SimulatedExecutor
from aslrun.kube.server import RequestRecord
from aslrun.kube.tls import CertificateAuthority

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
