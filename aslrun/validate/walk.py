"""The walk over a definition: machines, Parallel branches, Map processors and their states.

:meth:`_Walk.run` makes every key a string (YAML can produce others), checks the
top-level fields and walks the machine; :meth:`_Walk.machine` checks a ``StartAt`` and
``States`` object (top level, branch or processor) and :meth:`_Walk.state` each state:
its ``Type`` (an unknown type is not checked field by field), its ``QueryLanguage``, the
fields its type and language allow, the checks common to several types (paths,
templates, JSONata fields, ``Assign``, ``Retry``, ``Catch``), then the checks of its type
(``check_task``, ``check_map``, ...), which live in :mod:`~aslrun.validate.states` and
:mod:`~aslrun.validate.map`. The graph checks run last.
"""

from __future__ import annotations

from typing import Any

from aslrun.validate.fields import _COMMON, _FIELDS, STATE_TYPES
from aslrun.validate.graph import _GraphChecks
from aslrun.validate.report import (
    _MISSING,
    JSONATA,
    JSONPATH,
    _describe,
    _Scope,
    did_you_mean,
    join_pointer,
)
from aslrun.validate.retry import _RetryChecks

_MACHINE_FIELDS = ("Comment", "StartAt", "States", "Version", "TimeoutSeconds", "QueryLanguage")
_BRANCH_FIELDS = ("Comment", "StartAt", "States")
_PROCESSOR_FIELDS = ("Comment", "StartAt", "States", "ProcessorConfig")


class _Walk(_GraphChecks, _RetryChecks):
    """The walk: each machine, branch and processor, and each state in them."""

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
