"""Checks of the state graph: state names, transitions, reachability and terminal states.

While the walk goes through the states, :func:`register_name` records each name (names
are unique in the whole machine, branches and processors included) and
:func:`transition` each ``Next``/``End``; the Choice and Catch checks add the targets of
choice rules, ``Default`` and catchers to :attr:`Scope.edges
<aslrun.validation.report.Scope.edges>`. Once the walk is done, :func:`check_graph`
checks each ``States`` object: a ``StartAt`` or a target that is not a state in it (with
a spelling hint, or where the state lives instead), a missing terminal state, and states
nothing reaches.
"""

from __future__ import annotations

from typing import Any

from aslrun.validation import fields as field_checks
from aslrun.validation.report import (
    DUPLICATE_NAME,
    MAX_NAME,
    MISSING_END,
    MISSING_TARGET,
    Reporter,
    Scope,
    closest,
    join_pointer,
)

# ---------------------------------------------------------------- names and transitions, during the walk


def register_name(r: Reporter, name: str, ptr: str, scope: Scope) -> None:
    """Record a state's name in its scope; report a bad length or a name used before."""
    scope.names.append(name)
    r.name_scopes.setdefault(name, []).append(scope.pointer)
    if not name or len(name) > MAX_NAME:
        r.error(
            f"State names must be 1 to {MAX_NAME} characters long; this one has {len(name)}.",
            ptr,
            name,
            "Choose a shorter name.",
        )
    first = r.seen_names.get(name)
    if first is None:
        r.seen_names[name] = ptr
    else:
        r.add(
            DUPLICATE_NAME,
            f'State name "{name}" is already used at {first}.',
            ptr,
            name,
            "State names must be unique in the whole machine, including Parallel branches and "
            "Map processors; rename one of them.",
        )


def transition(r: Reporter, fields: dict[str, Any], ptr: str, name: str, scope: Scope) -> None:
    """A state's ``Next`` or ``End``: exactly one, well typed; ``Next`` becomes an edge of the graph."""
    has_next, has_end = "Next" in fields, "End" in fields
    if has_next and has_end:
        r.error(
            "There should only be one of the following fields: [Next, End].",
            join_pointer(ptr, "End"),
            name,
            'Use "Next" to continue to another state or "End": true to stop here, not both.',
        )
    if has_end and fields["End"] is not True:
        end = fields["End"]
        if isinstance(end, bool):
            r.error(
                "The field 'End' must be true, found false.",
                join_pointer(ptr, "End"),
                name,
                "Remove 'End' and keep 'Next' to continue, or set \"End\": true to stop here.",
            )
        else:
            r.type_error("BOOLEAN", end, join_pointer(ptr, "End"), name, 'Write "End": true.')
    if has_end:
        scope.terminal = True  # a malformed End is reported above; the author meant to stop here
    if has_next:
        if field_checks.string(r, fields, "Next", ptr, name, empty_ok=False):
            scope.edges.append((name, fields["Next"], join_pointer(ptr, "Next")))
    elif not has_end:
        r.error(
            "The state has neither 'Next' nor 'End'.",
            ptr,
            name,
            'Add "Next": "<state name>" to continue, or "End": true to stop here.',
        )
        scope.unsure = True


# ---------------------------------------------------------------- the graph, after the walk


def check_graph(r: Reporter) -> None:
    """Targets, terminal states and reachability of every ``States`` object the walk recorded."""
    for scope in r.scopes:
        _scope_graph(r, scope)


def _target_hint(r: Reporter, target: str, scope: Scope) -> tuple[str, str | None]:
    """A hint for a dangling target, and the state it probably meant."""
    guess = closest(target, scope.names)
    if guess is not None:
        return f'Did you mean "{guess}"?', guess
    elsewhere = [p for p in r.name_scopes.get(target, []) if p != scope.pointer]
    if elsewhere:
        return (
            f'A state named "{target}" exists, but in {elsewhere[0]}; a state can only move to states in '
            "its own States object.",
            None,
        )
    shown = ", ".join(f'"{n}"' for n in scope.names[:10]) + (", ..." if len(scope.names) > 10 else "")
    return f"Name one of the states in this States object: {shown}.", None


def _scope_graph(r: Reporter, scope: Scope) -> None:
    names = set(scope.names)
    start_ok = scope.start is not None
    if scope.start is not None and scope.start not in names:
        hint, guess = _target_hint(r, scope.start, scope)
        r.add(MISSING_TARGET, f"Missing 'Next' target: {scope.start}", scope.start_pointer, scope.owner, hint)
        start_ok = guess is not None
        scope.start = guess
    graph: dict[str, list[str]] = {n: [] for n in names}
    for source, target, where in scope.edges:
        if target in names:
            graph[source].append(target)
            continue
        hint, guess = _target_hint(r, target, scope)
        r.add(MISSING_TARGET, f"Missing 'Next' target: {target}", where, source, hint)
        if guess is not None:
            graph[source].append(guess)
    if not scope.terminal:
        if not scope.unsure:
            _no_terminal_state(r, scope)
        return
    if not start_ok or scope.start is None:
        return
    reached = {scope.start}
    todo = [scope.start]
    while todo:
        for nxt in graph.get(todo.pop(), []):
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    for name in scope.names:
        if name not in reached:
            r.add(
                MISSING_TARGET,
                f'State "{name}" is not reachable.',
                join_pointer(scope.pointer, name),
                name,
                "Point a Next, Default or Catch Next at it, or delete it.",
            )


def _no_terminal_state(r: Reporter, scope: Scope) -> None:
    if scope.top:
        r.add(
            MISSING_END,
            "Workflow has no terminal state",
            scope.pointer,
            None,
            'Give a state "End": true, or add a Succeed or Fail state and move to it.',
        )
    else:
        r.add(
            MISSING_END,
            "This States object has no terminal state; its iterations can never finish.",
            scope.pointer,
            scope.owner,
            'Give a state "End": true, or add a Succeed or Fail state.',
            severity="WARNING",
        )
