"""Start-up: what ``import aslrun``, a Pass-only run and the CLI import, checked in a fresh interpreter.

A run imports only what it uses (issue 21): no AWS SDK, Kubernetes client, JSONata engine or EKS plugin
for a machine that has none of them, no YAML library for a JSON definition, no rich under ``--json``.
The checks read ``sys.modules`` in a subprocess; there is no timing assertion (see ``bench/README.md``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from aslrun.cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parent.parent

#: never imported by ``import aslrun`` or by a Pass-only run
HEAVY = ("boto3", "botocore", "kubernetes", "cryptography", "jsonata", "moto", "aslrun.integrations.eks",
         "aslrun.kube")

PASS_MACHINE = {"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}


def imported_after(code: str, *prefixes: str) -> list[str]:
    """The modules named by ``prefixes`` (or their submodules) that ``code`` leaves imported, in a fresh process."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"prefixes = {list(prefixes)!r}\n"
        "print(json.dumps(sorted(m for m in sys.modules if any(m == p or m.startswith(p + '.') for p in prefixes))))"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def test_import_aslrun_is_light() -> None:
    assert imported_after("import aslrun", *HEAVY, "ruamel", "rich", "click", "importlib.metadata") == []


def test_a_pass_only_run_imports_no_plugin_and_no_yaml() -> None:
    code = (
        "import aslrun\n"
        f"result = aslrun.run({PASS_MACHINE!r}, {{'x': 1}})\n"
        "assert result.status == 'SUCCEEDED', result\n"
    )
    assert imported_after(code, *HEAVY, "ruamel", "rich") == []


def test_the_cli_under_json_imports_no_plugin_and_no_rich(tmp_path: Path) -> None:
    machine = tmp_path / "pass.json"
    machine.write_text(json.dumps(PASS_MACHINE), encoding="utf-8")
    code = (
        "import sys\nfrom aslrun.cli.main import main\n"
        f"sys.argv = ['aslrun', 'run', {str(machine)!r}, '--json']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
    )
    assert imported_after(code, *HEAVY, "ruamel", "rich", "aslrun.cli.cluster", "aslrun.cli.debug") == []


def test_python_m_aslrun_run_on_the_yaml_sample_imports_no_plugin_and_no_rich() -> None:
    # YAML definitions need ruamel.yaml (and only them); --json shows no live view, so no rich
    code = (
        "import runpy, sys\n"
        "sys.argv = ['aslrun', 'run', 'samples/hello.yaml', '--input', '@samples/hello.input.json', '--json']\n"
        "try:\n    runpy.run_module('aslrun', run_name='__main__')\nexcept SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
    )
    assert imported_after(code, *HEAVY, "rich") == []


def test_help_imports_no_command() -> None:
    code = (
        "import sys\nfrom aslrun.cli.main import main\nsys.argv = ['aslrun', '--help']\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert exc.code == 0, exc.code\n"
    )
    modules = [f"aslrun.cli.{target.partition(':')[0].rsplit('.', 1)[1]}" for target, _ in COMMANDS.values()]
    assert imported_after(code, *modules, *HEAVY, "rich") == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_in_the_table_matches_its_command(name: str) -> None:
    # aslrun --help shows the table's help without importing the command: it must say what the command says
    target, help_text = COMMANDS[name]
    command = cli.commands[name]
    assert isinstance(command, click.Command) and command.name == name
    assert f"{command.callback.__module__}:{command.callback.__name__}" == target
    assert (command.help or "").partition("\n\n")[0].split() == help_text.split()
    stand_in = click.Command(name, help=help_text)
    for limit in (30, 45, 70, 200):
        assert stand_in.get_short_help_str(limit) == command.get_short_help_str(limit)
