"""Checks of the state graph: state names, transitions, reachability and terminal states.

While the walk goes through the states, :meth:`_GraphChecks.register_name` records each
name (names are unique in the whole machine, branches and processors included) and
:meth:`_GraphChecks.transition` each ``Next``/``End``; the Choice and Catch checks add the
targets of choice rules, ``Default`` and catchers as edges. Once the walk is done,
:meth:`_GraphChecks.graph` checks each ``States`` object: a ``StartAt`` or a target that
is not a state in it (with a spelling hint, or where the state lives instead), a missing
terminal state, and states nothing reaches.
"""

from __future__ import annotations

from typing import Any

from aslrun.validate.fields import _FieldChecks
from aslrun.validate.report import (
    _MAX_NAME,
    DUPLICATE_NAME,
    MISSING_END,
    MISSING_TARGET,
    _closest,
    _Scope,
    join_pointer,
)


class _GraphChecks(_FieldChecks):
    """State names and transitions as the walk meets them, then the graph of each States object."""

    # ------------------------------------------------------------ names and transitions

    def register_name(self, name: str, ptr: str, scope: _Scope) -> None:
        scope.names.append(name)
        self.name_scopes.setdefault(name, []).append(scope.pointer)
        if not name or len(name) > _MAX_NAME:
            self.error(
                f"State names must be 1 to {_MAX_NAME} characters long; this one has {len(name)}.",
                ptr,
                name,
                "Choose a shorter name.",
            )
        first = self.seen_names.get(name)
        if first is None:
            self.seen_names[name] = ptr
        else:
            self.add(
                DUPLICATE_NAME,
                f'State name "{name}" is already used at {first}.',
                ptr,
                name,
                "State names must be unique in the whole machine, including Parallel branches and "
                "Map processors; rename one of them.",
            )

    def transition(self, fields: dict[str, Any], ptr: str, name: str, scope: _Scope) -> None:
        has_next, has_end = "Next" in fields, "End" in fields
        if has_next and has_end:
            self.error(
                "There should only be one of the following fields: [Next, End].",
                join_pointer(ptr, "End"),
                name,
                'Use "Next" to continue to another state or "End": true to stop here, not both.',
            )
        if has_end and fields["End"] is not True:
            end = fields["End"]
            if isinstance(end, bool):
                self.error(
                    "The field 'End' must be true, found false.",
                    join_pointer(ptr, "End"),
                    name,
                    "Remove 'End' and keep 'Next' to continue, or set \"End\": true to stop here.",
                )
            else:
                self.type_error("BOOLEAN", end, join_pointer(ptr, "End"), name, 'Write "End": true.')
        if has_end:
            scope.terminal = True  # a malformed End is reported above; the author meant to stop here
        if has_next:
            if self.string(fields, "Next", ptr, name, empty_ok=False):
                scope.edges.append((name, fields["Next"], join_pointer(ptr, "Next")))
        elif not has_end:
            self.error(
                "The state has neither 'Next' nor 'End'.",
                ptr,
                name,
                'Add "Next": "<state name>" to continue, or "End": true to stop here.',
            )
            scope.unsure = True

    # ------------------------------------------------------------ the graph

    def graph(self) -> None:
        for scope in self.scopes:
            self.scope_graph(scope)

    def target_hint(self, target: str, scope: _Scope) -> tuple[str, str | None]:
        """A hint for a dangling target, and the state it probably meant."""
        guess = _closest(target, scope.names)
        if guess is not None:
            return f'Did you mean "{guess}"?', guess
        elsewhere = [p for p in self.name_scopes.get(target, []) if p != scope.pointer]
        if elsewhere:
            return (
                f'A state named "{target}" exists, but in {elsewhere[0]}; a state can only move to states in '
                "its own States object.",
                None,
            )
        shown = ", ".join(f'"{n}"' for n in scope.names[:10]) + (", ..." if len(scope.names) > 10 else "")
        return f"Name one of the states in this States object: {shown}.", None

    def scope_graph(self, scope: _Scope) -> None:
        names = set(scope.names)
        start_ok = scope.start is not None
        if scope.start is not None and scope.start not in names:
            hint, guess = self.target_hint(scope.start, scope)
            self.add(
                MISSING_TARGET,
                f"Missing 'Next' target: {scope.start}",
                scope.start_pointer,
                scope.owner,
                hint,
            )
            start_ok = guess is not None
            scope.start = guess
        graph: dict[str, list[str]] = {n: [] for n in names}
        for source, target, where in scope.edges:
            if target in names:
                graph[source].append(target)
                continue
            hint, guess = self.target_hint(target, scope)
            self.add(MISSING_TARGET, f"Missing 'Next' target: {target}", where, source, hint)
            if guess is not None:
                graph[source].append(guess)
        if not scope.terminal:
            if scope.unsure:
                return
            if scope.top:
                self.add(
                    MISSING_END,
                    "Workflow has no terminal state",
                    scope.pointer,
                    None,
                    'Give a state "End": true, or add a Succeed or Fail state and move to it.',
                )
            else:
                self.add(
                    MISSING_END,
                    "This States object has no terminal state; its iterations can never finish.",
                    scope.pointer,
                    scope.owner,
                    'Give a state "End": true, or add a Succeed or Fail state.',
                    severity="WARNING",
                )
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
                self.add(
                    MISSING_TARGET,
                    f'State "{name}" is not reachable.',
                    join_pointer(scope.pointer, name),
                    name,
                    "Point a Next, Default or Catch Next at it, or delete it.",
                )
