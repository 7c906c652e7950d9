"""aslrun: run AWS Step Functions state machines locally, exactly as the service does.

>>> import aslrun
>>> result = aslrun.run({"StartAt": "Hi", "States": {"Hi": {"Type": "Pass", "End": True}}}, {"x": 1})
>>> result.status, result.output
('SUCCEEDED', {'x': 1})

The public names load on first use (:pep:`562`), so ``import aslrun`` and ``aslrun --help`` stay
instant; ``from aslrun import Interpreter`` works as usual.
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
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
    from aslrun.execution import Execution
    from aslrun.integrations.base import Integration, TaskRequest
    from aslrun.interpreter import Interpreter
    from aslrun.nodes import StateMachine
    from aslrun.result import ExecutionResult

__version__ = "0.1.0"

#: public name -> the module that defines it (imported on first use)
_HOMES = {
    "AslrunError": "aslrun.errors",
    "DefinitionError": "aslrun.errors",
    "Diagnostic": "aslrun.errors",
    "Execution": "aslrun.execution",
    "ExecutionFailed": "aslrun.errors",
    "ExecutionResult": "aslrun.result",
    "InputError": "aslrun.errors",
    "Integration": "aslrun.integrations.base",
    "IntegrationError": "aslrun.errors",
    "Interpreter": "aslrun.interpreter",
    "MockConfigError": "aslrun.errors",
    "SourceError": "aslrun.errors",
    "StateMachine": "aslrun.nodes",
    "StatesError": "aslrun.errors",
    "SystemClock": "aslrun.clock",
    "TaskRequest": "aslrun.integrations.base",
    "VirtualClock": "aslrun.clock",
}


def __getattr__(name: str) -> _Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'aslrun' has no attribute {name!r}")
    value = getattr(_importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


def load(source: _Any, name: str | None = None) -> StateMachine:
    """Read, validate and compile a definition (dict, JSON/YAML text or path) with default settings."""
    from aslrun.interpreter import Interpreter

    return Interpreter().load(source, name=name)


def run(definition: _Any, input: _Any = None, *, name: str | None = None, **settings: _Any) -> ExecutionResult:
    """Run ``definition`` on ``input`` to the end; ``settings`` go to :class:`Interpreter`."""
    from aslrun.interpreter import Interpreter

    with Interpreter(**settings) as interpreter:
        return interpreter.run(definition, input, name=name)


def validate(source: _Any, *, type: str = "STANDARD") -> list[Diagnostic]:
    """Every problem in a definition (dict, JSON/YAML text or path), without raising for them.

    ``type="EXPRESS"`` also applies the rules of Express state machines (no ``.sync``, no
    ``.waitForTaskToken``, no activities), as ``ValidateStateMachineDefinition`` does.
    """
    from aslrun.source import read_definition
    from aslrun.validation import validate_definition

    return validate_definition(read_definition(source).value, type=type)


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
