"""aslrun: run AWS Step Functions state machines locally, exactly as the service does.

>>> import aslrun
>>> result = aslrun.run({"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}}, {"x": 1})
>>> result.status, result.output
('SUCCEEDED', {'x': 1})
"""

from __future__ import annotations

from typing import Any as _Any

from aslrun.clock import SystemClock, VirtualClock
from aslrun.errors import (
    AslrunError,
    DefinitionError,
    Diagnostic,
    ExecutionFailed,
    InputError,
    IntegrationError,
    MockConfigError,
    SourceError,
    StatesError,
)
from aslrun.execution import Execution, ExecutionResult
from aslrun.integrations.base import Integration, TaskRequest
from aslrun.interpreter import Interpreter
from aslrun.nodes import StateMachine
from aslrun.validation import validate_definition as _validate_definition

__version__ = "0.1.0"


def load(source: _Any, name: str | None = None) -> StateMachine:
    """Read, validate and compile a definition (dict, JSON/YAML text or path) with default settings."""
    return Interpreter().load(source, name=name)


def run(definition: _Any, input: _Any = None, *, name: str | None = None, **settings: _Any) -> ExecutionResult:
    """Run ``definition`` on ``input`` to the end; ``settings`` go to :class:`Interpreter`."""
    with Interpreter(**settings) as interpreter:
        return interpreter.run(definition, input, name=name)


def validate(source: _Any, *, type: str = "STANDARD") -> list[Diagnostic]:
    """Every problem in a definition (dict, JSON/YAML text or path), without raising for them.

    ``type="EXPRESS"`` also applies the rules of Express state machines (no ``.sync``, no
    ``.waitForTaskToken``, no activities), as ``ValidateStateMachineDefinition`` does.
    """
    from aslrun.source import read_definition

    return _validate_definition(read_definition(source).value, type=type)


__all__ = [
    "AslrunError",
    "DefinitionError",
    "Diagnostic",
    "Execution",
    "ExecutionFailed",
    "ExecutionResult",
    "InputError",
    "Integration",
    "IntegrationError",
    "Interpreter",
    "MockConfigError",
    "SourceError",
    "StateMachine",
    "StatesError",
    "SystemClock",
    "TaskRequest",
    "VirtualClock",
    "__version__",
    "load",
    "run",
    "validate",
]
