"""Fixtures for every test: ``leaves_nothing`` (automatic) fails a test that leaves a listening socket,
a non-daemon thread or a child process in this process that was not there before it (each one named);
``moto_url``, moto's HTTP server on 127.0.0.1 for the tests of a module that ask for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from leakcheck import child_processes, listening_sockets, non_daemon_threads


@pytest.fixture(autouse=True)
def leaves_nothing() -> Iterator[None]:
    """Fail a test that leaves a listening socket, a non-daemon thread or a child process behind."""
    before = (listening_sockets(), non_daemon_threads(), child_processes())
    yield
    deadline = time.monotonic() + 5.0  # threads and processes told to stop get a moment to finish
    while True:
        left = [now - was for now, was in zip((listening_sockets(), non_daemon_threads(), child_processes()),
                                              before)]
        if not any(left) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    sockets, threads, children = left
    assert not sockets, f"the test left listening sockets: {sorted(sockets)}"
    assert not threads, f"the test left non-daemon threads: {sorted(threads)}"
    assert not children, f"the test left child processes: {sorted(children)}"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's HTTP server (every service) on 127.0.0.1 and an ephemeral port, for one test module; its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
