"""The walk over a definition: machines, Parallel branches, Map processors and their states.

:func:`walk` makes every key a string (YAML can produce others), checks the top-level
fields, walks the machine and ends with the graph checks
(:func:`aslrun.validation.graph.check_graph`). :func:`machine` checks a ``StartAt`` and
``States`` object (top level, branch or processor) and :func:`state` each state: its
``Type`` (an unknown type is not checked field by field), its ``QueryLanguage``, the
fields its type and language allow, the checks common to several types (paths,
templates, JSONata fields, ``Assign``, ``Retry``, ``Catch``), then the check of its type
from :data:`_TYPE_CHECKS` (in :mod:`~aslrun.validation.states` and
:mod:`~aslrun.validation.map`). A Parallel or Map check yields the machines nested in its
state, and the walk walks each as it is yielded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from aslrun.validation import expressions, fields, graph, retry, states
from aslrun.validation import map as map_checks
from aslrun.validation.report import (
    JSONATA,
    JSONPATH,
    MISSING,
    Nested,
    Reporter,
    Scope,
    StateAt,
    describe,
    did_you_mean,
    join_pointer,
)

#: the check of each state type's own fields (Pass and Succeed have none)
_TYPE_CHECKS: dict[str, Callable[[Reporter, dict[str, Any], StateAt], None]] = {
    "Task": states.check_task,
    "Wait": states.check_wait,
    "Fail": states.check_fail,
    "Choice": states.check_choice,
}
#: the checks of state types that hold machines; they yield them for the walk
_NESTING_CHECKS: dict[str, Callable[[Reporter, dict[str, Any], StateAt], Iterator[Nested]]] = {
    "Parallel": states.check_parallel,
    "Map": map_checks.check_map,
}

_NESTED_QUERY_LANGUAGE = {
    "QueryLanguage": "States inside a Parallel branch or Map processor use the machine's "
    "QueryLanguage; set QueryLanguage on each state instead."
}


def walk(r: Reporter) -> None:
    """Check the whole of ``r.doc``; the diagnostics are left in ``r``."""
    r.doc = doc = _string_keys(r, r.doc, "/")
    if not isinstance(doc, dict):
        # AWS: an empty definition is SCHEMA_VALIDATION_FAILED "Definition must be a valid JSON object".
        r.error(
            "Definition must be a valid JSON object"
            + ("." if doc is None else f", found {describe(doc)}."),
            "/",
            None,
            'Start from {"StartAt": "First", "States": {"First": {"Type": "Pass", "End": true}}}.',
        )
        return
    r.machine_ql = _language_field(r, doc, "/", None, inherited=JSONPATH)
    if "TimeoutSeconds" in doc:
        fields.integer(r, doc, "TimeoutSeconds", "/", None, 1)
    fields.string(r, doc, "Version", "/", None)
    machine(r, doc, "/", None, fields.MACHINE_FIELDS, top=True, what="A state machine")
    graph.check_graph(r)


def _string_keys(r: Reporter, node: Any, ptr: str) -> Any:
    """The document with every key a string; YAML can produce others (``1:``, ``true:``)."""
    if isinstance(node, list):
        return [_string_keys(r, item, join_pointer(ptr, i)) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if not isinstance(key, str):
            r.error(
                f"Field names must be strings, found {describe(key)}.",
                join_pointer(ptr, str(key)),
                None,
                f'Quote the name: "{key}".',
            )
        out[str(key)] = _string_keys(r, value, join_pointer(ptr, str(key)))
    return out


def _language_field(r: Reporter, obj: dict[str, Any], ptr: str, state: str | None, inherited: str) -> str:
    """Check a QueryLanguage field; return the language it selects."""
    if "QueryLanguage" not in obj:
        return inherited
    value = obj["QueryLanguage"]
    where = join_pointer(ptr, "QueryLanguage")
    if not isinstance(value, str):
        r.type_error("STRING", value, where, state, 'Use "JSONPath" or "JSONata".')
        return inherited
    if value in (JSONPATH, JSONATA):
        return value
    guess = {JSONPATH.casefold(): JSONPATH, JSONATA.casefold(): JSONATA}.get(value.casefold())
    r.error(
        f'Value should be one of the following: [JSONPath, JSONata], found "{value}".',
        where,
        state,
        f'Did you mean "{guess}"?' if guess else 'Use "JSONPath" or "JSONata".',
    )
    return guess or inherited


def machine(
    r: Reporter, obj: Any, ptr: str, owner: str | None, allowed: tuple[str, ...], *, top: bool, what: str
) -> None:
    """A top-level machine, a Parallel branch or a Map processor, and each of its states."""
    if not isinstance(obj, dict):
        r.type_error("OBJECT", obj, ptr, owner, 'Use {"StartAt": "...", "States": {...}}.')
        return
    fields.unknown_fields(r, obj, allowed, ptr, owner, what, None if top else _NESTED_QUERY_LANGUAGE)
    fields.string(r, obj, "Comment", ptr, owner)
    fields.required(r, obj, ("States", "StartAt"), ptr, owner)
    states_ptr = join_pointer(ptr, "States")
    scope = Scope(states_ptr, owner, top, start_pointer=join_pointer(ptr, "StartAt"))
    if "StartAt" in obj and fields.string(r, obj, "StartAt", ptr, owner):
        scope.start = obj["StartAt"]
    states_obj = obj.get("States", MISSING)
    if states_obj is MISSING:
        return
    if not isinstance(states_obj, dict):
        r.type_error("OBJECT", states_obj, states_ptr, owner, "Map each state name to its definition.")
        return
    if not states_obj:
        r.error("Value cannot be empty.", states_ptr, owner, "Add at least one state.")
        return
    r.scopes.append(scope)
    if "ProcessorConfig" in obj:
        _processor_config(r, obj["ProcessorConfig"], join_pointer(ptr, "ProcessorConfig"), owner)
    for name, st in states_obj.items():
        state(r, name, st, join_pointer(states_ptr, name), scope)


def _processor_config(r: Reporter, value: Any, where: str, state: str | None) -> None:
    if not isinstance(value, dict):
        r.type_error("OBJECT", value, where, state)
        return
    fields.unknown_fields(r, value, ("Mode", "ExecutionType"), where, state, "ProcessorConfig")
    fields.enum(r, value, "Mode", ("INLINE", "DISTRIBUTED"), where, state)
    fields.enum(r, value, "ExecutionType", ("STANDARD", "EXPRESS"), where, state)
    if value.get("Mode") == "DISTRIBUTED" and "ExecutionType" not in value:
        r.error(
            "The field 'ExecutionType' is required but was missing.",
            where,
            state,
            'A DISTRIBUTED Map needs "ExecutionType": "STANDARD" or "EXPRESS".',
        )


def state(r: Reporter, name: str, st: Any, ptr: str, scope: Scope) -> None:
    """One state: its type and language, the fields they allow, the common checks, then its type's check."""
    graph.register_name(r, name, ptr, scope)
    if not isinstance(st, dict):
        r.type_error("OBJECT", st, ptr, name, 'A state is an object such as {"Type": "Pass", "End": true}.')
        scope.unsure = True
        return
    typ = _state_type(r, st, ptr, name)
    if typ is None:
        # Without a type the fields cannot be judged; keep the transitions for the graph checks.
        scope.unsure = True
        for key in ("Next", "Default"):
            if isinstance(st.get(key), str):
                scope.edges.append((name, st[key], join_pointer(ptr, key)))
        return
    lang, downgraded = _state_language(r, st, ptr, name)
    f = _supported_fields(r, st, typ, lang, ptr, name, report_language=not downgraded)
    fields.string(r, f, "Comment", ptr, name)
    if typ in ("Task", "Pass", "Wait", "Parallel", "Map"):
        graph.transition(r, f, ptr, name, scope)
    elif typ in ("Succeed", "Fail"):
        scope.terminal = True
    at = StateAt(ptr, name, lang, scope)
    _common_checks(r, f, at)
    if typ in _TYPE_CHECKS:
        _TYPE_CHECKS[typ](r, f, at)
    elif typ in _NESTING_CHECKS:
        for nested in _NESTING_CHECKS[typ](r, f, at):
            machine(r, nested.obj, nested.ptr, name, nested.allowed, top=False, what=nested.what)


def _state_type(r: Reporter, st: dict[str, Any], ptr: str, name: str) -> str | None:
    """The state's ``Type``, or None (reported) when it is missing or unknown."""
    typ = st.get("Type", MISSING)
    if typ is MISSING:
        r.error(
            "The field 'Type' is required but was missing.",
            ptr,
            name,
            f'Add "Type": one of {", ".join(fields.STATE_TYPES)}.',
        )
        return None
    if typ not in fields.STATE_TYPES:
        hint = (
            did_you_mean(typ, fields.STATE_TYPES) if isinstance(typ, str) else None
        ) or f"Use one of: {', '.join(fields.STATE_TYPES)}."
        r.error(
            f"The field 'Type' should have one of these values: [{', '.join(fields.STATE_TYPES)}], "
            f"found {describe(typ)}.",
            join_pointer(ptr, "Type"),
            name,
            hint,
        )
        return None
    return str(typ)


def _state_language(r: Reporter, st: dict[str, Any], ptr: str, name: str) -> tuple[str, bool]:
    """The state's query language, and whether a JSONPath state in a JSONata machine was downgraded."""
    lang = _language_field(r, st, ptr, name, inherited=r.machine_ql)
    if r.machine_ql == JSONATA and st.get("QueryLanguage") == JSONPATH:
        r.error(
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine.",
            ptr,
            name,
            'Remove "QueryLanguage": "JSONPath" and rewrite the state in JSONata, or make '
            'the machine JSONPath and set "QueryLanguage": "JSONata" on the JSONata states.',
        )
        return JSONPATH, True
    return lang, False


def _supported_fields(
    r: Reporter, st: dict[str, Any], typ: str, lang: str, ptr: str, name: str, *, report_language: bool
) -> dict[str, Any]:
    """The fields a ``typ`` state in ``lang`` accepts; reports the others (those of the other language
    only when ``report_language``)."""
    both, only_jp, only_ja = fields.STATE_FIELDS[typ]
    own, other = (only_jp, only_ja) if lang == JSONPATH else (only_ja, only_jp)
    supported = (*fields.COMMON_FIELDS, *both, *own)
    present = set()
    for key in st:
        if key in supported:
            present.add(key)
        elif key in other:
            if report_language:
                fields.language_error(r, key, lang, join_pointer(ptr, key), name)
        else:
            fields.unsupported(r, key, typ, supported, join_pointer(ptr, key), name)
    return {k: v for k, v in st.items() if k in present}


def _common_checks(r: Reporter, f: dict[str, Any], at: StateAt) -> None:
    """The fields several state types share: paths and templates, or JSONata fields; Assign, Retry, Catch."""
    ptr, name, lang = at.ptr, at.name, at.lang
    if lang == JSONPATH:
        for key in ("InputPath", "OutputPath"):
            if key in f:
                expressions.path(r, f[key], key, join_pointer(ptr, key), name, nullable=True)
        if "ResultPath" in f:
            expressions.path(
                r,
                f["ResultPath"],
                "ResultPath",
                join_pointer(ptr, "ResultPath"),
                name,
                reference=True,
                nullable=True,
                context=False,
                variables=False,
            )
        for key in ("Parameters", "ResultSelector"):
            if key in f:
                expressions.template(r, f[key], join_pointer(ptr, key), name)
    else:
        for key in ("Arguments", "Output"):
            if key in f:
                expressions.jsonata_value(r, f[key], join_pointer(ptr, key), name)
    if "Assign" in f:
        expressions.assign(r, f["Assign"], join_pointer(ptr, "Assign"), name, lang)
    if "Retry" in f:
        retry.retriers(r, f["Retry"], join_pointer(ptr, "Retry"), name)
    if "Catch" in f:
        retry.catchers(r, f["Catch"], join_pointer(ptr, "Catch"), name, lang, at.scope)
