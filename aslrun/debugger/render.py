"""Rich rendering for the debugger: stops, stages, failures, where, history, the graph, help.

Every function takes the :class:`~rich.console.Console` to print on, so tests point it at a
``StringIO``. Nothing here decides anything; :mod:`aslrun.debugger.session` does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.json import JSON
from rich.text import Text
from rich.tree import Tree

from aslrun.debugger.session import Session
from aslrun.debugger.stops import MISSING, Breakpoint, Failure, Location, Stop, Watch
from aslrun.effects import Event
from aslrun.execution import ExecutionResult
from aslrun.nodes import ChoiceState, FailState, MapState, ParallelState, State, States, SucceedState

__all__ = [
    "compact",
    "format_path",
    "render_breakpoints",
    "render_failure",
    "render_graph",
    "render_history",
    "render_result",
    "render_stages",
    "render_stop",
    "render_value",
    "render_watches",
    "render_where",
]

_STATUS_STYLE = {"SUCCEEDED": "bold green", "FAILED": "bold red", "TIMED_OUT": "bold red", "ABORTED": "bold yellow"}
_STAGE_LABEL = {
    "input": "input (raw)",
    "afterInputPath": "after InputPath",
    "afterParameters": "after Parameters (effective input)",
    "afterArguments": "after Arguments (effective input)",
    "result": "result",
    "afterResultSelector": "after ResultSelector",
    "afterResultPath": "after ResultPath",
    "output": "output (after OutputPath)",
}


def compact(value: Any, width: int = 100) -> str:
    """One line of JSON, cut at ``width`` characters."""
    if value is MISSING:
        return "—"
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_path(session: Session, path: Sequence[Any]) -> str:
    """``Par › branch 0 › Items › iteration 2 › State`` for a scope or state path."""
    parts: list[str] = []
    for i, item in enumerate(path):
        if isinstance(item, int):
            container = session.states.get(path[i - 1]) if i else None
            parts.append(f"{'branch' if isinstance(container, ParallelState) else 'iteration'} {item}")
        else:
            parts.append(str(item))
    return " › ".join(parts)


def _short_path(path: Sequence[Any]) -> str:
    out = ""
    for item in path:
        if isinstance(item, int):
            out += f"[{item}]"
        else:
            out += (" › " if out else "") + str(item)
    return out


def render_value(console: Console, label: str | None, value: Any) -> None:
    """A JSON value, pretty (highlighted when the console has colour)."""
    if label:
        console.print(Text(label, style="bold cyan"))
    if value is MISSING:
        console.print(Text("  (not reached yet)", style="dim"))
        return
    console.print(JSON.from_data(value, indent=2, ensure_ascii=False, default=str), soft_wrap=True)


def render_stop(console: Console, session: Session, stop: Stop) -> None:
    """The banner printed when the execution stops."""
    state = stop.state
    reason = "; ".join(stop.reasons)
    console.print(Text(f"── stop {stop.number} · {reason} ", style="dim"), soft_wrap=True)
    head = Text()
    marks = {"enter": ("▶ ", "bold cyan"), "return": ("◀ ", "bold cyan"), "stage": ("● ", "bold cyan"),
             "error": ("✗ ", "bold red"), "pause": ("‖ ", "bold yellow")}
    mark, style = marks[stop.kind]
    head.append(mark, style=style)
    head.append(state.name, style="bold")
    head.append(f" ({state.type})", style="dim")
    if stop.kind == "enter":
        head.append("  starts")
        if isinstance(state, FailState):
            error = session.fail_error(stop.visit, stop.value)
            head.append(f" and fails with {error}" if error else " and fails", style="red")
    elif stop.kind == "return":
        what = "branches" if isinstance(state, ParallelState) else "iterations"
        head.append(f"  has the results of its {what}")
    elif stop.kind == "stage":
        head.append(f"  at {_STAGE_LABEL.get(stop.stage or '', stop.stage)}")
    elif stop.kind == "pause":
        head.append("  waiting")
        if stop.remaining is not None:
            due = "to go" if state.type == "Wait" else "to the execution's next timer"
            head.append(f", {stop.remaining:.1f} s {due} (the wait resumes when you go on)", style="dim")
    else:
        head.append("  failed", style="red")
    if stop.visit.attempt > 1:
        head.append(f"  (attempt {stop.visit.attempt})", style="yellow")
    if stop.scope:
        head.append(f"   in {format_path(session, stop.scope)}", style="dim")
    console.print(head, soft_wrap=True)
    if stop.kind == "error":
        render_failure(console, session.failure(stop))
        return
    label = "input" if stop.kind == "enter" else "result" if stop.kind == "return" else stop.stage or "input"
    line = Text("  ")
    line.append(f"{label}: ", style="cyan")
    line.append(compact(stop.value, max(console.width - len(label) - 6, 40)))
    console.print(line, soft_wrap=True)
    for text in stop.reasons:
        if text.startswith("watch "):
            number = int(text.split()[1].rstrip(":"))
            for watch in session.watches:
                if watch.number == number:
                    console.print(Text(f"  {watch.probe.text}: {compact(watch.previous, 40)} → "
                                       f"{compact(watch.last, 60)}", style="magenta"), soft_wrap=True)


def render_failure(console: Console, failure: Failure) -> None:
    """The error, the retrier or catcher that matches, and what happens next."""
    line = Text("  error: ", style="red")
    line.append(str(failure.error), style="bold red")
    console.print(line, soft_wrap=True)
    if failure.cause:
        cause = failure.cause if len(failure.cause) <= 500 else failure.cause[:500] + "…"
        console.print(Text.assemble(("  cause: ", "red"), cause), soft_wrap=True)
    if failure.retrier is not None and failure.outcome == "retry":
        console.print(Text(f"  matches Retry #{failure.retry_index}: {_rule(failure.retrier)}"), soft_wrap=True)
    elif failure.retrier is not None and failure.exhausted_index is not None:
        console.print(Text(f"  matches Retry #{failure.exhausted_index} (used up): {_rule(failure.retrier)}"),
                      soft_wrap=True)
    if failure.catcher is not None:
        console.print(Text(f"  matches Catch #{failure.catch_index}: {_rule(failure.catcher)}"), soft_wrap=True)
    console.print(Text.assemble(("  next: ", "bold"), failure.describe()), soft_wrap=True)
    console.print(Text("  retry = run it again now · skip [JSON] = leave it with that output · "
                       "continue = let Retry/Catch decide", style="dim"), soft_wrap=True)


def _rule(rule: Any) -> str:
    """A retrier or catcher as compact JSON, without its Comment."""
    if isinstance(rule, dict):
        rule = {k: v for k, v in rule.items() if k != "Comment"}
    return compact(rule, 200)


def render_stages(console: Console, session: Session, stop: Stop) -> None:
    """Every data-flow stage of the stopped state on one line each, the current one marked."""
    console.print(Text.assemble((stop.state.name, "bold"), (f" ({stop.state.type})", "dim"),
                                " — the data at each stage", ("   (print STAGE shows one in full)", "dim")),
                  soft_wrap=True)
    current = stop.stage if stop.kind != "error" else None
    if stop.kind == "enter" and current is None:
        current = "input"
    rows = [(name, _STAGE_LABEL.get(name, name), value) for name, value in session.stages(stop)]
    width = max(len(label) for _, label, _ in rows) + 2
    for name, label, value in rows:
        line = Text()
        line.append("▶ " if name == current else "  ", style="bold cyan")
        line.append(f"{label:<{width}}", style="bold cyan" if name == current else "cyan")
        room = max(console.width - line.cell_len, 20)
        line.append(compact(value, room) if value is not MISSING else "(not reached yet)",
                    style="" if value is not MISSING else "dim")
        console.print(line, soft_wrap=True)
    if stop.kind == "error":
        render_failure(console, session.failure(stop))


def render_where(console: Console, levels: list[Location], stop: Stop) -> None:
    """The state path as a small tree: each Parallel branch / Map iteration, then the state and its stage."""
    tree: Tree | None = None
    node: Any = None
    for level in levels:
        state = level.state
        text = Text()
        if level.index is None:
            text.append("▶ ", style="bold cyan")
        text.append(state.name if state is not None else "?", style="bold")
        text.append(f" ({state.type if state is not None else '?'})", style="dim")
        if level.index is not None:
            text.append(f"  {level.kind} {level.index}", style="yellow")
        else:
            where = {"enter": "starting", "return": "has its results", "error": "failed",
                     "pause": "waiting"}.get(stop.kind, f"at {stop.stage}")
            text.append(f"  {where}")
            if stop.visit.attempt > 1:
                text.append(f" (attempt {stop.visit.attempt})", style="yellow")
        if tree is None:
            tree = node = Tree(text)
        else:
            node = node.add(text)
    if tree is not None:
        console.print(tree)


def render_history(console: Console, events: list[Event]) -> None:
    """History events, one a line: id, type, where, and the interesting detail (cut to the width)."""
    if not events:
        console.print(Text("no events yet", style="dim"))
        return
    width = max(console.width, 60)
    kind_width = min(max(len(e.type) for e in events), 32)
    for event in events:
        details = event.details or {}
        if "error" in details:
            detail = f"{details.get('error')}: {details.get('cause') or ''}"
        elif "output" in details:
            detail = "output " + compact(details["output"], width)
        elif "input" in details:
            detail = "input " + compact(details["input"], width)
        elif "message" in details:
            detail = str(details["message"])
        else:
            detail = ""
        style = "red" if "Failed" in event.type or "TimedOut" in event.type else ""
        line = Text()
        line.append(f"{event.id:>4}  ", style="dim")
        line.append(f"{event.type:<{kind_width}}  ", style=style)
        line.append(_short_path(event.scope), style="bold")
        room = width - line.cell_len - 2
        if detail and room > 12:
            line.append("  " + (detail if len(detail) <= room else detail[: room - 1] + "…"), style="dim")
        console.print(line, soft_wrap=True)


def render_graph(console: Console, session: Session, stop: Stop | None) -> None:
    """The machine as a tree in definition order, with the current state marked."""
    on_path: set[str] = set()
    current = None
    if stop is not None:
        current = stop.state.name
        on_path = {p for p in stop.path if isinstance(p, str)}
    broken = {bp.target for bp in session.breakpoints if bp.kind == "state"}
    machine = session.machine
    root = Tree(Text.assemble((machine.name, "bold"), ("  ▶ current · ● breakpoint · ×n times entered", "dim")))

    def label(state: State) -> Text:
        text = Text()
        if state.name == current:
            text.append("▶ ", style="bold cyan")
        elif state.name in on_path:
            text.append("▷ ", style="cyan")
        else:
            text.append("  ")
        if state.name in broken:
            text.append("● ", style="red")
        text.append(state.name, style="bold" if state.name in on_path else "")
        text.append(f" ({state.type})", style="dim")
        text.append("  " + _transitions(state), style="green")
        count = session.visited.get(state.name)
        if count:
            text.append(f"  ×{count}", style="dim")
        return text

    def add(tree: Tree, body: States) -> None:
        for state in body.states.values():
            node = tree.add(label(state))
            if isinstance(state, ParallelState):
                for i, branch in enumerate(state.branches):
                    add(node.add(Text(f"branch {i}", style="yellow")), branch)
            elif isinstance(state, MapState):
                add(node.add(Text("each item", style="yellow")), state.processor)

    add(root, machine.body)
    console.print(root)


def _transitions(state: State) -> str:
    if isinstance(state, ChoiceState):
        targets = [c.next for c in state.choices]
        text = "→ " + " | ".join(dict.fromkeys(targets))
        if state.default:
            text += f" | default {state.default}"
        return text
    if isinstance(state, FailState):
        error = state.raw.get("Error") or state.raw.get("ErrorPath") or ""
        return f"✗ fails {error}".rstrip()
    if isinstance(state, SucceedState):
        return "✓ succeeds"
    text = "→ end" if state.end else f"→ {state.next}"
    catchers = getattr(state, "catch", ())
    if catchers:
        text += "  catch → " + ", ".join(dict.fromkeys(c.next for c in catchers))
    if getattr(state, "retry", ()):
        text += "  (retries)"
    return text


def render_breakpoints(console: Console, breakpoints: list[Breakpoint]) -> None:
    """The breakpoints, numbered, with how often each was hit."""
    if not breakpoints:
        console.print(Text("no breakpoints; add one with: break STATE | type:Task | error[:NAME] | if CONDITION",
                           style="dim"))
        return
    for bp in breakpoints:
        hits = f"  (hit {bp.hits}×)" if bp.hits else ""
        console.print(Text.assemble((f"{bp.number:>3} ", "bold"), bp.describe(), (hits, "dim")), soft_wrap=True)


def render_watches(console: Console, watches: list[Watch]) -> None:
    """The watches and their last values."""
    if not watches:
        console.print(Text("no watches; add one with: watch PATH", style="dim"))
        return
    for watch in watches:
        console.print(Text.assemble((f"{watch.number:>3} ", "bold"), watch.probe.text, " = ",
                                    (compact(watch.last, 80), "magenta")), soft_wrap=True)


def render_result(console: Console, result: ExecutionResult) -> None:
    """How the execution ended, with its output or error."""
    console.print(Text.assemble(("execution ", ""), (result.status, _STATUS_STYLE.get(result.status, "bold")),
                                (f"  {len(result.events)} events", "dim")))
    if result.succeeded:
        render_value(console, "output", result.output)
    elif result.status != "ABORTED":
        console.print(Text.assemble(("error: ", "red"), (str(result.error), "bold red")), soft_wrap=True)
        if result.cause:
            console.print(Text.assemble(("cause: ", "red"), str(result.cause)), soft_wrap=True)
