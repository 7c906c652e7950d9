"""Step-through debugging of executions: :mod:`.session` decides (pure), :mod:`.repl` talks to the terminal."""

from aslrun.debugger.probes import CommandError
from aslrun.debugger.session import Session
from aslrun.debugger.stops import Breakpoint, Failure, Stop, Watch

__all__ = ["Breakpoint", "CommandError", "Failure", "Session", "Stop", "Watch"]
