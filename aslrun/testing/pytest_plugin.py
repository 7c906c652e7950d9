"""The aslrun pytest plugin (entry point ``pytest11``): fixtures to load, mock and run state machines.

Installed with aslrun, it is active in every pytest run; nothing is imported until a test asks::

    def test_happy_path(asl_machine):
        flow = asl_machine("order.json", mock_config="MockConfigFile.json")
        result = flow.run({"orderId": 7}, test_case="HappyPath")
        result.assert_output({"status": "SHIPPED"})
        assert result.visited == ["Validate", "Charge", "Ship"]
        assert result.state("Charge").input == {"orderId": 7}

Fixtures:

``asl_machine(source, *, name=None, mock_config=None)``
    loads a definition (a path relative to the test file, or a dict/text) into a
    :class:`~aslrun.testing.Workflow`. ``mock_config`` defaults to the ``aslrun_mock_config`` ini
    option, then ``$SFN_MOCK_CONFIG``.
``aslrun_interpreter``
    the :class:`~aslrun.Interpreter` the workflows run on: a frozen virtual clock starting at
    :data:`~aslrun.testing.EPOCH` and seed 0, so Waits and retries take no time and runs repeat
    exactly. Override it in a ``conftest.py`` to register fake integrations or set options.
``aslrun_clock``
    that virtual clock (advance it, or read the time).
``aws_session``
    a boto3 Session bound to where ``aslrun_interpreter``'s AWS calls go (by default the embedded AWS,
    moto in this process): create tables, queues, buckets and secrets, then run. What the embedded AWS
    holds for the interpreter's account is forgotten after the test.

Assertion failures show the diff of expected and actual output and the path of states taken.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from aslrun.clock import VirtualClock
    from aslrun.interpreter import Interpreter
    from aslrun.testing.workflow import Workflow

__all__ = ["asl_machine", "aslrun_clock", "aslrun_interpreter", "aws_session"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("aslrun_mock_config", "Default MockConfigFile for the asl_machine fixture (relative to rootdir).",
                  default="")


def pytest_report_header(config: pytest.Config) -> str:
    from aslrun import __version__

    return f"aslrun {__version__}"


@pytest.fixture
def aslrun_clock() -> VirtualClock:
    """A frozen virtual clock at :data:`aslrun.testing.EPOCH`: time moves only when the execution waits."""
    from aslrun.clock import VirtualClock
    from aslrun.testing.workflow import EPOCH

    return VirtualClock(EPOCH, frozen=True)


@pytest.fixture
def aslrun_interpreter(aslrun_clock: VirtualClock) -> Iterator[Interpreter]:
    """The interpreter ``asl_machine`` workflows run on (override it to add integrations or options).

    Closed after the test, with every integration it loaded.
    """
    from aslrun.interpreter import Interpreter

    with Interpreter(clock=aslrun_clock, seed=0) as interpreter:
        yield interpreter


@pytest.fixture
def aws_session(aslrun_interpreter: Interpreter) -> Iterator[Any]:
    """A boto3 Session bound to the interpreter's AWS target (``--aws``; the embedded AWS by default)."""
    from aslrun.integrations.aws.target import AwsTargets, reset_local, target_for

    interp = aslrun_interpreter
    local = target_for("", interp.options).kind == "local"
    if local:
        reset_local(interp.account)
    yield AwsTargets(interp.options, interp.region, interp.account).session()
    if local:
        reset_local(interp.account)


@pytest.fixture
def asl_machine(aslrun_interpreter: Interpreter, request: pytest.FixtureRequest) -> Callable[..., Workflow]:
    """A factory: ``asl_machine(source, name=None, mock_config=None)`` -> :class:`aslrun.testing.Workflow`."""
    from aslrun.testing.workflow import Workflow

    base = request.path.parent

    def load(source: Any, *, name: str | None = None,
             mock_config: str | Path | Mapping[str, Any] | None = None) -> Workflow:
        if isinstance(source, (str, Path)):
            source = _resolve(source, base)
        if mock_config is None:
            mock_config = _default_mock_config(request.config)
        elif isinstance(mock_config, (str, Path)):
            mock_config = _resolve(mock_config, base)
        return Workflow.load(source, name=name, mock_config=mock_config, interpreter=aslrun_interpreter)

    return load


def _resolve(source: str | Path, base: Path) -> Any:
    """A relative path names a file beside the test module when one is there; other strings pass through."""
    if isinstance(source, str) and (source.lstrip().startswith(("{", "[")) or "\n" in source):
        return source  # definition text, not a path
    path = Path(source)
    if not path.is_absolute() and (base / path).exists():
        return base / path
    return path


def _default_mock_config(config: pytest.Config) -> Path | None:
    configured = config.getini("aslrun_mock_config")
    if configured:
        return Path(config.rootpath) / str(configured)
    env = os.environ.get("SFN_MOCK_CONFIG")
    return Path(env) if env else None
