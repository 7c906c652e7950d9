"""What the debugger's session works with: visits, stops, breakpoints, watches, failures, stages.

Plain records; :mod:`aslrun.debugger.session` fills them in and decides, and
:mod:`aslrun.debugger.render` draws them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aslrun.debugger.probes import Probe
from aslrun.effects import Event
from aslrun.nodes import ParallelState, State

__all__ = [
    "MISSING",
    "ORDER",
    "STAGES",
    "Breakpoint",
    "Failure",
    "Location",
    "Stop",
    "Visit",
    "Watch",
    "stage_name",
]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


#: a stage not reached yet, a path that selects nothing
MISSING: Any = _Missing()

#: the data-flow stages in the order the engine reports them
STAGES = ("input", "afterInputPath", "afterParameters", "afterArguments", "result", "afterResultSelector",
          "afterResultPath", "output")
#: each stage's place; afterParameters and afterArguments (JSONPath / JSONata) share one
ORDER = {"input": 0, "afterInputPath": 1, "afterParameters": 2, "afterArguments": 2, "result": 3,
          "afterResultSelector": 4, "afterResultPath": 5, "output": 6}
_ALIASES = {
    "raw": "input", "inputpath": "afterInputPath", "parameters": "afterParameters", "params": "afterParameters",
    "arguments": "afterArguments", "args": "afterArguments", "selector": "afterResultSelector",
    "resultselector": "afterResultSelector", "resultpath": "afterResultPath",
}


def stage_name(text: str) -> str | None:
    """The engine's name for a stage the user typed (``result``, ``parameters``, ``afterResultPath``)."""
    if text in ORDER:
        return text
    lowered = text.lower()
    for name in ORDER:
        if name.lower() == lowered:
            return name
    return _ALIASES.get(lowered)


@dataclass
class Visit:
    """One run of a state (re-entering it, in a loop, is a new visit; a retry is the same one)."""

    state: State
    #: the frame: () at top level, ("Par", 1) in branch 1 of Par, ("Par", 1, "Map", 4) in an iteration inside
    scope: tuple[Any, ...]
    entered: Event
    attempt: int = 1
    #: the value at each stage reached so far, after any edit
    stages: dict[str, Any] = field(default_factory=dict)
    #: the last failure plan (the ``error`` stage), if the state failed
    error: dict[str, Any] | None = None
    started: bool = False

    @property
    def path(self) -> tuple[Any, ...]:
        return self.scope + (self.state.name,)

    @property
    def input(self) -> Any:
        if "input" in self.stages:
            return self.stages["input"]
        return (self.entered.details or {}).get("input")


@dataclass
class Stop:
    """Where the execution is paused, why, and the value that will flow on."""

    number: int
    #: "enter", "return", "stage", "error" or "pause" (see :mod:`aslrun.debugger.session`)
    kind: str
    visit: Visit
    #: the stage (``input`` … ``output``, ``error``), None at a Map/Parallel/Fail state's entry
    stage: str | None
    #: the value at this point; ``set`` edits it and the engine goes on with it
    value: Any
    reasons: list[str]
    editable: bool
    #: "retry" or ("skip", output) when the user chose one at an error stop
    decision: Any = None
    #: at a ``pause`` stop: how many seconds the execution still had to wait
    remaining: float | None = None

    @property
    def state(self) -> State:
        return self.visit.state

    @property
    def scope(self) -> tuple[Any, ...]:
        return self.visit.scope

    @property
    def path(self) -> tuple[Any, ...]:
        return self.visit.path

    @property
    def data(self) -> Any:
        """What ``$`` means at this stop: the value, or the state's input at an error stop."""
        return self.visit.input if self.kind == "error" else self.value


@dataclass
class Breakpoint:
    """``STATE``, ``type:TYPE``, ``error[:NAME]`` or ``if CONDITION`` (``STATE if CONDITION`` too)."""

    number: int
    spec: str
    #: "state", "type", "error" or "condition"
    kind: str
    target: str | None = None
    condition: Probe | None = None
    hits: int = 0

    def describe(self) -> str:
        """The breakpoint in words: ``state Charge``, ``every Task state if $.total > 100``, ``any error``."""
        what = {"state": f"state {self.target}", "type": f"every {self.target} state",
                "error": f"error {self.target}" if self.target else "any error",
                "condition": "every state"}[self.kind]
        if self.condition is not None:
            what += f" if {self.condition.text}"
        return what


@dataclass
class Watch:
    """A value the session stops on when it changes (checked as each state starts)."""

    number: int
    probe: Probe
    last: Any = MISSING
    previous: Any = MISSING


@dataclass
class Location:
    """One level of :meth:`Session.where`: a state, and the branch/iteration of it the next level is in."""

    state: State | None
    #: the Parallel branch or Map iteration index below this state; None for the innermost level
    index: int | None = None

    @property
    def kind(self) -> str | None:
        if self.index is None:
            return None
        return "branch" if isinstance(self.state, ParallelState) else "iteration"


@dataclass
class Failure:
    """An ``error`` stop explained: the error, the retrier or catcher that matches, and what comes next."""

    error: str | None
    cause: str | None
    outcome: str  # "retry", "catch" or "fail"
    retry_index: int | None = None
    retrier: Mapping[str, Any] | None = None
    attempt: int | None = None
    max_attempts: int | None = None
    delay: float | None = None
    exhausted_index: int | None = None
    catch_index: int | None = None
    catcher: Mapping[str, Any] | None = None
    next: str | None = None
    #: the Parallel/Map whose branch or iteration fails with the state (None at top level)
    container: State | None = None

    def describe(self) -> str:
        """What Retry/Catch will do, in one sentence."""
        if self.outcome == "retry":
            when = f"after {self.delay:g} s" if self.delay else "at once"
            return f"Retry #{self.retry_index} runs the state again {when} (attempt {self.attempt} of " \
                   f"{self.max_attempts} retries)."
        if self.outcome == "catch":
            return f"Catch #{self.catch_index} handles it: the execution goes on at {self.next}."
        text = "Nothing handles it: the state fails"
        if self.exhausted_index is not None:
            text = f"Retry #{self.exhausted_index} matches but has used its {self.max_attempts} retries, and no " \
                   "Catch handles it: the state fails"
        if self.container is None:
            return text + ", and with it the execution."
        return text + f", and with it this {'branch' if isinstance(self.container, ParallelState) else 'iteration'}" \
                      f" of {self.container.name} (whose own Retry/Catch decide next)."


