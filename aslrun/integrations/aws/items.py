"""The S3 calls of a Distributed Map: its ItemReader (``s3:getObject``, ``s3:listObjectsV2``) and
ResultWriter (``s3:putObject``).

Why an ``Invoke`` and not a ``Blocking`` call: the Map runner (:mod:`aslrun.map`) stays pure by
yielding :class:`~aslrun.effects.Invoke` with these resources, and the driver answers it as it
answers a Task, so the run's policy, a MockConfigFile test case (``--hybrid``) and the AWS target
(embedded moto, an endpoint URL, real AWS) all apply. The request's ``context`` is
``{"Field": "ItemReader"}`` or ``{"Field": "ResultWriter"}``: these resources are not Task
resources, and a Task naming one is refused.

Replies: ``getObject`` gives the object's text (parsed by :func:`aslrun.items.read_items` in the
runner, row by row), ``listObjectsV2`` the list of items of every page (``Prefix``, pagination by
continuation token), ``putObject`` ``{}``. A failing call becomes ``States.ItemReaderFailed`` or
``States.ResultWriterFailed`` whose cause is the S3 error as an ``aws-sdk`` Task would name it
(``S3.NoSuchBucketException: The specified bucket does not exist (Service: S3, ...)``).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from aslrun.effects import Blocking
from aslrun.errors import StatesError
from aslrun.integrations.aws.shapes import sdk_error
from aslrun.items import READER_FAILED, WRITER_FAILED, listing_item

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
            return (yield Blocking(_get_text, (client, params)))
        if action == "listObjectsV2":
            return (yield from _list(client, params))
        yield Blocking(_put, (client, params))
        return {}
    except StatesError:
        raise
    except Exception as exc:
        response = getattr(exc, "response", None)
        if isinstance(response, Mapping):
            err = sdk_error(client, "S3", response)
            raise StatesError(error, f"{err.error}: {err.cause}") from None
        raise StatesError(error, f"{type(exc).__name__}: {exc}") from None


def _get_text(client: Any, params: Mapping[str, Any]) -> str:
    keys = {k: params[k] for k in ("Bucket", "Key", "VersionId") if params.get(k)}
    body = client.get_object(**keys)["Body"]
    try:
        data: bytes = body.read()
    finally:
        body.close()
    return data.decode("utf-8-sig")


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


def _put(client: Any, params: Mapping[str, Any]) -> Any:
    body = params.get("Body", "")
    return client.put_object(Bucket=params["Bucket"], Key=params["Key"],
                             Body=body.encode("utf-8") if isinstance(body, str) else body)
