"""The ``kubeconfig`` backend: a cluster name points at a kubeconfig context (kind, minikube, k3s, any cluster).

``eks.kubeconfig`` maps ``ClusterName`` values to context names (``{"MyCluster": "kind-kind"}``;
the key ``*`` maps every other name); a context named exactly like the cluster is used when
there is no mapping. The kubeconfig file is ``eks.kubeconfig_file``, else ``$KUBECONFIG``, else
``~/.kube/config``. The official ``kubernetes`` client reads it, so client certificates, tokens
and exec plugins (``aws eks get-token`` included) all work; the task's ``Endpoint`` and
``CertificateAuthority`` are not used. The EKS API tasks (createCluster, ...) still go to the EKS
API as with the ``aws`` backend.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from aslrun.integrations.eks.backends.aws import AwsBackend
from aslrun.integrations.eks.backends.base import ClusterRef, ControlPlane, KubeApi
from aslrun.integrations.eks.backends.http import KubeHttp, ssl_context_for

__all__ = ["KubeconfigBackend", "KubeconfigError"]


class KubeconfigError(Exception):
    """The kubeconfig has no usable context for a cluster name."""


class KubeconfigBackend:
    """Kubernetes API calls through kubeconfig contexts; EKS API calls through boto3."""

    name = "kubeconfig"
    remote = True

    def __init__(self, options: Mapping[str, Any] | None = None, contexts: Mapping[str, str] | None = None,
                 config_file: str | None = None) -> None:
        options = dict(options or {})
        self.contexts = dict(contexts if contexts is not None else options.get("eks.kubeconfig") or {})
        self.config_file = config_file or options.get("eks.kubeconfig_file")
        self._aws = AwsBackend(options)
        self._lock = threading.Lock()
        self._kubes: dict[str, KubeApi] = {}

    def __repr__(self) -> str:
        return f"KubeconfigBackend({self.contexts!r})"

    def control_plane(self) -> ControlPlane:
        return self._aws.control_plane()

    def _config_path(self) -> str:
        import os

        if self.config_file:
            return str(self.config_file)
        env = os.environ.get("KUBECONFIG", "")
        if env:
            return env.split(os.pathsep)[0]
        return os.path.expanduser("~/.kube/config")

    def context_for(self, cluster: str) -> str:
        """The kubeconfig context for ``cluster``; raises :class:`KubeconfigError` naming the choices."""
        if cluster in self.contexts:
            return self.contexts[cluster]
        from kubernetes import config

        path = self._config_path()
        try:
            contexts, _ = config.list_kube_config_contexts(config_file=path)
        except Exception as exc:  # a missing or broken file: say which
            raise KubeconfigError(f"cannot read the kubeconfig {path}: {exc}") from None
        names = [c["name"] for c in contexts or []]
        if cluster in names:
            return cluster
        if "*" in self.contexts:
            return self.contexts["*"]
        raise KubeconfigError(
            f"no kubeconfig context for the cluster {cluster!r} in {path} (contexts: {', '.join(names) or 'none'}). "
            f"Map it with --eks-kubeconfig {cluster}=CONTEXT."
        )

    def kube(self, cluster: ClusterRef) -> KubeApi:
        with self._lock:
            api = self._kubes.get(cluster.name)
            if api is None:
                api = self._connect(self.context_for(cluster.name))
                self._kubes[cluster.name] = api
            return api

    def _connect(self, context: str) -> KubeApi:
        from kubernetes import client, config

        path = self._config_path()
        cfg = client.Configuration()
        try:
            config.load_kube_config(config_file=path, context=context, client_configuration=cfg,
                                    persist_config=False)
        except Exception as exc:
            raise KubeconfigError(f"cannot use the kubeconfig context {context!r} of {path}: {exc}") from None
        ctx = None
        if cfg.host.startswith("https://"):
            if not cfg.verify_ssl:
                raise KubeconfigError(f"the kubeconfig context {context!r} disables TLS verification "
                                      "(insecure-skip-tls-verify); aslrun always verifies the server")
            ctx = ssl_context_for(ca_file=cfg.ssl_ca_cert, cert_file=cfg.cert_file, key_file=cfg.key_file)
            if cfg.ssl_ca_cert is None:
                ctx.load_default_certs()

        def authorization() -> str | None:
            hook = cfg.refresh_api_key_hook
            if hook is not None:
                hook(cfg)  # exec plugins and expiring tokens renew themselves here
            value = cfg.get_api_key_with_prefix("authorization") or cfg.get_api_key_with_prefix("BearerToken")
            return value or None

        return KubeHttp(cfg.host, ctx, authorization, f"kubeconfig context {context} ({cfg.host})")
