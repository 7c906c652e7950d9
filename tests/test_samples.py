"""The machines in samples/: each runs through the Python API and shows what its README line says.

The expected values are worked out from the input files here, not copied from a run, so a
change in the engine that breaks a sample's point fails these tests.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import shlex
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import aslrun
from aslrun import VirtualClock
from aslrun.cli.main import cli

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
#: every runnable sample (definition file name); broken/ holds the invalid ones
RUNNABLE = [
    "order-pipeline.json",
    "batch-report.json",
    "retry-and-catch.json",
    "approval-timeout.json",
    "fan-out.json",
    "hello.yaml",
]
#: a fixed start for the virtual clock, so durations and timestamps are exact
EPOCH = datetime(2024, 6, 3, 8, 0, tzinfo=UTC).timestamp()


def sample_input(definition: str) -> Any:
    stem = definition.rsplit(".", 1)[0]
    return json.loads((SAMPLES / f"{stem}.input.json").read_text(encoding="utf-8"))


def run(definition: str, input: Any = None, **settings: Any) -> aslrun.ExecutionResult:
    """Run a sample on a frozen virtual clock (its own input file unless ``input`` is given)."""
    settings.setdefault("clock", VirtualClock(start=EPOCH, frozen=True))
    data = sample_input(definition) if input is None else input
    return aslrun.run(SAMPLES / definition, data, **settings)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def state_events(result: aslrun.ExecutionResult, state: str) -> list[Any]:
    """The events from ``state``'s Entered event to its Exited event (top-level states only)."""
    events = result.events
    start = next(i for i, e in enumerate(events)
                 if e.type.endswith("StateEntered") and (e.details or {}).get("name") == state)
    end = next(i for i, e in enumerate(events)
               if i > start and e.type.endswith("StateExited") and (e.details or {}).get("name") == state)
    return events[start : end + 1]


# ---------------------------------------------------------------- every sample


@pytest.mark.parametrize("definition", RUNNABLE)
def test_sample_succeeds_on_its_input(definition: str) -> None:
    result = aslrun.run(SAMPLES / definition, sample_input(definition))
    assert result.status == "SUCCEEDED", (result.error, result.cause)


def test_every_sample_validates_without_diagnostics() -> None:
    assert {name: aslrun.validate(SAMPLES / name) for name in RUNNABLE} == {name: [] for name in RUNNABLE}


def test_aslrun_validate_is_still_the_function_after_a_definition_is_loaded() -> None:
    # Loading imports the aslrun.validation package; aslrun.validate stays the public function.
    aslrun.load(SAMPLES / "hello.yaml")
    assert callable(aslrun.validate)


def test_samples_directory_lists_exactly_the_runnable_samples() -> None:
    definitions = sorted(p.name for p in SAMPLES.iterdir()
                         if p.suffix in (".json", ".yaml") and not p.name.endswith(".input.json"))
    assert definitions == sorted(RUNNABLE)
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for name in [*RUNNABLE, "broken/typo-next.json"]:
        assert f"`{name}`" in readme
    for name in RUNNABLE:
        stem = name.rsplit(".", 1)[0]
        assert f"aslrun run samples/{name} --input @samples/{stem}.input.json" in readme


# ---------------------------------------------------------------- the top-level README


def readme_blocks(language: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [textwrap.dedent(block) for block in re.findall(rf"^ *```{language}\n(.*?)^ *```", text, re.S | re.M)]


def test_readme_first_command_runs_an_eks_sample_with_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = readme_blocks("sh")[0]
    run_command = first.strip().split(" && ")[-1]
    argv = shlex.split(run_command)
    assert argv[:3] == [".venv/bin/aslrun", "run", "samples/eks/pipeline.json"]
    assert not any(arg.startswith("--eks-backend") for arg in argv)
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ASLRUN_RUNTIME_DIR", str(tmp_path / "runtime"))
    result = CliRunner().invoke(cli, [*argv[1:], "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["status"] == "SUCCEEDED"


def test_readme_python_snippet_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    [snippet] = readme_blocks("python")
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ASLRUN_RUNTIME_DIR", str(tmp_path / "runtime"))
    exec(compile(snippet, "README.md", "exec"), {"__name__": "readme"})


def test_no_sample_needs_a_task_integration() -> None:
    for name in RUNNABLE:
        states = aslrun.load(SAMPLES / name).all_states().values()
        assert all(state.type != "Task" for state in states), name


# ---------------------------------------------------------------- order-pipeline


def test_order_pipeline_totals_are_the_sum_of_the_line_items() -> None:
    order = sample_input("order-pipeline.json")
    result = run("order-pipeline.json")
    assert result.status == "SUCCEEDED"
    out = result.output
    items = order["lineItems"]

    assert [line["lineTotalCents"] for line in out["lines"]] == [
        item["quantity"] * item["unitPriceCents"] for item in items
    ]
    assert [line["position"] for line in out["lines"]] == list(range(1, len(items) + 1))
    assert [line["description"] for line in out["lines"]] == [
        f"{item['quantity']} x {item['name']}" for item in items
    ]
    subtotal = sum(item["quantity"] * item["unitPriceCents"] for item in items)
    units = sum(item["quantity"] for item in items)
    assert out["subtotalCents"] == subtotal
    assert out["unitCount"] == units
    assert out["lineCount"] == len(items)
    # a silver customer in DE pays domestic shipping
    assert order["customer"]["tier"] != "gold" and order["shippingAddress"]["country"] == "DE"
    assert out["shipping"] == {"method": "DHL Paket", "costCents": 490}
    assert out["totalCents"] == subtotal + 490
    assert out["manualReview"] is (subtotal + 490 >= 50000)
    assert out["status"] == "CONFIRMED"
    assert out["message"] == (
        f"Order {order['orderId']} for {order['customer']['name']}: {units} units, "
        f"total {subtotal + 490} cents ({order['currency']})"
    )


def test_order_pipeline_reserves_every_line_and_hashes_the_order_id() -> None:
    order = sample_input("order-pipeline.json")
    out = run("order-pipeline.json").output
    assert out["reservations"] == [
        {"reservationId": f"{order['orderId']}/{item['sku']}", "sku": item["sku"],
         "quantity": item["quantity"], "warehouse": "BER-1"}
        for item in order["lineItems"]
    ]
    assert out["idempotencyKey"] == hashlib.sha256(order["orderId"].encode()).hexdigest()


def test_order_pipeline_waits_five_minutes_for_the_payment_on_the_virtual_clock() -> None:
    result = run("order-pipeline.json")
    assert result.stop_time - result.start_time == pytest.approx(300)
    confirmed = parse_time(result.output["confirmedAt"])
    assert confirmed == datetime.fromtimestamp(EPOCH, UTC) + timedelta(seconds=300)


@pytest.mark.parametrize(
    ("tier", "country", "shipping"),
    [
        ("gold", "DE", {"method": "standard", "costCents": 0}),
        ("silver", "AT", {"method": "DHL Europaket", "costCents": 1290}),
        ("silver", "US", {"method": "DHL Express", "costCents": 2990}),
    ],
)
def test_order_pipeline_quotes_shipping_by_tier_and_country(tier: str, country: str, shipping: Any) -> None:
    order = sample_input("order-pipeline.json")
    order["customer"]["tier"] = tier
    order["shippingAddress"]["country"] = country
    out = run("order-pipeline.json", order).output
    assert out["shipping"] == shipping
    assert out["totalCents"] == out["subtotalCents"] + shipping["costCents"]


def test_order_pipeline_flags_large_orders_for_manual_review() -> None:
    order = sample_input("order-pipeline.json")
    order["lineItems"][0]["quantity"] = 4  # 4 keyboards push the total past 500.00
    out = run("order-pipeline.json", order).output
    assert out["totalCents"] >= 50000
    assert out["manualReview"] is True


@pytest.mark.parametrize(
    "break_order",
    [
        lambda o: o["customer"].pop("email"),
        lambda o: o["customer"].update(email="not-an-address"),
        lambda o: o.update(lineItems=[]),
        lambda o: o.pop("orderId"),
    ],
    ids=["no-email", "bad-email", "no-lines", "no-id"],
)
def test_order_pipeline_rejects_an_invalid_order(break_order: Any) -> None:
    order = sample_input("order-pipeline.json")
    break_order(order)
    result = run("order-pipeline.json", order)
    assert result.status == "FAILED"
    assert result.error == "Order.Invalid"
    assert "at least one line item" in (result.cause or "")


# ---------------------------------------------------------------- batch-report


def _expected_batches(report: dict[str, Any]) -> list[dict[str, Any]]:
    size = report["batchSize"]
    records = report["records"]
    out = []
    for number, start in enumerate(range(0, len(records), size), start=1):
        chunk = records[start : start + size]
        out.append({
            "batchNumber": number,
            "label": f"{report['reportDate']} batch {number}",
            "size": len(chunk),
            "recordIds": [r["id"] for r in chunk],
            "regions": sorted(set(r["region"] for r in chunk)),
            "refundedIds": [r["id"] for r in chunk if json.loads(r["payload"])["refunded"]],
        })
    return out


@pytest.mark.parametrize("batch_size", [None, 2, 10])
def test_batch_report_partitions_the_records_and_summarises_each_batch(batch_size: int | None) -> None:
    report = sample_input("batch-report.json")
    if batch_size is not None:
        report["batchSize"] = batch_size
    result = run("batch-report.json", report)
    assert result.status == "SUCCEEDED"
    out = result.output
    assert out["title"] == f"Sales report for {report['reportDate']}"
    assert out["recordCount"] == len(report["records"])
    assert out["batchCount"] == math.ceil(len(report["records"]) / report["batchSize"])
    # States.ArrayUnique returns a Java HashSet's order, as AWS does: compare regions as sets
    batches = [{**b, "regions": sorted(b["regions"])} for b in out["batches"]]
    assert batches == _expected_batches(report)
    assert all(len(b["regions"]) == len(set(b["regions"])) for b in out["batches"])
    assert out["refundedIds"] == [r["id"] for r in report["records"] if json.loads(r["payload"])["refunded"]]


def test_batch_report_fails_on_a_payload_that_is_not_json() -> None:
    report = sample_input("batch-report.json")
    report["records"][4]["payload"] = "{channel: app"
    result = run("batch-report.json", report)
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert "States.StringToJson" in (result.cause or "")


# ---------------------------------------------------------------- retry-and-catch


def _bad_ids(records: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in records if "@" not in r.get("email", "")]


def test_retry_and_catch_catches_the_strict_failure_and_isolates_bad_records() -> None:
    records = sample_input("retry-and-catch.json")["records"]
    bad = _bad_ids(records)
    assert len(bad) >= 2  # the sample is about a batch with bad records in it
    result = run("retry-and-catch.json")
    assert result.status == "SUCCEEDED"
    out = result.output
    # MaxConcurrency 1: the strict import stops at the first bad record
    assert out["strictImport"] == {
        "error": "Import.InvalidRecord",
        "cause": f"record {bad[0]} has no valid e-mail address",
    }
    assert out["imported"] == [r["id"] for r in records if r["id"] not in bad]
    assert out["rejected"] == [
        {"id": i, "status": "REJECTED", "error": "Import.InvalidRecord",
         "reason": f"record {i} has no valid e-mail address"}
        for i in bad
    ]


def test_retry_and_catch_retries_the_map_twice_with_backoff_before_catching() -> None:
    result = run("retry-and-catch.json")
    events = state_events(result, "ImportAll")
    starts = [e for e in events if e.type == "MapStateStarted"]
    assert len(starts) == 3  # the first attempt and MaxAttempts 2 retries
    # As AWS records it, the Map fails once, after its retries are used up.
    assert [e.type for e in events].count("MapStateFailed") == 1
    by_id = {e.id: e for e in result.events}
    # IntervalSeconds 5, BackoffRate 2.0: the wait sits between an attempt's last event and the next start.
    gaps = [start.timestamp - by_id[start.id - 1].timestamp for start in starts[1:]]
    assert gaps == [pytest.approx(5), pytest.approx(10)]


def test_retry_and_catch_with_only_valid_records_imports_everything_once() -> None:
    records = [r for r in sample_input("retry-and-catch.json")["records"] if "@" in r.get("email", "")]
    result = run("retry-and-catch.json", {"records": records})
    assert result.status == "SUCCEEDED"
    assert result.output == {
        "strictImport": {"error": None, "cause": None},
        "imported": [r["id"] for r in records],
        "rejected": [],
    }
    assert sum(e.type == "MapStateStarted" for e in result.events) == 1


# ---------------------------------------------------------------- approval-timeout


def test_approval_timeout_approves_a_decision_made_before_the_deadline() -> None:
    request = sample_input("approval-timeout.json")
    assert request["decision"]["decidedAt"] < request["approvalDeadline"]
    out = run("approval-timeout.json").output
    assert out["outcome"] == "APPROVED"
    assert out["approvedBy"] == request["decision"]["by"]
    assert out["payout"] == f"{request['amountCents']} cents to {request['employee']}"
    # the reminder went out reminderAfterSeconds after the request arrived
    waited = parse_time(out["reminderSentAt"]) - parse_time(out["receivedAt"])
    assert waited == timedelta(seconds=request["policy"]["reminderAfterSeconds"])


def test_approval_timeout_escalates_a_decision_made_after_the_deadline() -> None:
    request = sample_input("approval-timeout.json")
    request["decision"]["decidedAt"] = "2024-06-06T08:00:00Z"
    out = run("approval-timeout.json", request).output
    assert out["outcome"] == "ESCALATED"
    assert out["reason"] == (
        f"decision at 2024-06-06T08:00:00Z came after the deadline {request['approvalDeadline']}"
    )


def test_approval_timeout_without_a_decision_waits_for_the_deadline_then_escalates() -> None:
    request = sample_input("approval-timeout.json")
    del request["decision"]
    deadline = datetime.fromtimestamp(EPOCH, UTC) + timedelta(days=3)
    request["approvalDeadline"] = deadline.strftime("%Y-%m-%dT%H:%M:%SZ")
    result = run("approval-timeout.json", request)
    assert result.status == "SUCCEEDED"
    assert result.output["outcome"] == "ESCALATED"
    assert result.output["reason"] == "no decision before the deadline"
    assert parse_time(result.output["escalatedAt"]) == deadline
    assert result.stop_time - result.start_time == pytest.approx(3 * 86400)


@pytest.mark.parametrize(("status", "outcome"), [("REJECTED", "REJECTED"), ("ON_HOLD", "ESCALATED")])
def test_approval_timeout_other_decisions(status: str, outcome: str) -> None:
    request = sample_input("approval-timeout.json")
    request["decision"]["status"] = status
    out = run("approval-timeout.json", request).output
    assert out["outcome"] == outcome
    if outcome == "ESCALATED":
        assert out["reason"] == f"unknown decision status {status}"
    else:
        assert out["rejectedBy"] == request["decision"]["by"]


# ---------------------------------------------------------------- fan-out


def test_fan_out_deploys_every_cell_of_every_region() -> None:
    release = sample_input("fan-out.json")
    result = run("fan-out.json")
    assert result.status == "SUCCEEDED"
    out = result.output
    assert out["status"] == "RELEASED"
    assert out["regions"] == [r["name"] for r in release["regions"]]
    assert out["targets"] == [
        f"{release['service']}-{r['name']}-{cell}" for r in release["regions"] for cell in r["cells"]
    ]
    assert out["smokeTestsRun"] == len(release["smokeTests"])
    assert out["summary"] == f"{release['service']} {release['release']} released to {len(release['regions'])} regions"
    assert uuid.UUID(out["deploymentId"]).version == 4


def test_fan_out_bake_waits_run_two_regions_at_a_time() -> None:
    regions = sample_input("fan-out.json")["regions"]
    result = run("fan-out.json")
    # MaxConcurrency 2 and a 600 s bake per region: ceil(n / 2) rounds of 600 s
    assert result.stop_time - result.start_time == pytest.approx(math.ceil(len(regions) / 2) * 600)


def test_fan_out_rolls_back_when_the_canary_error_rate_is_too_high() -> None:
    release = sample_input("fan-out.json")
    release["maxErrorRatePermille"] = 0.5  # the canary reports 0.7
    result = run("fan-out.json", release)
    assert result.status == "FAILED"
    assert result.error == "Release.Unhealthy"


def test_fan_out_deployment_id_is_reproducible_with_a_seed() -> None:
    first = run("fan-out.json", seed=7).output["deploymentId"]
    again = run("fan-out.json", seed=7).output["deploymentId"]
    other = run("fan-out.json", seed=8).output["deploymentId"]
    assert first == again != other


# ---------------------------------------------------------------- hello.yaml


@pytest.mark.parametrize(
    ("language", "greeting"),
    [("fr", "Bonjour, {} !"), ("de", "Hallo, {}!"), ("en", "Hello, {}!"), ("pt", "Hello, {}!")],
)
def test_hello_greets_in_the_language_asked_for(language: str, greeting: str) -> None:
    data = copy.deepcopy(sample_input("hello.yaml"))
    data["language"] = language
    result = run("hello.yaml", data, name="greet-1")
    assert result.output == {
        "greeting": greeting.format(data["name"]),
        "language": language,
        "executionName": "greet-1",
    }


# ---------------------------------------------------------------- broken/typo-next.json


def test_broken_sample_reports_each_documented_problem() -> None:
    found = {(d.code, d.location, d.state): d for d in aslrun.validate(SAMPLES / "broken" / "typo-next.json")}
    assert set(found) == {
        ("SCHEMA_VALIDATION_FAILED", "/States/Fetch/ResultPth", "Fetch"),
        ("MISSING_TRANSITION_TARGET", "/States/Fetch/Next", "Fetch"),
        ("SCHEMA_VALIDATION_FAILED", "/States/Process/InputPath", "Process"),
    }
    assert all(d.severity == "ERROR" for d in found.values())
    assert found["SCHEMA_VALIDATION_FAILED", "/States/Fetch/ResultPth", "Fetch"].hint == 'Did you mean "ResultPath"?'
    next_problem = found["MISSING_TRANSITION_TARGET", "/States/Fetch/Next", "Fetch"]
    assert "Proces" in next_problem.message
    assert next_problem.hint == 'Did you mean "Process"?'
    path_problem = found["SCHEMA_VALIDATION_FAILED", "/States/Process/InputPath", "Process"]
    assert "$.fetched.orders[" in path_problem.message
    assert "JSONPath" in path_problem.message


def test_broken_sample_does_not_load() -> None:
    with pytest.raises(aslrun.DefinitionError, match=r"3 problems") as info:
        aslrun.load(SAMPLES / "broken" / "typo-next.json")
    assert {d.location for d in info.value.diagnostics} == {
        "/States/Fetch/ResultPth", "/States/Fetch/Next", "/States/Process/InputPath",
    }
