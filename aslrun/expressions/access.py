"""Where a JSONPath-mode path reads from: the input (``$``), the context (``$$``) or a variable (``$name``).

:class:`Env` is what every compiled expression is evaluated against. The context
object is built only when an expression asks for it, because most states never do.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aslrun.expressions.jsonpath import JsonPath, PathNotFound, PathSyntaxError, compile_path

if TYPE_CHECKING:
    from aslrun.expressions.cache import ExpressionCache

__all__ = ["Env", "ValuePath", "compile_value_path", "is_variable_path"]

_MISSING: Any = object()


class Env:
    """The data an expression sees: state input, variables, and a lazily built context object."""

    __slots__ = ("input", "variables", "rng", "_context", "_context_factory")

    def __init__(
        self,
        input: Any,
        variables: Mapping[str, Any] | None = None,
        context: Any = None,
        context_factory: Callable[[], Any] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.input = input
        self.variables: Mapping[str, Any] = variables if variables is not None else {}
        #: the execution's random source (States.UUID, States.MathRandom); owned by the interpreter
        self.rng = rng if rng is not None else random.Random()
        self._context = context
        self._context_factory = context_factory

    @property
    def context(self) -> Any:
        if self._context is None and self._context_factory is not None:
            self._context = self._context_factory()
        return self._context

    def with_input(self, value: Any) -> Env:
        """The same variables and context, another input."""
        return Env(value, self.variables, self._context, self._context_factory, self.rng)


def is_variable_path(text: str) -> bool:
    """``$name...`` (a variable reference) as opposed to ``$``, ``$.x``, ``$[0]`` or ``$$``."""
    return len(text) > 1 and text[0] == "$" and text[1] not in ".[$"


class ValuePath:
    """A compiled path with its source. ``get(env)`` returns the selected value.

    Raises :class:`PathNotFound` when a definite path selects nothing (or the
    variable is not defined).
    """

    __slots__ = ("text", "source", "variable", "path", "definite", "get")

    def __init__(self, text: str, source: str, path: JsonPath, variable: str | None = None) -> None:
        self.text = text
        self.source = source
        self.path = path
        self.variable = variable
        self.definite = path.definite
        #: ``get(env)``: the selected value; a closure specialised for the common case
        self.get: Callable[[Env], Any] = self._fast_getter()

    def __repr__(self) -> str:
        return f"ValuePath({self.text!r})"

    def _fast_getter(self) -> Callable[[Env], Any]:
        """Definite paths on the input read dicts and lists directly; anything unusual (a miss, a
        wrong type) goes through the general evaluation, which also words the error."""
        slow = self._get
        if self.source != "input" or not self.definite or self.path.function is not None:
            return slow
        keys = self.path.keys
        if not keys:
            return lambda env: env.input
        if len(keys) == 1 and isinstance(keys[0], str):
            key = keys[0]

            def get_one(env: Env) -> Any:
                data = env.input
                if type(data) is dict:
                    value = data.get(key, _MISSING)
                    if value is not _MISSING:
                        return value
                return slow(env)

            return get_one

        def get_many(env: Env) -> Any:
            node = env.input
            for key in keys:
                if isinstance(key, str):
                    if type(node) is not dict:
                        return slow(env)
                    node = node.get(key, _MISSING)
                    if node is _MISSING:
                        return slow(env)
                else:
                    if type(node) is not list or not -len(node) <= key < len(node):
                        return slow(env)
                    node = node[key]
            return node

        return get_many

    def _get(self, env: Env) -> Any:
        source = self.source
        if source == "input":
            return self.path.evaluate(env.input)
        if source == "context":
            return self.path.evaluate(env.context)
        name = self.variable or ""
        variables = env.variables
        if name not in variables:
            raise PathNotFound(f"The variable '{name}' is not defined")
        return self.path.evaluate(variables[name])

    def exists(self, env: Env) -> bool:
        try:
            self.get(env)
        except PathNotFound:
            return False
        return True


def compile_value_path(
    text: str,
    allow_context: bool = True,
    allow_variables: bool = True,
    cache: ExpressionCache | None = None,
) -> ValuePath:
    """Compile ``$...``, ``$$...`` or ``$var...`` (through ``cache``, an interpreter's, if given).

    Raises :class:`aslrun.expressions.jsonpath.PathSyntaxError` for bad syntax or a
    source that the field does not allow.
    """
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathSyntaxError("a path must start with '$'", str(text))
    if text.startswith("$$"):
        if not allow_context:
            raise PathSyntaxError("this field cannot refer to the context object ('$$')", text)
        return ValuePath(text, "context", compile_path(text[1:], cache))
    if is_variable_path(text):
        if not allow_variables:
            raise PathSyntaxError("this field cannot refer to a variable", text)
        end = len(text)
        for i in range(1, len(text)):
            if text[i] in ".[":
                end = i
                break
        name = text[1:end]
        if not _is_identifier(name):
            raise PathSyntaxError(f"{name!r} is not a valid variable name", text)
        return ValuePath(text, "variable", compile_path("$" + text[end:], cache), variable=name)
    return ValuePath(text, "input", compile_path(text, cache))


def _is_identifier(name: str) -> bool:
    return bool(name) and (name[0].isidentifier()) and ("_" + name[1:]).isidentifier()
