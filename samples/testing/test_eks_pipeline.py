"""Tests for EksPipeline.json: a copyable example of testing a workflow with aslrun.

Every Task is mocked by a test case of MockConfigFile.json (the AWS Step Functions Local format),
so nothing here needs AWS or a cluster, and the 30-second retry wait takes no time (the fixtures
run on a virtual clock). Run with ``pytest`` from anywhere: paths are relative to this file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aslrun.testing import Workflow

HERE = Path(__file__).parent
INPUT = json.loads((HERE / "EksPipeline.input.json").read_text(encoding="utf-8"))


@pytest.fixture
def pipeline(asl_machine) -> Workflow:
    """The workflow, named EksPipeline (its file name), with the test cases of MockConfigFile.json."""
    return asl_machine("EksPipeline.json", mock_config="MockConfigFile.json")


def test_happy_path_reports_what_the_job_printed(pipeline: Workflow) -> None:
    result = pipeline.run(INPUT, test_case="HappyPath")

    result.assert_output({"cluster": "MyCluster", "job": "example-job", "pi": 3.141592653589793,
                          "cleanup": "Success"})
    assert result.visited == ["Create cluster", "Run job", "Delete job", "Report"]


def test_the_job_gets_the_cluster_that_was_created(pipeline: Workflow) -> None:
    result = pipeline.run(INPUT, test_case="HappyPath")

    run_job = result.state("Run job")
    assert run_job.input["cluster"] == {
        "name": "MyCluster",
        "endpoint": "https://EXAMPLE.gr7.us-east-1.eks.amazonaws.com",
        "certificateAuthority": "LS0tLS1CRUdJTi...",
    }
    assert run_job.output["job"] == {
        "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]},
        "logs": [3.141592653589793],
    }


def test_a_sync_task_records_task_submitted_before_task_succeeded(pipeline: Workflow) -> None:
    result = pipeline.run(INPUT, test_case="HappyPath")

    assert result.state("Run job").event_types == [
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited",
    ]


def test_a_failed_job_ends_the_execution_with_its_status(pipeline: Workflow) -> None:
    result = pipeline.run(INPUT, test_case="JobFails")

    result.assert_failed("Pipeline.JobFailed", cause_match="BackoffLimitExceeded")
    assert result.visited == ["Create cluster", "Run job", "Job failed"]


def test_unauthorized_is_retried_once_after_30_seconds_then_reported(pipeline: Workflow) -> None:
    result = pipeline.run(INPUT, test_case="Unauthorized")

    result.assert_failed("Pipeline.Unauthorized", cause_match='"code":401')
    run_job = result.state("Run job")
    assert run_job.event_types.count("TaskFailed") == 2
    # The retry waited 30 s on the virtual clock: it shows in the history, not in the test's run time.
    failed = [e for e in run_job.events if e.type == "TaskFailed"]
    assert failed[1].timestamp - failed[0].timestamp == 30


def test_one_state_with_the_test_state_api(pipeline: Workflow) -> None:
    """TestState locally: run only "Run job", with its result or error given inline."""
    state_input = {**INPUT, "cluster": {"name": "c", "endpoint": "https://e", "certificateAuthority": "x"}}

    unauthorized = pipeline.test_state("Run job", state_input, inspection_level="DEBUG",
                                       mock={"errorOutput": {"error": "EKS.401", "cause": "expired token"}})
    assert unauthorized.status == "RETRIABLE"
    assert unauthorized.inspection_data["errorDetails"] == {"retryBackoffIntervalSeconds": 30, "retryIndex": 0}

    done = pipeline.test_state("Run job", state_input, mock={"result": {"status": {"succeeded": 1}, "logs": {}}})
    assert (done.status, done.next_state) == ("SUCCEEDED", "Delete job")
    assert done.output["job"] == {"status": {"succeeded": 1}, "logs": []}


# A property test: whatever number the job prints as "pi", the pipeline reports it unchanged.
# The fixtures are safe to share between examples (each run starts from the same definition and mocks).
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(printed=st.one_of(st.integers(-10**9, 10**9), st.floats(allow_nan=False, allow_infinity=False)))
def test_the_report_carries_any_number_the_job_prints(pipeline: Workflow, printed: float) -> None:
    job = {"status": {"succeeded": 1}, "logs": {"pods": {"p": {"containers": {"c": {"log": {"pi": printed}}}}}}}

    result = pipeline.run(INPUT, test_case="HappyPath", mocks={"Run job": job})

    assert result.output["pi"] == printed
