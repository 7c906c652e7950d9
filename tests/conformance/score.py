"""Score the ``aslrun`` command line against the AWS-recorded conformance cases.

Every case runs as a user would run it::

    aslrun run DEFINITION --input @INPUT --json --name StateMachine [--mock-config MOCK --test-case Recorded]

and the last line of its stdout is compared with the recorded result (:mod:`compare`). One line
``FAIL <case id>: <reason>`` per failing case (a known difference says so), then ``N passed, M failed``.
Exit status: 0 when every failure is a known difference (or with ``--allow-failures``), 1 otherwise,
2 on bad usage. Run it from the repository's root::

    .venv/bin/python -m tests.conformance.score --jobs 2
    .venv/bin/python -m tests.conformance.score --cases tests/conformance/cases --cases ../more/cases
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .compare import CASES, KNOWN_DIFFERENCES, compare_result, load_cases


def _default_aslrun() -> str:
    """$ASLRUN, else the ``aslrun`` installed beside this Python, else the one on PATH."""
    if os.environ.get("ASLRUN"):
        return os.environ["ASLRUN"]
    beside = Path(sys.executable).parent / "aslrun"
    if beside.is_file():
        return str(beside)
    return shutil.which("aslrun") or "aslrun"


def run_case(case: dict[str, Any], aslrun: list[str], timeout: float) -> str | None:
    """Run ``case`` through the CLI: ``None`` when the result matches the recording, else the reason."""
    with tempfile.TemporaryDirectory(prefix="aslrun-case-") as tmp:
        definition = Path(tmp, "definition.json")
        definition.write_text(json.dumps(case["definition"], ensure_ascii=False, indent=1), encoding="utf-8")
        input_file = Path(tmp, "input.json")
        input_file.write_text(json.dumps(case["input"], ensure_ascii=False), encoding="utf-8")
        command = [*aslrun, "run", str(definition), "--input", f"@{input_file}", "--json", "--name", "StateMachine"]
        if case.get("mock_config") is not None:
            mock = Path(tmp, "mock.json")
            mock.write_text(json.dumps(case["mock_config"], ensure_ascii=False, indent=1), encoding="utf-8")
            command += ["--mock-config", str(mock), "--test-case", "Recorded"]
        try:
            proc = subprocess.run(command, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return f"timeout after {timeout:g}s"
        except OSError as exc:
            return f"cannot run {shlex.join(aslrun)}: {exc}"
    lines = [line for line in proc.stdout.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        return f"no output (exit {proc.returncode}) {tail[0][:200]}"
    try:
        actual = json.loads(lines[-1])
    except ValueError:
        return f"last line is not JSON (exit {proc.returncode}): {lines[-1][:200]}"
    return compare_result(case, actual)


def _select(cases: list[dict[str, Any]], filters: list[str], features: list[str]) -> list[dict[str, Any]]:
    return [case for case in cases
            if (not filters or any(text in case["id"] for text in filters))
            and all(tag in case.get("features", []) for tag in features)]


def main(argv: list[str] | None = None) -> int:
    """Score the cases; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tests.conformance.score", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", action="append", type=Path, metavar="DIR",
                        help=f"a directory of cases (repeatable; an id is run once; default {CASES})")
    parser.add_argument("--aslrun", default=_default_aslrun(), help="the aslrun command line, split like a shell would (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cases run in parallel")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per case (default 10)")
    parser.add_argument("--filter", action="append", default=[], metavar="TEXT",
                        help="only case ids containing TEXT (repeatable)")
    parser.add_argument("--feature", action="append", default=[], metavar="TAG",
                        help="only cases having TAG (repeatable: all must match)")
    parser.add_argument("--verbose", "-v", action="store_true", help="print PASS lines too")
    parser.add_argument("--allow-failures", action="store_true", help="exit 0 whatever fails")
    args = parser.parse_args(argv)

    directories = args.cases or [CASES]
    for directory in directories:
        if not directory.is_dir():
            parser.error(f"not a directory: {directory}")
    cases = _select(load_cases(*directories), args.filter, args.feature)
    if not cases:
        print("no cases selected")
        print("0 passed, 0 failed")
        return 2

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        aslrun = shlex.split(args.aslrun)
        reasons = list(pool.map(lambda case: run_case(case, aslrun, args.timeout), cases))

    unexpected = 0
    for case, reason in zip(cases, reasons, strict=True):
        if reason is None:
            if args.verbose:
                print(f"PASS {case['id']}")
            continue
        known = case["id"] in KNOWN_DIFFERENCES
        unexpected += not known
        print(f"FAIL {case['id']}: {reason}" + (" (a known difference)" if known else ""))
    failed = sum(reason is not None for reason in reasons)
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 0 if unexpected == 0 or args.allow_failures else 1


if __name__ == "__main__":
    sys.exit(main())
