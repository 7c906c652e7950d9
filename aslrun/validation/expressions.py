"""Checks of the expressions in a definition: JSONPath, payload templates, intrinsics, JSONata, Assign.

Paths (``InputPath``, ``OutputPath``) and reference paths (``ResultPath``, ``ItemsPath``,
``*Path``) are compiled with :func:`aslrun.expressions.access.compile_value_path`
(:func:`path`); every ``key.$`` of a JSONPath payload template must hold a path or an
intrinsic function call (:func:`template`; calls are checked by
:func:`aslrun.expressions.intrinsics.compile_intrinsic`, imported lazily); JSONata
strings must be enclosed in ``{%`` and ``%}`` and parse
(:func:`jsonata_string`, with ``aslrun.expressions.jsonata.check_syntax``); ``key.$``
keys in a JSONata state are warned about (:func:`jsonata_value`); ``Assign`` must name
valid, unreserved variables (:func:`assign`).

Each check is handed the :class:`~aslrun.validation.report.Reporter`, the value, its
pointer and the state's name, and reports what is wrong; none returns anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aslrun.validation.report import (
    BARE_WORD_FILTER,
    INVALID_JSONATA,
    JSONPATH,
    LITERAL_KEY,
    MAX_NAME,
    UNSUPPORTED_JSONATA,
    Reporter,
    describe,
    join_pointer,
    sentence,
)

_INTRINSIC_SHAPE = re.compile(r"^\s*States\.[A-Za-z0-9_.]+\s*\(.*\)\s*$", re.S)


def _is_variable_name(name: str) -> bool:
    return bool(name) and name[0].isidentifier() and ("_" + name[1:]).isidentifier()


# ---------------------------------------------------------------- JSONPath


def path(
    r: Reporter,
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
        r.type_error(
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
        bare_word_filter(r, compiled.path, where, state)
    except PathSyntaxError as exc:
        hint = sentence(exc.reason)
        if not value.startswith("$"):
            hint = f"A path starts with '$', e.g. \"$.{value}\"." if value else "A path starts with '$'."
        r.error(
            f"The value for the field '{key}' must be a valid {kind}, found \"{value}\".",
            where,
            state,
            hint,
        )
        return
    if reference and (not compiled.definite or compiled.path.function is not None):
        r.error(
            f"Value is not a Reference Path: \"{value}\" in field '{key}'.",
            where,
            state,
            "A reference path may only use '.name', ['name'] and [index] steps "
            "(no wildcards, filters, slices, unions, '..' or functions).",
        )


def bare_word_filter(r: Reporter, compiled: Any, where: str, state: str | None) -> None:
    """A WARNING for a filter that compares with an unquoted word, ``[?(@.status==Failure)]``.

    AWS accepts the definition (three public sample repositories deploy such a filter), so it
    is no error; but Jayway cannot compile the filter (it reads the word as a number), so the
    state fails with ``States.Runtime`` when it evaluates the path. See
    :class:`aslrun.expressions.jsonpath_errors.BareWordFilter`.
    """
    problem = getattr(compiled, "problem", None)
    if problem is None:
        return
    r.add(
        BARE_WORD_FILTER,
        f"The filter in \"{compiled.text}\" compares with the unquoted word {problem.word}: Step Functions "
        "accepts the definition, but its JSONPath engine (Jayway) reads the word as a number and cannot "
        "compile the filter, so the state fails with States.Runtime when it evaluates the path.",
        where,
        state,
        f"Quote the word: '{problem.word}'.",
        severity="WARNING",
    )


def path_or_intrinsic(
    r: Reporter, value: Any, key: str, where: str, state: str | None, *, reference: bool
) -> None:
    """A path, or (when it does not start with ``$``) an intrinsic function call."""
    if isinstance(value, str) and not value.startswith("$"):
        intrinsic(r, value, key, where, state)
    else:
        path(r, value, key, where, state, reference=reference)


def intrinsic(
    r: Reporter, text: str, key: str, where: str, state: str | None, *, holder: str | None = None
) -> None:
    """An intrinsic function call such as ``States.Format('{}', $.name)``.

    ``holder`` is the pointer of the object holding ``key`` in a payload template: AWS reports
    an invalid escape inside the call's strings there (at ``/States/S/Parameters`` for
    ``Parameters.a.$``), naming the field in the message, so aslrun does too.
    """
    module = r.optional_module("aslrun.expressions.intrinsics")
    reason: str | None = None
    if module is not None:
        try:
            module.compile_intrinsic(text)
        except module.IntrinsicSyntaxError as exc:
            reason = str(getattr(exc, "reason", exc))
    elif not _INTRINSIC_SHAPE.match(text):
        reason = "an intrinsic function call looks like States.Format('{}', $.name)"
    if reason is not None:
        if holder is not None and "backslash" in reason:
            where = holder
        hint = sentence(reason)
        if key.endswith(".$"):
            message = f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call"
        else:
            message = f"The value for the field '{key}' must be a valid Reference Path or a valid intrinsic function call"
        r.error(f'{message}, found "{text}".', where, state, hint)


def template(r: Reporter, value: Any, where: str, state: str | None) -> None:
    """A JSONPath payload template: check every ``key.$`` and renamed-key collisions."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            template(r, item, join_pointer(where, i), state)
        return
    if not isinstance(value, dict):
        return
    plain = {k for k in value if not k.endswith(".$")}
    for key, item in value.items():
        at = join_pointer(where, key)
        if not key.endswith(".$"):
            template(r, item, at, state)
            continue
        if key[:-2] in plain:
            r.error(
                f"The field '{key[:-2]}' appears twice once '.$' is removed from '{key}'.",
                at,
                state,
                f"Rename or remove '{key[:-2]}' or '{key}'.",
            )
        if not isinstance(item, str):
            r.error(
                f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
                f"function call, found {describe(item)}.",
                at,
                state,
                f"Drop the '.$' from '{key}' to use the value as a literal.",
            )
        elif item.startswith("$"):
            _template_path(r, item, key, at, state)
        else:
            intrinsic(r, item, key, at, state, holder=where)


def _template_path(r: Reporter, text: str, key: str, where: str, state: str | None) -> None:
    from aslrun.expressions.access import compile_value_path
    from aslrun.expressions.jsonpath import PathSyntaxError

    try:
        bare_word_filter(r, compile_value_path(text).path, where, state)
    except PathSyntaxError as exc:
        r.error(
            f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function "
            f'call, found "{text}".',
            where,
            state,
            sentence(exc.reason),
        )


# ---------------------------------------------------------------- JSONata


def jsonata_string(r: Reporter, text: str, where: str, state: str | None) -> None:
    """A string that may be a JSONata expression: delimiters, syntax and what it reads."""
    starts, ends = text.startswith("{%"), text.endswith("%}")
    if not (starts or ends):
        return
    if not (starts and ends and len(text) >= 4):
        r.add(
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
        r.add(
            INVALID_JSONATA,
            "Unexpected end of expression: the JSONata expression is empty.",
            where,
            state,
            "Write an expression between '{%' and '%}', e.g. \"{% $states.input %}\".",
        )
        return
    module = r.optional_module("aslrun.expressions.jsonata")
    check: Callable[[str], str | None] | None = getattr(module, "check_syntax", None) if module else None
    if check is not None:
        problem = check(inner)
        if problem:
            r.add(
                INVALID_JSONATA,
                problem,
                where,
                state,
                "Fix the JSONata expression between '{%' and '%}'.",
            )
            return
    _jsonata_references(r, inner, where, state)


def _jsonata_references(r: Reporter, inner: str, where: str, state: str | None) -> None:
    """AWS refuses expressions that read no document, and $states members read where they don't exist."""
    refs_module = r.optional_module("aslrun.expressions.jsonata_refs")
    if refs_module is None:
        return
    refs = refs_module.StatesReference()
    for message in refs_module.top_level_problems(inner, refs):
        r.add(
            UNSUPPORTED_JSONATA,
            message,
            where,
            state,
            "A JSONata expression has no input document: read the state input as $states.input.<field>.",
        )
    if "errorOutput" in refs.members and "/Catch/" not in where:
        r.add(
            UNSUPPORTED_JSONATA,
            "$states.errorOutput is only available in a Catcher's Output and Assign.",
            where,
            state,
            "Move this expression into the Output or Assign of a Catch entry.",
        )


def jsonata_value(
    r: Reporter, value: Any, where: str, state: str | None, *, warn_dollar_keys: bool = True
) -> None:
    """Every string in a JSONata field (nested anywhere) is checked for its delimiters."""
    if isinstance(value, str):
        jsonata_string(r, value, where, state)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            jsonata_value(r, item, join_pointer(where, i), state, warn_dollar_keys=warn_dollar_keys)
    elif isinstance(value, dict):
        for key, item in value.items():
            at = join_pointer(where, key)
            if warn_dollar_keys and isinstance(key, str) and key.endswith(".$"):
                r.add(
                    LITERAL_KEY,
                    f"The key '{key}' is taken literally in a JSONata state.",
                    at,
                    state,
                    f"Name the key '{key[:-2]}' and give it a JSONata value such as "
                    '"{% $states.input.x %}".',
                    severity="WARNING",
                )
            jsonata_value(r, item, at, state, warn_dollar_keys=warn_dollar_keys)


def payload(r: Reporter, value: Any, where: str, state: str | None, lang: str) -> None:
    """A payload field: a JSONPath template, or JSONata values, as ``lang`` says."""
    if lang == JSONPATH:
        template(r, value, where, state)
    else:
        jsonata_value(r, value, where, state)


# ---------------------------------------------------------------- Assign


def assign(r: Reporter, value: Any, where: str, state: str | None, lang: str) -> None:
    """An ``Assign`` object: valid, unreserved variable names, then its values."""
    if not isinstance(value, dict):
        r.type_error("OBJECT", value, where, state, 'Assign maps variable names to values: {"name": 1}.')
        return
    for key in value:
        name = key[:-2] if lang == JSONPATH and key.endswith(".$") else key
        at = join_pointer(where, key)
        if name == "states":
            r.error("'states' is a reserved variable name.", at, state, "Choose another variable name.")
        elif len(name) > MAX_NAME:
            r.error(
                f"Variable names must be at most {MAX_NAME} characters long; this one has {len(name)}.",
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
            r.error(f'"{name}" is not a valid variable name.', at, state, hint)
    payload(r, value, where, state, lang)
