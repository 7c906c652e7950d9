"""The debugger's session (aslrun/debugger/session.py) driven directly, without a terminal.

Each test gives the session a script: at every stop the next action runs (it may inspect and
edit through the session) and then says how to go on. The tests assert where it stopped, what
it showed there, and how edits and decisions changed the execution.
"""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from rich.console import Console

from aslrun import Interpreter
from aslrun.debugger import CommandError, Session, Stop
from aslrun.debugger.repl import Debugger, ScriptInput, TerminalInput
from aslrun.debugger.stops import MISSING
from aslrun.effects import Progress
from aslrun.errors import StatesError

Action = Callable[[Session], Any]


class Service:
    """A fake integration: each Task state gets its scripted replies in turn (a value, or a StatesError)."""

    name = "fake"
    remote = False

    def __init__(self, **replies: list[Any]) -> None:
        self.replies = {k: list(v) for k, v in replies.items()}
        self.calls: list[tuple[str, Any]] = []

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: Any) -> Any:
        self.calls.append((request.state_name, request.parameters))
        queue = self.replies.get(request.state_name, [])
        reply = queue.pop(0) if len(queue) > 1 else queue[0] if queue else {"ok": True}
        if isinstance(reply, StatesError):
            raise StatesError(reply.error, reply.cause)
        return reply


class Scripted(Session):
    """A session whose stops run the given actions in order (then continue)."""

    def __init__(self, machine: Any, actions: list[Action | str]) -> None:
        super().__init__(machine)
        self.actions = list(actions)
        self.seen: list[Stop] = []
        self.shown: list[Any] = []

    def user_stop(self, stop: Stop) -> None:
        self.seen.append(stop)
        action = self.actions.pop(0) if self.actions else "cont"
        if isinstance(action, str):
            getattr(self, action)()
        else:
            action(self)
        if not self.resumed:
            self.cont()

    def where_names(self, stop: Stop) -> list[Any]:
        return [(loc.state.name if loc.state else None, loc.index) for loc in self.where(stop)]


def debug(definition: dict[str, Any], actions: list[Action | str], input: Any = None,
          service: Service | None = None, breaks: tuple[str, ...] = ()) -> tuple[Scripted, Any]:
    interpreter = Interpreter(integrations=[service or Service()], load_plugins=False)
    session = Scripted(interpreter.load(definition), actions)
    for spec in breaks:
        session.add_breakpoint(spec)
    result = session.run(interpreter, input if input is not None else {})
    return session, result


def at(session: Scripted) -> list[tuple[str, str, str | None]]:
    """Where each stop was: (state, kind, stage)."""
    return [(s.state.name, s.kind, s.stage) for s in session.seen]


def both(*actions: Action) -> Action:
    def run(session: Session) -> None:
        for action in actions:
            action(session)

    return run


TASK = "arn:aws:states:::lambda:invoke"

PIPELINE = {
    "StartAt": "Prepare",
    "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"items.$": "$.items", "factor": 2}, "Next": "Each"},
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemProcessor": {
                "StartAt": "Double",
                "States": {
                    "Double": {"Type": "Pass", "Parameters": {"n.$": "$"}, "Assign": {"seen.$": "$"},
                               "Next": "Check"},
                    "Check": {"Type": "Pass", "End": True},
                },
            },
            "ResultPath": "$.doubled",
            "Next": "Both",
        },
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Result": "L", "Next": "LeftDone"},
                                               "LeftDone": {"Type": "Pass", "End": True}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "Result": "R", "End": True}}},
            ],
            "ResultPath": "$.sides",
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


# ---------------------------------------------------------------- where it stops


def test_it_starts_paused_at_the_first_state_and_next_walks_the_top_level() -> None:
    session, result = debug(PIPELINE, ["next"] * 10, {"items": [1, 2]})
    assert at(session) == [
        ("Prepare", "enter", "input"),
        ("Each", "enter", None),  # a Map has no input stage: it stops on its entered event
        ("Each", "return", "result"),  # next runs the iterations through, stops when the Map has their results
        ("Both", "enter", None),
        ("Both", "return", "result"),
        ("Done", "enter", "input"),
    ]
    assert session.seen[0].reasons == ["the first state"]
    assert session.seen[2].value == [{"n": 1}, {"n": 2}]
    assert session.seen[4].value == ["L", "R"]
    assert result.status == "SUCCEEDED"


def test_step_goes_into_map_iterations_and_where_shows_the_index() -> None:
    session, _ = debug(PIPELINE, ["next", "step", "step", "step", "step", "step", "cont"], {"items": [1, 2]})
    assert at(session)[1:7] == [
        ("Each", "enter", None),
        ("Double", "enter", "input"),
        ("Check", "enter", "input"),
        ("Double", "enter", "input"),
        ("Check", "enter", "input"),
        ("Each", "return", "result"),
    ]
    assert [s.scope for s in session.seen[2:6]] == [("Each", 0), ("Each", 0), ("Each", 1), ("Each", 1)]
    assert session.where_names(session.seen[4]) == [("Each", 1), ("Double", None)]
    assert session.seen[4].value == 2


def test_next_inside_an_iteration_stays_in_it_and_finish_returns_to_the_map() -> None:
    session, _ = debug(PIPELINE, ["next", "step", "next", "finish", "cont"], {"items": [1, 2, 3]})
    assert at(session)[2:5] == [("Double", "enter", "input"), ("Check", "enter", "input"),
                                ("Each", "return", "result")]
    assert session.seen[3].scope == ("Each", 0)
    assert session.seen[4].value == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_parallel_step_into_a_branch_next_in_it_and_finish_back_out() -> None:
    session, result = debug(PIPELINE, ["step", "cont"], {"items": []}, breaks=("Both",))
    assert at(session)[-1] == ("Both", "enter", None)
    session, result = debug(PIPELINE, ["cont", "step", "next", "finish", "cont"], {"items": []}, breaks=("Both",))
    assert at(session) == [
        ("Prepare", "enter", "input"),
        ("Both", "enter", None),
        ("Left", "enter", "input"),
        ("LeftDone", "enter", "input"),
        ("Both", "return", "result"),
    ]
    assert session.seen[2].scope == ("Both", 0)
    assert session.where_names(session.seen[3]) == [("Both", 0), ("LeftDone", None)]
    assert result.output["sides"] == ["L", "R"]


def test_finish_at_top_level_is_refused_with_what_to_do() -> None:
    def try_finish(session: Session) -> None:
        with pytest.raises(CommandError, match="at the top level: use next or continue"):
            session.finish()

    debug(PIPELINE, [try_finish], {"items": []})


# ---------------------------------------------------------------- breakpoints


def test_state_breakpoint_stops_in_every_iteration() -> None:
    session, _ = debug(PIPELINE, ["cont"] * 5, {"items": [5, 6, 7]}, breaks=("Check",))
    checks = [s for s in session.seen if s.state.name == "Check"]
    assert [s.scope for s in checks] == [("Each", 0), ("Each", 1), ("Each", 2)]
    assert [s.value for s in checks] == [{"n": 5}, {"n": 6}, {"n": 7}]
    assert checks[0].reasons == ["breakpoint 1 (state Check)"]
    assert session.breakpoints[0].hits == 3


@pytest.mark.parametrize(("spec", "where"), [
    ("Double if $.n == 6", "Double"),
    ("if $.n >= 6", "Double"),
    ("Double if {% $states.input.n = 6 %}", "Double"),
    ('Double if {"Variable": "$.n", "NumericEquals": 6}', "Double"),
    ("Check if $seen.n.n == 6", "Check"),
])
def test_conditional_breakpoints_in_each_spelling(spec: str, where: str) -> None:
    session, _ = debug(PIPELINE, ["cont"] * 5, {"items": [{"n": 5}, {"n": 6}]}, breaks=(spec,))
    assert [(s.state.name, s.scope) for s in session.seen[1:]] == [(where, ("Each", 1))]


def test_type_breakpoint_and_delete() -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Task", "Resource": TASK, "Next": "B"},
                   "B": {"Type": "Pass", "Next": "C"},
                   "C": {"Type": "Task", "Resource": TASK, "End": True}},
    }
    session, _ = debug(definition, ["cont", "cont"], breaks=("type:task",))
    assert [(s.state.name, s.reasons) for s in session.seen] == [
        ("A", ["breakpoint 1 (every Task state)"]), ("C", ["breakpoint 1 (every Task state)"])]

    def delete_all(session: Session) -> None:
        assert [bp.number for bp in session.delete_breakpoint()] == [1]
        with pytest.raises(CommandError, match=r"there is no breakpoint 1 \(breakpoints: none\)"):
            session.delete_breakpoint(1)
        session.cont()

    session, _ = debug(definition, [delete_all], breaks=("type:Task",))
    assert [s.state.name for s in session.seen] == ["A"]


@pytest.mark.parametrize(("spec", "message"), [
    ("Chek", r"no state named 'Chek' in this machine\. Did you mean 'Check'\?"),
    ("type:Lambda", "'Lambda' is not a state type; use one of Task, Pass"),
    ("if", "break if needs a condition"),
    ("if $.a ==", "is not valid JSONata"),
    ('if {"Variable": "$.a"}', "the Choice rule is not valid"),
])
def test_bad_breakpoints_say_what_is_wrong(spec: str, message: str) -> None:
    session = Session(Interpreter(load_plugins=False).load(PIPELINE))
    with pytest.raises(CommandError, match=message):
        session.add_breakpoint(spec)


def test_watch_stops_when_a_variable_changes() -> None:
    definition = {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Assign": {"i": 0}, "Next": "Inc"},
            "Inc": {"Type": "Pass", "Assign": {"i.$": "States.MathAdd($i, 1)"}, "Next": "Again?"},
            "Again?": {"Type": "Choice", "Choices": [{"Variable": "$i", "NumericLessThan": 3, "Next": "Inc"}],
                       "Default": "Done"},
            "Done": {"Type": "Pass", "End": True},
        },
    }
    session, _ = debug(definition, [both(lambda s: s.add_watch("$i"), Session.cont)] + ["cont"] * 10)
    changed = [(s.state.name, s.reasons) for s in session.seen[1:]]
    assert changed == [
        ("Inc", ["watch 1: $i changed"]),
        ("Again?", ["watch 1: $i changed"]),
        ("Again?", ["watch 1: $i changed"]),
        ("Again?", ["watch 1: $i changed"]),
    ]
    assert session.watches[0].last == 3 and session.watches[0].previous == 2


# ---------------------------------------------------------------- what it shows


def test_print_shows_each_stage_of_a_task_and_until_reaches_the_result() -> None:
    definition = {
        "StartAt": "Charge",
        "States": {
            "Charge": {"Type": "Task", "Resource": TASK, "InputPath": "$.order",
                       "Parameters": {"amount.$": "$.total"}, "ResultSelector": {"id.$": "$.Payload.id"},
                       "ResultPath": "$.charge", "OutputPath": "$.charge", "End": True},
        },
    }
    stages: dict[str, list[tuple[str, Any]]] = {}

    def look(name: str) -> Action:
        def run(session: Session) -> None:
            stages[name] = session.stages()
            if name == "start":
                assert session.value_of("$.order.total") == 42
                with pytest.raises(CommandError, match="has not reached its result stage yet; use 'until result'"):
                    session.value_of("result")
                session.until("result")
            elif name == "result":
                assert session.value_of("effective") == {"amount": 42}
                session.until("output")
            else:
                session.cont()
        return run

    service = Service(Charge=[{"Payload": {"id": "ch_1"}}])
    session, result = debug(definition, [look("start"), look("result"), look("output")], {"order": {"total": 42}},
                            service)
    assert at(session) == [("Charge", "enter", "input"), ("Charge", "stage", "result"), ("Charge", "stage", "output")]
    assert [name for name, _ in stages["start"]] == ["input", "afterInputPath", "afterParameters", "result",
                                                     "afterResultSelector", "afterResultPath", "output"]
    assert [v for _, v in stages["start"]][1:] == [MISSING] * 6
    assert dict(stages["output"]) == {
        "input": {"order": {"total": 42}},
        "afterInputPath": {"total": 42},
        "afterParameters": {"amount": 42},
        "result": {"Payload": {"id": "ch_1"}},
        "afterResultSelector": {"id": "ch_1"},
        "afterResultPath": {"order": {"total": 42}, "charge": {"id": "ch_1"}},  # ResultPath: on the raw input
        "output": {"id": "ch_1"},
    }
    assert result.output == {"id": "ch_1"}


def test_jsonata_states_report_their_own_stages() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": TASK, "Arguments": {"n": "{% $states.input.n + 1 %}"},
                     "Output": "{% $states.result.value %}", "Next": "Show"},
            "Show": {"Type": "Pass", "Output": {"shown": "{% $states.input %}"}, "End": True},
        },
    }
    seen: dict[str, Any] = {}

    def look(session: Session) -> None:
        seen[session.stop.state.name if session.stop else "?"] = dict(session.stages())
        session.cont()

    session, result = debug(definition, [lambda s: s.until("output"), look, lambda s: s.until("output"), look],
                            {"n": 1}, Service(Call=[{"value": 41}]), breaks=("Show if {% $states.input = 41 %}",))
    assert seen["Call"] == {"input": {"n": 1}, "afterArguments": {"n": 2}, "result": {"value": 41}, "output": 41}
    assert seen["Show"] == {"input": 41, "output": {"shown": 41}}
    assert result.output == {"shown": 41}


def test_context_and_variables_inside_an_iteration() -> None:
    seen: dict[str, Any] = {}

    def look(session: Session) -> None:
        seen["variables"] = session.value_of("variables")
        seen["context"] = session.value_of("context")
        seen["seen"] = session.value_of("$seen")
        session.cont()

    debug(PIPELINE, ["cont", look], {"items": [7]}, breaks=("Check",))
    assert seen["variables"] == {"seen": {"n": 7}}  # assigned inside iteration 0, seen from there
    assert seen["seen"] == {"n": 7}
    assert seen["context"]["State"]["Name"] == "Check"
    assert seen["context"]["Execution"]["Input"] == {"items": [7]}


# ---------------------------------------------------------------- editing


def test_set_edits_the_input_and_the_output_follows() -> None:
    def edit(session: Session) -> None:
        assert session.set("$.items[1]", 20) == "$.items[1] set in input"
        session.cont()

    _, result = debug(PIPELINE, [edit], {"items": [1, 2]})
    assert result.output["doubled"] == [{"n": 1}, {"n": 20}]


def test_an_edited_task_input_reaches_its_parameters() -> None:
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK,
                                                   "Parameters": {"amount.$": "$.amount"}, "End": True}}}
    service = Service(T=[{"ok": True}])

    def edit(session: Session) -> None:
        session.set("$.amount", 5)
        session.cont()

    debug(definition, [edit], {"amount": 1200}, service)
    assert service.calls == [("T", {"amount": 5})]


def test_set_at_the_parameters_stage_changes_what_the_task_is_called_with() -> None:
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK,
                                                   "Parameters": {"amount.$": "$.amount"}, "End": True}}}
    service = Service(T=[{"ok": True}])

    def edit(session: Session) -> None:
        assert session.set("$.amount", 5) == "$.amount set in afterParameters"
        session.cont()

    debug(definition, [lambda s: s.until("effective"), edit], {"amount": 1200}, service)
    assert service.calls == [("T", {"amount": 5})]


def test_set_at_the_result_stage_changes_what_the_task_returned() -> None:
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "ResultPath": "$.r",
                                                   "End": True}}}

    def edit(session: Session) -> None:
        session.set("$.status", "PATCHED")
        session.cont()

    _, result = debug(definition, [lambda s: s.until("result"), edit], {"a": 1},
                      Service(T=[{"status": "BROKEN"}]))
    assert result.output == {"a": 1, "r": {"status": "PATCHED"}}


def test_set_a_variable_changes_what_later_states_read() -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Assign": {"limit": 1}, "Next": "B"},
                   "B": {"Type": "Pass", "Parameters": {"limit.$": "$limit"}, "End": True}},
    }

    def edit(session: Session) -> None:
        assert session.set("$limit", 99) == "variable $limit set"
        session.cont()

    _, result = debug(definition, ["next", edit])
    assert result.output == {"limit": 99}


@pytest.mark.parametrize(("path", "message"), [
    ("$$.Execution.Name", r"the context object \(\$\$\) cannot be edited"),
    ("$.items[*]", "may select several values"),
    ("$.items.x", "does not fit the data here"),
    ("$nope.a", r"\$nope is not defined; set it whole first"),
])
def test_bad_edits_say_what_to_do(path: str, message: str) -> None:
    def edit(session: Session) -> None:
        with pytest.raises(CommandError, match=message):
            session.set(path, 1)

    debug(PIPELINE, [edit], {"items": [1]})


def test_a_map_entry_cannot_be_edited_but_its_result_can() -> None:
    def refuse(session: Session) -> None:
        with pytest.raises(CommandError, match="input cannot be edited as it starts; use 'until result'"):
            session.set("$.items", [])
        session.until("result")

    def edit(session: Session) -> None:
        session.set("$", ["replaced"])
        session.cont()

    _, result = debug(PIPELINE, ["next", refuse, edit], {"items": [1]})
    assert result.output["doubled"] == ["replaced"]


# ---------------------------------------------------------------- failures, Retry and Catch

RETRY_CATCH = {
    "StartAt": "Charge",
    "States": {
        "Charge": {
            "Type": "Task",
            "Resource": TASK,
            "Retry": [{"ErrorEquals": ["Card.Declined"], "MaxAttempts": 1, "IntervalSeconds": 3}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Refund", "ResultPath": "$.error"}],
            "Next": "Ship",
        },
        "Ship": {"Type": "Pass", "Result": "shipped", "ResultPath": "$.shipping", "End": True},
        "Refund": {"Type": "Pass", "End": True},
    },
}
DECLINED = StatesError("Card.Declined", "card 4242 declined")


def test_error_breakpoint_stops_before_retry_decides_and_shows_the_plan() -> None:
    failures = []

    def look(session: Session) -> None:
        failures.append(session.failure())
        session.cont()

    service = Service(Charge=[DECLINED, DECLINED])
    session, result = debug(RETRY_CATCH, ["cont", look, look], service=service, breaks=("error:Card.Declined",))
    assert at(session) == [("Charge", "enter", "input"), ("Charge", "error", "error"), ("Charge", "error", "error")]
    first, second = failures
    assert (first.error, first.cause, first.outcome, first.retry_index, first.attempt, first.delay) == \
        ("Card.Declined", "card 4242 declined", "retry", 0, 1, 3.0)
    assert first.retrier == {"ErrorEquals": ["Card.Declined"], "MaxAttempts": 1, "IntervalSeconds": 3}
    assert first.describe() == "Retry #0 runs the state again after 3 s (attempt 1 of 1 retries)."
    assert (second.outcome, second.exhausted_index, second.catch_index, second.next) == ("catch", 0, 0, "Refund")
    assert second.describe() == "Catch #0 handles it: the execution goes on at Refund."
    assert session.seen[2].visit.attempt == 2
    assert result.output["error"] == {"Error": "Card.Declined", "Cause": "card 4242 declined"}


def test_an_error_breakpoint_also_stops_where_a_fail_state_raises_it() -> None:
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Check", "States": {
                "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Fine"}],
                          "Default": "Reject"},
                "Fine": {"Type": "Succeed"},
                "Reject": {"Type": "Fail", "ErrorPath": "$.why", "Cause": "bad item"}}},
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}], "End": True},
            "Done": {"Type": "Pass", "End": True},
        },
    }
    items = [{"ok": True}, {"ok": False, "why": "Item.Bad"}]
    session, result = debug(definition, ["cont"] * 4, items, breaks=("error:Item.Bad",))
    assert [(s.state.name, s.kind, s.scope) for s in session.seen[1:]] == [
        ("Reject", "enter", ("Each", 1)),  # where the error starts
        ("Each", "error", ()),  # where Catch decides
    ]
    assert session.fail_error(session.seen[1].visit, items[1]) == "Item.Bad"
    assert result.status == "SUCCEEDED"


def test_unhandled_error_says_the_execution_fails() -> None:
    definition = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": TASK, "End": True}}}
    failures: list[Any] = []
    session, result = debug(definition, ["cont", lambda s: failures.append(s.failure())],
                            service=Service(T=[StatesError("Boom", "x")]), breaks=("error",))
    assert failures[0].describe() == "Nothing handles it: the state fails, and with it the execution."
    assert result.status == "FAILED"


def test_stepping_stops_at_a_failure_and_retry_runs_the_state_again_at_once() -> None:
    service = Service(Charge=[DECLINED, {"paid": True}])
    session, result = debug(RETRY_CATCH, ["next", "retry", "next", "cont"], service=service)
    assert at(session) == [
        ("Charge", "enter", "input"),
        ("Charge", "error", "error"),  # next stops at a failure in this frame
        ("Charge", "enter", "input"),  # retry: the state starts again
        ("Ship", "enter", "input"),
    ]
    assert session.seen[2].visit.attempt == 2
    assert len(service.calls) == 2
    assert result.output == {"paid": True, "shipping": "shipped"}
    # no backoff: the Retry's 3 s IntervalSeconds did not pass on the (virtual) clock
    assert result.stop_time - result.start_time < 3


def test_skip_leaves_the_failing_state_with_the_given_output() -> None:
    def skip(session: Session) -> None:
        assert session.skip({"paid": "by hand"}) == {"paid": "by hand"}

    service = Service(Charge=[DECLINED])
    session, result = debug(RETRY_CATCH, ["next", skip, "cont"], service=service)
    assert at(session)[:3] == [("Charge", "enter", "input"), ("Charge", "error", "error"), ("Ship", "enter", "input")]
    assert session.seen[2].value == {"paid": "by hand"}
    assert result.output == {"paid": "by hand", "shipping": "shipped"}


def test_retry_and_skip_are_refused_away_from_a_failure() -> None:
    def refuse(session: Session) -> None:
        with pytest.raises(CommandError, match="retry works when a Task, Map or Parallel has failed"):
            session.retry()
        with pytest.raises(CommandError, match="skip works when"):
            session.skip()

    debug(RETRY_CATCH, [refuse], service=Service(Charge=[{"ok": 1}]))


def test_a_failing_branch_shows_the_parallel_catch_next() -> None:
    definition = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": TASK, "End": True}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recover"}],
                "End": True,
            },
            "Recover": {"Type": "Pass", "Result": "recovered", "End": True},
        },
    }
    plans: list[str] = []

    def look(session: Session) -> None:
        plans.append(session.failure().describe())
        session.cont()

    session, result = debug(definition, ["cont", look, look], service=Service(Work=[StatesError("Boom", "x")]),
                            breaks=("error:Boom",))
    assert [(s.state.name, s.kind, s.scope) for s in session.seen[1:]] == [
        ("Work", "error", ("Fan", 0)), ("Fan", "error", ())]
    assert plans == [
        "Nothing handles it: the state fails, and with it this branch of Fan (whose own Retry/Catch decide next).",
        "Catch #0 handles it: the execution goes on at Recover.",
    ]
    assert result.output == "recovered"


# ---------------------------------------------------------------- Ctrl-C while the execution waits


class WallClock:
    """A clock that is not virtual (sleeps "really" wait) but only pretends to: it jumps to each moment.

    ``at(seconds, fn)`` calls ``fn`` once that much time has passed, as a Ctrl-C would arrive mid-sleep.
    """

    virtual = False

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.alarms: list[tuple[float, Callable[[], Any]]] = []
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep_until(self, moment: float, wake: Any = None) -> None:
        self.sleeps.append(moment - self.now)
        self.now = max(self.now, moment)
        for alarm in [a for a in self.alarms if a[0] <= self.now]:
            self.alarms.remove(alarm)
            alarm[1]()

    def at(self, seconds: float, fn: Callable[[], Any]) -> None:
        self.alarms.append((self.now + seconds, fn))


NAP = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Pass", "Next": "Nap"},
        "Nap": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": {"ok": True}, "End": True},
    },
}


def test_a_pause_during_a_real_wait_stops_in_the_wait_at_once_and_the_wait_goes_on() -> None:
    def ctrl_c_in_a_second(session: Session) -> None:
        clock.at(1, session.request_pause)
        session.cont()

    def refused(session: Session) -> None:
        with pytest.raises(CommandError, match="the data cannot be edited while Nap waits; use 'until output'"):
            session.set("$.a", 2)
        with pytest.raises(CommandError, match="retry works when a Task, Map or Parallel has failed"):
            session.retry()
        session.cont()

    clock = WallClock()
    interpreter = Interpreter(integrations=[Service()], load_plugins=False, clock=clock)
    session = Scripted(interpreter.load(NAP), [ctrl_c_in_a_second, refused])
    result = session.run(interpreter, {"a": 1})
    assert at(session) == [("Start", "enter", "input"), ("Nap", "pause", "afterInputPath")]
    paused = session.seen[1]
    assert paused.reasons == ["paused (Ctrl-C)"]
    assert paused.remaining == pytest.approx(29)
    assert paused.value == {"a": 1} and not paused.editable
    assert [loc.state.name for loc in session.where(paused) if loc.state] == ["Nap"]
    assert result.status == "SUCCEEDED"
    entered, exited = (e for e in result.events if e.type in ("WaitStateEntered", "WaitStateExited"))
    assert exited.timestamp - entered.timestamp >= 30  # the pause did not cut the wait short
    assert max(clock.sleeps) <= 0.25  # a real sleep is sliced, so a Ctrl-C is seen within a moment


def test_after_a_pause_in_a_wait_until_output_and_step_go_on_from_there() -> None:
    def ctrl_c(session: Session) -> None:
        clock.at(10, session.request_pause)
        session.cont()

    clock = WallClock()
    interpreter = Interpreter(integrations=[Service()], load_plugins=False, clock=clock)
    session = Scripted(interpreter.load(NAP), [ctrl_c, lambda s: s.until("output"), "step", "cont"])
    result = session.run(interpreter, {"a": 1})
    assert at(session) == [("Start", "enter", "input"), ("Nap", "pause", "afterInputPath"),
                           ("Nap", "stage", "output"), ("Done", "enter", "input")]
    assert session.seen[1].remaining == pytest.approx(20)
    assert result.output == {"ok": True}


def test_a_pause_during_a_retry_backoff_stops_in_the_failed_task() -> None:
    def ctrl_c(session: Session) -> None:
        clock.at(1, session.request_pause)
        session.cont()

    clock = WallClock()
    interpreter = Interpreter(integrations=[Service(Charge=[DECLINED, {"paid": True}])], load_plugins=False,
                              clock=clock)
    errors = []
    session = Scripted(interpreter.load(RETRY_CATCH), [ctrl_c, lambda s: errors.append(s.value_of("error"))])
    result = session.run(interpreter, {"a": 1})
    assert at(session) == [("Charge", "enter", "input"), ("Charge", "pause", "afterParameters")]
    assert session.seen[1].remaining == pytest.approx(2)
    assert errors[0]["Error"] == "Card.Declined"
    assert result.output == {"paid": True, "shipping": "shipped"}


def test_a_pause_asked_while_nothing_waits_stops_at_the_next_state() -> None:
    session, result = debug(NAP, [lambda s: (s.request_pause(), s.cont())])
    assert at(session) == [("Start", "enter", "input"), ("Nap", "enter", "input")]
    assert session.seen[1].reasons == ["paused (Ctrl-C)"]
    assert result.status == "SUCCEEDED"  # on the virtual clock, the Wait takes no time and never pauses


# ---------------------------------------------------------------- quitting


def test_quit_aborts_cleanly_and_keeps_the_history() -> None:
    session, result = debug(PIPELINE, ["next", "step", "quit"], {"items": [1, 2]})
    assert result.status == "ABORTED"
    assert len(session.seen) == 3  # nothing stops after quit
    types = [e["type"] for e in result.history]
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionAborted"
    assert "MapStateAborted" in types
    assert "PassStateExited" in types  # Prepare's history is kept


# ---------------------------------------------------------------- the terminal shell on a StringIO


def run_script(definition: dict[str, Any], commands: list[str], input: Any = None,
               service: Service | None = None) -> tuple[str, Any]:
    interpreter = Interpreter(integrations=[service or Service()], load_plugins=False)
    console = Console(file=StringIO(), width=100, color_system=None)
    debugger = Debugger(interpreter.load(definition), console, ScriptInput(commands))
    result = debugger.run_execution(debugger.start(interpreter, input if input is not None else {}))
    return console.file.getvalue(), result  # type: ignore[attr-defined]


def test_the_shell_renders_a_failure_with_its_retrier_and_what_comes_next() -> None:
    out, result = run_script(RETRY_CATCH, ["break error", "continue", "print error", "skip", "continue"],
                             {"a": 1}, Service(Charge=[DECLINED]))
    assert "✗ Charge (Task)  failed" in out
    assert "error: Card.Declined" in out
    assert 'matches Retry #0: {"ErrorEquals":["Card.Declined"],"MaxAttempts":1,"IntervalSeconds":3}' in out
    assert "next: Retry #0 runs the state again after 3 s (attempt 1 of 1 retries)." in out
    assert "the state is left with output {\"a\":1}" in out
    assert result.output == {"a": 1, "shipping": "shipped"}


def test_the_shell_reports_mistakes_and_keeps_going() -> None:
    out, result = run_script(PIPELINE, ["stpe", "set $.items = [1", "print $.nothing", "until sideways",
                                        "continue"], {"items": [1]})
    assert "✗ unknown command 'stpe'. Did you mean step? Type help for the list." in out
    assert "✗ the value is not JSON" in out
    assert "✗ $.nothing selects nothing here" in out
    assert "✗ until: 'sideways' is not a stage" in out
    assert result.status == "SUCCEEDED"


def test_end_of_commands_quits_like_ctrl_d() -> None:
    out, result = run_script(PIPELINE, ["next"], {"items": [1]})
    assert "end of commands: quitting (the execution is aborted)" in out
    assert result.status == "ABORTED"


def test_the_shell_shows_a_pause_in_a_wait_and_how_long_is_left() -> None:
    clock = WallClock()
    interpreter = Interpreter(integrations=[Service()], load_plugins=False, clock=clock)
    console = Console(file=StringIO(), width=100, color_system=None)
    debugger = Debugger(interpreter.load(NAP), console, ScriptInput(["continue", "where", "print", "continue"]))
    clock.at(1, debugger.request_pause)  # Ctrl-C one second into the wait
    result = debugger.run_execution(debugger.start(interpreter, {"a": 1}))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "── stop 2 · paused (Ctrl-C) \n‖ Nap (Wait)  waiting, 29.0 s to go (the wait resumes when you go on)\n" \
           '  afterInputPath: {"a":1}\n' in out
    assert "▶ Nap (Wait)  waiting" in out
    assert "▶ after InputPath" in out and "output (after OutputPath)  (not reached yet)" in out
    assert result.status == "SUCCEEDED"


class Keyboard(TerminalInput):
    """Lines typed at the prompt (an empty string is Enter alone), echoed like a terminal shows them."""

    def __init__(self, lines: list[str], answers: list[str] = ()) -> None:  # type: ignore[assignment]
        super().__init__()
        self.lines = list(lines)
        self.answers = list(answers)

    def read(self, console: Console) -> str | None:
        if not self.lines:
            return None
        line = self.lines.pop(0)
        console.print(f"(aslrun) {line}", highlight=False, markup=False)
        return line

    def ask(self, console: Console, question: str) -> bool:
        answer = self.answers.pop(0)
        console.print(f"{question} {answer}", highlight=False, markup=False)
        return answer in ("y", "yes")


def typed(lines: list[str], answers: list[str] = (), definition: dict[str, Any] = PIPELINE,  # type: ignore[assignment]
          input: Any = None) -> tuple[str, Any]:
    interpreter = Interpreter(integrations=[Service()], load_plugins=False)
    console = Console(file=StringIO(), width=100, color_system=None)
    debugger = Debugger(interpreter.load(definition), console, Keyboard(lines, answers))
    result = debugger.run_execution(debugger.start(interpreter, input if input is not None else {"items": [1]}))
    return console.file.getvalue(), result  # type: ignore[attr-defined]


def stop_reasons(out: str) -> list[str]:
    return [line.split(" · ", 1)[1].strip() for line in out.splitlines() if line.startswith("── stop ")]


def test_enter_repeats_step_and_next_but_nothing_else() -> None:
    out, result = typed(["next", "", "print", "", "step", "", "break Done", "", "continue", "", "continue", "",
                         "print output"])
    # "" after print, break or continue does nothing: each stop comes from a command typed out
    assert stop_reasons(out) == ["the first state", "next", "next", "step", "step", "breakpoint 1 (state Done)"]
    assert result.status == "SUCCEEDED"
    # after the end, Enter does not repeat continue (which would leave): print output still runs
    assert out.split("(aslrun) print output\n", 1)[1].startswith('output\n{\n  "items": [')


def test_enter_after_continue_does_nothing() -> None:
    out, result = typed(["break Both", "continue", "", "", "where"])
    assert stop_reasons(out) == ["the first state", "breakpoint 1 (state Both)"]
    assert "▶ Both (Parallel)  starting" in out  # where ran at the same stop
    assert result.status == "ABORTED"  # end of input


def test_clear_asks_before_deleting_every_breakpoint() -> None:
    out, result = typed(["break Check", "break Done", "clear", "clear", "continue"], answers=["n", "y"])
    assert "Clear all breaks? [y/N] n\nno breakpoint deleted" in out
    assert "Clear all breaks? [y/N] y\ndeleted breakpoint 1 (state Check)\ndeleted breakpoint 2 (state Done)" in out
    assert stop_reasons(out) == ["the first state"]  # no breakpoint left to stop at
    assert result.status == "SUCCEEDED"


def test_clear_with_a_number_or_without_breakpoints_does_not_ask() -> None:
    out, _ = typed(["clear", "break Check", "clear 1", "continue"])  # no answers: asking would fail
    assert "there were no breakpoints" in out
    assert "deleted breakpoint 1 (state Check)" in out
    assert "Clear all breaks?" not in out


def test_clear_in_a_script_takes_its_answer_from_the_next_line_and_never_waits() -> None:
    out, result = run_script(PIPELINE, ["break Check", "break Done", "clear", "continue", "clear", "y", "continue"],
                             {"items": [1]})
    # no y after the first clear: nothing is deleted, and "continue" still runs as a command
    assert "Clear all breaks? [y/N] (no y on the next line of the script: no)\nno breakpoint deleted\n" \
           "(aslrun) continue" in out
    assert "stop 2 · breakpoint 1 (state Check)" in out
    assert "Clear all breaks? [y/N] y\ndeleted breakpoint 1 (state Check)" in out
    assert "stop 3" not in out  # Done's breakpoint went too
    assert result.status == "SUCCEEDED"


def test_clear_as_the_last_line_of_a_script_deletes_nothing() -> None:
    out, result = run_script(PIPELINE, ["break Check", "clear"], {"items": [1]})
    assert "Clear all breaks? [y/N] (no y on the next line of the script: no)\nno breakpoint deleted" in out
    assert "end of commands: quitting" in out
    assert result.status == "ABORTED"


def test_progress_notes_show_while_stepping_over_a_long_task() -> None:
    class Slow(Service):
        def invoke(self, request: Any) -> Any:
            def work() -> Any:
                yield Progress("Job hello-1: 1 of 2 pods running", request.scope)
                return {"done": True}
            return work()

    definition = {"StartAt": "Job", "States": {"Job": {"Type": "Task", "Resource": "arn:aws:states:::eks:runJob.sync",
                                                      "Next": "After"},
                                               "After": {"Type": "Pass", "End": True}}}
    out, result = run_script(definition, ["next", "continue"], service=Slow())
    assert "… Job: Job hello-1: 1 of 2 pods running" in out
    assert out.index("pods running") < out.index("▶ After (Pass)")
    assert result.output == {"done": True}


class Slow:
    """An integration whose call runs in the background (a Blocking effect) until released."""

    name = "slow"
    remote = True

    def __init__(self) -> None:
        import threading

        self.started = threading.Event()
        self.release = threading.Event()

    def handles(self, resource: Any) -> bool:
        return True

    def invoke(self, request: Any) -> Any:
        from aslrun.effects import Blocking

        def work() -> dict[str, bool]:
            self.started.set()
            self.release.wait(30)
            return {"done": True}

        return (yield Blocking(work, ()))


def test_a_pause_while_a_task_works_in_the_background_stops_in_that_task() -> None:
    import threading

    slow = Slow()

    def ctrl_c_once_the_task_runs(session: Session) -> None:
        def later() -> None:
            slow.started.wait(10)
            session.request_pause()

        threading.Thread(target=later, daemon=True).start()
        session.cont()

    def look_then_let_it_finish(session: Session) -> None:
        slow.release.set()
        session.cont()

    machine = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::slow:do",
                                                      "End": True}}}
    interpreter = Interpreter(integrations=[slow], load_plugins=False, clock="real")
    session = Scripted(interpreter.load(machine), [ctrl_c_once_the_task_runs, look_then_let_it_finish])
    result = session.run(interpreter, {})
    assert at(session) == [("Work", "enter", "input"), ("Work", "pause", "afterParameters")]
    assert session.seen[1].remaining is None  # waiting on the Task, not on a timer
    assert result.output == {"done": True}


def test_step_goes_into_a_distributed_maps_child_executions() -> None:
    """A Distributed Map's children are executions of their own; the debugger steps into them as into
    inline iterations, and `where` names the child by its index."""
    definition = {
        "StartAt": "Each",
        "States": {"Each": {"Type": "Map", "End": True, "ItemsPath": "$.items", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Double",
            "States": {"Double": {"Type": "Pass", "Parameters": {"n.$": "$"}, "Next": "Check"},
                       "Check": {"Type": "Pass", "End": True}}}}},
    }
    edit = both(lambda s: s.set("$", 10), lambda s: s.step())
    session, result = debug(definition, ["step", "step", edit, "step", "step", "cont"], {"items": [1, 2]})
    assert at(session)[:5] == [("Each", "enter", None), ("Double", "enter", "input"), ("Check", "enter", "input"),
                               ("Double", "enter", "input"), ("Check", "enter", "input")]
    assert [s.scope for s in session.seen[1:5]] == [("Each", 0), ("Each", 0), ("Each", 1), ("Each", 1)]
    assert session.where_names(session.seen[3]) == [("Each", 1), ("Double", None)]
    # An edit inside a child changes that child's result only.
    assert result.output == [10, {"n": 2}]
