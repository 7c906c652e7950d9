"""The exceptions of JSONPath compilation and evaluation.

Their own module so that :mod:`aslrun.expressions.jsonpath` and
:mod:`aslrun.expressions.jsonpath_filter` both raise them without importing each other;
:mod:`aslrun.expressions.jsonpath` re-exports them, which is where callers import them from.
"""

from __future__ import annotations

__all__ = ["PathNotFound", "PathSyntaxError", "ResultPathMatchFailure"]


class PathSyntaxError(ValueError):
    """The text is not a JSONPath (or not a reference path where one is required)."""

    def __init__(self, message: str, text: str, position: int | None = None) -> None:
        self.text = text
        self.position = position
        where = f" at position {position}" if position is not None else ""
        super().__init__(f"{message}{where} in {text!r}")
        self.reason = message


class PathNotFound(LookupError):
    """A definite path matched nothing. ``message`` is Jayway's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ResultPathMatchFailure(ValueError):
    """A reference path cannot be set on the given document."""
