"""All rich rendering of the CLI: the live view of an execution, diagnostics, results, the task token prompt.

:class:`TokenAnswers` answers ``.waitForTaskToken`` Tasks during ``aslrun run``. It is a listener of the
execution: when a Task starts waiting for its token (the driver's ``Progress`` event with a ``taskToken``)
it answers it from ``--answer-tokens`` (:func:`read_answers`: a JSON object of state name -> answer, or a
list of answers used one per token in turn, the last repeating), else, when stdin is a terminal, asks: a
thread prints a prompt on the (stderr) console and reads one line at a time::

    s {"approved": true}        SendTaskSuccess with that output (just "s": {})
    f Rejected the reason       SendTaskFailure with an error and a cause (both optional)
    h                           SendTaskHeartbeat

prefixed by the waiting Task's number when several wait (``2 s {}``). The thread never reads stdin when
stdin is not a terminal, polls it (``select``) so it ends as soon as the run does, and a token answered
another way (a timeout, a handler) is dropped from the prompt when its Task ends.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from aslrun.effects import Event
from aslrun.errors import Diagnostic, InputError, TaskTokenError
from aslrun.execution import Execution, ExecutionResult

__all__ = ["Answer", "LiveView", "TokenAnswers", "read_answers", "render_diagnostics", "render_result_summary",
           "render_variables", "send_answer"]

_STATUS_STYLE = {"SUCCEEDED": "bold green", "FAILED": "bold red", "TIMED_OUT": "bold red", "ABORTED": "bold yellow"}


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


#: history events that say a state itself failed (its Retry and Catch decide what follows)
_STATE_FAILURES = frozenset({
    "TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed", "LambdaFunctionFailed",
    "LambdaFunctionTimedOut", "LambdaFunctionStartFailed", "LambdaFunctionScheduleFailed", "MapStateFailed",
    "ParallelStateFailed", "MapRunFailed", "EvaluationFailed",
})
_EXECUTION_FAILURES = frozenset({"ExecutionFailed", "ExecutionTimedOut", "MapIterationFailed"})
_FINAL_EVENTS = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})


class _Open:
    """A state the view has seen entered and not yet left."""

    __slots__ = ("name", "kind", "began", "error", "failed", "retries", "by_retrier", "progress", "token")

    def __init__(self, name: str, kind: str, began: float) -> None:
        self.name = name
        self.kind = kind
        self.began = began
        #: the last error seen in the state or below it (a Map's iterations, a Parallel's branches)
        self.error: str | None = None
        #: it failed and neither a retry nor a success has followed yet
        self.failed = False
        self.retries = 0
        self.by_retrier: dict[int, int] = {}
        #: the latest progress note of its integration (what a .sync task waits on)
        self.progress: str | None = None
        #: it waits for its task token to be answered
        self.token = False


class _Footer:
    """The live view's transient line, computed each time it is drawn (so it ticks and is never stale)."""

    def __init__(self, view: LiveView) -> None:
        self.view = view

    def __rich__(self) -> Text:
        return self.view.waiting()


class LiveView:
    """Prints states as they are entered and exited, with timings, on a (stderr) console.

    A state that failed is never drawn as a success: a retry prints what is retried, after how
    long and which attempt it is; a failure a ``Catch`` handled ends with a yellow ``✗`` line
    naming the error and the state it goes to. What a ``.sync`` task waits on (the progress
    notes of its integration: a cluster's status, a Job's pods) is printed as it changes, with
    the time spent on the state so far. After ``max_lines`` state lines it stops printing each
    one and keeps a running count instead, so a 10,000-iteration loop does not flood the terminal.

    On a terminal (or with ``footer=True``) a transient last line keeps showing what is being
    waited on and for how long, ticking while nothing else happens (:meth:`waiting`); not while
    ``prompting`` and a Task waits for its token (the person types its answer on that line).
    """

    def __init__(self, console: Console, max_lines: int = 200, show_data: bool = True,
                 footer: bool | None = None) -> None:
        self.console = console
        self.footer = console.is_terminal if footer is None else footer
        self.max_lines = max_lines
        self.show_data = show_data
        self.lines = 0
        self.transitions = 0
        self.suppressed = 0
        self.retried = 0
        self.caught = 0
        self._open: dict[tuple[Any, ...], _Open] = {}
        self._last_note = 0.0
        self._execution: Execution | None = None
        self._live: Live | None = None
        #: a prompt asks for task tokens' answers (:mod:`aslrun.cli.tokens`) on this console
        self.prompting = False

    def __call__(self, execution: Execution, event: Event) -> None:
        self._execution = execution
        self._show(execution, event)
        if self.footer:
            self._footer(event.type)

    def notice(self, message: str) -> None:
        """A line from outside the execution's events (a local Job's container starting, say); always shown.

        Safe to call from any thread (rich serialises console output)."""
        self._print(Text(f"  ℹ {message}", style="dim"))

    def waiting(self) -> Text:
        """What the execution waits on: each state with a progress note, the note, the time on the state."""
        execution = self._execution
        now = execution.clock.time() if execution is not None else None
        line = Text(no_wrap=True, overflow="ellipsis")
        for scope, state in list(self._open.items()):
            if state.progress is None:
                continue
            if line:
                line.append("\n")
            line.append(_indent(scope) + "⋯ ", style="cyan")
            line.append(state.name, style="bold")
            line.append(f"  {state.progress}")
            if now is not None:
                line.append(f"  {_duration(max(now - state.began, 0.0))}", style="dim")
        return line

    def _footer(self, etype: str) -> None:
        states = list(self._open.values())
        busy = etype not in _FINAL_EVENTS and any(s.progress is not None for s in states)
        if self.prompting and any(s.token for s in states):
            busy = False
        if busy and self._live is None:
            self._live = Live(_Footer(self), console=self.console, transient=True, refresh_per_second=2,
                              redirect_stdout=False, redirect_stderr=False)
            self._live.start()
        elif not busy:
            self._stop_footer()

    def close(self) -> None:
        """Take the transient line down (:meth:`finish` does it too); call it when a run ends by an exception."""
        self._stop_footer()

    def _stop_footer(self) -> None:
        live, self._live = self._live, None
        if live is not None:
            refresher = getattr(live, "_refresh_thread", None)
            live.stop()
            if refresher is not None:
                refresher.join()  # rich only tells its refresh thread to stop; wait for it to be gone

    def _show(self, execution: Execution, event: Event) -> None:
        etype = event.type
        scope = event.scope
        indent = _indent(scope)
        if etype.endswith("StateEntered"):
            self.transitions += 1
            name = str(scope[-1]) if scope else "?"
            kind = etype[: -len("StateEntered")]
            self._open[scope] = _Open(name, kind, event.timestamp)
            if kind == "Fail":
                self._note_error(scope, _fail_error(execution, scope))
            if self._room():
                self._print(Text.assemble((indent + "▶ ", "cyan"), (name, "bold"), (f" ({kind})", "dim")))
            return
        if etype.endswith("StateExited"):
            self._exited(execution, event, indent)
            return
        if etype == "Progress":
            self._progress(execution, event)
            return
        if etype in _STATE_FAILURES or etype in _EXECUTION_FAILURES:
            details = event.details or {}
            error = details.get("error")
            state = self._open.get(scope)
            if error:
                self._note_error(scope, str(error))
            elif state is not None:
                error = state.error
            if state is not None and etype in _STATE_FAILURES:
                state.failed = True
            if etype == "MapIterationFailed":
                indent = _indent(scope + ("",))  # at the level of the iteration's states
            text = f"{indent}✗ {etype}"
            if etype == "MapIterationFailed" and "index" in details:
                text += f" #{details['index']}"
            if error or details.get("cause"):
                text += f": {error}"
                cause = details.get("cause")
                if cause:
                    text += f" — {cause if len(str(cause)) < 300 else str(cause)[:300] + '…'}"
            self._print(Text(text, style="red"))
            return
        if etype == "TaskScheduled":
            state = self._open.get(scope)
            if state is not None and state.failed:
                # Retried at once (no backoff, so no wait was announced).
                self._retry(execution, scope, state, None)
            if self._room():
                details = event.details or {}
                self._print(Text(f"{indent}  … {details.get('resourceType')}:{details.get('resource')}",
                                 style="dim"))

    # ------------------------------------------------------------ pieces

    def _exited(self, execution: Execution, event: Event, indent: str) -> None:
        scope = event.scope
        state = self._open.pop(scope, None)
        for inner in [s for s in self._open if len(s) > len(scope) and s[: len(scope)] == scope]:
            del self._open[inner]  # a Fail state inside, or a branch stopped early: never exited
        began = state.began if state is not None else None
        took = (event.timestamp - began) if began is not None else 0.0
        name = str(scope[-1]) if scope else "?"
        if state is not None and state.failed:
            self.caught += 1
            line = Text.assemble((indent + "✗ ", "bold yellow"), (name, "bold"), ("  caught", "yellow"))
            if state.error:
                line.append(f" {state.error}", style="yellow")
            target = _catch_target(execution, scope, state.error)
            if target:
                line.append(f" → {target}", style="yellow")
            line.append(f"  {_duration(took)}", style="dim")
            if state.retries:
                line.append(f"  after {_plural(state.retries, 'retry', 'retries')}", style="yellow")
            if self.show_data and event.details is not None:
                line.append("  → " + _short(event.details.get("output")), style="dim")
            self._print(line)  # always: a handled failure is not a detail to hide
            return
        if not self._room():
            return
        line = Text.assemble((indent + "✓ ", "green"), (name, "bold"), (f"  {_duration(took)}", "dim"))
        if state is not None and state.retries:
            line.append(f"  after {_plural(state.retries, 'retry', 'retries')}", style="yellow")
        if self.show_data and event.details is not None:
            line.append("  → " + _short(event.details.get("output")), style="dim")
        self._print(line)

    def _progress(self, execution: Execution, event: Event) -> None:
        details = event.details or {}
        message = str(details.get("message", ""))
        owner = self._owner(event.scope)
        now = event.timestamp if event.timestamp is not None else execution.clock.time()
        if "retryIn" in details and owner is not None:
            self._retry(execution, owner, self._open[owner], float(details["retryIn"]))
            return
        if owner is None:
            self.notice(message)  # no state owns it (a backend saying where clusters are)
            return
        state = self._open[owner]
        state.token = state.token or bool(details.get("taskToken"))
        if message.startswith(state.name + ": "):
            message = message[len(state.name) + 2:]  # the line already says which state
        state.progress = message
        if self._room():
            self._print(Text.assemble((_indent(owner) + "  ⋯ ", "cyan"), (message, ""),
                                      (f"  ({_duration(now - state.began)} on {state.name})", "dim")))

    def _retry(self, execution: Execution, scope: tuple[Any, ...], state: _Open, seconds: float | None) -> None:
        state.failed = False
        state.retries += 1
        self.retried += 1
        attempt = f"attempt {state.retries}"
        index, retrier = _retrier(execution, scope, state.error)
        if retrier is not None:
            state.by_retrier[index] = state.by_retrier.get(index, 0) + 1
            attempt = f"retry {state.by_retrier[index]} of {retrier.max_attempts}"
        when = "now" if not seconds else f"in {_seconds(seconds)}"
        line = Text.assemble((_indent(scope) + "↻ ", "bold yellow"), (state.name, "bold"))
        if state.error:
            line.append(f"  {state.error}", style="yellow")
        line.append(f"  retrying {when} ({attempt})", style="yellow")
        self._print(line)

    def _owner(self, scope: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The innermost open state at or above ``scope``."""
        for size in range(len(scope), 0, -1):
            if scope[:size] in self._open:
                return scope[:size]
        return None

    def _note_error(self, scope: tuple[Any, ...], error: str | None) -> None:
        if not error:
            return
        for size in range(len(scope), 0, -1):
            state = self._open.get(scope[:size])
            if state is not None:
                state.error = error

    def _room(self) -> bool:
        if self.lines < self.max_lines:
            return True
        self.suppressed += 1
        now = time.monotonic()
        if now - self._last_note > 1.0:
            self._last_note = now
            self.console.print(Text(f"  … {self.transitions} states so far", style="dim"))
        return False

    def _print(self, text: Text) -> None:
        self.lines += 1
        self.console.print(text, highlight=False, soft_wrap=True)

    def finish(self, result: ExecutionResult) -> None:
        """The closing line: status, duration, number of states and events, retries and caught errors."""
        self._stop_footer()
        took = result.stop_time - result.start_time
        style = _STATUS_STYLE.get(result.status, "bold")
        text = Text.assemble(
            (result.status, style),
            (f"  {result.name}  ", "dim"),
            (f"{self.transitions} states, {len(result.events)} events, {_duration(took)} on the execution clock",
             "dim"),
        )
        handled = [part for part in (_plural(self.retried, "retry", "retries") if self.retried else "",
                                     f"{self.caught} caught" if self.caught else "") if part]
        if handled:
            text.append(f"  ({', '.join(handled)})", style="yellow")
        if self.suppressed:
            text.append(f"  ({self.suppressed} lines not shown)", style="dim")
        self.console.print(text)
        if not result.succeeded and result.status != "ABORTED":
            self.console.print(Text.assemble(("error: ", "red"), (str(result.error), "bold red")))
            if result.cause:
                self.console.print(Text.assemble(("cause: ", "red"), (str(result.cause), "")), soft_wrap=True)


def _indent(scope: tuple[Any, ...]) -> str:
    return "  " * (max(len(scope) - 1, 0) // 2)


def _seconds(seconds: float) -> str:
    return f"{round(seconds, 2):g} s" if seconds < 120 else _duration(seconds)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _node(execution: Execution, scope: tuple[Any, ...]) -> Any:
    """The state node at ``scope`` (state name, branch or iteration index, state name, ...), or None."""
    body: Any = getattr(execution.machine, "body", None)
    node: Any = None
    for i in range(0, len(scope), 2):
        states = getattr(body, "states", None)
        node = states.get(scope[i]) if states is not None else None
        if node is None or i + 1 >= len(scope):
            return node
        key = scope[i + 1]
        branches = getattr(node, "branches", None)
        if branches:
            body = branches[key] if isinstance(key, int) and 0 <= key < len(branches) else None
        else:
            body = getattr(node, "processor", None)
    return node


def _fail_error(execution: Execution, scope: tuple[Any, ...]) -> str | None:
    error = getattr(_node(execution, scope), "error", None)
    return error if isinstance(error, str) else None


def _catch_target(execution: Execution, scope: tuple[Any, ...], error: str | None) -> str | None:
    """The Next of the Catch that handles ``error`` (the only Catch when the error is unknown)."""
    catchers: Sequence[Any] = getattr(_node(execution, scope), "catch", ()) or ()
    if error is None:
        return str(catchers[0].next) if len(catchers) == 1 else None
    index = _first_match(catchers, error)
    return str(catchers[index].next) if index >= 0 else None


def _retrier(execution: Execution, scope: tuple[Any, ...], error: str | None) -> tuple[int, Any]:
    """The Retry that handles ``error`` (the only Retry when the error is unknown), with its index."""
    retriers: Sequence[Any] = getattr(_node(execution, scope), "retry", ()) or ()
    if error is None:
        return (0, retriers[0]) if len(retriers) == 1 else (-1, None)
    index = _first_match(retriers, error)
    return (index, retriers[index]) if index >= 0 else (-1, None)


def _first_match(rules: Sequence[Any], error: str) -> int:
    """The index of the first Retry/Catch rule matching ``error`` as the engine matches it, or -1.

    The view does not know whether a States.Timeout was a missed heartbeat; only when no rule
    matches it as a plain timeout is it taken for one (States.HeartbeatTimeout rules then match).
    """
    from aslrun.engine import error_matches

    for heartbeat in (False, True):
        for i, rule in enumerate(rules):
            if error_matches(rule.error_equals, error, heartbeat):
                return i
    return -1


def render_result_summary(console: Console, result: ExecutionResult) -> None:
    """Error and cause of a failed execution (when no live view ran)."""
    if result.succeeded:
        return
    console.print(Text.assemble(("execution ", ""), (result.status, _STATUS_STYLE.get(result.status, "bold"))))
    if result.error:
        console.print(Text.assemble(("error: ", "red"), (result.error, "bold red")))
    if result.cause:
        console.print(Text.assemble(("cause: ", "red"), result.cause), soft_wrap=True)


def render_diagnostics(console: Console, diagnostics: list[Diagnostic], source_name: str | None) -> None:
    """A table of definition problems: where, what, and how to fix it."""
    count = len(diagnostics)
    errors = sum(1 for d in diagnostics if d.severity == "ERROR")
    kind = "problem" if errors else "warning"
    console.print(Text(f"{source_name or 'definition'}: {count} {kind}{'s' if count != 1 else ''}", style="bold"),
                  soft_wrap=True)
    syntax = [d for d in diagnostics if d.line is not None]
    if syntax and len(syntax) == len(diagnostics):
        # A syntax error carries an excerpt with a caret; a table cell would wrap it out of line.
        for d in syntax:
            console.print(Text(d.message), soft_wrap=True)
        return
    table = Table(show_lines=False, expand=False)
    table.add_column("location", style="cyan", no_wrap=True)
    table.add_column("state", style="bold")
    table.add_column("problem")
    for d in diagnostics:
        where = d.location
        if d.line is not None:
            where = f"line {d.line}, col {d.column}"
        message = escape(d.message)
        if d.hint:
            message += f"\n[green]{escape(d.hint)}[/green]"
        if d.severity != "ERROR":
            message = f"[yellow]{d.severity.lower()}:[/yellow] " + message
        table.add_row(escape(where), escape(d.state or ""), message)
    console.print(table)


def render_variables(console: Console, variables: dict[str, Any]) -> None:
    """The execution's final top-level variables, one per row, values as JSON."""
    if not variables:
        console.print(Text("no variables were assigned", style="dim"))
        return
    table = Table(title="variables", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("value")
    for name in sorted(variables):
        table.add_row(escape(name), escape(json.dumps(variables[name], ensure_ascii=False)))
    console.print(table)


# ------------------------------------------------------------ answering task tokens

_ENDS = frozenset({"TaskSucceeded", "TaskFailed", "TaskTimedOut", "TaskStateExited", "TaskStateAborted"})
_HELP = 's JSON (success) · f [ERROR [CAUSE]] (failure) · h (heartbeat)'


@dataclass(frozen=True, slots=True)
class Answer:
    """What to send for one token: an ``output`` (success), or an ``error`` and ``cause`` (failure)."""

    success: bool
    output: Any = None
    error: str | None = None
    cause: str | None = None


def read_answers(value: Any, states: Mapping[str, Any]) -> dict[str, list[Answer]]:
    """``--answer-tokens``' JSON (already read) as answers by state name; an InputError says what is wrong."""
    if not isinstance(value, dict):
        raise InputError('--answer-tokens must be a JSON object of state name -> answer, e.g. '
                         '{"Wait for approval": {"output": {"approved": true}}}')
    found: dict[str, list[Answer]] = {}
    for name, given in value.items():
        if name not in states:
            from aslrun.validation import did_you_mean

            hint = did_you_mean(name, states)
            raise InputError(f"--answer-tokens: the machine has no state named {name!r}" + (f". {hint}" if hint else ""))
        items = given if isinstance(given, list) else [given]
        found[name] = [_answer(name, item) for item in items]
    return found


def _answer(name: str, item: Any) -> Answer:
    if isinstance(item, dict) and set(item) == {"output"}:
        return Answer(True, output=item["output"])
    if isinstance(item, dict) and item and set(item) <= {"error", "cause"} and all(
            isinstance(v, str) for v in item.values()):
        return Answer(False, error=item.get("error"), cause=item.get("cause"))
    raise InputError(f"--answer-tokens: the answer for {name!r} must be {{\"output\": JSON}} or "
                     f'{{"error": "...", "cause": "..."}} (or a list of them), not {json.dumps(item)[:80]}')


@dataclass(slots=True)
class _Waiting:
    token: str
    state: str
    scope: tuple[Any, ...]


class TokenAnswers:
    """Answers the tokens of one execution; a listener (``listeners=[...]``). :meth:`close` ends its prompt.

    ``interactive`` is whether to ask on ``console`` and read ``stdin`` (give it only when stdin is a terminal);
    ``console`` None says nothing (``--quiet``) unless asking.
    """

    def __init__(self, answers: Mapping[str, list[Answer]], console: Any, stdin: TextIO | None = None,
                 interactive: bool = False) -> None:
        self._answers = {name: list(items) for name, items in answers.items()}
        self.console = console
        self._stdin = stdin if stdin is not None else sys.stdin
        self.interactive = interactive and sys.platform != "win32"  # select() on a console needs POSIX
        self._waiting: list[_Waiting] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._execution: Any = None
        self._thread: threading.Thread | None = None
        self._told = False

    def __call__(self, execution: Any, event: Any) -> None:
        details = event.details or {}
        if event.type == "Progress" and details.get("taskToken"):
            self._execution = execution
            name = str(event.scope[-1]) if event.scope else "?"
            self._waits(execution, _Waiting(str(details["taskToken"]), name, tuple(event.scope)))
        elif event.type in _ENDS and self._waiting:
            with self._lock:
                self._waiting = [w for w in self._waiting if w.scope != tuple(event.scope)]

    def _waits(self, execution: Any, waiting: _Waiting) -> None:
        canned = self._answers.get(waiting.state)
        if canned:
            answer = canned.pop(0) if len(canned) > 1 else canned[0]
            send_answer(execution, waiting.token, answer)
            return
        if not self.interactive:
            if not self._told and self.console is not None:
                self._told = True
                self.console.print(f"  ℹ {waiting.state} waits for something to answer its task token (to answer it "
                                   "yourself: --answer-tokens, or run in a terminal)", style="dim", highlight=False)
            return
        with self._lock:
            self._waiting.append(waiting)
            number = len(self._waiting)
        label = f"[{number}] " if number > 1 else ""
        self.console.print(f"  ? {label}{waiting.state} waits for its task token. Answer: {_HELP}",
                           style="bold magenta", highlight=False)
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="aslrun-token-prompt", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        import select

        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._stdin], [], [], 0.1)
            except (OSError, ValueError):  # stdin closed
                return
            if not ready:
                continue
            line = self._stdin.readline()
            if not line:  # end of input: nobody is left to answer
                return
            self._command(line.strip())

    def _command(self, line: str) -> None:
        if not line:
            return
        with self._lock:
            waiting = list(self._waiting)
        head, _, rest = line.partition(" ")
        chosen = 1
        if head.isdigit():
            chosen = int(head)
            head, _, rest = rest.strip().partition(" ")
        if not waiting:
            self.console.print("  no Task waits for its token now", style="yellow")
            return
        if not 1 <= chosen <= len(waiting):
            self.console.print(f"  there is no waiting Task {chosen} (1 to {len(waiting)})", style="yellow")
            return
        try:
            answer = _parse(head.lower(), rest.strip())
        except ValueError as exc:
            self.console.print(f"  {exc}. Answer: {_HELP}", style="yellow", highlight=False)
            return
        target = waiting[chosen - 1]
        if answer is not None:
            with self._lock:
                self._waiting = [w for w in self._waiting if w is not target]
        what = "SendTaskHeartbeat" if answer is None else ("SendTaskSuccess" if answer.success else "SendTaskFailure")
        self.console.print(f"  → {target.state}: {what}", style="magenta", highlight=False)
        try:
            send_answer(self._execution, target.token, answer)
        except TaskTokenError:
            self.console.print(f"  {target.state} no longer waits (it timed out or was answered)", style="yellow")

    def close(self) -> None:
        """Stop asking (the run ended); waits for the prompt thread to end."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()


def _parse(verb: str, rest: str) -> Answer | None:
    """One prompt line (after its number) as an Answer, or None for a heartbeat; ValueError if unclear."""
    if verb in ("s", "success"):
        try:
            return Answer(True, output=json.loads(rest) if rest else {})
        except ValueError:
            raise ValueError(f"the output is not JSON: {rest[:60]}") from None
    if verb in ("f", "failure", "fail"):
        error, _, cause = rest.partition(" ")
        return Answer(False, error=error or None, cause=cause.strip() or None)
    if verb in ("h", "heartbeat") and not rest:
        return None
    raise ValueError(f"not understood: {verb} {rest}".rstrip())


def send_answer(execution: Any, token: str, answer: Answer | None) -> None:
    """Send ``answer`` for ``token`` (None: a heartbeat) to ``execution``."""
    if answer is None:
        execution.send_task_heartbeat(token)
    elif answer.success:
        execution.send_task_success(token, answer.output)
    else:
        execution.send_task_failure(token, answer.error, answer.cause)
