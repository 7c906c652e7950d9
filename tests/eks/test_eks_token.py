"""EKS bearer tokens: minted with botocore alone, checked offline as the EKS authenticator does, renewed, redacted."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import botocore.session
import pytest

from aslrun.integrations.eks.errors import redact, translate
from aslrun.integrations.eks.token import TOKEN_PREFIX, TokenCache, mint_token

pytest_plugins = ["conftest_eks"]


@pytest.fixture
def session(aws_env: Any) -> Any:
    return botocore.session.get_session()


def test_a_token_is_a_presigned_get_caller_identity_url_for_the_cluster(session: Any, rig: Any) -> None:
    token = mint_token("MyCluster", session, "eu-west-1")
    assert token.startswith(TOKEN_PREFIX) and "=" not in token and len(token) < 4096
    url = base64.urlsafe_b64decode(token[len(TOKEN_PREFIX):] + "==").decode()
    assert url.startswith("https://sts.eu-west-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&")
    assert "X-Amz-SignedHeaders=host%3Bx-k8s-aws-id" in url and "X-Amz-Expires=60" in url
    assert rig.verify_eks_token(token, "MyCluster") == rig.ACCESS_KEY


@pytest.mark.parametrize(("cluster", "secret", "late", "problem"), [
    ("OtherCluster", None, 0, "bad signature"),
    ("MyCluster", "not-the-secret", 0, "bad signature"),
    ("MyCluster", None, 16 * 60, "token expired"),
])
def test_the_offline_check_rejects_other_clusters_secrets_and_old_tokens(session: Any, rig: Any, cluster: str,
                                                                         secret: str | None, late: int,
                                                                         problem: str) -> None:
    token = mint_token("MyCluster", session, "us-east-1")
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=late)
    with pytest.raises(AssertionError, match=problem):
        rig.verify_eks_token(token, cluster, secret or rig.SECRET_KEY, now=now)


def test_the_cache_reuses_a_token_and_renews_it_before_eks_stops_accepting_it() -> None:
    now = [0.0]
    minted: list[tuple[str, str]] = []
    cache = TokenCache(lambda c, r: minted.append((c, r)) or f"{TOKEN_PREFIX}{len(minted)}", now=lambda: now[0])
    assert cache.get("A", "us-east-1") == cache.get("A", "us-east-1") == f"{TOKEN_PREFIX}1"
    assert cache.get("B", "us-east-1") == f"{TOKEN_PREFIX}2"
    now[0] = 12 * 60  # EKS accepts a token for 15 minutes; aslrun renews at 12
    assert cache.get("A", "us-east-1") == f"{TOKEN_PREFIX}3"
    assert cache.minted == 3 and "k8s-aws" not in repr(cache)


def test_no_credentials_is_a_clear_task_failure(monkeypatch: pytest.MonkeyPatch, aws_env: Any) -> None:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key)
    with pytest.raises(Exception) as info:
        mint_token("MyCluster", botocore.session.get_session(), "us-east-1")
    err = translate(info.value, "https://example (cluster MyCluster)")
    assert err.error == "States.Runtime"
    assert err.cause is not None and "no AWS credentials found (Unable to locate credentials)" in err.cause
    assert "--eks-backend local (the default)" in err.cause


def test_redact_removes_bearer_tokens_from_any_text() -> None:
    text = "failed with Authorization: Bearer abc.def and token k8s-aws-v1.aHR0cHM6Ly9zdHM then"
    assert redact(text) == ("failed with Authorization: Bearer <redacted> and token k8s-aws-v1.<redacted> then")
