"""The ``aws`` backend: what Step Functions itself does.

The EKS API through boto3 (the normal credential chain, profile and region; ``endpoint_url``
from the ``eks.endpoint_url`` option, or boto3's own ``AWS_ENDPOINT_URL_EKS``, points it at
moto or another emulator). The Kubernetes API at the task's ``Endpoint``, TLS verified against
the task's ``CertificateAuthority``, with a ``k8s-aws-v1.`` bearer token minted from the same
credentials (``x-k8s-aws-id`` = ``ClusterName``) and renewed during long waits.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

from aslrun.integrations.eks.backends.base import ClusterRef, ControlPlane, KubeApi
from aslrun.integrations.eks.backends.http import KubeHttp, ca_pem_from_base64, ssl_context_for
from aslrun.integrations.eks.token import TokenCache, mint_token

__all__ = ["AwsBackend", "Boto3ControlPlane"]

_REGION_IN_ENDPOINT = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com")


class Boto3ControlPlane:
    """The EKS API through a boto3 client; errors are botocore's (translated by the actions)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"Boto3ControlPlane({self.client.meta.endpoint_url!r})"

    def create_cluster(self, request: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.create_cluster(**request))

    def describe_cluster(self, name: str) -> dict[str, Any]:
        return dict(self.client.describe_cluster(name=name))

    def delete_cluster(self, name: str) -> dict[str, Any]:
        return dict(self.client.delete_cluster(name=name))

    def create_nodegroup(self, request: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.create_nodegroup(**request))

    def describe_nodegroup(self, cluster: str, name: str) -> dict[str, Any]:
        return dict(self.client.describe_nodegroup(clusterName=cluster, nodegroupName=name))

    def delete_nodegroup(self, cluster: str, name: str) -> dict[str, Any]:
        return dict(self.client.delete_nodegroup(clusterName=cluster, nodegroupName=name))

    def create_fargate_profile(self, request: dict[str, Any]) -> dict[str, Any]:
        return dict(self.client.create_fargate_profile(**request))

    def describe_fargate_profile(self, cluster: str, name: str) -> dict[str, Any]:
        return dict(self.client.describe_fargate_profile(clusterName=cluster, fargateProfileName=name))

    def delete_fargate_profile(self, cluster: str, name: str) -> dict[str, Any]:
        return dict(self.client.delete_fargate_profile(clusterName=cluster, fargateProfileName=name))


class AwsBackend:
    """Real EKS (or an EKS API emulator) and the clusters' own Kubernetes API servers."""

    name = "aws"
    remote = True

    def __init__(self, options: Mapping[str, Any] | None = None, session: Any = None) -> None:
        options = dict(options or {})
        self._session = session
        self._profile = options.get("eks.profile")
        self._region = options.get("eks.region")
        self._endpoint_url = options.get("eks.endpoint_url")
        self._fallback_region = options.get("region") or "us-east-1"
        self._lock = threading.Lock()
        self._control: ControlPlane | None = None
        self._kubes: dict[tuple[str, str, str], KubeApi] = {}
        self.tokens = TokenCache(self._mint)

    def __repr__(self) -> str:
        return f"AwsBackend(region={self.region!r})"

    @property
    def session(self) -> Any:
        """The boto3 session (created on first use: it reads the AWS config files)."""
        if self._session is None:
            import boto3

            self._session = boto3.Session(profile_name=self._profile) if self._profile else boto3.Session()
        return self._session

    @property
    def region(self) -> str:
        if self._region:
            return str(self._region)
        if self._session is not None or self._profile:
            return self.session.region_name or self._fallback_region
        import boto3

        return boto3.Session().region_name or self._fallback_region

    def control_plane(self) -> ControlPlane:
        with self._lock:
            if self._control is None:
                kwargs: dict[str, Any] = {"region_name": self.region}
                if self._endpoint_url:
                    kwargs["endpoint_url"] = self._endpoint_url
                self._control = Boto3ControlPlane(self.session.client("eks", **kwargs))
            return self._control

    def _mint(self, cluster: str, region: str) -> str:
        return mint_token(cluster, self.session, region)

    def token_region(self, endpoint: str) -> str:
        """The region to sign for: the one in an EKS endpoint's host name, else the configured one."""
        found = _REGION_IN_ENDPOINT.search(endpoint)
        return found.group(1) if found else self.region

    def kube(self, cluster: ClusterRef) -> KubeApi:
        key = (cluster.name, cluster.endpoint, cluster.certificate_authority)
        with self._lock:
            api = self._kubes.get(key)
            if api is None:
                ctx = ssl_context_for(ca_pem=ca_pem_from_base64(cluster.certificate_authority))
                region = self.token_region(cluster.endpoint)
                tokens, name = self.tokens, cluster.name

                def authorization() -> str:
                    return "Bearer " + tokens.get(name, region)

                api = KubeHttp(cluster.endpoint, ctx, authorization,
                               f"{cluster.endpoint} (cluster {cluster.name}, EKS token from your AWS credentials)")
                self._kubes[key] = api
            return api

    def close(self) -> None:
        """Close the clusters' Kubernetes connections, interrupting watches under way; idempotent.

        The backend stays usable: the next task opens new connections (and keeps the token cache).
        """
        with self._lock:
            kubes, self._kubes = list(self._kubes.values()), {}
        for api in kubes:
            close = getattr(api, "close", None)
            if close is not None:
                close()
