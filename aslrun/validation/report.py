"""What every check shares: diagnostic codes, JSON Pointers, message helpers and the :class:`Reporter`.

The :class:`Reporter` collects the diagnostics of one definition (:meth:`~Reporter.add`,
:meth:`~Reporter.error`, :meth:`~Reporter.type_error`) and returns them in document order
without duplicates (:meth:`~Reporter.result`). It also holds what the walk learns on the
way and later checks need: the machine's query language, a :class:`Scope` for each
``States`` object and where each state name was first seen.

The helpers word values in messages (:func:`describe`, :func:`sentence`), suggest
spellings (:func:`did_you_mean`, :func:`closest`) and test values (:func:`is_int`,
:func:`is_number`, :func:`is_jsonata`). :class:`StateAt` and :class:`Nested` are what the
walk hands the state-type checks and what those hand back.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aslrun.errors import Diagnostic

if TYPE_CHECKING:
    from aslrun.validation.resources import AwsResources

SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END = "MISSING_END_STATE"
DUPLICATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"
UNSUPPORTED_JSONATA = "UNSUPPORTED_JSONATA_EXPRESSION"
UNKNOWN_ERROR_NAME = "UNKNOWN_ERROR_NAME"
LITERAL_KEY = "LITERAL_DOLLAR_KEY"
BARE_WORD_FILTER = "UNQUOTED_FILTER_WORD"

JSONPATH = "JSONPath"
JSONATA = "JSONata"

#: the longest state name, variable name and (in characters) AWS accepts
MAX_NAME = 80

#: ``obj.get(key, MISSING) is MISSING`` tells an absent field from one set to null
MISSING: Any = object()

#: a whole-value template placeholder, ``${Name}``, as SAM and CloudFormation substitute them
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")


# ---------------------------------------------------------------- wording and spelling


def did_you_mean(word: str, options: Iterable[str]) -> str | None:
    """``Did you mean "X"?`` for the option closest to ``word``, or None if none is close."""
    choices = [o for o in options if isinstance(o, str)]
    if not isinstance(word, str) or not choices:
        return None
    folded = {o.casefold(): o for o in choices}
    if word.casefold() in folded and folded[word.casefold()] != word:
        return f'Did you mean "{folded[word.casefold()]}"?'
    import difflib  # only for a "did you mean" hint

    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if match and match[0] != word:
        return f'Did you mean "{match[0]}"?'
    return None


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option :func:`did_you_mean` would suggest for ``word``, or None."""
    hint = did_you_mean(word, options)
    return hint[len('Did you mean "') : -2] if hint else None


def join_pointer(base: str, *parts: str | int) -> str:
    """Extend a JSON Pointer with raw keys or indexes, escaping ``~`` and ``/`` (RFC 6901)."""
    out = "" if base == "/" else base
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out or "/"


def sentence(text: str) -> str:
    """``text`` as a sentence: capitalised, ending in a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def describe(value: Any) -> str:
    """A JSON value as a message names it: ``null``, ``the number 3``, ``the string "x"``, ``an array``."""
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


def placeholder_hint(value: Any, expected: str) -> str | None:
    """The hint for a ``"${Name}"`` placeholder where ``expected`` (a number, a boolean) belongs, or None.

    SAM's and CloudFormation's ``DefinitionSubstitutions`` replace ``${Name}`` before AWS sees the
    definition; left as it is, the field holds a string, and the hint names the placeholder.
    """
    match = _PLACEHOLDER.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return None
    name = match.group(1)
    return (f"${{{name}}} is a placeholder that was never substituted: replace it with {expected} "
            f"(as DefinitionSubstitutions would, e.g. --substitution {name}=...).")


def is_int(value: Any) -> bool:
    """A JSON integer (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A JSON number (``True`` is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_jsonata(value: Any) -> bool:
    """A string enclosed in ``{%`` and ``%}``."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}") and len(value) >= 4


# ---------------------------------------------------------------- what the walk records and hands on


@dataclass
class Scope:
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


@dataclass(frozen=True)
class StateAt:
    """The state a state-type check looks at: its pointer, name, query language and ``States`` object."""

    ptr: str
    name: str
    lang: str
    scope: Scope


@dataclass(frozen=True)
class Nested:
    """A machine inside a state (a Parallel branch, a Map processor) for the walk to walk."""

    obj: Any
    ptr: str
    allowed: tuple[str, ...]
    what: str


# ---------------------------------------------------------------- the reporter


class Reporter:
    """Collects the diagnostics of one definition, and what the walk learns for later checks.

    ``doc`` is the definition (every key a string once the walk has begun), ``machine_type``
    ``STANDARD`` or ``EXPRESS`` (the Express-only rules apply to the latter), ``diags`` the
    diagnostics so far, ``machine_ql`` the machine's query language, ``scopes`` a
    :class:`Scope` for each ``States`` object walked, ``seen_names`` where each state name
    was first seen and ``name_scopes`` which ``States`` objects hold it.
    """

    def __init__(self, doc: Any, machine_type: str = "STANDARD", resources: AwsResources | None = None) -> None:
        self.doc = doc
        self.machine_type = machine_type
        #: checks each Task's Resource against what AWS (and the integrations) know; None: no check
        self.resources = resources
        self.diags: list[Diagnostic] = []
        self.machine_ql = JSONPATH
        self.scopes: list[Scope] = []
        self.seen_names: dict[str, str] = {}  # name -> pointer of its first state
        self.name_scopes: dict[str, list[str]] = {}  # name -> States pointers holding it
        self._modules: dict[str, Any] = {}
        self._raised: frozenset[str] | None = None

    def add(
        self,
        code: str,
        message: str,
        location: str,
        state: str | None,
        hint: str | None = None,
        severity: str = "ERROR",
    ) -> None:
        """Report a diagnostic with any code."""
        self.diags.append(Diagnostic(code, message, location, state, hint, severity))

    def error(self, message: str, location: str, state: str | None, hint: str | None = None) -> None:
        """Report a ``SCHEMA_VALIDATION_FAILED`` error."""
        self.add(SCHEMA, message, location, state, hint)

    def type_error(
        self, expected: str, value: Any, ptr: str, state: str | None, hint: str | None = None
    ) -> None:
        """Report a value of the wrong JSON type, e.g. ``expected="STRING"``.

        A string that is a template placeholder, ``"${ReminderTimeout}"`` (SAM's and CloudFormation's
        ``DefinitionSubstitutions``), where a number or boolean belongs gets a hint naming it: it is
        valid only once substituted.
        """
        wanted = {"BOOLEAN": "true or false", "INTEGER": "a whole number", "NUMBER": "a number"}
        if expected in wanted:
            hint = placeholder_hint(value, wanted[expected]) or hint
        self.error(f"Expected value of type [{expected}], found {describe(value)}.", ptr, state, hint)

    def optional_module(self, name: str) -> Any:
        """The module, or None when it does not exist (errors inside it still propagate); once per definition."""
        if name not in self._modules:
            try:
                self._modules[name] = importlib.import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                self._modules[name] = None
        return self._modules[name]

    def raised_errors(self) -> frozenset[str]:
        """The error names the definition's own Fail states raise (their literal ``Error``), anywhere
        in the machine, Parallel branches and Map processors included."""
        if self._raised is None:
            found: set[str] = set()
            stack = [self.doc]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    if node.get("Type") == "Fail" and isinstance(node.get("Error"), str):
                        found.add(node["Error"])
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)
            self._raised = frozenset(found)
        return self._raised

    def result(self) -> list[Diagnostic]:
        """The diagnostics in document order of their locations, each once."""
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
