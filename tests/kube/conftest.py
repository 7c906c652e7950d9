"""Shared fixtures for the emulator's tests (and, re-exported, the EKS tests): emulators, clients, kubectl.

* ``kube_api`` — a started :class:`~aslrun.kube.KubeEmulator` on 127.0.0.1 (stopped after the test).
  Use ``.endpoint``, ``.ca_b64``, ``.token``, ``.kubeconfig(path)``, ``.requests``,
  ``.set_outcome(job_name, JobOutcome(...))``.
* ``kube_api_factory`` — ``kube_api_factory(**knobs)`` starts more emulators with other knobs.
* ``kube_client`` — an official ``kubernetes`` Python client for ``kube_api`` (TLS verified, bearer token);
  ``kube_client_factory(emulator, token=..., ca_b64=...)`` makes others; :func:`python_client` makes one.
* ``kubectl_binaries`` — ``{"1.20": path, "1.33": path}`` for the binaries ``tools/install-kubectl``
  put in ``.venv/kubectl`` (or ``$ASLRUN_KUBECTL_DIR``); only those present.
* ``kubectl`` — parametrized over both versions: a runner bound to ``kube_api``'s kubeconfig with
  its own HOME and discovery cache. A missing binary skips the test, but fails it when ``CI`` is set.

``tests/eks/conftest.py`` imports these fixtures (as ``kube.conftest``) so the EKS tests share them
without a copy. (``tests/conftest.py`` checks after every test that it left no listening socket,
non-daemon thread or child process.)
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aslrun.kube import CertificateAuthority, KubeEmulator

REPO = Path(__file__).resolve().parents[2]
KUBECTL_VERSIONS = ("1.20", "1.33")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract: real clients (kubectl, the kubernetes Python client) "
                                       "against aslrun's Kubernetes emulator")


def in_ci() -> bool:
    """Whether this run is CI (``CI`` set to anything but empty/0/false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def kube_ca() -> CertificateAuthority:
    """One CA for the session's emulators (generating one costs ~20 ms)."""
    return CertificateAuthority.generate("aslrun-test-ca")


@pytest.fixture
def kube_api_factory(kube_ca: CertificateAuthority) -> Iterator[Callable[..., KubeEmulator]]:
    """Start emulators with custom knobs; all are stopped after the test."""
    started: list[KubeEmulator] = []

    def make(**knobs: Any) -> KubeEmulator:
        knobs.setdefault("ca", kube_ca)
        knobs.setdefault("simulated_delay", 0.05)
        emulator = KubeEmulator(**knobs).start()
        started.append(emulator)
        return emulator

    yield make
    for emulator in reversed(started):
        emulator.stop()
    for emulator in started:
        assert not emulator.internal_errors, emulator.internal_errors


@pytest.fixture
def kube_api(kube_api_factory: Callable[..., KubeEmulator]) -> KubeEmulator:
    """A started emulator (simulated executor, 50 ms per container), stopped after the test."""
    return kube_api_factory()


def python_client(emulator: KubeEmulator, token: str | None = None, ca_b64: str | None = None) -> Any:
    """An ``ApiClient`` configured the way the EKS plugin configures it from ASL parameters."""
    from kubernetes import client

    cfg = client.Configuration(host=emulator.endpoint, no_proxy="127.0.0.1,localhost")
    cfg.ca_cert_data = base64.b64decode(ca_b64 or emulator.ca_b64).decode("ascii")
    cfg.api_key = {"BearerToken": token if token is not None else emulator.token}
    cfg.api_key_prefix = {"BearerToken": "Bearer"}
    cfg.retries = False
    return client.ApiClient(cfg)


@pytest.fixture
def kube_client_factory() -> Iterator[Callable[..., Any]]:
    """``kube_client_factory(emulator, token=None, ca_b64=None)``: Python clients, closed after the test."""
    made: list[Any] = []

    def make(emulator: KubeEmulator, token: str | None = None, ca_b64: str | None = None) -> Any:
        made.append(python_client(emulator, token, ca_b64))
        return made[-1]

    yield make
    for api in made:
        api.close()


@pytest.fixture
def kube_client(kube_api: KubeEmulator, kube_client_factory: Callable[..., Any]) -> Any:
    """The official Python client for ``kube_api`` (TLS verified against the emulator's CA)."""
    return kube_client_factory(kube_api)


@pytest.fixture(scope="session")
def kubectl_binaries() -> dict[str, Path]:
    """``{version: path}`` of the kubectl binaries installed by ``tools/install-kubectl``."""
    where = Path(os.environ.get("ASLRUN_KUBECTL_DIR") or REPO / ".venv" / "kubectl")
    found = {}
    for version in KUBECTL_VERSIONS:
        path = where / f"kubectl-{version}"
        if path.is_file() and os.access(path, os.X_OK):
            found[version] = path
    return found


class Kubectl:
    """Runs one kubectl binary against one kubeconfig, isolated (own HOME, cache dir, no proxies)."""

    def __init__(self, binary: Path, version: str, kubeconfig: Path, home: Path, workdir: Path) -> None:
        self.binary, self.version, self.kubeconfig, self.workdir = binary, version, kubeconfig, workdir
        self.env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "NO_PROXY": "127.0.0.1,localhost", "LANG": "C.UTF-8"}
        self.cache = home / "kube-cache"

    def __call__(self, *args: str, expect: int | None = 0, stdin: str | None = None,
                 kubeconfig: Path | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run ``kubectl ARGS``; asserts the exit code unless ``expect`` is None."""
        argv = [str(self.binary), "--kubeconfig", str(kubeconfig or self.kubeconfig), "--cache-dir", str(self.cache),
                *args]
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=self.env, cwd=self.workdir,
                              timeout=timeout)
        if expect is not None:
            assert proc.returncode == expect, (f"kubectl {self.version} {' '.join(args)} exited {proc.returncode}"
                                               f"\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc


@pytest.fixture(params=KUBECTL_VERSIONS, ids=lambda v: f"kubectl-{v}")
def kubectl(request: pytest.FixtureRequest, kubectl_binaries: dict[str, Path], kube_api: KubeEmulator,
            tmp_path: Path) -> Kubectl:
    """A kubectl of each version, bound to ``kube_api``; missing binaries fail in CI, skip elsewhere."""
    version = request.param
    if version not in kubectl_binaries:
        message = f"kubectl {version} is not installed: run `bash tools/install-kubectl`"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    home = tmp_path / f"home-{version}"
    home.mkdir()
    config = kube_api.kubeconfig(tmp_path / "kubeconfig")
    return Kubectl(kubectl_binaries[version], version, config, home, tmp_path)
