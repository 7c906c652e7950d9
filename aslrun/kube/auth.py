"""Authentication (bearer tokens) and authorization for the emulator.

A request carries ``Authorization: Bearer <token>``. The token is accepted when it is one of
the static tokens, or when the verifier callable returns a user for it (the EKS
``k8s-aws-v1.`` verifier plugs in here). A token that is present but rejected is a 401; no
header at all makes the caller ``system:anonymous`` (as on EKS), who may only read
``/version`` and the health endpoints — anything else is a 403. Authenticated users may do
everything unless an authorizer callable says otherwise. Tokens are never logged or echoed.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from aslrun.kube.status import unauthorized

__all__ = ["ANONYMOUS", "Authenticator", "Authorizer", "RequestAttributes", "TokenVerifier", "UserInfo",
           "default_authorizer"]

PUBLIC_PATHS = frozenset({"/version", "/healthz", "/livez", "/readyz"})


@dataclass(frozen=True, slots=True)
class UserInfo:
    """Who made a request."""

    username: str
    groups: tuple[str, ...] = ("system:authenticated",)


ANONYMOUS = UserInfo("system:anonymous", ("system:unauthenticated",))

#: Returns the user a token authenticates (a name or :class:`UserInfo`), or ``None`` to reject it.
TokenVerifier = Callable[[str], "UserInfo | str | None"]


@dataclass(frozen=True, slots=True)
class RequestAttributes:
    """What an authorizer decides on, as in Kubernetes' authorizer attributes."""

    user: UserInfo
    verb: str
    path: str
    resource_request: bool = False
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str | None = None
    name: str | None = None


#: Returns whether a request is allowed.
Authorizer = Callable[[RequestAttributes], bool]


def default_authorizer(attrs: RequestAttributes) -> bool:
    """Authenticated users may do anything; anonymous ones may only GET the public paths."""
    if attrs.user.username == ANONYMOUS.username:
        return not attrs.resource_request and attrs.verb == "get" and attrs.path in PUBLIC_PATHS
    return True


class Authenticator:
    """Checks bearer tokens against static tokens and an optional verifier."""

    def __init__(self, tokens: Mapping[str, UserInfo | str] | Iterable[str] = (), *,
                 verifier: TokenVerifier | None = None, anonymous: bool = True) -> None:
        items: Iterable[tuple[str, UserInfo | str]]
        if isinstance(tokens, Mapping):
            items = tokens.items()
        else:
            items = ((t, "admin") for t in tokens)
        self._tokens = [(t.encode("utf-8"), u if isinstance(u, UserInfo) else UserInfo(u, ("system:masters",
                                                                                          "system:authenticated")))
                        for t, u in items]
        self._verifier = verifier
        self._anonymous = anonymous

    def __repr__(self) -> str:
        return f"<Authenticator {len(self._tokens)} static token(s), verifier={self._verifier is not None}>"

    def authenticate(self, authorization: str | None) -> UserInfo:
        """The user behind an ``Authorization`` header value, or a 401 :class:`~.status.ApiError`."""
        if not authorization:
            if self._anonymous:
                return ANONYMOUS
            raise unauthorized()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthorized()
        raw = token.encode("utf-8")
        found = None
        for candidate, user in self._tokens:  # no early exit: compare against every token
            if hmac.compare_digest(candidate, raw):
                found = user
        if found is not None:
            return found
        if self._verifier is not None:
            try:
                result = self._verifier(token)
            except Exception:  # a verifier failure is a rejection; its text could quote the token
                result = None
            if isinstance(result, UserInfo):
                return result
            if isinstance(result, str) and result:
                return UserInfo(result)
        raise unauthorized()
