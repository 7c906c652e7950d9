"""``${KEY}`` substitutions as DefinitionSubstitutions make them: the API (aslrun.source) and the
``--substitution``/``--substitutions`` options of validate, run, debug and test-state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import aslrun
from aslrun.cli.main import cli
from aslrun.errors import InputError
from aslrun.source import read_definition, substitute, substitution_text

#: a SAM-style definition: a placeholder where a number is required, and one inside a string
REMINDER = ("StartAt: Remind\nStates:\n  Remind:\n    Type: Wait\n    Seconds: ${ReminderTimeout}\n"
            "    Next: Done\n  Done:\n    Type: Pass\n    Result:\n      topic: ${TopicArn}\n"
            "      note: \"after ${ReminderTimeout} s\"\n    End: true\n")


def invoke(*args: Any) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="aslrun")


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the rules (API)


def test_known_placeholders_are_replaced_and_unknown_ones_left_as_they_are() -> None:
    assert substitute("${A}-${B}-${A}", {"A": "1"}) == "1-${B}-1"


def test_replacement_repeats_while_a_value_brings_in_another_placeholder() -> None:
    assert substitute("${Outer}", {"Outer": "<${Inner}>", "Inner": "x"}) == "<x>"


def test_values_that_refer_to_each_other_in_a_cycle_are_refused() -> None:
    with pytest.raises(InputError, match="refer to each other in a cycle"):
        substitute("${A}", {"A": "${B}", "B": "${A}"})


def test_numbers_and_booleans_are_written_as_json_writes_them() -> None:
    assert substitution_text({"n": 3, "on": True, "off": False, "s": "x"}) == {
        "n": "3", "on": "true", "off": "false", "s": "x"}
    with pytest.raises(InputError, match=r"substitution 'l': a value must be a string, a number or a boolean"):
        substitution_text({"l": [1]})


def test_a_yaml_placeholder_becomes_a_number_and_a_quoted_one_stays_a_string() -> None:
    source = read_definition(REMINDER, substitutions={"ReminderTimeout": 300, "TopicArn": "arn:topic"})
    assert source.value["States"]["Remind"]["Seconds"] == 300
    assert source.value["States"]["Done"]["Result"] == {"topic": "arn:topic", "note": "after 300 s"}


def test_a_dict_definition_is_substituted_in_its_json_text() -> None:
    doc = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": "${T}", "End": True}}}
    # as CloudFormation does with a Definition object: inside quotes, a string remains
    assert read_definition(doc, substitutions={"T": 5}).value["States"]["W"]["Seconds"] == "5"


def test_a_json_file_with_an_unquoted_placeholder_reads_once_substituted(tmp_path: Path) -> None:
    path = write(tmp_path, "m.asl.json", '{"StartAt": "W", "States": {"W": {"Type": "Wait", '
                                         '"Seconds": ${T}, "End": true}}}')
    assert read_definition(path, substitutions={"T": 2}).value["States"]["W"]["Seconds"] == 2
    assert aslrun.run(read_definition(path, substitutions={"T": 2}), {}).status == "SUCCEEDED"


def test_an_unreplaced_placeholder_in_a_number_field_is_named() -> None:
    diagnostics = aslrun.validate(read_definition(REMINDER).value)
    (problem,) = [d for d in diagnostics if d.location == "/States/Remind/Seconds"]
    assert "${ReminderTimeout}" in problem.message


# ---------------------------------------------------------------- the options (CLI)


def test_validate_names_the_placeholder_left_in_a_number_field(tmp_path: Path) -> None:
    result = invoke("validate", "--json", write(tmp_path, "m.yaml", REMINDER))
    assert result.exit_code == 2
    (problem,) = json.loads(result.stdout)["diagnostics"]
    assert problem["location"] == "/States/Remind/Seconds" and "${ReminderTimeout}" in problem["message"]


def test_validate_with_substitution_options(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", REMINDER)
    assert invoke("validate", path, "--substitution", "ReminderTimeout=60").exit_code == 0
    subs = write(tmp_path, "subs.yaml", "ReminderTimeout: 60\nTopicArn: arn:aws:sns:us-east-1:1:t\n")
    assert invoke("validate", path, "--substitutions", subs).exit_code == 0


def test_run_applies_the_file_then_the_options_over_it(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", REMINDER)
    subs = write(tmp_path, "subs.json", json.dumps({"ReminderTimeout": 60, "TopicArn": "from-file"}))
    result = invoke("run", path, "--substitutions", subs, "--substitution", "TopicArn=from-option", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == {"topic": "from-option", "note": "after 60 s"}


def test_debug_and_test_state_take_substitutions(tmp_path: Path) -> None:
    path = write(tmp_path, "m.yaml", REMINDER)
    result = invoke("test-state", path, "--state", "Done", "--substitution", "ReminderTimeout=1",
                    "--substitution", "TopicArn=t")
    assert result.exit_code == 0, result.output
    assert json.loads(json.loads(result.stdout)["output"]) == {"topic": "t", "note": "after 1 s"}
    commands = write(tmp_path, "commands.txt", "continue\n")
    result = invoke("debug", path, "--commands", commands, "--substitution", "ReminderTimeout=1",
                    "--substitution", "TopicArn=t")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--substitution", "NoEquals"], "--substitution 'NoEquals': expected KEY=VALUE"),
    (["--substitutions", "missing.json"], "not found"),
])
def test_bad_substitution_options_are_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, "m.yaml", REMINDER)
    result = invoke("validate", path, *[str(tmp_path / a) if a.endswith(".json") else a for a in args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_a_substitutions_file_must_be_a_mapping(tmp_path: Path) -> None:
    result = invoke("run", write(tmp_path, "m.yaml", REMINDER), "--substitutions",
                    write(tmp_path, "subs.yaml", "- a\n- b\n"))
    assert result.exit_code == 2
    assert "expected a mapping of KEY: VALUE" in result.stderr
