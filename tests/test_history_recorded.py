"""Every execution history AWS recorded in the corpus, replayed event for event.

Each case in ``tests/conformance/cases`` with a ``history`` runs (recorded Task results through the
MockConfigFile layer, JSONata cases too) and its history is held against AWS's: event types in
order, ``id``/``previousEventId`` links, and every event's details (names, inputs and outputs as
JSON values, parameters, errors and causes, ``assignedVariables``).

Left out of the comparison, and why (nothing else):

* what a local run cannot know: timestamps, the execution role ARN (``roleArn``, the recorder's
  ``snf_role_arn``), values the recorder replaced by placeholders (``<uuid:1>``, ``map_run_arn``,
  ``a_task_token``, ``start-time``, ``entered-time``, ``RandomNumberGenerated``, ``date``/``timestamp``
  masks), and the ``TaskSubmitted`` output of a
  mocked ``.waitForTaskToken`` Task (the service call's own response, which the mock does not hold);
* recorder artefacts: for the few tests whose Parallel branch events LocalStack sorted (ids
  masked as ``[0]``), branch events compare as a multiset, and the Parallel's closing
  ``ParallelStateSucceeded``/``ParallelStateFailed`` that the sorting dropped (its id is missing
  from the recording) is not asked for;
* AWS changes after a recording: a distributed Map's ``MapStateExited`` links to ``MapRunStarted``
  since November 2024 (the same test recorded in February 2024 links it to ``MapRunSucceeded``,
  recorded again in November 2024 to ``MapRunStarted``); the context object has ``RedriveCount``
  since redrive came (November 2023).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
from conformance.compare import CASES, mask_like_recording

import aslrun
from aslrun.integrations.mock import MockConfig

CASES_WITH_HISTORY = [
    case for case in (json.loads(p.read_text(encoding="utf-8")) for p in sorted(CASES.glob("*.json")))
    if case.get("history")
]

#: cases aslrun cannot reproduce, each with the reason (a fix makes its test fail until removed)
KNOWN: dict[str, str] = {
    "v2_activities_test_activities--TestActivities--test_activity_task_with_heartbeat-eef90ebc":
        "the recording's Resource is the placeholder 'activity_arn', not an activity ARN, so aslrun cannot know "
        "it is an activity and records Task* events instead of Activity* ones",
}

_PLACEHOLDER = re.compile(r"<[A-Za-z0-9_\-:. ]{1,80}>")
#: words the recorder put in place of values a run cannot reproduce
_MASKS = frozenset({"snf_role_arn", "map_run_arn", "a_task_token", "start-time", "entered-time", "RandomNumberGenerated",
                    "date", "timestamp"})
#: details fields a local run cannot know
_UNKNOWABLE = frozenset({"roleArn"})
_PARALLEL_CLOSE = frozenset({"ParallelStateSucceeded", "ParallelStateFailed"})
_REDRIVE_SINCE = (2023, 11)


def _run(case: dict[str, Any]) -> list[dict[str, Any]]:
    mock = None
    if case.get("mock_config"):
        mock = MockConfig.load(case["mock_config"]).test_case("StateMachine", "Recorded")
    interpreter = aslrun.Interpreter(clock="virtual", load_plugins=False, mock=mock)
    return interpreter.run(case["definition"], case["input"], name="execution").history_values()


def _recorded(case: dict[str, Any]) -> tuple[int, int]:
    """(year, month) of the recording."""
    day, month, year = case["provenance"]["recorded_date"].split(",")[0].split("-")
    return int(year), int(month)


def newer_links(history: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    """(type, previousEventId) pairs as AWS records them since November 2024.

    Until mid-2024 a distributed Map's MapStateExited pointed to MapRunSucceeded; newer
    recordings point it to MapRunStarted (MapRunSucceeded became an aside event).
    """
    by_id = {json.dumps(e["id"]): e for e in history}
    out = []
    for e in history:
        previous = e["previousEventId"]
        target = by_id.get(json.dumps(previous))
        if e["type"] == "MapStateExited" and target is not None and target["type"] == "MapRunSucceeded":
            previous = target["previousEventId"]
        out.append((e["type"], previous))
    return out


def compare_links(recorded: list[dict[str, Any]], ours: list[dict[str, Any]], sorted_parallel: bool) -> str | None:
    """None when types, order and links agree, else the first difference."""
    expected = newer_links(recorded)
    actual = [(e["type"], e["previousEventId"]) for e in ours]
    if not sorted_parallel:
        for i, (want, got) in enumerate(zip(expected, actual)):
            if want != got:
                return f"event {i + 1}: AWS {want}, aslrun {got}"
        return None if len(expected) == len(actual) else f"AWS has {len(expected)} events, aslrun {len(actual)}"
    # LocalStack sorted the branch events (ids masked): the events with ids compare by id, the rest as a multiset
    by_id = {e["id"]: (e["type"], e["previousEventId"]) for e in ours}
    masked: Counter[str] = Counter()
    for event, (kind, previous) in zip(recorded, expected):
        if isinstance(event["id"], int):
            if by_id.get(event["id"]) != (kind, previous):
                return f"event {event['id']}: AWS {(kind, previous)}, aslrun {by_id.get(event['id'])}"
        else:
            masked[kind] += 1
    recorded_ids = {e["id"] for e in recorded if isinstance(e["id"], int)}
    ours_in_branches = Counter(e["type"] for e in ours if e["id"] not in recorded_ids and e["type"] not in _PARALLEL_CLOSE)
    if ours_in_branches != masked:
        return f"branch events: AWS {dict(masked)}, aslrun {dict(ours_in_branches)}"
    dropped = [e["type"] for e in ours if e["id"] not in recorded_ids and e["type"] in _PARALLEL_CLOSE]
    max_id = max(recorded_ids)
    return None if all(e["id"] <= max_id for e in ours) and len(dropped) <= len(expected) else "extra events"


def _matches_placeholders(expected: str, actual: Any) -> bool:
    if _PLACEHOLDER.fullmatch(expected) or expected in _MASKS:
        return True
    parts = re.split(f"({_PLACEHOLDER.pattern})", expected)
    pattern = "".join(".+" if _PLACEHOLDER.fullmatch(p) else re.escape(p) for p in parts)
    return isinstance(actual, str) and re.fullmatch(pattern, actual, re.S) is not None


def compare_details(expected: Any, actual: Any, pointer: str, old_context: bool) -> str | None:
    """None when a recorded value and aslrun's agree, else where they first differ."""
    if isinstance(expected, str) and (_PLACEHOLDER.search(expected) or expected in _MASKS):
        return None if _matches_placeholders(expected, actual) else f"{pointer}: AWS {expected!r}, aslrun {actual!r}"
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            if key in _UNKNOWABLE:
                continue
            if key not in actual:
                return f"{pointer}/{key}: missing in aslrun's"
            if key not in expected:
                if key == "RedriveCount" and old_context:
                    continue
                return f"{pointer}/{key}: not in AWS's"
            problem = compare_details(expected[key], actual[key], f"{pointer}/{key}", old_context)
            if problem:
                return problem
        return None
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return f"{pointer}: AWS has {len(expected)} items, aslrun {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            problem = compare_details(e, a, f"{pointer}/{i}", old_context)
            if problem:
                return problem
        return None
    same_number = isinstance(expected, (int, float)) and isinstance(actual, (int, float)) \
        and not isinstance(expected, bool) and not isinstance(actual, bool) and expected == actual
    return None if expected == actual or same_number else f"{pointer}: AWS {expected!r}, aslrun {actual!r}"


def _details(event: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in event.items() if key.endswith("EventDetails")}
    if event["type"] == "TaskSubmitted":
        for details in out.values():
            details.pop("output", None)
            details.pop("outputDetails", None)
    return out


def difference(case: dict[str, Any]) -> str | None:
    """None when aslrun's history of ``case`` is AWS's, else the first difference."""
    recorded = case["history"]
    ours = _run(case)
    sorted_parallel = bool(case["provenance"].get("history_parallel_events_sorted"))
    problem = compare_links(recorded, ours, sorted_parallel)
    if problem:
        return problem
    old_context = _recorded(case) < _REDRIVE_SINCE
    ours_by_id = {e["id"]: e for e in ours}
    for event in recorded:
        if not isinstance(event["id"], int):
            continue  # sorted branch events: their order and ids are the recorder's
        mine = mask_like_recording(_details(ours_by_id[event["id"]]))
        problem = compare_details(_details(event), mine, f"event {event['id']} ({event['type']})", old_context)
        if problem:
            return problem
    return None


@pytest.mark.parametrize("case", CASES_WITH_HISTORY, ids=[c["id"] for c in CASES_WITH_HISTORY])
def test_history_matches_the_aws_recording(case: dict[str, Any], request: pytest.FixtureRequest) -> None:
    reason = KNOWN.get(case["id"])
    if reason is not None:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    assert difference(case) is None


def test_every_recorded_history_is_replayed() -> None:
    # 333 recorded histories today: plain, mocked, JSONata, Parallel and distributed Map cases
    assert len(CASES_WITH_HISTORY) >= 330
    assert set(KNOWN) <= {c["id"] for c in CASES_WITH_HISTORY}


def test_the_comparison_catches_a_wrong_link_a_wrong_detail_and_a_wrong_count() -> None:
    recorded = [{"id": 1, "previousEventId": 0, "type": "ExecutionStarted"},
                {"id": 2, "previousEventId": 1, "type": "PassStateEntered"}]
    assert compare_links(recorded, recorded, False) is None
    assert compare_links(recorded, [recorded[0], {**recorded[1], "previousEventId": 0}], False) == \
        "event 2: AWS ('PassStateEntered', 1), aslrun ('PassStateEntered', 0)"
    assert compare_links(recorded, recorded[:1], False) == "AWS has 2 events, aslrun 1"
    assert compare_details({"a": "<uuid:1>-x"}, {"a": "1234-x"}, "", False) is None
    assert compare_details({"a": "<uuid:1>-x"}, {"a": "1234-y"}, "", False) == "/a: AWS '<uuid:1>-x', aslrun '1234-y'"
    assert compare_details({"n": 1}, {"n": 1.0}, "", False) is None
    assert compare_details({"Execution": {}}, {"Execution": {"RedriveCount": 0}}, "", True) is None
    assert compare_details({"Execution": {}}, {"Execution": {"RedriveCount": 0}}, "", False) == \
        "/Execution/RedriveCount: not in AWS's"
