"""The compiled state machine: frozen dataclasses built by :mod:`aslrun.parser`.

Every expression in a node is already compiled (paths, intrinsic calls, payload
templates, Choice conditions), so running a state never parses text.

Path-valued fields use three values: ``None`` means the field was absent (use
the default), :data:`NULL` means the definition says ``null`` explicitly, and
otherwise the field holds a compiled path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "NULL",
    "Catcher",
    "ChoiceBranch",
    "ChoiceState",
    "FailState",
    "MapState",
    "ParallelState",
    "PassState",
    "Retrier",
    "State",
    "StateMachine",
    "States",
    "SucceedState",
    "TaskState",
    "WaitState",
]


class _Null:
    """Marks a field that the definition set to JSON ``null``."""

    _instance: _Null | None = None

    def __new__(cls) -> _Null:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NULL"

    def __bool__(self) -> bool:
        return False


#: the explicit JSON ``null`` of a path field (``"ResultPath": null``)
NULL = _Null()


@dataclass(frozen=True, slots=True)
class Retrier:
    """One entry of a state's ``Retry`` list."""

    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    jitter: str = "NONE"
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class Catcher:
    """One entry of a state's ``Catch`` list."""

    error_equals: tuple[str, ...]
    next: str
    result_path: Any = None
    assign: Any = None
    output: Any = None
    pointer: str = ""


@dataclass(frozen=True, slots=True)
class States:
    """One ``States`` object with its ``StartAt``: the top level, a Parallel branch or a Map processor."""

    start_at: str
    states: Mapping[str, State]
    query_language: str = "JSONPath"
    comment: str | None = None
    pointer: str = ""

    def __getitem__(self, name: str) -> State:
        return self.states[name]


@dataclass(frozen=True, slots=True, kw_only=True)
class State:
    """Fields every state type has."""

    name: str
    type: str
    pointer: str
    query_language: str = "JSONPath"
    comment: str | None = None
    next: str | None = None
    end: bool = False
    input_path: Any = None
    output_path: Any = None
    assign: Any = None
    output: Any = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    #: ``query_language == "JSONata"``, read by every state visit (set from it, not passed)
    jsonata: bool = field(init=False, repr=False, compare=False)
    #: the types of its history events on entry and exit (``PassStateEntered``), made once
    entered_type: str = field(init=False, repr=False, compare=False)
    exited_type: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "jsonata", self.query_language == "JSONata")
        object.__setattr__(self, "entered_type", self.type + "StateEntered")
        object.__setattr__(self, "exited_type", self.type + "StateExited")


@dataclass(frozen=True, slots=True, kw_only=True)
class PassState(State):
    has_result: bool = False
    result: Any = None
    parameters: Any = None
    result_path: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TaskState(State):
    resource: str
    parameters: Any = None
    arguments: Any = None
    result_selector: Any = None
    result_path: Any = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()
    timeout_seconds: Any = None
    timeout_seconds_path: Any = None
    heartbeat_seconds: Any = None
    heartbeat_seconds_path: Any = None
    credentials: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceBranch:
    """A top-level Choice rule: its condition, target and optional Assign/Output."""

    condition: Any
    next: str
    assign: Any = None
    output: Any = None
    pointer: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceState(State):
    choices: tuple[ChoiceBranch, ...] = ()
    default: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitState(State):
    seconds: Any = None
    seconds_path: Any = None
    timestamp: Any = None
    timestamp_path: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SucceedState(State):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class FailState(State):
    error: Any = None
    cause: Any = None
    error_path: Any = None
    cause_path: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParallelState(State):
    branches: tuple[States, ...] = ()
    parameters: Any = None
    arguments: Any = None
    result_selector: Any = None
    result_path: Any = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class MapState(State):
    processor: States
    mode: str = "INLINE"
    execution_type: str | None = None
    items_path: Any = None
    items: Any = None
    item_selector: Any = None
    item_batcher: Any = None
    item_reader: Any = None
    result_writer: Any = None
    max_concurrency: Any = 0
    max_concurrency_path: Any = None
    tolerated_failure_count: Any = None
    tolerated_failure_count_path: Any = None
    tolerated_failure_percentage: Any = None
    tolerated_failure_percentage_path: Any = None
    label: str | None = None
    result_selector: Any = None
    result_path: Any = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()

    @property
    def distributed(self) -> bool:
        return self.mode == "DISTRIBUTED"


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A loaded, validated and compiled state machine."""

    body: States
    definition: Mapping[str, Any] = field(repr=False, compare=False)
    name: str = "StateMachine"
    timeout_seconds: int | None = None
    query_language: str = "JSONPath"
    comment: str | None = None
    version: str | None = None
    source_name: str | None = None

    @property
    def start_at(self) -> str:
        return self.body.start_at

    def all_states(self) -> dict[str, State]:
        """Every state of the machine, nested ones included, by name."""
        out: dict[str, State] = {}

        def visit(body: States) -> None:
            for name, st in body.states.items():
                out[name] = st
                if isinstance(st, ParallelState):
                    for b in st.branches:
                        visit(b)
                elif isinstance(st, MapState):
                    visit(st.processor)

        visit(self.body)
        return out
