"""The checks of each state type but Map: Pass, Succeed, Task, Wait, Fail, Choice, Parallel.

:meth:`_Walk.state` calls ``check_<type>`` once the fields common to several types are
checked: a Task's ``Resource``, timeouts and ``Credentials``; a Wait's one of
``Seconds``/``Timestamp``/``*Path`` (timestamps as RFC 3339); a Fail's ``Error`` and
``Cause``; a Choice's rules (JSONPath rules by
:func:`aslrun.expressions.choice.compile_condition`, imported lazily; JSONata rules by
their ``Condition``) and ``Default``; a Parallel's branches, each walked as a machine.
"""

from __future__ import annotations

from typing import Any

from aslrun.expressions.timestamps import timestamp_key
from aslrun.validate.fields import _CHOICE_OPERATORS, _JSONATA_RULE_FIELDS
from aslrun.validate.report import (
    JSONATA,
    JSONPATH,
    _describe,
    _is_int,
    _is_jsonata,
    _Scope,
    did_you_mean,
    join_pointer,
)
from aslrun.validate.walk import _BRANCH_FIELDS, _Walk


class _StateChecks(_Walk):
    """``check_<type>`` for every state type but Map."""

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
        if isinstance(timeout, int) and isinstance(heartbeat, int) and _is_int(timeout) and _is_int(heartbeat) \
                and 0 < timeout <= heartbeat:
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
