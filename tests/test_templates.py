"""Definitions taken out of CloudFormation and SAM templates and CDK cloud assemblies (aslrun.templates),
the ``--template``/``--cdk-out`` options, the SAM sample, YAML 1.2 and where JSON syntax errors are placed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import aslrun
from aslrun.cli.main import cli
from aslrun.errors import InputError, SourceError
from aslrun.source import read_definition
from aslrun.templates import Resolver, load_template, read_template_definition, template_definition

REPO = Path(__file__).resolve().parents[1]
SAM = REPO / "samples" / "sam"
ACCOUNT, REGION = "111111111111", "us-east-1"

PASS_MACHINE = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"fn": "${FnArn}"}, "End": True}}}


def invoke(*args: Any) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="aslrun")


def write(directory: Path, name: str, doc: Any) -> Path:
    path = directory / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2), encoding="utf-8")
    return path


def cfn(resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"AWSTemplateFormatVersion": "2010-09-09", **extra, "Resources": resources}


FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "greet", "Handler": "app.handler",
                                                            "Runtime": "python3.12", "Code": {"ZipFile": "x"}}}


# ---------------------------------------------------------------- CloudFormation


def test_cloudformation_json_with_a_definition_object_resolves_get_att(tmp_path: Path) -> None:
    template = cfn({
        "Greet": FUNCTION,
        "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "Definition": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True,
                                                            "Result": {"fn": {"Fn::GetAtt": ["Greet", "Arn"]},
                                                                       "name": {"Ref": "Greet"}}}}}}},
    })
    result = aslrun.run(read_template_definition(write(tmp_path, "t.json", template)), {})
    assert result.output == {"fn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:greet", "name": "greet"}


def test_definition_substitutions_apply_to_the_definition_objects_json(tmp_path: Path) -> None:
    template = cfn({"Greet": FUNCTION, "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "Definition": PASS_MACHINE, "DefinitionSubstitutions": {"FnArn": {"Fn::GetAtt": ["Greet", "Arn"]}}}}})
    source = read_template_definition(write(tmp_path, "t.json", template))
    assert source.value["States"]["P"]["Result"] == {"fn": "arn:aws:lambda:us-east-1:111111111111:function:greet"}
    assert source.template is not None and source.template.logical_id == "Machine"


def test_definition_string_built_with_fn_join(tmp_path: Path) -> None:
    template = cfn({"Greet": FUNCTION, "Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": {"Fn::Join": ["", [
            '{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "',
            {"Fn::GetAtt": ["Greet", "Arn"]}, '", "End": true}}}']]}}}})
    source = read_template_definition(write(tmp_path, "t.json", template))
    assert source.value["States"]["P"]["Result"] == "arn:aws:lambda:us-east-1:111111111111:function:greet"


def test_definition_string_built_with_fn_sub_and_pseudo_parameters(tmp_path: Path) -> None:
    template = cfn({"Queue": {"Type": "AWS::SQS::Queue"}, "Machine": {
        "Type": "AWS::StepFunctions::StateMachine", "Properties": {"DefinitionString": {"Fn::Sub": (
            '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true, "Result": '
            '{"q": "${Queue.Arn}", "url": "${Queue}", "where": "${AWS::Region}/${AWS::AccountId}", '
            '"kept": "${!Literal}", "env": "${Env}"}}}}')}}}},
        Parameters={"Env": {"Type": "String", "Default": "dev"}})
    found = template_definition(template, stack_name="shop")
    result = json.loads(found.text)["States"]["P"]["Result"]
    assert result["q"].startswith("arn:aws:sqs:us-east-1:111111111111:shop-Queue-")
    assert result["url"].startswith("https://sqs.us-east-1.amazonaws.com/111111111111/shop-Queue-")
    assert result["where"] == "us-east-1/111111111111"
    assert (result["kept"], result["env"]) == ("${Literal}", "dev")
    # deterministic: the same stack and logical id always give the same name
    assert template_definition(template, stack_name="shop").text == found.text


def test_definition_s3_location_as_a_local_path(tmp_path: Path) -> None:
    write(tmp_path, "machine.asl.json", PASS_MACHINE)
    template = cfn({"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionS3Location": "machine.asl.json", "DefinitionSubstitutions": {"FnArn": "local"}}}})
    source = read_template_definition(write(tmp_path, "t.json", template))
    assert source.value["States"]["P"]["Result"] == {"fn": "local"}
    assert source.path == tmp_path / "machine.asl.json"


def test_an_s3_object_that_is_not_local_is_refused_with_what_to_do(tmp_path: Path) -> None:
    template = cfn({"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionS3Location": {"Bucket": "b", "Key": "k.json"}}}})
    with pytest.raises(InputError, match=r"names an S3 object \(b/k.json\); aslrun reads only local files"):
        read_template_definition(write(tmp_path, "t.json", template))


def test_fn_if_with_conditions_and_find_in_map() -> None:
    template = cfn({"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": {
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Result": {
            "size": {"Fn::FindInMap": ["Sizes", {"Ref": "Env"}, "Batch"]},
            "mode": {"Fn::If": ["IsProd", "careful", "fast"]},
            "extra": {"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]}}}}}}}},
        Parameters={"Env": {"Type": "String", "Default": "dev"}},
        Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        Mappings={"Sizes": {"dev": {"Batch": 5}}})
    assert json.loads(template_definition(template).text)["States"]["P"]["Result"] == {"size": 5, "mode": "fast"}


def test_an_intrinsic_that_cannot_be_resolved_locally_is_named() -> None:
    template = cfn({"M": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": {"Fn::Base64": "x"}}}})
    with pytest.raises(InputError, match=r"Fn::Base64 cannot be resolved locally"):
        template_definition(template)


def test_resolver_names_resources_as_cloudformation_would() -> None:
    resolver = Resolver(cfn({"Fn": {"Type": "AWS::Serverless::Function"}, "Table": {"Type": "AWS::DynamoDB::Table"},
                             "Bucket": {"Type": "AWS::S3::Bucket"}}), stack_name="Shop", region="eu-west-1")
    name = resolver.resolve({"Ref": "Fn"})
    assert name.startswith("Shop-Fn-") and len(name.rsplit("-", 1)[1]) == 12
    assert resolver.resolve({"Fn::GetAtt": "Fn.Arn"}) == f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:{name}"
    assert resolver.resolve({"Fn::GetAtt": ["Table", "Arn"]}).startswith(
        f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/Shop-Table-")
    assert resolver.resolve({"Ref": "Bucket"}).startswith("shop-bucket-")
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"


# ---------------------------------------------------------------- SAM and YAML short forms


def test_sam_yaml_with_definition_uri_and_substitutions(tmp_path: Path) -> None:
    write(tmp_path, "machine.asl.yaml",
          "StartAt: W\nStates:\n  W:\n    Type: Wait\n    Seconds: ${Delay}\n    Next: P\n"
          "  P:\n    Type: Pass\n    Result: ${Table}\n    End: true\n")
    template = write(tmp_path, "template.yaml", (
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Orders:\n    Type: AWS::DynamoDB::Table\n"
        "    Properties:\n      TableName: orders\n"
        "  Machine:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n"
        "      DefinitionUri: machine.asl.yaml\n      DefinitionSubstitutions:\n"
        "        Delay: 3\n        Table: !Ref Orders\n"))
    source = read_template_definition(template)
    assert source.value["States"]["W"]["Seconds"] == 3  # a number: replaced in the text before it was read
    assert source.value["States"]["P"]["Result"] == "orders"
    # the command line overrides the template's own substitutions
    assert read_template_definition(template, substitutions={"Delay": 7}).value["States"]["W"]["Seconds"] == 7


def test_short_form_tags_read_as_their_long_form(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", (
        "Resources:\n  M:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      DefinitionString: !Sub\n        - '{\"StartAt\": \"P\", \"States\": {\"P\": {\"Type\": \"Pass\", "
        "\"Result\": \"${X}\", \"End\": true}}}'\n        - X: !Join [\"-\", [!Select [0, !Split [\",\", \"a,b\"]], "
        "!ImportValue shared-thing, !GetAtt Q.QueueName]]\n  Q:\n    Type: AWS::SQS::Queue\n"
        "    Properties:\n      QueueName: jobs\n"))
    template = load_template(path)
    assert template["Resources"]["Q"]["Type"] == "AWS::SQS::Queue"
    found = template_definition(template)
    assert json.loads(found.text)["States"]["P"]["Result"] == "a-shared-thing-jobs"
    assert any("Fn::ImportValue shared-thing" in note for note in found.notes)


def test_an_unknown_short_form_tag_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "t.yaml", "Resources:\n  M:\n    Type: !Bogus x\n")
    with pytest.raises(SourceError, match=r"the tag '!Bogus' is not a CloudFormation intrinsic function"):
        load_template(path)


def test_sam_functions_are_listed_for_a_local_lambda_runner() -> None:
    source = read_template_definition(SAM / "template.yaml")
    assert source.template is not None
    functions = {f.logical_id: f for f in source.template.functions}
    assert set(functions) == {"ValidateFunction", "ChargeFunction"}
    validate = functions["ValidateFunction"]
    assert (validate.handler, validate.runtime, validate.code_uri) == ("app.handler", "python3.12",
                                                                       "functions/validate/")
    assert validate.arn == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{validate.name}"
    assert source.value["States"]["Validate"]["Parameters"]["FunctionName"] == validate.arn


# ---------------------------------------------------------------- choosing the state machine (CLI)


def two_machines(tmp_path: Path) -> Path:
    machine = {"Type": "AWS::StepFunctions::StateMachine", "Properties": {"Definition": PASS_MACHINE}}
    return write(tmp_path, "t.json", cfn({"First": machine, "Second": machine}))


def test_several_state_machines_and_no_choice_lists_them_and_exits_2(tmp_path: Path) -> None:
    result = invoke("run", "--template", two_machines(tmp_path))
    assert result.exit_code == 2
    assert "2 state machines" in result.stderr and "--state-machine" in result.stderr
    assert "First, Second" in result.stderr


def test_an_unknown_logical_id_names_the_ones_that_exist(tmp_path: Path) -> None:
    result = invoke("validate", "--template", two_machines(tmp_path), "--state-machine", "Third")
    assert result.exit_code == 2
    assert "'Third': no such state machine" in result.stderr and "First, Second" in result.stderr


def test_run_picks_the_named_state_machine_and_uses_its_logical_id_as_name(tmp_path: Path) -> None:
    result = invoke("run", "--template", two_machines(tmp_path), "--state-machine", "Second", "--json",
                    "--context", '{"x": 1}', "--substitution", "FnArn=given")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == {"fn": "given"}


def test_definition_and_template_together_is_bad_usage(tmp_path: Path) -> None:
    result = invoke("run", write(tmp_path, "m.json", PASS_MACHINE), "--template", two_machines(tmp_path))
    assert result.exit_code == 2
    assert "give one of DEFINITION, --template and --cdk-out" in result.stderr


# ---------------------------------------------------------------- cdk.out


def cdk_out(tmp_path: Path) -> Path:
    root = tmp_path / "cdk.out"
    root.mkdir()
    template = cfn({"Fn": FUNCTION, "FlowABC123": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
        "DefinitionString": {"Fn::Join": ["", ['{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"',
                                               {"Fn::GetAtt": ["Fn", "Arn"]}, '","End":true}}}']]}}}})
    write(root, "ShopStack.template.json", template)
    write(root, "OtherStack.template.json", cfn({}))
    write(root, "manifest.json", {"version": "36.0.0", "artifacts": {
        "ShopStack": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "ShopStack.template.json"}},
        "OtherStack": {"type": "aws:cloudformation:stack",
                       "properties": {"templateFile": "OtherStack.template.json"}},
        "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}}}})
    return root


def test_cdk_out_reads_the_stacks_template_from_the_manifest(tmp_path: Path) -> None:
    result = invoke("run", "--cdk-out", cdk_out(tmp_path), "--stack", "ShopStack", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:greet"


def test_cdk_out_with_several_stacks_asks_which(tmp_path: Path) -> None:
    result = invoke("validate", "--cdk-out", cdk_out(tmp_path))
    assert result.exit_code == 2
    assert "--stack NAME" in result.stderr and "OtherStack, ShopStack" in result.stderr


# ---------------------------------------------------------------- the SAM sample


def test_the_sam_sample_runs_with_the_command_its_readme_gives() -> None:
    readme = (SAM / "README.md").read_text(encoding="utf-8")
    command = next(line.removeprefix("$ aslrun ") for line in readme.splitlines()
                   if line.startswith("$ aslrun run --template"))
    args = command.replace("samples/sam/", f"{SAM}/").split()
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == {"orderId": "order-1042", "charged": 21.25, "currency": "EUR",
                                                   "status": "CHARGED"}


def test_the_sam_sample_fails_an_invalid_order_in_its_no_state() -> None:
    result = invoke("run", "--template", SAM / "template.yaml", "--mock-config", SAM / "MockConfigFile.json",
                    "--test-case", "InvalidOrder", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"] == "OrderInvalid"


def test_the_sam_sample_validates_and_its_handlers_compute_what_the_mocks_say() -> None:
    assert invoke("validate", "--template", SAM / "template.yaml").exit_code == 0
    namespace: dict[str, Any] = {}
    exec((SAM / "functions" / "validate" / "app.py").read_text(encoding="utf-8"), namespace)
    order = json.loads((SAM / "order.input.json").read_text(encoding="utf-8"))
    mocks = json.loads((SAM / "MockConfigFile.json").read_text(encoding="utf-8"))["MockedResponses"]
    assert namespace["handler"](order, None) == mocks["ValidOrderChecked"]["0"]["Return"]["Payload"]


# ---------------------------------------------------------------- YAML 1.2 and JSON syntax errors


def test_yaml_states_named_yes_and_no_stay_strings() -> None:
    text = ("StartAt: Ask\nStates:\n  Ask:\n    Type: Choice\n    Choices:\n      - Variable: $.ok\n"
            "        BooleanEquals: true\n        Next: Yes\n    Default: No\n"
            "  Yes: {Type: Pass, Result: on, End: true}\n  No: {Type: Fail, Error: off}\n")
    assert aslrun.validate(text) == []
    assert aslrun.run(text, {"ok": True}).output == "on"
    assert aslrun.run(text, {"ok": False}).error == "off"


def test_bad_yaml_keeps_its_line_and_column() -> None:
    with pytest.raises(SourceError, match=r"is not valid YAML: .* \(line 5, column 4\)") as info:
        read_definition("StartAt: A\nStates:\n  A:\n    Type: Pass\n   End: true\n")
    assert (info.value.diagnostics[0].line, info.value.diagnostics[0].column) == (5, 4)


@pytest.mark.parametrize(("text", "line", "column"), [
    ("not a definition", 1, 4),                      # as recorded from ValidateStateMachineDefinition
    ('{"StartAt": "A",,}', 1, 18),                   # just past the offending character
    ('{\n "StartAt": }', 2, 14),
    ('{"StartAt": "A', 1, 15),                       # an unterminated string: at the end of the text
])
def test_a_json_syntax_error_carries_the_location_aws_gives(text: str, line: int, column: int,
                                                            tmp_path: Path) -> None:
    with pytest.raises(SourceError) as info:
        read_definition(write(tmp_path, "definition.json", text))
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.location == f'[Source: (String)"{text}"; line: {line}, column: {column}]'
