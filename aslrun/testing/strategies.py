"""Hypothesis strategies for Amazon States Language: JSON, JSONPath, Choice rules, whole machines, inputs, mocks.

Every strategy here is public API, built only from hypothesis's own strategies, and documented
with what it generates and what holds for every example::

    from hypothesis import given
    from aslrun.testing import strategies as asl

    @given(asl.state_machines().flatmap(lambda m: st.tuples(st.just(m), asl.machine_inputs(m))))
    def test_never_crashes(machine_and_input):
        machine, input = machine_and_input
        assert aslrun.run(machine, input, clock="virtual").status in ("SUCCEEDED", "FAILED", "TIMED_OUT")

What the generated machines are (JSONPath mode):

* **valid by construction**: unique state names, every state reachable, every ``Next``,
  ``Default`` and Catch target present, ``States.ALL`` last — ``aslrun.validate`` reports no error;
* **terminating**: transitions only go forward (a DAG), Retry attempts and Map items are few,
  Waits are short;
* **shaped to keep data**: results go to fresh fields (``ResultPath: "$.out_S3"``) or nowhere, so
  the fields a machine reads stay readable, and :func:`machine_inputs` can satisfy them;
* built from Pass, Task, Choice, Wait, Succeed, Fail, Parallel and Map (inline and distributed),
  nested up to ``max_depth``, with Retry, Catch, Parameters, ResultSelector and Assign.

Task states use ``arn:aws:states:::lambda:invoke``; :func:`mock_configs` mocks every one of them
in the Step Functions Local ``MockConfigFile`` format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

__all__ = [
    "ERROR_NAMES",
    "FIELD_KINDS",
    "TIMESTAMPS",
    "choice_rules",
    "json_objects",
    "json_path_matches",
    "json_paths",
    "json_values",
    "machine_inputs",
    "mock_configs",
    "mocked_responses",
    "state_machines",
]

#: the error names generated Retry/Catch/Fail/Throw use (plus ``States.ALL`` and ``States.TaskFailed``)
ERROR_NAMES = ("Custom.Alpha", "Custom.Beta", "States.TaskFailed")
#: valid ASL timestamps, for Timestamp* operators and timestamp fields
TIMESTAMPS = ("2016-03-14T01:59:00Z", "2024-01-01T00:00:00Z", "2024-06-03T08:00:00.500Z", "2030-12-31T23:59:59Z")
#: the input fields generated machines read, by the kind of value each holds
FIELD_KINDS: Mapping[str, str] = {"num": "number", "text": "string", "flag": "boolean", "when": "timestamp",
                                  "delay": "seconds"}

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_LAMBDA = "arn:aws:states:::lambda:invoke"
_MAX_INVOCATIONS = 999


# ---------------------------------------------------------------- JSON


def json_values(*, max_leaves: int = 12, keys: SearchStrategy[str] | None = None,
                floats: bool = True) -> SearchStrategy[Any]:
    """Any JSON value: null, booleans, numbers, strings, and arrays/objects of them.

    Integers stay within ±2**53 (IEEE-754 doubles, as Step Functions' numbers are); floats are
    finite. ``keys`` draws object keys (default: short text, any characters).
    """
    numbers: SearchStrategy[Any] = st.integers(min_value=-(2**53), max_value=2**53)
    if floats:
        numbers = numbers | st.floats(allow_nan=False, allow_infinity=False)
    scalars = st.none() | st.booleans() | numbers | st.text(max_size=12)
    key_strategy = keys if keys is not None else st.text(max_size=8)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(key_strategy, children, max_size=4),
        max_leaves=max_leaves,
    )


def json_objects(*, max_leaves: int = 12, keys: SearchStrategy[str] | None = None) -> SearchStrategy[dict[str, Any]]:
    """JSON objects (``dict`` with string keys) whose values come from :func:`json_values`."""
    key_strategy = keys if keys is not None else st.text(max_size=8)
    return st.dictionaries(key_strategy, json_values(max_leaves=max_leaves, keys=keys), max_size=5)


# ---------------------------------------------------------------- JSONPath

_NO_DOCUMENT: Any = object()


def _name_step(key: str) -> str | None:
    """``.key`` or ``['key']``; None for a key no Jayway path can spell (a quoted one ending in a backslash)."""
    if _IDENTIFIER.match(key):
        return "." + key
    if key.endswith("\\"):
        return None
    return "['" + key.replace("'", "\\'") + "']"


def _paths_to_nodes(document: Any, prefix: str = "$") -> list[tuple[str, Any]]:
    out = [(prefix, document)]
    if isinstance(document, dict):
        for key, value in document.items():
            step = _name_step(key)
            if step is not None:
                out.extend(_paths_to_nodes(value, prefix + step))
    elif isinstance(document, list):
        for i, value in enumerate(document):
            out.extend(_paths_to_nodes(value, f"{prefix}[{i}]"))
    return out


def json_path_matches(document: Any) -> SearchStrategy[tuple[str, Any]]:
    """``(path, value)``: a definite JSONPath that selects an existing node of ``document``, and that node.

    Paths use ``.name`` for identifier keys, ``['name']`` for the others and ``[i]`` for array
    items, so they are also valid reference paths (``ResultPath``, ``ItemsPath``).
    """
    return st.sampled_from(_paths_to_nodes(document))


_FIELD_NAMES = st.one_of(st.from_regex(_IDENTIFIER, fullmatch=True).filter(lambda s: len(s) <= 10),
                         st.text(max_size=6).filter(lambda s: not s.endswith("\\")))


def json_paths(document: Any = _NO_DOCUMENT, *, reference: bool = True) -> SearchStrategy[str]:
    """JSONPath expressions aslrun (and Step Functions) accept.

    With ``document``, definite paths to nodes that exist in it (see :func:`json_path_matches`).
    Without one, any syntactically valid path: with ``reference=True`` only ``.name``,
    ``['name']`` and ``[index]`` steps (what ``ResultPath``/``InputPath`` allow); with
    ``reference=False`` also ``[*]``, ``..name``, slices, index unions, filters and a trailing
    ``.length()``.
    """
    if document is not _NO_DOCUMENT:
        return json_path_matches(document).map(lambda pair: pair[0])
    field_step = _FIELD_NAMES.map(_name_step).filter(lambda s: s is not None)
    index_step = st.integers(min_value=0, max_value=5).map(lambda i: f"[{i}]")
    steps: SearchStrategy[str] = field_step | index_step  # type: ignore[assignment]
    if not reference:
        steps = steps | st.sampled_from(["[*]", ".*", "[0:2]", "[1:]", "[-1:]", "[0,1]", "['a','b']"]) \
            | st.from_regex(r"\A\.\.[a-z]{1,4}\Z") \
            | st.builds(lambda name, op, n: f"[?(@.{name} {op} {n})]", st.from_regex(r"\A[a-z]{1,3}\Z"),
                        st.sampled_from(["==", "!=", "<", ">=", ]), st.integers(-3, 3))
    path = st.lists(steps, max_size=4).map(lambda parts: "$" + "".join(parts))
    if reference:
        return path
    return st.one_of(path, st.tuples(path, st.sampled_from([".length()", ".size()"])).map("".join))


# ---------------------------------------------------------------- Choice rules

_STRING_OPS = ("StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals", "StringGreaterThanEquals")
_NUMERIC_OPS = ("NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals",
                "NumericGreaterThanEquals")
_TIMESTAMP_OPS = ("TimestampEquals", "TimestampLessThan", "TimestampGreaterThan", "TimestampLessThanEquals",
                  "TimestampGreaterThanEquals")
_TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")


def _literal(kind: str) -> SearchStrategy[Any]:
    if kind in ("number", "seconds"):
        return st.integers(-5, 5) | st.floats(-10, 10, allow_nan=False)
    if kind == "string":
        return st.text(alphabet="abc", max_size=3)
    if kind == "boolean":
        return st.booleans()
    return st.sampled_from(TIMESTAMPS)


def _operators(kind: str) -> tuple[str, ...]:
    return {"number": _NUMERIC_OPS, "seconds": _NUMERIC_OPS, "string": _STRING_OPS + ("StringMatches",),
            "boolean": ("BooleanEquals",), "timestamp": _TIMESTAMP_OPS + _STRING_OPS}[kind]


@st.composite
def _data_test(draw: Any, fields: Mapping[str, str]) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(fields)))
    kind = fields[name]
    rule: dict[str, Any] = {"Variable": f"$.{name}"}
    form = draw(st.sampled_from(["literal", "literal", "path", "type"]))
    if form == "type":
        rule[draw(st.sampled_from(_TYPE_TESTS))] = draw(st.booleans())
        return rule
    op = draw(st.sampled_from(_operators(kind)))
    if op == "StringMatches":
        rule[op] = draw(st.text(alphabet="ab*", max_size=4))
        return rule
    same_kind = sorted(n for n, k in fields.items() if k == kind or {k, kind} <= {"number", "seconds"})
    if form == "path" and same_kind:
        rule[op + "Path"] = "$." + draw(st.sampled_from(same_kind))
    else:
        rule[op] = draw(_literal(kind if op not in _STRING_OPS or kind == "string" else "timestamp"))
    return rule


def choice_rules(*, fields: Mapping[str, str] | None = None, depth: int = 2,
                 next_states: SearchStrategy[str] | None = None) -> SearchStrategy[dict[str, Any]]:
    """JSONPath Choice rules: data tests on ``$.<field>`` combined with ``And``/``Or``/``Not``.

    ``fields`` maps field names to kinds (``number``, ``seconds``, ``string``, ``boolean``,
    ``timestamp``; default :data:`FIELD_KINDS`). A test uses an operator of the field's kind
    (``Numeric*`` for numbers, ``String*`` and ``StringMatches`` for strings, ``Timestamp*`` and
    ``String*`` for timestamps), its ``…Path`` form against a field of the same kind, or an
    ``Is*`` type test. Nesting goes ``depth`` levels deep. With ``next_states``, the rule is a
    top-level one and gets a ``Next`` drawn from it.
    """
    kinds = {name: kind for name, kind in (fields if fields is not None else FIELD_KINDS).items()
             if kind in ("number", "seconds", "string", "boolean", "timestamp")}
    base = _data_test(kinds)

    def extend(children: SearchStrategy[dict[str, Any]]) -> SearchStrategy[dict[str, Any]]:
        return (st.lists(children, min_size=1, max_size=3).map(lambda rules: {"And": rules})
                | st.lists(children, min_size=1, max_size=3).map(lambda rules: {"Or": rules})
                | children.map(lambda rule: {"Not": rule}))

    rule = base
    for _ in range(depth):
        rule = base | extend(rule)
    if next_states is None:
        return rule
    return st.tuples(rule, next_states).map(lambda pair: {**pair[0], "Next": pair[1]})


# ---------------------------------------------------------------- state machines


class _Plan:
    """The settings of one generated machine, and its state names (unique across the machine)."""

    def __init__(self, width: int, tasks: bool) -> None:
        self.width = width
        self.tasks = tasks
        self.count = 0

    def name(self, kind: str) -> str:
        self.count += 1
        return f"{kind}{self.count}"


def _retriers(draw: Any) -> list[dict[str, Any]]:
    out = []
    for names in draw(st.lists(st.lists(st.sampled_from(ERROR_NAMES), min_size=1, max_size=2, unique=True),
                               max_size=2)):
        out.append({"ErrorEquals": names, "MaxAttempts": draw(st.integers(0, 2)),
                    "IntervalSeconds": draw(st.integers(1, 3)), "BackoffRate": draw(st.sampled_from([1.0, 1.5, 2.0]))})
    if draw(st.booleans()):
        out.append({"ErrorEquals": ["States.ALL"], "MaxAttempts": draw(st.integers(0, 1)), "IntervalSeconds": 1})
    return out


def _catchers(draw: Any, targets: list[str], name: str) -> list[dict[str, Any]]:
    if not targets:
        return []
    out = []
    for names in draw(st.lists(st.lists(st.sampled_from(ERROR_NAMES), min_size=1, max_size=2, unique=True),
                               max_size=2)):
        out.append({"ErrorEquals": names, "Next": draw(st.sampled_from(targets))})
    if draw(st.booleans()):
        out.append({"ErrorEquals": ["States.ALL"], "Next": draw(st.sampled_from(targets))})
    for catcher in out:
        # Never the default "$": the error output would replace the fields later states read.
        catcher["ResultPath"] = draw(st.sampled_from(["$.err_" + name, None]))
    return out


def _result_path(draw: Any, name: str) -> dict[str, Any]:
    choice = draw(st.sampled_from(["field", "field", "null"]))
    return {"ResultPath": f"$.out_{name}"} if choice == "field" else {"ResultPath": None}


def _state(draw: Any, kind: str, name: str, plan: _Plan, depth: int, later: list[str],
           fields: Mapping[str, str]) -> dict[str, Any]:
    """One non-terminal-by-default state of ``kind`` (the caller sets Next/End)."""
    numeric = sorted(n for n, k in fields.items() if k in ("number", "seconds"))
    if kind == "Pass":
        form = draw(st.sampled_from(["identity", "result", "parameters", "assign"]))
        state: dict[str, Any] = {"Type": "Pass"}
        if form == "result":
            state.update(Result=draw(json_values(max_leaves=4)), **_result_path(draw, name))
        elif form == "parameters":
            params: dict[str, Any] = {"literal": draw(json_values(max_leaves=3))}
            if numeric:
                params["copy.$"] = "$." + draw(st.sampled_from(numeric))
            params["format.$"] = "States.Format('{} ran', $$.State.Name)"
            state.update(Parameters=params, **_result_path(draw, name))
        elif form == "assign":
            state["Assign"] = {f"v_{name}": draw(json_values(max_leaves=3))}
        return state
    if kind == "Task":
        state = {"Type": "Task", "Resource": _LAMBDA,
                 "Parameters": {"FunctionName": f"fn-{name}", "Payload.$": "$"}}
        if draw(st.booleans()):
            state["ResultSelector"] = {"raw.$": "$"}
        state.update(_result_path(draw, name))
        _errors(draw, state, later, name)
        return state
    if kind == "Wait":
        seconds = sorted(n for n, k in fields.items() if k == "seconds")
        if seconds and draw(st.booleans()):
            return {"Type": "Wait", "SecondsPath": "$." + seconds[0]}
        return {"Type": "Wait", "Seconds": draw(st.integers(0, 5))}
    if kind == "Parallel":
        branches = [_body(draw, plan, depth - 1, fields) for _ in range(draw(st.integers(1, 2)))]
        state = {"Type": "Parallel", "Branches": branches, **_result_path(draw, name)}
        _errors(draw, state, later, name)
        return state
    if kind == "Map":
        item_fields = {k: v for k, v in fields.items() if k != "items"}
        if depth > 1:
            item_fields["items"] = "array"
        processor = _body(draw, plan, depth - 1, item_fields)
        distributed = draw(st.integers(0, 3)) == 0
        processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"} if distributed \
            else {"Mode": "INLINE"}
        state = {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": processor,
                 "MaxConcurrency": draw(st.integers(0, 2)), **_result_path(draw, name)}
        if distributed and draw(st.booleans()):
            state["ToleratedFailureCount"] = draw(st.integers(0, 1))
        _errors(draw, state, later, name)
        return state
    raise ValueError(kind)  # pragma: no cover


def _errors(draw: Any, state: dict[str, Any], later: list[str], name: str) -> None:
    retry = _retriers(draw) if draw(st.booleans()) else []
    catch = _catchers(draw, later, name) if draw(st.booleans()) else []
    if retry:
        state["Retry"] = retry
    if catch:
        state["Catch"] = catch


def _terminal(draw: Any, kind: str) -> dict[str, Any]:
    if kind == "Succeed":
        return {"Type": "Succeed"}
    if kind == "Fail":
        state: dict[str, Any] = {"Type": "Fail", "Error": draw(st.sampled_from(ERROR_NAMES))}
        if draw(st.booleans()):
            state["Cause"] = draw(st.text(max_size=10))
        return state
    return {"Type": "Pass", "End": True}


def _body(draw: Any, plan: _Plan, depth: int, fields: Mapping[str, str]) -> dict[str, Any]:
    """A States object: a chain of states (each reaches the next) plus terminal states that Choice rules
    and Catchers jump to. Transitions only go forward, so every run ends."""
    kinds = ["Pass", "Pass", "Wait", "Choice"] + (["Task", "Task"] if plan.tasks else [])
    if depth > 0:
        kinds += ["Parallel", "Map"]
    chain_kinds = draw(st.lists(st.sampled_from(kinds), min_size=0, max_size=plan.width))
    last_kind = draw(st.sampled_from(["Succeed", "Fail", "End", "End"]))
    side_kinds = draw(st.lists(st.sampled_from(["Succeed", "Fail", "End"]), max_size=2))
    chain = [plan.name(k) for k in chain_kinds] + [plan.name(last_kind if last_kind != "End" else "Last")]
    sides = [plan.name(k) for k in side_kinds]
    states: dict[str, Any] = {}
    referenced: set[str] = set()
    for i, (kind, name) in enumerate(zip(chain_kinds, chain, strict=False)):
        later = chain[i + 1:] + sides
        if kind == "Choice":
            rules = draw(st.lists(choice_rules(fields=fields, depth=1, next_states=st.sampled_from(later)),
                                  min_size=1, max_size=3))
            state = {"Type": "Choice", "Choices": rules, "Default": chain[i + 1]}
            referenced.update(rule["Next"] for rule in rules)
        else:
            state = _state(draw, kind, name, plan, depth, later, fields)
            state["Next"] = chain[i + 1]
            referenced.update(c["Next"] for c in state.get("Catch", ()))
        states[name] = state
    states[chain[-1]] = _terminal(draw, last_kind)
    for kind, name in zip(side_kinds, sides, strict=False):
        if name in referenced:  # an unreferenced side state would be unreachable
            states[name] = _terminal(draw, kind)
    return {"StartAt": chain[0], "States": states}


def state_machines(*, max_states: int = 5, max_depth: int = 2, tasks: bool = True,
                   fields: Mapping[str, str] | None = None) -> SearchStrategy[dict[str, Any]]:
    """Valid, terminating JSONPath state machine definitions (dicts), see the module docstring.

    ``max_states`` bounds the chain of each States object (top level, every branch and
    processor); ``max_depth`` bounds Parallel/Map nesting (0: none); ``tasks`` adds Task states
    (mock them with :func:`mock_configs`); ``fields`` are the input fields Choice rules and Waits
    read (default :data:`FIELD_KINDS`). Maps iterate over ``$.items``.
    """
    kinds = dict(fields if fields is not None else FIELD_KINDS)

    @st.composite
    def machines(draw: Any) -> dict[str, Any]:
        machine = _body(draw, _Plan(max_states, tasks), max_depth, kinds)
        if draw(st.booleans()):
            machine["Comment"] = "generated by aslrun.testing.strategies.state_machines"
        return machine

    return machines()


# ---------------------------------------------------------------- inputs

_PATH_FIELD = re.compile(r"^\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$")
_INTRINSIC_PATH = re.compile(r"(?<![\w$])\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_KIND_OF_OPERATOR = [(("Numeric",), "number"), (("String",), "string"), (("Boolean",), "boolean"),
                     (("Timestamp",), "timestamp")]


#: when one field is read two ways, the narrower kind wins (a SecondsPath field is also a number)
_NARROWER = {"any": 0, "number": 1, "seconds": 2, "positive": 3, "string": 1, "timestamp": 2}


class _Schema:
    """What a machine reads from its input: a tree of object fields with the kind of each leaf."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.kind = "object"

    def need(self, dotted: str, kind: str) -> None:
        parts = [p for p in dotted.split(".") if p]
        node = self
        for part in parts[:-1]:
            child = node.fields.get(part)
            if not isinstance(child, _Schema):
                child = _Schema()
                node.fields[part] = child
            node = child
        leaf = parts[-1]
        current = node.fields.get(leaf)
        if kind == "array":
            if not isinstance(current, _Array):
                node.fields[leaf] = _Array(_Schema())
        elif current is None or _NARROWER.get(kind, 0) > _NARROWER.get(current, -1):
            node.fields[leaf] = kind

    def array(self, dotted: str) -> _Schema:
        self.need(dotted, "array")
        node: Any = self
        for part in [p for p in dotted.split(".") if p]:
            node = node.fields[part]
        return node.items  # type: ignore[no-any-return]


class _Array:
    def __init__(self, items: _Schema) -> None:
        self.items = items


def _note_path(schema: _Schema, text: Any, kind: str) -> None:
    if isinstance(text, str):
        match = _PATH_FIELD.match(text)
        if match:
            schema.need(match.group(1), kind)


def _note_template(schema: _Schema, template: Any) -> None:
    if isinstance(template, dict):
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                if _PATH_FIELD.match(value):
                    _note_path(schema, value, "any")
                else:
                    for match in _INTRINSIC_PATH.finditer(value):
                        schema.need(match.group(1), "any")
            else:
                _note_template(schema, value)
    elif isinstance(template, list):
        for value in template:
            _note_template(schema, value)


def _note_rule(schema: _Schema, rule: Any) -> None:
    if not isinstance(rule, dict):
        return
    for key in ("And", "Or"):
        for child in rule.get(key) or ():
            _note_rule(schema, child)
    if "Not" in rule:
        _note_rule(schema, rule["Not"])
    variable = rule.get("Variable")
    for op in rule:
        # IsPresent is the one test that reads a missing field without failing.
        if op in ("IsPresent", "Variable", "Next", "Assign", "Output"):
            continue
        kind = next((k for prefixes, k in _KIND_OF_OPERATOR if op.startswith(prefixes)), "any")
        _note_path(schema, variable, kind)
        if op.endswith("Path"):
            _note_path(schema, rule[op], kind)


def _read_states(schema: _Schema, body: Any) -> None:
    states = body.get("States", {}) if isinstance(body, dict) else {}
    for state in states.values():
        if not isinstance(state, dict) or state.get("QueryLanguage") == "JSONata":
            continue
        kind = state.get("Type")
        _note_path(schema, state.get("InputPath"), "any")
        for key in ("Parameters", "ItemSelector"):
            _note_template(schema, state.get(key))
        _note_path(schema, state.get("SecondsPath"), "seconds")
        _note_path(schema, state.get("TimestampPath"), "timestamp")
        _note_path(schema, state.get("ErrorPath"), "string")
        _note_path(schema, state.get("CausePath"), "string")
        for key in ("TimeoutSecondsPath", "HeartbeatSecondsPath"):
            _note_path(schema, state.get(key), "positive")
        for rule in state.get("Choices") or ():
            _note_rule(schema, rule)
        if kind == "Parallel":
            for branch in state.get("Branches") or ():
                _read_states(schema, branch)
        elif kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            items_path = state.get("ItemsPath", "$")
            match = _PATH_FIELD.match(items_path) if isinstance(items_path, str) else None
            if match and "ItemSelector" not in state and "Parameters" not in state:
                _read_states(schema.array(match.group(1)), processor)
            elif match:
                schema.need(match.group(1), "array")


def _strategy(node: Any) -> SearchStrategy[Any]:
    if isinstance(node, _Schema):
        return st.fixed_dictionaries({name: _strategy(child) for name, child in node.fields.items()})
    if isinstance(node, _Array):
        return st.lists(_strategy(node.items), max_size=3)
    return {
        "number": st.integers(-5, 5) | st.floats(-10, 10, allow_nan=False),
        "string": st.text(alphabet="abc*", max_size=4),
        "boolean": st.booleans(),
        "timestamp": st.sampled_from(TIMESTAMPS),
        "seconds": st.integers(0, 5),
        "positive": st.integers(1, 60),
        "any": json_values(max_leaves=4),
    }[node]


def machine_inputs(definition: Mapping[str, Any]) -> SearchStrategy[dict[str, Any]]:
    """Execution inputs that hold every input field ``definition`` reads, each of the kind it is read as.

    Reads are the simple paths (``$.a.b``) of InputPath, Parameters/ItemSelector (``.$`` keys and
    intrinsic arguments), Choice rules (``Numeric*`` → a number, ``String*`` → a string, ...),
    SecondsPath/TimestampPath and the like. A Map's ``ItemsPath`` becomes an array (0–3 items)
    whose items hold what the Map's processor reads. Reads are taken against the execution input,
    which is exact for machines from :func:`state_machines` (they keep their input's fields) and
    an approximation for others.
    """
    schema = _Schema()
    _read_states(schema, definition)
    return _strategy(schema)


# ---------------------------------------------------------------- mocked results


def mocked_responses(*, errors: tuple[str, ...] = ERROR_NAMES, max_entries: int = 3) -> SearchStrategy[dict[str, Any]]:
    """One MockConfigFile mocked response: ``{"0": {"Return": ...}, "1": {"Throw": ...}, "2-999": ...}``.

    Entries count consecutively from ``"0"``; the last one is a range that answers every later
    invocation (retries and Map iterations included), so a run never runs out of responses.
    """
    entry = st.one_of(
        json_values(max_leaves=4).map(lambda value: {"Return": value}),
        st.tuples(st.sampled_from(errors), st.text(max_size=10)).map(
            lambda pair: {"Throw": {"Error": pair[0], "Cause": pair[1]}}),
    )

    def numbered(entries: list[dict[str, Any]]) -> dict[str, Any]:
        out = {str(i): e for i, e in enumerate(entries[:-1])}
        out[f"{len(entries) - 1}-{_MAX_INVOCATIONS}"] = entries[-1]
        return out

    return st.lists(entry, min_size=1, max_size=max_entries).map(numbered)


def _task_states(body: Any) -> list[str]:
    out: list[str] = []
    for name, state in (body.get("States", {}) if isinstance(body, dict) else {}).items():
        if not isinstance(state, dict):
            continue
        if state.get("Type") == "Task":
            out.append(name)
        for branch in state.get("Branches") or ():
            out.extend(_task_states(branch))
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                out.extend(_task_states(state[key]))
    return out


def mock_configs(definition: Mapping[str, Any], *, machine_name: str = "StateMachine",
                 test_case: str = "Generated") -> SearchStrategy[dict[str, Any]]:
    """A MockConfigFile (as a dict) whose test case mocks every Task state of ``definition``.

    Load it with ``MockConfig.load(config).test_case(machine_name, test_case)``; each Task gets
    its own :func:`mocked_responses`.
    """
    tasks = _task_states(definition)
    responses = st.fixed_dictionaries({f"R_{name}": mocked_responses() for name in tasks})
    return responses.map(lambda mocked: {
        "StateMachines": {machine_name: {"TestCases": {test_case: {name: f"R_{name}" for name in tasks}}}},
        "MockedResponses": mocked,
    })

