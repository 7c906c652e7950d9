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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aslrun import defaults
from aslrun.errors import DefinitionError, Diagnostic, InputError, SourceError
from aslrun.jsonlimits import JsonLimitError, find_problem, loads

__all__ = ["Source", "parse_json_text", "read_definition", "read_input", "read_input_file"]

_SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Source:
    """A definition as read: its parsed value, its text (when there was one) and where it came from."""

    value: Any
    text: str | None
    name: str | None
    path: Path | None = None


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
        raise SourceError(
            [Diagnostic("INVALID_JSON_DESCRIPTION", message, "/", line=exc.lineno, column=exc.colno)],
            name,
        ) from None
    return _check_definition(value, name)


def _parse_yaml(text: str, name: str | None) -> Any:
    import yaml

    def refuse(message: str) -> SourceError:
        return SourceError([Diagnostic("INVALID_JSON_DESCRIPTION", f"definition is not valid YAML: {message}")],
                           name)

    try:
        return _check_definition(yaml.safe_load(text), name)
    except RecursionError:
        # PyYAML composes recursively: deep nesting exhausts the stack before any check can run.
        raise refuse(f"it is nested too deeply (aslrun reads at most {defaults.MAX_JSON_DEPTH} levels, "
                     "MAX_JSON_DEPTH)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = (mark.line + 1) if mark is not None else 0
        column = (mark.column + 1) if mark is not None else 0
        message = f"definition is not valid YAML: {exc.problem or exc} (line {line}, column {column})"
        message += _excerpt(text, line, column)
        raise SourceError(
            [Diagnostic("INVALID_JSON_DESCRIPTION", message, "/", line=line, column=column)], name
        ) from None
    except yaml.YAMLError as exc:
        raise refuse(str(exc)) from None
    except (ValueError, OverflowError) as exc:
        # PyYAML's constructors: int() past Python's 4,300 digits, a timestamp such as 2020-13-45.
        if "digits" in str(exc):
            raise refuse(f"a number has more than {defaults.MAX_NUMBER_DIGITS} digits (MAX_NUMBER_DIGITS)") from None
        raise refuse(f"a value cannot be read: {exc}") from None


def _parse_text(text: str, name: str | None, suffix: str = "") -> Any:
    stripped = text.lstrip()
    if suffix in (".yaml", ".yml"):
        return _parse_yaml(text, name)
    if suffix == ".json" or stripped.startswith(("{", "[")):
        return parse_json_text(text, "definition", name)
    return _parse_yaml(text, name)


def read_definition(source: Any, name: str | None = None) -> Source:
    """Read a definition from a dict, a JSON/YAML string, or a path (``str`` or ``Path``)."""
    if isinstance(source, dict):
        return Source(_check_definition(source, name or "<dict>", DefinitionError), None, name or "<dict>")
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith(("{", "[")) and "\n" not in source
        and (os.path.exists(source) or source.endswith((".json", ".yaml", ".yml", ".asl")))
    ):
        path = Path(source)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"definition file not found: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a directory, not a definition file") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        # Newlines as read_text() gives them, so lines and columns match what editors show.
        text = _decode(data, str(path)).replace("\r\n", "\n").replace("\r", "\n")
        label = name or str(path)
        return Source(_parse_text(text, label, path.suffix.lower()), text, label, path)
    if isinstance(source, str):
        return Source(_parse_text(source, name or "<string>"), source, name or "<string>")
    raise InputError(f"a definition must be a dict, a JSON/YAML string or a path, not {type(source).__name__}")


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
