"""Pictures of a state machine, drawn as the Step Functions console draws them.

Pure functions from a :class:`~aslrun.nodes.StateMachine` to text: :func:`to_mermaid` (a Mermaid
flowchart) and :func:`to_dot` (Graphviz DOT). Both show every state, Choice edges labelled with a short
text of their rule and ``Default``, Catch edges dashed and labelled with their errors, Retry noted on
the state, Parallel branches and Map processors as nested boxes, and Start and End markers. A
:class:`RunOverlay` (from a history: :func:`overlay_from_history`) colours the states a run went
through green, the failed ones red, and adds how often each ran. :func:`render` turns DOT into SVG or
PNG through Graphviz's ``dot`` binary, the only part that touches the world.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aslrun.errors import AslrunError
from aslrun.nodes import (
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    State,
    StateMachine,
    States,
    SucceedState,
)

__all__ = ["GraphvizMissing", "RunOverlay", "overlay_from_history", "render", "to_dot", "to_mermaid"]

#: seconds ``dot`` may take to lay a machine out
RENDER_TIMEOUT_SECONDS = 60
_LABEL_WIDTH = 40
_VISITED, _FAILED, _CURRENT = "#d4edda", "#f8d7da", "#cfe2ff"
_OPERATORS = [("LessThanEquals", "<="), ("GreaterThanEquals", ">="), ("LessThan", "<"), ("GreaterThan", ">"),
              ("Equals", "=="), ("Matches", "matches")]


class GraphvizMissing(AslrunError):
    """SVG or PNG was asked for and Graphviz's ``dot`` is not installed."""


@dataclass(frozen=True)
class RunOverlay:
    """What a run did: how often each state was entered, which failed, which is current (debugger)."""

    visits: Mapping[str, int] = field(default_factory=dict)
    failed: frozenset[str] = frozenset()
    current: str | None = None


# ---------------------------------------------------------------------------------------- model


@dataclass
class _Node:
    id: str
    state: State | None
    label: list[str]
    shape: str = "box"


@dataclass
class _Cluster:
    id: str
    label: str
    items: list[_Node | _Cluster] = field(default_factory=list)


@dataclass
class _Edge:
    src: str
    dst: str
    label: str = ""
    dashed: bool = False


class _Model:
    def __init__(self, machine: StateMachine) -> None:
        self.items: list[_Node | _Cluster] = []
        self.edges: list[_Edge] = []
        self.nodes: list[_Node] = []
        self._count = 0
        start = self.node(None, ["Start"], "start", self.items)
        ids = self.body(machine.body, self.items, top=True)
        self.edges.insert(0, _Edge(start.id, ids[machine.body.start_at]))

    def node(self, state: State | None, label: list[str], shape: str, into: list[_Node | _Cluster]) -> _Node:
        self._count += 1
        node = _Node(f"n{self._count}", state, label, shape)
        self.nodes.append(node)
        into.append(node)
        return node

    def body(self, body: States, into: list[_Node | _Cluster], top: bool = False) -> dict[str, str]:
        ids: dict[str, str] = {}
        for name, state in body.states.items():
            target = into
            if isinstance(state, (ParallelState, MapState)):
                self._count += 1
                cluster = _Cluster(f"c{self._count}", f"{name} ({_kind(state)})")
                into.append(cluster)
                target = cluster.items
            shape = "choice" if isinstance(state, ChoiceState) else "end" if isinstance(
                state, (SucceedState, FailState)) else "box"
            node = self.node(state, _label(state), shape, target)
            ids[name] = node.id
            if isinstance(state, ParallelState):
                for i, branch in enumerate(state.branches):
                    self._nested(node, branch, f"Branch {i + 1}", target)
            elif isinstance(state, MapState):
                self._nested(node, state.processor, "Item processor", target)
        end = None
        for name, state in body.states.items():
            for edge in _edges(state):
                self.edges.append(_Edge(ids[name], ids.get(edge.dst, edge.dst), edge.label, edge.dashed))
            if top and (state.end or isinstance(state, (SucceedState, FailState))):
                if end is None:
                    end = self.node(None, ["End"], "stop", into)
                self.edges.append(_Edge(ids[name], end.id))
        return ids

    def _nested(self, owner: _Node, body: States, label: str, into: list[_Node | _Cluster]) -> None:
        self._count += 1
        cluster = _Cluster(f"c{self._count}", label)
        into.append(cluster)
        ids = self.body(body, cluster.items)
        self.edges.append(_Edge(owner.id, ids[body.start_at]))


def _kind(state: State) -> str:
    if isinstance(state, MapState):
        return "Distributed Map" if state.mode == "DISTRIBUTED" else "Map"
    return state.type


def _label(state: State) -> list[str]:
    lines = [state.name, state.type]
    resource = state.raw.get("Resource")
    if isinstance(resource, str):
        short = resource.split(":::", 1)[1] if ":::" in resource else resource.split(":")[-1]
        lines[1] = _short(f"{state.type} · {short}")
    retry = state.raw.get("Retry")
    if isinstance(retry, list) and retry:
        errors = [e for r in retry if isinstance(r, Mapping) for e in r.get("ErrorEquals", [])]
        lines.append(_short("↻ Retry " + ", ".join(errors)))
    return lines


def _short(text: str, width: int = _LABEL_WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _edges(state: State) -> list[_Edge]:
    out = []
    if isinstance(state, ChoiceState):
        for choice in state.raw.get("Choices", []):
            if isinstance(choice, Mapping) and isinstance(choice.get("Next"), str):
                out.append(_Edge("", choice["Next"], _short(_rule(choice))))
        if state.default:
            out.append(_Edge("", state.default, "Default"))
    elif state.next:
        out.append(_Edge("", state.next))
    for catcher in state.raw.get("Catch", []) or []:
        if isinstance(catcher, Mapping) and isinstance(catcher.get("Next"), str):
            out.append(_Edge("", catcher["Next"], _short(", ".join(catcher.get("ErrorEquals", []))), dashed=True))
    return out


def _rule(rule: Mapping[str, Any]) -> str:
    """A short text of a Choice rule: ``$.n > 5``, ``$.a is present and not ($.b == "x")``."""
    condition = rule.get("Condition")
    if isinstance(condition, str):
        return condition.strip().removeprefix("{%").removesuffix("%}").strip()
    if "And" in rule or "Or" in rule:
        word = "and" if "And" in rule else "or"
        parts = [_rule(r) for r in rule.get("And", rule.get("Or", [])) if isinstance(r, Mapping)]
        return f" {word} ".join(f"({p})" if (" and " in p or " or " in p) else p for p in parts)
    if isinstance(rule.get("Not"), Mapping):
        return f"not ({_rule(rule['Not'])})"
    variable = rule.get("Variable", "?")
    for key, value in rule.items():
        if key.startswith("Is"):
            test = key[2:].lower()
            return f"{variable} is {'' if value else 'not '}{test}"
        for suffix, symbol in _OPERATORS:
            base = key.removesuffix("Path")
            if base.endswith(suffix) and base[: -len(suffix)] in ("String", "Numeric", "Boolean", "Timestamp"):
                shown = value if key.endswith("Path") else json.dumps(value)
                return f"{variable} {symbol} {shown}"
    return str(variable)


# ---------------------------------------------------------------------------------------- overlay


_FAILURE_EVENTS = ("TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
                   "LambdaFunctionStartFailed", "LambdaFunctionScheduleFailed", "ActivityFailed",
                   "ActivityTimedOut", "ActivityScheduleFailed", "TaskStartFailed", "TaskSubmitFailed",
                   "ExecutionFailed", "ExecutionTimedOut")


def overlay_from_history(history: Any) -> RunOverlay:
    """A :class:`RunOverlay` from an ``aslrun run --history`` file's JSON (``{"events": [...]}``) or a list.

    A state failed when it was entered, not left, and a failure event (TaskFailed, a Fail state, the
    execution failing) leads back to it; a Map or Parallel failed when it was not left and the execution
    failed. States cancelled with a failing sibling branch count as visited, not failed.
    """
    events = history.get("events", []) if isinstance(history, Mapping) else list(history or [])
    events = [e for e in events if isinstance(e, Mapping)]
    by_id = {e.get("id"): e for e in events}
    entered: dict[str, int] = {}
    exited: dict[str, int] = {}
    kinds: dict[str, str] = {}
    failed: set[str] = set()
    execution_failed = False
    for event in events:
        kind = str(event.get("type", ""))
        if kind.endswith("StateEntered"):
            name = str((event.get("stateEnteredEventDetails") or {}).get("name"))
            entered[name] = entered.get(name, 0) + 1
            kinds[name] = kind
            if kind == "FailStateEntered":
                failed.add(name)
        elif kind.endswith("StateExited"):
            name = str((event.get("stateExitedEventDetails") or {}).get("name"))
            exited[name] = exited.get(name, 0) + 1
        if kind in _FAILURE_EVENTS:
            execution_failed = execution_failed or kind.startswith("Execution")
            culprit = _entered_before(event, by_id)
            if culprit is not None:
                failed.add(culprit)
    unfinished = {n for n, count in entered.items() if count > exited.get(n, 0)}
    if execution_failed:
        failed |= {n for n in unfinished if kinds[n] in ("MapStateEntered", "ParallelStateEntered")}
    return RunOverlay(visits=entered, failed=frozenset(failed & unfinished))


def _entered_before(event: Mapping[str, Any], by_id: Mapping[Any, Mapping[str, Any]]) -> str | None:
    seen = 0
    current: Mapping[str, Any] | None = by_id.get(event.get("previousEventId"))
    while current is not None and seen < 100_000:
        if str(current.get("type", "")).endswith("StateEntered"):
            return str((current.get("stateEnteredEventDetails") or {}).get("name"))
        current = by_id.get(current.get("previousEventId"))
        seen += 1
    return None


def _status(node: _Node, overlay: RunOverlay | None) -> tuple[str | None, int]:
    if overlay is None or node.state is None:
        return None, 0
    name = node.state.name
    count = overlay.visits.get(name, 0)
    if name == overlay.current:
        return "current", count
    if name in overlay.failed:
        return "failed", count
    return ("visited" if count else None), count


# ---------------------------------------------------------------------------------------- Mermaid


def _mermaid_text(text: str) -> str:
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            .replace("|", "#124;"))


def to_mermaid(machine: StateMachine, overlay: RunOverlay | None = None) -> str:
    """The machine as a Mermaid flowchart (``flowchart TD``), coloured by ``overlay`` when given."""
    model = _Model(machine)
    lines = ["flowchart TD"]
    classes: dict[str, list[str]] = {}

    def emit(items: Iterable[_Node | _Cluster], indent: str) -> None:
        for item in items:
            if isinstance(item, _Cluster):
                lines.append(f'{indent}subgraph {item.id}["{_mermaid_text(item.label)}"]')
                lines.append(f"{indent}  direction TB")
                emit(item.items, indent + "  ")
                lines.append(f"{indent}end")
                continue
            status, count = _status(item, overlay)
            label = [_mermaid_text(x) for x in item.label] + ([f"×{count}"] if count else [])
            text = "<br/>".join(label)
            shape = {"start": '(("{}"))', "stop": '(("{}"))', "choice": '{{"{}"}}',
                     "end": '(["{}"])'}.get(item.shape, '["{}"]')
            lines.append(f"{indent}{item.id}{shape.format(text)}")
            if status:
                classes.setdefault(status, []).append(item.id)

    emit(model.items, "  ")
    for edge in model.edges:
        arrow = "-.->" if edge.dashed else "-->"
        if edge.label:
            label = _mermaid_text(edge.label)
            arrow = f'-. "{label}" .->' if edge.dashed else f'-- "{label}" -->'
        lines.append(f"  {edge.src} {arrow} {edge.dst}")
    lines.append(f"  classDef visited fill:{_VISITED},stroke:#2e7d32,color:#000")
    lines.append(f"  classDef failed fill:{_FAILED},stroke:#c62828,stroke-width:2px,color:#000")
    lines.append(f"  classDef current fill:{_CURRENT},stroke:#1565c0,stroke-width:3px,color:#000")
    for status, ids in classes.items():
        lines.append(f"  class {','.join(ids)} {status}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------- DOT


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(machine: StateMachine, overlay: RunOverlay | None = None) -> str:
    """The machine as a Graphviz digraph; clusters for Parallel branches and Map processors."""
    model = _Model(machine)
    lines = [f"digraph {_dot_text(machine.name)} {{",
             '  graph [rankdir=TB, fontname="Helvetica", fontsize=11, nodesep=0.4];',
             '  node [shape=box, style="rounded,filled", fillcolor="white", fontname="Helvetica", fontsize=11];',
             '  edge [fontname="Helvetica", fontsize=9];']

    def emit(items: Iterable[_Node | _Cluster], indent: str) -> None:
        for item in items:
            if isinstance(item, _Cluster):
                lines.append(f'{indent}subgraph "cluster_{item.id}" {{')
                lines.append(f'{indent}  label={_dot_text(item.label)}; style="rounded,dashed"; color="#888888";')
                emit(item.items, indent + "  ")
                lines.append(f"{indent}}}")
                continue
            status, count = _status(item, overlay)
            label = "\n".join(item.label + ([f"×{count}"] if count else []))
            attrs = [f"label={_dot_text(label)}"]
            attrs += {"start": ['shape=circle', 'fillcolor="#333333"', 'fontcolor="white"'],
                      "stop": ['shape=doublecircle', 'fillcolor="#333333"', 'fontcolor="white"'],
                      "choice": ['shape=diamond', 'style="filled"'],
                      "end": ['style="rounded,filled,bold"']}.get(item.shape, [])
            if status:
                fill, pen = {"visited": (_VISITED, "#2e7d32"), "failed": (_FAILED, "#c62828"),
                             "current": (_CURRENT, "#1565c0")}[status]
                attrs += [f'fillcolor="{fill}"', f'color="{pen}"', "penwidth=2"]
            lines.append(f"{indent}{item.id} [{', '.join(attrs)}];")

    emit(model.items, "  ")
    for edge in model.edges:
        attrs = []
        if edge.label:
            attrs.append(f"label={_dot_text(edge.label)}")
        if edge.dashed:
            attrs += ["style=dashed", 'color="#c62828"', 'fontcolor="#c62828"']
        lines.append(f"  {edge.src} -> {edge.dst}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_text: str, fmt: str, timeout: float = RENDER_TIMEOUT_SECONDS) -> bytes:
    """``dot_text`` laid out by Graphviz as ``fmt`` (``svg`` or ``png``); :class:`GraphvizMissing` without it."""
    if fmt not in ("svg", "png"):
        raise AslrunError(f"cannot render {fmt!r}: choose svg or png")
    binary = shutil.which("dot")
    if binary is None:
        raise GraphvizMissing("Graphviz's dot is not installed, and SVG/PNG need it: install it "
                              "(apt-get install graphviz, brew install graphviz, or https://graphviz.org/download/), "
                              "or draw with --format mermaid or --format dot")
    try:
        done = subprocess.run([binary, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise AslrunError(f"Graphviz's dot took more than {timeout:g} s to draw the machine") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise AslrunError(f"Graphviz's dot failed: {message[0] if message else f'exit code {done.returncode}'}")
    return done.stdout
