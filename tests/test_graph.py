"""``aslrun graph`` and :mod:`aslrun.graph`: Mermaid and DOT pictures of a state machine, coloured by a run.

Every sample draws in both formats; the DOT text goes through Graphviz's ``dot`` (when installed:
``.ci/run`` installs it) to SVG; the Mermaid text is checked line by line against the flowchart grammar
the module emits. The debugger's ``graph mermaid`` uses the same code.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aslrun.cli.main import cli
from aslrun.graph import RunOverlay, overlay_from_history, render, to_dot, to_mermaid
from aslrun.parser import parse
from aslrun.source import read_definition

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
DEFINITIONS = sorted(p for p in [*SAMPLES.glob("*.json"), *SAMPLES.glob("*.yaml"), *SAMPLES.glob("eks/*.json"),
                                 SAMPLES / "testing" / "EksPipeline.json"] if not p.name.endswith(".input.json"))
# Without Graphviz the SVG/PNG tests skip on a developer's machine; CI installs it, so there they run (and fail
# if it is missing: a broken CI, not a skip).
needs_dot = pytest.mark.skipif(shutil.which("dot") is None and not os.environ.get("CI"),
                               reason="Graphviz's dot is not installed (apt-get install graphviz)")

CHECKOUT = {
    "StartAt": "Kind",
    "States": {
        "Kind": {"Type": "Choice", "Default": "Charge", "Choices": [
            {"Variable": "$.total", "NumericGreaterThan": 100, "Next": "Review"},
            {"Not": {"Variable": "$.email", "IsPresent": True}, "Next": "Reject"}]},
        "Review": {"Type": "Pass", "Next": "Charge"},
        "Charge": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Next": "Done",
                   "Parameters": {"FunctionName": "charge"},
                   "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"]}],
                   "Catch": [{"ErrorEquals": ["Card.Declined", "States.Timeout"], "Next": "Reject"}]},
        "Reject": {"Type": "Fail", "Error": "Checkout.Rejected"},
        "Done": {"Type": "Succeed"},
    },
}

_MERMAID_LINE = re.compile(
    r'^\s*(?:'
    r'flowchart TD'
    r'|subgraph \w+\["[^"]*"\]'
    r'|direction TB'
    r'|end'
    r'|\w+(?:\(\("[^"]*"\)\)|\{"[^"]*"\}|\(\["[^"]*"\]\)|\["[^"]*"\])'
    r'|\w+ (?:-->|-\.->|-- "[^"]*" -->|-\. "[^"]*" \.->) \w+'
    r'|classDef \w+ [\w:#,.\-]+'
    r'|class [\w,]+ \w+'
    r')$')


def check_mermaid(text: str) -> None:
    """Each line is one construct of the flowchart grammar; subgraphs close; edges join declared nodes."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    depth, declared, used = 0, set(), set()
    for line in lines:
        assert _MERMAID_LINE.match(line), f"not Mermaid flowchart syntax: {line!r}"
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            depth += 1
        elif stripped == "end":
            depth -= 1
            assert depth >= 0
        elif (node := re.match(r"^(\w+)[\[({]", stripped)) and not stripped.startswith("class"):
            declared.add(node.group(1))
        elif edge := re.match(r"^(\w+) .* (\w+)$", stripped):
            if not stripped.startswith("class"):
                used |= {edge.group(1), edge.group(2)}
    assert depth == 0
    assert used <= declared, used - declared


def machine(definition: Any, name: str = "Checkout") -> Any:
    return parse(definition, name=name)


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_every_sample_draws_as_mermaid_and_dot(path: Path) -> None:
    m = machine(read_definition(path).value, path.stem)
    check_mermaid(to_mermaid(m))
    dot = to_dot(m)
    assert dot.startswith(f'digraph "{path.stem}" {{') and dot.rstrip().endswith("}")
    for state in m.body.states:
        assert json.dumps(state)[1:-1] in dot


@needs_dot
@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_every_sample_renders_to_svg_through_graphviz(path: Path) -> None:
    svg = render(to_dot(machine(read_definition(path).value, path.stem)), "svg")
    assert b"<svg" in svg and b"</svg>" in svg


def test_choice_rules_default_catch_and_retry_are_labelled() -> None:
    m = machine(CHECKOUT)
    mermaid, dot = to_mermaid(m), to_dot(m)
    check_mermaid(mermaid)
    assert '-- "$.total #gt; 100" -->' in mermaid
    assert '-- "not ($.email is present)" -->' in mermaid
    assert '-- "Default" -->' in mermaid
    assert '-. "Card.Declined, States.Timeout" .->' in mermaid
    assert "↻ Retry Lambda.TooManyRequestsException" in mermaid
    assert 'label="$.total > 100"' in dot
    assert 'label="Card.Declined, States.Timeout", style=dashed' in dot
    assert '"Start"' in dot and '"End"' in dot


def test_parallel_branches_and_map_processors_are_nested_boxes() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "Next": "M", "Branches": [
        {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}},
        {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True}}}]},
        "M": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "C", "States": {"C": {"Type": "Pass",
                                                                                              "End": True}}}}}}
    mermaid, dot = to_mermaid(machine(definition)), to_dot(machine(definition))
    check_mermaid(mermaid)
    for label in ("P (Parallel)", "Branch 1", "Branch 2", "M (Map)", "Item processor"):
        assert f'["{label}"]' in mermaid
        assert f'label="{label}"' in dot
    assert dot.count("subgraph \"cluster_") == 5


FAILING = {"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Next": "Both"},
    "Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Explode", "States": {"Explode": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}},
        {"StartAt": "Fine", "States": {"Fine": {"Type": "Pass", "End": True}}}]}}}


@pytest.fixture
def failed_run(tmp_path: Path) -> tuple[Path, Path]:
    definition = tmp_path / "failing.json"
    definition.write_text(json.dumps(FAILING), encoding="utf-8")
    history = tmp_path / "history.json"
    result = CliRunner().invoke(cli, ["run", str(definition), "--history", str(history), "--quiet"])
    assert result.exit_code == 1, result.output
    return definition, history


def test_a_failed_runs_history_colours_the_failed_state_red(failed_run: tuple[Path, Path]) -> None:
    definition, history = failed_run
    overlay = overlay_from_history(json.loads(history.read_text(encoding="utf-8")))
    assert overlay.failed == {"Explode", "Both"}
    assert overlay.visits == {"Prepare": 1, "Both": 1, "Explode": 1, "Fine": 1}
    result = CliRunner().invoke(cli, ["graph", str(definition), "--history", str(history), "--format", "dot"])
    assert result.exit_code == 0, result.output
    explode = next(line for line in result.stdout.splitlines() if 'label="Explode' in line)
    assert 'fillcolor="#f8d7da"' in explode and 'color="#c62828"' in explode and "×1" in explode
    prepare = next(line for line in result.stdout.splitlines() if 'label="Prepare' in line)
    assert 'fillcolor="#d4edda"' in prepare
    mermaid = CliRunner().invoke(cli, ["graph", str(definition), "--history", str(history)]).stdout
    check_mermaid(mermaid)
    failed_ids = re.search(r"^  class ([\w,]+) failed$", mermaid, re.M)
    assert failed_ids is not None and len(failed_ids.group(1).split(",")) == 2


@needs_dot
def test_cli_writes_svg_and_png_files(tmp_path: Path) -> None:
    path = tmp_path / "checkout.json"
    path.write_text(json.dumps(CHECKOUT), encoding="utf-8")
    for fmt, magic in (("svg", b"<?xml"), ("png", b"\x89PNG")):
        out = tmp_path / f"checkout.{fmt}"
        result = CliRunner().invoke(cli, ["graph", str(path), "--format", fmt, "--output", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic)


def test_svg_without_graphviz_says_how_to_install_it(tmp_path: Path) -> None:
    path = tmp_path / "checkout.json"
    path.write_text(json.dumps(CHECKOUT), encoding="utf-8")
    result = CliRunner().invoke(cli, ["graph", str(path), "--format", "svg"], env={"PATH": str(tmp_path)})
    assert result.exit_code == 2
    assert "apt-get install graphviz" in " ".join(result.stderr.split())


def test_bad_usage_and_invalid_definitions_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(json.dumps({"StartAt": "X", "States": {}}), encoding="utf-8")
    assert CliRunner().invoke(cli, ["graph", str(path)]).exit_code == 2
    good = tmp_path / "good.json"
    good.write_text(json.dumps(CHECKOUT), encoding="utf-8")
    result = CliRunner().invoke(cli, ["graph", str(good), "--format", "png"])
    assert result.exit_code == 2 and "--output" in result.stderr


def test_overlay_marks_the_current_state() -> None:
    mermaid = to_mermaid(machine(CHECKOUT), RunOverlay(visits={"Kind": 1, "Charge": 2}, current="Charge"))
    check_mermaid(mermaid)
    assert re.search(r'^  (\w+)\["Charge<br/>.*×2"\]$', mermaid, re.M)
    assert re.search(r"^  class \w+ current$", mermaid, re.M)


def test_the_debugger_graph_command_prints_mermaid(tmp_path: Path) -> None:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps({"StartAt": "One", "States": {"One": {"Type": "Pass", "Next": "Two"},
                                                              "Two": {"Type": "Pass", "End": True}}}),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["debug", str(path)], input="next\ngraph mermaid\ncontinue\n",
                                env={"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    assert "flowchart TD" in result.output
    assert re.search(r"^  class \w+ current$", result.output, re.M)


def test_graph_and_policy_take_the_definition_out_of_a_template(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from aslrun.cli.main import cli

    template = tmp_path / "template.yaml"
    template.write_text(
        "Resources:\n"
        "  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {FunctionName: work}\n"
        "  Machine:\n    Type: AWS::StepFunctions::StateMachine\n    Properties:\n"
        "      DefinitionSubstitutions: {FnArn: !GetAtt Fn.Arn}\n"
        "      Definition:\n        StartAt: Call\n        States:\n"
        "          Call: {Type: Task, Resource: '${FnArn}', End: true}\n", encoding="utf-8")
    runner = CliRunner()
    drawn = runner.invoke(cli, ["graph", "--template", str(template)])
    assert drawn.exit_code == 0, drawn.output
    assert "Call" in drawn.stdout
    granted = runner.invoke(cli, ["policy", "--template", str(template), "--account", "123456789012"])
    assert granted.exit_code == 0, granted.output
    assert "arn:aws:lambda:us-east-1:123456789012:function:work" in granted.stdout
