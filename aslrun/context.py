"""The Context object (``$$`` in JSONPath, ``$states.context`` in JSONata).

The execution-level part is built once; the state-level part only when an
expression reads ``$$``, which most states never do.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from aslrun import defaults

__all__ = ["ContextFactory", "execution_arn", "iso_millis", "state_machine_arn"]


def iso_millis(moment: datetime | float | None) -> str | None:
    """``2019-03-26T20:14:13.192Z``: ISO 8601 in UTC with milliseconds, as AWS writes it."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    else:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def state_machine_arn(name: str, region: str = defaults.REGION, account: str = defaults.ACCOUNT_ID,
                      partition: str = defaults.PARTITION) -> str:
    return f"arn:{partition}:states:{region}:{account}:stateMachine:{name}"


def execution_arn(machine: str, execution: str, region: str = defaults.REGION,
                  account: str = defaults.ACCOUNT_ID, partition: str = defaults.PARTITION) -> str:
    return f"arn:{partition}:states:{region}:{account}:execution:{machine}:{execution}"


class ContextFactory:
    """Builds context objects for one execution."""

    def __init__(
        self,
        machine_name: str,
        execution_name: str,
        input: Any,
        start_time: datetime | float,
        role_arn: str = defaults.ROLE_ARN,
        region: str = defaults.REGION,
        account: str = defaults.ACCOUNT_ID,
        partition: str = defaults.PARTITION,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.machine_name = machine_name
        self.execution_name = execution_name
        self.role_arn = role_arn
        self.region = region
        self.account = account
        self.partition = partition
        self.machine_arn = state_machine_arn(machine_name, region, account, partition)
        self.execution_arn = execution_arn(machine_name, execution_name, region, account, partition)
        self.execution = {
            "Id": self.execution_arn,
            "Input": input,
            "StartTime": iso_millis(start_time),
            "Name": execution_name,
            "RoleArn": role_arn,
            "RedriveCount": 0,
        }
        self.state_machine = {"Id": self.machine_arn, "Name": machine_name}
        self.extra = extra or {}
        self._last_moment: Any = None
        self._last_iso: str | None = None

    def _base(self) -> dict[str, Any]:
        ctx: dict[str, Any] = {"Execution": self.execution, "StateMachine": self.state_machine}
        if self.extra:
            ctx = _merge(ctx, copy.deepcopy(self.extra))
        return ctx

    def _iso(self, moment: datetime | float | None) -> str | None:
        # A Map formats its entered time once per item; remember the last one.
        if moment is not self._last_moment:
            self._last_moment = moment
            self._last_iso = iso_millis(moment)
        return self._last_iso

    def state_context(self, name: str, entered: datetime | float | None, retry_count: int | None,
                      task_token: str | None = None) -> dict[str, Any]:
        """The context object while a state runs. ``RetryCount`` appears in Task states only."""
        ctx = self._base()
        state: dict[str, Any] = {"EnteredTime": self._iso(entered), "Name": name}
        if retry_count is not None:
            state["RetryCount"] = retry_count
        ctx["State"] = state
        if task_token is not None:
            ctx["Task"] = {"Token": task_token}
        return ctx

    def map_item_context(self, name: str, entered: datetime | float | None, index: int, value: Any) -> dict[str, Any]:
        """The context object while a Map's ItemSelector is evaluated."""
        ctx = self.state_context(name, entered, None)
        ctx["Map"] = {"Item": {"Index": index, "Value": value}}
        return ctx

    def map_run_arn(self, label: str, counter: int) -> str:
        return (
            f"arn:{self.partition}:states:{self.region}:{self.account}:mapRun:"
            f"{self.machine_name}/{label}:{self.execution_name}-{counter}"
        )


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out
