"""Invoking a Lambda function that no local handler is bound to, through boto3 (``--aws real`` or a URL).

:func:`remote_invoke` makes the ``Invoke`` call on the run's AWS target and returns what
:mod:`aslrun.integrations.aws.lambdas` shapes into the Task's result; a service error becomes the
optimized integration's SDK-v1 error (``Lambda.ResourceNotFoundException``, cause
``<message> (Service: AWSLambda; Status Code: 404; Error Code: ...; Request ID: ...; Proxy: null)``,
``aws-integrations.md`` §3.1, §3.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aslrun.errors import StatesError

__all__ = ["RemoteReply", "remote_invoke"]


@dataclass(frozen=True)
class RemoteReply:
    """What the Invoke API answered."""

    payload: str
    request_id: str
    status_code: int
    executed_version: str
    function_error: str | None = None
    log_result: str | None = None


def remote_invoke(options: dict[str, Any], region: str, account: str, function_name: str, qualifier: str | None,
                  body: str, invocation_type: str, log_type: str | None, client_context: str | None) -> RemoteReply:
    """Call ``lambda:Invoke`` on the target the run's options choose for Lambda (blocking; run it on a thread)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from aslrun.integrations.aws.target import client_for

    client = client_for("lambda", options, region=region, account=account)
    kwargs: dict[str, Any] = {"FunctionName": function_name, "Payload": body.encode(),
                              "InvocationType": invocation_type}
    if qualifier:
        kwargs["Qualifier"] = qualifier
    if log_type:
        kwargs["LogType"] = log_type
    if client_context:
        kwargs["ClientContext"] = client_context
    try:
        response = client.invoke(**kwargs)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code = error.get("Code", "AWSLambdaException")
        name = code if code.endswith("Exception") else "AWSLambdaException"
        raise StatesError(
            f"Lambda.{name}",
            f"{error.get('Message', '')} (Service: AWSLambda; Status Code: {meta.get('HTTPStatusCode', 400)}; "
            f"Error Code: {code}; Request ID: {meta.get('RequestId', '')}; Proxy: null)") from None
    except BotoCoreError as exc:
        raise StatesError("Lambda.SdkClientException", f"Unable to execute HTTP request: {exc}") from None
    stream = response.get("Payload")
    payload = stream.read().decode("utf-8", "replace") if stream is not None else ""
    return RemoteReply(payload, response.get("ResponseMetadata", {}).get("RequestId", ""),
                       int(response.get("StatusCode", 200)), response.get("ExecutedVersion", "$LATEST"),
                       response.get("FunctionError"), response.get("LogResult"))
