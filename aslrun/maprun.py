"""Map Runs in progress: what UpdateMapRun changes while a Distributed Map runs, and the names of its children.

A Distributed Map opens a :class:`MapRunControl` in its engine's :class:`MapRuns` when its Map Run
starts, reads :attr:`MapRunControl.max_concurrency` each time it may start a child and
:attr:`MapRunControl.tolerated` each time a child fails, and reports each child's end. A driver (the
server) changes the settings from another thread (:meth:`MapRuns.update`) and hears the ends through
:attr:`MapRuns.listener`. Pure bookkeeping: no I/O, no clock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["MapRunControl", "MapRuns", "child_execution", "labelled_machine_arn"]


def labelled_machine_arn(map_run_arn: str) -> str:
    """``…:mapRun:<machine>/<label>:<id>`` → ``…:stateMachine:<machine>/<label>`` (the Map Run's machine)."""
    return map_run_arn.replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)[0]


def child_execution(map_run_arn: str, index: int) -> tuple[str, str]:
    """The ARN and name of a Map Run's child ``index``: ``…:execution:<machine>/<label>:<run id>-<index>``.

    The ResultWriter's records name the children the same way.
    """
    machine, run_id = map_run_arn.replace(":mapRun:", ":execution:", 1).rsplit(":", 1)
    name = f"{run_id}-{index}"
    return f"{machine}:{name}", name


class MapRunControl:
    """The settings of one running Map Run that UpdateMapRun may change.

    ``max_concurrency`` 0 means the default; ``tolerated`` is ``(count, percentage)``, either ``None``.
    """

    def __init__(self, arn: str, max_concurrency: int, tolerated: tuple[Any, Any], total: int,
                 owner: MapRuns | None = None, writes_results: bool = False, batched: bool = False) -> None:
        self.arn = arn
        self.max_concurrency = max_concurrency
        self.tolerated = tolerated
        #: how many children the run starts in all
        self.total = total
        #: a ResultWriter writes the children's results (DescribeMapRun's ``resultsWritten``)
        self.writes_results = writes_results
        #: an ItemBatcher gives each child a batch (``{"BatchInput": ..., "Items": [...]}``), not one item
        self.batched = batched
        self._owner = owner

    def limit(self, default: int) -> int:
        """How many children may run at once now."""
        value = self.max_concurrency
        return value if value and value > 0 else default

    def child_finished(self, index: int, ok: bool, value: Any = None, error: Any = None, cause: Any = None) -> None:
        """Child ``index`` ended (``ok`` with ``value``, else ``error``/``cause``): the listener hears it."""
        listener = self._owner.listener if self._owner is not None else None
        if listener is not None:
            listener(self, index, ok, value, error, cause)


#: ``listener(control, index, ok, value, error, cause)``, called on the driver's thread
ChildListener = Callable[[MapRunControl, int, bool, Any, Any, Any], None]


class MapRuns:
    """The Map Runs an engine has started, by ARN."""

    def __init__(self) -> None:
        self._runs: dict[str, MapRunControl] = {}
        self._lock = threading.Lock()
        #: told of each child's end (see :data:`ChildListener`); None: nobody listens
        self.listener: ChildListener | None = None
        #: the Map Run opened last (its MapRunStarted or MapRunRedriven event comes right after)
        self.latest: MapRunControl | None = None

    def open(self, arn: str, max_concurrency: int, tolerated: tuple[Any, Any], total: int,
             writes_results: bool = False, batched: bool = False) -> MapRunControl:
        """Register a Map Run that starts now."""
        control = MapRunControl(arn, max_concurrency, tolerated, total, self, writes_results, batched)
        with self._lock:
            self._runs[arn] = control
            self.latest = control
        return control

    def get(self, arn: str) -> MapRunControl | None:
        with self._lock:
            return self._runs.get(arn)

    def update(self, arn: str, max_concurrency: int | None = None, tolerated_count: int | None = None,
               tolerated_percentage: float | None = None) -> bool:
        """Change a running Map Run's settings (``None``: unchanged); False when this engine has no such run."""
        control = self.get(arn)
        if control is None:
            return False
        if max_concurrency is not None:
            control.max_concurrency = max_concurrency
        if tolerated_count is not None or tolerated_percentage is not None:
            count, percentage = control.tolerated
            control.tolerated = (tolerated_count if tolerated_count is not None else count,
                                 tolerated_percentage if tolerated_percentage is not None else percentage)
        return True
