"""The ``arn:aws:states:::eks:*`` resources: the optimized Amazon EKS integration of Step Functions.

=========================================  =================================================================
resource                                   what it does
=========================================  =================================================================
``eks:runJob``                             POST the ``Job``; the result is the created Job
``eks:runJob.sync``                        … then wait for its Complete/Failed condition (watch, else poll);
                                           the result is the final Job, with ``logs`` when asked
``eks:call``                               any Kubernetes REST call: ``{ResponseBody, StatusCode, StatusText}``
``eks:createCluster`` (``.sync``)          EKS CreateCluster (… then wait until ACTIVE)
``eks:deleteCluster`` (``.sync``)          EKS DeleteCluster (… then wait until it is gone)
``eks:createNodegroup`` / ``deleteNodegroup`` (``.sync``), ``eks:createFargateProfile`` /
``deleteFargateProfile`` (``.sync``)       the same for node groups and Fargate profiles
=========================================  =================================================================

The plugin is registered through the ``aslrun.integrations`` entry point like any third-party
one; :class:`EksIntegration` is its factory. Where the calls go is the backend's business
(:mod:`aslrun.integrations.eks.backends`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any

from aslrun.effects import Aborted, Blocking, Progress, TaskReply
from aslrun.errors import StatesError
from aslrun.integrations.arn import ResourceArn
from aslrun.integrations.base import TaskRequest
from aslrun.integrations.eks.backends import DEFAULT_BACKEND, ClusterRef, EksBackend, KubeApi, make_backend
from aslrun.integrations.eks.errors import kube_failure, parameter_failure, reason_phrase, resource_failure
from aslrun.integrations.eks.jobs import (
    FAILED_CONTAINERS,
    collect_logs,
    delete_job,
    failed_containers,
    failure_notice,
    finished,
    jobs_path,
)
from aslrun.integrations.eks.params import (
    ParameterError,
    call_params,
    eks_request,
    eks_result,
    run_job_params,
    sdk_metadata,
)
from aslrun.integrations.eks.settings import check as check_settings
from aslrun.integrations.eks.settings import value as settings_value
from aslrun.integrations.eks.waiting import Failed, WaitSettings, blocking, wait_for_job, wait_for_status

__all__ = ["ACTIONS", "EksIntegration", "Lifecycle"]

Gen = Generator[Any, Any, Any]
_NO_DETAILS = {"truncated": False}


@dataclass(frozen=True)
class Lifecycle:
    """One EKS API resource: its operation, how to describe what it made, and when ``.sync`` is done."""

    operation: str
    method: str
    describe: str
    member: str
    kind: str
    ids: Callable[[dict[str, Any]], tuple[str, ...]]
    target: str | None
    failures: frozenset[str]


def _cluster_id(request: dict[str, Any]) -> tuple[str, ...]:
    return (request["name"],)


def _nodegroup_ids(request: dict[str, Any]) -> tuple[str, ...]:
    return request["clusterName"], request["nodegroupName"]


def _profile_ids(request: dict[str, Any]) -> tuple[str, ...]:
    return request["clusterName"], request["fargateProfileName"]


#: action -> what it does; targets and failure statuses are those of the AWS SDK's EKS waiters
ACTIONS: dict[str, Lifecycle] = {
    "createCluster": Lifecycle("CreateCluster", "create_cluster", "describe_cluster", "cluster", "cluster",
                               _cluster_id, "ACTIVE", frozenset({"DELETING", "FAILED"})),
    "deleteCluster": Lifecycle("DeleteCluster", "delete_cluster", "describe_cluster", "cluster", "cluster",
                               _cluster_id, None, frozenset({"ACTIVE", "CREATING", "PENDING", "FAILED"})),
    "createNodegroup": Lifecycle("CreateNodegroup", "create_nodegroup", "describe_nodegroup", "nodegroup",
                                 "node group", _nodegroup_ids, "ACTIVE", frozenset({"CREATE_FAILED"})),
    "deleteNodegroup": Lifecycle("DeleteNodegroup", "delete_nodegroup", "describe_nodegroup", "nodegroup",
                                 "node group", _nodegroup_ids, None, frozenset({"DELETE_FAILED"})),
    "createFargateProfile": Lifecycle("CreateFargateProfile", "create_fargate_profile", "describe_fargate_profile",
                                      "fargateProfile", "Fargate profile", _profile_ids, "ACTIVE",
                                      frozenset({"CREATE_FAILED"})),
    "deleteFargateProfile": Lifecycle("DeleteFargateProfile", "delete_fargate_profile", "describe_fargate_profile",
                                      "fargateProfile", "Fargate profile", _profile_ids, None,
                                      frozenset({"DELETE_FAILED"})),
}
_DESCRIBE_OPERATION = {"cluster": "DescribeCluster", "nodegroup": "DescribeNodegroup",
                       "fargateProfile": "DescribeFargateProfile"}
_KUBE_ACTIONS = ("runJob", "call")


class EksIntegration:
    """The ``eks`` integration plugin: ``EksIntegration(interpreter)`` is its entry-point factory.

    ``backend`` (or the option ``eks.backend``: ``aws``, ``kubeconfig``, ``fake`` or a backend
    object) says where calls go; ``options`` add to the interpreter's options.
    """

    name = "eks"
    #: adds no resource to AWS's: its eks:* actions are AWS's own (validation checks them)
    resources: tuple[str, ...] = ()

    def __init__(self, interpreter: Any = None, *, backend: Any = None, options: Mapping[str, Any] | None = None) -> None:
        self._interpreter = interpreter
        self._extra = dict(options or {})
        if backend is not None:
            self._extra["eks.backend"] = backend
        self._backend: EksBackend | None = None
        self._lock = threading.Lock()
        self._announced: set[str] = set()

    def __repr__(self) -> str:
        return f"EksIntegration(backend={self._choice()!r})"

    @property
    def options(self) -> dict[str, Any]:
        """The interpreter's options (with its region and account) plus this integration's own."""
        interp = self._interpreter
        merged: dict[str, Any] = {}
        if interp is not None:
            merged.update({"region": getattr(interp, "region", None), "account": getattr(interp, "account", None)})
            merged.update(getattr(interp, "options", {}) or {})
        merged.update(self._extra)
        return merged

    def _choice(self) -> Any:
        return self.options.get("eks.backend") or DEFAULT_BACKEND

    @property
    def backend(self) -> EksBackend:
        """The backend, made on first use (unknown names raise ValueError)."""
        with self._lock:
            if self._backend is None:
                options = self.options
                check_settings(options)
                self._backend = make_backend(self._choice(), options)
            return self._backend

    def close(self) -> None:
        """The interpreter's runs are over: close and forget a backend made here from its name.

        Only backends that hold something (a ``close`` method) are dropped; the next run makes a new one.
        The local EKS stops its API servers, every cluster and every Job process with them, so each run
        starts from no clusters and nothing listens after it. A backend object passed in is the
        caller's to close.
        """
        with self._lock:
            backend = self._backend
            close = getattr(backend, "close", None)
            if close is None or not isinstance(self._choice(), str):
                return  # nothing held (the fake and aws backends), or not ours to close
            self._backend = None
            self._announced.clear()
        close()

    @property
    def remote(self) -> bool:
        """True when tasks take real time: a real cluster, or Job containers that really run.

        Then the real clock is the default; only the fake backend and the local one with simulated
        containers keep everything in this process and on the virtual clock.
        """
        choice = self._choice() or DEFAULT_BACKEND
        if isinstance(choice, str):
            if choice == "local":
                options = self.options
                return options.get("eks.local.executor") is not None or settings_value(options, "eks.jobs") != "simulate"
            return choice != "fake"
        return bool(getattr(choice, "remote", True) or getattr(choice, "real_time", False))

    def handles(self, resource: ResourceArn) -> bool:
        """Every optimized ``arn:aws:states:::eks:*`` resource (not ``aws-sdk:eks:*``)."""
        parts = resource.arn.split(":")
        return resource.kind == "integration" and resource.service == "eks" and len(parts) > 5 and parts[5] == "eks"

    def invoke(self, request: TaskRequest) -> Gen:
        """A generator running the task (see :mod:`aslrun.effects`)."""
        return self._run(request)

    def check(self, resource: ResourceArn, parameters: Any) -> None:
        """Raise the ``States.Runtime`` error AWS gives before scheduling a task whose parameters are unusable.

        AWS fails such a task right after TaskStateEntered (no TaskScheduled); ``invoke`` runs the same
        checks, so an engine that does not call this still fails the task, one step later.
        """
        self._supported(resource)
        try:
            if resource.action == "runJob":
                run_job_params(parameters)
            elif resource.action == "call":
                call_params(parameters)
            else:
                eks_request(ACTIONS[resource.action].operation, parameters)
        except ParameterError as exc:
            raise parameter_failure(parameters, str(exc)) from None

    @staticmethod
    def _supported(resource: ResourceArn) -> None:
        action, pattern = resource.action, resource.pattern
        if action not in ACTIONS and action not in _KUBE_ACTIONS:
            known = ", ".join(["runJob", "call", *ACTIONS])
            raise StatesError("States.Runtime", f"The resource '{resource.arn}' is not supported: eks:{action} is not "
                                                f"an Amazon EKS integration of Step Functions (they are: {known})")
        if pattern not in ("", ".sync") or (action == "call" and pattern):
            raise StatesError("States.Runtime", f"The resource '{resource.arn}' is not supported: eks:{action} has "
                                                f"no '{pattern}' pattern (EKS supports request-response"
                                                f"{'' if action == 'call' else ' and .sync'} only)")

    # ------------------------------------------------------------ dispatch

    def _run(self, request: TaskRequest) -> Gen:
        resource = request.resource
        action, pattern = resource.action, resource.pattern
        self._supported(resource)
        try:
            backend = self.backend
        except ValueError as exc:
            raise StatesError("States.Runtime", str(exc)) from None
        use_clock = getattr(backend, "use_clock", None)
        if use_clock is not None and request.clock is not None:
            use_clock(request.clock)  # one clock: the backend's simulated time is the execution's
        settings = WaitSettings.from_options(self.options)
        sync = pattern == ".sync"
        if action == "runJob":
            return (yield from self._run_job(request, backend, settings, sync))
        if action == "call":
            return (yield from self._call(request, backend))
        return (yield from self._lifecycle(request, backend, settings, ACTIONS[action], sync))

    def _kube(self, request: TaskRequest, backend: EksBackend, cluster: ClusterRef) -> Gen:
        kube: KubeApi = yield from blocking(backend.kube, cluster, what=f"cluster {cluster.name}",
                                            parameters=request.parameters)
        key = f"{backend.name}:{cluster.name}"
        if key not in self._announced:
            self._announced.add(key)
            yield Progress(f"{request.state_name}: cluster {cluster.name} via {kube.description}")
        return kube

    # ------------------------------------------------------------ Kubernetes API

    def _call(self, request: TaskRequest, backend: EksBackend) -> Gen:
        try:
            params = call_params(request.parameters)
        except ParameterError as exc:
            raise parameter_failure(request.parameters, str(exc)) from None
        kube = yield from self._kube(request, backend, params.cluster)
        resp = yield from blocking(kube.request, params.method, params.path, params.query, params.body,
                                   params.content_type, what=kube.description, parameters=request.parameters)
        if not resp.ok:
            raise kube_failure(resp)
        return {"ResponseBody": resp.json(), "StatusCode": resp.status,
                "StatusText": resp.reason or reason_phrase(resp.status)}

    def _run_job(self, request: TaskRequest, backend: EksBackend, settings: WaitSettings, sync: bool) -> Gen:
        try:
            params = run_job_params(request.parameters)
        except ParameterError as exc:
            raise parameter_failure(request.parameters, str(exc)) from None
        kube = yield from self._kube(request, backend, params.cluster)
        body = json.dumps(params.job, ensure_ascii=False).encode()
        resp = yield from blocking(kube.request, "POST", jobs_path(params.namespace), (), body, "application/json",
                                   what=kube.description, parameters=request.parameters)
        if not resp.ok:
            raise kube_failure(resp)
        created = resp.json()
        if not sync:
            return created
        ns, name = params.namespace, created["metadata"]["name"]
        label = request.state_name
        submitted = [("TaskSubmitted", "taskSubmittedEventDetails", {"output": created, "outputDetails": _NO_DETAILS})]
        try:
            job = yield from wait_for_job(kube, ns, created, settings, label)
            result = dict(job)
            if params.logs.retrieve:
                result["logs"] = yield from blocking(collect_logs, kube, ns, job, params.logs, what=kube.description)
            condition = finished(job) or {}
            if condition.get("type") == "Failed":
                # Jobs run on this machine: say why in the cause (an extra key; AWS's cause is the Job alone).
                failures = [] if backend.remote else (yield Blocking(failed_containers, (kube, ns, job)))
                if failures:
                    result[FAILED_CONTAINERS] = failures
                yield Progress(f"{label}: Job {ns}/{name} Failed ({condition.get('reason', 'no reason given')})"
                               + failure_notice(failures))
                raise resource_failure(result, settings.job_failed_error)
            yield Progress(f"{label}: Job {ns}/{name} Complete")
            return TaskReply(result, submitted)
        except StatesError as err:
            err.extra.setdefault("events", submitted)
            raise
        except Aborted:
            # Stopped (Ctrl-C, StopExecution) or timed out: take the Job and its pods down with the task.
            yield Progress(f"{label}: stopped; deleting Job {ns}/{name} (propagationPolicy Foreground)")
            yield Progress(f"{label}: " + (yield Blocking(delete_job, (kube, ns, name))))
            raise

    # ------------------------------------------------------------ EKS API

    def _lifecycle(self, request: TaskRequest, backend: EksBackend, settings: WaitSettings, spec: Lifecycle,
                   sync: bool) -> Gen:
        try:
            eks = eks_request(spec.operation, request.parameters)
        except ParameterError as exc:
            raise parameter_failure(request.parameters, str(exc)) from None
        control = yield from blocking(backend.control_plane, what="the EKS API")
        ids = spec.ids(eks)
        if spec.method.startswith("create"):
            response = yield from blocking(getattr(control, spec.method), eks, what="the EKS API")
        else:
            response = yield from blocking(getattr(control, spec.method), *ids, what="the EKS API")
        started = {**eks_result(spec.operation, response), **sdk_metadata(response)}
        if not sync:
            return started
        label = f"{request.state_name}: {spec.kind} {'/'.join(ids)}"
        submitted = [("TaskSubmitted", "taskSubmittedEventDetails", {"output": started, "outputDetails": _NO_DETAILS})]
        describe_op = _DESCRIBE_OPERATION[spec.member]
        describe = getattr(control, spec.describe)
        try:
            final = yield from wait_for_status(
                lambda: describe(*ids), lambda d: d[spec.member]["status"], spec.target, spec.failures,
                settings, label, "the EKS API")
        except Failed as failed:
            err = resource_failure(eks_result(describe_op, failed.description))
            err.extra["events"] = submitted
            raise err from None
        except StatesError as err:
            err.extra.setdefault("events", submitted)
            raise
        except Aborted:
            yield Progress(f"{label}: stopped waiting; the {spec.kind} is left as it is (Step Functions does not "
                           "delete or roll back EKS resources when an execution stops)")
            raise
        if final is None:  # deleted before the first describe
            final = {spec.member: response[spec.member]}
        return TaskReply(eks_result(describe_op, final), submitted)
