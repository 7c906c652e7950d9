"""``aslrun.teststate`` and ``aslrun test-state``: the TestState API locally.

The expected responses are AWS recordings: LocalStack's ``tests/aws/services/stepfunctions/v2/test_state/
*.snapshot.json`` (AWS-validated, November 2025), with the definitions from its ``templates/test_state``.
Those snapshots store JSON-text fields parsed when they hold an object, so the comparisons here parse
aslrun's JSON text the same way; dates, ARNs and generated names are masked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import aslrun
from aslrun import teststate
from aslrun.cli.main import cli
from aslrun.errors import DefinitionError, InputError, StatesError

TEXT_FIELDS = ("input", "afterInputPath", "afterParameters", "afterArguments", "result", "afterResultSelector",
               "afterResultPath", "variables", "afterItemsPath")


def run(definition: Any, input: Any = None, **options: Any) -> dict[str, Any]:
    """The TestState response with its JSON-text fields parsed (as the AWS snapshots store them)."""
    options.setdefault("interpreter", aslrun.Interpreter(load_plugins=False))
    response = teststate.test_state(definition, input, **options).to_json()
    return parsed(response)


def parsed(response: dict[str, Any]) -> dict[str, Any]:
    out = dict(response)
    if "output" in out:
        out["output"] = json.loads(out["output"])
    if "inspectionData" in out:
        data = dict(out["inspectionData"])
        for key in TEXT_FIELDS:
            if key in data:
                data[key] = json.loads(data[key])
        out["inspectionData"] = data
    return out


def masked_context(output: dict[str, Any]) -> dict[str, Any]:
    """``$states.context`` with the dates and generated names replaced, as the snapshots mask them."""
    ctx = json.loads(json.dumps(output["context"]))
    execution = ctx["Execution"]
    assert execution["Id"] == f"arn:aws:states:us-east-1:111111111111:express:StateMachine:{execution['Name']}"
    execution.update(Id="<express-execution-arn>", Name="<name>", StartTime="date", RoleArn="<role>")
    ctx["State"]["EnteredTime"] = "date"
    return ctx


AWS_CONTEXT = {
    "Execution": {"Id": "<express-execution-arn>", "Input": None, "Name": "<name>", "RoleArn": "<role>",
                  "StartTime": "date"},
    "StateMachine": {"Id": "arn:aws:states:us-east-1:111111111111:stateMachine:StateMachine", "Name": "StateMachine"},
    "State": {"Name": "StateName", "EnteredTime": "date", "RetryCount": 0},
}


def aws_context(input: Any) -> dict[str, Any]:
    ctx = json.loads(json.dumps(AWS_CONTEXT))
    ctx["Execution"]["Input"] = input
    return ctx


# ---------------------------------------------------------------- AWS recordings: JSONPath Pass, Fail, Succeed, Choice

HELLO = {"Value": "HelloWorld"}
NESTED = {"initialData": {"fieldFromInput": "value from input", "otherField": "other"},
          "unrelatedData": {"someOtherField": 1234}}
IO_PARAMETERS = {"staticValue": "some value", "inputValue.$": "$.fieldFromInput"}
NESTED_OUT = {**NESTED, "modifiedData": {"staticValue": "some value", "inputValue": "value from input"}}
NESTED_RESULT_OUT = {**NESTED, "modifiedData": {"resultKey": "result value"}}
RESULT = {"resultKey": "result value"}
CHOICE = {
    "Type": "Choice",
    "Choices": [
        {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
        {"Variable": "$.value", "NumericEquals": 0, "Next": "ValueIsZero"},
        {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                 {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"},
    ],
    "Default": "DefaultState",
}
FAIL = {"Type": "Fail", "Error": "SomeFailure", "Cause": "This state machines raises a 'SomeFailure' failure."}

#: (id, definition, input, AWS's DEBUG response) from test_test_state_scenarios.snapshot.json
AWS_BASE_CASES = [
    ("BASE_PASS_STATE", {"Type": "Pass", "End": True}, HELLO, {
        "inspectionData": {"input": HELLO, "afterInputPath": HELLO, "afterParameters": HELLO,
                           "afterResultSelector": HELLO, "afterResultPath": HELLO},
        "output": HELLO, "status": "SUCCEEDED"}),
    ("BASE_RESULT_PASS_STATE", {"Type": "Pass", "Result": RESULT, "End": True}, HELLO, {
        "inspectionData": {"input": HELLO, "result": RESULT, "afterResultSelector": RESULT,
                           "afterResultPath": RESULT},
        "output": RESULT, "status": "SUCCEEDED"}),
    ("IO_PASS_STATE", {"Type": "Pass", "InputPath": "$.initialData", "Parameters": IO_PARAMETERS,
                       "ResultPath": "$.modifiedData", "End": True}, NESTED, {
        "inspectionData": {"input": NESTED, "afterInputPath": NESTED["initialData"],
                           "afterParameters": NESTED_OUT["modifiedData"],
                           "afterResultSelector": NESTED_OUT["modifiedData"], "afterResultPath": NESTED_OUT},
        "output": NESTED_OUT, "status": "SUCCEEDED"}),
    ("IO_RESULT_PASS_STATE", {"Type": "Pass", "InputPath": "$.initialData", "Parameters": IO_PARAMETERS,
                              "Result": RESULT, "ResultPath": "$.modifiedData", "End": True}, NESTED, {
        "inspectionData": {"input": NESTED, "result": RESULT, "afterResultSelector": RESULT,
                           "afterResultPath": NESTED_RESULT_OUT},
        "output": NESTED_RESULT_OUT, "status": "SUCCEEDED"}),
    ("BASE_FAIL_STATE", FAIL, HELLO, {
        "cause": FAIL["Cause"], "error": "SomeFailure",
        "inspectionData": {"input": HELLO, "afterInputPath": HELLO}, "status": "FAILED"}),
    ("BASE_SUCCEED_STATE", {"Type": "Succeed"}, HELLO, {
        "inspectionData": {"input": HELLO, "afterInputPath": HELLO}, "output": HELLO, "status": "SUCCEEDED"}),
    ("BASE_CHOICE_STATE", CHOICE, {"type": "Private", "value": 22}, {
        "inspectionData": {"input": {"type": "Private", "value": 22}, "afterInputPath": {"type": "Private", "value": 22}},
        "nextState": "ValueInTwenties", "output": {"type": "Private", "value": 22}, "status": "SUCCEEDED"}),
]


@pytest.mark.parametrize("definition,input,expected", [c[1:] for c in AWS_BASE_CASES],
                         ids=[c[0] for c in AWS_BASE_CASES])
@pytest.mark.parametrize("level", ["DEBUG", "TRACE"])
def test_debug_and_trace_match_the_aws_recording_field_by_field(definition: Any, input: Any, expected: Any,
                                                                level: str) -> None:
    assert run(definition, input, inspection_level=level) == expected


@pytest.mark.parametrize("definition,input,expected", [c[1:] for c in AWS_BASE_CASES],
                         ids=[c[0] for c in AWS_BASE_CASES])
def test_info_is_the_same_response_without_inspection_data(definition: Any, input: Any, expected: Any) -> None:
    info = {k: v for k, v in expected.items() if k != "inspectionData"}
    assert run(definition, input) == info


def test_payload_fields_are_json_text_and_the_members_come_in_aws_order() -> None:
    response = teststate.test_state({"Type": "Pass", "Result": "done", "ResultPath": "$.r", "Next": "After"},
                                    {"a": [1, "é"]}, inspection_level="DEBUG").to_json()
    assert list(response) == ["output", "inspectionData", "nextState", "status"]
    assert response["output"] == '{"a":[1,"é"],"r":"done"}'
    assert response["inspectionData"] == {
        "input": '{"a":[1,"é"]}', "result": '"done"', "afterResultSelector": '"done"',
        "afterResultPath": '{"a":[1,"é"],"r":"done"}',
    }
    assert response["nextState"] == "After"


# ---------------------------------------------------------------- AWS recordings: Task with a mock (JSONata)

TASK_CATCH = {
    "QueryLanguage": "JSONata", "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Arguments": {"FunctionName": "foo", "Payload": "bar"},
    "Catch": [
        {"ErrorEquals": ["MockException"], "Output": "{% $states %}", "Next": "HandleMockError"},
        {"ErrorEquals": ["States.TaskFailed"], "Output": "{% $states %}", "Next": "HandleThreshold"},
    ],
    "End": True,
}


@pytest.mark.parametrize("error,cause,index,next_state", [
    ("MockException", "Mock the cause of the error.", 0, "HandleMockError"),
    ("States.TaskFailed", "The task failed.", 1, "HandleThreshold"),
])
def test_a_caught_mocked_error_matches_the_aws_recording(error: str, cause: str, index: int,
                                                         next_state: str) -> None:
    response = run(TASK_CATCH, HELLO, inspection_level="DEBUG",
                   mock={"errorOutput": {"error": error, "cause": cause}})
    output = response.pop("output")
    assert response == {
        "cause": cause, "error": error, "nextState": next_state, "status": "CAUGHT_ERROR",
        "inspectionData": {"afterArguments": {"FunctionName": "foo", "Payload": "bar"},
                           "errorDetails": {"catchIndex": index}, "input": HELLO},
    }
    assert output["input"] == HELLO
    assert output["errorOutput"] == {"Error": error, "Cause": cause}
    assert masked_context(output) == aws_context(HELLO)


TASK_RETRY = {
    "QueryLanguage": "JSONata", "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    "Arguments": {"FunctionName": "foo", "Payload": "bar"},
    "Retry": [{"ErrorEquals": ["MockException"], "IntervalSeconds": 1, "MaxAttempts": 5, "BackoffRate": 2.0}],
    "End": True,
}
VALUES = {"Values": ["first", "second", "third"]}
MOCK_EXCEPTION = {"errorOutput": {"error": "MockException", "cause": "Mock the cause of the error."}}


def test_retrier_retry_count_below_max_attempts_is_retriable_with_the_backoff_aws_recorded() -> None:
    assert run(TASK_RETRY, VALUES, inspection_level="DEBUG", retrier_retry_count=4, mock=MOCK_EXCEPTION) == {
        "cause": "Mock the cause of the error.", "error": "MockException", "status": "RETRIABLE",
        "inspectionData": {"afterArguments": {"FunctionName": "foo", "Payload": "bar"},
                           "errorDetails": {"retryBackoffIntervalSeconds": 16, "retryIndex": 0}, "input": VALUES},
    }


def test_retrier_retry_count_at_max_attempts_fails_and_still_names_the_retrier() -> None:
    assert run(TASK_RETRY, VALUES, inspection_level="TRACE", retrier_retry_count=5, mock=MOCK_EXCEPTION) == {
        "cause": "Mock the cause of the error.", "error": "MockException", "status": "FAILED",
        "inspectionData": {"afterArguments": {"FunctionName": "foo", "Payload": "bar"},
                           "errorDetails": {"retryIndex": 0}, "input": VALUES},
    }


def test_a_first_failure_is_retriable_with_the_first_interval() -> None:
    response = run(TASK_RETRY, VALUES, inspection_level="DEBUG", mock=MOCK_EXCEPTION)
    assert response["status"] == "RETRIABLE"
    assert response["inspectionData"]["errorDetails"] == {"retryBackoffIntervalSeconds": 1, "retryIndex": 0}


def test_used_up_retries_fall_through_to_catch() -> None:
    definition = {**TASK_RETRY, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handle"}]}
    response = run(definition, VALUES, inspection_level="DEBUG", retrier_retry_count=5, mock=MOCK_EXCEPTION)
    assert response["status"] == "CAUGHT_ERROR"
    assert response["nextState"] == "Handle"
    assert response["inspectionData"]["errorDetails"] == {"retryIndex": 0, "catchIndex": 0}


def test_the_retry_count_reaches_the_context_object() -> None:
    definition = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                  "Parameters": {"retries.$": "$$.State.RetryCount", "name.$": "$$.State.Name"}}
    response = run(definition, {}, inspection_level="DEBUG", retrier_retry_count=2, mock={"result": "{}"})
    assert response["inspectionData"]["afterParameters"] == {"retries": 2, "name": "StateName"}


@pytest.mark.parametrize("level", ["DEBUG", "TRACE"])
def test_a_lambda_function_task_shows_the_steps_aws_recorded(level: str) -> None:
    # AWS called a real function that returned the text "HelloWorld!"; here the mock returns it.
    definition = {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:f", "End": True}
    data = {"inputData": "HelloWorld"}
    assert run(definition, data, inspection_level=level, mock={"result": '"HelloWorld!"'}) == {
        "inspectionData": {"afterInputPath": data, "afterParameters": data, "afterResultPath": "HelloWorld!",
                           "afterResultSelector": "HelloWorld!", "input": data, "result": "HelloWorld!"},
        "output": "HelloWorld!", "status": "SUCCEEDED"}


# ---------------------------------------------------------------- AWS recordings: Map with a mock

BASE_MAP = {
    "Type": "Map", "QueryLanguage": "JSONata", "Items": "{% $states.input.Values %}",
    "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "TestState",
        "States": {"TestState": {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                                 "Arguments": {"FunctionName": "foo", "Payload": "bar"}, "End": True}},
    },
    "Output": "{% $states %}",
    "End": True,
}


@pytest.mark.parametrize("extra,inspection", [
    ({"MaxConcurrency": "{% $number('1') %}"}, {"maxConcurrency": 1}),
    ({"ToleratedFailurePercentage": "{% $number('1') %}"}, {"maxConcurrency": 0, "toleratedFailurePercentage": 1.0}),
    ({"ToleratedFailureCount": "{% $number('1') %}"}, {"maxConcurrency": 0, "toleratedFailureCount": 1}),
], ids=["MAX_CONCURRENCY", "TOLERATED_FAILURE_PERCENTAGE", "TOLERATED_FAILURE_COUNT"])
def test_a_mocked_map_matches_the_aws_recording(extra: dict[str, Any], inspection: dict[str, Any]) -> None:
    input = {"Values": [1, 2, 3]}
    response = run({**BASE_MAP, **extra}, input, inspection_level="DEBUG", mock={"result": json.dumps([1, 1, 1])})
    output = response.pop("output")
    assert response == {"inspectionData": {"input": input, **inspection}, "status": "SUCCEEDED"}
    assert output["result"] == [1, 1, 1] and output["input"] == input
    assert masked_context(output) == aws_context(input)


def test_a_mocked_map_runs_no_iteration() -> None:
    result = teststate.test_state(BASE_MAP, {"Values": [1, 2, 3]}, mock={"result": "[7]"},
                                  interpreter=aslrun.Interpreter(load_plugins=False))
    assert result.status == "SUCCEEDED"
    assert not any(event.type.startswith(("MapIteration", "Task")) or event.child for event in result.events)


MAP_RETRY = {
    **{k: v for k, v in BASE_MAP.items() if k != "Output"},
    "Retry": [{"ErrorEquals": ["MockException"], "MaxAttempts": 3},
              {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 2}],
    "ToleratedFailureCount": 1,
}
THRESHOLD = {"error": "States.ExceedToleratedFailureThreshold",
             "cause": "The specified tolerated failure threshold was exceeded"}


def test_a_map_error_matching_its_second_retrier_is_retriable_as_aws_recorded() -> None:
    assert run(MAP_RETRY, VALUES, inspection_level="DEBUG", mock={"errorOutput": THRESHOLD}) == {
        "cause": THRESHOLD["cause"], "error": THRESHOLD["error"], "status": "RETRIABLE",
        "inspectionData": {"errorDetails": {"retryBackoffIntervalSeconds": 1, "retryIndex": 1}, "input": VALUES,
                           "maxConcurrency": 0, "toleratedFailureCount": 1},
    }


def test_a_mocked_map_result_is_its_output_as_aws_recorded() -> None:
    # AWS echoes the mock text ("[1, 1, 1]"); aslrun writes compact JSON text of the same value.
    response = run(MAP_RETRY, VALUES, inspection_level="DEBUG", mock={"result": json.dumps([1, 1, 1])})
    assert response == {"inspectionData": {"input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 1},
                        "output": [1, 1, 1], "status": "SUCCEEDED"}


MAP_MACHINE = {
    "StartAt": "State0",
    "States": {"State0": {
        "Type": "Map", "ItemsPath": "$.Values", "ToleratedFailureCount": 2, "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": True}}},
    }},
}


def test_a_jsonpath_map_in_a_machine_shows_its_paths_as_aws_recorded() -> None:
    response = run(MAP_MACHINE, VALUES, state_name="State0", inspection_level="DEBUG",
                   mock={"errorOutput": {"error": "MockException", "cause": "Mock the error cause."}})
    assert response == {
        "cause": "Mock the error cause.", "error": "MockException", "status": "FAILED",
        "inspectionData": {"afterInputPath": VALUES, "afterItemsPath": ["first", "second", "third"],
                           "input": VALUES, "maxConcurrency": 0, "toleratedFailureCount": 2},
    }


#: AWS's literal answer to a Map or Parallel without a mock (recorded by LocalStack, pull request 13457)
MAP_PARALLEL_NEED_A_MOCK = (r"^InvalidDefinition: TestState API does not support Map or Parallel states\. "
                            r"Supported state types include: \[Task, Wait, Pass, Succeed, Fail, Choice\] ")


def test_a_map_without_a_mock_is_refused_as_aws_refuses_it() -> None:
    with pytest.raises(InputError, match=MAP_PARALLEL_NEED_A_MOCK + r"\('State0' is a Map state: give it a mock"):
        run(MAP_MACHINE, VALUES, state_name="State0")


# ---------------------------------------------------------------- AWS recordings: states of a whole machine

MULTI = {
    "QueryLanguage": "JSONata", "StartAt": "State0",
    "States": {"State0": {"Type": "Pass", "Next": "State1"}, "State1": FAIL},
}


@pytest.mark.parametrize("state,expected", [
    ("State0", {"inspectionData": {"input": HELLO}, "nextState": "State1", "output": HELLO, "status": "SUCCEEDED"}),
    ("State1", {"cause": FAIL["Cause"], "error": "SomeFailure", "inspectionData": {"input": HELLO},
                "status": "FAILED"}),
])
def test_jsonata_states_of_a_machine_match_the_aws_recording(state: str, expected: dict[str, Any]) -> None:
    assert run(MULTI, HELLO, state_name=state, inspection_level="TRACE") == expected


BLOGPOST = {
    "QueryLanguage": "JSONata", "StartAt": "Approval Required",
    "States": {
        "Approval Required": {"Type": "Choice", "Default": "Ask for Approval",
                              "Choices": [{"Condition": "{% $states.input.cost < 10 %}", "Next": "Purchase Approved"}]},
        "Ask for Approval": {
            "Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Next": "Check Approval",
            "Arguments": {"Method": "POST", "ApiEndpoint": "example.execute-api.us-east-1.amazonaws.com",
                          "Path": "/approval", "RequestBody": {"cost": "{% $states.input.cost %}", "dept_id": "12345678"},
                          "AuthType": "NO_AUTH"},
            "Output": {"approval": "{% $states.result.approval %}", "approval_code": "2387462", "approved_by": "Mary"},
        },
        "Check Approval": {"Type": "Choice", "Default": "Not Approved",
                           "Choices": [{"Condition": "{% $states.input.approval %}", "Next": "Purchase Approved"}]},
        "Purchase Approved": {"Type": "Succeed"},
        "Not Approved": {"Type": "Fail"},
    },
}


def test_the_localstack_blog_walkthrough_matches_the_aws_recording() -> None:
    assert run(BLOGPOST, {"cost": 9}, state_name="Approval Required", inspection_level="TRACE") == {
        "inspectionData": {"input": {"cost": 9}}, "nextState": "Purchase Approved", "output": {"cost": 9},
        "status": "SUCCEEDED"}
    assert run(BLOGPOST, {"cost": 10}, state_name="Approval Required")["nextState"] == "Ask for Approval"
    approved = {"approval": True, "approval_code": "2387462", "approved_by": "Mary"}
    assert run(BLOGPOST, {"cost": 10}, state_name="Ask for Approval", inspection_level="TRACE",
               mock={"result": '{"approval": true }'}) == {
        "inspectionData": {
            "afterArguments": {"Method": "POST", "ApiEndpoint": "example.execute-api.us-east-1.amazonaws.com",
                               "Path": "/approval", "RequestBody": {"cost": 10, "dept_id": "12345678"},
                               "AuthType": "NO_AUTH"},
            "input": {"cost": 10}, "result": {"approval": True}},
        "nextState": "Check Approval", "output": approved, "status": "SUCCEEDED"}
    assert run(BLOGPOST, approved, state_name="Check Approval")["nextState"] == "Purchase Approved"
    assert run(BLOGPOST, {"approval": False}, state_name="Check Approval")["nextState"] == "Not Approved"


def test_variables_in_scope_are_shown_after_the_state() -> None:
    definition = {
        "QueryLanguage": "JSONata", "StartAt": "State0",
        "States": {"State0": {"Type": "Pass", "End": True, "Assign": {"total": "{% $base + 6 %}"},
                              "Output": {"ja_var_access": "{% $var_input_value %}", "ja_expr": "{% $base + 6 %}"}}},
    }
    variables = {"var_input_value": "test_value", "base": 10}
    response = run(definition, {"input_values": [1, 2, 3]}, state_name="State0", variables=json.dumps(variables),
                   inspection_level="TRACE")
    assert response == {
        "inspectionData": {"input": {"input_values": [1, 2, 3]}, "variables": {**variables, "total": 16}},
        "output": {"ja_var_access": "test_value", "ja_expr": 16}, "status": "SUCCEEDED"}


def test_no_variables_no_variables_field() -> None:
    assert "variables" not in run({"Type": "Pass", "End": True}, {}, inspection_level="DEBUG")["inspectionData"]


# ---------------------------------------------------------------- Task data flow, EKS

EKS_RUN_JOB = {
    "StartAt": "Run job",
    "States": {
        "Run job": {
            "Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
            "Parameters": {"ClusterName.$": "$.cluster.Name", "CertificateAuthority.$": "$.cluster.CertificateAuthority.Data",
                           "Endpoint.$": "$.cluster.Endpoint", "Namespace": "default",
                           "Job": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "example-job"}},
                           "LogOptions": {"RetrieveLogs": True}},
            "ResultSelector": {"status.$": "$.status", "logs.$": "$.logs..pi"},
            "ResultPath": "$.job",
            "Retry": [{"ErrorEquals": ["EKS.401"], "MaxAttempts": 2, "IntervalSeconds": 5}],
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Job failed"}],
            "Next": "Delete job",
        },
        "Delete job": {"Type": "Succeed"},
        "Job failed": {"Type": "Fail"},
    },
}
CLUSTER = {"Name": "MyCluster", "Endpoint": "https://EXAMPLE.gr7.us-east-1.eks.amazonaws.com",
           "CertificateAuthority": {"Data": "LS0tLS1CRUdJTi..."}}
JOB_COMPLETE = {
    "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "example-job", "namespace": "default"},
    "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]},
    "logs": {"pods": {"example-job-abcde": {"containers": {"pi-20": {"log": {"pi": 3.14159}}}}}},
}


def test_an_eks_run_job_with_a_mocked_result_shows_every_jsonpath_step() -> None:
    response = run(EKS_RUN_JOB, {"cluster": CLUSTER}, state_name="Run job", inspection_level="DEBUG",
                   mock={"result": json.dumps(JOB_COMPLETE)})
    parameters = {"ClusterName": "MyCluster", "CertificateAuthority": "LS0tLS1CRUdJTi...",
                  "Endpoint": CLUSTER["Endpoint"], "Namespace": "default",
                  "Job": {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "example-job"}},
                  "LogOptions": {"RetrieveLogs": True}}
    selected = {"status": JOB_COMPLETE["status"], "logs": [3.14159]}
    assert response == {
        "inspectionData": {"input": {"cluster": CLUSTER}, "afterInputPath": {"cluster": CLUSTER},
                           "afterParameters": parameters, "result": JOB_COMPLETE, "afterResultSelector": selected,
                           "afterResultPath": {"cluster": CLUSTER, "job": selected}},
        "nextState": "Delete job", "output": {"cluster": CLUSTER, "job": selected}, "status": "SUCCEEDED",
    }


def test_an_eks_401_is_retriable_then_caught_and_a_failed_job_is_caught() -> None:
    unauthorized = {"errorOutput": {"error": "EKS.401", "cause": '{"StatusCode":401}'}}
    first = run(EKS_RUN_JOB, {"cluster": CLUSTER}, state_name="Run job", inspection_level="DEBUG", mock=unauthorized)
    assert first["status"] == "RETRIABLE" and "nextState" not in first and "output" not in first
    assert first["inspectionData"]["errorDetails"] == {"retryBackoffIntervalSeconds": 5, "retryIndex": 0}
    second = run(EKS_RUN_JOB, {"cluster": CLUSTER}, state_name="Run job", inspection_level="DEBUG",
                 mock=unauthorized, retrier_retry_count=1)
    assert second["inspectionData"]["errorDetails"] == {"retryBackoffIntervalSeconds": 10, "retryIndex": 0}
    # Retries used up: the Catch on States.TaskFailed takes it (TaskFailed matches every error but Timeout).
    last = run(EKS_RUN_JOB, {"cluster": CLUSTER}, state_name="Run job", inspection_level="DEBUG", mock=unauthorized,
               retrier_retry_count=2)
    assert (last["status"], last["nextState"]) == ("CAUGHT_ERROR", "Job failed")
    assert last["inspectionData"]["errorDetails"] == {"retryIndex": 0, "catchIndex": 0}
    caught = run(EKS_RUN_JOB, {"cluster": CLUSTER}, state_name="Run job",
                 mock={"errorOutput": {"error": "States.TaskFailed", "cause": "BackoffLimitExceeded"}})
    assert caught == {"error": "States.TaskFailed", "cause": "BackoffLimitExceeded", "nextState": "Job failed",
                      "status": "CAUGHT_ERROR", "output": {"cluster": CLUSTER, "error": {
                          "Error": "States.TaskFailed", "Cause": "BackoffLimitExceeded"}}}


def test_a_mock_result_may_be_a_json_value_as_well_as_json_text() -> None:
    definition = {"Type": "Task", "Resource": "arn:aws:states:::eks:call", "End": True}
    assert run(definition, {}, mock={"result": {"StatusCode": 200}})["output"] == {"StatusCode": 200}
    assert run(definition, {}, mock={"result": '"text"'})["output"] == "text"


class Echo:
    name = "echo"
    remote = False

    def handles(self, resource: Any) -> bool:
        return resource.service == "echo"

    def invoke(self, request: aslrun.TaskRequest) -> Any:
        if request.parameters.get("fail"):
            raise StatesError("Echo.Failed", "asked to")
        return {"echoed": request.parameters}


def test_without_a_mock_a_task_goes_to_the_interpreter_integrations() -> None:
    interpreter = aslrun.Interpreter(integrations=[Echo()], load_plugins=False)
    definition = {"Type": "Task", "Resource": "arn:aws:states:::echo:say", "Parameters": {"x.$": "$.x"}, "End": True}
    assert run(definition, {"x": 1}, interpreter=interpreter) == {"output": {"echoed": {"x": 1}},
                                                                  "status": "SUCCEEDED"}
    failing = {**definition, "Parameters": {"fail": True}}
    assert run(failing, {}, interpreter=interpreter) == {"error": "Echo.Failed", "cause": "asked to",
                                                         "status": "FAILED"}
    nobody = run({"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True}, {})
    assert nobody["error"] == "States.Runtime"
    assert nobody["cause"].startswith("No integration handles the resource 'arn:aws:states:::sns:publish'")


def test_a_mock_config_test_case_on_the_interpreter_answers_unmocked_tasks() -> None:
    from aslrun.integrations.mock import MockConfig

    case = MockConfig.load({"StateMachines": {"M": {"TestCases": {"C": {"StateName": "R"}}}},
                            "MockedResponses": {"R": {"0": {"Return": {"from": "file"}}}}}).test_case("M", "C")
    definition = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True}
    response = run(definition, {}, interpreter=aslrun.Interpreter(mock=case, load_plugins=False))
    assert response["output"] == {"from": "file"}


# ---------------------------------------------------------------- other state types


def test_a_wait_state_does_not_wait() -> None:
    response = run({"Type": "Wait", "Seconds": 86_400, "Next": "Later"}, {"a": 1}, inspection_level="DEBUG")
    assert response == {"inspectionData": {"input": {"a": 1}, "afterInputPath": {"a": 1}}, "nextState": "Later",
                        "output": {"a": 1}, "status": "SUCCEEDED"}


def test_a_parallel_needs_the_mock_aws_needs() -> None:
    definition = {"Type": "Parallel", "End": True, "ResultSelector": {"first.$": "$[0]"}, "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": "b", "End": True}}},
    ]}
    with pytest.raises(InputError, match=MAP_PARALLEL_NEED_A_MOCK + r"\('StateName' is a Parallel state"):
        run(definition, {"in": 1}, inspection_level="DEBUG")
    mocked = run(definition, {"in": 1}, mock={"result": '["x", "y"]'})
    assert mocked == {"output": {"first": "x"}, "status": "SUCCEEDED"}


def test_a_choice_with_no_match_and_no_default_fails_as_an_execution_would() -> None:
    choice = {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 1, "Next": "One"}]}
    response = run(choice, {"n": 2})
    assert response["status"] == "FAILED" and response["error"] == "States.Runtime"
    assert response["cause"].endswith("Failed to transition out of the state. The state does not point to a next state.")


def test_context_fields_are_merged_into_the_context_object() -> None:
    definition = {"Type": "Pass", "End": True, "Parameters": {"token.$": "$$.Task.Token", "exec.$": "$$.Execution.Name",
                                                              "state.$": "$$.State.Name"}}
    response = run(definition, {}, context={"Task": {"Token": "tok-1"}, "Execution": {"Name": "exec-1"}})
    assert response["output"] == {"token": "tok-1", "exec": "exec-1", "state": "StateName"}


def test_a_state_nested_in_a_map_can_be_tested_by_name() -> None:
    response = run(MAP_MACHINE, {"x": 1}, state_name="HandleItem")
    assert response == {"output": {"x": 1}, "status": "SUCCEEDED"}


def test_a_result_carries_the_values_and_the_events() -> None:
    result = teststate.test_state({"Type": "Pass", "Result": 1, "End": True}, {})
    assert (result.status, result.output, result.next_state, result.state_name) == ("SUCCEEDED", 1, None, "StateName")
    assert [e.type for e in result.events] == ["PassStateEntered", "PassStateExited"]
    assert [e.id for e in result.events] == [1, 2]


# ---------------------------------------------------------------- mistakes


@pytest.mark.parametrize("kwargs,message", [
    ({"inspection_level": "LOUD"}, r"unknown inspection level 'LOUD': use one of INFO, DEBUG, TRACE"),
    ({"retrier_retry_count": -1}, r"the retrier retry count must be a whole number of 0 or more, not -1"),
    ({"mock": {"result": "{"}}, r"mock result is not valid JSON text"),
    ({"mock": {"result": 1, "errorOutput": {}}}, r"a mock holds exactly one of result and errorOutput"),
    ({"mock": {"reslt": 1}}, r"unknown mock field 'reslt'"),
    ({"mock": {"errorOutput": {"error": 1}}}, r"mock errorOutput must be"),
    ({"variables": "[1]"}, r"variables must be a JSON object"),
    ({"variables": "{"}, r"variables are not valid JSON"),
    ({"state_name": "Other"}, r"--state 'Other' names a state in a state machine, but the definition is a single state"),
])
def test_bad_options_are_input_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        teststate.test_state({"Type": "Task", "Resource": "arn:aws:states:::x:y", "End": True}, {}, **kwargs)


def test_a_mock_for_a_state_type_that_takes_none_is_refused() -> None:
    with pytest.raises(InputError, match=r"a mock can only be given for Task, Map and Parallel states; "
                                         r"'StateName' is a Pass state"):
        teststate.test_state({"Type": "Pass", "End": True}, {}, mock={"result": "1"})


def test_state_names_are_checked_against_the_machine() -> None:
    with pytest.raises(InputError, match=r"^State not found in definition: 'Nope' \(the states are: State0, State1\)$"):
        teststate.test_state(MULTI, {}, state_name="Nope")
    with pytest.raises(InputError, match=r"say which state to test with --state NAME \(one of: State0, State1\)"):
        teststate.test_state(MULTI, {})
    with pytest.raises(InputError, match=r'must be one state \(with "Type"\) or a state machine'):
        teststate.test_state({"Comment": "nothing"}, {})


def test_an_invalid_state_is_a_definition_error_with_its_location() -> None:
    with pytest.raises(DefinitionError, match=r"/States/StateName/ResultPath"):
        teststate.test_state({"Type": "Pass", "ResultPath": "not a path", "End": True}, {})


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def invoke(runner: CliRunner, *args: Any) -> Result:
    return runner.invoke(cli, ["test-state", *[str(a) for a in args]], prog_name="aslrun")


def write(tmp_path: Path, name: str, doc: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_cli_prints_the_test_state_response(runner: CliRunner, tmp_path: Path) -> None:
    path = write(tmp_path, "choice.json", CHOICE)
    result = invoke(runner, path, "--input", '{"type": "Private", "value": 22}', "--inspection-level", "debug")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "output": '{"type":"Private","value":22}',
        "inspectionData": {"input": '{"type":"Private","value":22}', "afterInputPath": '{"type":"Private","value":22}'},
        "nextState": "ValueInTwenties", "status": "SUCCEEDED"}


def test_cli_runs_a_state_of_a_machine_with_a_mock_file_input_and_variables(runner: CliRunner,
                                                                            tmp_path: Path) -> None:
    machine = write(tmp_path, "eks.json", EKS_RUN_JOB)
    input_file = write(tmp_path, "input.json", {"cluster": CLUSTER})
    mock = write(tmp_path, "mock.json", {"result": json.dumps(JOB_COMPLETE)})
    result = invoke(runner, machine, "--state", "Run job", "--input", f"@{input_file}", "--mock", f"@{mock}",
                    "--variables", '{"v": 1}', "--inspection-level", "TRACE")
    assert result.exit_code == 0, result.output
    response = parsed(json.loads(result.stdout))
    assert response["nextState"] == "Delete job"
    assert response["inspectionData"]["variables"] == {"v": 1}
    assert response["output"]["job"]["logs"] == [3.14159]


@pytest.mark.parametrize("mock,retries,status,code", [
    ('{"errorOutput": {"error": "EKS.401", "cause": "no"}}', 0, "RETRIABLE", 1),
    ('{"errorOutput": {"error": "States.Timeout", "cause": "no"}}', 0, "FAILED", 1),
    ('{"errorOutput": {"error": "States.TaskFailed", "cause": "no"}}', 0, "CAUGHT_ERROR", 0),
])
def test_cli_exit_codes_follow_the_status(runner: CliRunner, tmp_path: Path, mock: str, retries: int, status: str,
                                          code: int) -> None:
    machine = write(tmp_path, "eks.json", EKS_RUN_JOB)
    result = invoke(runner, machine, "--state", "Run job", "--input", json.dumps({"cluster": CLUSTER}),
                    "--mock", mock, "--retrier-retry-count", retries)
    assert result.exit_code == code, result.output
    assert json.loads(result.stdout)["status"] == status


def test_cli_mistakes_exit_2_with_a_message_and_no_traceback(runner: CliRunner, tmp_path: Path) -> None:
    machine = write(tmp_path, "multi.json", MULTI)
    cases = [
        ([machine, "--state", "Nope"], "State not found in definition: 'Nope'"),
        ([machine], "say which state to test with --state NAME"),
        ([machine, "--state", "State0", "--mock", '{"result": 1}'], "a mock can only be given for Task, Map and Parallel"),
        ([machine, "--state", "State0", "--context", "[1]"], "--context must be a JSON object"),
        ([machine, "--state", "State0", "--input", "{"], "input is not valid JSON"),
        ([tmp_path / "absent.json"], "definition file not found"),
        ([machine, "--state", "State0", "--retrier-retry-count", "-1"], "-1 is not in the range x>=0"),
    ]
    for args, message in cases:
        result = invoke(runner, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert message in result.stderr, (args, result.stderr)
        assert result.stdout == ""


def test_cli_is_listed_in_the_help(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--help"], prog_name="aslrun")
    assert "test-state" in result.output


# ---------------------------------------------------------------- one driver: TestState and run agree


def _slow_integration() -> Any:
    from aslrun.effects import Sleep

    class Slow:
        name = "slow"
        remote = False

        def handles(self, resource: Any) -> bool:
            return True

        def invoke(self, request: Any) -> Any:
            yield Sleep(30)
            return {"done": True}

    return Slow()


def test_an_unmocked_task_in_a_strict_test_case_fails_in_test_state_as_in_run() -> None:
    from aslrun.integrations.mock import MockConfig

    machine = {"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}}}
    case = MockConfig.load({"StateMachines": {"M": {"TestCases": {"T": {}}}}, "MockedResponses": {}}).test_case("M", "T")
    interpreter = aslrun.Interpreter(mock=case, clock="virtual", load_plugins=False)
    ran = interpreter.run(machine, {})
    tested = teststate.test_state(machine, {}, state_name="Call", interpreter=interpreter, name="M")
    assert (ran.status, ran.error) == ("FAILED", "States.Runtime")
    assert (tested.status, tested.error, tested.cause) == ("FAILED", ran.error, ran.cause)
    assert "has no mocked response in test case 'T'" in (tested.cause or "")


def test_a_task_timeout_applies_in_test_state_as_in_an_execution() -> None:
    machine = {"StartAt": "Slow", "States": {
        "Slow": {"Type": "Task", "Resource": "arn:aws:states:::slow:call", "TimeoutSeconds": 5, "End": True}}}
    interpreter = aslrun.Interpreter(integrations=[_slow_integration()], clock="virtual", load_plugins=False)
    ran = interpreter.run(machine, {})
    tested = teststate.test_state(machine, {}, state_name="Slow", interpreter=interpreter)
    assert (ran.status, ran.error) == ("FAILED", "States.Timeout")
    assert (tested.status, tested.error) == ("FAILED", "States.Timeout")
    fast = {"StartAt": "Slow", "States": {"Slow": {**machine["States"]["Slow"], "TimeoutSeconds": 60}}}
    assert teststate.test_state(fast, {}, state_name="Slow", interpreter=interpreter).output == {"done": True}
