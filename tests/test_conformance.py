"""Runs the AWS-recorded conformance cases through the Python API.

The cases live in ``../shared/conformance/cases`` (beside the repository); each holds
a definition, an input and the result real AWS Step Functions produced. The
comparison rules (masking of dates, placeholders) are the reference checker's own
``compare_result``, imported from ``../shared/conformance/check.py``.

This module covers the cases that need no service mock and no JSONata; the
``needs-mock`` and ``jsonata`` cases belong to the mock and JSONata test modules.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

import aslrun

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "conformance"
CASES = SHARED / "cases"

if not CASES.is_dir():  # pragma: no cover - CI always has ../shared
    pytest.skip(f"conformance corpus not found at {CASES}", allow_module_level=True)


def _load_checker() -> Any:
    spec = importlib.util.spec_from_file_location("aslrun_conformance_check", SHARED / "check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK = _load_checker()


def _cases(predicate: Any) -> list[dict[str, Any]]:
    out = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if predicate(case):
            out.append(case)
    return out


def _core_case(case: dict[str, Any]) -> bool:
    features = case.get("features", [])
    return "needs-mock" not in features and "jsonata" not in features


#: cases aslrun does not reproduce yet, each with the reason (strict: a fix makes the test fail
#: until the entry is removed)
KNOWN_DIFFERENCES: dict[str, str] = {}


CORE_CASES = _cases(_core_case)


@pytest.mark.parametrize("case", CORE_CASES, ids=[c["id"] for c in CORE_CASES])
def test_core_case_matches_aws(case: dict[str, Any], request: pytest.FixtureRequest) -> None:
    reason = KNOWN_DIFFERENCES.get(case["id"])
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    result = aslrun.run(case["definition"], case["input"], name="execution", clock="virtual", load_plugins=False)
    mismatch = CHECK.compare_result(case, result.to_json())
    assert mismatch is None, f"{mismatch}\nactual: {json.dumps(result.to_json())[:2000]}"


def test_core_cases_are_present() -> None:
    # The corpus has 454 such cases today; a much smaller number means the filter or the corpus broke.
    assert len(CORE_CASES) > 400
