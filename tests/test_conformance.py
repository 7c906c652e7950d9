"""Runs the AWS-recorded conformance cases through the Python API.

The cases live in ``tests/conformance/cases``; each holds a definition, an input and the
result real AWS Step Functions produced (``tests/conformance/README.md`` says where they come
from). The comparison rules (masking of dates, placeholders) are in
``tests/conformance/compare.py``, which the CLI scorer (``python -m tests.conformance.score``)
uses too.

Every case runs: ``needs-mock`` cases get their recorded Task results through the
MockConfigFile layer (test case ``Recorded`` of state machine ``StateMachine``), exactly
as ``aslrun run --mock-config`` would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conformance.compare import KNOWN_DIFFERENCES, compare_result, load_cases

import aslrun


def _core_case(case: dict[str, Any]) -> bool:
    features = case.get("features", [])
    return "needs-mock" not in features and "jsonata" not in features


ALL_CASES = load_cases()


def _run_case(case: dict[str, Any]) -> aslrun.ExecutionResult:
    mock = None
    if case.get("mock_config"):
        from aslrun.integrations.mock import MockConfig

        mock = MockConfig.load(case["mock_config"]).test_case("StateMachine", "Recorded")
    interpreter = aslrun.Interpreter(clock="virtual", load_plugins=False, mock=mock)
    machine = interpreter.load(case["definition"], name="StateMachine")
    return interpreter.run(machine, case["input"], name="execution")


@pytest.mark.parametrize("case", ALL_CASES, ids=[c["id"] for c in ALL_CASES])
def test_case_matches_aws(case: dict[str, Any], request: pytest.FixtureRequest) -> None:
    # a known difference must fail (strict): a fix makes the test fail until the entry is removed
    reason = KNOWN_DIFFERENCES.get(case["id"])
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    result = _run_case(case)
    mismatch = compare_result(case, result.to_json())
    assert mismatch is None, f"{mismatch}\nactual: {json.dumps(result.to_json())[:2000]}"


def test_every_kind_of_case_is_present() -> None:
    # 627 cases today: 454 need neither a mock nor JSONata, 103 need mocks, 88 use JSONata.
    assert len(ALL_CASES) >= 627
    assert len([c for c in ALL_CASES if _core_case(c)]) > 400
    assert len([c for c in ALL_CASES if "needs-mock" in c["features"]]) > 90
    assert len([c for c in ALL_CASES if "jsonata" in c["features"]]) > 80
    assert set(KNOWN_DIFFERENCES) <= {c["id"] for c in ALL_CASES}


def test_the_comparison_follows_the_corpus_rules() -> None:
    case = {
        "expected": {"status": "SUCCEEDED", "output": {"At": "date", "Id": "arn:aws:states:<ExecArnPart_0idx>",
                                                      "n": 1, "Events": [{"timestamp": "timestamp"}]}},
        "nondeterministic_fields": [{"pointer": "/output/Id", "placeholders": ["<ExecArnPart_0idx>"]}],
    }
    good = {"At": "2024-01-02T03:04:05.123Z", "Id": "arn:aws:states:us-east-1:1:execution:m:e", "n": 1.0,
            "Events": [{"timestamp": 1700000000}]}
    assert compare_result(case, {"status": "SUCCEEDED", "output": good}) is None
    assert compare_result(case, {"status": "SUCCEEDED", "output": {**good, "n": True}}) == \
        "/output/n: expected 1, got true"
    assert compare_result(case, {"status": "SUCCEEDED", "output": {**good, "Id": "arn:aws:lambda:x"}}) == \
        '/output/Id: "arn:aws:lambda:x" does not fit "arn:aws:states:<ExecArnPart_0idx>"'
    assert compare_result(case, {"status": "FAILED", "error": "E", "cause": None}) == \
        "status FAILED, expected SUCCEEDED (E: None)"
    failed = {"expected": {"status": "FAILED", "error": "E", "cause": '{"a": [1, 2]}'},
              "json_text_fields": [{"pointer": "/cause"}]}
    assert compare_result(failed, {"status": "FAILED", "error": "E", "cause": '{"a":[1,2]}'}) is None
    assert compare_result(failed, {"status": "FAILED", "error": "E", "cause": '{"a":[2,1]}'}) == \
        "/cause/a/0: expected 1, got 2"


def test_the_scorer_runs_cases_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from conformance.score import main

    # the API Gateway case needs Step Functions' own parameter check; both pass through the CLI
    header_case = "test_invoke_with_headers_singleStringHeader"
    assert main(["--filter", "test_state_fail-9e332b7f", "--filter", header_case, "--jobs", "2"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2 passed, 0 failed"
    # a case whose recording the CLI does not reproduce is reported by id, and the exit code says so
    (case,) = [c for c in ALL_CASES if c["id"].endswith("test_state_fail-9e332b7f")]
    wrong = {**case, "expected": {**case["expected"], "error": "Not.What.AWS.Said"}}
    (tmp_path / "wrong.json").write_text(json.dumps(wrong), encoding="utf-8")
    assert main(["--cases", str(tmp_path), "--jobs", "1"]) != 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"FAIL {case['id']}: ")
    assert lines[-1] == "0 passed, 1 failed"
