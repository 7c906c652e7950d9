"""Distributed Map ItemReaders beyond one text object: PARQUET objects, S3 inventory manifests
(``InputType`` MANIFEST) and Athena UNLOAD manifests (``ManifestType`` ATHENA_DATA), read from the
embedded S3; and a ResultWriter file too big for one part, sent as a multipart upload.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa  # a test dependency ([test]); the reader's own is the optional extra [parquet]
import pyarrow.parquet as pq
import pytest

from aslrun import Interpreter
from aslrun.errors import StatesError
from aslrun.integrations.aws import AwsIntegration
from aslrun.integrations.aws.target import reset_local
from aslrun.items import PART_BYTES, manifest_items, parquet_items

ACCOUNT = "111111111111"
PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}


@pytest.fixture
def interp() -> Iterator[Interpreter]:
    with Interpreter(load_plugins=False, check_payload_limits=False) as interpreter:
        interpreter.integrations.add(AwsIntegration(interpreter))
        reset_local(ACCOUNT)
        yield interpreter
    reset_local(ACCOUNT)


@pytest.fixture
def s3(interp: Interpreter) -> Any:
    client = interp.integrations.all()[0].session().client("s3")
    for bucket in ("in-bucket", "inventory-bucket", "athena-results", "out-bucket"):
        client.create_bucket(Bucket=bucket)
    return client


def dmap(config: dict[str, Any], key: str, bucket: str = "in-bucket", **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Map", "End": True,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
                       "Parameters": {"Bucket": bucket, "Key": key}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, **PASS}}
    state.update(fields)
    return {"StartAt": "M", "States": {"M": state}}


def parquet_bytes(columns: dict[str, list[Any]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


# ---------------------------------------------------------------- PARQUET

def test_a_parquet_object_gives_one_item_per_row(interp: Interpreter, s3: Any) -> None:
    data = parquet_bytes({"id": [1, 2, 3], "name": ["a", "b", None], "price": [1.5, 2.0, 3.25],
                          "ok": [True, False, True]})
    s3.put_object(Bucket="in-bucket", Key="rows.parquet", Body=data)
    result = interp.run(dmap({"InputType": "PARQUET"}, "rows.parquet"), {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"id": 1, "name": "a", "price": 1.5, "ok": True},
                             {"id": 2, "name": "b", "price": 2.0, "ok": False},
                             {"id": 3, "name": None, "price": 3.25, "ok": True}]


def test_parquet_with_max_items_and_a_batcher(interp: Interpreter, s3: Any) -> None:
    s3.put_object(Bucket="in-bucket", Key="rows.parquet", Body=parquet_bytes({"n": list(range(10))}))
    machine = dmap({"InputType": "PARQUET", "MaxItems": 5}, "rows.parquet", ItemBatcher={"MaxItemsPerBatch": 2})
    result = interp.run(machine, {})
    assert result.status == "SUCCEEDED", result.cause
    assert [[i["n"] for i in b["Items"]] for b in result.output] == [[0, 1], [2, 3], [4]]


def test_parquet_values_become_json() -> None:
    import datetime
    import decimal

    data = parquet_bytes({"day": [datetime.date(2024, 1, 2)], "amount": [decimal.Decimal("12.50")],
                          "tags": [["x", "y"]]})
    assert list(parquet_items(data)) == [{"day": "2024-01-02", "amount": 12.5, "tags": ["x", "y"]}]


def test_an_object_that_is_not_parquet_fails_the_reader(interp: Interpreter, s3: Any) -> None:
    s3.put_object(Bucket="in-bucket", Key="rows.parquet", Body=b"id,name\n1,a\n")
    result = interp.run(dmap({"InputType": "PARQUET"}, "rows.parquet"), {})
    assert result.status == "FAILED" and result.error == "States.ItemReaderFailed"
    assert "The object is not a valid Parquet file" in result.cause
    with pytest.raises(StatesError, match="must be read as bytes"):
        parquet_items("text")


# ---------------------------------------------------------------- S3 inventory (MANIFEST)

def inventory(s3: Any, rows: list[list[str]], schema: str = "Bucket, Key, Size, LastModifiedDate",
              file_format: str = "CSV") -> str:
    """An S3 inventory report in inventory-bucket: two gzip CSV files and the manifest.json listing them."""
    files = []
    for n, part in enumerate((rows[:2], rows[2:])):
        body = "".join(",".join(f'"{v}"' for v in row) + "\n" for row in part).encode()
        key = f"in-bucket/config-1/data/part-{n}.csv.gz"
        s3.put_object(Bucket="inventory-bucket", Key=key, Body=gzip.compress(body))
        files.append({"key": key, "size": len(body), "MD5checksum": "0"})
    manifest = {"sourceBucket": "in-bucket", "destinationBucket": "arn:aws:s3:::inventory-bucket",
                "version": "2016-11-30", "creationTimestamp": "1668560400000", "fileFormat": file_format,
                "fileSchema": schema, "files": files}
    key = "in-bucket/config-1/2024-01-01T00-00Z/manifest.json"
    s3.put_object(Bucket="inventory-bucket", Key=key, Body=json.dumps(manifest).encode())
    return key


ROWS = [["in-bucket", "a.txt", "10", "2024-01-01T00:00:00.000Z"],
        ["in-bucket", "b.txt", "20", "2024-01-02T00:00:00.000Z"],
        ["in-bucket", "dir/c.txt", "30", "2024-01-03T00:00:00.000Z"]]


def test_an_s3_inventory_manifest_gives_its_files_rows(interp: Interpreter, s3: Any) -> None:
    key = inventory(s3, ROWS)
    result = interp.run(dmap({"InputType": "MANIFEST"}, key, bucket="inventory-bucket"), {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [
        {"Bucket": "in-bucket", "Key": "a.txt", "Size": "10", "LastModifiedDate": "2024-01-01T00:00:00.000Z"},
        {"Bucket": "in-bucket", "Key": "b.txt", "Size": "20", "LastModifiedDate": "2024-01-02T00:00:00.000Z"},
        {"Bucket": "in-bucket", "Key": "dir/c.txt", "Size": "30", "LastModifiedDate": "2024-01-03T00:00:00.000Z"}]


def test_inventory_errors_are_item_reader_failures(interp: Interpreter, s3: Any) -> None:
    key = inventory(s3, ROWS, file_format="ORC")
    result = interp.run(dmap({"InputType": "MANIFEST"}, key, bucket="inventory-bucket"), {})
    assert result.error == "States.ItemReaderFailed" and "fileFormat ORC is not supported" in result.cause
    s3.put_object(Bucket="inventory-bucket", Key="bad/manifest.json", Body=b"{not json")
    result = interp.run(dmap({"InputType": "MANIFEST"}, "bad/manifest.json", bucket="inventory-bucket"), {})
    assert result.error == "States.ItemReaderFailed" and "is not valid JSON" in result.cause
    key = inventory(s3, ROWS)
    s3.delete_object(Bucket="inventory-bucket", Key="in-bucket/config-1/data/part-1.csv.gz")
    result = interp.run(dmap({"InputType": "MANIFEST"}, key, bucket="inventory-bucket"), {})
    assert result.error == "States.ItemReaderFailed" and "S3.NoSuchKeyException" in result.cause
    key = inventory(s3, [["in-bucket", "a.txt"]] + ROWS[1:])
    result = interp.run(dmap({"InputType": "MANIFEST"}, key, bucket="inventory-bucket"), {})
    assert result.error == "States.ItemReaderFailed" and "it has 2 fields but the header has 4" in result.cause


def test_manifest_items_needs_the_integration_s_reply() -> None:
    with pytest.raises(StatesError, match=r"manifest reply is not \{Manifest, Files\}"):
        list(manifest_items("text", {"InputType": "MANIFEST"}))


# ---------------------------------------------------------------- Athena (ManifestType ATHENA_DATA)

def athena(s3: Any, files: dict[str, bytes]) -> str:
    """An Athena UNLOAD result: data files and the -manifest.csv listing their s3:// URIs."""
    for key, body in files.items():
        s3.put_object(Bucket="athena-results", Key=key, Body=body)
    listing = "".join(f"s3://athena-results/{key}\n" for key in files)
    s3.put_object(Bucket="athena-results", Key="q/abc-manifest.csv", Body=listing.encode())
    return "q/abc-manifest.csv"


def test_athena_csv_files_with_given_headers(interp: Interpreter, s3: Any) -> None:
    key = athena(s3, {"q/a.gz": gzip.compress(b"1,x\n2,y\n"), "q/b": b"3,z\n"})
    config = {"ManifestType": "ATHENA_DATA", "InputType": "CSV", "CSVHeaderLocation": "GIVEN",
              "CSVHeaders": ["id", "v"]}
    result = interp.run(dmap(config, key, bucket="athena-results"), {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"id": "1", "v": "x"}, {"id": "2", "v": "y"}, {"id": "3", "v": "z"}]


def test_athena_jsonl_and_parquet_files(interp: Interpreter, s3: Any) -> None:
    key = athena(s3, {"q/a.gz": gzip.compress(b'{"id":1}\n{"id":2}\n')})
    result = interp.run(dmap({"ManifestType": "ATHENA_DATA", "InputType": "JSONL"}, key, bucket="athena-results"),
                        {})
    assert result.output == [{"id": 1}, {"id": 2}]
    key = athena(s3, {"q/p1": parquet_bytes({"id": [3]}), "q/p2": parquet_bytes({"id": [4, 5]})})
    result = interp.run(dmap({"ManifestType": "ATHENA_DATA", "InputType": "PARQUET", "MaxItems": 2}, key,
                             bucket="athena-results"), {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == [{"id": 3}, {"id": 4}]


def test_athena_manifest_errors(interp: Interpreter, s3: Any) -> None:
    key = athena(s3, {"q/a": b"1,x\n"})
    config = {"ManifestType": "ATHENA_DATA", "InputType": "CSV", "CSVHeaderLocation": "GIVEN"}
    result = interp.run(dmap(config, key, bucket="athena-results"), {})
    assert result.error == "States.ItemReaderFailed" and "CSVHeaderLocation GIVEN needs CSVHeaders" in result.cause
    result = interp.run(dmap({"ManifestType": "ATHENA_DATA", "InputType": "JSON"}, key, bucket="athena-results"),
                        {})
    assert result.error == "States.ItemReaderFailed" and "CSV, JSONL or PARQUET, not JSON" in result.cause
    s3.put_object(Bucket="athena-results", Key="q/bad-manifest.csv", Body=b"not-a-uri\n")
    result = interp.run(dmap({"ManifestType": "ATHENA_DATA", "InputType": "JSONL"}, "q/bad-manifest.csv",
                             bucket="athena-results"), {})
    assert result.error == "States.ItemReaderFailed" and "not an s3://bucket/key URI" in result.cause
    result = interp.run(dmap({"ManifestType": "OTHER", "InputType": "JSONL"}, key, bucket="athena-results"), {})
    assert result.error == "States.ItemReaderFailed" and "Unknown ReaderConfig ManifestType 'OTHER'" in result.cause


# ---------------------------------------------------------------- a ResultWriter file in parts

def test_a_result_file_over_one_part_is_complete(interp: Interpreter, s3: Any) -> None:
    big = "x" * 200_000
    count = PART_BYTES // len(big) + 3  # a little over one part of results
    machine = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "End": True, "ItemsPath": "$.items", "MaxConcurrency": 4,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": big, "End": True}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                         "Parameters": {"Bucket": "out-bucket", "Prefix": "big"}}}}}
    result = interp.run(machine, {"items": list(range(count))})
    assert result.status == "SUCCEEDED", result.cause
    manifest = json.loads(s3.get_object(Bucket="out-bucket", Key=result.output["ResultWriterDetails"]["Key"])
                          ["Body"].read())
    (entry,) = manifest["ResultFiles"]["SUCCEEDED"]
    obj = s3.get_object(Bucket="out-bucket", Key=entry["Key"])
    body = obj["Body"].read()
    assert entry["Size"] == len(body) == obj["ContentLength"]
    records = json.loads(body)
    assert sorted(json.loads(r["Input"]) for r in records) == list(range(count))
    assert all(json.loads(r["Output"]) == big and r["Status"] == "SUCCEEDED" for r in records)
    assert "-" in obj["ETag"]  # a multipart upload's ETag: the file went up in parts
