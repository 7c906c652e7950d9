"""The S3 calls of a Distributed Map: its ItemReader (``s3:getObject``, ``s3:listObjectsV2``) and
ResultWriter (``s3:putObject``).

Why an ``Invoke`` and not a ``Blocking`` call: the Map runner (:mod:`aslrun.map`) stays pure by
yielding :class:`~aslrun.effects.Invoke` with these resources, and the driver answers it as it
answers a Task, so the run's policy, a MockConfigFile test case (``--hybrid``) and the AWS target
(embedded moto, an endpoint URL, real AWS) all apply. The request's ``context`` is
``{"Field": "ItemReader"}`` or ``{"Field": "ResultWriter"}``: these resources are not Task
resources, and a Task naming one is refused.

Replies: ``getObject`` gives the object's text (parsed by :func:`aslrun.items.read_items` in the
runner, row by row) or, for ``InputType`` PARQUET, its bytes; for a manifest (the request's
``context["ReaderConfig"]`` says ``InputType`` MANIFEST or a ``ManifestType``) it reads the manifest and
every file it lists and gives ``{"Manifest": ..., "Files": [...]}`` (an S3 inventory's
``manifest.json`` and its CSV files, from its ``destinationBucket``; an Athena UNLOAD's
``-manifest.csv`` of ``s3://`` URIs and those objects), gzip files unpacked; ``listObjectsV2`` the list of items of every page (``Prefix``, pagination by
continuation token), ``putObject`` ``{}``. A ResultWriter file that outgrows one part
(:data:`aslrun.items.PART_BYTES`) goes up as a multipart upload, so the Map holds one part of it at a
time: ``putObject`` with ``PartNumber`` (and ``UploadId`` after the first) sends a part and gives
``{UploadId, ETag}``; with ``UploadId`` and ``Parts`` but no ``Body`` it completes the upload. A failing call becomes ``States.ItemReaderFailed`` or
``States.ResultWriterFailed`` whose cause is the S3 error as an ``aws-sdk`` Task would name it
(``S3.NoSuchBucketException: The specified bucket does not exist (Service: S3, ...)``).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Generator, Mapping
from typing import Any

from aslrun.effects import Blocking
from aslrun.errors import StatesError
from aslrun.integrations.aws.shapes import sdk_error
from aslrun.items import READER_FAILED, WRITER_FAILED, is_manifest, listing_item

__all__ = ["ACTIONS", "items_call"]

#: resource action -> the Map field that may use it
ACTIONS = {"getObject": "ItemReader", "listObjectsV2": "ItemReader", "putObject": "ResultWriter"}

Gen = Generator[Any, Any, Any]


def items_call(client: Any, action: str, parameters: Any, context: Any) -> Gen:
    """Perform one ItemReader/ResultWriter call (a generator of Blocking calls)."""
    field = context.get("Field") if isinstance(context, Mapping) else None
    if field != ACTIONS.get(action):
        raise StatesError("States.Runtime", f"arn:aws:states:::s3:{action} is not a Task resource: AWS offers it "
                                            "only as a Distributed Map's ItemReader or ResultWriter. Use "
                                            f"arn:aws:states:::aws-sdk:s3:{action} in a Task.")
    error = READER_FAILED if field == "ItemReader" else WRITER_FAILED
    params = dict(parameters) if isinstance(parameters, Mapping) else {}
    for needed in ("Bucket",) + (("Key",) if action != "listObjectsV2" else ()):
        if not isinstance(params.get(needed), str) or not params[needed]:
            raise StatesError(error, f"The {field} parameters need a '{needed}' string; got {params!r}.")
    try:
        if action == "getObject":
            config = context.get("ReaderConfig") or {}
            if is_manifest(config):
                return (yield from _manifest(client, params, config))
            data = yield Blocking(_get_bytes, (client, params))
            return data if config.get("InputType") == "PARQUET" else _text(data)
        if action == "listObjectsV2":
            return (yield from _list(client, params))
        return (yield Blocking(_put, (client, params)))
    except StatesError:
        raise
    except Exception as exc:
        response = getattr(exc, "response", None)
        if isinstance(response, Mapping):
            err = sdk_error(client, "S3", response)
            raise StatesError(error, f"{err.error}: {err.cause}") from None
        raise StatesError(error, f"{type(exc).__name__}: {exc}") from None


def _get_bytes(client: Any, params: Mapping[str, Any]) -> bytes:
    keys = {k: params[k] for k in ("Bucket", "Key", "VersionId") if params.get(k)}
    body = client.get_object(**keys)["Body"]
    try:
        data: bytes = body.read()
    finally:
        body.close()
    return data


def _text(data: bytes) -> str:
    return data.decode("utf-8-sig")


def _unpacked(data: bytes) -> bytes:
    """A gzip file's content (S3 inventory files are ``.csv.gz``; Athena UNLOAD gzips text formats)."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _manifest(client: Any, params: Mapping[str, Any], config: Mapping[str, Any]) -> Gen:
    """The manifest at ``params`` and every file it lists: ``{"Manifest": ..., "Files": [...]}``."""
    text = _text(_unpacked((yield Blocking(_get_bytes, (client, params)))))
    parquet = config.get("InputType") == "PARQUET"
    if config.get("ManifestType") is not None:  # Athena: one s3:// URI a line
        where = []
        for line in text.splitlines():
            uri = line.strip().strip('"')
            if not uri:
                continue
            bucket, sep, key = uri.removeprefix("s3://").partition("/")
            if not uri.startswith("s3://") or not sep or not bucket or not key:
                raise StatesError(READER_FAILED, f"The Athena manifest {params['Key']} lists {uri!r}, "
                                                 "not an s3://bucket/key URI.")
            where.append((bucket, key))
        manifest: Any = None
    else:  # an S3 inventory's manifest.json
        try:
            manifest = json.loads(text)
        except ValueError as exc:
            raise StatesError(READER_FAILED, f"The S3 inventory manifest {params['Key']} is not valid JSON: "
                                             f"{exc}.") from None
        files = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(files, list):
            raise StatesError(READER_FAILED, f"The S3 inventory manifest {params['Key']} has no 'files' list.")
        destination = str(manifest.get("destinationBucket") or params["Bucket"])
        bucket = destination.rsplit(":", 1)[-1]  # arn:aws:s3:::name
        where = [(bucket, str(f.get("key"))) for f in files if isinstance(f, dict) and f.get("key")]
        parquet = False  # an inventory's fileFormat is checked by the parser (only CSV is read)
    contents = []
    for bucket, key in where:
        data = _unpacked((yield Blocking(_get_bytes, (client, {"Bucket": bucket, "Key": key}))))
        contents.append(data if parquet else _text(data))
    return {"Manifest": manifest, "Files": contents}


def _list(client: Any, params: Mapping[str, Any]) -> Gen:
    request = {k: params[k] for k in ("Bucket", "Prefix", "StartAfter", "Delimiter") if params.get(k)}
    items: list[Any] = []
    while True:
        page = yield Blocking(_page, (client, request))
        items.extend(listing_item(obj) for obj in page.get("Contents") or [])
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            return items
        request = {**request, "ContinuationToken": token}


def _page(client: Any, request: Mapping[str, Any]) -> Any:
    return client.list_objects_v2(**request)


def _put(client: Any, params: Mapping[str, Any]) -> dict[str, Any]:
    bucket, key = params["Bucket"], params["Key"]
    body = params.get("Body", "")
    data = body.encode("utf-8") if isinstance(body, str) else body
    upload = params.get("UploadId")
    if params.get("Parts") is not None and upload:
        client.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload,
                                         MultipartUpload={"Parts": list(params["Parts"])})
        return {}
    if params.get("PartNumber") is not None:
        if not upload:
            upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        try:
            part = client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=params["PartNumber"],
                                      Body=data)
        except Exception:
            client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
            raise
        return {"UploadId": upload, "ETag": part["ETag"]}
    client.put_object(Bucket=bucket, Key=key, Body=data)
    return {}
