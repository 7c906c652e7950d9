"""Long ``runJob.sync`` Jobs on the local backend: watches that time out, keep-alive, and closing KubeHttp.

A ``.sync`` Job outlives many watches (``eks.watch_timeout``); after each one the plugin sends
its next request on the same pooled connection. These pin what that relies on: a watch that
ends leaves a usable HTTP/1.1 connection, a run of a minute succeeds, and
:meth:`~aslrun.integrations.eks.backends.http.KubeHttp.close` frees a thread blocked in a watch.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from http.client import HTTPSConnection
from typing import Any

import pytest

import aslrun
from aslrun.integrations.eks.backends.http import KubeClosed, KubeHttp, ssl_context_for
from aslrun.integrations.eks.backends.local import LocalBackend
from aslrun.kube import KubeEmulator

JOBS = "/apis/batch/v1/namespaces/default/jobs"



@pytest.fixture
def kube_http(kube_api: KubeEmulator) -> Iterator[KubeHttp]:
    http = KubeHttp(kube_api.endpoint, ssl_context_for(ca_pem=kube_api.ca_pem), lambda: f"Bearer {kube_api.token}")
    yield http
    http.close()


def wait_until(check: Callable[[], bool], event: threading.Event) -> bool:
    """Poll ``check`` (the server's request log) until it holds; gives up after 30 s."""
    for _ in range(600):
        if check():
            return True
        event.wait(0.05)
    return False


# ---------------------------------------------------------------- the emulator's framing


def test_a_watch_that_times_out_leaves_its_keep_alive_connection_usable(kube_api: KubeEmulator) -> None:
    # The disconnect: the watch ended with its terminating chunk but no "Connection: close", then
    # the server closed the socket; a client (urllib3, http.client) reusing it got RemoteDisconnected.
    conn = HTTPSConnection("127.0.0.1", kube_api.port, context=ssl.create_default_context(cadata=kube_api.ca_pem),
                           timeout=30)
    auth = {"Authorization": f"Bearer {kube_api.token}"}
    try:
        conn.request("GET", f"{JOBS}?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dnone", headers=auth)
        watch = conn.getresponse()
        assert watch.status == 200 and watch.getheader("Transfer-Encoding") == "chunked"
        assert watch.read() == b""  # no events, then the terminating chunk
        sock = conn.sock
        assert watch.getheader("Connection") is None and sock is not None  # http.client keeps it open
        conn.request("GET", "/version", headers=auth)
        answer = conn.getresponse()
        assert answer.status == 200 and json.loads(answer.read())["major"] == "1"
        assert conn.sock is sock  # the same connection answered
    finally:
        conn.close()


def test_kube_http_requests_after_watch_timeouts_all_succeed(kube_api: KubeEmulator, kube_http: KubeHttp) -> None:
    for _ in range(3):
        assert kube_http.watch(JOBS, [("fieldSelector", "metadata.name=none")], 1, lambda kind, obj: True) is None
        assert kube_http.request("GET", JOBS).status == 200
    watches = [r for r in kube_api.requests if r.query.get("watch") == ["true"]]
    assert len(watches) == 3 and all(r.status == 200 for r in kube_api.requests)


def test_a_watch_left_at_its_event_does_not_hand_its_stream_to_the_next_request(
        kube_api: KubeEmulator, kube_http: KubeHttp) -> None:
    body = json.dumps({"metadata": {"name": "c1"}}).encode()
    assert kube_http.request("POST", "/api/v1/namespaces/default/configmaps", body=body,
                             content_type="application/json").status == 201
    event = kube_http.watch("/api/v1/namespaces/default/configmaps", [], 600, lambda kind, obj: True)
    assert event is not None and event[0] == "ADDED"
    # The watch is still open on the server; a GET must not be sent on its connection.
    listed = kube_http.request("GET", "/api/v1/namespaces/default/configmaps")
    assert listed.status == 200 and [i["metadata"]["name"] for i in listed.json()["items"]] == ["c1"]


# ---------------------------------------------------------------- KubeHttp.close


def test_close_returns_a_thread_blocked_in_a_watch_at_once(kube_api: KubeEmulator, kube_http: KubeHttp) -> None:
    outcome: list[BaseException | object] = []

    def watch() -> None:
        try:
            outcome.append(kube_http.watch(JOBS, [("fieldSelector", "metadata.name=none")], 600,
                                           lambda kind, obj: False))
        except BaseException as exc:  # the test reports it
            outcome.append(exc)

    worker = threading.Thread(target=watch, name="blocked-watch")
    worker.start()
    pause = threading.Event()
    assert wait_until(lambda: any(r.query.get("watch") == ["true"] for r in kube_api.requests), pause)
    kube_http.close()
    worker.join(timeout=30)  # the watch itself would last 600 s
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], KubeClosed)
    assert "the connection was closed" in str(outcome[0])
    with pytest.raises(KubeClosed, match="the connection was closed"):
        kube_http.request("GET", "/version")
    kube_http.close()  # idempotent


# ---------------------------------------------------------------- a minute-long Job through the plugin


def long_job(seconds: int) -> dict[str, Any]:
    return {
        "StartAt": "Run",
        "States": {"Run": {
            "Type": "Task",
            "Resource": "arn:aws:states:::eks:runJob.sync",
            "Parameters": {
                "ClusterName": "long",
                "CertificateAuthority": "unused-on-the-local-backend",
                "Endpoint": "https://long.example",
                "Namespace": "default",
                "Job": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "sixty-seconds"},
                        "spec": {"backoffLimit": 0, "template": {
                            "metadata": {"annotations": {"aslrun.io/duration": str(seconds),
                                                         "aslrun.io/log": "done"}},
                            "spec": {"restartPolicy": "Never",
                                     "containers": [{"name": "main", "image": "busybox"}]}}}},
            },
            "End": True,
        }},
    }


def test_a_sixty_second_job_succeeds_through_many_watch_timeouts() -> None:
    with LocalBackend({"eks.local.transition_polls": 1}) as backend:
        with aslrun.Interpreter(clock="real", options={"eks.backend": backend, "eks.watch_timeout": 1,
                                                       "eks.poll_interval": 0.2}) as interp:
            result = interp.run(long_job(60), {})
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        job = result.output
        assert job["status"]["succeeded"] == 1
        requests = backend.emulators["long"].requests
        watches = [r for r in requests if r.query.get("watch") == ["true"]]
        # one watch per second of the Job, each followed by a GET on the same keep-alive connection
        assert len(watches) >= 30 and {r.status for r in requests} <= {200, 201}
