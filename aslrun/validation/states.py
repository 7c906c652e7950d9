"""The checks of each state type but Map: Task, Wait, Fail, Choice and Parallel.

The walk calls ``check_<type>(r, fields, at)`` once the fields common to several types
are checked (Pass and Succeed have nothing of their own): a Task's ``Resource``,
timeouts and ``Credentials``; a Wait's one of ``Seconds``/``Timestamp``/``*Path``
(timestamps as RFC 3339); a Fail's ``Error`` and ``Cause``; a Choice's rules (JSONPath
rules by :func:`aslrun.expressions.choice.compile_condition`, imported lazily; JSONata
rules by their ``Condition``) and ``Default``. :func:`check_parallel` yields each branch
as a :class:`~aslrun.validation.report.Nested` machine, which the walk walks there and then.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aslrun.expressions.timestamps import timestamp_key
from aslrun.validation import expressions, fields
from aslrun.validation.report import (
    JSONATA,
    JSONPATH,
    Nested,
    Reporter,
    StateAt,
    describe,
    did_you_mean,
    is_int,
    is_jsonata,
    join_pointer,
)
from aslrun.validation.resources import check_resource


def check_task(r: Reporter, f: dict[str, Any], at: StateAt) -> None:
    """A Task's ``Resource``, ``TimeoutSeconds``/``HeartbeatSeconds`` (or their paths) and ``Credentials``."""
    ptr, name, lang = at.ptr, at.name, at.lang
    if fields.required(
        r, f, ("Resource",), ptr, name, 'Add "Resource": an ARN such as "arn:aws:states:::lambda:invoke".'
    ) and fields.string(r, f, "Resource", ptr, name, empty_ok=False):
        if lang == JSONATA and f["Resource"].startswith("{%"):
            r.error(
                "'Resource' must be a constant string, not a JSONata expression.",
                join_pointer(ptr, "Resource"),
                name,
                "Write the ARN literally.",
            )
        else:
            check_resource(r, f["Resource"], join_pointer(ptr, "Resource"), name)
    jsonata = lang == JSONATA
    for key in ("TimeoutSeconds", "HeartbeatSeconds"):
        if fields.exclusive(r, f, (key, key + "Path"), ptr, name):
            fields.integer(r, f, key, ptr, name, 1, jsonata=jsonata)
            if key + "Path" in f:
                expressions.path(
                    r, f[key + "Path"], key + "Path", join_pointer(ptr, key + "Path"), name, reference=True
                )
    timeout, heartbeat = f.get("TimeoutSeconds"), f.get("HeartbeatSeconds")
    if isinstance(timeout, int) and isinstance(heartbeat, int) and is_int(timeout) and is_int(heartbeat) \
            and 0 < timeout <= heartbeat:
        r.error(
            f"HeartbeatSeconds ({heartbeat}) must be smaller than TimeoutSeconds ({timeout}).",
            join_pointer(ptr, "HeartbeatSeconds"),
            name,
            "Lower HeartbeatSeconds or raise TimeoutSeconds.",
        )
    if "Credentials" in f:
        _credentials(r, f["Credentials"], join_pointer(ptr, "Credentials"), name, lang)
    if r.machine_type == "EXPRESS" and isinstance(f.get("Resource"), str):
        _express_resource(r, f["Resource"], join_pointer(ptr, "Resource"), name)


#: what an EXPRESS machine's Task may not use, with AWS's message (recorded from
#: CreateStateMachine and ValidateStateMachineDefinition: SCHEMA_VALIDATION_FAILED at
#: /States/<state>/Resource; AWS ends the '.sync' and '.waitForTaskToken' ones with a space)
_EXPRESS_REFUSES = {
    "activity": "Express state machine does not support Activity ARN",
    ".sync": "Express state machine does not support '.sync' service integration",
    ".waitForTaskToken": "Express state machine does not support '.waitForTaskToken' service integration",
}


def _express_resource(r: Reporter, resource: str, where: str, name: str) -> None:
    """Express workflows run neither activities nor the '.sync' and '.waitForTaskToken' patterns
    (Step Functions developer guide, "Standard vs. Express workflows")."""
    from aslrun.integrations.arn import parse_resource

    parsed = parse_resource(resource)
    if parsed.kind == "activity":
        key = "activity"
    elif parsed.pattern.startswith(".sync"):
        key = ".sync"
    elif parsed.pattern == ".waitForTaskToken":
        key = ".waitForTaskToken"
    else:
        return
    r.error(
        _EXPRESS_REFUSES[key] + ".",
        where,
        name,
        "Make the state machine STANDARD, or call the service without the integration pattern "
        "(request/response) in an EXPRESS one."
        if key != "activity"
        else "Make the state machine STANDARD, or replace the activity with a Lambda function or service call.",
    )


def _credentials(r: Reporter, creds: Any, where: str, name: str, lang: str) -> None:
    if not isinstance(creds, dict):
        r.type_error("OBJECT", creds, where, name, 'Write {"RoleArn": "arn:aws:iam::...:role/..."}.')
        return
    if "RoleArn" not in creds and not (lang == JSONPATH and "RoleArn.$" in creds):
        r.error(
            "The field 'RoleArn' is required but was missing.",
            where,
            name,
            'Add "RoleArn": the ARN of the role the task assumes.',
        )
    expressions.payload(r, creds, where, name, lang)


def check_wait(r: Reporter, f: dict[str, Any], at: StateAt) -> None:
    """A Wait's one of ``Seconds``, ``Timestamp``, ``SecondsPath`` and ``TimestampPath``."""
    ptr, name, lang = at.ptr, at.name, at.lang
    keys = (
        ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")
        if lang == JSONPATH
        else ("Seconds", "Timestamp")
    )
    present = [k for k in keys if k in f]
    if not present:
        r.error(
            f"The Wait state has none of the fields [{', '.join(keys)}].",
            ptr,
            name,
            'Add exactly one of them, e.g. "Seconds": 10.',
        )
        return
    if len(present) > 1:
        r.error(
            f"There should only be one of the following fields: [{', '.join(keys)}].",
            join_pointer(ptr, present[1]),
            name,
            f"Keep one of {', '.join(present)} and remove the others.",
        )
    jsonata = lang == JSONATA
    fields.integer(r, f, "Seconds", ptr, name, 0, jsonata=jsonata)
    if "Timestamp" in f:
        _timestamp(r, f["Timestamp"], join_pointer(ptr, "Timestamp"), name, jsonata)
    for key in ("SecondsPath", "TimestampPath"):
        if key in f:
            expressions.path(r, f[key], key, join_pointer(ptr, key), name, reference=True)


def _timestamp(r: Reporter, value: Any, where: str, name: str, jsonata: bool) -> None:
    if jsonata and is_jsonata(value):
        expressions.jsonata_string(r, value, where, name)
    elif not isinstance(value, str):
        r.type_error("STRING", value, where, name, 'Write a timestamp such as "2016-03-14T01:59:00Z".')
    elif timestamp_key(value) is None:
        r.error(
            f'String does not match RFC3339 timestamp: "{value}".',
            where,
            name,
            "Write it like \"2016-03-14T01:59:00Z\" (upper-case 'T', and 'Z' or an offset "
            "such as +01:00).",
        )


def check_fail(r: Reporter, f: dict[str, Any], at: StateAt) -> None:
    """A Fail's ``Error`` and ``Cause``, or their paths."""
    ptr, name = at.ptr, at.name
    for key in ("Error", "Cause"):
        if fields.exclusive(r, f, (key, key + "Path"), ptr, name):
            if fields.string(r, f, key, ptr, name) and at.lang == JSONATA:
                expressions.jsonata_string(r, f[key], join_pointer(ptr, key), name)
            if key + "Path" in f:
                expressions.path_or_intrinsic(
                    r, f[key + "Path"], key + "Path", join_pointer(ptr, key + "Path"), name, reference=True
                )


# ---------------------------------------------------------------- Choice


def check_choice(r: Reporter, f: dict[str, Any], at: StateAt) -> None:
    """A Choice's ``Default`` and each of its ``Choices``; their targets become edges of the graph."""
    ptr, name = at.ptr, at.name
    if "Default" in f and fields.string(r, f, "Default", ptr, name, empty_ok=False):
        at.scope.edges.append((name, f["Default"], join_pointer(ptr, "Default")))
    if not fields.required(r, f, ("Choices",), ptr, name, "Add a non-empty list of choice rules."):
        return
    rules, where = f["Choices"], join_pointer(ptr, "Choices")
    if not isinstance(rules, list):
        r.type_error("ARRAY", rules, where, name, "Choices is a list of choice rules.")
        return
    if not rules:
        r.error("Value cannot be empty.", where, name, "Add at least one choice rule.")
        return
    for i, rule in enumerate(rules):
        _choice_rule(r, rule, join_pointer(where, i), at)


def _choice_rule(r: Reporter, rule: Any, where: str, at: StateAt) -> None:
    name, lang = at.name, at.lang
    if not isinstance(rule, dict):
        r.type_error(
            "OBJECT",
            rule,
            where,
            name,
            'A rule looks like {"Variable": "$.x", "IsPresent": true, "Next": "S"}.',
        )
        return
    if "Next" not in rule:
        r.error(
            "The field 'Next' is required but was missing.",
            where,
            name,
            'Every top-level choice rule needs "Next": the state to go to when it matches.',
        )
    elif fields.string(r, rule, "Next", where, name, empty_ok=False):
        at.scope.edges.append((name, rule["Next"], join_pointer(where, "Next")))
    if "Assign" in rule:
        expressions.assign(r, rule["Assign"], join_pointer(where, "Assign"), name, lang)
    fields.string(r, rule, "Comment", where, name)
    if lang == JSONATA:
        _jsonata_rule(r, rule, where, name)
        return
    stripped = dict(rule)
    for key in ("Condition", "Output"):
        if key in stripped:
            fields.language_error(r, key, lang, join_pointer(where, key), name)
            del stripped[key]
    if len(stripped) < len(rule) and set(stripped) <= {"Next", "Assign", "Comment"}:
        return  # a JSONata rule in a JSONPath state: "no condition" would only repeat the above
    module = r.optional_module("aslrun.expressions.choice")
    if module is not None:
        _, diagnostics = module.compile_condition(stripped, where, name, top_level=True)
        r.diags.extend(diagnostics)


def _jsonata_rule(r: Reporter, rule: dict[str, Any], where: str, name: str) -> None:
    for key in rule:
        if key in fields.JSONATA_RULE_FIELDS:
            continue
        if key in fields.CHOICE_OPERATORS:
            fields.language_error(r, key, JSONATA, join_pointer(where, key), name)
        else:
            hint = (
                did_you_mean(key, fields.JSONATA_RULE_FIELDS)
                or f"A JSONata choice rule accepts only: {', '.join(fields.JSONATA_RULE_FIELDS)}."
            )
            r.error(f"Field '{key}' is not supported.", join_pointer(where, key), name, hint)
    if fields.required(r, rule, ("Condition",), where, name, 'Add "Condition": "{% <boolean expression> %}".'):
        cond, at = rule["Condition"], join_pointer(where, "Condition")
        if isinstance(cond, str) and is_jsonata(cond):
            expressions.jsonata_string(r, cond, at, name)
        elif not isinstance(cond, bool):
            r.error(
                f"Expected value of type [BOOLEAN] or a JSONata expression, found {describe(cond)}.",
                at,
                name,
                'Write "Condition": "{% $states.input.x > 1 %}" or true/false.',
            )
    if "Output" in rule:
        expressions.jsonata_value(r, rule["Output"], join_pointer(where, "Output"), name)


# ---------------------------------------------------------------- Parallel


def check_parallel(r: Reporter, f: dict[str, Any], at: StateAt) -> Iterator[Nested]:
    """A Parallel's ``Branches``; yields each branch for the walk to walk."""
    ptr, name = at.ptr, at.name
    if not fields.required(
        r, f, ("Branches",), ptr, name, 'Add "Branches": [{"StartAt": ..., "States": {...}}].'
    ):
        return
    branches, where = f["Branches"], join_pointer(ptr, "Branches")
    if not isinstance(branches, list):
        r.type_error("ARRAY", branches, where, name, "Branches is a list of {StartAt, States} objects.")
        return
    if not branches:
        r.error("Value cannot be empty.", where, name, "Add at least one branch.")
        return
    for i, branch in enumerate(branches):
        yield Nested(branch, join_pointer(where, i), fields.BRANCH_FIELDS, "A Parallel branch")
