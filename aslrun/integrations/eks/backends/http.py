"""A small HTTPS client for one Kubernetes API server (urllib3), shared by the aws and kubeconfig backends.

TLS is always verified: against the task's ``CertificateAuthority`` (aws backend) or the
kubeconfig's CA (kubeconfig backend). The ``Authorization`` header comes from a callable
asked before every request, so a token can be renewed during a long ``.sync`` wait; it is
never kept in an attribute, a repr or an exception message.
"""

from __future__ import annotations

import base64
import binascii
import json
import ssl
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit

import urllib3

from aslrun.integrations.eks.backends.base import KubeResponse, WatchUnsupported
from aslrun.integrations.eks.params import ParameterError

__all__ = ["KubeHttp", "ca_pem_from_base64", "ssl_context_for"]

#: seconds to wait for a connection and for each read of a normal request
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


def ca_pem_from_base64(data: str) -> str:
    """The PEM text of a ``CertificateAuthority`` value (base64 of PEM, as DescribeCluster gives it).

    Raises :class:`~aslrun.integrations.eks.params.ParameterError` when it is not.
    """
    try:
        pem = base64.b64decode(data.strip(), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ParameterError("The value of the field 'CertificateAuthority' is not base64-encoded PEM "
                         "(DescribeCluster's certificateAuthority.data)") from None
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise ParameterError("The value of the field 'CertificateAuthority' does not decode to a PEM certificate "
                         "(DescribeCluster's certificateAuthority.data)")
    return pem


def ssl_context_for(ca_pem: str | None = None, ca_file: str | None = None, cert_file: str | None = None,
                    key_file: str | None = None) -> ssl.SSLContext:
    """A verifying TLS context trusting only the given CA (never the system store, never unverified)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # check_hostname and CERT_REQUIRED by default
    if ca_pem is not None:
        try:
            ctx.load_verify_locations(cadata=ca_pem)
        except ssl.SSLError as exc:
            raise ParameterError(f"The value of the field 'CertificateAuthority' is not a usable CA certificate "
                                 f"({exc.reason or exc})") from None
    if ca_file is not None:
        ctx.load_verify_locations(cafile=ca_file)
    if cert_file is not None:
        ctx.load_cert_chain(cert_file, key_file)
    return ctx


class KubeHttp:
    """HTTPS requests to one Kubernetes API server."""

    def __init__(self, endpoint: str, ssl_context: ssl.SSLContext | None,
                 authorization: Callable[[], str | None], description: str = "") -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "https" and ssl_context is not None:
            raise ParameterError(f"The value of the field 'Endpoint' must be an https:// URL, not {endpoint!r}")
        self._base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._authorization = authorization
        kwargs: dict[str, Any] = {"retries": False, "maxsize": 4}
        if ssl_context is not None:
            kwargs["ssl_context"] = ssl_context
        self._pool = urllib3.PoolManager(**kwargs)
        self.description = description or f"the Kubernetes API at {self._base}"

    def __repr__(self) -> str:
        return f"KubeHttp({self._base!r})"

    def _headers(self, accept: str, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": "aslrun-eks"}
        if content_type:
            headers["Content-Type"] = content_type
        auth = self._authorization()
        if auth:
            headers["Authorization"] = auth
        return headers

    def _url(self, path: str, query: Sequence[tuple[str, str]]) -> str:
        url = self._base + (path if path.startswith("/") else "/" + path)
        if query:
            url += "?" + urlencode(list(query))
        return url

    def request(self, method: str, path: str, query: Sequence[tuple[str, str]] = (), body: bytes | None = None,
                content_type: str | None = None, accept: str = "application/json") -> KubeResponse:
        """One call; the answer whatever its status."""
        resp = self._pool.request(
            method, self._url(path, query), body=body, headers=self._headers(accept, content_type),
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT), redirect=False,
        )
        return KubeResponse(resp.status, resp.reason or "", resp.data or b"", dict(resp.headers))

    def watch(self, path: str, query: Sequence[tuple[str, str]], timeout_seconds: float,
              until: Callable[[str, dict[str, Any]], bool]) -> tuple[str, dict[str, Any]] | None:
        """Stream watch events until one matches ``until`` or the server ends the watch."""
        seconds = max(1, int(timeout_seconds))
        params = [*query, ("watch", "true"), ("timeoutSeconds", str(seconds))]
        resp = self._pool.request(
            "GET", self._url(path, params), headers=self._headers("application/json", None),
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=seconds + 15), preload_content=False,
            redirect=False,
        )
        try:
            if resp.status in (400, 404, 405, 406, 415, 501):
                raise WatchUnsupported(f"watch answered {resp.status} {resp.reason}")
            if not 200 <= resp.status < 300:
                data = resp.read()
                try:
                    body = json.loads(data)
                except ValueError:
                    body = {"message": data.decode("utf-8", errors="replace")}
                return "HTTP", {"code": resp.status, "reason": resp.reason or "", "body": body}
            buffer = b""
            for chunk in resp.stream(8192):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    found = _event(line, until)
                    if found is not None:
                        return found
            return _event(buffer, until) if buffer.strip() else None
        finally:
            resp.release_conn()


def _event(line: bytes, until: Callable[[str, dict[str, Any]], bool]) -> tuple[str, dict[str, Any]] | None:
    if not line.strip():
        return None
    try:
        event = json.loads(line)
    except ValueError:
        raise WatchUnsupported("the watch stream is not JSON lines") from None
    etype, obj = event.get("type", ""), event.get("object") or {}
    return (etype, obj) if until(etype, obj) else None
