"""Shared fixtures for the EKS tests.

* ``runtime_dir`` (automatic) — ``ASLRUN_RUNTIME_DIR`` in the test's tmp_path, so local clusters are
  listed there, not in the user's runtime directory.
* ``kube_api``, ``kube_api_factory``, ``kube_ca``, ``kubectl``, ``kubectl_binaries`` — the emulator's
  fixtures, defined once in ``tests/kube/conftest.py`` and imported here.
* (``tests/conftest.py`` checks after every test that it left no listening socket, non-daemon thread
  or child process.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kube.conftest import kube_api, kube_api_factory, kube_ca, kubectl, kubectl_binaries

__all__ = ["kube_api", "kube_api_factory", "kube_ca", "kubectl", "kubectl_binaries", "runtime_dir"]


@pytest.fixture(autouse=True)
def runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the local EKS's cluster listings (``aslrun cluster``) out of the user's runtime directory."""
    where = tmp_path / "runtime"
    monkeypatch.setenv("ASLRUN_RUNTIME_DIR", str(where))
    return where
