"""The embedded AWS on a socket, for the local Lambda workers of a run (``--aws local`` with ``--lambda``).

aslrun's own boto3 clients reach moto's in-process backends without a socket
(:mod:`aslrun.integrations.aws.target`); a handler runs in a worker process of its own, so it reaches
them through :class:`EmbeddedServer`: moto's server application on ``127.0.0.1`` (a free port) in a thread
of this process. The server serves the very backends the in-process clients use, so a table that
``--aws-setup`` created or a ``dynamodb:putItem`` Task wrote is what the handler reads, and the other way
round. Requests without an ``x-moto-account-id`` header (a handler's) go to the run's account.

Only the run's workers are let in: they sign with a random access key id made for the run
(``access_key``), and a request signed with any other key, or not signed, gets 403
``UnrecognizedClientException`` — another local process (or a web page reaching ``127.0.0.1``) cannot
read or change the run's AWS. When a service is real, the workers keep your credentials and no key is
checked (``access_key=None``).

A handler answering a ``.waitForTaskToken`` Task (``SendTaskSuccess``, ``SendTaskFailure``,
``SendTaskHeartbeat``) is answered by the run's interpreter (``tokens``), not by moto: the token is aslrun's.

The socket is bound at once (cheap); moto's server application (Flask) is imported on the first request,
so a handler that never calls AWS costs nothing more. :meth:`EmbeddedServer.close` stops the thread and
closes the socket.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from aslrun.errors import InputError

__all__ = ["EmbeddedServer"]

_ACCOUNT_HEADER = "HTTP_X_MOTO_ACCOUNT_ID"
#: Step Functions' JSON 1.0 targets the run's interpreter answers (its task tokens)
_TOKEN_TARGETS = {"AWSStepFunctions.SendTaskSuccess", "AWSStepFunctions.SendTaskFailure",
                  "AWSStepFunctions.SendTaskHeartbeat"}


class EmbeddedServer:
    """moto's in-process AWS served on ``127.0.0.1:port`` (``port=0``: a free one) until :meth:`close`."""

    def __init__(self, account: str, host: str = "127.0.0.1", port: int = 0, tokens: Any = None,
                 access_key: str | None = None) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            """No access log: the run's output is the workflow's, not the server's."""

            def log(self, type: str, message: str, *args: Any) -> None:
                pass

        self.account = account
        #: answers task tokens (``send_task_success/failure/heartbeat``, an Interpreter), or None: moto does
        self.tokens = tokens
        #: the only access key id let in (None: any)
        self.access_key = access_key
        self._app: Callable[..., Iterable[bytes]] | None = None
        self._app_lock = threading.Lock()
        self.host = host
        # threaded: a request thread each (daemon threads: a worker's idle keep-alive connection holds none up)
        self._server = make_server(host, port, self._serve, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="aslrun-embedded-aws",
                                        kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``, what a worker's ``AWS_ENDPOINT_URL`` says."""
        return f"http://{self.host}:{self._server.server_port}"

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.access_key is not None and _access_key(environ) != self.access_key:
            start_response("403 Forbidden", [("Content-Type", "application/x-amz-json-1.0")])
            return [b'{"__type":"UnrecognizedClientException","message":"The security token included in the '
                    b'request is invalid (the embedded AWS of an aslrun run takes only its workers\' key)."}']
        if self.tokens is not None and environ.get("HTTP_X_AMZ_TARGET") in _TOKEN_TARGETS:
            return self._answer(environ, start_response)
        environ.setdefault(_ACCOUNT_HEADER, self.account)
        return self._moto_app()(environ, start_response)

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """SendTask* on the run's tokens, answered as the Step Functions API does (JSON 1.0)."""
        import json

        from aslrun.errors import TaskTokenError

        action = str(environ["HTTP_X_AMZ_TARGET"]).rpartition(".")[2]
        size = int(environ.get("CONTENT_LENGTH") or 0)
        status, body = "200 OK", {}
        try:
            params = json.loads(environ["wsgi.input"].read(size) or b"{}")
            token = str(params.get("taskToken") or "")
            if action == "SendTaskSuccess":
                self.tokens.send_task_success(token, json.loads(str(params.get("output"))))
            elif action == "SendTaskFailure":
                self.tokens.send_task_failure(token, params.get("error"), params.get("cause"))
            else:
                self.tokens.send_task_heartbeat(token)
        except TaskTokenError as exc:
            status = "400 Bad Request"
            body = {"__type": "InvalidToken", "message": "Invalid Token: 'Invalid token'"} \
                if exc.code == "InvalidToken" else \
                {"__type": "TaskTimedOut", "message": "Task Timed Out: 'Provided task does not exist anymore'"}
        except ValueError as exc:
            status, body = "400 Bad Request", {"__type": "InvalidOutput", "message": f"Invalid Output: '{exc}'"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))])
        return [data]

    def _moto_app(self) -> Callable[..., Iterable[bytes]]:
        with self._app_lock:
            if self._app is None:
                try:
                    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
                except ImportError as exc:  # moto without its [server] extra (Flask)
                    raise InputError("local Lambda handlers reach the embedded AWS through moto's server: "
                                     "install moto[server]") from exc
                self._app = DomainDispatcherApplication(create_backend_app)
            return self._app

    def close(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()


def _access_key(environ: dict[str, Any]) -> str | None:
    """The access key id a request was signed with: SigV4's ``Credential=`` (header or presigned query)."""
    from urllib.parse import parse_qs

    header = str(environ.get("HTTP_AUTHORIZATION") or "")
    if "Credential=" in header:
        return header.split("Credential=", 1)[1].split("/", 1)[0]
    query = parse_qs(str(environ.get("QUERY_STRING") or ""))
    credential = (query.get("X-Amz-Credential") or query.get("AWSAccessKeyId") or [""])[0]
    return credential.split("/", 1)[0] or None
