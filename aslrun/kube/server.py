"""HTTPS transport for the emulator: stdlib ``http.server`` in threads, TLS, keep-alive, chunked watches.

Each accepted connection gets ``TCP_NODELAY`` (without it every request costs ~40 ms of Nagle
plus delayed-ACK), its TLS handshake in its own thread, and HTTP/1.1 keep-alive with a
Content-Length on every response. Watch responses are chunked JSON lines ended by the
terminating chunk; the connection then serves the next request, as kube-apiserver's does.
Whenever the server closes a connection after a response it says so first
(``Connection: close``): an HTTP/1.1 client otherwise keeps the connection and sends its next
request into a socket being closed, which it sees as "Remote end closed connection without
response". Only a watch cut short (the client left, or :meth:`HttpsServer.stop`) ends its
connection without saying so, as it cannot. :meth:`HttpsServer.stop` unblocks idle keep-alive
connections and joins every thread, so nothing listens or runs afterwards. The request log
never holds the ``Authorization`` header.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aslrun.kube.api import Request, Response
from aslrun.kube.status import ApiError, status_body

__all__ = ["HttpsServer", "RequestRecord"]

MAX_BODY = 3 * 1024 * 1024  # kube-apiserver's request size limit


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One served request, for tests and debugging (no credentials)."""

    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    user: str
    content_type: str
    accept: str
    user_agent: str
    seconds: float


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aslrun-kube"
    sys_version = ""
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib's stderr access log (the emulator keeps its own)."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ApiError(413, status_body(413, "RequestEntityTooLarge",
                                                    f"Request entity too large: limit is {MAX_BODY}"))
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            remaining = length if length <= 16 * MAX_BODY else 0
            while remaining > 0:  # drain, so the client can read the answer instead of a reset
                got = self.rfile.read(min(remaining, 65536))
                if not got:
                    break
                remaining -= len(got)
            raise ApiError(413, status_body(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY}"))
        return self.rfile.read(length) if length else b""

    def _serve(self) -> None:
        started = time.monotonic()
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body = self._read_body()
        except ApiError as err:
            self.close_connection = True
            response = Response(err.code, err.payload())
        else:
            request = Request(self.command, url.path or "/", parse_qs(url.query, keep_blank_values=True), headers, body)
            response = self.server.handler(request)
        self.server.record(RequestRecord(self.command, url.path or "/", parse_qs(url.query, keep_blank_values=True),
                                         response.status, response.user, headers.get("content-type", ""),
                                         headers.get("accept", ""), headers.get("user-agent", ""),
                                         time.monotonic() - started))
        if response.stream is not None:
            self._send_stream(response)
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _send_stream(self, response: Response) -> None:
        """A watch: chunked JSON lines, then the terminating chunk; the connection stays usable."""
        assert response.stream is not None
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.server.closing or self.close_connection:
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        try:
            for chunk in response.stream:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        except (OSError, ssl.SSLError):  # the client went away mid-watch: nothing more to say on it
            self.close_connection = True
        finally:
            close = getattr(response.stream, "close", None)
            if close is not None:
                close()
        if self.server.closing:  # stopping ended the watch; its connection goes too
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    # Connection threads are daemons, so a server someone forgot to stop cannot hold the process open
    # at exit; socketserver does not track daemon threads, so this class joins them in server_close
    # and stop() still leaves no thread behind.
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext,
                 handler: Callable[[Request], Response], record: Callable[[RequestRecord], None],
                 idle_timeout: float) -> None:
        super().__init__(address, _Handler)
        self.context = context
        self.handler = handler
        self.record = record
        self.idle_timeout = idle_timeout
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        self.closing = False
        self._workers: list[threading.Thread] = []

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a daemon thread of its own, remembered for :meth:`server_close`."""
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name="kube-emulator-conn", daemon=True)
        with self._conns_lock:
            self._workers = [t for t in self._workers if t.is_alive()]
            self._workers.append(thread)
        thread.start()

    def server_close(self) -> None:
        super().server_close()
        with self._conns_lock:
            workers, self._workers = self._workers, []
        for thread in workers:
            thread.join()

    def finish_request(self, request: Any, client_address: Any) -> None:
        """TLS handshake and HTTP serving, in the connection's own thread."""
        sock: socket.socket = request
        with self._conns_lock:
            if self.closing:
                return
            self._conns.add(sock)
        tls: ssl.SSLSocket | None = None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(10)
            tls = self.context.wrap_socket(sock, server_side=True)
            tls.settimeout(self.idle_timeout)
            with self._conns_lock:
                self._conns.discard(sock)
                self._conns.add(tls)
            _Handler(tls, client_address, self)
        except (OSError, ssl.SSLError, ValueError):  # handshake refused, reset, or closed at shutdown
            pass
        finally:
            with self._conns_lock:
                self._conns.discard(sock)
                if tls is not None:
                    self._conns.discard(tls)
            if tls is not None:
                try:
                    tls.close()
                except OSError:
                    pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection errors are the client's business; do not print tracebacks."""

    def close_connections(self) -> None:
        """Unblock every open connection (idle keep-alive readers, half-done handshakes)."""
        with self._conns_lock:
            self.closing = True
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class HttpsServer:
    """Serves ``handler`` over HTTPS on ``host:port`` (port 0 picks a free one) in background threads."""

    def __init__(self, handler: Callable[[Request], Response], context: ssl.SSLContext, *,
                 host: str = "127.0.0.1", port: int = 0, idle_timeout: float = 120.0) -> None:
        self._records: list[RequestRecord] = []
        self._records_lock = threading.Lock()
        self._server = _Server((host, port), context, handler, self._record, idle_timeout)
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` actually bound."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def _record(self, record: RequestRecord) -> None:
        with self._records_lock:
            self._records.append(record)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the request log."""
        with self._records_lock:
            return list(self._records)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._records_lock:
            self._records.clear()

    def start(self) -> None:
        """Start accepting connections."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="kube-emulator-accept", daemon=True)
        self._thread.start()

    def stop(self, before_join: Callable[[], None] | None = None) -> None:
        """Stop accepting, close connections, run ``before_join`` (ends watches), join all threads."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_connections()
        if before_join is not None:
            before_join()
        self._server.server_close()
