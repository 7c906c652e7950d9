"""``arn:aws:states:::aws-sdk:<service>:<action>``: any operation botocore knows (``aws-integrations.md`` §2).

Names: the service is the AWS SDK for Java v2 id (``sfn``, ``eventbridge``), mapped to botocore's; the action
is the operation with its first letter lower-cased; parameters and results use PascalCase member names, also
for APIs whose members are camelCase (``sfn``: ``StateMachineArn`` in, ``ExecutionArn`` out); map keys are
kept as they are. A non-string
value for a string member is sent as its compact JSON text, and a blob member always receives the compact
JSON text of the value (strings included). Results drop ``ResponseMetadata``; errors are
``<Prefix>.<Name>Exception`` with the SDK v2 cause.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from aslrun.effects import Blocking
from aslrun.errors import StatesError
from aslrun.integrations.aws.shapes import json_text, plain, sdk_error

__all__ = ["SDK_SERVICES", "botocore_service", "error_prefix", "request_value", "result_value", "sdk_call"]

#: SDK v2 ids that are not botocore's name with hyphens dropped (aws-integrations.md §2.1)
SDK_SERVICES = {
    "sfn": "stepfunctions", "eventbridge": "events", "cloudwatchlogs": "logs", "costexplorer": "ce",
    "cognitoidentityprovider": "cognito-idp", "elasticloadbalancing": "elb", "elasticloadbalancingv2": "elbv2",
    "migrationhub": "mgh", "databasemigration": "dms", "directory": "ds", "lexmodelsv2": "lexv2-models",
    "cognitoidentity": "cognito-identity", "lexruntimev2": "lexv2-runtime", "applicationautoscaling":
    "application-autoscaling", "eventbridgescheduler": "scheduler", "cloudwatchevents": "events",
}
#: the DG's "Exception prefix" where it is not the id with its first letter upper-cased
_PREFIXES = {
    "dynamodb": "DynamoDb", "sfn": "Sfn", "s3": "S3", "secretsmanager": "SecretsManager", "sqs": "Sqs",
    "sns": "Sns", "lambda": "Lambda", "eventbridge": "EventBridge", "cloudwatchlogs": "CloudWatchLogs",
    "ec2": "Ec2", "iam": "Iam", "kms": "Kms", "sts": "Sts", "ssm": "Ssm", "ecs": "Ecs", "xray": "XRay",
    "apigateway": "ApiGateway", "sesv2": "SesV2", "s3control": "S3Control", "athena": "Athena",
    "cloudwatch": "CloudWatch", "kinesis": "Kinesis", "firehose": "Firehose", "ecr": "Ecr", "rds": "Rds",
    "glue": "Glue", "batch": "Batch", "ses": "Ses", "acm": "Acm", "ssmincidents": "SsmIncidents",
}


def botocore_service(service: str) -> str:
    """botocore's name for an ``aws-sdk`` service id (``sfn`` -> ``stepfunctions``)."""
    if service in SDK_SERVICES:
        return SDK_SERVICES[service]
    import boto3

    available = boto3.session.Session().get_available_services()
    if service in available:
        return service
    return next((name for name in available if name.replace("-", "") == service), service)


def error_prefix(service: str) -> str:
    """The error name prefix of an ``aws-sdk`` service (``dynamodb`` -> ``DynamoDb``)."""
    return _PREFIXES.get(service, service[:1].upper() + service[1:])


def _operation(client: Any, service: str, action: str) -> tuple[str, Any]:
    """(python method name, operation model) of ``action``; unknown -> States.Runtime."""
    operation = action[:1].upper() + action[1:]
    mapping = {api: method for method, api in client.meta.method_to_api_mapping.items()}
    if operation not in mapping:
        raise StatesError("States.Runtime", f"The resource provided arn:aws:states:::aws-sdk:{service}:{action} "
                                            f"is not recognized: {service} has no operation {operation}")
    return mapping[operation], client.meta.service_model.operation_model(operation)


def request_value(shape: Any, value: Any) -> Any:
    """A parameter value as the service takes it (JSON text for string and blob members, §2.2)."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        named = {_member(shape, k): v for k, v in value.items()}
        return {k: request_value(shape.members.get(k), v) for k, v in named.items()}
    if kind == "list" and isinstance(value, list):
        return [request_value(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: request_value(shape.value, v) for k, v in value.items()}
    if kind == "blob" and value is not None:
        return json_text(value).encode("utf-8")
    if kind == "string" and value is not None and not isinstance(value, str):
        return json_text(value)
    return value


def _member(shape: Any, key: str) -> str:
    """The member of ``shape`` a PascalCase parameter names (``StateMachineArn`` -> ``stateMachineArn``)."""
    if key in shape.members:
        return key
    lowered = key[:1].lower() + key[1:]
    return lowered if lowered in shape.members else key


def result_value(shape: Any, value: Any) -> Any:
    """A result with PascalCase structure member names, as Step Functions' SDK integrations return it."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        return {k[:1].upper() + k[1:]: result_value(shape.members.get(k), v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [result_value(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: result_value(shape.value, v) for k, v in value.items()}
    return value


def sdk_call(client: Any, service: str, action: str, parameters: Any,
             attempt_count: bool = False) -> Generator[Any, Any, Any]:
    """Call one ``aws-sdk`` operation through the driver's Blocking effect; its result or its error."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    method, operation = _operation(client, service, action)
    params = request_value(operation.input_shape, parameters or {})
    prefix = error_prefix(service)
    try:
        response = yield Blocking(getattr(client, method), ()) if not params else Blocking(
            _call_with, (getattr(client, method), params))
    except ClientError as exc:
        raise sdk_error(client, prefix, exc.response, attempt_count) from None
    except ParamValidationError as exc:
        raise StatesError(f"{prefix}.{prefix}Exception", str(exc).replace("\n", " ")) from None
    except BotoCoreError as exc:
        raise StatesError(f"{prefix}.SdkClientException", f"Unable to execute HTTP request: {exc}") from None
    return result_value(operation.output_shape, plain(response))


def _call_with(method: Any, params: Mapping[str, Any]) -> Any:
    return method(**params)
