"""``aslrun.kube`` is a package of its own: it imports nothing of aslrun outside itself, and its API is explicit."""

from __future__ import annotations

import ast
from pathlib import Path

import aslrun.kube

PACKAGE = Path(aslrun.kube.__file__).parent


def outside_imports(path: Path) -> list[str]:
    """``file:line module`` for every import in ``path`` that reaches into aslrun outside ``aslrun.kube``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:  # `from .. import x` leaves the package
                names = ["." * node.level + (node.module or ",".join(alias.name for alias in node.names))]
            elif node.level == 1:
                continue
            else:
                names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")
            if name.startswith(".") or (top[0] == "aslrun" and top[1:2] != ["kube"]):
                found.append(f"{path.name}:{node.lineno} {name}")
    return found


def test_the_emulator_imports_nothing_of_aslrun_outside_aslrun_kube() -> None:
    modules = sorted(PACKAGE.glob("*.py"))
    assert len(modules) > 10
    assert [hit for path in modules for hit in outside_imports(path)] == []


def test_the_checker_sees_imports_that_leave_the_package(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import aslrun.errors\nfrom aslrun import defaults\nfrom .. import engine\n"
                      "from aslrun.kube.store import Store\nfrom . import tls\nimport aslrun.kube\n")
    assert outside_imports(sample) == ["sample.py:1 aslrun.errors", "sample.py:2 aslrun", "sample.py:3 ..engine"]


def test_all_is_sorted_and_names_what_the_package_exports() -> None:
    assert aslrun.kube.__all__ == sorted(aslrun.kube.__all__)
    modules = {"admission", "api", "auth", "emulator", "executors", "gc", "jobs", "kubelet", "patch", "protobuf",
               "resources", "selectors", "server", "status", "store", "table", "tls"}
    # "@py_builtins" and "@pytest_ar": pytest rewrites aslrun (it ships a pytest plugin)
    public = {name for name in vars(aslrun.kube) if not name.startswith(("_", "@"))} - modules
    assert set(aslrun.kube.__all__) == public
