"""The exceptions of JSONPath compilation and evaluation.

Their own module so that :mod:`aslrun.expressions.jsonpath` and
:mod:`aslrun.expressions.jsonpath_filter` both raise them without importing each other;
:mod:`aslrun.expressions.jsonpath` re-exports them, which is where callers import them from.
"""

from __future__ import annotations

__all__ = ["BareWordFilter", "PathNotFound", "PathSyntaxError", "ResultPathMatchFailure"]


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


class BareWordFilter(PathSyntaxError):
    """A filter compares with an unquoted word, ``[?(@.status==Failure)]``.

    AWS accepts such a definition (public samples deploy it), but Jayway, the JSONPath engine
    Step Functions runs, cannot compile the filter: ``FilterCompiler.readLiteral`` reads a
    value that is not a quote, ``true``, ``false``, ``null``, ``{``, ``[`` or ``/`` as a
    number, finds no digit, and ``new BigDecimal("")`` fails, which ``compile()`` rewords as
    ``Failed to parse filter: <filter>, error on position: <n>, char: <c>``
    (json-path/JsonPath ``internal/filter/FilterCompiler.java``). A state that evaluates the
    path therefore fails at run time (aws-samples/aws-batch-runtime-monitoring pull request 7:
    the missing quotes "would lead to failed states"). ``word`` is the unquoted word and
    ``jayway`` Jayway's message.
    """

    def __init__(self, text: str, word: str, jayway: str) -> None:
        super().__init__(f"the filter compares with the unquoted word {word!r}", text)
        self.word = word
        self.jayway = jayway
