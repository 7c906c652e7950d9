"""Waiting for ``.sync`` tasks: backoff, watch with a polling fallback, and status polling.

Everything here is a generator of effects: backend calls go out as
:class:`~aslrun.effects.Blocking`, waits as :class:`~aslrun.effects.Sleep` on the execution's
clock. A virtual clock makes the waits free against the fake backend; against a real API the
execution driver makes each wait last its real length, so nothing ever busy-polls a server.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from aslrun.effects import Blocking, Progress, Sleep
from aslrun.errors import StatesError
from aslrun.integrations.eks.backends.base import KubeApi, KubeResponse, WatchUnsupported
from aslrun.integrations.eks.errors import kube_failure, translate
from aslrun.integrations.eks.jobs import finished, job_path, jobs_path, summary
from aslrun.integrations.eks.settings import value

__all__ = ["Backoff", "WaitSettings", "blocking", "pace", "wait_for_job", "wait_for_status"]

Gen = Generator[Any, Any, Any]


@dataclass(frozen=True)
class Backoff:
    """Poll delays: ``first`` seconds, growing by ``factor`` up to ``most`` (AWS: ~60 s growing to ~300 s)."""

    first: float = 2.0
    factor: float = 1.5
    most: float = 30.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * self.factor, self.most)


@dataclass(frozen=True)
class WaitSettings:
    """How ``.sync`` tasks wait; read from the interpreter's ``eks.*`` options."""

    backoff: Backoff = Backoff()
    watch: bool = True
    watch_timeout: float = 20.0
    job_failed_error: str = "States.TaskFailed"

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> WaitSettings:
        first = float(value(options, "eks.poll_interval"))
        return cls(
            Backoff(first, float(value(options, "eks.poll_backoff")),
                    max(first, float(value(options, "eks.poll_max_interval")))),
            bool(value(options, "eks.watch")),
            float(value(options, "eks.watch_timeout")),
            str(value(options, "eks.job_failed_error")),
        )


def blocking(fn: Callable[..., Any], *args: Any, what: str, parameters: Any = None) -> Gen:
    """Run ``fn(*args)`` on a worker thread; its exception comes back as the ASL error for it."""
    try:
        return (yield Blocking(fn, args))
    except Exception as exc:  # Aborted is a BaseException and passes through
        raise translate(exc, what, parameters) from None


def pace(seconds: float) -> Gen:
    """Wait ``seconds`` on the execution's clock (the driver makes a remote backend's waits real time)."""
    yield Sleep(seconds, "eks-poll")


def _get_job(kube: KubeApi, namespace: str, name: str, what: str) -> Gen:
    resp: KubeResponse = yield from blocking(kube.request, "GET", job_path(namespace, name), what=what)
    if not resp.ok:
        raise kube_failure(resp)
    return resp.json()


def wait_for_job(kube: KubeApi, namespace: str, job: dict[str, Any], settings: WaitSettings,
                 label: str) -> Gen:
    """Wait until ``job`` has a Complete or Failed condition; returns the final Job."""
    name = job["metadata"]["name"]
    what = f"{kube.description}"
    delays = settings.backoff.delays()
    watching = settings.watch
    shown = None

    def until(etype: str, obj: dict[str, Any]) -> bool:
        return etype not in ("ADDED", "MODIFIED", "BOOKMARK") or finished(obj) is not None

    while True:
        if finished(job) is not None:
            return job
        now = summary(job)
        if now != shown:
            shown = now
            yield Progress(f"{label}: Job {namespace}/{name} {now}")
        if watching:
            started = time.monotonic()
            query = [("fieldSelector", f"metadata.name={name}")]
            version = job.get("metadata", {}).get("resourceVersion")
            if version:
                query.append(("resourceVersion", str(version)))
            try:
                event = yield Blocking(kube.watch, (jobs_path(namespace), query, settings.watch_timeout, until))
            except WatchUnsupported:
                watching = False
                continue
            except Exception as exc:
                raise translate(exc, what) from None
            if event is not None:
                etype, obj = event
                if etype in ("ADDED", "MODIFIED") and finished(obj) is not None:
                    job = obj
                    continue
                if etype == "HTTP":
                    watching = False  # the GET below reports the error, or polling takes over
            if time.monotonic() - started < 1.0:
                yield from pace(next(delays))
        else:
            yield from pace(next(delays))
        job = yield from _get_job(kube, namespace, name, what)


def wait_for_status(describe: Callable[[], Any], status_of: Callable[[Any], str], target: str | None,
                    failures: frozenset[str], settings: WaitSettings,
                    label: str, what: str) -> Gen:
    """Poll ``describe`` until the status is ``target`` (or the resource is gone when ``target`` is None).

    Returns the last description (the one before it disappeared, for deletes); raises the
    describe's own error, or :class:`Failed` carrying the last description.
    """
    delays = settings.backoff.delays()
    last: Any = None
    shown = None
    while True:
        try:
            described = yield Blocking(describe, ())
        except Exception as exc:
            err = translate(exc, what)
            if target is None and err.error == "EKS.ResourceNotFoundException":
                return last
            raise err from None
        last = described
        status = status_of(described)
        if status != shown:
            shown = status
            yield Progress(f"{label}: {status}")
        if target is not None and status == target:
            return described
        if status in failures:
            raise Failed(described)
        yield from pace(next(delays))


class Failed(StatesError):
    """A resource reached a failure status; ``description`` is its last description."""

    def __init__(self, description: Any) -> None:
        super().__init__("States.TaskFailed", None)
        self.description = description
