"""The optimized integrations: ``dynamodb:*Item``, ``sqs:sendMessage``, ``sns:publish``, ``events:putEvents``.

Request-response only here (``aws-integrations.md`` §3.4–§3.7). Results are the API's output with the
``SdkHttpMetadata``/``SdkResponseMetadata`` members AWS adds (not for ``events:putEvents``); errors use the
SDK-for-Java-v1 names (``DynamoDB.ConditionalCheckFailedException``, ``SQS.AmazonSQSException``).
"""

from __future__ import annotations

import uuid
from collections.abc import Generator, Mapping
from typing import Any

from aslrun.effects import Blocking
from aslrun.errors import StatesError
from aslrun.integrations.aws.shapes import json_text, plain, sdk_metadata, v1_error, v1_failure

__all__ = ["OPTIMIZED", "optimized_call"]

#: (service, action) -> (botocore service, client method, error prefix, SDK v1 service name)
OPTIMIZED: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("dynamodb", "getItem"): ("dynamodb", "get_item", "DynamoDB", "AmazonDynamoDBv2"),
    ("dynamodb", "putItem"): ("dynamodb", "put_item", "DynamoDB", "AmazonDynamoDBv2"),
    ("dynamodb", "updateItem"): ("dynamodb", "update_item", "DynamoDB", "AmazonDynamoDBv2"),
    ("dynamodb", "deleteItem"): ("dynamodb", "delete_item", "DynamoDB", "AmazonDynamoDBv2"),
    ("sqs", "sendMessage"): ("sqs", "send_message", "SQS", "AmazonSQS"),
    ("sns", "publish"): ("sns", "publish", "SNS", "AmazonSNS"),
    ("events", "putEvents"): ("events", "put_events", "EventBridge", "AmazonEventBridge"),
}


def _as_text(params: dict[str, Any], key: str) -> None:
    if key in params and params[key] is not None and not isinstance(params[key], str):
        params[key] = json_text(params[key])


def _request(service: str, params: dict[str, Any], arns: tuple[str, str]) -> dict[str, Any]:
    """The parameters as the service takes them (JSON text for bodies, §3.5–§3.7)."""
    if service == "sqs":
        if params.get("MessageBody") is None:
            raise v1_failure("SQS", "AmazonSQS", "AmazonSQSException", "MissingParameter",
                             "The request must contain the parameter MessageBody.", 400, str(uuid.uuid4()))
        _as_text(params, "MessageBody")
    elif service == "sns":
        _as_text(params, "Message")
    elif service == "events":
        entries = []
        for entry in params.get("Entries") or []:
            entry = dict(entry)
            _as_text(entry, "Detail")
            entry["Resources"] = [*(entry.get("Resources") or []), *[a for a in arns if a]]
            entries.append(entry)
        params["Entries"] = entries
    return params


def _result(service: str, response: Mapping[str, Any]) -> Any:
    result = plain(response)
    if service == "events":
        if result.get("FailedEntryCount", 0) > 0:
            raise StatesError("EventBridge.FailedEntry", json_text(result))
        return result
    if service == "sqs":
        result = {("MD5Of" + k[5:] if k.startswith("Md5Of") else k): v for k, v in result.items()}
    return {**result, **sdk_metadata(response)}


def optimized_call(client: Any, service: str, action: str, parameters: Any,
                   arns: tuple[str, str] = ("", "")) -> Generator[Any, Any, Any]:
    """Call one optimized integration (``arns``: the state machine's and the execution's, for putEvents)."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    _, method, prefix, v1_name = OPTIMIZED[(service, action)]
    params = _request(service, dict(parameters or {}), arns)
    try:
        response = yield Blocking(_call_with, (getattr(client, method), params))
    except ClientError as exc:
        raise v1_error(client, prefix, v1_name, exc.response) from None
    except ParamValidationError as exc:
        raise v1_failure(prefix, v1_name, f"Amazon{prefix}Exception" if prefix != "EventBridge" else
                         "AmazonEventBridgeException", "ValidationException", str(exc).replace("\n", " "),
                         400, str(uuid.uuid4())) from None
    except BotoCoreError as exc:
        raise StatesError(f"{prefix}.SdkClientException", f"Unable to execute HTTP request: {exc}") from None
    return _result(service, response)


def _call_with(method: Any, params: Mapping[str, Any]) -> Any:
    return method(**params)
