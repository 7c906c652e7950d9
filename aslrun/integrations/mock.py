"""Mocked service integrations in the AWS Step Functions Local ``MockConfigFile`` format.

The file maps state machine names to test cases, a test case maps Task state names
to mocked responses, and a mocked response maps invocation numbers (``"0"``,
``"1-2"``; retries and Map iterations count) to a ``Return`` value or a ``Throw``
of ``{Error, Cause}``. aslrun reads the file unchanged::

    config = MockConfig.load("MockConfigFile.json")
    case = config.test_case("OrderPipeline", "HappyPath")
    aslrun.Interpreter(mock=case).run(machine, input)

Invocations are counted per state name over one execution.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aslrun.effects import TaskReply
from aslrun.errors import MockConfigError, StatesError
from aslrun.integrations.base import TaskRequest

__all__ = ["MockConfig", "MockResponse", "MockTestCase", "NOT_MOCKED", "find_mock_config"]

#: environment variable Step Functions Local and LocalStack read the file's path from
ENV_VAR = "SFN_MOCK_CONFIG"


class _NotMocked:
    def __repr__(self) -> str:
        return "NOT_MOCKED"


#: returned by :meth:`MockTestCase.invoke` for a state the test case does not mock
NOT_MOCKED: Any = _NotMocked()


@dataclass(frozen=True, slots=True)
class MockResponse:
    """One entry of a mocked response: ``Return`` a value or ``Throw`` an error."""

    first: int
    last: int
    returns: Any = None
    throws: tuple[str, str | None] | None = None


@dataclass(frozen=True)
class MockedResponses:
    """A named mocked response: its entries in invocation order."""

    name: str
    entries: tuple[MockResponse, ...]

    def for_invocation(self, invocation: int) -> MockResponse | None:
        for entry in self.entries:
            if entry.first <= invocation <= entry.last:
                return entry
        return None


@dataclass(frozen=True)
class MockTestCase:
    """The mocks of one test case of one state machine."""

    machine_name: str
    name: str
    states: Mapping[str, MockedResponses]
    source: str = "<mock config>"
    hybrid: bool = False

    def with_hybrid(self, hybrid: bool = True) -> MockTestCase:
        """The same test case; unmocked Task states go to the real integrations when ``hybrid``."""
        return MockTestCase(self.machine_name, self.name, self.states, self.source, hybrid)

    def invoke(self, request: TaskRequest) -> Any:
        """The mocked reply for ``request``, or :data:`NOT_MOCKED`."""
        responses = self.states.get(request.state_name)
        if responses is None:
            return NOT_MOCKED
        entry = responses.for_invocation(request.invocation)
        if entry is None:
            raise StatesError(
                "States.Runtime",
                f"The mocked response '{responses.name}' for state '{request.state_name}' (test case "
                f"'{self.name}' in {self.source}) has no entry for invocation #{request.invocation}; "
                "invocations count from 0 and include retries and Map iterations. Add an entry such as "
                f"\"{request.invocation}\".",
            )
        pattern = request.resource.pattern
        submitted: list[tuple[str, str | None, Mapping[str, Any] | None]] = []
        if pattern in (".sync", ".sync:2", ".waitForTaskToken"):
            # The real service records the start call's response first; the mock has none to show.
            submitted.append(("TaskSubmitted", "taskSubmittedEventDetails", {}))
        if entry.throws is not None:
            error, cause = entry.throws
            raise StatesError(error, cause, extra={"events": submitted})
        result = entry.returns
        if request.resource.kind == "lambda-arn" and isinstance(result, dict) and "Payload" in result:
            # Step Functions Local: a Lambda ARN's mock is the Invoke response; the task result is its Payload.
            result = result["Payload"]
        return TaskReply(result, submitted)


@dataclass
class MockConfig:
    """A loaded and validated mock configuration file."""

    data: Mapping[str, Any]
    source: str = "<mock config>"
    problems: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any]) -> MockConfig:
        """Read and validate a file (path) or a dict; raises :class:`MockConfigError` listing every problem."""
        if isinstance(source, Mapping):
            data: Any = source
            name = "<mock config>"
        elif not isinstance(source, (str, os.PathLike)):
            data = source
            name = "<mock config>"
        else:
            path = Path(source)
            name = str(path)
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise MockConfigError(f"mock config file not found: {path}") from None
            except OSError as exc:
                raise MockConfigError(f"cannot read mock config {path}: {exc.strerror}") from None
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise MockConfigError(
                    f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
                ) from None
        problems = _validate(data)
        if problems:
            listing = "\n".join(f"  {p}" for p in problems)
            count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
            raise MockConfigError(f"{name}: invalid mock configuration ({count})\n{listing}")
        return cls(data, name)

    def machines(self) -> list[str]:
        return list(self.data.get("StateMachines", {}))

    def test_case(self, machine_name: str, test_case: str) -> MockTestCase:
        """The named test case; a clear error names what exists when it does not."""
        machines = self.data.get("StateMachines", {})
        machine = machines.get(machine_name)
        if machine is None:
            known = ", ".join(sorted(machines)) or "none"
            raise MockConfigError(
                f"{self.source}: no state machine named {machine_name!r} in StateMachines (it has: {known}). "
                "The name comes from --name, or the definition file's name."
            )
        cases = machine.get("TestCases", {})
        case = cases.get(test_case)
        if case is None:
            known = ", ".join(sorted(cases)) or "none"
            raise MockConfigError(
                f"{self.source}: state machine {machine_name!r} has no test case {test_case!r} (it has: {known})."
            )
        responses = self.data.get("MockedResponses", {})
        states = {state: _compile_responses(ref, responses[ref]) for state, ref in case.items()}
        return MockTestCase(machine_name, test_case, states, self.source)


def _compile_responses(name: str, raw: Mapping[str, Any]) -> MockedResponses:
    entries = []
    for key, value in raw.items():
        first, last = _parse_range(key)
        if "Throw" in value:
            throw = value["Throw"]
            entries.append(MockResponse(first, last, throws=(throw.get("Error"), throw.get("Cause"))))
        else:
            entries.append(MockResponse(first, last, returns=value["Return"]))
    entries.sort(key=lambda e: e.first)
    return MockedResponses(name, tuple(entries))


_KEY = re.compile(r"(0|[1-9][0-9]*)(?:-(0|[1-9][0-9]*))?")


def _parse_range(key: str) -> tuple[int, int]:
    """``"3"`` or ``"1-2"``: plain decimal numbers only (no signs, spaces or leading zeros)."""
    match = _KEY.fullmatch(key)
    if match is None:
        raise ValueError(key)
    first = int(match.group(1))
    return first, int(match.group(2)) if match.group(2) is not None else first


def _ptr(*parts: object) -> str:
    """An RFC 6901 JSON Pointer from reference tokens."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _validate(data: Any) -> list[str]:
    problems: list[str] = []
    if not isinstance(data, Mapping):
        return ["/: a mock configuration must be a JSON object with StateMachines and MockedResponses"]
    for key in data:
        if key not in ("StateMachines", "MockedResponses"):
            problems.append(f"{_ptr(key)}: unknown top-level field (expected StateMachines and MockedResponses)")
    machines = data.get("StateMachines")
    responses = data.get("MockedResponses")
    if not isinstance(machines, Mapping):
        problems.append("/StateMachines: required, an object of state machine name -> {TestCases}")
        machines = {}
    if not isinstance(responses, Mapping):
        problems.append("/MockedResponses: required, an object of response name -> {invocation: response}")
        responses = {}
    for mname, machine in machines.items():
        where = _ptr("StateMachines", mname)
        if not isinstance(machine, Mapping) or not isinstance(machine.get("TestCases"), Mapping):
            problems.append(f"{where}: must be an object with a TestCases object")
            continue
        for tname, case in machine["TestCases"].items():
            cwhere = where + _ptr("TestCases", tname)
            if not isinstance(case, Mapping):
                problems.append(f"{cwhere}: must map Task state names to mocked response names")
                continue
            for state, ref in case.items():
                if not isinstance(ref, str):
                    problems.append(f"{cwhere}{_ptr(state)}: must be the name of a mocked response (a string)")
                elif ref not in responses:
                    problems.append(f"{cwhere}{_ptr(state)}: no mocked response named {ref!r} in MockedResponses")
    for rname, raw in responses.items():
        rwhere = _ptr("MockedResponses", rname)
        if not isinstance(raw, Mapping) or not raw:
            problems.append(f"{rwhere}: must map invocation numbers (\"0\", \"1-2\") to Return/Throw objects")
            continue
        covered: list[tuple[int, int, str]] = []
        for key, value in raw.items():
            ewhere = rwhere + _ptr(key)
            try:
                first, last = _parse_range(key)
                if first < 0 or last < first:
                    raise ValueError
            except ValueError:
                problems.append(f"{ewhere}: invocation key must be a number (\"0\") or a range (\"1-2\") "
                                "counting from 0")
                continue
            covered.append((first, last, key))
            if not isinstance(value, Mapping) or len([k for k in ("Return", "Throw") if k in value]) != 1:
                problems.append(f"{ewhere}: must hold exactly one of Return or Throw")
                continue
            extra = [k for k in value if k not in ("Return", "Throw")]
            if extra:
                problems.append(f"{ewhere}: unknown field {extra[0]!r} (expected Return or Throw)")
            if "Throw" in value:
                throw = value["Throw"]
                if not isinstance(throw, Mapping) or not isinstance(throw.get("Error"), str):
                    problems.append(f"{ewhere}/Throw: must be an object with a string Error (and optional Cause)")
                elif "Cause" in throw and not isinstance(throw["Cause"], str):
                    problems.append(f"{ewhere}/Throw/Cause: must be a string")
        covered.sort()
        expected = 0
        for first, last, key in covered:
            if first > expected:
                problems.append(f"{rwhere}{_ptr(key)}: invocations {expected}-{first - 1} have no entry "
                                "(keys must be consecutive from \"0\")")
            elif first < expected:
                problems.append(f"{rwhere}{_ptr(key)}: overlaps an earlier entry")
            expected = max(expected, last + 1)
    return problems


def find_mock_config(explicit: str | Path | None) -> Path | None:
    """The mock file to use: ``--mock-config``, else ``$SFN_MOCK_CONFIG``."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else None
