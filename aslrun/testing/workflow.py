"""A loaded state machine with its mocks, ready to run in a test.

:class:`Workflow` is what the ``asl_machine`` fixture returns; it also works without pytest::

    flow = Workflow.load("order.json", mock_config="MockConfigFile.json")
    flow.run({"id": 1}, test_case="HappyPath").assert_output({"shipped": True})

Mocks come from a Step Functions Local ``MockConfigFile`` (``test_case=``), or inline
(``mocks={"Charge": {"charged": True}, "Ship": Throw("Ship.Down", "no trucks")}``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aslrun.clock import VirtualClock
from aslrun.integrations.mock import MockConfig, MockTestCase
from aslrun.interpreter import Interpreter
from aslrun.nodes import StateMachine
from aslrun.testing.results import WorkflowResult

__all__ = ["EPOCH", "Throw", "Workflow", "inline_test_case"]

#: where the fixtures' virtual clock starts (2024-01-01T00:00:00Z), so timestamps repeat run after run
EPOCH = 1_704_067_200.0

#: how many invocations an inline mock given as a single value answers
_ALWAYS = 9_999


@dataclass(frozen=True)
class Throw:
    """An inline mocked failure: the Task fails with ``error`` and ``cause``."""

    error: str
    cause: str | None = None


def _response(value: Any) -> dict[str, Any]:
    if isinstance(value, Throw):
        throw = {"Error": value.error}
        if value.cause is not None:
            throw["Cause"] = value.cause
        return {"Throw": throw}
    return {"Return": value}


def inline_test_case(mocks: Mapping[str, Any], machine_name: str = "StateMachine",
                     hybrid: bool = False) -> MockTestCase:
    """A MockConfigFile test case built from ``{state name: response}``.

    A response is a value (returned every time), a :class:`Throw`, or a list of those (one per
    invocation, retries and Map iterations included, as ``"0"``, ``"1"``... in the file).
    """
    responses: dict[str, Any] = {}
    for state, value in mocks.items():
        if isinstance(value, list):
            responses[state] = {str(i): _response(v) for i, v in enumerate(value)}
        else:
            responses[state] = {f"0-{_ALWAYS}": _response(value)}
    config = MockConfig.load({
        "StateMachines": {machine_name: {"TestCases": {"inline": {state: state for state in mocks}}}},
        "MockedResponses": responses,
    })
    config.source = "<inline mocks>"
    return config.test_case(machine_name, "inline").with_hybrid(hybrid)


class Workflow:
    """A state machine, the interpreter that runs it, and (optionally) its mock configuration."""

    def __init__(self, machine: StateMachine, interpreter: Interpreter, mock_config: MockConfig | None = None) -> None:
        self.machine = machine
        self.interpreter = interpreter
        self.mock_config = mock_config

    @classmethod
    def load(cls, source: Any, *, name: str | None = None, mock_config: str | Path | Mapping[str, Any] | None = None,
             interpreter: Interpreter | None = None) -> Workflow:
        """Load and validate ``source`` (dict, JSON/YAML text or path); runs use a virtual clock by default."""
        interp = interpreter if interpreter is not None else Interpreter(clock=VirtualClock(EPOCH, frozen=True),
                                                                         seed=0)
        machine = interp.load(source, name=name)
        config = mock_config if isinstance(mock_config, MockConfig) or mock_config is None \
            else MockConfig.load(mock_config)
        return cls(machine, interp, config)

    @property
    def name(self) -> str:
        return self.machine.name

    def test_case(self, name: str, hybrid: bool = False) -> MockTestCase:
        """The named test case of this machine in the mock configuration."""
        if self.mock_config is None:
            from aslrun.errors import MockConfigError

            raise MockConfigError(f"test case {name!r} asked for, but no mock configuration was given for "
                                  f"{self.name!r}: pass mock_config=PATH (or set SFN_MOCK_CONFIG)")
        return self.mock_config.test_case(self.name, name).with_hybrid(hybrid)

    def run(self, input: Any = None, *, test_case: str | None = None, mocks: Mapping[str, Any] | None = None,
            hybrid: bool = False, context: dict[str, Any] | None = None, name: str | None = None) -> WorkflowResult:
        """Run to the end; ``test_case`` and ``mocks`` (inline, see :func:`inline_test_case`) choose the mocks.

        With both, the inline mocks win for the states they name.
        """
        mock = self._mock(test_case, mocks, hybrid)
        previous = self.interpreter.mock
        self.interpreter.mock = mock
        try:
            result = self.interpreter.run(self.machine, input, name=name, context=context)
        finally:
            self.interpreter.mock = previous
        label = f"the execution of {self.name!r}" + (f" (test case {test_case!r})" if test_case else "")
        return WorkflowResult(result, label)

    def _mock(self, test_case: str | None, mocks: Mapping[str, Any] | None, hybrid: bool) -> MockTestCase | None:
        case = self.test_case(test_case, hybrid) if test_case is not None else None
        if not mocks:
            return case
        inline = inline_test_case(mocks, self.name, hybrid)
        if case is None:
            return inline
        merged = {**case.states, **inline.states}
        return MockTestCase(self.name, case.name, merged, case.source, hybrid)

    def test_state(self, state: str, input: Any = None, **options: Any) -> Any:
        """Run one state as the TestState API does (see :func:`aslrun.teststate.test_state`)."""
        from aslrun.teststate import test_state

        options.setdefault("interpreter", self.interpreter)
        return test_state(self.machine, input, state_name=state, **options)

    def states(self) -> Sequence[str]:
        """Every state name, nested ones included."""
        return list(self.machine.all_states())
