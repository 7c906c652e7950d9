"""Distributed Map data sets: ItemReader (``aslrun/items.py`` parsing, ``integrations/aws/items.py`` S3
calls), ItemBatcher and ResultWriter, against the embedded S3; the ``samples/distributed`` sample.

Pure parsing is tested directly on text; the rest runs machines whose reader and writer reach moto
in-process (``--aws local``), with buckets prepared through the integration's boto3 session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from aslrun import Interpreter
from aslrun.cli.main import cli
from aslrun.errors import StatesError
from aslrun.integrations.aws import AwsIntegration
from aslrun.integrations.aws.target import reset_local
from aslrun.items import (
    ItemStream,
    csv_items,
    json_items,
    jsonl_items,
    read_items,
    result_files,
    take,
    transform_results,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "distributed"
ACCOUNT = "111111111111"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


# ---------------------------------------------------------------- pure parsing (aslrun/items.py)

def test_csv_first_row_headers_quoting_and_blank_lines() -> None:
    text = 'id,name,note\n1,"Smith, J","say ""hi"""\n\n2,b,\n'
    assert list(csv_items(text, {})) == [{"id": "1", "name": "Smith, J", "note": 'say "hi"'},
                                         {"id": "2", "name": "b", "note": ""}]


def test_csv_line_ends_and_quoted_newlines() -> None:
    # \r\n, \r and \n all end a row (as io.StringIO(newline="") splits them); a quoted one does not.
    text = 'a,b\r\n1,"x\r\ny"\r2,z\n3,\u2028w'
    assert list(csv_items(text, {})) == [{"a": "1", "b": "x\r\ny"}, {"a": "2", "b": "z"},
                                         {"a": "3", "b": "\u2028w"}]


@pytest.mark.parametrize(("name", "char"), [("COMMA", ","), ("PIPE", "|"), ("SEMICOLON", ";"), ("SPACE", " "),
                                            ("TAB", "\t")])
def test_csv_delimiters(name: str, char: str) -> None:
    text = f"a{char}b\n1{char}2\n"
    assert list(csv_items(text, {"CSVDelimiter": name})) == [{"a": "1", "b": "2"}]


def test_csv_given_headers_read_every_row() -> None:
    config = {"CSVHeaderLocation": "GIVEN", "CSVHeaders": ["x", "y"]}
    assert list(csv_items("1,2\n3,4\n", config)) == [{"x": "1", "y": "2"}, {"x": "3", "y": "4"}]


def test_csv_errors_are_item_reader_failed() -> None:
    with pytest.raises(StatesError, match="CSV headers cannot contain duplicates.") as dup:
        list(csv_items("a,a\n1,2\n", {}))
    assert dup.value.error == "States.ItemReaderFailed"
    with pytest.raises(StatesError, match="Malformed CSV row 3: it has 3 fields but the header has 2"):
        list(csv_items("a,b\n1,2\n1,2,3\n", {}))
    with pytest.raises(StatesError, match="Unknown CSVDelimiter"):
        list(csv_items("a\n", {"CSVDelimiter": "COLON"}))


def test_csv_is_read_lazily() -> None:
    rows = csv_items("a\n1\n2\n3,4,5\n", {})
    assert list(take(rows, 2)) == [{"a": "1"}, {"a": "2"}]  # the malformed third row is never reached


def test_item_stream_counts_first_and_reads_afresh() -> None:
    stream = ItemStream(lambda: take(csv_items("a\n1\n2\n3\n", {}), 2))
    assert len(stream) == 2
    assert list(stream) == list(stream) == [{"a": "1"}, {"a": "2"}]
    # The counting pass reads every row: a malformed one fails at once, as reading into a list did.
    with pytest.raises(StatesError, match="Malformed CSV row 3"):
        ItemStream(lambda: csv_items("a\n1\n2,3\n", {}))


def test_json_array_items_pointer_and_not_an_array() -> None:
    assert json_items("[1, 2]") == [1, 2]
    assert json_items('{"data": {"rows": [{"a": 1}]}}', "/data/rows") == [{"a": 1}]
    with pytest.raises(StatesError, match="Attempting to map over non-iterable node."):
        json_items('{"a": 1}')
    with pytest.raises(StatesError, match="ItemsPointer /nope does not point"):
        json_items('{"a": 1}', "/nope")
    with pytest.raises(StatesError, match="not valid JSON"):
        json_items("[1,")


def test_jsonl_and_unknown_types() -> None:
    assert list(jsonl_items('{"a":1}\n\n[2]\n"s"\n')) == [{"a": 1}, [2], "s"]
    with pytest.raises(StatesError, match="Malformed JSON Lines line 2"):
        list(jsonl_items('{"a":1}\n{oops\n'))
    with pytest.raises(StatesError, match="Unknown ReaderConfig InputType 'XML': use CSV, JSON, JSONL, PARQUET"):
        read_items("", {"InputType": "XML"})


def test_max_items_and_transformations() -> None:
    assert list(take(iter(range(5)), 3)) == [0, 1, 2]
    assert list(take(iter(range(5)), 0)) == [0, 1, 2, 3, 4]
    with pytest.raises(StatesError, match="field MaxItems must be positive"):
        take([], -1)
    assert transform_results([[1, 2], 3, {"a": 1}], "FLATTEN") == [1, 2, 3, {"a": 1}]
    assert transform_results([[1, 2]], "COMPACT") == [[1, 2]]


def test_result_files_layout() -> None:
    arn = "arn:aws:states:us-east-1:1:mapRun:sm/Map:run-1"
    files, manifest_key = result_files({"SUCCEEDED": [{"Output": "[1,2]"}], "FAILED": [{"Error": "E"}]},
                                       "b", "pre/", arn, {"Transformation": "FLATTEN", "OutputType": "JSONL"})
    names = [k for k, _ in files]
    assert names == ["pre/run-1/SUCCEEDED_0.jsonl", "pre/run-1/FAILED_0.jsonl", "pre/run-1/manifest.json"]
    assert files[0][1] == "1\n2\n" and manifest_key == "pre/run-1/manifest.json"
    manifest = json.loads(files[-1][1])
    assert manifest["ResultFiles"] == {"FAILED": [{"Key": "pre/run-1/FAILED_0.jsonl", "Size": 14}], "PENDING": [],
                                       "SUCCEEDED": [{"Key": "pre/run-1/SUCCEEDED_0.jsonl", "Size": 4}]}


# ---------------------------------------------------------------- machines against the embedded S3

@pytest.fixture
def interp() -> Iterator[Interpreter]:
    with Interpreter(load_plugins=False) as interpreter:
        interpreter.integrations.add(AwsIntegration(interpreter))
        reset_local(ACCOUNT)
        yield interpreter
    reset_local(ACCOUNT)


@pytest.fixture
def s3(interp: Interpreter) -> Any:
    client = interp.integrations.all()[0].session().client("s3")
    client.create_bucket(Bucket="in-bucket")
    client.create_bucket(Bucket="out-bucket")
    return client


def dmap(reader: dict[str, Any] | None = None, processor: dict[str, Any] | None = None,
         jsonata: bool = False, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {"Type": "Map", "End": True, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **(processor or PASS)}}
    if reader is not None:
        state["ItemReader"] = reader
    state.update(fields)
    machine: dict[str, Any] = {"StartAt": "M", "States": {"M": state}}
    if jsonata:
        machine["QueryLanguage"] = "JSONata"
    return machine


def get_object(key: str, config: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config or {},
            "Parameters": {"Bucket": "in-bucket", "Key": key}, **extra}


def run(interp: Interpreter, machine: dict[str, Any], value: Any = None) -> Any:
    return interp.run(machine, {} if value is None else value)


def test_csv_reader_with_max_items_path_and_parameters_paths(interp: Interpreter, s3: Any) -> None:
    s3.put_object(Bucket="in-bucket", Key="d/rows.csv", Body=b"id;v\n1;a\n2;b\n3;c\n")
    reader = {"Resource": "arn:aws:states:::s3:getObject",
              "ReaderConfig": {"InputType": "CSV", "CSVDelimiter": "SEMICOLON", "MaxItemsPath": "$.max"},
              "Parameters": {"Bucket.$": "$.bucket", "Key.$": "States.Format('d/{}', $.file)"}}
    result = run(interp, dmap(reader), {"bucket": "in-bucket", "file": "rows.csv", "max": 2})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output == [{"id": "1", "v": "a"}, {"id": "2", "v": "b"}]


def test_json_and_jsonl_readers_with_item_selector(interp: Interpreter, s3: Any) -> None:
    s3.put_object(Bucket="in-bucket", Key="a.json", Body=b'{"rows": [{"n": 1}, {"n": 2}]}')
    s3.put_object(Bucket="in-bucket", Key="a.jsonl", Body=b'{"n": 3}\n{"n": 4}\n')
    machine = dmap(get_object("a.json", {"InputType": "JSON", "ItemsPointer": "/rows"}),
                   ItemSelector={"value.$": "$$.Map.Item.Value.n", "index.$": "$$.Map.Item.Index"})
    assert run(interp, machine).output == [{"value": 1, "index": 0}, {"value": 2, "index": 1}]
    assert run(interp, dmap(get_object("a.jsonl", {"InputType": "JSONL"}))).output == [{"n": 3}, {"n": 4}]


def test_jsonata_arguments_and_max_items(interp: Interpreter, s3: Any) -> None:
    s3.put_object(Bucket="in-bucket", Key="a.json", Body=b"[1, 2, 3]")
    reader = {"Resource": "arn:aws:states:::s3:getObject",
              "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.max %}"},
              "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "a.json"}}
    result = run(interp, dmap(reader, jsonata=True), {"bucket": "in-bucket", "max": 2})
    assert result.output == [1, 2]


def test_list_objects_v2_items_prefix_and_pagination(interp: Interpreter, s3: Any) -> None:
    for i in range(1003):
        s3.put_object(Bucket="in-bucket", Key=f"p/{i:04d}", Body=b"x")
    s3.put_object(Bucket="in-bucket", Key="other", Body=b"x")
    reader = {"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Bucket": "in-bucket", "Prefix": "p/"}}
    result = run(interp, dmap(reader, MaxConcurrency=1000))
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert len(result.output) == 1003
    first = result.output[0]
    assert sorted(first) == ["Etag", "Key", "LastModified", "Size", "StorageClass"]
    assert first["Key"] == "p/0000" and first["Size"] == 1 and first["StorageClass"] == "STANDARD"
    assert isinstance(first["LastModified"], int) and first["Etag"].startswith('"')


def test_reader_errors_name_aws_errors(interp: Interpreter, s3: Any) -> None:
    s3.put_object(Bucket="in-bucket", Key="bad.csv", Body=b"a,b\n1\n")
    s3.put_object(Bucket="in-bucket", Key="obj.json", Body=b'{"a": 1}')
    cases = [
        (dmap(get_object("missing.json")), "S3.NoSuchKeyException: The specified key does not exist."),
        (dmap({**get_object("x"), "Parameters": {"Bucket": "no-such-bucket", "Key": "x"}}),
         "S3.NoSuchBucketException: The specified bucket does not exist"),
        (dmap(get_object("bad.csv", {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"})),
         "Malformed CSV row 2: it has 1 fields but the header has 2."),
        (dmap(get_object("obj.json", {"InputType": "JSON"})), "Attempting to map over non-iterable node."),
    ]
    for machine, cause in cases:
        result = run(interp, machine)
        assert result.status == "FAILED"
        assert result.error == "States.ItemReaderFailed"
        assert cause in result.cause


def test_streamed_csv_rows_record_the_same_events(interp: Interpreter, s3: Any) -> None:
    # CSV rows reach the children one by one (an ItemStream); the Map still records their count first.
    s3.put_object(Bucket="in-bucket", Key="r.csv", Body=b"n\n" + b"".join(b"%d\n" % i for i in range(7)))
    machine = dmap(get_object("r.csv", {"InputType": "CSV", "MaxItems": 5}), MaxConcurrency=2,
                   ItemSelector={"n.$": "$$.Map.Item.Value.n", "i.$": "$$.Map.Item.Index"})
    result = run(interp, machine)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output == [{"n": str(i), "i": i} for i in range(5)]
    started = [e for e in result.events if e.type == "MapStateStarted"]
    assert [e.details for e in started] == [{"length": 5}]
    # A malformed row anywhere fails the reader before the Map starts.
    s3.put_object(Bucket="in-bucket", Key="bad.csv", Body=b"n\n1\n2\n3,4\n")
    result = run(interp, dmap(get_object("bad.csv", {"InputType": "CSV"})))
    assert result.error == "States.ItemReaderFailed" and "Malformed CSV row 4" in (result.cause or "")
    assert not [e for e in result.events if e.type == "MapStateStarted"]


def test_children_finishing_together_are_all_taken() -> None:
    # Items 0 and 2 finish at the same moment: the Map takes both (oldest first) and starts 3 and 4.
    waits = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$", "End": True}}}
    machine = dmap(processor=waits, MaxConcurrency=2)
    with Interpreter(load_plugins=False, clock="virtual") as interpreter:
        result = interpreter.run(machine, [3, 1, 2, 1, 1])
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output == [3, 1, 2, 1, 1]
    stamps = {e.type: e.timestamp for e in result.events}
    assert stamps["MapRunSucceeded"] - stamps["MapRunStarted"] == pytest.approx(4, abs=0.5)


def test_reader_failure_is_caught_like_any_error(interp: Interpreter, s3: Any) -> None:
    machine = dmap(get_object("missing.json"))
    machine["States"]["M"]["Catch"] = [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "Done"}]
    machine["States"]["Done"] = {"Type": "Pass", "End": True}
    result = run(interp, machine)
    assert result.status == "SUCCEEDED" and result.output["Error"] == "States.ItemReaderFailed"


def test_s3_item_resources_are_not_task_resources(interp: Interpreter) -> None:
    task = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::s3:getObject",
                                             "Parameters": {"Bucket": "b", "Key": "k"}, "End": True}}}
    result = run(interp, task)
    assert result.status == "FAILED" and "only as a Distributed Map's ItemReader" in (result.cause or "")


def test_item_batcher_envelope_and_byte_limit(interp: Interpreter, s3: Any) -> None:
    machine = dmap(ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"k.$": "$.k"}}, ItemsPath="$.items")
    result = run(interp, machine, {"k": 1, "items": [1, 2, 3]})
    assert result.output == [{"BatchInput": {"k": 1}, "Items": [1, 2]}, {"BatchInput": {"k": 1}, "Items": [3]}]
    assert list(result.output[0]) == ["BatchInput", "Items"]
    # MaxInputBytesPerBatch over AWS's 256 KiB ceiling is held to it.
    s3.put_object(Bucket="in-bucket", Key="big.json", Body=json.dumps(["x" * 100_000] * 5).encode())
    machine = dmap(get_object("big.json", {"InputType": "JSON"}),
                   ItemBatcher={"MaxInputBytesPerBatch": 10_000_000},
                   ItemProcessor={"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                  "StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {
                                      "n.$": "States.ArrayLength($.Items)"}, "End": True}}})
    result = run(interp, machine)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output == [{"n": 2}, {"n": 2}, {"n": 1}]


def writer(**config: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Resource": "arn:aws:states:::s3:putObject",
                           "Parameters": {"Bucket": "out-bucket", "Prefix": "results"}}
    if config:
        out["WriterConfig"] = config
    return out


def read_json(s3: Any, key: str) -> Any:
    return json.loads(s3.get_object(Bucket="out-bucket", Key=key)["Body"].read())


def test_result_writer_files_and_state_result(interp: Interpreter, s3: Any) -> None:
    processor = {"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [
        {"Variable": "$", "NumericEquals": 2, "Next": "F"}], "Default": "P"},
        "P": {"Type": "Pass", "End": True}, "F": {"Type": "Fail", "Error": "Two", "Cause": "two"}}}
    machine = dmap(processor=processor, ItemsPath="$.items", ResultWriter=writer(), ToleratedFailureCount=1)
    result = run(interp, machine, {"items": [1, 2, 3]})
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    run_arn = result.output["MapRunArn"]
    run_id = run_arn.rsplit(":", 1)[1]
    assert ":mapRun:" in run_arn
    assert result.output["ResultWriterDetails"] == {"Bucket": "out-bucket", "Key": f"results/{run_id}/manifest.json"}
    manifest = read_json(s3, f"results/{run_id}/manifest.json")
    assert manifest["DestinationBucket"] == "out-bucket" and manifest["MapRunArn"] == run_arn
    assert [f["Key"] for f in manifest["ResultFiles"]["SUCCEEDED"]] == [f"results/{run_id}/SUCCEEDED_0.json"]
    assert manifest["ResultFiles"]["PENDING"] == []
    succeeded = read_json(s3, f"results/{run_id}/SUCCEEDED_0.json")
    assert [json.loads(r["Input"]) for r in succeeded] == [1, 3]
    assert succeeded[0]["Output"] == "1" and succeeded[0]["Status"] == "SUCCEEDED"
    assert {"ExecutionArn", "Name", "StartDate", "StopDate", "StateMachineArn", "InputDetails"} <= set(succeeded[0])
    (failed,) = read_json(s3, f"results/{run_id}/FAILED_0.json")
    assert failed["Error"] == "Two" and failed["Cause"] == "two" and failed["Status"] == "FAILED"
    assert "Output" not in failed


def test_result_writer_compact_flatten_and_config_alone(interp: Interpreter, s3: Any) -> None:
    machine = dmap(ItemsPath="$.items", ResultWriter=writer(Transformation="FLATTEN", OutputType="JSON"))
    result = run(interp, machine, {"items": [[1, 2], [3]]})
    key = result.output["ResultWriterDetails"]["Key"].replace("manifest.json", "SUCCEEDED_0.json")
    assert read_json(s3, key) == [1, 2, 3]
    alone = dmap(ItemsPath="$.items", ResultWriter={"WriterConfig": {"Transformation": "FLATTEN"}})
    assert run(interp, alone, {"items": [[1, 2], [3]]}).output == [1, 2, 3]


def test_result_writer_missing_bucket(interp: Interpreter) -> None:
    machine = dmap(ItemsPath="$.items", ResultWriter={"Resource": "arn:aws:states:::s3:putObject",
                                                      "Parameters": {"Bucket": "no-such-bucket", "Prefix": "r"}})
    result = run(interp, machine, {"items": [1]})
    assert result.status == "FAILED" and result.error == "States.ResultWriterFailed"
    assert "S3.NoSuchBucketException" in result.cause


class FailsOnce:
    """A service whose call for item 2 fails the first time (for redrive)."""

    name = "once"
    remote = False

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def handles(self, resource: Any) -> bool:
        return resource.service == "once"

    def invoke(self, request: Any) -> Any:
        self.calls.append(request.parameters["n"])
        if request.parameters["n"] == 2 and self.calls.count(2) == 1:
            raise StatesError("Flaky", "first call")
        return request.parameters["n"] * 10


def test_a_redriven_map_run_writes_every_childs_record_kept_ones_included(interp: Interpreter, s3: Any) -> None:
    service = FailsOnce()
    interp.integrations.add(service)
    processor = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::once:call",
                                                  "Parameters": {"n.$": "$"}, "End": True}}}
    machine = interp.load(dmap(processor=processor, ItemsPath="$.items", ResultWriter=writer()))
    first = run(interp, machine, {"items": [1, 2, 3]})
    assert first.status == "FAILED"
    second = interp.redrive(machine, first).run()
    assert second.status == "SUCCEEDED", (second.error, second.cause)
    assert sorted(service.calls) == [1, 2, 2, 3]  # only the failed child ran again
    run_id = second.output["MapRunArn"].rsplit(":", 1)[1]
    records = read_json(s3, f"results/{run_id}/SUCCEEDED_0.json")
    assert sorted((json.loads(r["Input"]), json.loads(r["Output"])) for r in records) == [(1, 10), (2, 20), (3, 30)]


# ---------------------------------------------------------------- the sample, through the CLI

def test_sample_runs_in_one_command() -> None:
    reset_local(ACCOUNT)
    try:
        runner = CliRunner(env={"ASLRUN_SAMPLE_ROWS": "300", "NO_COLOR": "1"})
        args = ["run", str(SAMPLE / "machine.json"), "--input", f"@{SAMPLE / 'input.json'}",
                "--aws-setup", str(SAMPLE / "setup.py"), "--json"]
        result = runner.invoke(cli, args, prog_name="aslrun")
        assert result.exit_code == 0, result.output
        out = json.loads(result.output)["output"]
        assert out["ResultWriterDetails"]["Bucket"] == "aslrun-sample-results"
    finally:
        reset_local(ACCOUNT)
