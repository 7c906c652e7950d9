"""Validation as AWS validates: definitions shaped like the public AWS samples (written here, not copied).

Each test pins what a user relies on: AWS's verdict (no false alarm where AWS accepts a
definition), and for a refused one AWS's code and location. The verdicts come from AWS's
documentation, the JSONPath engine AWS runs (Jayway) and AWS's recorded answers; the docstrings
say which.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import aslrun
from aslrun import teststate
from aslrun.cli.main import cli
from aslrun.errors import Diagnostic, InputError
from aslrun.validation import validate_definition

SCHEMA = "SCHEMA_VALIDATION_FAILED"
EXPRESS_SYNC = r"^Express state machine does not support '\.sync' service integration"
EXPRESS_TOKEN = r"^Express state machine does not support '\.waitForTaskToken' service integration"
EXPRESS_ACTIVITY = r"^Express state machine does not support Activity ARN"
ACTIVITY = "arn:aws:states:us-east-1:123456789012:activity:approve"


def errors(doc: Any, **options: Any) -> list[Diagnostic]:
    return [d for d in validate_definition(doc, **options) if d.severity == "ERROR"]


def warnings(doc: Any, **options: Any) -> list[Diagnostic]:
    return [d for d in validate_definition(doc, **options) if d.severity == "WARNING"]


def only_error(doc: Any, code: str, location: str, message: str, **options: Any) -> Diagnostic:
    found = errors(doc, **options)
    assert len(found) == 1, [d.format() for d in found]
    assert (found[0].code, found[0].location) == (code, location)
    assert re.search(message, found[0].message), found[0].message
    return found[0]


def pass_with(**fields: Any) -> dict[str, Any]:
    return {"StartAt": "Shape", "States": {"Shape": {"Type": "Pass", "End": True, **fields}}}


def task(resource: str, name: str = "Work") -> dict[str, Any]:
    return {"StartAt": name, "States": {name: {"Type": "Task", "Resource": resource, "End": True}}}


# ---------------------------------------------------------------- a filter with a bare word

BARE_FILTER = "$.results[?(@.status==Failure)]"


def test_a_filter_with_a_bare_word_is_accepted_with_a_warning() -> None:
    """AWS deploys it; Jayway reads the word as a number and cannot compile the filter."""
    doc = {"StartAt": "Collect", "States": {
        "Collect": {"Type": "Pass", "Parameters": {"failed.$": BARE_FILTER}, "Next": "Count"},
        "Count": {"Type": "Pass", "InputPath": BARE_FILTER, "End": True},
    }}
    assert errors(doc) == []
    found = warnings(doc)
    assert [(d.code, d.location) for d in found] == [
        ("UNQUOTED_FILTER_WORD", "/States/Collect/Parameters/failed.$"),
        ("UNQUOTED_FILTER_WORD", "/States/Count/InputPath"),
    ]
    assert "unquoted word Failure" in found[0].message and "States.Runtime" in found[0].message
    assert found[0].hint == "Quote the word: 'Failure'."
    aslrun.load(doc)  # the parser builds it: the verdict is AWS's


def test_running_a_bare_word_filter_fails_as_jayway_does() -> None:
    doc = pass_with(Parameters={"failed.$": BARE_FILTER})
    result = aslrun.run(doc, {"results": [{"status": "Failure"}]})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause is not None and result.cause.endswith(
        "Invalid path '$.results[?(@.status==Failure)]' : Failed to parse filter: [?(@.status==Failure)], "
        "error on position: 13, char: F"
    )


def test_a_quoted_word_filter_is_fine_and_selects() -> None:
    doc = pass_with(Parameters={"failed.$": "$.results[?(@.status=='Failure')]"})
    assert validate_definition(doc) == []
    result = aslrun.run(doc, {"results": [{"status": "Failure"}, {"status": "Ok"}]})
    assert result.output == {"failed": [{"status": "Failure"}]}


# ---------------------------------------------------------------- paths with spaces


def test_a_path_with_surrounding_spaces_is_trimmed_as_jayway_trims_it() -> None:
    doc = pass_with(Parameters={"name.$": "$$.Execution.Name ", "id.$": "$.order.id  "}, OutputPath="$.name ")
    assert validate_definition(doc) == []
    result = aslrun.run(doc, {"order": {"id": 7}}, name="nightly")
    assert result.output == "nightly"


# ---------------------------------------------------------------- SAM placeholders


def test_sam_placeholders_in_string_fields_are_valid() -> None:
    doc = {"StartAt": "Notify", "States": {"Notify": {
        "Type": "Task", "Resource": "${NotifyFunctionArn}", "Comment": "${Stage} only",
        "Parameters": {"TableName": "${OrdersTable}", "Key": {"pk": "${Prefix}"}}, "End": True,
    }}}
    assert errors(doc) == []


def test_a_sam_placeholder_in_seconds_says_so_by_name() -> None:
    doc = {"StartAt": "Remind", "States": {
        "Remind": {"Type": "Wait", "Seconds": "${ReminderTimeout}", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    }}
    diag = only_error(doc, SCHEMA, "/States/Remind/Seconds", r'found the string "\$\{ReminderTimeout\}"')
    assert diag.hint is not None and diag.hint.startswith("${ReminderTimeout} is a placeholder that was never substituted")


# ---------------------------------------------------------------- custom States.* error names


def custom_errors_machine(catch: str) -> dict[str, Any]:
    """A Fail state deep in a Parallel branch raises a custom States.* name; the top level catches it."""
    return {"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Next": "Done",
                "Catch": [{"ErrorEquals": [catch], "Next": "Recover"}],
                "Retry": [{"ErrorEquals": [catch], "MaxAttempts": 1}],
                "Branches": [{"StartAt": "Boom", "States": {
                    "Boom": {"Type": "Fail", "Error": "States.FauxFailure1", "Cause": "on purpose"}}}]},
        "Recover": {"Type": "Pass", "End": True},
        "Done": {"Type": "Succeed"},
    }}


def test_a_custom_states_name_raised_by_a_fail_state_is_no_unknown_error_name() -> None:
    assert validate_definition(custom_errors_machine("States.FauxFailure1")) == []


def test_a_misspelled_states_name_is_still_flagged() -> None:
    found = warnings(custom_errors_machine("States.TaskFailedId"))
    assert [(d.code, d.location) for d in found] == [
        ("UNKNOWN_ERROR_NAME", "/States/Fan/Catch/0/ErrorEquals/0"),
        ("UNKNOWN_ERROR_NAME", "/States/Fan/Retry/0/ErrorEquals/0"),
    ]
    assert found[0].hint == 'Did you mean "States.TaskFailed"?'


def test_a_custom_name_raised_in_a_map_processor_counts_too() -> None:
    doc = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "End": True, "Catch": [{"ErrorEquals": ["States.ItemRejected"], "Next": "Skip"}],
        "ItemProcessor": {"StartAt": "Reject", "States": {"Reject": {"Type": "Fail", "Error": "States.ItemRejected"}}},
    }, "Skip": {"Type": "Pass", "End": True}}}
    assert validate_definition(doc) == []


# ---------------------------------------------------------------- Express-only rules


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ("arn:aws:states:::ecs:runTask.sync", EXPRESS_SYNC),
        ("arn:aws:states:::states:startExecution.sync:2", EXPRESS_SYNC),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", EXPRESS_TOKEN),
        (ACTIVITY, EXPRESS_ACTIVITY),
    ],
)
def test_express_refuses_what_aws_refuses_at_the_resource(resource: str, message: str) -> None:
    """Recorded from AWS: SCHEMA_VALIDATION_FAILED at /States/<state>/Resource."""
    assert errors(task(resource)) == []  # STANDARD, the default
    assert errors(task(resource), type="STANDARD") == []
    only_error(task(resource), SCHEMA, "/States/Work/Resource", message, type="EXPRESS")


def test_express_rules_reach_nested_states() -> None:
    doc = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Wait for approval", "States": {"Wait for approval": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken", "End": True}}},
    ]}}}
    only_error(doc, SCHEMA, "/States/Fan/Branches/0/States/Wait for approval/Resource", EXPRESS_TOKEN,
               type="EXPRESS")


def test_express_accepts_request_response_integrations() -> None:
    assert errors(task("arn:aws:states:::lambda:invoke"), type="EXPRESS") == []


def test_an_unknown_type_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="type must be one of STANDARD, EXPRESS, not 'LIGHT'"):
        validate_definition(task(ACTIVITY), type="LIGHT")


def test_cli_validate_takes_the_type(tmp_path: Path) -> None:
    path = tmp_path / "express.json"
    path.write_text(json.dumps(task("arn:aws:states:::ecs:runTask.sync")))
    standard = CliRunner().invoke(cli, ["validate", "--json", str(path)])
    assert standard.exit_code == 0, standard.output
    express = CliRunner().invoke(cli, ["validate", "--json", "--type", "express", str(path)])
    assert express.exit_code == 2
    answer = json.loads(express.stdout)
    assert answer["result"] == "FAIL"
    assert [(d["code"], d["location"]) for d in answer["diagnostics"]] == [(SCHEMA, "/States/Work/Resource")]


# ---------------------------------------------------------------- empty definitions


@pytest.mark.parametrize("text", ["", "   \n\t\n"])
def test_an_empty_file_is_not_a_json_object_as_aws_says(tmp_path: Path, text: str) -> None:
    path = tmp_path / "empty.asl.json"
    path.write_text(text)
    result = CliRunner().invoke(cli, ["validate", "--json", str(path)])
    assert result.exit_code == 2
    answer = json.loads(result.stdout)
    assert [(d["code"], d["message"], d["location"]) for d in answer["diagnostics"]] == [
        (SCHEMA, "Definition must be a valid JSON object.", "/")]


@pytest.mark.parametrize("value", ["", "  ", None])
def test_an_empty_definition_in_the_api(value: Any) -> None:
    only_error(value, SCHEMA, "/", r"^Definition must be a valid JSON object\.$")


# ---------------------------------------------------------------- intrinsic escapes


def test_an_invalid_escape_in_an_intrinsic_is_reported_at_the_parameters_object() -> None:
    doc = {"StartAt": "Greet", "States": {"Greet": {
        "Type": "Pass", "End": True, "Parameters": {"text.$": "States.Format('C:\\path {}', $.name)"}}}}
    diag = only_error(doc, SCHEMA, "/States/Greet/Parameters", r"^The value for the field 'text\.\$' must be")
    assert diag.hint is not None and "backslash" in diag.hint


# ---------------------------------------------------------------- TestState refuses what AWS refuses

MAP_PARALLEL = (r"^InvalidDefinition: TestState API does not support Map or Parallel states\. "
                r"Supported state types include: \[Task, Wait, Pass, Succeed, Fail, Choice\]")


def lone_test_state(state: dict[str, Any], input: Any = None, **options: Any) -> teststate.TestStateResult:
    with aslrun.Interpreter(load_plugins=False) as interpreter:
        return teststate.test_state(state, input, interpreter=interpreter, **options)


@pytest.mark.parametrize(
    "state",
    [
        {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}},
        {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}]},
    ],
)
def test_test_state_refuses_a_map_or_parallel_without_a_mock(state: dict[str, Any]) -> None:
    with pytest.raises(InputError, match=MAP_PARALLEL):
        lone_test_state(state, ["item"])
    assert lone_test_state(state, ["item"], mock={"result": "[1]"}).status == "SUCCEEDED"


@pytest.mark.parametrize(
    ("resource", "what"),
    [
        (ACTIVITY, "Activity tasks"),
        ("arn:aws:states:::ecs:runTask.sync", "the '.sync' service integration pattern"),
        ("arn:aws:states:::states:startExecution.sync:2", "the '.sync' service integration pattern"),
        ("arn:aws:states:::sqs:sendMessage.waitForTaskToken", "the '.waitForTaskToken' service integration pattern"),
    ],
)
def test_test_state_refuses_a_long_running_task_without_a_mock(resource: str, what: str) -> None:
    state = {"Type": "Task", "Resource": resource, "End": True}
    with pytest.raises(InputError, match=rf"^InvalidDefinition: TestState API supports {re.escape(what)} only when "
                                         "a mock is specified"):
        lone_test_state(state)
    assert lone_test_state(state, mock={"result": '{"ok": true}'}).status == "SUCCEEDED"


def test_cli_test_state_exits_2_for_a_map_without_a_mock(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"Type": "Map", "End": True,
                                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}))
    result = CliRunner().invoke(cli, ["test-state", str(path)])
    assert result.exit_code == 2
    assert "TestState API does not support Map or Parallel states" in " ".join(result.output.split())


# ---------------------------------------------------------------- resources AWS does not know

NOT_RECOGNIZED = (r"^The resource provided {} is not recognized\. The value is not a valid resource ARN, "
                  r"or the resource is not available in this region\.$")


def resource_error(resource: str, **options: Any) -> Diagnostic:
    return only_error(task(resource), SCHEMA, "/States/Work/Resource", NOT_RECOGNIZED.format(re.escape(resource)),
                      resources=True, **options)


@pytest.mark.parametrize(
    ("resource", "suggestion"),
    [
        ("arn:aws:states:::dynamodb:putitem", "arn:aws:states:::dynamodb:putItem"),
        ("arn:aws:states:::sqs:sendMesage.waitForTaskToken", "arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
        ("arn:aws:states:::aws-sdk:s3:getObjekt", "arn:aws:states:::aws-sdk:s3:getObject"),
        ("arn:aws:states:::aws-sdk:dynamodb:GetItem", "arn:aws:states:::aws-sdk:dynamodb:getItem"),
        ("arn:aws:states:::aws-sdk:secretmanager:getSecretValue",
         "arn:aws:states:::aws-sdk:secretsmanager:getSecretValue"),
        ("arn:aws:states:::lamda:invoke", "arn:aws:states:::lambda:invoke"),
    ],
)
def test_a_near_miss_resource_is_refused_with_the_resource_it_meant(resource: str, suggestion: str) -> None:
    """AWS refuses an unknown resource at creation (recorded: dynamodb:query, SCHEMA_VALIDATION_FAILED)."""
    found = resource_error(resource)
    assert found.hint is not None and found.hint.startswith(f'Did you mean "{suggestion}"?')


@pytest.mark.parametrize(
    ("resource", "hint"),
    [
        ("arn:aws:states:::dynamodb:putItem.sync", "dynamodb:putItem does not support the '.sync' integration"),
        ("arn:aws:states:::dynamodb:getItem.waitForTaskToken", "does not support the '.waitForTaskToken'"),
        ("arn:aws:states:::lambda:invoke.sync", "lambda:invoke does not support the '.sync'"),
        ("arn:aws:states:::eks:call.sync", "eks:call does not support the '.sync'"),
        ("arn:aws:states:::aws-sdk:s3:getObject.sync", "AWS SDK integrations do not support the '.sync'"),
        ("arn:aws:states:::dynamodb:query", '"arn:aws:states:::aws-sdk:dynamodb:query"'),
        ("activity_arn", "an activity ARN"),
        ("arn:aws:lambda:us-east-1:123456789012:layer:shared", "a Lambda function ARN"),
    ],
)
def test_a_pattern_or_action_aws_does_not_offer_is_refused(resource: str, hint: str) -> None:
    found = resource_error(resource)
    assert found.hint is not None and hint in found.hint


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:lambda:us-east-1:123456789012:function:charge",
        "arn:aws:lambda:eu-west-1:123456789012:function:charge:live",
        ACTIVITY,
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:states:::dynamodb:updateItem",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:::ecs:runTask.waitForTaskToken",
        "arn:aws:states:::eks:runJob.sync",
        "arn:aws:states:::http:invoke",
        "arn:aws:states:::apigateway:invoke.waitForTaskToken",
        "arn:aws:states:::aws-sdk:s3:listBuckets.waitForTaskToken",
        "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
        "arn:aws:states:::aws-sdk:eventbridge:putEvents",
        "arn:aws:states:::aws-sdk:cognitoidentityprovider:adminGetUser",
        "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:charge",
    ],
)
def test_resources_aws_knows_are_accepted(resource: str) -> None:
    assert errors(task(resource), resources=True) == []


def test_nested_tasks_are_checked_where_they_are() -> None:
    doc = {"StartAt": "Each", "States": {"Each": {"Type": "Map", "End": True, "ItemProcessor": {
        "StartAt": "Save", "States": {"Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putitem",
                                               "End": True}}}}}}
    only_error(doc, SCHEMA, "/States/Each/ItemProcessor/States/Save/Resource", "is not recognized", resources=True)


def test_parsing_alone_leaves_resources_to_the_integrations() -> None:
    """The Python API runs a resource an integration given in code handles (the check is the CLI's)."""

    class Custom:
        name, remote = "custom", False

        def handles(self, resource: Any) -> bool:
            return resource.arn == "arn:aws:states:::myco:thing"

        def invoke(self, request: Any) -> Any:
            return {"done": True}

    with aslrun.Interpreter(integrations=[Custom()], load_plugins=False) as interp:
        result = interp.start(interp.load(task("arn:aws:states:::myco:thing"))).run()
    assert result.output == {"done": True}


class _Declaring:
    name, remote = "declaring", False

    def __init__(self, resources: tuple[str, ...] | None, handles_all: bool = False) -> None:
        if resources is not None:
            self.resources = resources
        self._all = handles_all

    def handles(self, resource: Any) -> bool:
        return self._all or resource.service == "myco"

    def invoke(self, request: Any) -> Any:
        return None


def test_integrations_declare_the_resources_they_add() -> None:
    from aslrun.integrations.registry import IntegrationRegistry

    def check(integration: Any, resource: str) -> list[Diagnostic]:
        registry = IntegrationRegistry([integration], load_plugins=False)
        return errors(task(resource), resources=registry.declares)

    assert check(_Declaring(("arn:aws:states:::myco:*",)), "arn:aws:states:::myco:launch.sync") == []
    # without a `resources` list, what `handles` accepts is declared
    assert check(_Declaring(None), "arn:aws:states:::myco:launch") == []
    # an integration that declares nothing adds nothing, however much `handles` takes
    assert len(check(_Declaring((), handles_all=True), "arn:aws:states:::myco:launch")) == 1
    assert len(check(_Declaring(("arn:aws:states:::myco:*",)), "arn:aws:states:::other:launch")) == 1


def test_cli_run_refuses_an_unknown_resource_before_running(tmp_path: Path) -> None:
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"StartAt": "Log", "States": {
        "Log": {"Type": "Pass", "Next": "Save"},
        "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putitem", "End": True}}}))
    ran = CliRunner().invoke(cli, ["run", "--json", str(path)])
    assert ran.exit_code == 2
    answer = json.loads(ran.stdout)
    assert answer["status"] == "INVALID"
    assert [(d["location"], d["hint"][:49]) for d in answer["diagnostics"]] == [
        ("/States/Save/Resource", 'Did you mean "arn:aws:states:::dynamodb:putItem"?')]
    checked = CliRunner().invoke(cli, ["validate", "--json", str(path)])
    assert checked.exit_code == 2
    assert "is not recognized" in json.loads(checked.stdout)["diagnostics"][0]["message"]


def test_cli_run_warns_of_an_unknown_resource_the_mock_answers_and_goes_on(tmp_path: Path) -> None:
    """A test suite's copy of a definition often holds a placeholder resource for a mocked Task: the mock
    answers it, so the run goes on, saying AWS would refuse the definition."""
    path = tmp_path / "placeholder.json"
    path.write_text(json.dumps({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": "activity_arn", "End": True}}}))
    mocks = tmp_path / "mocks.json"
    mocks.write_text(json.dumps({
        "StateMachines": {"placeholder": {"TestCases": {"Happy": {"Work": "Done"}}}},
        "MockedResponses": {"Done": {"0": {"Return": {"ok": True}}}}}))
    ran = CliRunner().invoke(cli, ["run", "--json", str(path), "--mock-config", str(mocks), "--test-case", "Happy"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout)["output"] == {"ok": True}
    assert "/States/Work/Resource: The resource provided activity_arn is not recognized" in ran.stderr
    assert "AWS would refuse this definition" in ran.stderr
    # Without the mock nothing runs.
    assert CliRunner().invoke(cli, ["run", "--json", str(path)]).exit_code == 2


def test_cli_debug_refuses_an_unknown_resource_too(tmp_path: Path) -> None:
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"StartAt": "Save", "States": {
        "Save": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putitem", "End": True}}}))
    ran = CliRunner().invoke(cli, ["debug", str(path)], input="continue\n")
    assert ran.exit_code == 2
    assert "/States/Save/Resource" in ran.output and "1 problem" in ran.output
    assert "Paused" not in ran.output  # nothing ran
