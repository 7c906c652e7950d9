"""Testing state machines with aslrun: mocked runs, readable assertions, pytest fixtures, hypothesis strategies.

* :class:`Workflow` — a loaded machine with its MockConfigFile; ``run(input, test_case=..., mocks=...)``.
* :class:`WorkflowResult` — ``visited``, ``state(name).input``/``.output``, ``assert_output``,
  ``assert_failed``: failures show a diff of the outputs and the path of states taken.
* :mod:`aslrun.testing.pytest_plugin` — the ``asl_machine``, ``aslrun_interpreter`` and
  ``aslrun_clock`` fixtures (registered through the ``pytest11`` entry point).
* :mod:`aslrun.testing.strategies` — hypothesis strategies for JSON, JSONPath, Choice rules,
  whole state machines, their inputs and mocked results (needs ``hypothesis``).

Importing this package imports neither pytest nor hypothesis.
"""

from __future__ import annotations

from aslrun.testing.results import StateRun, WorkflowResult, json_diff
from aslrun.testing.workflow import EPOCH, Throw, Workflow, inline_test_case

__all__ = ["EPOCH", "StateRun", "Throw", "Workflow", "WorkflowResult", "inline_test_case", "json_diff"]
