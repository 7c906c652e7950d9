"""Reading Task ``Resource`` ARNs: which service, which API, which pattern."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ResourceArn", "parse_resource", "resource_type_and_name"]

_PATTERNS = (".sync:2", ".sync", ".waitForTaskToken")


@dataclass(frozen=True, slots=True)
class ResourceArn:
    """A parsed Task resource.

    ``kind`` is ``integration`` (``arn:aws:states:::service:api[.pattern]``),
    ``lambda-arn`` (a Lambda function ARN used directly), ``activity`` or ``other``.
    """

    arn: str
    kind: str
    service: str = ""
    action: str = ""
    pattern: str = ""

    @property
    def api(self) -> str:
        """``runJob.sync`` — the part after the service, as history events show it."""
        return self.action + self.pattern


def parse_resource(arn: str) -> ResourceArn:
    """Split a Resource into its parts; never raises."""
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "states" and parts[5] == "activity":
        return ResourceArn(arn, "activity", "activity", parts[6] if len(parts) > 6 else "")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "lambda" and parts[5] == "function":
        return ResourceArn(arn, "lambda-arn", "lambda", "invoke")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "states" and parts[3] == "" and parts[4] == "":
        service = parts[5]
        rest = ":".join(parts[6:])
        pattern = ""
        for p in _PATTERNS:
            if rest.endswith(p):
                pattern = p
                rest = rest[: -len(p)]
                break
        if service == "aws-sdk":
            # arn:aws:states:::aws-sdk:s3:getObject -> service "s3", action "getObject"
            sdk_service, _, action = rest.partition(":")
            return ResourceArn(arn, "integration", sdk_service, action, pattern)
        return ResourceArn(arn, "integration", service, rest, pattern)
    return ResourceArn(arn, "other", "", arn)


def resource_type_and_name(arn: str) -> tuple[str, str]:
    """(resourceType, resource) as history events show them: ``("eks", "runJob.sync")``."""
    parsed = parse_resource(arn)
    if parsed.kind == "lambda-arn":
        return "lambda-arn", arn
    if parsed.kind == "activity":
        return "activity", arn
    if parsed.kind == "integration":
        if parsed.arn.split(":")[5] == "aws-sdk":
            # AWS records SDK integrations as resourceType "aws-sdk:s3", resource "getObject".
            return f"aws-sdk:{parsed.service}", parsed.api
        return parsed.service, parsed.api
    return "other", arn
