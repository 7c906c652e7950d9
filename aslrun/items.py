"""Distributed Map data sets: what an ItemReader's object holds, and what a ResultWriter writes.

Pure functions, no I/O: :func:`read_items` turns the text of an S3 object (``s3:getObject``) or a
listing (``s3:listObjectsV2``) into items as AWS hands them to child executions; :func:`result_files`
shapes the ``manifest.json`` and ``SUCCEEDED_0.json``/``FAILED_0.json``/``PENDING_0.json`` files of a
ResultWriter. The S3 calls themselves belong to :mod:`aslrun.integrations.aws.items`.

Sources: AWS Step Functions Developer Guide, "ItemReader (Map)" (CSV options, JSON ``ItemsPointer``,
JSONL, ``MaxItems``; listing entries ``Etag``/``Key``/``LastModified`` in epoch seconds/``Size``/
``StorageClass``) and "ResultWriter (Map)" (manifest, result files, ``ResultWriterDetails``,
``WriterConfig``). Recorded causes (LocalStack's AWS snapshots): ``CSV headers cannot contain
duplicates.``, ``Attempting to map over non-iterable node.``.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from aslrun.errors import StatesError

__all__ = [
    "DELIMITERS",
    "ItemStream",
    "MAX_BATCH_BYTES",
    "READER_FAILED",
    "WRITER_FAILED",
    "execution_record",
    "listing_item",
    "read_items",
    "reader_failed",
    "result_files",
    "take",
    "transform_results",
]

READER_FAILED = "States.ItemReaderFailed"
WRITER_FAILED = "States.ResultWriterFailed"
#: ``CSVDelimiter`` names -> the character
DELIMITERS = {"COMMA": ",", "PIPE": "|", "SEMICOLON": ";", "SPACE": " ", "TAB": "\t"}
#: AWS's ceiling for one batch's input (``MaxInputBytesPerBatch``): 256 KiB
MAX_BATCH_BYTES = 262_144
_UNSUPPORTED = ("PARQUET", "MANIFEST")
#: a line and its end (\n, \r or \r\n), or a last line without one: what StringIO(newline="") reads
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


class ItemStream:
    """Items produced afresh on each pass instead of held in a list, with their count.

    ``len()`` is known at once (the Map's ``MapStateStarted`` records it): the first pass, run here,
    counts the items and so also raises any reader error before the Map starts, as reading them all
    into a list did. The Map then takes them one by one, so a child's item lives only as long as
    something (the child, its history) needs it. ``produce`` must give the same items every time.
    """

    __slots__ = ("_produce", "_length")

    def __init__(self, produce: Callable[[], Iterator[Any]]) -> None:
        self._produce = produce
        self._length = sum(1 for _ in produce())

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Any]:
        return self._produce()


def reader_failed(cause: str) -> StatesError:
    """The ``States.ItemReaderFailed`` error with ``cause``."""
    return StatesError(READER_FAILED, cause)


def read_items(text: str, config: Mapping[str, Any]) -> Iterator[Any]:
    """The items of an object's ``text`` under a ``ReaderConfig`` (lazily, row by row for CSV/JSONL)."""
    kind = config.get("InputType", "JSON")
    if kind == "CSV":
        return csv_items(text, config)
    if kind == "JSONL":
        return jsonl_items(text)
    if kind == "JSON":
        return iter(json_items(text, config.get("ItemsPointer")))
    if kind in _UNSUPPORTED:
        raise reader_failed(f"ReaderConfig InputType {kind} is not supported by aslrun's local ItemReader "
                            "(AWS supports it); use CSV, JSON or JSONL, or mock the Map state.")
    raise reader_failed(f"Unknown ReaderConfig InputType {kind!r}: use CSV, JSON, JSONL.")


def csv_items(text: str, config: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    """CSV rows as objects of strings, keyed by the first row or ``CSVHeaders`` (``CSVHeaderLocation`` GIVEN)."""
    name = config.get("CSVDelimiter", "COMMA")
    if name not in DELIMITERS:
        raise reader_failed(f"Unknown CSVDelimiter {name!r}: use one of {', '.join(DELIMITERS)}.")
    rows = csv.reader(_lines(text), delimiter=DELIMITERS[name], strict=True)
    line = 0
    if config.get("CSVHeaderLocation", "FIRST_ROW") == "GIVEN":
        headers = list(config.get("CSVHeaders") or [])
        if not headers:
            raise reader_failed("CSVHeaderLocation GIVEN needs CSVHeaders.")
    else:
        try:
            headers = next(rows, [])
        except csv.Error as exc:
            raise reader_failed(f"Malformed CSV header row: {exc}.") from None
        line = 1
        if not headers:
            return iter(())
    if len(set(headers)) != len(headers):
        raise reader_failed("CSV headers cannot contain duplicates.")
    return _csv_rows(rows, headers, line)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, split as ``io.StringIO(text, newline="")`` splits them.

    A StringIO would hold a copy of the whole object at four bytes a character for every pass.
    """
    return (match.group() for match in _LINE.finditer(text))


def _csv_rows(rows: Any, headers: list[str], line: int) -> Iterator[dict[str, str]]:
    width = len(headers)
    while True:
        line += 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            raise reader_failed(f"Malformed CSV row {line}: {exc}.") from None
        if not row:
            continue
        if len(row) != width:
            raise reader_failed(f"Malformed CSV row {line}: it has {len(row)} fields but the header has {width}.")
        yield dict(zip(headers, row, strict=True))


def json_items(text: str, pointer: str | None = None) -> list[Any]:
    """A JSON array, or the array at ``ItemsPointer`` (a JSON Pointer) in a JSON object."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise reader_failed(f"The object is not valid JSON: {exc}.") from None
    if pointer:
        for part in pointer.lstrip("/").split("/") if pointer != "/" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(doc, dict) and part in doc:
                doc = doc[part]
            elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
                doc = doc[int(part)]
            else:
                raise reader_failed(f"ItemsPointer {pointer} does not point into the JSON object.")
    if not isinstance(doc, list):
        raise reader_failed("Attempting to map over non-iterable node.")
    return doc


def jsonl_items(text: str) -> Iterator[Any]:
    """One item per non-empty line of JSON Lines."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError as exc:
            raise reader_failed(f"Malformed JSON Lines line {number}: {exc}.") from None


def take(items: Iterable[Any], max_items: Any) -> Iterator[Any]:
    """The first ``MaxItems`` items (all of them when ``max_items`` is None or 0)."""
    if max_items is None or max_items == 0:
        return iter(items)
    if isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0:
        raise reader_failed("field MaxItems must be positive")
    return itertools.islice(items, max_items)


def listing_item(obj: Mapping[str, Any]) -> dict[str, Any]:
    """One ``s3:listObjectsV2`` item as AWS gives it (``Etag``, ``LastModified`` in epoch seconds)."""
    modified: Any = obj.get("LastModified")
    stamp = int(modified.timestamp()) if hasattr(modified, "timestamp") else modified
    return {"Etag": obj.get("ETag"), "Key": obj.get("Key"), "LastModified": stamp, "Size": obj.get("Size"),
            "StorageClass": obj.get("StorageClass", "STANDARD")}


def transform_results(results: list[Any], transformation: str) -> list[Any]:
    """``WriterConfig.Transformation`` COMPACT (outputs as they are) or FLATTEN (array outputs spliced in)."""
    if transformation != "FLATTEN":
        return results
    out: list[Any] = []
    for value in results:
        if isinstance(value, list):
            out.extend(value)
        else:
            out.append(value)
    return out


def result_files(records: Mapping[str, list[dict[str, Any]]], bucket: str, prefix: str, map_run_arn: str,
                 writer_config: Mapping[str, Any] | None = None) -> tuple[list[tuple[str, str]], str]:
    """The ``(key, body)`` files of a ResultWriter and the manifest's key.

    ``records`` maps ``SUCCEEDED``/``FAILED``/``PENDING`` to the child executions' records (NONE
    transformation shape, see :func:`execution_record`). Files go under ``<Prefix>/<map run id>/``;
    the manifest lists only the non-empty files, with their sizes.
    """
    config = writer_config or {}
    transformation = config.get("Transformation", "NONE")
    jsonl = config.get("OutputType") == "JSONL"
    run_id = map_run_arn.rsplit(":", 1)[-1]
    base = f"{prefix.rstrip('/')}/{run_id}/" if prefix else f"{run_id}/"
    files: list[tuple[str, str]] = []
    listed: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
    for status in ("SUCCEEDED", "FAILED", "PENDING"):
        entries: list[Any] = list(records.get(status) or [])
        if not entries:
            continue
        if status == "SUCCEEDED" and transformation in ("COMPACT", "FLATTEN"):
            entries = transform_results([_output(e) for e in entries], transformation)
        key = f"{base}{status}_0.json{'l' if jsonl else ''}"
        if jsonl:
            body = "".join(json.dumps(e, separators=(",", ":"), ensure_ascii=False) + "\n" for e in entries)
        else:
            body = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
        files.append((key, body))
        listed[status].append({"Key": key, "Size": len(body.encode("utf-8"))})
    manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": listed}
    manifest_key = f"{base}manifest.json"
    files.append((manifest_key, json.dumps(manifest, separators=(",", ":"))))
    return files, manifest_key


def _output(record: Mapping[str, Any]) -> Any:
    text = record.get("Output")
    return json.loads(text) if isinstance(text, str) else text


def execution_record(arn: str, name: str, machine_arn: str, status: str, item: Any, outcome: Any,
                     start: str, stop: str) -> dict[str, Any]:
    """One child execution's entry in a result file (AWS's NONE transformation shape)."""
    record: dict[str, Any] = {"ExecutionArn": arn, "Input": json.dumps(item, separators=(",", ":")),
                              "InputDetails": {"Included": True}, "Name": name}
    if status == "SUCCEEDED":
        record["Output"] = json.dumps(outcome, separators=(",", ":"))
        record["OutputDetails"] = {"Included": True}
        record["RedriveCount"] = 0
        record["RedriveStatus"] = "NOT_REDRIVABLE"
        record["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    else:
        error, cause = outcome
        if error is not None:
            record["Error"] = error
        if cause is not None:
            record["Cause"] = cause
        record["RedriveCount"] = 0
        record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
    record.update({"StartDate": start, "StateMachineArn": machine_arn, "Status": status, "StopDate": stop})
    return record
