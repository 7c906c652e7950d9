"""Which local clusters are running: one JSON file per ``aslrun`` process, for ``aslrun cluster kubeconfig``.

The files live in ``$ASLRUN_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/aslrun``, else
``<tmp>/aslrun-<uid>`` (a 0700 directory; each file is 0600, since it holds the cluster's
bearer token). A process writes ``local-clusters-<pid>.json`` while its clusters live and
removes it when the backend closes; files of processes that are gone are ignored and removed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["LocalRegistry", "find_cluster", "runtime_dir", "running_clusters"]


def runtime_dir() -> Path:
    """The per-user directory of the registry files."""
    if os.environ.get("ASLRUN_RUNTIME_DIR"):
        return Path(os.environ["ASLRUN_RUNTIME_DIR"])
    if os.environ.get("XDG_RUNTIME_DIR"):
        return Path(os.environ["XDG_RUNTIME_DIR"]) / "aslrun"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"aslrun-{uid}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalRegistry:
    """This process's entry: ``{cluster name: {endpoint, ca, token, pid}}``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or runtime_dir()
        self.path = self.directory / f"local-clusters-{os.getpid()}.json"
        self.clusters: dict[str, dict[str, Any]] = {}

    def add(self, name: str, endpoint: str, ca_b64: str, token: str | None) -> None:
        self.clusters[name] = {"endpoint": endpoint, "ca": ca_b64, "token": token, "pid": os.getpid()}
        self._write()

    def remove(self, name: str) -> None:
        if self.clusters.pop(name, None) is not None:
            self._write()

    def clear(self) -> None:
        self.clusters.clear()
        self.path.unlink(missing_ok=True)

    def _write(self) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.clusters:
                self.path.unlink(missing_ok=True)
                return
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.clusters, fh)
            os.replace(tmp, self.path)
        except OSError:
            pass  # the registry is a convenience; a read-only tmp must not fail the run


def running_clusters(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every local cluster of a live ``aslrun`` process (newest file wins a name clash)."""
    where = directory or runtime_dir()
    found: dict[str, dict[str, Any]] = {}
    files = sorted(where.glob("local-clusters-*.json"), key=lambda p: p.stat().st_mtime) if where.is_dir() else []
    for path in files:
        try:
            pid = int(path.stem.rsplit("-", 1)[1])
        except ValueError:
            continue
        if not _alive(pid):
            path.unlink(missing_ok=True)
            continue
        try:
            found.update(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return found


def find_cluster(name: str, directory: Path | None = None) -> dict[str, Any] | None:
    """The running local cluster ``name``, or None."""
    return running_clusters(directory).get(name)


def kubeconfig_text(name: str, entry: dict[str, Any], namespace: str = "default") -> str:
    """A kubeconfig (YAML) for a registry entry."""
    import yaml

    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": entry["endpoint"],
                                                "certificate-authority-data": entry["ca"]}}],
        "users": [{"name": f"{name}-user", "user": {"token": entry.get("token")}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-user", "namespace": namespace}}],
    }
    return str(yaml.safe_dump(config, sort_keys=False))
