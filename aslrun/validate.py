"""Static checks on a state machine definition, before anything runs.

:func:`validate_definition` walks a parsed definition (the dicts and lists that
JSON or YAML gives) and returns **every** problem it finds, each as a
:class:`~aslrun.errors.Diagnostic` with a JSON Pointer location (RFC 6901: array
indexes are numbers, ``~`` and ``/`` in names are escaped), the state it concerns
and a hint that says what to do. The parser refuses to build a machine when any
diagnostic has severity ``ERROR``; ``WARNING`` diagnostics never block.

Codes follow ``ValidateStateMachineDefinition`` where AWS has one:
``SCHEMA_VALIDATION_FAILED`` (shape, types, ranges, paths, intrinsic calls),
``MISSING_TRANSITION_TARGET`` (a dangling ``Next``/``Default``/``StartAt`` and
states nothing reaches), ``MISSING_END_STATE`` and ``INVALID_JSONATA_EXPRESSION``.
``DUPLICATE_STATE_NAME``, and the warnings ``UNKNOWN_ERROR_NAME`` and
``LITERAL_DOLLAR_KEY``, are aslrun's own.

The checks avoid cascades: a state with an unknown ``Type`` is not checked field
by field, a field the state does not support is reported once and not checked
further, a dangling target with an obvious spelling fix counts as that fix when
reachability is worked out, and a bad ``StartAt`` suppresses the unreachable-state
check of its ``States`` object.

Choice rules are checked by :func:`aslrun.expressions.choice.compile_condition`,
intrinsic calls by :func:`aslrun.expressions.intrinsics.compile_intrinsic` and
JSONata syntax by ``aslrun.expressions.jsonata.check_syntax`` when those modules
exist; they are imported lazily.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aslrun.errors import Diagnostic
from aslrun.expressions.timestamps import timestamp_key

__all__ = ["did_you_mean", "join_pointer", "validate_definition"]

SCHEMA = "SCHEMA_VALIDATION_FAILED"
MISSING_TARGET = "MISSING_TRANSITION_TARGET"
MISSING_END = "MISSING_END_STATE"
DUPLICATE_NAME = "DUPLICATE_STATE_NAME"
INVALID_JSONATA = "INVALID_JSONATA_EXPRESSION"
UNKNOWN_ERROR_NAME = "UNKNOWN_ERROR_NAME"
LITERAL_KEY = "LITERAL_DOLLAR_KEY"

JSONPATH = "JSONPath"
JSONATA = "JSONata"

#: in the order AWS lists them in its message
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")

_MACHINE_FIELDS = ("Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage")
_BRANCH_FIELDS = ("Comment", "StartAt", "States")
_PROCESSOR_FIELDS = ("Comment", "StartAt", "States", "ProcessorConfig")

_COMMON = ("Type", "Comment", "QueryLanguage")

# Per state type: (fields in both languages, JSONPath-only fields, JSONata-only fields).
_IO = "InputPath OutputPath "
_RESULT = "ResultPath Parameters ResultSelector "
_FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    typ: tuple(tuple(names.split()) for names in sets)
    for typ, sets in {
        "Task": (
            "Resource Next End Retry Catch TimeoutSeconds HeartbeatSeconds Credentials Assign",
            _IO + _RESULT + "TimeoutSecondsPath HeartbeatSecondsPath",
            "Arguments Output",
        ),
        "Pass": ("Next End Assign", _IO + "ResultPath Parameters Result", "Output"),
        "Choice": ("Choices Default Assign", _IO, "Output"),
        "Wait": ("Next End Seconds Timestamp Assign", _IO + "SecondsPath TimestampPath", "Output"),
        "Succeed": ("", _IO, "Output"),
        "Fail": ("Error Cause", "ErrorPath CausePath", ""),
        "Parallel": ("Branches Next End Retry Catch Assign", _IO + _RESULT, "Arguments Output"),
        "Map": (
            "ItemProcessor Iterator ItemSelector MaxConcurrency ItemReader ItemBatcher ResultWriter "
            "ToleratedFailurePercentage ToleratedFailureCount Label Next End Retry Catch Assign",
            _IO
            + _RESULT
            + "ItemsPath MaxConcurrencyPath ToleratedFailurePercentagePath ToleratedFailureCountPath",
            "Items Output",
        ),
    }.items()
}

_JSONATA_ONLY_HINTS = {
    "Arguments": 'In a JSONPath state use Parameters, or set "QueryLanguage": "JSONata" on the state or the machine.',
    "Output": 'In a JSONPath state use ResultSelector, ResultPath and OutputPath, or set "QueryLanguage": "JSONata".',
    "Items": 'In a JSONPath state use ItemsPath, or set "QueryLanguage": "JSONata".',
    "Condition": "In a JSONPath state write the rule with Variable and a comparison operator, "
    'or set "QueryLanguage": "JSONata".',
}
_JSONPATH_ONLY_HINTS = {
    "InputPath": "In a JSONata state read the input as $states.input inside Arguments or Output.",
    "Parameters": "In a JSONata state use Arguments (Task, Parallel), ItemSelector (Map) or Output (Pass).",
    "ResultSelector": "In a JSONata state shape the result in Output with $states.result.",
    "ResultPath": "In a JSONata state build the output in Output, e.g. "
    "\"{% $merge([$states.input, {'result': $states.result}]) %}\".",
    "OutputPath": "In a JSONata state use Output.",
    "Result": "In a JSONata state put the value in Output.",
    "ItemsPath": 'In a JSONata state use Items, e.g. "Items": "{% $states.input.list %}".',
    "Variable": 'In a JSONata state write the rule as "Condition": "{% ... %}".',
}

_CHOICE_OPERATORS = frozenset(
    [
        f"{kind}{op}{suffix}"
        for kind in ("String", "Numeric", "Timestamp")
        for op in ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
        for suffix in ("", "Path")
    ]
    + [
        "StringMatches",
        "BooleanEquals",
        "BooleanEqualsPath",
        "IsNull",
        "IsPresent",
        "IsNumeric",
        "IsString",
        "IsBoolean",
        "IsTimestamp",
        "And",
        "Or",
        "Not",
        "Variable",
    ]
)
_JSONATA_RULE_FIELDS = ("Condition", "Next", "Assign", "Output", "Comment")

_RETRIER_FIELDS = (
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
)
_CATCHER_FIELDS = {
    JSONPATH: ("ErrorEquals", "Next", "ResultPath", "Assign", "Comment"),
    JSONATA: ("ErrorEquals", "Next", "Output", "Assign", "Comment"),
}

_ERROR_NAMES = frozenset(
    [
        "States.ALL",
        "States.DataLimitExceeded",
        "States.Runtime",
        "States.Timeout",
        "States.TaskFailed",
        "States.Permissions",
        "States.ResultPathMatchFailure",
        "States.ParameterPathFailure",
        "States.BranchFailed",
        "States.NoChoiceMatched",
        "States.IntrinsicFailure",
        "States.ExceedToleratedFailureThreshold",
        "States.ItemReaderFailed",
        "States.ResultWriterFailed",
        "States.HeartbeatTimeout",
        "States.QueryEvaluationError",
        "States.Http.Socket",
    ]
)

_MAX_NAME = 80
_MAX_LABEL = 40
_LABEL_FORBIDDEN = set(' ?*<>{}[]:;,\\|^~$#%&`"')
_INTRINSIC_SHAPE = re.compile(r"^\s*States\.[A-Za-z0-9_.]+\s*\(.*\)\s*$", re.S)

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


def validate_definition(doc: Any) -> list[Diagnostic]:
    """Every problem in a parsed definition, in document order, without duplicates.

    Returns an empty list for a valid definition. Diagnostics with severity
    ``ERROR`` make the definition invalid; ``WARNING`` ones point at likely mistakes
    that AWS accepts.
    """
    checker = _Checker(doc)
    checker.run()
    return checker.result()


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


def _is_variable_name(name: str) -> bool:
    return bool(name) and name[0].isidentifier() and ("_" + name[1:]).isidentifier()


def _optional_module(name: str) -> Any:
    """The module, or None when it does not exist yet (errors inside it still propagate)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


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


class _Checker:
    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.diags: list[Diagnostic] = []
        self.machine_ql = JSONPATH
        self.scopes: list[_Scope] = []
        self.seen_names: dict[str, str] = {}  # name -> pointer of its first state
        self.name_scopes: dict[str, list[str]] = {}  # name -> States pointers holding it
        self._hooks: dict[str, Any] = {}

    # ------------------------------------------------------------ reporting

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

    # ------------------------------------------------------------ generic field checks

    def type_error(
        self, expected: str, value: Any, ptr: str, state: str | None, hint: str | None = None
    ) -> None:
        self.error(f"Expected value of type [{expected}], found {_describe(value)}.", ptr, state, hint)

    def required(
        self, obj: dict[str, Any], keys: Iterable[str], ptr: str, state: str | None, hint: str | None = None
    ) -> bool:
        missing = [k for k in keys if k not in obj]
        if len(missing) == 1:
            self.error(f"The field '{missing[0]}' is required but was missing.", ptr, state, hint)
        elif missing:
            self.error(f"These fields are required: [{', '.join(missing)}].", ptr, state, hint)
        return not missing

    def unknown_fields(
        self,
        obj: dict[str, Any],
        allowed: Iterable[str],
        ptr: str,
        state: str | None,
        what: str,
        hints: dict[str, str] | None = None,
    ) -> None:
        allowed = tuple(allowed)
        for key in obj:
            if key not in allowed:
                hint = (
                    (hints or {}).get(key)
                    or did_you_mean(key, allowed)
                    or f"{what} accepts only: {', '.join(allowed)}."
                )
                self.error(f"Field '{key}' is not supported.", join_pointer(ptr, key), state, hint)

    def exclusive(self, obj: dict[str, Any], keys: tuple[str, ...], ptr: str, state: str | None) -> bool:
        present = [k for k in keys if k in obj]
        if len(present) > 1:
            self.error(
                f"There should only be one of the following fields: [{', '.join(keys)}].",
                join_pointer(ptr, present[0]),
                state,
                f"Keep one of {' and '.join(present)} and remove the other.",
            )
            return False
        return True

    def string(
        self, obj: dict[str, Any], key: str, ptr: str, state: str | None, *, empty_ok: bool = True
    ) -> bool:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return False
        if not isinstance(value, str):
            self.type_error("STRING", value, join_pointer(ptr, key), state)
            return False
        if not empty_ok and not value:
            self.error("Value cannot be empty.", join_pointer(ptr, key), state, f"Give '{key}' a value.")
            return False
        return True

    def integer(
        self,
        obj: dict[str, Any],
        key: str,
        ptr: str,
        state: str | None,
        minimum: int,
        maximum: int | None = None,
        *,
        jsonata: bool = False,
    ) -> None:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return
        where = join_pointer(ptr, key)
        if jsonata and isinstance(value, str) and _is_jsonata(value):
            self.jsonata_string(value, where, state)
            return
        if not _is_int(value):
            kind = "[INTEGER] or a JSONata expression" if jsonata else "[INTEGER]"
            self.error(
                f"Expected value of type {kind}, found {_describe(value)}.",
                where,
                state,
                f"Write '{key}' as a whole number, e.g. {max(minimum, 1)}.",
            )
            return
        self.in_range(value, key, where, state, minimum, maximum)

    def number(
        self,
        obj: dict[str, Any],
        key: str,
        ptr: str,
        state: str | None,
        minimum: float,
        maximum: float | None = None,
        *,
        jsonata: bool = False,
    ) -> None:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return
        where = join_pointer(ptr, key)
        if jsonata and isinstance(value, str) and _is_jsonata(value):
            self.jsonata_string(value, where, state)
            return
        if not _is_number(value):
            kind = "[NUMBER] or a JSONata expression" if jsonata else "[NUMBER]"
            self.error(f"Expected value of type {kind}, found {_describe(value)}.", where, state)
            return
        self.in_range(value, key, where, state, minimum, maximum)

    def in_range(
        self, value: float, key: str, where: str, state: str | None, minimum: float, maximum: float | None
    ) -> None:
        if value < minimum:
            self.error(
                f"Minimum value is {minimum}, found {value}.",
                where,
                state,
                f"'{key}' must be at least {minimum}.",
            )
        elif maximum is not None and value > maximum:
            self.error(
                f"Maximum value is {maximum}, found {value}.",
                where,
                state,
                f"'{key}' must be at most {maximum}.",
            )

    def enum(
        self, obj: dict[str, Any], key: str, values: tuple[str, ...], ptr: str, state: str | None
    ) -> None:
        value = obj.get(key, _MISSING)
        if value is _MISSING:
            return
        where = join_pointer(ptr, key)
        if not isinstance(value, str):
            self.type_error("STRING", value, where, state)
        elif value not in values:
            hint = did_you_mean(value, values) or f"Use one of: {', '.join(values)}."
            self.error(
                f"The field '{key}' should have one of these values: [{', '.join(values)}], "
                f'found "{value}".',
                where,
                state,
                hint,
            )

    # ------------------------------------------------------------ expressions (JSONPath)

    def path(
        self,
        value: Any,
        key: str,
        where: str,
        state: str | None,
        *,
        reference: bool = False,
        nullable: bool = False,
        context: bool = True,
        variables: bool = True,
    ) -> None:
        """A Path (InputPath, OutputPath) or a reference path (ResultPath, ItemsPath, *Path)."""
        from aslrun.expressions.access import compile_value_path
        from aslrun.expressions.jsonpath import PathSyntaxError

        if value is None and nullable:
            return
        if not isinstance(value, str):
            self.type_error(
                "STRING",
                value,
                where,
                state,
                f"Give '{key}' a path such as \"$.field\"" + (" or null." if nullable else "."),
            )
            return
        kind = "Reference Path" if reference else "JSONPath"
        try:
            compiled = compile_value_path(value, allow_context=context, allow_variables=variables)
        except PathSyntaxError as exc:
            hint = _sentence(exc.reason)
            if not value.startswith("$"):
                hint = f"A path starts with '$', e.g. \"$.{value}\"." if value else "A path starts with '$'."
            self.error(
                f"The value for the field '{key}' must be a valid {kind}, found \"{value}\".",
                where,
                state,
                hint,
            )
            return
        if reference and (not compiled.definite or compiled.path.function is not None):
            self.error(
                f"Value is not a Reference Path: \"{value}\" in field '{key}'.",
                where,
                state,
                "A reference path may only use '.name', ['name'] and [index] steps "
                "(no wildcards, filters, slices, unions, '..' or functions).",
            )

    def path_or_intrinsic(
        self, value: Any, key: str, where: str, state: str | None, *, reference: bool
    ) -> None:
        if isinstance(value, str) and not value.startswith("$"):
            self.intrinsic(value, key, where, state)
        else:
            self.path(value, key, where, state, reference=reference)

    def intrinsic(self, text: str, key: str, where: str, state: str | None) -> None:
        module = self.hook("aslrun.expressions.intrinsics")
        reason: str | None = None
        if module is not None:
            try:
                module.compile_intrinsic(text)
            except module.IntrinsicSyntaxError as exc:
                reason = str(getattr(exc, "reason", exc))
        elif not _INTRINSIC_SHAPE.match(text):
            reason = "an intrinsic function call looks like States.Format('{}', $.name)"
        if reason is not None:
            hint = _sentence(reason)
            if key.endswith(".$"):
                message = f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
            else:
                message = f"The value for the field '{key}' must be a valid Reference Path or a valid intrinsic function call"
            self.error(f'{message}, found "{text}".', where, state, hint)

    def template(self, value: Any, where: str, state: str | None) -> None:
        """A JSONPath payload template: check every ``key.$`` and renamed-key collisions."""
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.template(item, join_pointer(where, i), state)
            return
        if not isinstance(value, dict):
            return
        plain = {k for k in value if not k.endswith(".$")}
        for key, item in value.items():
            at = join_pointer(where, key)
            if key.endswith(".$"):
                if key[:-2] in plain:
                    self.error(
                        f"The field '{key[:-2]}' appears twice once '.$' is removed from '{key}'.",
                        at,
                        state,
                        f"Rename or remove '{key[:-2]}' or '{key}'.",
                    )
                if not isinstance(item, str):
                    self.error(
                        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
                        f"function call, found {_describe(item)}.",
                        at,
                        state,
                        f"Drop the '.$' from '{key}' to use the value as a literal.",
                    )
                elif item.startswith("$"):
                    self.template_path(item, key, at, state)
                else:
                    self.intrinsic(item, key, at, state)
            else:
                self.template(item, at, state)

    def template_path(self, text: str, key: str, where: str, state: str | None) -> None:
        from aslrun.expressions.access import compile_value_path
        from aslrun.expressions.jsonpath import PathSyntaxError

        try:
            compile_value_path(text)
        except PathSyntaxError as exc:
            self.error(
                f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function "
                f'call, found "{text}".',
                where,
                state,
                _sentence(exc.reason),
            )

    # ------------------------------------------------------------ expressions (JSONata)

    def hook(self, name: str) -> Any:
        if name not in self._hooks:
            self._hooks[name] = _optional_module(name)
        return self._hooks[name]

    def jsonata_string(self, text: str, where: str, state: str | None) -> None:
        starts, ends = text.startswith("{%"), text.endswith("%}")
        if not (starts or ends):
            return
        if not (starts and ends and len(text) >= 4):
            self.add(
                INVALID_JSONATA,
                f"The JSONata expression \"{text[:60]}\" is not enclosed in '{{%' and '%}}'.",
                where,
                state,
                "A JSONata expression starts with '{%' and ends with '%}', "
                "with nothing before or after them.",
            )
            return
        inner = text[2:-2]
        if not inner.strip():
            self.add(
                INVALID_JSONATA,
                "Unexpected end of expression: the JSONata expression is empty.",
                where,
                state,
                "Write an expression between '{%' and '%}', e.g. \"{% $states.input %}\".",
            )
            return
        module = self.hook("aslrun.expressions.jsonata")
        check: Callable[[str], str | None] | None = getattr(module, "check_syntax", None) if module else None
        if check is not None:
            problem = check(inner)
            if problem:
                self.add(
                    INVALID_JSONATA,
                    problem,
                    where,
                    state,
                    "Fix the JSONata expression between '{%' and '%}'.",
                )

    def jsonata_value(
        self, value: Any, where: str, state: str | None, *, warn_dollar_keys: bool = True
    ) -> None:
        """Every string in a JSONata field (nested anywhere) is checked for its delimiters."""
        if isinstance(value, str):
            self.jsonata_string(value, where, state)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.jsonata_value(item, join_pointer(where, i), state, warn_dollar_keys=warn_dollar_keys)
        elif isinstance(value, dict):
            for key, item in value.items():
                at = join_pointer(where, key)
                if warn_dollar_keys and isinstance(key, str) and key.endswith(".$"):
                    self.add(
                        LITERAL_KEY,
                        f"The key '{key}' is taken literally in a JSONata state.",
                        at,
                        state,
                        f"Name the key '{key[:-2]}' and give it a JSONata value such as "
                        '"{% $states.input.x %}".',
                        severity="WARNING",
                    )
                self.jsonata_value(item, at, state, warn_dollar_keys=warn_dollar_keys)

    # ------------------------------------------------------------ the walk

    def run(self) -> None:
        self.doc = doc = self.string_keys(self.doc, "/")
        if not isinstance(doc, dict):
            self.error(
                f"Definition must be a valid JSON object, found {_describe(doc)}.",
                "/",
                None,
                'Start from {"StartAt": "First", "States": {"First": {"Type": "Pass", "End": true}}}.',
            )
            return
        self.machine_ql = self.language_field(doc, "/", None, inherited=JSONPATH)
        if "TimeoutSeconds" in doc:
            self.integer(doc, "TimeoutSeconds", "/", None, 1)
        self.string(doc, "Version", "/", None)
        self.machine(doc, "/", None, _MACHINE_FIELDS, top=True, what="A state machine")
        self.graph()

    def string_keys(self, node: Any, ptr: str) -> Any:
        """The document with every key a string; YAML can produce others (``1:``, ``true:``)."""
        if isinstance(node, list):
            return [self.string_keys(item, join_pointer(ptr, i)) for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if not isinstance(key, str):
                self.error(
                    f"Field names must be strings, found {_describe(key)}.",
                    join_pointer(ptr, str(key)),
                    None,
                    f'Quote the name: "{key}".',
                )
            out[str(key)] = self.string_keys(value, join_pointer(ptr, str(key)))
        return out

    def language_field(self, obj: dict[str, Any], ptr: str, state: str | None, inherited: str) -> str:
        """Check a QueryLanguage field; return the language it selects."""
        if "QueryLanguage" not in obj:
            return inherited
        value = obj["QueryLanguage"]
        where = join_pointer(ptr, "QueryLanguage")
        if not isinstance(value, str):
            self.type_error("STRING", value, where, state, 'Use "JSONPath" or "JSONata".')
            return inherited
        if value in (JSONPATH, JSONATA):
            return value
        guess = {JSONPATH.casefold(): JSONPATH, JSONATA.casefold(): JSONATA}.get(value.casefold())
        self.error(
            f'Value should be one of the following: [JSONPath, JSONata], found "{value}".',
            where,
            state,
            f'Did you mean "{guess}"?' if guess else 'Use "JSONPath" or "JSONata".',
        )
        return guess or inherited

    def machine(
        self, obj: Any, ptr: str, owner: str | None, allowed: tuple[str, ...], *, top: bool, what: str
    ) -> None:
        """A top-level machine, a Parallel branch or a Map processor."""
        if not isinstance(obj, dict):
            self.type_error("OBJECT", obj, ptr, owner, 'Use {"StartAt": "...", "States": {...}}.')
            return
        nested = (
            {
                "QueryLanguage": "States inside a Parallel branch or Map processor use the machine's "
                "QueryLanguage; set QueryLanguage on each state instead."
            }
            if not top
            else None
        )
        self.unknown_fields(obj, allowed, ptr, owner, what, nested)
        self.string(obj, "Comment", ptr, owner)
        self.required(obj, ("States", "StartAt"), ptr, owner)
        states_ptr = join_pointer(ptr, "States")
        scope = _Scope(states_ptr, owner, top, start_pointer=join_pointer(ptr, "StartAt"))
        if "StartAt" in obj and self.string(obj, "StartAt", ptr, owner):
            scope.start = obj["StartAt"]
        states = obj.get("States", _MISSING)
        if states is _MISSING:
            return
        if not isinstance(states, dict):
            self.type_error("OBJECT", states, states_ptr, owner, "Map each state name to its definition.")
            return
        if not states:
            self.error("Value cannot be empty.", states_ptr, owner, "Add at least one state.")
            return
        self.scopes.append(scope)
        if "ProcessorConfig" in obj:
            self.processor_config(obj["ProcessorConfig"], join_pointer(ptr, "ProcessorConfig"), owner)
        for name, state in states.items():
            self.state(name, state, join_pointer(states_ptr, name), scope)

    def processor_config(self, value: Any, where: str, state: str | None) -> None:
        if not isinstance(value, dict):
            self.type_error("OBJECT", value, where, state)
            return
        self.unknown_fields(value, ("Mode", "ExecutionType"), where, state, "ProcessorConfig")
        self.enum(value, "Mode", ("INLINE", "DISTRIBUTED"), where, state)
        self.enum(value, "ExecutionType", ("STANDARD", "EXPRESS"), where, state)
        if value.get("Mode") == "DISTRIBUTED" and "ExecutionType" not in value:
            self.error(
                "The field 'ExecutionType' is required but was missing.",
                where,
                state,
                'A DISTRIBUTED Map needs "ExecutionType": "STANDARD" or "EXPRESS".',
            )

    def register_name(self, name: str, ptr: str, scope: _Scope) -> None:
        scope.names.append(name)
        self.name_scopes.setdefault(name, []).append(scope.pointer)
        if not name or len(name) > _MAX_NAME:
            self.error(
                f"State names must be 1 to {_MAX_NAME} characters long; this one has {len(name)}.",
                ptr,
                name,
                "Choose a shorter name.",
            )
        first = self.seen_names.get(name)
        if first is None:
            self.seen_names[name] = ptr
        else:
            self.add(
                DUPLICATE_NAME,
                f'State name "{name}" is already used at {first}.',
                ptr,
                name,
                "State names must be unique in the whole machine, including Parallel branches and "
                "Map processors; rename one of them.",
            )

    def state(self, name: str, st: Any, ptr: str, scope: _Scope) -> None:
        self.register_name(name, ptr, scope)
        if not isinstance(st, dict):
            self.type_error(
                "OBJECT", st, ptr, name, 'A state is an object such as {"Type": "Pass", "End": true}.'
            )
            scope.unsure = True
            return
        typ = st.get("Type", _MISSING)
        if typ is _MISSING:
            self.error(
                "The field 'Type' is required but was missing.",
                ptr,
                name,
                f'Add "Type": one of {", ".join(STATE_TYPES)}.',
            )
            typ = None
        elif typ not in STATE_TYPES:
            hint = (
                did_you_mean(typ, STATE_TYPES) if isinstance(typ, str) else None
            ) or f"Use one of: {', '.join(STATE_TYPES)}."
            self.error(
                f"The field 'Type' should have one of these values: [{', '.join(STATE_TYPES)}], "
                f"found {_describe(typ)}.",
                join_pointer(ptr, "Type"),
                name,
                hint,
            )
            typ = None
        if typ is None:
            # Without a type the fields cannot be judged; keep the transitions for the graph checks.
            scope.unsure = True
            for key in ("Next", "Default"):
                if isinstance(st.get(key), str):
                    scope.edges.append((name, st[key], join_pointer(ptr, key)))
            return

        lang, downgraded = self.state_language(st, ptr, name)
        both, only_jp, only_ja = _FIELDS[typ]
        own, other = (only_jp, only_ja) if lang == JSONPATH else (only_ja, only_jp)
        supported = (*_COMMON, *both, *own)
        present = set()
        for key in st:
            if key in supported:
                present.add(key)
            elif key in other:
                if not downgraded:
                    self.language_error(key, lang, join_pointer(ptr, key), name)
            else:
                self.unsupported(key, typ, supported, join_pointer(ptr, key), name)
        fields = {k: v for k, v in st.items() if k in present}
        self.string(fields, "Comment", ptr, name)

        if typ in ("Task", "Pass", "Wait", "Parallel", "Map"):
            self.transition(fields, ptr, name, scope)
        elif typ in ("Succeed", "Fail"):
            scope.terminal = True

        if lang == JSONPATH:
            for key in ("InputPath", "OutputPath"):
                if key in fields:
                    self.path(fields[key], key, join_pointer(ptr, key), name, nullable=True)
            if "ResultPath" in fields:
                self.path(
                    fields["ResultPath"],
                    "ResultPath",
                    join_pointer(ptr, "ResultPath"),
                    name,
                    reference=True,
                    nullable=True,
                    context=False,
                    variables=False,
                )
            for key in ("Parameters", "ResultSelector"):
                if key in fields:
                    self.template(fields[key], join_pointer(ptr, key), name)
        else:
            for key in ("Arguments", "Output"):
                if key in fields:
                    self.jsonata_value(fields[key], join_pointer(ptr, key), name)
        if "Assign" in fields:
            self.assign(fields["Assign"], join_pointer(ptr, "Assign"), name, lang)
        if "Retry" in fields:
            self.retriers(fields["Retry"], join_pointer(ptr, "Retry"), name)
        if "Catch" in fields:
            self.catchers(fields["Catch"], join_pointer(ptr, "Catch"), name, lang, scope)

        check = getattr(self, "check_" + typ.lower())
        check(fields, ptr, name, lang, scope)

    def state_language(self, st: dict[str, Any], ptr: str, name: str) -> tuple[str, bool]:
        lang = self.language_field(st, ptr, name, inherited=self.machine_ql)
        if self.machine_ql == JSONATA and st.get("QueryLanguage") == JSONPATH:
            self.error(
                "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine.",
                ptr,
                name,
                'Remove "QueryLanguage": "JSONPath" and rewrite the state in JSONata, or make '
                'the machine JSONPath and set "QueryLanguage": "JSONata" on the JSONata states.',
            )
            return JSONPATH, True
        return lang, False

    def language_error(self, key: str, lang: str, where: str, state: str | None) -> None:
        other = JSONPATH if lang == JSONATA else JSONATA
        if lang == JSONATA:
            hint = _JSONPATH_ONLY_HINTS.get(key)
            if hint is None and key in _CHOICE_OPERATORS:
                hint = _JSONPATH_ONLY_HINTS["Variable"]
            if hint is None and key.endswith("Path"):
                hint = (
                    f"In a JSONata state give '{key[:-4]}' a JSONata expression instead, "
                    f'e.g. "{key[:-4]}": "{{% $states.input.value %}}".'
                )
        else:
            hint = _JSONATA_ONLY_HINTS.get(key)
        self.error(
            f"The QueryLanguage is set to '{lang}', but field '{key}' is only supported for the "
            f"'{other}' QueryLanguage.",
            where,
            state,
            hint,
        )

    def unsupported(self, key: str, typ: str, supported: tuple[str, ...], where: str, state: str) -> None:
        owners = [t for t, sets in _FIELDS.items() if any(key in s for s in sets)]
        if key == "Arguments" and typ == "Map":
            hint = "A Map state passes data to its iterations with ItemSelector (and Items in JSONata)."
        elif owners:
            # A real field of other state types: a spelling suggestion would mislead.
            hint = (
                f"'{key}' is supported on {', '.join(owners)} states only; remove it from this {typ} state."
            )
        else:
            hint = (
                did_you_mean(key, supported) or f"Remove it; a {typ} state accepts: {', '.join(supported)}."
            )
        self.error(f"Field '{key}' is not supported.", where, state, hint)

    def transition(self, fields: dict[str, Any], ptr: str, name: str, scope: _Scope) -> None:
        has_next, has_end = "Next" in fields, "End" in fields
        if has_next and has_end:
            self.error(
                "There should only be one of the following fields: [Next, End].",
                join_pointer(ptr, "End"),
                name,
                'Use "Next" to continue to another state or "End": true to stop here, not both.',
            )
        if has_end and fields["End"] is not True:
            end = fields["End"]
            if isinstance(end, bool):
                self.error(
                    "The field 'End' must be true, found false.",
                    join_pointer(ptr, "End"),
                    name,
                    "Remove 'End' and keep 'Next' to continue, or set \"End\": true to stop here.",
                )
            else:
                self.type_error("BOOLEAN", end, join_pointer(ptr, "End"), name, 'Write "End": true.')
        if has_end:
            scope.terminal = True  # a malformed End is reported above; the author meant to stop here
        if has_next:
            if self.string(fields, "Next", ptr, name, empty_ok=False):
                scope.edges.append((name, fields["Next"], join_pointer(ptr, "Next")))
        elif not has_end:
            self.error(
                "The state has neither 'Next' nor 'End'.",
                ptr,
                name,
                'Add "Next": "<state name>" to continue, or "End": true to stop here.',
            )
            scope.unsure = True

    # ------------------------------------------------------------ Assign, Retry, Catch

    def assign(self, value: Any, where: str, state: str | None, lang: str) -> None:
        if not isinstance(value, dict):
            self.type_error(
                "OBJECT", value, where, state, 'Assign maps variable names to values: {"name": 1}.'
            )
            return
        for key in value:
            name = key[:-2] if lang == JSONPATH and key.endswith(".$") else key
            at = join_pointer(where, key)
            if name == "states":
                self.error(
                    "'states' is a reserved variable name.", at, state, "Choose another variable name."
                )
            elif len(name) > _MAX_NAME:
                self.error(
                    f"Variable names must be at most {_MAX_NAME} characters long; this one has {len(name)}.",
                    at,
                    state,
                    "Choose a shorter name.",
                )
            elif not _is_variable_name(name):
                if re.search(r"[.\[]", name) and _is_variable_name(re.split(r"[.\[]", name, maxsplit=1)[0]):
                    hint = (
                        "Assign sets whole variables only; assign the complete value, e.g. "
                        f'"{re.split(r"[.[]", name, maxsplit=1)[0]}": {{...}}.'
                    )
                else:
                    hint = "A variable name starts with a letter or '_' and continues with letters, digits or '_'."
                self.error(f'"{name}" is not a valid variable name.', at, state, hint)
        if lang == JSONPATH:
            self.template(value, where, state)
        else:
            self.jsonata_value(value, where, state)

    def error_equals(
        self, item: dict[str, Any], where: str, state: str | None, last: bool, what: str
    ) -> None:
        if "ErrorEquals" not in item:
            self.error(
                "The field 'ErrorEquals' is required but was missing.",
                where,
                state,
                'Add "ErrorEquals": ["States.ALL"] or a list of error names.',
            )
            return
        names = item["ErrorEquals"]
        at = join_pointer(where, "ErrorEquals")
        if not isinstance(names, list):
            self.type_error("ARRAY", names, at, state, 'Write a list of error names, e.g. ["States.ALL"].')
            return
        if not names:
            self.error(
                "Value cannot be empty.", at, state, 'List at least one error name, e.g. ["States.ALL"].'
            )
            return
        for i, err in enumerate(names):
            if not isinstance(err, str):
                self.type_error("STRING", err, join_pointer(at, i), state)
            elif err.startswith("States.") and err not in _ERROR_NAMES:
                hint = (
                    did_you_mean(err, _ERROR_NAMES)
                    or "Names starting with 'States.' are reserved for AWS errors."
                )
                self.add(
                    UNKNOWN_ERROR_NAME,
                    f'"{err}" is not an error name Step Functions raises.',
                    join_pointer(at, i),
                    state,
                    hint,
                    severity="WARNING",
                )
        if "States.ALL" in names:
            if len(names) > 1:
                self.error(
                    "States.ALL must appear alone in 'ErrorEquals'.",
                    at,
                    state,
                    f'Move the other error names to an earlier {what} and keep ["States.ALL"] here.',
                )
            if not last:
                self.error(
                    f"A {what} with States.ALL must be the last {what}.",
                    at,
                    state,
                    f"Move this {what} to the end of the list; {what}s after it can never match.",
                )

    def retriers(self, value: Any, where: str, state: str) -> None:
        if not isinstance(value, list):
            self.type_error("ARRAY", value, where, state, "Retry is a list of retriers.")
            return
        for i, item in enumerate(value):
            at = join_pointer(where, i)
            if not isinstance(item, dict):
                self.type_error(
                    "OBJECT", item, at, state, 'A retrier looks like {"ErrorEquals": ["States.ALL"]}.'
                )
                continue
            self.unknown_fields(item, _RETRIER_FIELDS, at, state, "A retrier")
            self.error_equals(item, at, state, i == len(value) - 1, "retrier")
            self.integer(item, "IntervalSeconds", at, state, 1, 99999999)
            self.integer(item, "MaxAttempts", at, state, 0, 99999999)
            self.number(item, "BackoffRate", at, state, 1.0)
            self.integer(item, "MaxDelaySeconds", at, state, 1, 31622401)
            self.enum(item, "JitterStrategy", ("FULL", "NONE"), at, state)
            self.string(item, "Comment", at, state)

    def catchers(self, value: Any, where: str, state: str, lang: str, scope: _Scope) -> None:
        if not isinstance(value, list):
            self.type_error("ARRAY", value, where, state, "Catch is a list of catchers.")
            return
        allowed = _CATCHER_FIELDS[lang]
        other = _CATCHER_FIELDS[JSONATA if lang == JSONPATH else JSONPATH]
        for i, item in enumerate(value):
            at = join_pointer(where, i)
            if not isinstance(item, dict):
                self.type_error(
                    "OBJECT",
                    item,
                    at,
                    state,
                    'A catcher looks like {"ErrorEquals": ["States.ALL"], "Next": "Handle"}.',
                )
                continue
            for key in item:
                if key not in allowed:
                    if key in other:
                        self.language_error(key, lang, join_pointer(at, key), state)
                    else:
                        hint = did_you_mean(key, allowed) or f"A catcher accepts only: {', '.join(allowed)}."
                        self.error(f"Field '{key}' is not supported.", join_pointer(at, key), state, hint)
            self.error_equals(item, at, state, i == len(value) - 1, "catcher")
            if "Next" not in item:
                self.error(
                    "The field 'Next' is required but was missing.",
                    at,
                    state,
                    'Add "Next": the state to go to when this catcher matches.',
                )
            elif self.string(item, "Next", at, state, empty_ok=False):
                scope.edges.append((state, item["Next"], join_pointer(at, "Next")))
            self.string(item, "Comment", at, state)
            if lang == JSONPATH and "ResultPath" in item:
                self.path(
                    item["ResultPath"],
                    "ResultPath",
                    join_pointer(at, "ResultPath"),
                    state,
                    reference=True,
                    nullable=True,
                    context=False,
                    variables=False,
                )
            if lang == JSONATA and "Output" in item:
                self.jsonata_value(item["Output"], join_pointer(at, "Output"), state)
            if "Assign" in item:
                self.assign(item["Assign"], join_pointer(at, "Assign"), state, lang)

    # ------------------------------------------------------------ per state type

    def check_pass(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        pass  # Result may be any value; the common fields are checked already

    def check_succeed(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        pass

    def check_task(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        if self.required(
            f, ("Resource",), ptr, name, 'Add "Resource": an ARN such as "arn:aws:states:::lambda:invoke".'
        ) and self.string(f, "Resource", ptr, name, empty_ok=False):
            if lang == JSONATA and f["Resource"].startswith("{%"):
                self.error(
                    "'Resource' must be a constant string, not a JSONata expression.",
                    join_pointer(ptr, "Resource"),
                    name,
                    "Write the ARN literally.",
                )
        jsonata = lang == JSONATA
        for key in ("TimeoutSeconds", "HeartbeatSeconds"):
            if self.exclusive(f, (key, key + "Path"), ptr, name):
                self.integer(f, key, ptr, name, 1, jsonata=jsonata)
                if key + "Path" in f:
                    self.path(
                        f[key + "Path"], key + "Path", join_pointer(ptr, key + "Path"), name, reference=True
                    )
        timeout, heartbeat = f.get("TimeoutSeconds"), f.get("HeartbeatSeconds")
        if _is_int(timeout) and _is_int(heartbeat) and 0 < timeout <= heartbeat:
            self.error(
                f"HeartbeatSeconds ({heartbeat}) must be smaller than TimeoutSeconds ({timeout}).",
                join_pointer(ptr, "HeartbeatSeconds"),
                name,
                "Lower HeartbeatSeconds or raise TimeoutSeconds.",
            )
        if "Credentials" in f:
            creds, at = f["Credentials"], join_pointer(ptr, "Credentials")
            if not isinstance(creds, dict):
                self.type_error("OBJECT", creds, at, name, 'Write {"RoleArn": "arn:aws:iam::...:role/..."}.')
            else:
                if "RoleArn" not in creds and not (lang == JSONPATH and "RoleArn.$" in creds):
                    self.error(
                        "The field 'RoleArn' is required but was missing.",
                        at,
                        name,
                        'Add "RoleArn": the ARN of the role the task assumes.',
                    )
                if lang == JSONPATH:
                    self.template(creds, at, name)
                else:
                    self.jsonata_value(creds, at, name)

    def check_wait(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        keys = (
            ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
            if lang == JSONPATH
            else ("Seconds", "Timestamp")
        )
        present = [k for k in keys if k in f]
        if not present:
            self.error(
                f"The Wait state has none of the fields [{', '.join(keys)}].",
                ptr,
                name,
                'Add exactly one of them, e.g. "Seconds": 10.',
            )
            return
        if len(present) > 1:
            self.error(
                f"There should only be one of the following fields: [{', '.join(keys)}].",
                join_pointer(ptr, present[1]),
                name,
                f"Keep one of {', '.join(present)} and remove the others.",
            )
        jsonata = lang == JSONATA
        self.integer(f, "Seconds", ptr, name, 0, jsonata=jsonata)
        if "Timestamp" in f:
            value, at = f["Timestamp"], join_pointer(ptr, "Timestamp")
            if jsonata and _is_jsonata(value):
                self.jsonata_string(value, at, name)
            elif not isinstance(value, str):
                self.type_error(
                    "STRING", value, at, name, 'Write a timestamp such as "2016-03-14T01:59:00Z".'
                )
            elif timestamp_key(value) is None:
                self.error(
                    f'String does not match RFC3339 timestamp: "{value}".',
                    at,
                    name,
                    "Write it like \"2016-03-14T01:59:00Z\" (upper-case 'T', and 'Z' or an offset "
                    "such as +01:00).",
                )
        for key in ("SecondsPath", "TimestampPath"):
            if key in f:
                self.path(f[key], key, join_pointer(ptr, key), name, reference=True)

    def check_fail(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        for key in ("Error", "Cause"):
            if self.exclusive(f, (key, key + "Path"), ptr, name):
                if self.string(f, key, ptr, name) and lang == JSONATA:
                    self.jsonata_string(f[key], join_pointer(ptr, key), name)
                if key + "Path" in f:
                    self.path_or_intrinsic(
                        f[key + "Path"], key + "Path", join_pointer(ptr, key + "Path"), name, reference=True
                    )

    def check_choice(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        if "Default" in f and self.string(f, "Default", ptr, name, empty_ok=False):
            scope.edges.append((name, f["Default"], join_pointer(ptr, "Default")))
        if not self.required(f, ("Choices",), ptr, name, "Add a non-empty list of choice rules."):
            return
        rules, at = f["Choices"], join_pointer(ptr, "Choices")
        if not isinstance(rules, list):
            self.type_error("ARRAY", rules, at, name, "Choices is a list of choice rules.")
            return
        if not rules:
            self.error("Value cannot be empty.", at, name, "Add at least one choice rule.")
            return
        for i, rule in enumerate(rules):
            self.choice_rule(rule, join_pointer(at, i), name, lang, scope)

    def choice_rule(self, rule: Any, where: str, name: str, lang: str, scope: _Scope) -> None:
        if not isinstance(rule, dict):
            self.type_error(
                "OBJECT",
                rule,
                where,
                name,
                'A rule looks like {"Variable": "$.x", "IsPresent": true, "Next": "S"}.',
            )
            return
        if "Next" not in rule:
            self.error(
                "The field 'Next' is required but was missing.",
                where,
                name,
                'Every top-level choice rule needs "Next": the state to go to when it matches.',
            )
        elif self.string(rule, "Next", where, name, empty_ok=False):
            scope.edges.append((name, rule["Next"], join_pointer(where, "Next")))
        if "Assign" in rule:
            self.assign(rule["Assign"], join_pointer(where, "Assign"), name, lang)
        self.string(rule, "Comment", where, name)
        if lang == JSONATA:
            for key in rule:
                if key in _JSONATA_RULE_FIELDS:
                    continue
                if key in _CHOICE_OPERATORS:
                    self.language_error(key, lang, join_pointer(where, key), name)
                else:
                    hint = (
                        did_you_mean(key, _JSONATA_RULE_FIELDS)
                        or f"A JSONata choice rule accepts only: {', '.join(_JSONATA_RULE_FIELDS)}."
                    )
                    self.error(f"Field '{key}' is not supported.", join_pointer(where, key), name, hint)
            if self.required(
                rule, ("Condition",), where, name, 'Add "Condition": "{% <boolean expression> %}".'
            ):
                cond, at = rule["Condition"], join_pointer(where, "Condition")
                if isinstance(cond, str) and _is_jsonata(cond):
                    self.jsonata_string(cond, at, name)
                elif not isinstance(cond, bool):
                    self.error(
                        f"Expected value of type [BOOLEAN] or a JSONata expression, found {_describe(cond)}.",
                        at,
                        name,
                        'Write "Condition": "{% $states.input.x > 1 %}" or true/false.',
                    )
            if "Output" in rule:
                self.jsonata_value(rule["Output"], join_pointer(where, "Output"), name)
            return
        stripped = dict(rule)
        for key in ("Condition", "Output"):
            if key in stripped:
                self.language_error(key, lang, join_pointer(where, key), name)
                del stripped[key]
        if len(stripped) < len(rule) and set(stripped) <= {"Next", "Assign", "Comment"}:
            return  # a JSONata rule in a JSONPath state: "no condition" would only repeat the above
        module = self.hook("aslrun.expressions.choice")
        if module is not None:
            _, diagnostics = module.compile_condition(stripped, where, name, top_level=True)
            self.diags.extend(diagnostics)

    def check_parallel(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        if not self.required(
            f, ("Branches",), ptr, name, 'Add "Branches": [{"StartAt": ..., "States": {...}}].'
        ):
            return
        branches, at = f["Branches"], join_pointer(ptr, "Branches")
        if not isinstance(branches, list):
            self.type_error("ARRAY", branches, at, name, "Branches is a list of {StartAt, States} objects.")
            return
        if not branches:
            self.error("Value cannot be empty.", at, name, "Add at least one branch.")
            return
        for i, branch in enumerate(branches):
            self.machine(
                branch, join_pointer(at, i), name, _BRANCH_FIELDS, top=False, what="A Parallel branch"
            )

    def check_map(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        jsonata = lang == JSONATA
        if "ItemProcessor" not in f and "Iterator" not in f:
            self.error(
                "The field 'ItemProcessor' is required but was missing.",
                ptr,
                name,
                'Add "ItemProcessor": {"StartAt": ..., "States": {...}}.',
            )
        elif self.exclusive(f, ("ItemProcessor", "Iterator"), ptr, name):
            key = "ItemProcessor" if "ItemProcessor" in f else "Iterator"
            self.machine(
                f[key], join_pointer(ptr, key), name, _PROCESSOR_FIELDS, top=False, what=f"A Map {key}"
            )
        self.exclusive(f, ("ItemSelector", "Parameters"), ptr, name)
        if "ItemSelector" in f:
            if jsonata:
                self.jsonata_value(f["ItemSelector"], join_pointer(ptr, "ItemSelector"), name)
            else:
                self.template(f["ItemSelector"], join_pointer(ptr, "ItemSelector"), name)
        if "ItemsPath" in f:
            self.path(f["ItemsPath"], "ItemsPath", join_pointer(ptr, "ItemsPath"), name, reference=True)
        if "Items" in f:
            items, at = f["Items"], join_pointer(ptr, "Items")
            if isinstance(items, str) and _is_jsonata(items):
                self.jsonata_string(items, at, name)
            elif isinstance(items, list):
                self.jsonata_value(items, at, name)
            else:
                self.error(
                    f"Expected value of type [ARRAY] or a JSONata expression, found {_describe(items)}.",
                    at,
                    name,
                    'Write "Items": "{% $states.input.list %}" or a literal array.',
                )
        for key, minimum, maximum in (
            ("MaxConcurrency", 0, None),
            ("ToleratedFailureCount", 0, None),
            ("ToleratedFailurePercentage", 0.0, 100.0),
        ):
            if self.exclusive(f, (key, key + "Path"), ptr, name):
                if key == "ToleratedFailurePercentage":
                    self.number(f, key, ptr, name, minimum, maximum, jsonata=jsonata)
                else:
                    self.integer(f, key, ptr, name, int(minimum), jsonata=jsonata)
                if key + "Path" in f:
                    self.path(
                        f[key + "Path"],
                        key + "Path",
                        join_pointer(ptr, key + "Path"),
                        name,
                        reference=True,
                        context=False,
                    )
        if "Label" in f and self.string(f, "Label", ptr, name):
            self.label(f["Label"], join_pointer(ptr, "Label"), name)
        if "ItemReader" in f:
            self.item_reader(f["ItemReader"], join_pointer(ptr, "ItemReader"), name, lang)
        if "ItemBatcher" in f:
            self.item_batcher(f["ItemBatcher"], join_pointer(ptr, "ItemBatcher"), name, lang)
        if "ResultWriter" in f:
            self.result_writer(f["ResultWriter"], join_pointer(ptr, "ResultWriter"), name, lang)

    def label(self, label: str, where: str, name: str) -> None:
        bad = sorted({c for c in label if c in _LABEL_FORBIDDEN or ord(c) < 32 or 127 <= ord(c) < 160})
        if not label:
            self.error("Value cannot be empty.", where, name, "Give the Label a name, or remove it.")
        elif len(label) > _MAX_LABEL:
            self.error(
                f"A Map Label must be at most {_MAX_LABEL} characters long; this one has {len(label)}.",
                where,
                name,
                "Choose a shorter label.",
            )
        if bad:
            shown = ", ".join(repr(c) for c in bad)
            self.error(
                f'The Label "{label}" contains characters that are not allowed: {shown}.',
                where,
                name,
                "Use letters, digits, '-', '_' and '.' only.",
            )

    def reader_or_writer_payload(self, obj: dict[str, Any], where: str, name: str, lang: str) -> bool:
        key = "Parameters" if lang == JSONPATH else "Arguments"
        wrong = "Arguments" if lang == JSONPATH else "Parameters"
        if wrong in obj:
            self.language_error(wrong, lang, join_pointer(where, wrong), name)
        if key in obj:
            if lang == JSONPATH:
                self.template(obj[key], join_pointer(where, key), name)
            else:
                self.jsonata_value(obj[key], join_pointer(where, key), name)
            return True
        return False

    def item_reader(self, value: Any, where: str, name: str, lang: str) -> None:
        if not isinstance(value, dict):
            self.type_error("OBJECT", value, where, name)
            return
        self.unknown_fields(
            value, ("Resource", "ReaderConfig", "Parameters", "Arguments"), where, name, "ItemReader"
        )
        if self.required(
            value, ("Resource",), where, name, 'Add "Resource", e.g. "arn:aws:states:::s3:getObject".'
        ):
            self.string(value, "Resource", where, name, empty_ok=False)
        self.reader_or_writer_payload(value, where, name, lang)
        if "ReaderConfig" in value:
            config, at = value["ReaderConfig"], join_pointer(where, "ReaderConfig")
            if not isinstance(config, dict):
                self.type_error("OBJECT", config, at, name)
                return
            self.enum(config, "InputType", ("MANIFEST", "JSON", "CSV", "JSONL", "PARQUET"), at, name)
            if lang == JSONATA and "MaxItemsPath" in config:
                self.language_error("MaxItemsPath", lang, join_pointer(at, "MaxItemsPath"), name)
            elif self.exclusive(config, ("MaxItems", "MaxItemsPath"), at, name) and "MaxItemsPath" in config:
                self.path(
                    config["MaxItemsPath"],
                    "MaxItemsPath",
                    join_pointer(at, "MaxItemsPath"),
                    name,
                    reference=True,
                    context=False,
                )
            self.integer(config, "MaxItems", at, name, 0, 100000000, jsonata=lang == JSONATA)

    def item_batcher(self, value: Any, where: str, name: str, lang: str) -> None:
        if not isinstance(value, dict):
            self.type_error("OBJECT", value, where, name)
            return
        sizes = ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
        paths = tuple(k + "Path" for k in sizes)
        allowed = (*sizes, "BatchInput") + (paths if lang == JSONPATH else ())
        for key in value:
            if key not in allowed:
                if key in paths:
                    self.language_error(key, lang, join_pointer(where, key), name)
                else:
                    hint = did_you_mean(key, allowed) or f"ItemBatcher accepts only: {', '.join(allowed)}."
                    self.error(f"Field '{key}' is not supported.", join_pointer(where, key), name, hint)
        if not any(k in value for k in (*sizes, *paths)):
            self.error(
                "The ItemBatcher sets no batch size.",
                where,
                name,
                "Add MaxItemsPerBatch or MaxInputBytesPerBatch (or their *Path forms).",
            )
        for key in sizes:
            if self.exclusive(value, (key, key + "Path"), where, name):
                self.integer(value, key, where, name, 0, jsonata=lang == JSONATA)
                if lang == JSONPATH and key + "Path" in value:
                    self.path(
                        value[key + "Path"],
                        key + "Path",
                        join_pointer(where, key + "Path"),
                        name,
                        reference=True,
                        context=False,
                    )
        if "BatchInput" in value:
            if lang == JSONPATH:
                self.template(value["BatchInput"], join_pointer(where, "BatchInput"), name)
            else:
                self.jsonata_value(value["BatchInput"], join_pointer(where, "BatchInput"), name)

    def result_writer(self, value: Any, where: str, name: str, lang: str) -> None:
        if not isinstance(value, dict):
            self.type_error("OBJECT", value, where, name)
            return
        self.unknown_fields(
            value, ("Resource", "Parameters", "Arguments", "WriterConfig"), where, name, "ResultWriter"
        )
        has_payload = self.reader_or_writer_payload(value, where, name, lang)
        payload = "Parameters" if lang == JSONPATH else "Arguments"
        if "Resource" in value:
            self.string(value, "Resource", where, name, empty_ok=False)
            if not has_payload:
                self.error(
                    f"The field '{payload}' is required but was missing.",
                    where,
                    name,
                    f"A ResultWriter with a Resource needs '{payload}' naming the S3 Bucket (and Prefix).",
                )
        elif "WriterConfig" not in value:
            self.error(
                "The field 'Resource' is required but was missing.",
                where,
                name,
                f'Add "Resource": "arn:aws:states:::s3:putObject" with its {payload}, or a WriterConfig.',
            )
        if "WriterConfig" in value and not isinstance(value["WriterConfig"], dict):
            self.type_error("OBJECT", value["WriterConfig"], join_pointer(where, "WriterConfig"), name)

    # ------------------------------------------------------------ the graph

    def graph(self) -> None:
        for scope in self.scopes:
            self.scope_graph(scope)

    def target_hint(self, target: str, scope: _Scope) -> tuple[str, str | None]:
        """A hint for a dangling target, and the state it probably meant."""
        guess = _closest(target, scope.names)
        if guess is not None:
            return f'Did you mean "{guess}"?', guess
        elsewhere = [p for p in self.name_scopes.get(target, []) if p != scope.pointer]
        if elsewhere:
            return (
                f'A state named "{target}" exists, but in {elsewhere[0]}; a state can only move to states in '
                "its own States object.",
                None,
            )
        shown = ", ".join(f'"{n}"' for n in scope.names[:10]) + (", ..." if len(scope.names) > 10 else "")
        return f"Name one of the states in this States object: {shown}.", None

    def scope_graph(self, scope: _Scope) -> None:
        names = set(scope.names)
        start_ok = scope.start is not None
        if scope.start is not None and scope.start not in names:
            hint, guess = self.target_hint(scope.start, scope)
            self.add(
                MISSING_TARGET,
                f"Missing 'Next' target: {scope.start}",
                scope.start_pointer,
                scope.owner,
                hint,
            )
            start_ok = guess is not None
            scope.start = guess
        graph: dict[str, list[str]] = {n: [] for n in names}
        for source, target, where in scope.edges:
            if target in names:
                graph[source].append(target)
                continue
            hint, guess = self.target_hint(target, scope)
            self.add(MISSING_TARGET, f"Missing 'Next' target: {target}", where, source, hint)
            if guess is not None:
                graph[source].append(guess)
        if not scope.terminal:
            if scope.unsure:
                return
            if scope.top:
                self.add(
                    MISSING_END,
                    "Workflow has no terminal state",
                    scope.pointer,
                    None,
                    'Give a state "End": true, or add a Succeed or Fail state and move to it.',
                )
            else:
                self.add(
                    MISSING_END,
                    "This States object has no terminal state; its iterations can never finish.",
                    scope.pointer,
                    scope.owner,
                    'Give a state "End": true, or add a Succeed or Fail state.',
                    severity="WARNING",
                )
            return
        if not start_ok or scope.start is None:
            return
        reached = {scope.start}
        todo = [scope.start]
        while todo:
            for nxt in graph.get(todo.pop(), []):
                if nxt not in reached:
                    reached.add(nxt)
                    todo.append(nxt)
        for name in scope.names:
            if name not in reached:
                self.add(
                    MISSING_TARGET,
                    f'State "{name}" is not reachable.',
                    join_pointer(scope.pointer, name),
                    name,
                    "Point a Next, Default or Catch Next at it, or delete it.",
                )
