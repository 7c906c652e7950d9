"""What the driver runs for: an ordinary execution, or a run of another kind (TestState).

:class:`aslrun.execution.Execution` is the one driver. At each seam where a kind of run differs
it asks its :class:`Policy`; a new kind of run is a new policy, not a new driver loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aslrun.integrations.mock import NOT_MOCKED

if TYPE_CHECKING:
    from aslrun.effects import CheckTask, Invoke, Spawn, Stage
    from aslrun.execution import Execution

__all__ = ["Halt", "Policy"]


class Halt(Exception):
    """Raised by a :class:`Policy` hook to end the run where it stands (see :meth:`Execution.drive`)."""


class Policy:
    """What the driver is running for; an ordinary execution is this class.

    The driver asks its policy at each seam where a run of another kind differs: TestState
    (:mod:`aslrun.teststate`) answers its tested Task from an inline mock, runs no children of a
    mocked Map or Parallel, and halts at a RETRIABLE error. Everything else (invoking
    integrations, MockConfigFile mocks, timers, events) is the same code for every kind of run.
    """

    #: the machine's TimeoutSeconds (and the one-year limit) end the run
    deadline = True
    #: said when no integration handles a Task's resource
    unhandled_hint = ("Mock it with --mock-config FILE --test-case NAME, or install or register an integration "
                      "for it in the 'aslrun.integrations' entry-point group.")

    def __init__(self, on_stage: Callable[[Execution, Stage], Any] | None = None) -> None:
        #: called with every data-flow Stage when inspection is on (the debugger); returns the value to go on with
        self.on_stage = on_stage

    def stage(self, execution: Execution, stage: Stage) -> Any:
        """The value to go on with at a data-flow step; may raise StatesError (thrown into the run) or Halt."""
        return self.on_stage(execution, stage) if self.on_stage is not None else stage.value

    def answer(self, execution: Execution, invoke: Invoke) -> Any:
        """A reply for a Task before any mock or integration (or raise StatesError); NOT_MOCKED to go on."""
        return NOT_MOCKED

    def checks(self, execution: Execution, check: CheckTask) -> bool:
        """Whether the integration's own parameter check runs for this Task."""
        return True

    def runs(self, execution: Execution, spawn: Spawn) -> bool:
        """Whether a child run (a Parallel branch, a Map iteration) runs; False ends it at once."""
        return True
