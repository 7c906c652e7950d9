"""The HTTP server of ``aslrun serve``: a :class:`ThreadingHTTPServer` answering the Step Functions API."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aslrun.server.handlers import operations
from aslrun.server.protocol import RequestHandler
from aslrun.server.service import Service
from aslrun.server.store import MEMORY

__all__ = ["ApiServer"]


class ApiServer(ThreadingHTTPServer):
    """The Step Functions API on ``host:port`` (port 0: any free port, see :attr:`endpoint`).

    ``with ApiServer(...) as server: server.start()`` serves on a background thread;
    :meth:`serve_forever` serves on the calling one. :meth:`close` stops serving, aborts the
    running executions and closes the store.
    """

    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog of 5 drops the SYNs of clients that connect together (a test
    # suite's threads, SDK pools reconnecting after a restart): each dropped one waits 1 s to retry
    request_queue_size = 128

    def __init__(self, host: str = "127.0.0.1", port: int = 8083, *, data: str | Path = MEMORY,
                 clock: str = "real", mock_config: str | Path | None = None, **settings: Any) -> None:
        self.service = Service(data, clock=clock, mock_config=mock_config, **settings)
        self.operations = operations(self.service)
        try:
            super().__init__((host, port), RequestHandler)
        except BaseException:
            self.service.close()
            raise
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def endpoint(self) -> str:
        """``http://host:port`` to give boto3 as ``endpoint_url``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ApiServer:
        """Serve on a background thread."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, name="aslrun-serve",
                                        daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, abort what runs, close the store. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
        self.server_close()
        self.service.close()

    def __enter__(self) -> ApiServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
