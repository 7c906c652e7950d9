"""Reading definitions and inputs: JSON or YAML, from a path, a string or a dict.

Malformed text is reported with its line and column and the offending line, so
the person can find the problem without opening an editor.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aslrun.errors import Diagnostic, InputError, SourceError

__all__ = ["Source", "parse_json_text", "read_definition", "read_input"]


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
    src = lines[line - 1].expandtabs(1)
    col = max(column - 1, 0)
    if len(src) > width:
        start = max(0, min(col - width // 2, len(src) - width))
        snippet = src[start : start + width]
        prefix = "…" if start > 0 else ""
        suffix = "…" if start + width < len(src) else ""
        return f"\n    {prefix}{snippet}{suffix}\n    {' ' * (col - start + len(prefix))}^"
    return f"\n    {src}\n    {' ' * col}^"


def parse_json_text(text: str, what: str = "definition", name: str | None = None) -> Any:
    """Parse JSON text; a syntax error becomes :class:`SourceError` with line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        message += _excerpt(text, exc.lineno, exc.colno)
        raise SourceError(
            [Diagnostic("INVALID_JSON_DESCRIPTION", message, "/", line=exc.lineno, column=exc.colno)],
            name,
        ) from None


def _parse_yaml(text: str, name: str | None) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
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
        raise SourceError([Diagnostic("INVALID_JSON_DESCRIPTION", f"definition is not valid YAML: {exc}")],
                          name) from None


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
        return Source(source, None, name or "<dict>")
    if isinstance(source, Path) or (
        isinstance(source, str) and not source.lstrip().startswith(("{", "[")) and "\n" not in source
        and (os.path.exists(source) or source.endswith((".json", ".yaml", ".yml", ".asl")))
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"definition file not found: {path}") from None
        except IsADirectoryError:
            raise InputError(f"{path} is a directory, not a definition file") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path} is not UTF-8 text: {exc}") from None
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        label = name or str(path)
        return Source(_parse_text(text, label, path.suffix.lower()), text, label, path)
    if isinstance(source, str):
        return Source(_parse_text(source, name or "<string>"), source, name or "<string>")
    raise InputError(f"a definition must be a dict, a JSON/YAML string or a path, not {type(source).__name__}")


def read_input(text: str, where: str = "input") -> Any:
    """Parse an execution input given as JSON text; errors are :class:`InputError` with line/column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            + _excerpt(text, exc.lineno, exc.colno)
        ) from None
