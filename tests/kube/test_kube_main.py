"""``python -m aslrun.kube`` as a user runs it: a subprocess, the official client, SIGTERM, bad usage."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

REPO = Path(__file__).resolve().parents[2]


def serve(*args: str) -> subprocess.Popen[str]:
    """Start ``python -m aslrun.kube ARGS`` with its stdout piped."""
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    return subprocess.Popen([sys.executable, "-m", "aslrun.kube", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)


def read_banner(proc: subprocess.Popen[str], timeout: float = 30) -> dict[str, str]:
    """The ``key: value`` lines printed before serving (endpoint, kubeconfig), read within ``timeout``."""
    assert proc.stdout is not None
    fd, data = proc.stdout.fileno(), b""  # raw reads: a text wrapper's buffer would hide lines from select
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while data.count(b"\n") < 2:
            left = deadline - time.monotonic()
            assert left > 0 and sel.select(left), f"no endpoint printed within {timeout} s: {data!r}"
            chunk = os.read(fd, 4096)
            assert chunk, f"exited early ({proc.wait(5)}): {proc.stderr.read() if proc.stderr else ''}"
            data += chunk
    lines = data.decode().splitlines()
    return dict(line.partition(": ")[::2] for line in lines)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """A running ``python -m aslrun.kube --port 0 --kubeconfig PATH``; killed if a test leaves it running."""
    kubeconfig = tmp_path / "kube" / "config"
    proc = serve("--port", "0", "--kubeconfig", str(kubeconfig))
    try:
        yield proc, kubeconfig
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_serves_the_official_client_until_sigterm_then_exits_0(server: tuple[subprocess.Popen[str], Path]) -> None:
    proc, kubeconfig = server
    banner = read_banner(proc)
    assert banner["endpoint"].startswith("https://127.0.0.1:")
    assert banner["kubeconfig"] == str(kubeconfig) and kubeconfig.is_file()
    assert oct(kubeconfig.stat().st_mode & 0o777) == "0o600"

    api = config.new_client_from_config(config_file=str(kubeconfig))
    try:
        core = client.CoreV1Api(api)
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team-a")))
        core.create_namespaced_config_map("team-a", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="settings"), data={"mode": "fast"}))
        names = [cm.metadata.name for cm in core.list_namespaced_config_map("team-a").items]
        assert names == ["settings"]
        assert "team-a" in [ns.metadata.name for ns in core.list_namespace().items]
    finally:
        api.close()

    token = yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert token and token not in out + err


def test_sigint_stops_it_too_and_a_temporary_kubeconfig_is_removed() -> None:
    proc = serve("--port", "0")
    try:
        kubeconfig = Path(read_banner(proc)["kubeconfig"])
        assert kubeconfig.is_file()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert not kubeconfig.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--port", "70000"], "argument --port: 70000 is not a port number"),
    (["--port", "http"], "argument --port: 'http' is not a port number"),
    (["--jobs", "vm"], "argument --jobs: invalid choice: 'vm'"),
    (["--verbose"], "unrecognized arguments: --verbose"),
])
def test_bad_usage_exits_2_with_a_message(args: list[str], message: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "aslrun.kube", *args], capture_output=True, text=True,
                          timeout=60, cwd=REPO)
    assert proc.returncode == 2
    assert message in proc.stderr and "usage: python -m aslrun.kube" in proc.stderr
    assert proc.stdout == ""
