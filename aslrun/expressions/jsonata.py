"""JSONata mode: compile ``{% ... %}`` expressions once, evaluate them as AWS does.

AWS Step Functions runs JSONata 2.0.6 (jsonata-js semantics) without ``$eval`` and with
six functions of its own: ``$partition``, ``$range``, ``$hash``, ``$random([seed])``,
``$uuid`` and ``$parse``. The engine here is jsonata-python (a port of jsonata-java, itself
a port of jsonata-js 2.x). :class:`Expression` parses once at load time; each evaluation
only builds one small frame holding the :class:`Scope` and an engine of its own (the library
keeps evaluation state on its engine), so a compiled expression can run many times, from
several threads, without re-parsing or shared mutable state.

What the wrapper corrects in jsonata-python, with the jsonata-js 2.0.6 behaviour (checked
against jsonata 2.0.6 under node) or the AWS recording it copies:

* JSON ``null`` inside arrays and variables was read as *undefined*
  (``$states.input.arr[1]``, ``$count(null)`` = 0): data entering an evaluation is
  converted to the library's null marker, and ``$count`` counts a null as one value.
* numbers: JavaScript doubles. ``1/0`` is ``Infinity`` (AWS writes ``"Infinity"``,
  ``"-Infinity"``, ``"NaN"`` in results, as measured by floci-io/floci), ``7.5 % 2`` is
  ``1.5``, an integral double comes out as a Python ``int``; ``$string`` and ``&`` write
  numbers as jsonata-js does (15 significant digits, ``1e+21`` from 1e21 on, ``1e-7``).
* ``$number``, ``$distinct``, ``in`` follow jsonata-js (``$number(" 12 ")`` fails with
  D3030, ``$distinct([[1],[1]])`` is ``[[1]]``, ``1 in [true]`` is false).
* ``$now()``/``$millis()`` read the execution's clock (:attr:`Scope.now`), not the wall clock.
* regular expressions are written in JavaScript syntax; they are translated for ``re``
  (``(?<name>``, ``\\d``/``\\w`` ASCII-only, ``.`` and ``$`` as in JavaScript).
* error messages: jsonata-python's catalogue says "Object" for "function" and does not
  JSON-quote values; causes use jsonata-js's catalogue (``T2001: The left side of the "+"
  operator must evaluate to a number``), with the argument index jsonata-js blames and the
  function named as the call site wrote it. Python exceptions escaping a built-in are
  mapped to the jsonata-js code of that function (D3030, D3110, D3132, D3140, D3061, D3070).
* ``$sort``, ``$match``, ``$replace``, ``$split``, ``$contains``, ``$clone`` and transforms
  are ports of jsonata-js (merge sort, regex match walking with D1004, ``$n`` replacement
  rules, null-preserving clone); JSON null takes the signature symbol ``l`` as in jsonata-js.
* speed: ``$name.a.b`` paths through objects skip the library's sequence machinery, and
  the evaluator skips the per-step hook lookups aslrun never installs.

Known remaining differences are listed in ``KNOWN_DEVIATIONS`` below.

This module holds the public API, the scope, the evaluator and the field walk; beside it
``jsonata_functions`` holds the built-ins (AWS's own and the jsonata-js ports),
``jsonata_values`` JavaScript numbers and text and the conversion of values in and out,
``jsonata_regex`` the regex translation and match walking, and ``jsonata_messages`` the
jsonata-js message catalogue.

AWS semantics of the field walk (recorded in the conformance corpus and LocalStack
snapshots): an expression anywhere in a field template that evaluates to undefined fails
the state with ``States.QueryEvaluationError`` naming the field path (``Output``,
``Output/result``, ``Arguments/Input/pushLocation``, ``Output/a[0]``); only keys of an
object built *inside* JSONata (``{% {"a": $nothing} %}``) are silently dropped.
"""

from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from aslrun.errors import StatesError
from aslrun.expressions._jsonata_lib import Functions, JException, Jsonata, Parser, Utils
from aslrun.expressions._limits import deeper_than, depth_message
from aslrun.expressions.jsonata_functions import BASE_FRAME, JsSignature
from aslrun.expressions.jsonata_messages import MESSAGES, NO_VALUE, message_fields, render_message
from aslrun.expressions.jsonata_regex import js_regex, regex_result
from aslrun.expressions.jsonata_values import (
    HasFunction,
    clone_value,
    js_items,
    js_json,
    js_string,
    to_external,
    to_internal,
)

__all__ = [
    "Expression",
    "FUNCTION",
    "Field",
    "JsonataError",
    "JsonataSyntaxError",
    "KNOWN_DEVIATIONS",
    "QUERY_EVALUATION_ERROR",
    "Scope",
    "UNDEFINED",
    "check_syntax",
    "compile_expression",
    "compile_field",
    "is_jsonata",
    "type_name",
    "unexpected_type",
]

#: the ASL error of every JSONata failure
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"

#: differences from jsonata-js 2.0.6 / AWS that remain (see also the module docstring)
KNOWN_DEVIATIONS = (
    "a regex called directly (/re/('s')) returns its match object with a 'next' function, "
    "which a field reports as an unsupported result type",
    "AWS's evaluation bounds (nesting depth 100, about 7 MB per value) are not enforced; aslrun "
    "refuses values nested deeper than MAX_JSON_DEPTH and evaluations deeper than Python's "
    "recursion limit (D1011)",
    "$base64encode/$base64decode use UTF-8 (jsonata-js under node uses Latin-1; AWS unknown)",
    "$formatNumber, $formatInteger, $formatBase, $fromMillis and $toMillis pictures are "
    "jsonata-python's (e.g. $toMillis rejects 2024-02-30, jsonata-js rolls it over)",
    "string positions count code points; JavaScript counts UTF-16 units in regex match indexes",
    "Python exceptions from other built-ins become an error without a jsonata-js code",
)


class _Undefined:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


#: JSONata's *undefined*: what :meth:`Expression.evaluate` returns for "nothing"
UNDEFINED: Any = _Undefined()


class _FunctionValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "FUNCTION"


#: what :meth:`Expression.evaluate` returns when the result is (or holds) a function
FUNCTION: Any = _FunctionValue()


class JsonataSyntaxError(ValueError):
    """An expression that does not parse. ``reason`` reads like jsonata-js: ``S0202: ...``."""

    def __init__(self, reason: str, text: str, position: int | None = None) -> None:
        self.reason = reason
        self.text = text
        self.position = position
        super().__init__(f"{reason} in {text!r}")


class JsonataError(Exception):
    """An evaluation error. ``str()`` is what AWS puts in the cause: ``T1006: Attempted ...``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if code else message)


def is_jsonata(value: Any) -> bool:
    """A string that is one JSONata expression: ``{%`` first and ``%}`` last, nothing around."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


# ---------------------------------------------------------------- messages


def _translate(exc: JException) -> JsonataError:
    code = exc.error
    if code not in MESSAGES:
        # jsonata-python raises a few errors with the whole message in the code slot
        return JsonataError("", str(code))
    return JsonataError(code, render_message(code, message_fields(exc)))


def _syntax_error(exc: JException, text: str) -> JsonataSyntaxError:
    err = _translate(exc)
    fields = message_fields(exc)
    if exc.error == "S0301" and exc.current is not None:  # the port's code for a bad escape
        err = JsonataError("S0103", render_message("S0103", {"token": exc.current}))
    if exc.error == "S0102" and "token" not in fields:
        m = re.compile(r"-?[0-9.]+[eE][-+]?[0-9]+").search(text, max(exc.location - 1, 0))
        if m:
            err = JsonataError("S0102", render_message("S0102", {"token": m.group(0)}))
    return JsonataSyntaxError(str(err), text, exc.location if exc.location >= 0 else None)


def check_syntax(expr: str) -> str | None:
    """``None`` when the expression (the text between ``{%`` and ``%}``) parses, else why not."""
    try:
        compile_expression(expr)
    except JsonataSyntaxError as exc:
        return exc.reason
    return None


# ---------------------------------------------------------------- values in and out


def type_name(value: Any) -> str:
    """The type name AWS uses in causes: array, object, string, number, boolean, null."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if value is UNDEFINED:
        return "undefined"
    if value is FUNCTION:
        return "function"
    return type(value).__name__


# ---------------------------------------------------------------- the scope


class Scope:
    """What an evaluation sees: ``$states``, the state machine's variables, RNG and clock.

    ``states`` holds ``input`` and ``context`` (and ``result`` / ``errorOutput`` where AWS
    allows them); ``variables`` maps each variable name to its value (read-only here);
    ``rng`` drives ``$random()`` and ``$uuid()``; ``now`` (epoch seconds) is what
    ``$now()`` and ``$millis()`` return. Values are converted for the engine once per scope.
    """

    __slots__ = ("states", "variables", "rng", "now", "_states", "_vars")

    def __init__(
        self,
        states: dict[str, Any],
        variables: Mapping[str, Any],
        rng: random.Random | None = None,
        now: float | None = None,
    ) -> None:
        self.states = states
        self.variables = variables
        self.rng = rng
        self.now = now
        self._states: Any = None
        self._vars: dict[str, Any] = {}

    def _lookup(self, name: str) -> Any:
        if name == "states":
            if self._states is None:
                self._states = to_internal(_shallow_enough(self.states, "The value of $states"))
            return self._states
        try:
            return self._vars[name]
        except KeyError:
            pass
        if name in self.variables:
            value = _shallow_enough(self.variables[name], f"The variable ${name}")
            value = self._vars[name] = to_internal(value)
            return value
        return BASE_FRAME.lookup(name)

    def millis(self) -> int:
        """``$millis()``: the scope's clock in milliseconds since the epoch."""
        if self.now is None:
            self.now = time.time()  # no clock given: the first use fixes one for this scope
        return int(self.now * 1000)

    def random_source(self) -> random.Random:
        """What ``$random()`` and ``$uuid()`` draw from: the scope's RNG."""
        if self.rng is None:
            self.rng = random.Random()
        return self.rng


def _shallow_enough(value: Any, what: str) -> Any:
    """``value``, unless it nests deeper than the converters (and the evaluator) may recurse."""
    if deeper_than(value):
        raise JsonataError("", depth_message(what))
    return value


class _Frame(Jsonata.Frame):
    """A frame whose ``bind`` leaves functions alone.

    The library's ``bind`` renames the signature of a function bound to a new name
    (``$f := $sum``), which would rename the shared built-in for every evaluation.
    """

    def bind(self, name: str, val: Any) -> None:
        self.bindings[name] = val


class _ScopeFrame(_Frame):
    """The one frame an evaluation creates: its own ``:=`` bindings, then the scope."""

    def __init__(self, scope: Scope) -> None:
        self.bindings = {"$": None}
        self.parent = BASE_FRAME
        self.is_parallel_call = False
        self.scope = scope

    def lookup(self, name: str) -> Any:
        value = self.bindings.get(name, NO_VALUE)
        if value is not NO_VALUE:
            return value
        if name.startswith("__"):
            return None  # the library asks for its evaluation hooks on every step
        return self.scope._lookup(name)


# ---------------------------------------------------------------- the engine


#: evaluation steps one expression may take; a tail-recursive loop with no base case would
#: otherwise never end (AWS stops evaluations on its own bounds, not reproduced exactly)
MAX_EVALUATION_STEPS = 2_000_000


class _Engine(Jsonata):
    """One per evaluation: the state the library keeps on the instance is never shared.

    The attributes that never change are class attributes, so creating one costs little.
    """

    errors = None
    ast = None
    timestamp = 0
    regex_engine = staticmethod(js_regex)
    timeout = None
    stack = None
    validate_input = False
    output_convert_nulls = False

    def __init__(self, scope: Scope) -> None:  # no super().__init__: no expression of its own
        self.parser = Jsonata.get_parser()
        self.environment = None
        self.input = None
        self.scope = scope
        self.budget = MAX_EVALUATION_STEPS

    def get_per_thread_instance(self) -> _Engine:
        return self

    def create_frame(self, enclosing_environment: Any = None) -> Any:
        return _Frame(enclosing_environment)

    def eval(self, expr: Any, input: Any, environment: Any) -> Any:
        # the library's eval without the per-thread instance lookup (this engine is the evaluation's own)
        saved_input, saved_environment = self.input, self.environment
        try:
            return self._eval(expr, input, environment)
        finally:
            self.input, self.environment = saved_input, saved_environment

    def _eval(self, expr: Any, input: Any, environment: Any) -> Any:
        # the library's _eval with a table instead of an if-chain and without the entry/exit
        # hooks (two frame-chain lookups on every step; aslrun installs no hooks)
        self.input = input
        self.environment = environment
        self.budget -= 1
        if self.budget < 0:
            raise JException(f"Expression evaluation exceeded {MAX_EVALUATION_STEPS} steps", -1)
        step = _STEPS.get(getattr(expr, "type", None))
        result = None if step is None else step(self, expr, input, environment)
        predicate = getattr(expr, "predicate", None)
        if predicate is not None:
            for item in predicate:
                result = self.evaluate_filter(item.expr, result, environment)
        if expr.type != "path" and getattr(expr, "group", None) is not None:
            result = self.evaluate_group_expression(expr.group, result, environment)
        # a sequence of one is its item, an empty one is undefined
        if (
            result is not None
            and isinstance(result, Utils.JList)
            and result.sequence
            and not result.tuple_stream
        ):
            if expr.keep_array:
                result.keep_singleton = True
            if not result:
                result = None
            elif len(result) == 1 and not result.keep_singleton:
                result = result[0]
        return result

    def evaluate_numeric_expression(self, lhs: Any, rhs: Any, op: Any) -> Any:
        if lhs is not None and not Utils.is_numeric(lhs):
            raise JException("T2001", -1, op, lhs)
        if rhs is not None and not Utils.is_numeric(rhs):
            raise JException("T2002", -1, op, rhs)
        if lhs is None or rhs is None:
            return None
        if op == "+" and type(lhs) is int and type(rhs) is int:
            result: float = lhs + rhs
            if -(2**53) < result < 2**53:
                return result
        a, b = _to_double(lhs), _to_double(rhs)
        if op == "+":
            result = a + b
        elif op == "-":
            result = a - b
        elif op == "*":
            result = a * b
        elif op == "/":
            if b == 0:
                result = math.nan if a == 0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
            else:
                result = a / b
        else:  # "%": JavaScript's remainder has the sign of the dividend, like fmod
            result = math.fmod(a, b) if b != 0 and math.isfinite(a) else math.nan
        if not math.isfinite(result):
            return result
        return int(result) if result.is_integer() else result

    def evaluate_string_concat(self, lhs: Any, rhs: Any) -> str:
        left = "" if lhs is None else js_string(lhs)
        right = "" if rhs is None else js_string(rhs)
        return f"{left}{right}"

    def evaluate_includes_expression(self, lhs: Any, rhs: Any) -> Any:
        if lhs is None or rhs is None:
            return False
        if not isinstance(rhs, list):
            rhs = [rhs]
        return any(_js_same(item, lhs) for item in js_items(rhs))

    def apply_inner(self, proc: Any, args: Any, input: Any, environment: Any) -> Any:
        if isinstance(proc, re.Pattern):  # a regex called as a function: jsonata-js's matcher
            results = [regex_result(proc, s, 0) for s in args or () if isinstance(s, str)]
            return results[0] if len(results) == 1 else results
        return super().apply_inner(proc, args, input, environment)

    def evaluate_transform_expression(self, expr: Any, input: Any, environment: Any) -> Any:
        function = Jsonata.JFunction(_Transformer(self, expr, environment), None)
        function.signature = JsSignature("<(oa):o>", "transform")
        return function

    def evaluate_function(self, expr: Any, input: Any, environment: Any, applyto_context: Any) -> Any:
        try:
            return super().evaluate_function(expr, input, environment, applyto_context)
        except JException as exc:
            if getattr(exc, "aslrun_call", None) is None:
                exc.aslrun_call = _called_name(expr)  # type: ignore[attr-defined]
            raise
        except RecursionError:
            raise
        except Exception as exc:  # a built-in crashed: say what jsonata-js says for it
            raise _crash(_called_name(expr), expr, exc, self, input, environment) from None


class _Transformer(Jsonata.Transformer):
    """``... ~> |pattern|update, delete|`` with jsonata-js's clone (jsonata-python's lost nulls)."""

    def call(self, input: Any, args: Any) -> Any:
        obj = args[0]
        if obj is None:
            return None
        result = clone_value(obj)
        engine, expr, env = self._jsonata, self._expr, self._environment
        matches = engine.eval(expr.pattern, result, env)
        if matches is None:
            return result
        if not isinstance(matches, list):
            matches = [matches]
        for match in matches:
            update = engine.eval(expr.update, match, env)
            if update is not None:
                if not isinstance(update, dict):
                    raise JException("T2011", expr.update.position, update)
                for key in update:
                    match[key] = update[key]
            if expr.delete is not None:
                deletions = engine.eval(expr.delete, match, env)
                if deletions is not None:
                    value = deletions
                    if not isinstance(deletions, list):
                        deletions = [deletions]
                    if not Utils.is_array_of_strings(deletions):
                        raise JException("T2012", expr.delete.position, value)
                    if isinstance(match, dict):
                        for key in deletions:
                            match.pop(key, None)
        return result


def _js_same(a: Any, b: Any) -> bool:
    """JavaScript ``===``, which the ``in`` operator uses: containers only match themselves."""
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return a is b
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def _eval_path(engine: _Engine, expr: Any, input: Any, env: Any) -> Any:
    fast = getattr(expr, "aslrun_fast", None)
    if fast is not None:
        # $name.a.b through objects only: plain dict lookups, no sequences
        value = env.lookup(fast[0])
        for name in fast[1]:
            if isinstance(value, dict):
                value = value.get(name, NO_VALUE)
                if value is NO_VALUE:
                    return None
                if value is None:
                    value = Utils.NULL_VALUE
            elif isinstance(value, list):
                break  # a path over an array maps over it: the library's way
            else:
                return None
        else:
            # a plain list is data (never a sequence): the library returns it as it is
            if type(value) is list or not isinstance(value, list):
                return value
    return engine.evaluate_path(expr, input, env)


_STEPS: dict[Any, Callable[[_Engine, Any, Any, Any], Any]] = {
    "path": _eval_path,
    "binary": lambda s, e, i, env: s.evaluate_binary(e, i, env),
    "unary": lambda s, e, i, env: s.evaluate_unary(e, i, env),
    "name": lambda s, e, i, env: Functions.lookup(i, str(e.value)),
    "string": lambda s, e, i, env: e.value if e.value is not None else Utils.NULL_VALUE,
    "number": lambda s, e, i, env: e.value if e.value is not None else Utils.NULL_VALUE,
    "value": lambda s, e, i, env: e.value if e.value is not None else Utils.NULL_VALUE,
    "wildcard": lambda s, e, i, env: s.evaluate_wildcard(e, i),
    "descendant": lambda s, e, i, env: s.evaluate_descendants(e, i),
    "parent": lambda s, e, i, env: env.lookup(e.slot.label),
    "condition": lambda s, e, i, env: s.evaluate_condition(e, i, env),
    "block": lambda s, e, i, env: s.evaluate_block(e, i, env),
    "bind": lambda s, e, i, env: s.evaluate_bind_expression(e, i, env),
    "regex": lambda s, e, i, env: s.evaluate_regex(e),
    "function": lambda s, e, i, env: s.evaluate_function(e, i, env, Utils.NONE),
    "variable": lambda s, e, i, env: s.evaluate_variable(e, i, env),
    "lambda": lambda s, e, i, env: s.evaluate_lambda(e, i, env),
    "partial": lambda s, e, i, env: s.evaluate_partial_application(e, i, env),
    "apply": lambda s, e, i, env: s.evaluate_apply_expression(e, i, env),
    "transform": lambda s, e, i, env: s.evaluate_transform_expression(e, i, env),
}


def _to_double(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:
        return math.inf if v > 0 else -math.inf


def _called_name(expr: Any) -> Any:
    proc = getattr(expr, "procedure", None)
    if proc is None:
        return None
    if getattr(proc, "type", None) == "path":
        return proc.steps[0].value
    return proc.value


# jsonata-js codes for the Python exceptions jsonata-python's built-ins let escape
_CRASH_CODES = {
    "number": "D3030",
    "toMillis": "D3110",
    "decodeUrl": "D3140",
    "decodeUrlComponent": "D3140",
    "encodeUrl": "D3140",
    "encodeUrlComponent": "D3140",
    "power": "D3061",
    "sort": "D3070",
    "fromMillis": "D3132",
    "now": "D3132",
}


def _crash(name: Any, expr: Any, exc: Exception, engine: _Engine, input: Any, env: Any) -> JException:
    code = _CRASH_CODES.get(str(name))
    if code is None:
        return JException(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, -1)
    args = []
    for arg in getattr(expr, "arguments", None) or []:
        try:
            args.append(engine.eval(arg, input, env))
        except Exception:
            args.append(None)
    first = args[0] if args else None
    if isinstance(exc, KeyError) and exc.args:
        first = exc.args[0]  # the picture component the date formatter did not know
    err = JException(code, -1)
    err.aslrun_fields = {  # type: ignore[attr-defined]
        "value": first,
        "exp": args[1] if len(args) > 1 else None,
        "functionName": name,
    }
    return err


# ---------------------------------------------------------------- expressions


class Expression:
    """A compiled JSONata expression. ``text`` is how AWS quotes it in causes."""

    __slots__ = ("text", "_ast")

    def __init__(self, text: str, ast: Any) -> None:
        self.text = text
        self._ast = ast

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(self, scope: Scope) -> Any:
        """The JSON value; :data:`UNDEFINED` for nothing, :data:`FUNCTION` for a function.

        Raises :class:`JsonataError`.
        """
        engine = _Engine(scope)
        current = Jsonata.CURRENT
        previous = getattr(current, "jsonata", NO_VALUE)
        # the library's higher-order functions, and AWS's $random/$uuid/$now/$millis, find the
        # evaluation's engine (and its scope) through the library's per-thread slot
        current.jsonata = engine
        try:
            result = engine.eval(self._ast, None, _ScopeFrame(scope))
        except JException as exc:
            raise _translate(exc) from None
        except JsonataError:
            raise
        except RecursionError:
            raise JsonataError("D1011", MESSAGES["D1011"]) from None
        except Exception as exc:  # a defect of the library: still an evaluation error, not a crash
            raise JsonataError("", f"{type(exc).__name__}: {exc}") from None
        finally:
            if previous is NO_VALUE:
                del current.jsonata
            else:
                current.jsonata = previous
        if result is None:
            return UNDEFINED
        if deeper_than(result):  # built by the expression ($reduce, a recursive function)
            raise JsonataError("", depth_message("The result"))
        try:
            return to_external(result)
        except HasFunction:
            return FUNCTION
        except JException as exc:
            raise _translate(exc) from None


def compile_expression(text: str) -> Expression:
    """Parse the text between ``{%`` and ``%}``; raises :class:`JsonataSyntaxError`."""
    stripped = text.strip()
    if not stripped:
        raise JsonataSyntaxError("S0207: Unexpected end of expression", text, 0)
    try:
        ast = Jsonata.get_parser().parse(stripped, js_regex)
    except JException as exc:
        raise _syntax_error(exc, stripped) from None
    except re.error as exc:
        raise JsonataSyntaxError(f"S0302: Invalid regular expression: {exc}", stripped) from None
    except RecursionError:
        raise JsonataSyntaxError("S0201: Expression is nested too deeply", stripped) from None
    if getattr(ast, "errors", None):
        raise JsonataSyntaxError("S0500: " + MESSAGES["S0500"], stripped)
    _mark_fast_paths(ast, set())
    return Expression(stripped, ast)


_PLAIN = frozenset({"_outer_instance", "id", "type", "value", "position", "steps"})


def _plain(node: Any) -> bool:
    return all(k in _PLAIN or not v for k, v in vars(node).items())


def _mark_fast_paths(node: Any, seen: set[int]) -> None:
    """Mark ``$var.name.name`` paths (no predicates, no grouping, ...) for :func:`_eval_path`."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, (list, tuple)):
        for item in node:
            _mark_fast_paths(item, seen)
        return
    if not isinstance(node, Parser.Symbol):
        return
    steps = getattr(node, "steps", None)
    if (
        node.type == "path"
        and steps
        and steps[0].type == "variable"
        and steps[0].value not in ("", "$")
        and all(step.type == "name" for step in steps[1:])
        and all(_plain(step) for step in steps)
        and _plain(node)
    ):
        node.aslrun_fast = (steps[0].value, tuple(str(step.value) for step in steps[1:]))
    for key, value in vars(node).items():
        if key != "_outer_instance":
            _mark_fast_paths(value, seen)


# ---------------------------------------------------------------- fields


def _cause(text: str, field: str, what: str) -> str:
    return f"The JSONata expression '{text}' specified for the field '{field}' {what}"


def unexpected_type(expression: Expression, field: str, expected: str, value: Any) -> StatesError:
    """The error for a result of the wrong type, worded as AWS does (Map ``Items``, ...)."""
    cause = _cause(
        expression.text,
        field,
        f"returned an unexpected result type. Expected '{expected}', but was "
        f"'{type_name(value)}' for value: {js_json(value)}",
    )
    return StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=field)


class Field:
    """A compiled field value: a literal, a ``{% %}`` string, or containers of them."""

    __slots__ = ("constant", "_walk")

    def __init__(self, constant: bool, walk: Callable[[Scope, str], Any]) -> None:
        self.constant = constant
        self._walk = walk

    def evaluate(self, scope: Scope, field: str) -> Any:
        """The field's value; every failure is a ``States.QueryEvaluationError`` StatesError."""
        return self._walk(scope, field)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _compile_walk(value: Any) -> tuple[bool, Callable[[Scope, str], Any]]:
    if is_jsonata(value):
        expr = compile_expression(value[2:-2])

        def run(scope: Scope, path: str) -> Any:
            try:
                result = expr.evaluate(scope)
            except JsonataError as exc:
                cause = _cause(expr.text, path, f"threw an error during evaluation. {exc}")
                raise StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=path) from None
            if result is UNDEFINED:
                cause = _cause(expr.text, path, "returned nothing (undefined).")
                raise StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=path)
            if result is FUNCTION:
                cause = _cause(expr.text, path, "returned an unsupported result type.")
                raise StatesError(QUERY_EVALUATION_ERROR, cause, evaluation=True, location=path)
            return result

        return False, run
    if isinstance(value, dict):
        parts = [(str(k), *_compile_walk(v)) for k, v in value.items()]
        if all(constant for _, constant, _ in parts):
            return True, lambda scope, path: _copy(value)
        keyed = [(k, f"/{k}", walk) for k, _, walk in parts]

        def run_object(scope: Scope, path: str) -> Any:
            return {k: walk(scope, path + suffix) for k, suffix, walk in keyed}

        return False, run_object
    if isinstance(value, list):
        items = [_compile_walk(v) for v in value]
        if all(constant for constant, _ in items):
            return True, lambda scope, path: _copy(value)
        indexed = [(f"[{i}]", walk) for i, (_, walk) in enumerate(items)]

        def run_array(scope: Scope, path: str) -> Any:
            return [walk(scope, path + suffix) for suffix, walk in indexed]

        return False, run_array
    return True, lambda scope, path: value


def compile_field(value: Any) -> Field:
    """Compile every ``{% %}`` string in a field value; raises :class:`JsonataSyntaxError`."""
    constant, walk = _compile_walk(value)
    return Field(constant, walk)
