"""How an execution ended: :class:`ExecutionResult`, with its history."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aslrun.effects import Event
from aslrun.errors import ExecutionFailed
from aslrun.history import history_to_json

__all__ = ["ExecutionResult"]


@dataclass
class ExecutionResult:
    """How an execution ended, with its full history."""

    status: str
    output: Any = None
    error: str | None = None
    cause: str | None = None
    name: str = ""
    execution_arn: str = ""
    state_machine_arn: str = ""
    start_time: float = 0.0
    stop_time: float = 0.0
    events: list[Event] = field(default_factory=list, repr=False)
    variables: dict[str, Any] = field(default_factory=dict, repr=False)
    #: a Distributed Map's child executions' histories, by (Map Run ARN, index)
    child_events: dict[Any, list[Event]] = field(default_factory=dict, repr=False)

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def history(self) -> list[dict[str, Any]]:
        """The history as ``GetExecutionHistory`` shows it (payloads as JSON text)."""
        return history_to_json(self.events)

    def history_values(self) -> list[dict[str, Any]]:
        """The history with payloads as JSON values (easier to assert on)."""
        return history_to_json(self.events, parsed=True)

    def to_json(self) -> dict[str, Any]:
        """``{"status": "SUCCEEDED", "output": ...}`` or ``{"status": ..., "error": ..., "cause": ...}``."""
        if self.status == "SUCCEEDED":
            return {"status": self.status, "output": self.output}
        return {"status": self.status, "error": self.error, "cause": self.cause}

    def raise_for_status(self) -> ExecutionResult:
        """Raise :class:`~aslrun.errors.ExecutionFailed` unless the execution succeeded."""
        if not self.succeeded:
            raise ExecutionFailed(self)
        return self
