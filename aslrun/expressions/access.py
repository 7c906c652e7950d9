"""Where a JSONPath-mode path reads from: the input (``$``), the context (``$$``) or a variable (``$name``).

:class:`Env` is what every compiled expression is evaluated against. The context
object is built only when an expression asks for it, because most states never do.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from operator import attrgetter
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
        env = _new_env(Env)  # every data-flow step makes one: without __init__'s defaults
        env.input = value
        env.variables = self.variables
        env.rng = self.rng
        env._context = self._context
        env._context_factory = self._context_factory
        return env


_new_env = object.__new__


def _field_reader(keys: tuple[str | int, ...], missing: Callable[[Env], Any]) -> Callable[[Env], Any]:
    """A reader for ``$.a.b.c`` (names only): one subscript per name; a missing key or a node that is
    not an object (a list, a string, null: each raises KeyError or TypeError) goes to ``missing``."""
    if len(keys) == 1:
        (k1,) = keys

        def get1(env: Env) -> Any:
            try:
                return env.input[k1]
            except (KeyError, TypeError):
                return missing(env)

        return get1
    if len(keys) == 2:
        k1, k2 = keys

        def get2(env: Env) -> Any:
            try:
                return env.input[k1][k2]
            except (KeyError, TypeError):
                return missing(env)

        return get2
    if len(keys) == 3:
        k1, k2, k3 = keys

        def get3(env: Env) -> Any:
            try:
                return env.input[k1][k2][k3]
            except (KeyError, TypeError):
                return missing(env)

        return get3

    return _walker(keys, missing, _INPUT)


def _context_reader(keys: tuple[str | int, ...], missing: Callable[[Env], Any]) -> Callable[[Env], Any]:
    """A reader for ``$$.Map.Item.Value`` (names only), as :func:`_field_reader` for the input."""
    return _walker(keys, missing, _CONTEXT)


_INPUT = attrgetter("input")
_CONTEXT = attrgetter("context")


def _walker(keys: tuple[str | int, ...], missing: Callable[[Env], Any],
            root: Callable[[Env], Any]) -> Callable[[Env], Any]:
    """A reader of ``keys`` from ``root(env)`` (the input or the context), any number of them."""

    def get(env: Env) -> Any:
        node = root(env)
        try:
            for key in keys:
                node = node[key]
        except (KeyError, TypeError):
            return missing(env)
        return node

    return get


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
        return self.reader(self._get)

    def reader(self, missing: Callable[[Env], Any]) -> Callable[[Env], Any]:
        """A closure that reads this path, specialised for the common case: definite paths on the input
        read dicts and lists directly; anything unusual (a miss, a wrong type, another source) goes to
        ``missing(env)``, which evaluates in general (and words the error)."""
        if self.source == "context" and self.definite and self.path.function is None \
                and all(type(key) is str for key in self.path.keys):
            return _context_reader(self.path.keys, missing)
        if self.source != "input" or not self.definite or self.path.function is not None:
            return missing
        keys = self.path.keys
        if not keys:
            return lambda env: env.input
        if all(type(key) is str for key in keys):
            return _field_reader(keys, missing)
        slow = missing

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
