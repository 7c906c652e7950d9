"""Reading definitions and inputs: JSON or YAML, from a path, a string or a dict.

Malformed text is reported with its line and column and the offending line, so
the person can find the problem without opening an editor. Whatever comes in must
be a JSON value aslrun can use (:mod:`aslrun.jsonlimits`): no NaN, no lone
surrogates, no numbers or nesting past aslrun's limits.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aslrun import defaults
from aslrun.errors import DefinitionError, Diagnostic, InputError, SourceError
from aslrun.jsonlimits import JsonLimitError, find_problem, loads

if TYPE_CHECKING:
    from aslrun.templates import TemplateDefinition

__all__ = [
    "Source",
    "parse_json_text",
    "parse_yaml_text",
    "read_definition",
    "read_input",
    "read_input_file",
    "substitute",
    "substitution_text",
    "yaml_loader",
]

_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Source:
    """A definition as read: its parsed value, its text (when there was one) and where it came from."""

    value: Any
    text: str | None
    name: str | None
    path: Path | None = None
    #: where a definition taken out of a CloudFormation/SAM template or a cdk.out came from
    template: TemplateDefinition | None = None


def _excerpt(text: str, line: int, column: int, width: int = 60) -> str:
    """The offending line (a window of it around ``column`` when long) with a caret under the column."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return ""
    # A lone surrogate (from a command-line argument) cannot be printed: show it escaped.
    src = _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", lines[line - 1].expandtabs(1))
    col = max(column - 1, 0)
    if len(src) > width:
        start = max(0, min(col - width // 2, len(src) - width))
        snippet = src[start : start + width]
        prefix = "…" if start > 0 else ""
        suffix = "…" if start + width < len(src) else ""
        return f"\n    {prefix}{snippet}{suffix}\n    {' ' * (col - start + len(prefix))}^"
    return f"\n    {src}\n    {' ' * col}^"


def _json_error_message(what: str, text: str, exc: json.JSONDecodeError) -> str:
    head = f"{what} cannot be used" if isinstance(exc, JsonLimitError) else f"{what} is not valid JSON"
    return f"{head}: {exc.msg} (line {exc.lineno}, column {exc.colno})" + _excerpt(text, exc.lineno, exc.colno)


def _check_definition(value: Any, name: str | None, error: type[DefinitionError] = SourceError) -> Any:
    """``value`` when it is a JSON value aslrun can use, else a :class:`DefinitionError` at its JSON Pointer."""
    problem = find_problem(value)
    if problem is not None:
        raise error([Diagnostic("INVALID_JSON_DESCRIPTION", problem.message, problem.pointer)], name)
    return value


def parse_json_text(text: str, what: str = "definition", name: str | None = None) -> Any:
    """Parse JSON text; a syntax error becomes :class:`SourceError` with line and column.

    NaN, Infinity, numbers longer than :data:`~aslrun.defaults.MAX_NUMBER_DIGITS` and nesting
    deeper than :data:`~aslrun.defaults.MAX_JSON_DEPTH` are refused the same way.
    """
    try:
        value = loads(text)
    except json.JSONDecodeError as exc:
        message = _json_error_message(what, text, exc)
        # Jackson meets an unterminated string at the end of the text, not at its opening quote.
        at = len(text) if exc.msg.startswith("Unterminated string") else exc.pos
        location = "/" if isinstance(exc, JsonLimitError) else aws_json_location(text, at)
        raise SourceError(
            [Diagnostic("INVALID_JSON_DESCRIPTION", message, location, line=exc.lineno, column=exc.colno)],
            name,
        ) from None
    return _check_definition(value, name)


def aws_json_location(text: str, pos: int) -> str:
    """Where Step Functions places a JSON syntax error: its JSON reader's (Jackson's) source location.

    ValidateStateMachineDefinition answers ``not a definition`` with the location
    ``[Source: (String)"not a definition"; line: 1, column: 4]`` (``sfn-api.md``). Jackson reports
    where its reader stands after the offending character, or after the whole unrecognized word,
    both 1-based; Python's ``json`` points at the character itself.
    """
    end = pos
    if pos < len(text):
        end = pos + 1
        if text[pos].isalpha() or text[pos] in "_$":
            while end < len(text) and (text[end].isalnum() or text[end] in "_$"):
                end += 1
    line = text.count("\n", 0, end) + 1
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    content = f'"{text[:_JACKSON_SNIPPET]}"'
    if len(text) > _JACKSON_SNIPPET:
        content += f"[truncated {len(text) - _JACKSON_SNIPPET} chars]"
    return f"[Source: (String){content}; line: {line}, column: {column}]"


#: Jackson quotes at most this many characters of the source in an error's location
_JACKSON_SNIPPET = 500


def yaml_loader(constructor: type | None = None) -> Any:
    """A YAML 1.2 loader (ruamel.yaml, pure Python): ``Yes``, ``No``, ``on`` and ``off`` stay strings.

    The Serverless Framework and SAM read definitions by YAML 1.2 rules, so a state named ``Yes``
    deploys; PyYAML's 1.1 rules would turn it into a boolean. ``constructor`` replaces the safe
    constructor (the template reader adds CloudFormation's short-form tags that way).
    """
    from ruamel.yaml import YAML

    loader = YAML(typ="safe", pure=True)
    if constructor is not None:
        loader.Constructor = constructor
    return loader


def parse_yaml_text(text: str, name: str | None, what: str = "definition", constructor: type | None = None) -> Any:
    """Parse YAML 1.2 text; a syntax error becomes :class:`SourceError` with line, column and excerpt."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    def refuse(message: str) -> SourceError:
        return SourceError([Diagnostic("INVALID_JSON_DESCRIPTION", f"{what} is not valid YAML: {message}")], name)

    try:
        return _check_definition(yaml_loader(constructor).load(text), name)
    except RecursionError:
        # The YAML composer recurses: deep nesting exhausts the stack before any check can run.
        raise refuse(f"it is nested too deeply (aslrun reads at most {defaults.MAX_JSON_DEPTH} levels, "
                     "MAX_JSON_DEPTH)") from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1) if mark is not None else 0
        column = (mark.column + 1) if mark is not None else 0
        problem = exc.problem or exc.context or str(exc)
        message = f"{what} is not valid YAML: {problem} (line {line}, column {column})"
        message += _excerpt(text, line, column)
        raise SourceError(
            [Diagnostic("INVALID_JSON_DESCRIPTION", message, "/", line=line, column=column)], name
        ) from None
    except YAMLError as exc:
        raise refuse(str(exc)) from None
    except (ValueError, OverflowError) as exc:
        # The constructors: int() past Python's 4,300 digits, a timestamp such as 2020-13-45.
        if "digits" in str(exc):
            raise refuse(f"a number has more than {defaults.MAX_NUMBER_DIGITS} digits (MAX_NUMBER_DIGITS)") from None
        raise refuse(f"a value cannot be read: {exc}") from None


def _parse_text(text: str, name: str | None, suffix: str = "") -> Any:
    stripped = text.lstrip()
    if suffix in (".yaml", ".yml"):
        return parse_yaml_text(text, name)
    if suffix == ".json" or stripped.startswith(("{", "[")):
        return parse_json_text(text, "definition", name)
    return parse_yaml_text(text, name)


def read_definition(source: Any, name: str | None = None,
                    substitutions: Mapping[str, Any] | None = None) -> Source:
    """Read a definition from a dict, a JSON/YAML string, or a path (``str`` or ``Path``).

    ``substitutions`` replace ``${KEY}`` placeholders as CloudFormation's ``DefinitionSubstitutions``
    do (:func:`substitute`): in the text before it is parsed, or in a dict's JSON form. A
    :class:`Source` (already read) is returned as it is.
    """
    if isinstance(source, Source):
        return source
    subs = substitution_text(substitutions or {})
    if isinstance(source, dict):
        label = name or "<dict>"
        if subs:
            text = substitute(json.dumps(source, indent=2, ensure_ascii=False), subs)
            return Source(parse_json_text(text, "definition (after substitutions)", label), text, label)
        return Source(_check_definition(source, label, DefinitionError), None, label)
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith(("{", "[")) and "\n" not in source
        and (os.path.exists(source) or source.endswith((".json", ".yaml", ".yml", ".asl")))
    ):
        path = Path(source)
        text = substitute(read_text_file(path, "definition"), subs)
        label = name or str(path)
        return Source(_parse_text(text, label, path.suffix.lower()), text, label, path)
    if isinstance(source, str):
        text = substitute(source, subs)
        return Source(_parse_text(text, name or "<string>"), text, name or "<string>")
    raise InputError(f"a definition must be a dict, a JSON/YAML string or a path, not {type(source).__name__}")


def read_text_file(path: Path, what: str) -> str:
    """A UTF-8 file's text with ``\\n`` newlines (lines and columns as editors show them)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a {what} file") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    return _decode(data, str(path)).replace("\r\n", "\n").replace("\r", "\n")


def substitution_text(substitutions: Mapping[str, Any]) -> dict[str, str]:
    """``DefinitionSubstitutions`` values as the text they stand for (CloudFormation accepts strings,
    integers and booleans: ``true``/``false``, as JSON writes them)."""
    result = {}
    for key, value in substitutions.items():
        if isinstance(value, bool):
            result[str(key)] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            result[str(key)] = str(value)
        else:
            raise InputError(f"substitution {key!r}: a value must be a string, a number or a boolean, "
                             f"not {type(value).__name__}")
    return result


def substitute(text: str, substitutions: Mapping[str, str]) -> str:
    """Replace each ``${KEY}`` in ``text`` by its value, as Step Functions' CloudFormation handler does.

    A plain text replacement (Apache Commons ``StringUtils.replaceEachRepeatedly``): repeated while a
    value brings in another known placeholder; a ``${...}`` with no value is left as it is. In a
    JSON definition a placeholder inside quotes stays a string (``"${Timeout}"`` becomes ``"300"``);
    in YAML, ``Seconds: ${Timeout}`` becomes the number 300.
    """
    if not substitutions or "${" not in text:
        return text
    pattern = re.compile(r"\$\{(" + "|".join(re.escape(k) for k in substitutions) + r")\}")
    for _ in range(len(substitutions) + 1):
        replaced = pattern.sub(lambda m: substitutions[m.group(1)], text)
        if replaced == text:
            return text
        text = replaced
    raise InputError("the substitution values refer to each other in a cycle (a value holds a ${KEY} that "
                     "leads back to itself)")


def _decode(data: bytes, where: str) -> str:
    """UTF-8 text (RFC 8259 section 8.1: JSON text exchanged between systems is UTF-8)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where} is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason}); "
            "save it as UTF-8"
        ) from None


def read_input(text: str | bytes, where: str = "input") -> Any:
    """Parse an execution input given as JSON text; errors are :class:`InputError` with line/column.

    Bytes must be UTF-8. The value must be one aslrun can use (:func:`aslrun.jsonlimits.find_problem`);
    a problem is reported with its JSON Pointer.
    """
    if isinstance(text, bytes):
        text = _decode(text, where)
    try:
        value = loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(_json_error_message(where, text, exc)) from None
    problem = find_problem(value)
    if problem is not None:
        raise InputError(f"{where} at {problem.pointer}: {problem.message}")
    return value


def read_input_file(path: str | Path, what: str = "input") -> Any:
    """Read and parse a JSON file (``--input @file``); every problem is an :class:`InputError`.

    ``what`` names the option in messages (``input``, ``context``).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{what} file {path} is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} file {path}: {exc.strerror}") from None
    return read_input(data, f"{what} file {path}")
