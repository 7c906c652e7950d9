"""Where JSON values enter aslrun (execution inputs, definition text, ``--input`` files) and the
data flow's serialisation: hostile values give an aslrun error that says what and where, never
another exception (issue 14).

Limits: MAX_JSON_DEPTH (128) and MAX_NUMBER_DIGITS (1000) in aslrun/defaults.py; NaN, Infinity and
lone surrogates are refused because JSON text cannot hold them (StartExecution: InvalidExecutionInput).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import aslrun
from aslrun import defaults
from aslrun.cli.main import cli
from aslrun.dataflow import compact_json, payload_size
from aslrun.errors import AslrunError, DefinitionError, InputError, SourceError
from aslrun.jsonlimits import find_problem
from aslrun.source import read_input, read_input_file

P = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
P_TEXT = json.dumps(P)


def nested_list(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def definition_with_comment(comment_json: str) -> str:
    """P as text, with ``comment_json`` (raw JSON text) as its Comment."""
    return '{"StartAt":"P","Comment":' + comment_json + ',"States":{"P":{"Type":"Pass","End":true}}}'


# ---------------------------------------------------------------- the execution input (Interpreter.start)


def test_a_lone_surrogate_in_the_input_is_refused_with_its_pointer() -> None:
    with pytest.raises(InputError, match=r"^invalid execution input at /a: a lone surrogate \(U\+DFFF\) cannot be "
                                         r"encoded as UTF-8, so it is not valid JSON text \(Step Functions refuses "
                                         r"such input with InvalidExecutionInput\); remove it or pair it$"):
        aslrun.run(P, {"a": "\udfff"})


def test_a_lone_surrogate_in_a_key_is_shown_escaped_so_the_message_prints() -> None:
    with pytest.raises(InputError, match=r"^invalid execution input at /ok/x\\ud800: a lone surrogate \(U\+D800\)"):
        aslrun.run(P, {"ok": {"x\ud800": 1}})


def test_a_paired_surrogate_and_other_unicode_run() -> None:
    value = {"emoji": "😀", "nul": "\x00", "bom": "\ufeff", "max": "\U0010ffff"}
    assert aslrun.run(P, value).output == value


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_nan_and_infinities_in_the_input_are_refused(number: float) -> None:
    with pytest.raises(InputError, match=rf"^invalid execution input at /n/0: {number!r} is not a JSON number "
                                         r"\(JSON has no NaN or Infinity\)$"):
        aslrun.run(P, {"n": [number]})


def test_an_input_nested_past_the_limit_is_refused_naming_the_limit() -> None:
    with pytest.raises(InputError, match=r"^invalid execution input at (/0)+/…(/0)+: nested more than 128 "
                                         r"levels deep \(MAX_JSON_DEPTH\)$"):
        aslrun.run(P, nested_list(1000))


def test_an_input_nested_to_the_limit_runs() -> None:
    value = nested_list(defaults.MAX_JSON_DEPTH)
    assert aslrun.run(P, value).output == value
    with pytest.raises(InputError, match="MAX_JSON_DEPTH"):
        aslrun.run(P, nested_list(defaults.MAX_JSON_DEPTH + 1))


def test_an_integer_past_the_digit_limit_is_refused() -> None:
    with pytest.raises(InputError, match=r"^invalid execution input at /n: the integer has more than 1000 digits "
                                         r"\(MAX_NUMBER_DIGITS, the default maxNumberLength of Jackson"):
        aslrun.run(P, {"n": 10**5000})


def test_an_integer_of_the_digit_limit_runs() -> None:
    biggest = -(10**defaults.MAX_NUMBER_DIGITS - 1)
    assert aslrun.run(P, {"n": biggest}).output == {"n": biggest}
    with pytest.raises(InputError, match="MAX_NUMBER_DIGITS"):
        aslrun.run(P, {"n": 10**defaults.MAX_NUMBER_DIGITS})


@pytest.mark.parametrize(("value", "found"), [
    ({"when": __import__("datetime").date(2024, 1, 2)}, "/when: a date is not a JSON value; quote it"),
    ({"s": {1, 2}}, "/s: a set is not a JSON value"),
    ({1: "x"}, "/: the key 1 (int) is not a string; JSON object keys are strings: quote it"),
])
def test_python_values_no_json_text_can_hold_are_refused(value: Any, found: str) -> None:
    with pytest.raises(InputError) as info:
        aslrun.run(P, value)
    assert str(info.value).startswith(f"invalid execution input at {found}")


def test_the_input_is_checked_even_with_payload_limits_off() -> None:
    with pytest.raises(InputError, match="lone surrogate"):
        aslrun.run(P, {"a": "\udc80"}, check_payload_limits=False)


# ---------------------------------------------------------------- definitions (aslrun.load, aslrun.validate)


def test_definition_text_nested_past_what_json_can_parse_is_a_source_error() -> None:
    text = definition_with_comment("[" * 3000 + "]" * 3000)
    with pytest.raises(SourceError, match=r"/: definition cannot be used: nested more than 128 levels deep "
                                          r"\(MAX_JSON_DEPTH\) \(line 1, column 153\)"):
        aslrun.load(text)
    with pytest.raises(SourceError, match="MAX_JSON_DEPTH"):
        aslrun.validate(text)


def test_definition_text_nested_past_the_limit_is_refused_at_its_pointer() -> None:
    with pytest.raises(SourceError) as info:
        aslrun.load(definition_with_comment("[" * 300 + "]" * 300))
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.location.startswith("/Comment/0/0/")
    assert diagnostic.message == "nested more than 128 levels deep (MAX_JSON_DEPTH)"


def test_a_number_past_the_digit_limit_in_definition_text_is_refused_with_its_position() -> None:
    text = '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":' + "9" * 5000 + ',"End":true}}}'
    with pytest.raises(SourceError, match=r"definition cannot be used: the number has more than 1000 digits "
                                          r"\(MAX_NUMBER_DIGITS, .*\) \(line 1, column 54\)"):
        aslrun.load(text)


@pytest.mark.parametrize(("literal", "column"), [("NaN", 54), ("Infinity", 54), ("-Infinity", 54)])
def test_nan_and_infinity_in_definition_text_are_refused(literal: str, column: int) -> None:
    text = '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":' + literal + ',"End":true}}}'
    with pytest.raises(SourceError, match=rf"definition cannot be used: {literal} is not a JSON value \(JSON has no "
                                          rf"NaN or Infinity\) \(line 1, column {column}\)"):
        aslrun.load(text)


def test_a_float_out_of_double_range_in_definition_text_is_refused() -> None:
    text = '{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":1e400},"End":true}}}'
    with pytest.raises(SourceError, match=r"the number 1e400 is out of range \(it does not fit a double-precision "
                                          r"number\) \(line 1, column 59\)"):
        aslrun.load(text)


def test_a_definition_dict_with_nan_is_refused_at_its_pointer() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"x": math.nan}, "End": True}}}
    with pytest.raises(DefinitionError, match=r"/States/P/Result/x: nan is not a JSON number"):
        aslrun.load(definition)


def test_a_yaml_date_is_refused_with_a_hint_to_quote_it() -> None:
    text = "StartAt: P\nStates:\n  P: {Type: Pass, Result: 2024-01-02, End: true}\n"
    with pytest.raises(SourceError, match=r"/States/P/Result: a date is not a JSON value; quote it to make it a "
                                          r"string"):
        aslrun.load(text)


def test_yaml_nested_too_deeply_for_the_yaml_parser_is_a_source_error() -> None:
    text = "StartAt: P\nComment: " + "[" * 3000 + "]" * 3000 + "\nStates: {P: {Type: Pass, End: true}}\n"
    with pytest.raises(SourceError, match=r"definition is not valid YAML: it is nested too deeply \(aslrun reads at "
                                          r"most 128 levels, MAX_JSON_DEPTH\)"):
        aslrun.load(text)


def test_yaml_aliases_that_multiply_a_value_are_refused() -> None:
    lines = ["StartAt: P", "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    lines.append("States: {P: {Type: Pass, End: true}}")
    with pytest.raises(SourceError, match=r"the value holds more than 1,000,000 values \(MAX_JSON_NODES\)"):
        aslrun.load("\n".join(lines) + "\n")


def test_a_yaml_alias_inside_itself_is_refused() -> None:
    with pytest.raises(SourceError, match=r"/Comment/0/0/.*nested more than 128 levels deep"):
        aslrun.load("StartAt: P\nComment: &a [*a]\nStates: {P: {Type: Pass, End: true}}\n")


def test_a_non_utf8_definition_file_says_where(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(b'{"StartAt": "\xff"}')
    with pytest.raises(InputError, match=rf"^{path} is not UTF-8 text: byte 0xff at offset 13 \(invalid start "
                                         r"byte\); save it as UTF-8$"):
        aslrun.load(path)


# ---------------------------------------------------------------- --input text and files (read_input)


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": NaN}', r"NaN is not a JSON value \(JSON has no NaN or Infinity\) \(line 1, column 7\)"),
    ('{"s": "NaN", "a": [Infinity]}', r"Infinity is not a JSON value .* \(line 1, column 20\)"),
    ("[1e400]", r"the number 1e400 is out of range .* \(line 1, column 2\)"),
    ('{"n": ' + "9" * 5000 + "}", r"the number has more than 1000 digits \(MAX_NUMBER_DIGITS, .*\) "
                                  r"\(line 1, column 7\)"),
    ("[" * 2000 + "]" * 2000, r"nested more than 128 levels deep \(MAX_JSON_DEPTH\) \(line 1, column 129\)"),
])
def test_read_input_refuses_what_is_not_json_or_past_a_limit(text: str, message: str) -> None:
    with pytest.raises(InputError, match=rf"^input cannot be used: {message}"):
        read_input(text)


def test_read_input_refuses_an_escaped_lone_surrogate_at_its_pointer() -> None:
    with pytest.raises(InputError, match=r"^input at /a: a lone surrogate \(U\+DFFF\)"):
        read_input('{"a": "\\udfff"}')


def test_read_input_keeps_an_escaped_surrogate_pair() -> None:
    assert read_input('{"a": "\\ud83d\\ude00"}') == {"a": "😀"}


def test_a_non_utf8_input_file_says_which_file_and_which_byte(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_bytes(b'{"a": "caf\xe9"}')
    with pytest.raises(InputError, match=rf"^input file {path} is not UTF-8 text: byte 0xe9 at offset 10 "
                                         r"\(invalid continuation byte\); save it as UTF-8$"):
        read_input_file(path)


def test_an_input_file_nested_2000_deep_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 2000 + "]" * 2000, encoding="utf-8")
    with pytest.raises(InputError, match=rf"^input file {path} cannot be used: nested more than 128 levels deep"):
        read_input_file(path)


# ---------------------------------------------------------------- values made inside an execution


def test_a_lone_surrogate_made_by_an_intrinsic_is_written_escaped() -> None:
    machine = {"StartAt": "P", "States": {"P": {
        "Type": "Pass", "Parameters": {"x.$": "States.StringToJson('\"\\\\udfff\"')"}, "End": True}}}
    result = aslrun.run(machine, {})
    assert result.status == "SUCCEEDED"
    assert result.output == {"x": "\udfff"}
    output_text = result.history[-1]["executionSucceededEventDetails"]["output"]
    assert output_text == '{"x":"\\udfff"}'
    output_text.encode("utf-8")


def test_a_value_that_grows_too_deep_in_a_loop_fails_with_states_runtime() -> None:
    machine = {"StartAt": "Wrap", "States": {
        "Wrap": {"Type": "Pass", "Parameters": {"x.$": "$"}, "Next": "Again"},
        "Again": {"Type": "Choice", "Choices": [{"Variable": "$.never", "IsPresent": True, "Next": "Done"}],
                  "Default": "Wrap"},
        "Done": {"Type": "Succeed"},
    }}
    result = aslrun.run(machine, nested_list(defaults.MAX_JSON_DEPTH - 1, {}))
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert result.cause is not None
    assert result.cause.endswith("The value cannot be written as JSON: it is nested too deeply (executions take "
                                 "inputs nested at most 128 levels deep, MAX_JSON_DEPTH).")


def test_compact_json_escapes_surrogates_and_counts_their_escapes() -> None:
    assert compact_json({"k\udfff": "é\ud800"}) == '{"k\\udfff":"é\\ud800"}'
    assert payload_size({"a": "\udfff"}) == len('{"a":"\\udfff"}')
    assert payload_size({"a": "é"}) == len('{"a":"é"}'.encode())


# ---------------------------------------------------------------- properties


def _json_like(exponents: tuple[int, ...] = (999, 1000, 5000)) -> st.SearchStrategy[Any]:
    """JSON-ish values with what hurts: any code point (surrogates too), huge ints, NaN and infinities."""
    scalars = st.one_of(
        st.none(), st.booleans(),
        st.integers(),
        # Past 4,300 digits an int has no repr: build it rather than name it as a strategy argument.
        st.builds(lambda exponent, sign: sign * 10**exponent, st.sampled_from(exponents), st.sampled_from([1, -1])),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(st.characters(codec=None), max_size=8),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(st.characters(), max_size=4), children, max_size=4),
        ),
        max_leaves=20,
    )


def _deep(draw_value: Any, depth: int) -> Any:
    return nested_list(depth, draw_value)


@settings(max_examples=200, deadline=None)
@given(value=_json_like(), depth=st.sampled_from([0, 0, 0, 127, 129, 1200]))
def test_any_input_runs_or_is_an_aslrun_error(value: Any, depth: int) -> None:
    value = _deep(value, depth)
    try:
        result = aslrun.run(P, value)
    except AslrunError:
        assert find_problem(value) is not None or payload_size(value) > defaults.MAX_PAYLOAD_BYTES
        return
    assert find_problem(value) is None
    assert result.status == "SUCCEEDED"
    json.dumps(result.history, allow_nan=False).encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(value=_json_like())
def test_compact_json_of_a_usable_value_reads_back_the_same(value: Any) -> None:
    if find_problem(value) is not None:
        return
    text = compact_json(value)
    text.encode("utf-8")
    assert json.loads(text) == value


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(
    st.text(st.characters(codec=None), max_size=40),
    st.builds(lambda v: json.dumps(v), _json_like(exponents=(999, 1000, 1001))),
    st.builds(lambda n: '{"n": ' + "7" * n + "}", st.integers(990, 5000)),
    st.builds(lambda n, inner: "[" * n + inner + "]" * n, st.integers(0, 3000), st.sampled_from(["1", "NaN", ""])),
))
def test_read_input_of_any_text_is_a_value_or_an_input_error(text: str) -> None:
    try:
        value = read_input(text)
    except InputError:
        return
    assert find_problem(value) is None


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def machine_file(tmp_path: Path) -> Path:
    path = tmp_path / "p.json"
    path.write_text(P_TEXT, encoding="utf-8")
    return path


def _input_file(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "input.json"
    path.write_bytes(data)
    return f"@{path}"


@pytest.mark.parametrize(("make_input", "fragment"), [
    (lambda tmp: '{"a": NaN}', "NaN is not a JSON value"),
    (lambda tmp: '{"a": "\\udfff"}', "lone surrogate (U+DFFF)"),
    (lambda tmp: "[" * 3000 + "]" * 3000, "MAX_JSON_DEPTH"),
    (lambda tmp: _input_file(tmp, b"[" * 2000 + b"]" * 2000), "MAX_JSON_DEPTH"),
    (lambda tmp: _input_file(tmp, b'{"n": ' + b"9" * 5000 + b"}"), "MAX_NUMBER_DIGITS"),
    (lambda tmp: _input_file(tmp, b'{"a": "\xff"}'), "is not UTF-8 text: byte 0xff at offset 7"),
], ids=["nan", "surrogate", "deep-inline", "deep-file", "digits-file", "not-utf8-file"])
@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_cli_refuses_hostile_input_with_exit_2_and_no_traceback(
    tmp_path: Path, machine_file: Path, make_input: Any, fragment: str, as_json: bool
) -> None:
    args = ["run", str(machine_file), "--input", make_input(tmp_path)] + (["--json"] if as_json else [])
    result = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"}).invoke(cli, args, prog_name="aslrun")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    assert fragment in result.stderr.splitlines()[0]
    if as_json:
        payload = json.loads(result.stdout)
        assert payload["status"] == "ERROR"
        assert payload["error"] == "InputError"
        assert fragment in payload["cause"]
    else:
        assert result.stdout == ""


def test_a_missing_input_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=rf"^context file not found: {tmp_path / 'absent.json'}$"):
        read_input_file(tmp_path / "absent.json", "context")
