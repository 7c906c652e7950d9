"""A small HTTPS client for one Kubernetes API server (urllib3), shared by the aws and kubeconfig backends.

TLS is always verified: against the task's ``CertificateAuthority`` (aws backend) or the
kubeconfig's CA (kubeconfig backend). The ``Authorization`` header comes from a callable
asked before every request, so a token can be renewed during a long ``.sync`` wait; it is
never kept in an attribute, a repr or an exception message.

Connections are reused (HTTP/1.1 keep-alive), which a server may end whenever one is idle: a
safe request (GET, HEAD) that finds its reused connection closed before any answer is sent
again once on a new connection, as RFC 9112 section 9.3.1 allows. A watch left before its end
closes its connection rather than returning it, unread, to the pool. :meth:`KubeHttp.close`
closes every connection, in-flight ones included, so a thread blocked in :meth:`KubeHttp.watch`
returns at once.
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import socket
import ssl
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ProtocolError

from aslrun.integrations.eks.backends.base import KubeResponse, WatchUnsupported
from aslrun.integrations.eks.params import ParameterError

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection, BaseHTTPSConnection

__all__ = ["KubeClosed", "KubeHttp", "ca_pem_from_base64", "ssl_context_for"]

#: seconds to wait for a connection and for each read of a normal request
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
#: methods sent again when a reused connection turns out closed before any answer (RFC 9112 9.3.1)
_RESENDABLE = frozenset({"GET", "HEAD"})
#: how a reused connection that the server closed shows up before the status line
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class KubeClosed(ConnectionError):
    """The :class:`KubeHttp` was closed (the run ended) before or while a request was under way."""


class _TrackedHTTPPool(HTTPConnectionPool):
    track: Callable[[BaseHTTPConnection], None] | None = None

    def _new_conn(self) -> BaseHTTPConnection:
        conn = super()._new_conn()
        if self.track is not None:
            self.track(conn)
        return conn


class _TrackedHTTPSPool(HTTPSConnectionPool):
    track: Callable[[BaseHTTPConnection], None] | None = None

    def _new_conn(self) -> BaseHTTPSConnection:
        conn = super()._new_conn()
        if self.track is not None:
            self.track(conn)
        return conn


class _Pools(urllib3.PoolManager):
    """A PoolManager that reports every connection it opens (so :meth:`KubeHttp.close` can reach busy ones)."""

    def __init__(self, track: Callable[[BaseHTTPConnection], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}
        self._track = track

    def _new_pool(self, scheme: str, host: str, port: int,
                  request_context: dict[str, Any] | None = None) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.track = self._track  # type: ignore[attr-defined]
        return pool


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
        self._lock = threading.Lock()
        self._closed = False
        self._connections: weakref.WeakSet[BaseHTTPConnection] = weakref.WeakSet()
        self._pool = _Pools(self._opened, **kwargs)
        self.description = description or f"the Kubernetes API at {self._base}"

    def _opened(self, conn: BaseHTTPConnection) -> None:
        with self._lock:
            if self._closed:  # a request that raced close(): no new connection
                raise KubeClosed(f"{self.description}: the connection was closed (the run ended)")
            self._connections.add(conn)

    def close(self) -> None:
        """Close every connection, interrupting requests and watches under way; idempotent.

        A thread blocked in :meth:`watch` or :meth:`request` gets :class:`KubeClosed` at once;
        later calls get it too.
        """
        with self._lock:
            self._closed = True
            connections = list(self._connections)
        self._pool.clear()  # idle pooled connections
        for conn in connections:  # checked-out ones: a blocked read sees end-of-stream
            sock = getattr(conn, "sock", None)
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed or never connected
                pass

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise KubeClosed(f"{self.description}: the connection was closed (the run ended)")

    def _send(self, method: str, url: str, headers: Callable[[], dict[str, str]], **kwargs: Any) -> Any:
        """One urllib3 request; a safe one whose reused connection was found closed is sent once more."""
        for attempt in (1, 2):
            self._check_open()
            try:
                return self._pool.request(method, url, headers=headers(), redirect=False, **kwargs)
            except ProtocolError as exc:
                if self._closed:
                    raise KubeClosed(f"{self.description}: the connection was closed (the run ended)") from None
                stale = len(exc.args) > 1 and isinstance(exc.args[1], _STALE)
                if attempt == 2 or not stale or method not in _RESENDABLE:
                    raise
        raise AssertionError("unreachable")

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
        try:
            resp = self._send(method, self._url(path, query), lambda: self._headers(accept, content_type), body=body,
                              timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT))
        except (OSError, urllib3.exceptions.HTTPError):
            self._check_open()
            raise
        return KubeResponse(resp.status, resp.reason or "", resp.data or b"", dict(resp.headers))

    def watch(self, path: str, query: Sequence[tuple[str, str]], timeout_seconds: float,
              until: Callable[[str, dict[str, Any]], bool]) -> tuple[str, dict[str, Any]] | None:
        """Stream watch events until one matches ``until`` or the server ends the watch."""
        seconds = max(1, int(timeout_seconds))
        params = [*query, ("watch", "true"), ("timeoutSeconds", str(seconds))]
        try:
            return self._watch(self._url(path, params), seconds, until)
        except (OSError, urllib3.exceptions.HTTPError):
            self._check_open()  # close() cut the stream: say so rather than "connection broken"
            raise

    def _watch(self, url: str, seconds: int,
               until: Callable[[str, dict[str, Any]], bool]) -> tuple[str, dict[str, Any]] | None:
        resp = self._send("GET", url, lambda: self._headers("application/json", None),
                          timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=seconds + 15), preload_content=False)
        ended = False
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
            ended = True
            return _event(buffer, until) if buffer.strip() else None
        finally:
            if not ended:
                # Left mid-stream: the server is still sending this watch on the connection, so it
                # must not go back to the pool (a later request would read the watch's rest).
                resp.close()
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
