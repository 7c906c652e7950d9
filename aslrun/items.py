"""Distributed Map data sets: what an ItemReader's object holds, and what a ResultWriter writes.

Pure functions, no I/O: :func:`read_items` turns the text of an S3 object (``s3:getObject``: CSV, JSON,
JSONL; its bytes for PARQUET), a manifest and the files it lists (S3 inventory, Athena UNLOAD) or a
listing (``s3:listObjectsV2``) into items as AWS hands them to child executions; :class:`ResultSpill`
(as children finish) and :func:`result_files` (all at once) shape the ``manifest.json`` and
``SUCCEEDED_0.json``/``FAILED_0.json``/``PENDING_0.json`` files of a ResultWriter. The S3 calls
themselves belong to :mod:`aslrun.integrations.aws.items`.

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
    "PART_BYTES",
    "READER_FAILED",
    "ResultSpill",
    "WRITER_FAILED",
    "execution_record",
    "is_manifest",
    "listing_item",
    "manifest_items",
    "parquet_items",
    "read_items",
    "reader_failed",
    "result_base",
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
#: a result file's text is sent as a part of a multipart upload once this much has gathered (S3's
#: smallest part but the last): a ResultWriter keeps at most about this much per file in memory
PART_BYTES = 5 * 1024 * 1024
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


def is_manifest(config: Mapping[str, Any]) -> bool:
    """Whether a ``ReaderConfig`` reads a manifest (an S3 inventory, or Athena's with ``ManifestType``)."""
    return config.get("InputType") == "MANIFEST" or config.get("ManifestType") is not None


def read_items(data: Any, config: Mapping[str, Any]) -> Iterator[Any]:
    """The items of an object under a ``ReaderConfig`` (lazily, row by row for CSV/JSONL/PARQUET).

    ``data`` is the object's text (CSV, JSON, JSONL), its bytes (PARQUET), or for a manifest what
    :func:`manifest_items` takes (the manifest and the files it lists, read by the integration).
    """
    kind = config.get("InputType", "JSON")
    if is_manifest(config):
        return manifest_items(data, config)
    if kind == "CSV":
        return csv_items(data, config)
    if kind == "JSONL":
        return jsonl_items(data)
    if kind == "JSON":
        return iter(json_items(data, config.get("ItemsPointer")))
    if kind == "PARQUET":
        return parquet_items(data)
    raise reader_failed(f"Unknown ReaderConfig InputType {kind!r}: use CSV, JSON, JSONL, PARQUET or MANIFEST.")


def manifest_items(data: Any, config: Mapping[str, Any]) -> Iterator[Any]:
    """The items of the files a manifest lists: ``data`` is ``{"Manifest": ..., "Files": [...]}``.

    * ``InputType`` MANIFEST (an S3 inventory ``manifest.json``): ``Manifest`` is the manifest's JSON and
      ``Files`` the text of its CSV inventory files, in its order; each row is an object keyed by the
      manifest's ``fileSchema`` (``Bucket, Key, Size, ...``), its values strings as in the file.
      Inventories in ORC or Parquet (``fileFormat``) are refused, as AWS refuses them.
    * ``ManifestType`` ATHENA_DATA (the ``-manifest.csv`` of an Athena UNLOAD): ``Files`` are the data
      files it lists, read as ``InputType`` CSV (with ``CSVHeaders``: UNLOAD writes no header row),
      JSONL or PARQUET.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("Files"), list):
        raise reader_failed("The ItemReader's manifest reply is not {Manifest, Files}: read it through "
                            "arn:aws:states:::s3:getObject.")
    kind = config.get("InputType", "JSON")
    manifest_type = config.get("ManifestType")
    if manifest_type is not None:
        if manifest_type != "ATHENA_DATA":
            raise reader_failed(f"Unknown ReaderConfig ManifestType {manifest_type!r}: use ATHENA_DATA.")
        if kind not in ("CSV", "JSONL", "PARQUET"):
            raise reader_failed(f"ManifestType ATHENA_DATA reads data files of InputType CSV, JSONL or PARQUET, "
                                f"not {kind}.")
        return itertools.chain.from_iterable(_athena_file(f, config, kind) for f in data["Files"])
    manifest = data.get("Manifest")
    if not isinstance(manifest, Mapping):
        raise reader_failed("The S3 inventory manifest is not a JSON object.")
    if str(manifest.get("fileFormat", "CSV")).upper() != "CSV":
        raise reader_failed(f"S3 inventory fileFormat {manifest.get('fileFormat')} is not supported: "
                            "the ItemReader reads CSV inventories.")
    schema = [name.strip() for name in str(manifest.get("fileSchema") or "").split(",") if name.strip()]
    if not schema:
        raise reader_failed("The S3 inventory manifest has no fileSchema.")
    given = {"CSVHeaderLocation": "GIVEN", "CSVHeaders": schema}
    return itertools.chain.from_iterable(csv_items(text, given) for text in data["Files"])


def _athena_file(data: Any, config: Mapping[str, Any], kind: str) -> Iterator[Any]:
    if kind == "CSV":
        return csv_items(data, config)
    if kind == "JSONL":
        return jsonl_items(data)
    return parquet_items(data)


def parquet_items(data: Any) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet file's bytes as objects (through pyarrow, installed with ``aslrun[parquet]``).

    Values become JSON: dates and times ISO 8601 text, decimals numbers, binary as text (UTF-8,
    replacing what is not). **[UNSURE]** AWS documents no mapping of Parquet types; this one is the
    plain JSON reading of each column.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise reader_failed("An InputType PARQUET object must be read as bytes (arn:aws:states:::s3:getObject).")
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise reader_failed("ReaderConfig InputType PARQUET needs the pyarrow package: "
                            "pip install 'aslrun[parquet]'.") from None
    try:
        parquet = pq.ParquetFile(pa.BufferReader(bytes(data)))
    except Exception as exc:  # pyarrow's ArrowInvalid and kin: not a Parquet file
        raise reader_failed(f"The object is not a valid Parquet file: {exc}.") from None
    return _parquet_rows(parquet)


def _parquet_rows(parquet: Any) -> Iterator[dict[str, Any]]:
    for batch in parquet.iter_batches():
        for row in batch.to_pylist():
            yield {key: _json_value(value) for key, value in row.items()}


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "as_integer_ratio"):  # Decimal
        number = float(value)
        return int(number) if number.is_integer() and "." not in str(value) else number
    if hasattr(value, "total_seconds"):  # a duration
        return value.total_seconds()
    return str(value)


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


class ResultSpill:
    """A ResultWriter's files written as the children finish: records in, parts of file text out.

    :meth:`add` takes one child's record (NONE shape, :func:`execution_record`) and says whether its
    file has a part's worth of text (:data:`PART_BYTES`); :meth:`take` hands that text over (and the
    rest, with the closing bracket, when ``last``). The Map sends each part as it comes, so memory
    holds one part per file, not every child's result. ``Transformation`` COMPACT and FLATTEN apply to
    the SUCCEEDED file as :func:`transform_results` does; ``OutputType`` JSONL writes a line per entry.
    """

    def __init__(self, writer_config: Mapping[str, Any] | None = None) -> None:
        config = writer_config or {}
        self.transformation = config.get("Transformation", "NONE")
        self.jsonl = config.get("OutputType") == "JSONL"
        self._chunks: dict[str, list[str]] = {}
        self._pending: dict[str, int] = {}
        #: entries written to each file so far, and the file's bytes so far (manifest sizes)
        self.counts: dict[str, int] = {}
        self.sizes: dict[str, int] = {}
        #: the multipart upload of each file that outgrew one part: {"UploadId": ..., "Parts": [...]}
        self.uploads: dict[str, dict[str, Any]] = {}

    def wants_record(self, status: str) -> bool:
        """Whether the ``status`` file holds whole records (else only the children's outputs)."""
        return status != "SUCCEEDED" or self.transformation not in ("COMPACT", "FLATTEN")

    def add(self, status: str, record: Mapping[str, Any] | None, output: Any = None) -> bool:
        """Add a child's record (or only its ``output``, see :meth:`wants_record`) to the ``status`` file;
        True when that file has a part to send."""
        if record is None or not self.wants_record(status):
            entries = transform_results([output if record is None else _output(record)], self.transformation)
        else:
            entries = [record]
        chunks = self._chunks.setdefault(status, [])
        size = self._pending.get(status, 0)
        for entry in entries:
            text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
            if self.jsonl:
                text += "\n"
            else:
                text = ("," if self.counts.get(status) else "[") + text
            self.counts[status] = self.counts.get(status, 0) + 1
            chunks.append(text)
            size += len(text)  # characters: a cheap lower bound of the bytes
        if len(chunks) >= 4096:
            # Many small entries ("1\n") would cost far more as string objects than as text: join them.
            chunks[:] = ["".join(chunks)]
        self._pending[status] = size
        return size >= PART_BYTES

    def take(self, status: str, last: bool = False) -> str:
        """The ``status`` file's text gathered since the last call (closed with ``]`` when ``last``)."""
        chunks = self._chunks.pop(status, [])
        self._pending.pop(status, None)
        if last and not self.jsonl:
            chunks.append("]" if self.counts.get(status) else "[]")
        text = "".join(chunks)
        self.sizes[status] = self.sizes.get(status, 0) + len(text.encode("utf-8"))
        return text

    def statuses(self) -> list[str]:
        """The files with entries, in AWS's manifest order."""
        return [s for s in ("SUCCEEDED", "FAILED", "PENDING") if self.counts.get(s)]

    def key(self, status: str, base: str) -> str:
        """The key of the ``status`` file under ``base`` (``<Prefix>/<map run id>/``)."""
        return f"{base}{status}_0.json{'l' if self.jsonl else ''}"

    def manifest(self, bucket: str, base: str, map_run_arn: str) -> tuple[str, str]:
        """The manifest's key and text (after the last :meth:`take` of each file)."""
        listed: dict[str, list[dict[str, Any]]] = {"FAILED": [], "PENDING": [], "SUCCEEDED": []}
        for status in self.statuses():
            listed[status].append({"Key": self.key(status, base), "Size": self.sizes.get(status, 0)})
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": listed}
        return f"{base}manifest.json", json.dumps(manifest, separators=(",", ":"))


def result_base(prefix: str, map_run_arn: str) -> str:
    """Where a Map Run's result files go: ``<Prefix>/<map run id>/`` (``<map run id>/`` without a prefix)."""
    run_id = map_run_arn.rsplit(":", 1)[-1]
    return f"{prefix.rstrip('/')}/{run_id}/" if prefix else f"{run_id}/"
