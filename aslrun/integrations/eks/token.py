"""EKS bearer tokens (``k8s-aws-v1.``), minted from the caller's AWS credentials with botocore alone.

A token is a presigned STS ``GetCallerIdentity`` URL, SigV4-signed with the extra signed header
``x-k8s-aws-id: <cluster name>``, base64url-encoded without padding. It costs no network call.
EKS accepts it for 15 minutes after its ``X-Amz-Date`` (the URL's ``X-Amz-Expires=60`` is
ignored), so :class:`TokenCache` mints a new one well before that during long waits.
Tokens are secrets: nothing here logs them or puts them in a repr.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["TOKEN_PREFIX", "TokenCache", "mint_token"]

TOKEN_PREFIX = "k8s-aws-v1."
#: how long EKS accepts a token (seconds after X-Amz-Date)
TOKEN_LIFETIME = 15 * 60
#: a cached token is replaced once it is this old (aws eks get-token reports 14 minutes)
TOKEN_REFRESH_AFTER = 12 * 60


def mint_token(cluster: str, session: Any, region: str) -> str:
    """A fresh token for ``cluster`` from a botocore (or boto3) ``session``'s credentials.

    Raises botocore's ``NoCredentialsError`` when there are none.
    """
    from botocore.exceptions import NoCredentialsError
    from botocore.signers import RequestSigner

    core = getattr(session, "_session", session)  # a boto3 Session wraps a botocore one
    credentials = core.get_credentials()
    if credentials is None:
        raise NoCredentialsError()
    service_id = core.get_service_model("sts").service_id
    signer = RequestSigner(service_id, region, "sts", "v4", credentials, core.get_component("event_emitter"))
    url = signer.generate_presigned_url(
        {
            "method": "GET",
            "url": f"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
            "body": {},
            "headers": {"x-k8s-aws-id": cluster},
            "context": {},
        },
        region_name=region,
        expires_in=60,
        operation_name="",
    )
    return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


class TokenCache:
    """Tokens per (cluster, region), re-minted after :data:`TOKEN_REFRESH_AFTER` seconds."""

    def __init__(self, mint: Callable[[str, str], str], now: Callable[[], float] = time.time,
                 refresh_after: float = TOKEN_REFRESH_AFTER) -> None:
        self._mint = mint
        self._now = now
        self._refresh_after = refresh_after
        self._tokens: dict[tuple[str, str], tuple[float, str]] = {}
        self._lock = threading.Lock()
        #: how many tokens were minted (tests check renewal with it)
        self.minted = 0

    def __repr__(self) -> str:
        return f"TokenCache({len(self._tokens)} clusters)"

    def get(self, cluster: str, region: str) -> str:
        """A token that EKS still accepts for at least a few minutes."""
        key = (cluster, region)
        with self._lock:
            now = self._now()
            cached = self._tokens.get(key)
            if cached is not None and now - cached[0] < self._refresh_after:
                return cached[1]
            token = self._mint(cluster, region)
            self.minted += 1
            self._tokens[key] = (now, token)
            return token
