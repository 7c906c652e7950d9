"""Checks of the expressions in a definition: JSONPath, payload templates, intrinsics, JSONata, Assign.

Paths (``InputPath``, ``OutputPath``) and reference paths (``ResultPath``, ``ItemsPath``,
``*Path``) are compiled with :func:`aslrun.expressions.access.compile_value_path`; every
``key.$`` of a JSONPath payload template must hold a path or an intrinsic function call
(checked by :func:`aslrun.expressions.intrinsics.compile_intrinsic`, imported lazily);
JSONata strings must be enclosed in ``{%`` and ``%}`` and parse
(``aslrun.expressions.jsonata.check_syntax``); ``key.$`` keys in a JSONata state are
warned about; ``Assign`` must name valid, unreserved variables.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from typing import Any

from aslrun.validate.report import (
    _MAX_NAME,
    INVALID_JSONATA,
    JSONPATH,
    LITERAL_KEY,
    UNSUPPORTED_JSONATA,
    _describe,
    _Reporter,
    _sentence,
    join_pointer,
)

_INTRINSIC_SHAPE = re.compile(r"^\s*States\.[A-Za-z0-9_.]+\s*\(.*\)\s*$", re.S)


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


class _ExpressionChecks(_Reporter):
    """Checks of one expression value: a path, a payload template, an intrinsic call, JSONata, Assign."""

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
                return
        self.jsonata_references(inner, where, state)

    def jsonata_references(self, inner: str, where: str, state: str | None) -> None:
        """AWS refuses expressions that read no document, and $states members read where they don't exist."""
        refs_module = self.hook("aslrun.expressions.jsonata_refs")
        if refs_module is None:
            return
        refs = refs_module.StatesReference()
        for message in refs_module.top_level_problems(inner, refs):
            self.add(
                UNSUPPORTED_JSONATA,
                message,
                where,
                state,
                "A JSONata expression has no input document: read the state input as $states.input.<field>.",
            )
        if "errorOutput" in refs.members and "/Catch/" not in where:
            self.add(
                UNSUPPORTED_JSONATA,
                "$states.errorOutput is only available in a Catcher's Output and Assign.",
                where,
                state,
                "Move this expression into the Output or Assign of a Catch entry.",
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

    # ------------------------------------------------------------ Assign

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
