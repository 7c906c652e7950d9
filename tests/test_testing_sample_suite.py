"""samples/testing: the copyable example suite passes as shipped, and a changed mock fails it readably.

The suite is copied into a pytester directory (as a user would copy it), run with pytest, then run
again after one mocked result in its MockConfigFile.json is edited.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SUITE = Path(__file__).resolve().parents[1] / "samples" / "testing"
FILES = ("EksPipeline.json", "EksPipeline.input.json", "MockConfigFile.json")


@pytest.fixture
def copied(pytester: pytest.Pytester) -> pytest.Pytester:
    for name in FILES:
        (pytester.path / name).write_text((SUITE / name).read_text(encoding="utf-8"), encoding="utf-8")
    # Another module name than the original, so this copy never clashes with it in one process.
    (pytester.path / "test_copied_pipeline.py").write_text(
        (SUITE / "test_eks_pipeline.py").read_text(encoding="utf-8"), encoding="utf-8")
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    return pytester


def test_the_suite_ships_what_its_readme_lists() -> None:
    readme = (SUITE / "README.md").read_text(encoding="utf-8")
    for name in (*FILES, "test_eks_pipeline.py"):
        assert (SUITE / name).is_file()
        assert name in readme


def test_the_copied_suite_passes(copied: pytest.Pytester) -> None:
    result = copied.runpytest()
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] == 7


def test_changing_a_mocked_result_fails_with_the_diff_and_the_path(copied: pytest.Pytester) -> None:
    config = json.loads((copied.path / "MockConfigFile.json").read_text(encoding="utf-8"))
    config["MockedResponses"]["JobComplete"]["0"]["Return"]["logs"]["pods"]["example-job-abcde"]["containers"][
        "pi-20"]["log"]["pi"] = 3.0
    (copied.path / "MockConfigFile.json").write_text(json.dumps(config), encoding="utf-8")

    result = copied.runpytest("-k", "happy_path")

    assert result.ret == 1
    assert result.parseoutcomes()["failed"] == 1
    result.stdout.fnmatch_lines([
        "*test_happy_path_reports_what_the_job_printed*",
        "*AssertionError: the output of the execution of 'EksPipeline' (test case 'HappyPath') is not the "
        "expected one:",
        "*--- expected",
        "*+++ actual",
        '*-  "pi": 3.141592653589793',
        '*+  "pi": 3.0',
        "*path taken: Create cluster → Run job → Delete job → Report",
    ])


def test_a_mock_that_throws_instead_says_where_the_execution_stopped(copied: pytest.Pytester) -> None:
    config = json.loads((copied.path / "MockConfigFile.json").read_text(encoding="utf-8"))
    config["MockedResponses"]["CallOk"] = {"0": {"Throw": {"Error": "EKS.404", "Cause": "job not found"}}}
    (copied.path / "MockConfigFile.json").write_text(json.dumps(config), encoding="utf-8")

    result = copied.runpytest("-k", "happy_path")

    result.stdout.fnmatch_lines([
        "*expected the execution of 'EksPipeline' (test case 'HappyPath') to succeed with output *, but it "
        "FAILED with EKS.404: job not found.",
        "*path taken: Create cluster → Run job → Delete job",
        "*it stopped in Task state 'Delete job' with input *",
    ])
