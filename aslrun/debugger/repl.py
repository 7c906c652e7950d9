"""The terminal around a :class:`~aslrun.debugger.session.Session` (aslrun's ``pdb``).

:class:`Debugger` reads commands — typed at a ``(aslrun)`` prompt with readline editing and
completion, or taken from a script (``--commands FILE``, or stdin when it is not a terminal) —
parses them, calls the session, and renders what it returns with rich. It decides nothing about
stepping itself.

It runs in the execution's own thread: the session calls :meth:`Debugger.user_stop` from
inside the execution's callbacks, and the command loop runs right there until a command resumes.
Ctrl-C while the execution runs pauses it, as pdb does: at the next state, or at once while it
waits on a real clock (a Wait, a retry backoff); twice, it aborts. Ctrl-C at the prompt just gives
the prompt back. An empty line repeats ``step`` or ``next``, and nothing else.
"""

from __future__ import annotations

import difflib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from aslrun.debugger import render
from aslrun.debugger.probes import CommandError, parse_json_value
from aslrun.debugger.session import Session
from aslrun.debugger.stops import Stop
from aslrun.effects import Event
from aslrun.execution import Execution, ExecutionResult
from aslrun.nodes import StateMachine

__all__ = ["COMMANDS", "Command", "Debugger", "ScriptInput", "TerminalInput"]

PROMPT = "(aslrun) "


@dataclass(frozen=True)
class Command:
    """One debugger command: its names, its one-line summary and its longer help."""

    name: str
    aliases: tuple[str, ...]
    usage: str
    summary: str
    details: str
    group: str


COMMANDS: tuple[Command, ...] = (
    Command("step", ("s",), "step", "next state, into Parallel branches/Map iterations",
            "Runs until the next state starts, wherever it is: the first state of a Parallel branch or Map "
            "iteration counts. Also stops when a Map/Parallel has its results and when a state fails. Press "
            "Enter to repeat.", "Running"),
    Command("next", ("n",), "next", "next state here; branches/iterations run through",
            "Runs until the next state of this branch or iteration starts (or a state outside it, when this "
            "one ends). The states inside a Parallel or Map run without stopping; you stop again when the "
            "Parallel/Map has their results. Press Enter to repeat.", "Running"),
    Command("finish", ("f", "fin"), "finish", "run the rest of this branch/iteration, stop outside",
            "Inside a Parallel branch or a Map iteration: runs the rest of it (and its siblings) and stops "
            "when the Parallel/Map has its results, or at a failure outside the branch.", "Running"),
    Command("continue", ("c", "cont"), "continue", "run to a breakpoint, a watch change or the end",
            "Runs freely. Ctrl-C pauses: at the next state, or at once during a Wait on the real clock "
            "(continue then waits out the rest). Ctrl-C twice aborts.", "Running"),
    Command("until", ("u",), "until [STAGE]", "run this state up to a stage: effective, result…",
            "Runs the current state up to STAGE and stops there, so you can see and edit the data at that "
            "point: input, effective (after InputPath and Parameters/Arguments, what a Task is called with), "
            "result (what the Task returned), afterResultSelector, afterResultPath, output. Without STAGE: "
            "the next stage.\nExample: until result", "Running"),
    Command("retry", (), "retry", "after a failure: run the state again now",
            "At a failure (a ✗ stop): runs the state again at once, without waiting for a backoff and "
            "without using up a Retry attempt; stops when it starts again.", "Running"),
    Command("skip", (), "skip [JSON]", "after a failure: leave the state with output JSON",
            "At a failure (a ✗ stop): the state ends as if it had succeeded, with JSON as its output (default: "
            "its input), and the execution goes on at its Next.\nExample: skip {\"status\": \"OK\"}", "Running"),
    Command("quit", ("q", "exit"), "quit", "abort the execution (history kept) and leave",
            "Stops the execution as StopExecution does: it ends ABORTED and its history is kept (--history "
            "FILE writes it). Ctrl-D does the same.", "Running"),
    Command("break", ("b",), "break [SPEC]", "stop at STATE, type:Task, error[:NAME], if COND",
            "break STATE             when the state starts (anywhere: in every branch and iteration)\n"
            "break type:Task         when any Task starts (Pass, Choice, Wait, Map, Parallel …)\n"
            "break error             when any state fails, before Retry/Catch decide\n"
            "break error:NAME        when the error is NAME (matched as ErrorEquals does: States.TaskFailed)\n"
            "break if CONDITION      when a state starts and CONDITION holds on its input\n"
            "break STATE if COND     both\n"
            "A CONDITION is a path compared with JSON ($.total >= 100, $tier == \"gold\"), a bare path "
            "(present and truthy), a Choice rule ({\"Variable\": \"$.x\", \"IsPresent\": true}) or JSONata "
            "({% $states.input.total > 100 %}). Without SPEC: lists the breakpoints.", "Breakpoints"),
    Command("delete", ("d", "clear", "cl"), "delete [N]", "delete breakpoint N (all without N, asked first)",
            "Deletes a breakpoint by its number (see 'break'). Without N, asks 'Clear all breaks? [y/N]' and "
            "deletes every breakpoint on y. In a --commands script the answer is the next line (y or n); "
            "without one, nothing is deleted.", "Breakpoints"),
    Command("watch", ("wa",), "watch [PATH]", "stop when PATH changes ($.x, $var, {% %})",
            "PATH is read as each state starts: $.field (that state's input), $variable, $$.Context.Field, "
            "or {% JSONata %}. The execution stops when its value changes. Without PATH: lists the watches.",
            "Breakpoints"),
    Command("unwatch", ("unw",), "unwatch [N]", "delete watch N (all without N)",
            "Deletes a watch by its number (see 'watch').", "Breakpoints"),
    Command("print", ("p",), "print [WHAT]", "data at each stage, or input/result/output/PATH…",
            "print                 every stage of this state, one line each: input → after InputPath → after "
            "Parameters → result → after ResultSelector → after ResultPath → output (those reached so far)\n"
            "print input|effective|result|output   one stage, in full (also afterInputPath, afterResultPath …)\n"
            "print error           the failure and what Retry/Catch will do\n"
            "print context         the context object ($$)\n"
            "print variables       the variables this state sees\n"
            "print PATH            $.field of the data here, $variable, $$.Field, {% JSONata %}", "Looking"),
    Command("set", (), "set PATH = JSON", "change the data going on, or a variable",
            "set $.order.total = 100     edits the value at this stop (input, result, output… whichever "
            "this stop is at); the state goes on with it\n"
            "set $ = {\"a\": 1}            replaces it\n"
            "set $retries = 0            sets a (top-level) variable\n"
            "Values are JSON: strings need double quotes.", "Looking"),
    Command("where", ("w", "bt"), "where", "branches and iterations down to this state",
            "Shows the path to the current state: each Parallel with the branch index and each Map with the "
            "iteration index it runs in.", "Looking"),
    Command("history", ("hist", "hi"), "history [N]", "the last N history events (10, or all)",
            "The execution history so far, as GetExecutionHistory records it.", "Looking"),
    Command("graph", ("g",), "graph [mermaid|dot]", "the state machine, this state marked",
            "Every state in definition order with its transitions; ▶ marks the current state, ● a breakpoint, "
            "×n how often a state ran.\n"
            "graph mermaid / graph dot print the picture aslrun graph draws (Mermaid or Graphviz DOT text), "
            "with the current state highlighted and the states that ran coloured.", "Looking"),
    Command("help", ("h", "?"), "help [COMMAND]", "this list, or more about one command",
            "help COMMAND shows more about one command, with examples.", "Looking"),
)
_BY_NAME = {name: cmd for cmd in COMMANDS for name in (cmd.name, *cmd.aliases)}
#: what an empty line repeats (pdb repeats any command; here only stepping is safe to repeat)
_REPEATABLE = {"step", "next"}
_YES = ("y", "yes")
_ANSWERS = (*_YES, "n", "no")


class TerminalInput:
    """Commands typed at the prompt, with readline line editing, history and completion when available."""

    interactive = True

    def __init__(self, complete: Callable[[], list[str]] | None = None) -> None:
        try:
            import readline
        except ImportError:  # pragma: no cover - Windows without pyreadline
            return
        if complete is not None:
            def completer(text: str, index: int) -> str | None:
                matches = [w for w in complete() if w.startswith(text)]
                return matches[index] if index < len(matches) else None

            readline.set_completer(completer)
            readline.set_completer_delims(" \t")
            readline.parse_and_bind("tab: complete")

    def read(self, console: Console) -> str | None:
        """A line, or None at end of input (Ctrl-D)."""
        try:
            return input(PROMPT)
        except EOFError:
            console.print()
            return None

    def ask(self, console: Console, question: str) -> bool:
        """Ask a yes/no question; only y or yes is a yes (Ctrl-C and Ctrl-D are a no)."""
        try:
            return input(question + " ").strip().lower() in _YES
        except (EOFError, KeyboardInterrupt):
            console.print()
            return False


class ScriptInput:
    """Commands from a file or a pipe, echoed after the prompt so the output reads like a session."""

    interactive = False

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines: Iterator[str] = iter(lines)
        self._pending: str | None = None

    def read(self, console: Console) -> str | None:
        """The next command (blank lines and # comments skipped), or None when there are no more."""
        text = self._next()
        if text is not None:
            console.print(Text(PROMPT + text, style="dim"), soft_wrap=True, highlight=False)
        return text

    def ask(self, console: Console, question: str) -> bool:
        """A yes/no question answered by the next line of the script, if it is y, yes, n or no.

        Any other line is no answer: it stays the next command, and the answer is no. A script
        never waits for a person.
        """
        text = self._next()
        if text is not None and text.lower() in _ANSWERS:
            console.print(Text(f"{question} {text}", style="dim"), soft_wrap=True, highlight=False)
            return text.lower() in _YES
        self._pending = text
        console.print(Text(f"{question} (no y on the next line of the script: no)", style="dim"), soft_wrap=True,
                      highlight=False)
        return False

    def _next(self) -> str | None:
        if self._pending is not None:
            text, self._pending = self._pending, None
            return text
        for line in self._lines:
            text = line.strip()
            if text and not text.startswith("#"):
                return text
        return None


class Debugger(Session):
    """A session driven by typed (or scripted) commands and rendered on a rich console."""

    def __init__(self, machine: StateMachine, console: Console | None = None,
                 source: TerminalInput | ScriptInput | None = None) -> None:
        super().__init__(machine)
        self.console = console or Console(highlight=False)
        self.source = source if source is not None else TerminalInput(self._completions)
        self._last = ""
        self._at_prompt = False
        self._interrupts = 0
        self._done = False

    # ------------------------------------------------------------ running

    def run_execution(self, execution: Execution) -> ExecutionResult:
        """Run ``execution`` (started with :meth:`start`) under the debugger, then report how it ended."""
        machine = self.machine
        count = len(self.states)
        self.console.print(Text.assemble(
            ("aslrun debug ", "bold"), (machine.name, "bold cyan"),
            (f"  {count} state{'s' if count != 1 else ''} · execution {execution.name}", "dim")), soft_wrap=True)
        self.console.print(Text("Paused as the first state starts; nothing else has run. Type help for the "
                                "commands: next runs one state, continue runs to a breakpoint.", style="dim"),
                           soft_wrap=True)
        main = threading.current_thread() is threading.main_thread()
        previous = signal.getsignal(signal.SIGINT) if main else None
        if main:
            signal.signal(signal.SIGINT, self._on_interrupt)
        try:
            result = execution.run()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)
        self.result = result
        render.render_result(self.console, result)
        if self.quitting:
            self.console.print(Text("aborted: the history so far is kept", style="yellow"))
        else:
            self._post_mortem()
        return result

    def _on_interrupt(self, signum: int, frame: Any) -> None:
        if self._at_prompt:
            raise KeyboardInterrupt
        self._interrupts += 1
        if self._interrupts == 1:
            self.request_pause()  # only sets a flag: the execution stops where it can
        else:
            # abort() sets the execution's wake event; from a signal handler that can deadlock on the
            # event's own lock, if the handler interrupted the thread inside it.
            threading.Thread(target=self.abort, name="aslrun-debug-abort", daemon=True).start()

    def user_stop(self, stop: Stop) -> None:
        """Show where the execution stopped, then read commands until one resumes it."""
        self._interrupts = 0
        render.render_stop(self.console, self, stop)
        while not self.resumed:
            line = self._read()
            if line is None:
                self.console.print(Text("end of commands: quitting (the execution is aborted)", style="yellow"))
                self.quit()
                return
            self.onecmd(line)

    def user_event(self, event: Event) -> None:
        """Progress notes (a Job's pods, a long poll) appear live while the execution runs."""
        if event.type == "Progress" and event.details:
            where = render.format_path(self, event.scope)
            self.console.print(Text(f"  … {where}: {event.details.get('message')}", style="dim"), soft_wrap=True)

    def _read(self) -> str | None:
        self._at_prompt = True
        try:
            while True:
                try:
                    line = self.source.read(self.console)
                except KeyboardInterrupt:
                    self.console.print()
                    self.console.print(Text("(Ctrl-C) type continue to go on, quit to abort, help for commands",
                                            style="dim"))
                    continue
                if line is None:
                    return None
                line = line.strip()
                if not line:
                    if self.source.interactive and self._last:
                        return self._last
                    continue
                return line
        finally:
            self._at_prompt = False

    def _ask(self, question: str) -> bool:
        self._at_prompt = True  # Ctrl-C answers no, as at the prompt
        try:
            return self.source.ask(self.console, question)
        finally:
            self._at_prompt = False

    def _post_mortem(self) -> None:
        """After the end: history, graph and print still work until quit (or end of input)."""
        if self.source.interactive:
            self.console.print(Text("The execution has ended. history, graph and print output still work; "
                                    "quit (or Ctrl-D) leaves.", style="dim"), soft_wrap=True)
        self._done = True
        self._last = ""  # an empty line must not run "next" into the end of the session
        while True:
            line = self._read()
            if line is None:
                return
            name = line.split(None, 1)[0].lower()
            cmd = _BY_NAME.get(name)
            if cmd is not None and cmd.group == "Running":
                return
            self.onecmd(line)

    # ------------------------------------------------------------ commands

    def onecmd(self, line: str) -> None:
        """Run one command line; problems are printed, never raised."""
        name, _, arg = line.strip().partition(" ")
        cmd = _BY_NAME.get(name.lower())
        self._last = line.strip() if cmd is not None and cmd.name in _REPEATABLE else ""
        if cmd is None:
            close = difflib.get_close_matches(name.lower(), list(_BY_NAME), n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            self._error(f"unknown command {name!r}.{hint} Type help for the list.")
            return
        try:
            getattr(self, "do_" + cmd.name)(arg.strip())
        except CommandError as exc:
            self._error(str(exc))
        except Exception as exc:  # a debugger bug must not take the execution down with it
            self._error(f"internal error in {cmd.name}: {type(exc).__name__}: {exc} (please report it)")

    def _error(self, message: str) -> None:
        self.console.print(Text.assemble(("✗ ", "bold red"), message), soft_wrap=True)

    def _note(self, message: str) -> None:
        self.console.print(Text(message, style="green"), soft_wrap=True)

    def _paused(self, what: str) -> Stop:
        if self.stop is None:
            if self._done:
                raise CommandError(f"{what}: the execution has ended")
            raise CommandError(f"{what}: the execution is not paused")
        return self.stop

    def do_help(self, arg: str) -> None:
        if arg:
            cmd = _BY_NAME.get(arg.split()[0].lower())
            if cmd is None:
                raise CommandError(f"no command {arg!r}; type help for the list")
            names = ", ".join((cmd.name, *cmd.aliases))
            self.console.print(Text.assemble((cmd.usage, "bold"), (f"   ({names})", "dim")))
            self.console.print(Text(cmd.summary))
            self.console.print(Text(cmd.details, style="dim"), soft_wrap=True)
            return
        self.console.print(Text("aslrun debug steps through one execution. It is paused: nothing runs until "
                                "you say so.", style="bold"), soft_wrap=True)
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column("usage", style="bold", no_wrap=True)
        table.add_column("alias", style="dim", no_wrap=True)
        table.add_column("what")
        group = ""
        for cmd in COMMANDS:
            if cmd.group != group:
                group = cmd.group
                table.add_row(Text(group, style="bold cyan"), "", "")
            table.add_row("  " + cmd.usage, ", ".join(cmd.aliases), cmd.summary)
        self.console.print(table)
        self.console.print(Text(
            "Paths: $ is the data here ($.order.id), $name a variable, $$ the context object; JSON values need "
            "double quotes. Enter repeats step/next. help COMMAND tells more (try: help break).\n"
            "To start: print (the data), graph (the machine), next (run one state), break STATE, continue.",
            style="dim"), soft_wrap=True)

    # running

    def do_step(self, arg: str) -> None:
        self._paused("step")
        self.step()

    def do_next(self, arg: str) -> None:
        self._paused("next")
        self.next()

    def do_finish(self, arg: str) -> None:
        self._paused("finish")
        self.finish()

    def do_continue(self, arg: str) -> None:
        self._paused("continue")
        self.cont()

    def do_until(self, arg: str) -> None:
        self._paused("until")
        self.until(arg or None)

    def do_retry(self, arg: str) -> None:
        self._paused("retry")
        self.retry()
        self._note("the state runs again now")

    def do_skip(self, arg: str) -> None:
        self._paused("skip")
        value = self.skip(parse_json_value(arg, "output")) if arg else self.skip()
        self._note(f"the state is left with output {render.compact(value, 80)}")

    def do_quit(self, arg: str) -> None:
        if self.stop is None:
            return
        self.quit()

    # breakpoints

    def do_break(self, arg: str) -> None:
        if not arg:
            render.render_breakpoints(self.console, self.breakpoints)
            return
        bp = self.add_breakpoint(arg)
        self._note(f"breakpoint {bp.number}: {bp.describe()}")

    def do_delete(self, arg: str) -> None:
        number = _number(arg, "delete")
        if number is None and self.breakpoints and not self._ask("Clear all breaks? [y/N]"):
            self._note("no breakpoint deleted")
            return
        gone = self.delete_breakpoint(number)
        if not gone:
            self._note("there were no breakpoints")
        for bp in gone:
            self._note(f"deleted breakpoint {bp.number} ({bp.describe()})")

    def do_watch(self, arg: str) -> None:
        if not arg:
            render.render_watches(self.console, self.watches)
            return
        watch = self.add_watch(arg)
        self._note(f"watch {watch.number}: {watch.probe.text} = {render.compact(watch.last, 80)}")

    def do_unwatch(self, arg: str) -> None:
        for watch in self.delete_watch(_number(arg, "unwatch")):
            self._note(f"deleted watch {watch.number} ({watch.probe.text})")

    # looking

    def do_print(self, arg: str) -> None:
        if self.stop is None and self.result is not None:
            if arg in ("", "output"):
                render.render_value(self.console, "output", self.result.output)
                return
            if arg == "variables":
                render.render_value(self.console, "variables", self.result.variables)
                return
            raise CommandError("the execution has ended: print output and print variables still work")
        stop = self._paused("print")
        if not arg:
            render.render_stages(self.console, self, stop)
            return
        render.render_value(self.console, arg, self.value_of(arg))

    def do_set(self, arg: str) -> None:
        self._paused("set")
        path, sep, text = arg.partition("=")
        if not sep or not path.strip() or not text.strip():
            raise CommandError('set needs PATH = JSON, e.g. set $.quantity = 2 or set $.name = "Ada"')
        value = parse_json_value(text.strip())
        what = self.set(path.strip(), value)
        self._note(f"✎ {what}: {render.compact(value, 80)}")

    def do_where(self, arg: str) -> None:
        stop = self._paused("where")
        render.render_where(self.console, self.where(stop), stop)

    def do_history(self, arg: str) -> None:
        if arg == "all":
            count = None
        else:
            count = _number(arg, "history")
            count = 10 if count is None else count
        events = self.history(count)
        if self.execution is None and self.result is not None:
            events = self.result.events if count is None else self.result.events[-count:]
        render.render_history(self.console, events)

    def do_graph(self, arg: str) -> None:
        if arg.strip() in ("mermaid", "dot"):
            from aslrun.graph import RunOverlay, to_dot, to_mermaid

            current = self.stop.state.name if self.stop is not None else None
            overlay = RunOverlay(visits=dict(self.visited), current=current)
            draw = to_mermaid if arg.strip() == "mermaid" else to_dot
            self.console.out(draw(self.machine, overlay), end="", highlight=False)
        elif arg.strip():
            raise CommandError(f"graph takes mermaid, dot or nothing, not {escape(arg.strip())!r}")
        else:
            render.render_graph(self.console, self, self.stop)

    # ------------------------------------------------------------ completion

    def _completions(self) -> list[str]:
        words = [name for name in _BY_NAME]
        words += list(self.states)
        words += ["input", "effective", "result", "output", "context", "variables", "error", "type:", "all"]
        return sorted(set(words))


def _number(arg: str, what: str) -> int | None:
    if not arg:
        return None
    try:
        return int(arg)
    except ValueError:
        raise CommandError(f"{what} takes a number, not {escape(arg)!r}") from None
