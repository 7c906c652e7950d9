"""The one exception tree of aslrun.

Python exceptions are for problems with *using* aslrun: a definition that does not
parse or validate, bad command-line input, a missing integration plugin. An ASL
failure (``States.TaskFailed``, ``States.Runtime``, a Fail state's error, ...) is a
*result* of an execution, not an exception, until the caller asks for one with
:meth:`aslrun.ExecutionResult.raise_for_status`.

::

    AslrunError                      root; every error aslrun raises on purpose
    ├── DefinitionError              the definition is invalid (holds Diagnostics)
    │   └── SourceError              the text is not JSON/YAML (line and column)
    ├── InputError                   an execution input or option value is unusable
    ├── MockConfigError              a mock configuration file is invalid
    ├── IntegrationError             an integration plugin could not be loaded
    ├── TaskTokenError               SendTaskSuccess/Failure/Heartbeat for a token no Task waits on
    └── ExecutionFailed              raised on request for a failed execution

    StatesError                      internal: an ASL error travelling through the
                                     engine (error name + cause); never escapes
                                     the public API
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aslrun.result import ExecutionResult


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a definition.

    ``location`` is a JSON Pointer into the definition (``/States/Fetch/Next``);
    ``state`` names the state it concerns, when there is one; ``hint`` says what to do.
    """

    code: str
    message: str
    location: str = "/"
    state: str | None = None
    hint: str | None = None
    severity: str = "ERROR"
    line: int | None = None
    column: int | None = None

    def format(self) -> str:
        """One line: ``location: message. hint``."""
        text = f"{self.location}: {self.message}"
        if self.hint:
            text += f" {self.hint}"
        return text

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, shaped like ValidateStateMachineDefinition diagnostics."""
        data: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "location": self.location,
        }
        if self.state is not None:
            data["state"] = self.state
        if self.hint:
            data["hint"] = self.hint
        if self.line is not None:
            data["line"] = self.line
            data["column"] = self.column
        return data


class AslrunError(Exception):
    """Root of every exception aslrun raises on purpose."""

    #: exit code the CLI uses for this error
    exit_code = 2


class DefinitionError(AslrunError):
    """The state machine definition is invalid; ``diagnostics`` lists every problem."""

    def __init__(self, diagnostics: list[Diagnostic], source_name: str | None = None) -> None:
        self.diagnostics = list(diagnostics)
        self.source_name = source_name
        count = len(self.diagnostics)
        head = f"{source_name}: " if source_name else ""
        lines = [f"{head}invalid state machine definition ({count} problem{'s' if count != 1 else ''})"]
        lines += ["  " + d.format() for d in self.diagnostics[:20]]
        if count > 20:
            lines.append(f"  ... and {count - 20} more")
        super().__init__("\n".join(lines))


class SourceError(DefinitionError):
    """The definition text is not valid JSON or YAML."""


class InputError(AslrunError):
    """An execution input or an option value cannot be used."""


class MockConfigError(AslrunError):
    """A mock configuration file is invalid."""


class IntegrationError(AslrunError):
    """An integration plugin could not be loaded or registered."""


class TaskTokenError(AslrunError):
    """An answer for a task token that no Task waits on.

    ``code`` is the Step Functions API's error for it: ``InvalidToken`` (not a token aslrun issued)
    or ``TaskDoesNotExist`` (the Task is over: answered, timed out, or its execution ended).
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ExecutionFailed(AslrunError):
    """Raised by :meth:`ExecutionResult.raise_for_status` for a failed execution."""

    exit_code = 1

    def __init__(self, result: ExecutionResult) -> None:
        self.result = result
        self.error = result.error
        self.cause = result.cause
        super().__init__(f"execution {result.status}: {result.error}: {result.cause}")


@dataclass
class StatesError(Exception):
    """An ASL error raised inside the engine: ``error`` is the ASL error name.

    ``evaluation`` marks errors that AWS reports with an ``EvaluationFailed`` event
    (JSONata evaluation problems); ``location`` is then the field that failed.
    """

    error: str | None
    cause: str | None = None
    evaluation: bool = False
    location: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.error, self.cause)

    def __str__(self) -> str:
        return f"{self.error}: {self.cause}"
