"""JSONPath-mode Choice rules, compiled once into predicates.

:func:`compile_condition` turns one rule from the definition into a
:class:`Condition` (or into diagnostics, if the rule is malformed). Everything that
can be decided at load time is decided then: the paths are compiled, literal
timestamps parsed, ``StringMatches`` patterns turned into regular expressions, and
each comparison becomes a small closure, so evaluating a simple rule is a path
lookup and one comparison.

Semantics, as AWS runs them:

* a comparison whose operand has the wrong type is false, never an error
  (``NumericEquals`` on a string, ``BooleanEquals`` on ``1``; booleans are never
  numbers);
* numbers compare as IEEE-754 doubles, as the spec allows (integers beyond 2**53
  may compare equal to their neighbours);
* strings compare code point by code point;
* timestamps compare by the instant they name (see :mod:`.timestamps`);
* a ``Variable`` (or ``*Path`` operand) that selects nothing fails the execution with
  ``States.Runtime``, except for ``IsPresent``, which is then just false.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aslrun.errors import Diagnostic, StatesError
from aslrun.expressions.access import Env, ValuePath, compile_value_path
from aslrun.expressions.jsonpath import PathNotFound, PathSyntaxError
from aslrun.expressions.timestamps import timestamp_key

if TYPE_CHECKING:
    from aslrun.expressions.cache import ExpressionCache

__all__ = ["OPERATORS", "Condition", "compile_condition", "compile_string_matches", "missing_path_cause"]

_CODE = "SCHEMA_VALIDATION_FAILED"
_MISSING: Any = object()

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}
#: operator name -> (operand kind, comparison); each also has a "...Path" form
_COMPARISONS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    **{f"String{suffix}": ("string", cmp) for suffix, cmp in _ORDER.items()},
    **{f"Numeric{suffix}": ("number", cmp) for suffix, cmp in _ORDER.items()},
    **{f"Timestamp{suffix}": ("timestamp", cmp) for suffix, cmp in _ORDER.items()},
    "BooleanEquals": ("boolean", operator.eq),
}
_TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
#: every comparison operator a data-test rule may use
OPERATORS: frozenset[str] = frozenset(
    [*_COMPARISONS, *(name + "Path" for name in _COMPARISONS), "StringMatches", *_TYPE_TESTS]
)
_BOOLEAN_KEYS = ("And", "Or", "Not")
_TOP_LEVEL_ONLY = ("Next", "Assign", "Output")
_KNOWN_KEYS = sorted({*OPERATORS, *_BOOLEAN_KEYS, *_TOP_LEVEL_ONLY, "Variable", "Comment"})

_KIND_WORDS = {
    "string": "a string",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "timestamp": "a timestamp string",
}


def missing_path_cause(path: str) -> str:
    """AWS's cause text when a Choice path selects nothing.

    Quoted from AWS executions in several public projects, e.g.
    ``Invalid path '$.include_private_data': The choice state's condition path
    references an invalid value.``, after the usual ``An error occurred while
    executing the state '<name>' (entered at the event id #<n>).`` prefix, which the
    engine adds. A conformance suite that checks AWS behaviour reports the same words
    for a missing ``*Path`` operand (``Invalid path '$.right'``).
    """
    return f"Invalid path '{path}': The choice state's condition path references an invalid value."


# ---------------------------------------------------------------- compiled conditions


class Condition:
    """A compiled Choice rule (without its ``Next``/``Assign``, which the parser keeps).

    ``evaluate`` raises :class:`~aslrun.errors.StatesError` (``States.Runtime``) when a
    path the rule needs selects nothing.
    """

    __slots__ = ()

    def evaluate(self, env: Env) -> bool:
        """True when the rule matches ``env``."""
        raise NotImplementedError


class _And(Condition):
    __slots__ = ("children",)

    def __init__(self, children: tuple[Condition, ...]) -> None:
        self.children = children

    def evaluate(self, env: Env) -> bool:
        for child in self.children:
            if not child.evaluate(env):
                return False
        return True

    def __repr__(self) -> str:
        return f"And{list(self.children)!r}"


class _Or(Condition):
    __slots__ = ("children",)

    def __init__(self, children: tuple[Condition, ...]) -> None:
        self.children = children

    def evaluate(self, env: Env) -> bool:
        for child in self.children:
            if child.evaluate(env):
                return True
        return False

    def __repr__(self) -> str:
        return f"Or{list(self.children)!r}"


class _Not(Condition):
    __slots__ = ("child",)

    def __init__(self, child: Condition) -> None:
        self.child = child

    def evaluate(self, env: Env) -> bool:
        return not self.child.evaluate(env)

    def __repr__(self) -> str:
        return f"Not({self.child!r})"


class _DataTest(Condition):
    """``Variable`` compared with a literal (or a type test)."""

    __slots__ = ("variable", "operator", "value", "_read", "_test", "_cause")

    def __init__(self, variable: ValuePath, op: str, value: Any, test: Callable[..., bool]) -> None:
        self.variable = variable
        self.operator = op
        self.value = value
        self._read = _reader(variable)
        self._test = test
        self._cause = missing_path_cause(variable.text)

    def evaluate(self, env: Env) -> bool:
        value = self._read(env)
        if value is _MISSING:
            raise StatesError("States.Runtime", self._cause)
        return self._test(value)

    def __repr__(self) -> str:
        return f"<{self.variable.text} {self.operator} {self.value!r}>"


class _KeyTest(_DataTest):
    """The common case ``"Variable": "$.name"``, read without the general path walker."""

    __slots__ = ("_key",)

    def __init__(self, variable: ValuePath, op: str, value: Any, test: Callable[..., bool]) -> None:
        super().__init__(variable, op, value, test)
        self._key = variable.path.keys[0]

    def evaluate(self, env: Env) -> bool:
        node = env.input
        if type(node) is dict:
            value = node.get(self._key, _MISSING)
        else:
            value = self._read(env)
        if value is _MISSING:
            raise StatesError("States.Runtime", self._cause)
        return self._test(value)


class _Present(_DataTest):
    """``IsPresent``: the one test a missing ``Variable`` does not fail."""

    __slots__ = ()

    def evaluate(self, env: Env) -> bool:
        return (self._read(env) is not _MISSING) is self.value


class _PathTest(_DataTest):
    """``Variable`` compared with the value another path selects (the ``*Path`` operators)."""

    __slots__ = ("_read_other", "_other_cause")

    def __init__(
        self, variable: ValuePath, op: str, other: ValuePath, test: Callable[[Any, Any], bool]
    ) -> None:
        super().__init__(variable, op, other.text, test)
        self._read_other = _reader(other)
        self._other_cause = missing_path_cause(other.text)

    def evaluate(self, env: Env) -> bool:
        value = self._read(env)
        if value is _MISSING:
            raise StatesError("States.Runtime", self._cause)
        other = self._read_other(env)
        if other is _MISSING:
            raise StatesError("States.Runtime", self._other_cause)
        return self._test(value, other)


def _reader(path: ValuePath) -> Callable[[Env], Any]:
    """A function returning the value ``path`` selects, or ``_MISSING``."""
    get = path.get

    def read(env: Env) -> Any:
        try:
            return get(env)
        except PathNotFound:
            return _MISSING

    # The path's fast reader, falling back to ``read`` when it does not answer.
    return path.reader(read)


# ---------------------------------------------------------------- the comparisons


def _double(value: int | float) -> float:
    # Step Functions compares numbers as doubles; a JSON integer too large for a
    # double becomes an infinity, as Java's BigInteger.doubleValue() does.
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _literal_test(kind: str, cmp: Callable[[Any, Any], bool], literal: Any) -> Callable[[Any], bool]:
    if kind == "string":

        def test_string(v: Any) -> bool:
            return type(v) is str and cmp(v, literal)

        return test_string
    if kind == "number":
        number = _double(literal)

        def test_number(v: Any) -> bool:
            t = type(v)
            if t is float:
                return cmp(v, number)
            return t is int and cmp(_double(v), number)

        return test_number
    if kind == "boolean":

        def test_boolean(v: Any) -> bool:
            return v is literal

        return test_boolean
    key = timestamp_key(literal)

    def test_timestamp(v: Any) -> bool:
        if type(v) is not str:
            return False
        k = timestamp_key(v)
        return k is not None and cmp(k, key)

    return test_timestamp


def _path_test(kind: str, cmp: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    if kind == "string":

        def test_strings(a: Any, b: Any) -> bool:
            return type(a) is str and type(b) is str and cmp(a, b)

        return test_strings
    if kind == "number":

        def test_numbers(a: Any, b: Any) -> bool:
            ta, tb = type(a), type(b)
            return (ta is int or ta is float) and (tb is int or tb is float) and cmp(_double(a), _double(b))

        return test_numbers
    if kind == "boolean":

        def test_booleans(a: Any, b: Any) -> bool:
            return type(a) is bool and a is b

        return test_booleans

    def test_timestamps(a: Any, b: Any) -> bool:
        if type(a) is not str or type(b) is not str:
            return False
        ka = timestamp_key(a)
        kb = timestamp_key(b)
        return ka is not None and kb is not None and cmp(ka, kb)

    return test_timestamps


def _is_timestamp(v: Any) -> bool:
    return type(v) is str and timestamp_key(v) is not None


_TYPE_PREDICATES: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda v: v is None,
    "IsNumeric": lambda v: type(v) is int or type(v) is float,
    "IsString": lambda v: type(v) is str,
    "IsBoolean": lambda v: type(v) is bool,
    "IsTimestamp": _is_timestamp,
}


def _type_test(op: str, expected: bool) -> Callable[[Any], bool]:
    predicate = _TYPE_PREDICATES[op]
    if expected:
        return predicate
    return lambda v: not predicate(v)


def compile_string_matches(pattern: str) -> re.Pattern[str]:
    """The regular expression for a ``StringMatches`` pattern.

    ``*`` matches any run of characters (including none); ``\\*`` is a literal star,
    ``\\\\`` a literal backslash, and a backslash before any other character stands
    for that character. Raises :class:`ValueError` for a trailing lone backslash.
    """
    parts: list[str] = []
    literal: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            if i + 1 == n:
                raise ValueError("the pattern ends with a lone backslash")
            literal.append(pattern[i + 1])
            i += 2
            continue
        if ch == "*":
            parts.append(re.escape("".join(literal)))
            literal.clear()
            parts.append(".*")
        else:
            literal.append(ch)
        i += 1
    parts.append(re.escape("".join(literal)))
    return re.compile("".join(parts), re.DOTALL)


def _matches_test(regex: re.Pattern[str]) -> Callable[[Any], bool]:
    fullmatch = regex.fullmatch

    def test_matches(v: Any) -> bool:
        return type(v) is str and fullmatch(v) is not None

    return test_matches


# ---------------------------------------------------------------- compiling


def _join(pointer: str, key: str | int) -> str:
    token = str(key).replace("~", "~0").replace("/", "~1")
    return ("" if pointer == "/" else pointer.rstrip("/")) + "/" + token


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    return "object"


class _Compiler:
    def __init__(self, state: str, cache: ExpressionCache | None = None) -> None:
        self.state = state
        self.cache = cache
        self.diagnostics: list[Diagnostic] = []

    def problem(self, location: str, message: str, hint: str) -> None:
        self.diagnostics.append(
            Diagnostic(code=_CODE, message=message, location=location, state=self.state, hint=hint)
        )

    def rule(self, rule: Any, pointer: str, top_level: bool) -> Condition | None:
        if not isinstance(rule, Mapping):
            self.problem(
                pointer,
                f"A choice rule must be a JSON object, found {_json_type(rule)}",
                'Write the rule as an object, e.g. {"Variable": "$.x", "StringEquals": "y", "Next": "S"}.',
            )
            return None
        ok = self.check_keys(rule, pointer, top_level)
        boolean = [k for k in _BOOLEAN_KEYS if k in rule]
        tests = [k for k in rule if k in OPERATORS]
        if boolean and (tests or "Variable" in rule):
            other = "Variable" if "Variable" in rule else tests[0]
            self.problem(
                _join(pointer, other),
                f"Field '{other}' cannot be used together with '{boolean[0]}'",
                "A rule is either a boolean expression (And, Or, Not) or a data test "
                "(Variable with one comparison operator); put the data test inside the "
                f"'{boolean[0]}' list.",
            )
            return None
        if len(boolean) > 1:
            self.problem(
                _join(pointer, boolean[1]),
                f"Field '{boolean[1]}' cannot be used together with '{boolean[0]}'",
                f"Use one boolean operator per rule; nest one inside the other, e.g. "
                f'{{"{boolean[0]}": [..., {{"{boolean[1]}": [...]}}]}}.',
            )
            return None
        if boolean:
            condition = self.boolean(rule, pointer, boolean[0])
        elif tests or "Variable" in rule:
            condition = self.data_test(rule, pointer, tests, ok)
        else:
            if ok:
                self.problem(
                    pointer,
                    "The choice rule has no condition",
                    'Add a data test such as "Variable": "$.x", "StringEquals": "y", '
                    "or a boolean expression (And, Or, Not).",
                )
            return None
        return condition if ok else None

    def check_keys(self, rule: Mapping[str, Any], pointer: str, top_level: bool) -> bool:
        ok = True
        for key in rule:
            if key in OPERATORS or key in _BOOLEAN_KEYS or key in ("Variable", "Comment"):
                continue
            if key in _TOP_LEVEL_ONLY:
                if top_level:
                    continue
                self.problem(
                    _join(pointer, key),
                    f"Field '{key}' is not supported",
                    f"Only a top-level choice rule may have '{key}'; rules nested in And, Or "
                    f"or Not must not. Move it to the enclosing rule in Choices.",
                )
            elif key == "Condition":
                self.problem(
                    _join(pointer, key),
                    "Field 'Condition' is not supported",
                    '\'Condition\' is for JSONata states; set "QueryLanguage": "JSONata" or '
                    "write a JSONPath rule with Variable and a comparison operator.",
                )
            else:
                import difflib  # only for a "did you mean" hint

                close = difflib.get_close_matches(str(key), _KNOWN_KEYS, n=1, cutoff=0.6)
                hint = (
                    f'Did you mean "{close[0]}"?'
                    if close
                    else "Remove it; a choice rule takes Variable with one comparison operator, "
                    "or And, Or or Not."
                )
                self.problem(_join(pointer, key), f"Field '{key}' is not supported", hint)
            ok = False
        return ok

    def boolean(self, rule: Mapping[str, Any], pointer: str, op: str) -> Condition | None:
        value = rule[op]
        where = _join(pointer, op)
        if op == "Not":
            if not isinstance(value, Mapping):
                self.problem(
                    where,
                    f"The field 'Not' must be a single choice rule (an object), found {_json_type(value)}",
                    'To negate several rules, wrap them: {"Not": {"And": [...]}}.'
                    if isinstance(value, list)
                    else 'Write e.g. "Not": {"Variable": "$.x", "IsNull": true}.',
                )
                return None
            child = self.rule(value, where, False)
            return None if child is None else _Not(child)
        if not isinstance(value, list):
            self.problem(
                where,
                f"The field '{op}' must be an array of choice rules, found {_json_type(value)}",
                f'Write e.g. "{op}": [{{"Variable": "$.a", "IsPresent": true}}, ...].',
            )
            return None
        if not value:
            self.problem(
                where, "Value cannot be empty", f"Give '{op}' at least one choice rule, or remove it."
            )
            return None
        children = [self.rule(item, _join(where, i), False) for i, item in enumerate(value)]
        if any(child is None for child in children):
            return None
        compiled = tuple(c for c in children if c is not None)
        return _And(compiled) if op == "And" else _Or(compiled)

    def path(self, rule: Mapping[str, Any], key: str, pointer: str) -> ValuePath | None:
        text = rule[key]
        where = _join(pointer, key)
        if not isinstance(text, str):
            self.problem(
                where,
                f"The value for the field '{key}' must be a path string, found {_json_type(text)}",
                'Paths are strings that start with "$", e.g. "$.order.total".',
            )
            return None
        # AWS's guide says Variable and *Path values "must be valid Reference Paths", and
        # CreateStateMachine has been seen rejecting a bad one with "Value is not a
        # Reference Path: ..." (Stedi-Public-Archive/ts2asl#912). aslrun accepts full
        # JSONPath here (an indefinite path selects a list) by project decision.
        try:
            return compile_value_path(text, cache=self.cache)
        except PathSyntaxError as exc:
            self.problem(
                where,
                f"The value for the field '{key}' must be a valid JSONPath: {exc}",
                'Paths start with "$" ("$.a.b", "$[\'a b\']", "$$.Execution.Id", "$myVar").',
            )
            return None

    def data_test(
        self, rule: Mapping[str, Any], pointer: str, tests: list[str], keys_ok: bool
    ) -> Condition | None:
        variable: ValuePath | None = None
        ok = True
        if "Variable" not in rule:
            self.problem(
                pointer,
                "These fields are required: [Variable]",
                f'Add "Variable": "$.field" naming the value that \'{tests[0]}\' tests.',
            )
            ok = False
        else:
            variable = self.path(rule, "Variable", pointer)
            ok = variable is not None
        if not tests:
            if keys_ok:
                self.problem(
                    pointer,
                    "The choice rule has no comparison operator",
                    'Add exactly one, e.g. "StringEquals": "value", "NumericGreaterThan": 0 or "IsPresent": true.',
                )
            return None
        if len(tests) > 1:
            self.problem(
                _join(pointer, tests[1]),
                f"A choice rule takes exactly one comparison operator, found '{tests[0]}' and '{tests[1]}'"
                + (f" (and {len(tests) - 2} more)" if len(tests) > 2 else ""),
                f'Keep one; to combine tests, use "And": [{{... "{tests[0]}" ...}}, {{... "{tests[1]}" ...}}].',
            )
            return None
        op = tests[0]
        test = self.operand(rule, pointer, op)
        if test is None or not ok or variable is None:
            return None
        kind, value, tester = test
        if kind == "path":
            return _PathTest(variable, op, value, tester)
        if op == "IsPresent":
            return _Present(variable, op, value, tester)
        cls = _KeyTest if _is_input_key(variable) else _DataTest
        return cls(variable, op, value, tester)

    def operand(self, rule: Mapping[str, Any], pointer: str, op: str) -> tuple[str, Any, Any] | None:
        value = rule[op]
        where = _join(pointer, op)
        if op in _TYPE_TESTS:
            if type(value) is not bool:
                self.problem(
                    where,
                    f"The value for the field '{op}' must be a boolean, found {_json_type(value)}",
                    f'Write "{op}": true or "{op}": false.',
                )
                return None
            return "literal", value, (bool if op == "IsPresent" else _type_test(op, value))
        if op == "StringMatches":
            if type(value) is not str:
                self.problem(
                    where,
                    f"The value for the field 'StringMatches' must be a string, found {_json_type(value)}",
                    'Write a pattern where "*" matches any characters, e.g. "*.log".',
                )
                return None
            try:
                regex = compile_string_matches(value)
            except ValueError:
                self.problem(
                    where,
                    "The value for the field 'StringMatches' ends with a lone backslash",
                    'Escape a literal backslash as "\\\\\\\\" (two backslashes in the pattern) '
                    'and a literal star as "\\\\*".',
                )
                return None
            return "literal", value, _matches_test(regex)
        if op.endswith("Path"):
            base = op[:-4]
            other = self.path(rule, op, pointer)
            if other is None:
                return None
            kind, cmp = _COMPARISONS[base]
            return "path", other, _path_test(kind, cmp)
        kind, cmp = _COMPARISONS[op]
        if not _literal_ok(kind, value):
            if kind == "timestamp" and isinstance(value, str):
                self.problem(
                    where,
                    "String does not match RFC3339 timestamp",
                    'Write the time like "2016-03-14T01:59:00Z" (uppercase T and Z; '
                    'fractional seconds and offsets such as "+01:00" are allowed).',
                )
            else:
                self.problem(
                    where,
                    f"The value for the field '{op}' must be {_KIND_WORDS[kind]}, found {_json_type(value)}",
                    f'To compare with a value from the input, use "{op}Path": "$.field".'
                    if isinstance(value, str) and value.startswith("$")
                    else _KIND_HINTS[kind].format(op=op),
                )
            return None
        return "literal", value, _literal_test(kind, cmp, value)


_KIND_HINTS = {
    "string": 'Write e.g. "{op}": "text" (quote numbers you want compared as strings).',
    "number": 'Write e.g. "{op}": 42 (a JSON number, not a quoted string).',
    "boolean": 'Write "{op}": true or "{op}": false.',
    "timestamp": 'Write e.g. "{op}": "2016-03-14T01:59:00Z".',
}


def _literal_ok(kind: str, value: Any) -> bool:
    if kind == "string":
        return type(value) is str
    if kind == "number":
        return type(value) is int or (type(value) is float and math.isfinite(value))
    if kind == "boolean":
        return type(value) is bool
    return type(value) is str and timestamp_key(value) is not None


def _is_input_key(path: ValuePath) -> bool:
    return (
        path.source == "input"
        and path.definite
        and path.path.function is None
        and len(path.path.keys) == 1
        and isinstance(path.path.keys[0], str)
    )


def compile_condition(
    rule: Any, pointer: str, state: str, top_level: bool, cache: ExpressionCache | None = None
) -> tuple[Condition | None, list[Diagnostic]]:
    """Compile one JSONPath-mode choice rule.

    ``pointer`` is the rule's JSON Pointer (``/States/Check/Choices/0``) and ``state``
    the Choice state's name; both go into the diagnostics. A top-level rule may carry
    ``Next``, ``Assign``, ``Comment`` and ``Output``, which are left to the caller;
    nested rules (inside ``And``/``Or``/``Not``) may not. Returns the condition and an
    empty list, or ``None`` and one diagnostic per problem. Paths are compiled through
    ``cache`` (an interpreter's), if given.
    """
    compiler = _Compiler(state, cache)
    condition = compiler.rule(rule, pointer, top_level)
    if compiler.diagnostics:
        return None, compiler.diagnostics
    return condition, []
