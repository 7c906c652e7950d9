"""Fixtures of the EKS plugin tests: dummy AWS credentials, moto's EKS server over HTTP, slow transitions.

Loaded by the ``test_eks_*`` modules with ``pytest_plugins``. Everything listens on 127.0.0.1 only and
nothing reaches AWS: the credentials are dummies and every boto3 client is pointed at moto.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

#: the dummy credentials every test uses (moto accepts anything; tokens are checked against this secret)
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"


@pytest.fixture(scope="session")
def aws_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Dummy AWS credentials and region in the environment; empty config files so nothing real is read."""
    home = tmp_path_factory.mktemp("aws")
    (home / "config").write_text("")
    (home / "credentials").write_text("")
    values = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EKS"):
            mp.delenv(key, raising=False)
        for key, value in values.items():
            mp.setenv(key, value)
        yield values


@pytest.fixture(scope="session")
def moto_server(aws_env: dict[str, str]) -> Iterator[str]:
    """moto's HTTP server (all services) on 127.0.0.1, an ephemeral port; yields its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_eks(moto_server: str) -> str:
    """moto's EKS endpoint, reset to empty for this test."""
    req = urllib.request.Request(moto_server + "/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10):
        pass
    return moto_server


@dataclass
class Transitions:
    """Makes moto's EKS resources take ``ticks`` describe calls to become ACTIVE or to disappear.

    ``failures`` maps ``cluster/NAME``, ``nodegroup/CLUSTER/NAME`` or ``fargateprofile/CLUSTER/NAME`` to
    the status the transition ends in instead (FAILED, CREATE_FAILED, DELETE_FAILED).
    """

    ticks: int = 2
    failures: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    describes: list[str] = field(default_factory=list)

    def step(self, key: str, obj: Any, remove: Any) -> None:
        self.describes.append(key)
        if obj.status not in ("CREATING", "DELETING"):
            return
        self.counts[key] = self.counts.get(key, 0) + 1
        if self.counts[key] < self.ticks:
            return
        del self.counts[key]
        failure = self.failures.get(key)
        if obj.status == "CREATING":
            obj.status = failure if failure in ("FAILED", "CREATE_FAILED") else "ACTIVE"
        elif failure in ("FAILED", "DELETE_FAILED"):
            obj.status = failure
        else:
            remove()


@pytest.fixture
def moto_slow(moto_eks: str) -> Iterator[Transitions]:
    """moto's EKS with CREATING→ACTIVE and DELETING→gone taking ``ticks`` describes (moto is instant).

    Patches moto's EKS backend class in this process (the server thread shares it); pinned to moto 5.2.
    """
    from moto.eks import models

    t = Transitions()
    B = models.EKSBackend
    orig = {n: getattr(B, n) for n in ("create_cluster", "describe_cluster", "delete_cluster", "create_nodegroup",
                                       "describe_nodegroup", "delete_nodegroup", "create_fargate_profile",
                                       "describe_fargate_profile", "delete_fargate_profile")}

    def creating(name: str) -> Any:
        def create(self: Any, *args: Any, **kwargs: Any) -> Any:
            obj = orig[name](self, *args, **kwargs)
            obj.status = "CREATING"
            return obj
        return create

    def describe_cluster(self: Any, name: str) -> Any:
        obj = orig["describe_cluster"](self, name)
        t.step(f"cluster/{name}", obj, lambda: self.clusters.pop(name))
        return orig["describe_cluster"](self, name)

    def delete_cluster(self: Any, name: str) -> Any:
        if name not in self.clusters:
            return orig["delete_cluster"](self, name)
        models.validate_safe_to_delete(self.clusters[name])
        obj = self.clusters[name]
        obj.status = "DELETING"
        return obj

    def describe_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
        obj = orig["describe_nodegroup"](self, cluster_name, nodegroup_name)
        cluster = self.clusters[cluster_name]

        def remove() -> None:
            cluster.nodegroups.pop(nodegroup_name)
            cluster.nodegroup_count -= 1
        t.step(f"nodegroup/{cluster_name}/{nodegroup_name}", obj, remove)
        return orig["describe_nodegroup"](self, cluster_name, nodegroup_name)

    def delete_nodegroup(self: Any, cluster_name: str, nodegroup_name: str) -> Any:
        obj = orig["describe_nodegroup"](self, cluster_name, nodegroup_name)
        obj.status = "DELETING"
        return obj

    def describe_fargate_profile(self: Any, cluster_name: str, fargate_profile_name: str) -> Any:
        obj = orig["describe_fargate_profile"](self, cluster_name, fargate_profile_name)
        cluster = self.clusters[cluster_name]

        def remove() -> None:
            cluster.fargate_profiles.pop(fargate_profile_name)
            cluster.fargate_profile_count -= 1
        t.step(f"fargateprofile/{cluster_name}/{fargate_profile_name}", obj, remove)
        return orig["describe_fargate_profile"](self, cluster_name, fargate_profile_name)

    def delete_fargate_profile(self: Any, cluster_name: str, fargate_profile_name: str) -> Any:
        obj = orig["describe_fargate_profile"](self, cluster_name, fargate_profile_name)
        obj.status = "DELETING"
        return obj

    patches = {
        "create_cluster": creating("create_cluster"), "describe_cluster": describe_cluster,
        "delete_cluster": delete_cluster, "create_nodegroup": creating("create_nodegroup"),
        "describe_nodegroup": describe_nodegroup, "delete_nodegroup": delete_nodegroup,
        "create_fargate_profile": creating("create_fargate_profile"),
        "describe_fargate_profile": describe_fargate_profile, "delete_fargate_profile": delete_fargate_profile,
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, fn in patches.items():
            mp.setattr(B, name, fn)
        yield t


def moto_options(endpoint: str, **extra: Any) -> dict[str, Any]:
    """Interpreter options for the aws backend against moto, with fast polling."""
    return {"eks.backend": "aws", "eks.endpoint_url": endpoint, "eks.region": REGION, "eks.poll_interval": 0.05,
            "eks.poll_max_interval": 0.2, **extra}


# ---------------------------------------------------------------- k8s-aws-v1 token checking (offline)


def verify_eks_token(token: str, cluster: str, secret: str = SECRET_KEY, now: dt.datetime | None = None,
                     lifetime: int = 15 * 60) -> str:
    """Check an EKS token as the EKS authenticator would, offline; returns the access key id.

    Raises AssertionError saying what is wrong (prefix, URL, cluster id, date, signature).
    """
    assert token.startswith("k8s-aws-v1."), "not a k8s-aws-v1 token"
    raw = token[len("k8s-aws-v1."):]
    url = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc.startswith("sts") and parts.path == "/", url
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    assert query["Action"] == "GetCallerIdentity" and query["Version"] == "2011-06-15"
    signed = query["X-Amz-SignedHeaders"].split(";")
    assert "x-k8s-aws-id" in signed and "host" in signed, signed
    stamp = dt.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    assert stamp - dt.timedelta(minutes=5) <= now <= stamp + dt.timedelta(seconds=lifetime), "token expired"
    access_key, date, region, service, _ = query["X-Amz-Credential"].split("/")
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items()) if k != "X-Amz-Signature")
    headers = {"host": parts.netloc, "x-k8s-aws-id": cluster}
    canonical = "\n".join(["GET", "/", canonical_query, *(f"{h}:{headers[h]}" for h in signed), "",
                           ";".join(signed), hashlib.sha256(b"").hexdigest()])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", query["X-Amz-Date"], f"{date}/{region}/{service}/aws4_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, query["X-Amz-Signature"]), "bad signature (wrong secret or cluster id)"
    return access_key


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)



class Rig:
    """The helpers above, for test modules (they load this module with ``pytest_plugins``, not import it)."""

    ACCESS_KEY = ACCESS_KEY
    SECRET_KEY = SECRET_KEY
    REGION = REGION
    moto_options = staticmethod(moto_options)
    verify_eks_token = staticmethod(verify_eks_token)


@pytest.fixture(scope="session")
def rig() -> type[Rig]:
    return Rig
