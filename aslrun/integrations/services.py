"""What Step Functions itself checks in an optimized integration's parameters, before it schedules the Task.

AWS validates a Task's resolved parameters against the integration's request shape before any
``TaskScheduled`` event: parameters it cannot use fail the state with ``States.Runtime``, cause
``The Parameters '<the parameters as JSON>' could not be used to start the Task: [<reason>]``
(``aws-integrations.md`` §3.8; recorded: ``test_invoke_with_headers_singleStringHeader``). The check
is the service's, not the integration's that does the work: it applies to a mocked Task too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aslrun.dataflow import compact_json
from aslrun.errors import StatesError
from aslrun.integrations.arn import ResourceArn

__all__ = ["check_service_parameters", "parameter_failure"]


def parameter_failure(parameters: Any, reason: str) -> StatesError:
    """Parameters the service cannot use -> ``States.Runtime`` in AWS's recorded wording."""
    return StatesError("States.Runtime",
                       f"The Parameters '{compact_json(parameters)}' could not be used to start the Task: [{reason}]")


def _string_lists(parameters: Mapping[str, Any], field: str) -> str | None:
    """``Headers``/``QueryParameters``: an object whose values are arrays of strings."""
    value = parameters.get(field)
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(
        isinstance(v, list) and all(isinstance(s, str) for s in v) for v in value.values()
    ):
        return f"The value of the field '{field}' has an invalid format"
    return None


def _api_gateway_invoke(parameters: Any) -> str | None:
    if not isinstance(parameters, Mapping):
        return None
    for field in ("Headers", "QueryParameters"):
        reason = _string_lists(parameters, field)
        if reason is not None:
            return reason
    return None


#: (service, action) -> a check giving the reason the parameters are unusable, or None
_CHECKS: dict[tuple[str, str], Callable[[Any], str | None]] = {
    ("apigateway", "invoke"): _api_gateway_invoke,
}


def check_service_parameters(resource: ResourceArn, parameters: Any) -> None:
    """Raise AWS's ``States.Runtime`` when Step Functions would refuse these parameters for ``resource``."""
    if resource.kind != "integration" or resource.arn.split(":")[5] == "aws-sdk":
        return
    check = _CHECKS.get((resource.service, resource.action))
    if check is None:
        return
    reason = check(parameters)
    if reason is not None:
        raise parameter_failure(parameters, reason)
