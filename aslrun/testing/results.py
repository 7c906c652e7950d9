"""Assertion-friendly wrappers around an execution: the path taken, each state's input and output.

:class:`WorkflowResult` is what the pytest fixtures return. Its ``assert_*`` methods fail with a
message a person can act on: what was expected, what happened, a diff of the two outputs, and
the path of states the execution took.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from aslrun.effects import Event
from aslrun.execution import ExecutionResult

__all__ = ["StateRun", "WorkflowResult", "json_diff"]

_MISSING: Any = object()


@dataclass(frozen=True)
class StateRun:
    """One time a state ran: its input and (unless it failed) its output, from the history."""

    name: str
    type: str
    input: Any
    output: Any = None
    exited: bool = False
    #: where it ran: ``()`` at the top level, else (Parallel/Map name, branch or item index, ...)
    scope: tuple[Any, ...] = ()
    entered_event: Event | None = None
    exited_event: Event | None = None
    #: this run's own events, from StateEntered to StateExited (or to where it stopped)
    events: tuple[Event, ...] = ()

    @property
    def event_types(self) -> list[str]:
        """``["TaskStateEntered", "TaskScheduled", ...]``: the types of :attr:`events`."""
        return [event.type for event in self.events]

    @property
    def assigned(self) -> dict[str, Any]:
        """Variables the state assigned (``Assign``), as values."""
        details = (self.exited_event.details or {}) if self.exited_event is not None else {}
        return {k: json.loads(v) for k, v in details.get("assignedVariables", {}).items()}


def json_diff(expected: Any, actual: Any) -> str:
    """A unified diff of two JSON values, pretty-printed with sorted keys."""
    def lines(value: Any) -> list[str]:
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=repr).splitlines()

    return "\n".join(difflib.unified_diff(lines(expected), lines(actual), "expected", "actual", lineterm=""))


class WorkflowResult:
    """An :class:`~aslrun.ExecutionResult` with the questions tests ask of it::

        result.visited                     # top-level states, in order: ["Validate", "Charge", "Ship"]
        result.state("Charge").output      # the first time Charge ran
        result.assert_output({"shipped": True})

    Anything else (``status``, ``output``, ``error``, ``cause``, ``history``, ``variables``...)
    comes from the wrapped :class:`~aslrun.ExecutionResult`.
    """

    def __init__(self, result: ExecutionResult, description: str = "the execution") -> None:
        self.result = result
        self.description = description
        self._runs: list[StateRun] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.result, name)

    def __repr__(self) -> str:
        return f"<WorkflowResult {self.result.status} path={self.path!r}>"

    # ------------------------------------------------------------ the path

    @property
    def runs(self) -> list[StateRun]:
        """Every state run, nested ones included, in the order they were entered."""
        if self._runs is None:
            self._runs = list(self._collect())
        return self._runs

    def _collect(self) -> Iterator[StateRun]:
        open_runs: dict[tuple[Any, ...], int] = {}
        found: list[list[Any]] = []
        for event in self.result.events:
            if event.type.endswith("StateEntered"):
                details = event.details or {}
                open_runs[event.scope] = len(found)
                found.append([details.get("name", event.scope[-1] if event.scope else ""),
                              event.type[: -len("StateEntered")], details.get("input"), _MISSING, event, None,
                              [event]])
            elif event.scope in open_runs:
                index = open_runs[event.scope]
                found[index][6].append(event)
                if event.type.endswith("StateExited"):
                    del open_runs[event.scope]
                    found[index][3] = (event.details or {}).get("output")
                    found[index][5] = event
        for name, kind, input, output, entered, exited, events in found:
            yield StateRun(name, kind, input, None if output is _MISSING else output, output is not _MISSING,
                           entered.scope[:-1], entered, exited, tuple(events))

    @property
    def visited(self) -> list[str]:
        """The names of the top-level states entered, in order (a state entered twice appears twice)."""
        return [run.name for run in self.runs if run.scope == ()]

    @property
    def visited_all(self) -> list[str]:
        """Every state entered, in Parallel branches and Map iterations too, in the order entered."""
        return [run.name for run in self.runs]

    @property
    def path(self) -> str:
        """``A → B → C``: the top-level states taken."""
        return " → ".join(self.visited) or "(no state entered)"

    def state(self, name: str, occurrence: int = 0) -> StateRun:
        """The ``occurrence``-th run (from 0) of the state called ``name``, at any depth."""
        __tracebackhide__ = True
        runs = self.states(name)
        if not runs:
            raise AssertionError(f"state {name!r} never ran in {self.description}.\n{self._summary()}")
        if occurrence >= len(runs):
            raise AssertionError(f"state {name!r} ran {len(runs)} time(s) in {self.description}; there is no run "
                                 f"#{occurrence} (counting from 0).\n{self._summary()}")
        return runs[occurrence]

    def states(self, name: str) -> list[StateRun]:
        """Every run of the state called ``name``, in order."""
        return [run for run in self.runs if run.name == name]

    # ------------------------------------------------------------ assertions

    def assert_succeeded(self) -> WorkflowResult:
        """Fail unless the execution succeeded."""
        __tracebackhide__ = True
        if self.result.status != "SUCCEEDED":
            raise AssertionError(f"expected {self.description} to succeed, but it {self._ended()}.\n{self._summary()}")
        return self

    def assert_output(self, expected: Any) -> WorkflowResult:
        """Fail unless the execution succeeded with exactly ``expected`` as its output."""
        __tracebackhide__ = True
        if self.result.status != "SUCCEEDED":
            raise AssertionError(
                f"expected {self.description} to succeed with output {_short(expected)}, but it {self._ended()}."
                f"\n{self._summary()}")
        if self.result.output != expected:
            raise AssertionError(f"the output of {self.description} is not the expected one:\n"
                                 f"{json_diff(expected, self.result.output)}\n{self._summary()}")
        return self

    def assert_failed(self, error: str | None = None, cause: str | None = None, *,
                      cause_match: str | None = None) -> WorkflowResult:
        """Fail unless the execution failed (with this ``error``; this ``cause``, or a cause matching a regex)."""
        __tracebackhide__ = True
        if self.result.status != "FAILED":
            wanted = f" with {error}" if error else ""
            raise AssertionError(f"expected {self.description} to fail{wanted}, but it {self._ended()}."
                                 f"\n{self._summary()}")
        problems = []
        if error is not None and self.result.error != error:
            problems.append(f"  error: expected {error!r}, got {self.result.error!r}")
        if cause is not None and self.result.cause != cause:
            problems.append(f"  cause: expected {cause!r},\n            got {self.result.cause!r}")
        if cause_match is not None and not re.search(cause_match, self.result.cause or ""):
            problems.append(f"  cause: expected a match for {cause_match!r},\n            got {self.result.cause!r}")
        if problems:
            raise AssertionError(f"{self.description} failed, but not as expected:\n" + "\n".join(problems)
                                 + f"\n{self._summary()}")
        return self

    def assert_visited(self, *names: str) -> WorkflowResult:
        """Fail unless the top-level path is exactly ``names``."""
        __tracebackhide__ = True
        if self.visited != list(names):
            raise AssertionError(f"{self.description} took another path:\n  expected: {' → '.join(names)}\n"
                                 f"  actual:   {self.path}")
        return self

    # ------------------------------------------------------------ messages

    def _ended(self) -> str:
        r = self.result
        if r.status == "SUCCEEDED":
            return f"succeeded with output {_short(r.output)}"
        text = r.status
        if r.error is not None or r.cause is not None:
            text += f" with {r.error}: {r.cause}"
        return text

    def _summary(self) -> str:
        lines = [f"path taken: {self.path}"]
        failed = [run for run in self.runs if not run.exited]
        if failed and self.result.status != "SUCCEEDED":
            last = failed[-1]
            lines.append(f"it stopped in {last.type} state {last.name!r} with input {_short(last.input)}")
        return "\n".join(lines)


def _short(value: Any, width: int = 200) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= width else text[: width - 1] + "…"
