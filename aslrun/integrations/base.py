"""The integration protocol: how a Task state's work gets done.

An integration is a small object that says which resources it handles and
performs one invocation. ``invoke`` returns either the task result (any JSON value,
or a :class:`~aslrun.effects.TaskReply` with extra history events) or a generator
that yields effects (:class:`~aslrun.effects.Sleep`, :class:`~aslrun.effects.Now`) while
it waits, and returns the result. A failed task raises
:class:`~aslrun.errors.StatesError` with the service's error name and cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from aslrun.integrations.arn import ResourceArn

__all__ = ["Integration", "TaskRequest"]


@dataclass(slots=True)
class TaskRequest:
    """Everything an integration gets for one invocation of a Task state."""

    resource: ResourceArn
    parameters: Any
    state_name: str
    invocation: int = 0
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None
    credentials: Any = None
    context: Any = None
    machine_name: str = ""
    execution_arn: str = ""
    scope: tuple[Any, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    #: the execution's clock (:class:`~aslrun.clock.Clock`): work the integration does in other
    #: threads on its behalf waits on it (``clock.wait_until``), so a virtual clock stays one clock
    clock: Any = None
    #: the token that answers this call (``SendTaskSuccess``...): a ``.waitForTaskToken`` Task's (also in
    #: ``$$.Task.Token``) or an activity's (given to the worker that takes the task)
    task_token: str | None = None


@runtime_checkable
class Integration(Protocol):
    """A Task-state backend."""

    #: a short name for messages (``eks``, ``mock``, ``lambda``)
    name: str
    #: True when invoking talks to a real remote system (then the real clock is the default)
    remote: bool

    def handles(self, resource: ResourceArn) -> bool:
        """Whether this integration can run ``resource``."""

    def invoke(self, request: TaskRequest) -> Any:
        """Run the task; see the module docstring for what to return."""

    # Optional: ``resources: tuple[str, ...]``, glob patterns (``fnmatch``) of the resources the integration
    # adds to the ones AWS knows, e.g. ``("arn:aws:states:::myco:*",)``; ``()`` when it adds none. Validation
    # (``aslrun validate``, ``aslrun run``) refuses a resource AWS does not know unless an integration declares
    # it; an integration without this attribute declares whatever its ``handles`` accepts.
    # Optional: ``close() -> None`` is called when an execution that invoked the integration has ended
    # (whatever its outcome) and no other execution of the interpreter is running, and by
    # ``Interpreter.close()``: release what the runs held (servers, threads, sockets, child processes)
    # and unblock calls still waiting on them. The integration must work again if invoked afterwards.
    # Optional: ``check(resource, parameters) -> None`` raises StatesError("States.Runtime", ...) for
    # parameters the service would refuse before scheduling the task (AWS records no TaskScheduled then).
