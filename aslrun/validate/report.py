"""Diagnostics: their codes, JSON Pointers, message helpers and the reporting base class.

Everything the other :mod:`aslrun.validate` modules share: the diagnostic codes, the two
query languages, :func:`did_you_mean` and :func:`join_pointer`, the wording of values in
messages (:func:`_describe`), the :class:`_Scope` record each ``States`` object leaves for
the graph checks, and :class:`_Reporter`, which collects diagnostics (``add``, ``error``,
``type_error``) and returns them in document order without duplicates.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aslrun.errors import Diagnostic

SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END = "MISSING_END_STATE"
DUPLICATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA = "UNSUPPORTED_JSONATA_EXPRESSION"
UNKNOWN_ERROR_NAME = "UNKNOWN_ERROR_NAME"
LITERAL_KEY = "LITERAL_DOLLAR_KEY"

JSONPATH = "JSONPath"
JSONATA = "JSONata"

_MAX_NAME = 80

_MISSING: Any = object()


# ---------------------------------------------------------------- public helpers


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """``Did you mean "X"?`` for the option closest to ``word``, or None if none is close."""
    choices = [o for o in options if isinstance(o, str)]
    if not isinstance(word, str) or not choices:
        return None
    folded = {o.casefold(): o for o in choices}
    if word.casefold() in folded and folded[word.casefold()] != word:
        return f'Did you mean "{folded[word.casefold()]}"?'
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if match and match[0] != word:
        return f'Did you mean "{match[0]}"?'
    return None


def join_pointer(base: str, *parts: str | int) -> str:
    """Extend a JSON Pointer with raw keys or indexes, escaping ``~`` and ``/`` (RFC 6901)."""
    out = "" if base == "/" else base
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out or "/"


# ---------------------------------------------------------------- internals


def _closest(word: str, options: Iterable[str]) -> str | None:
    hint = did_you_mean(word, options)
    return hint[len('Did you mean "') : -2] if hint else None


def _sentence(text: str) -> str:
    """``text`` as a sentence: capitalised, ending in a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return f'the string "{text}"'
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


@dataclass
class _Scope:
    """One ``States`` object and what the graph checks need to know about it."""

    pointer: str
    owner: str | None
    top: bool
    start: str | None = None
    start_pointer: str = "/StartAt"
    names: list[str] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (source, target, pointer)
    terminal: bool = False
    unsure: bool = False  # a state with an unknown Type: terminal-ness cannot be judged


class _Reporter:
    """Collects the diagnostics of one definition; the checks in the other modules build on it."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.machine_ql = JSONPATH
        self.scopes: list[_Scope] = []
        self.seen_names: dict[str, str] = {}  # name -> pointer of its first state
        self.name_scopes: dict[str, list[str]] = {}  # name -> States pointers holding it
        self._hooks: dict[str, Any] = {}

    def add(
        self,
        code: str,
        message: str,
        location: str,
        state: str | None,
        hint: str | None = None,
        severity: str = "ERROR",
    ) -> None:
        self.diags.append(Diagnostic(code, message, location, state, hint, severity))

    def error(self, message: str, location: str, state: str | None, hint: str | None = None) -> None:
        self.add(SCHEMA, message, location, state, hint)

    def result(self) -> list[Diagnostic]:
        order: dict[str, int] = {}
        self._number(self.doc, "/", order)

        def position(diag: Diagnostic) -> int:
            loc = diag.location
            while loc not in order and loc not in ("", "/"):
                loc = loc.rsplit("/", 1)[0] or "/"
            return order.get(loc, 0)

        unique: dict[tuple[str, str, str, str], Diagnostic] = {}
        for diag in self.diags:
            unique.setdefault((diag.severity, diag.code, diag.message, diag.location), diag)
        return sorted(unique.values(), key=position)

    def _number(self, node: Any, ptr: str, order: dict[str, int]) -> None:
        order.setdefault(ptr, len(order))
        if isinstance(node, dict):
            for key, value in node.items():
                self._number(value, join_pointer(ptr, key), order)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                self._number(value, join_pointer(ptr, i), order)

    def type_error(
        self, expected: str, value: Any, ptr: str, state: str | None, hint: str | None = None
    ) -> None:
        self.error(f"Expected value of type [{expected}], found {_describe(value)}.", ptr, state, hint)
