"""The ``fake`` backend: an in-memory EKS control plane and Kubernetes API, for tests (yours and aslrun's).

Nothing leaves the process and nothing runs. Clusters, node groups and Fargate profiles go
through CREATING → ACTIVE and DELETING → gone over ``transitions`` describe calls, or end in a
failure status named in ``failures``. Each cluster has a Kubernetes API that keeps any
object (``eks:call``) in the emulator's :class:`~aslrun.kube.store.Store`, lists with its label
and field selectors, patches with its merge patch, deletes with a propagation policy, and runs
Jobs with a make-believe controller (no threads, no HTTP): a Job gets one pod, which succeeds or
fails after ``polls`` reads of the Job, with the log lines you give::

    backend = FakeBackend(jobs={"example-job": FakeJob(logs={"pi-20": '{"pi": 3.14}'})})
    aslrun.Interpreter(options={"eks.backend": backend}).run(machine)

``backend.requests`` records every Kubernetes call as ``(cluster, method, path, query)``.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aslrun.integrations.eks.backends.base import ClusterRef, EksApiError, KubeResponse, WatchUnsupported
from aslrun.kube.patch import merge_patch
from aslrun.kube.resources import Registry, ResourceType
from aslrun.kube.selectors import field_selector, label_selector
from aslrun.kube.status import ApiError, already_exists, conflict, not_found, status_body, success
from aslrun.kube.store import Store

__all__ = ["FakeBackend", "FakeControlPlane", "FakeJob", "FakeKube"]

_FAKE_CA = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nZmFrZSBjZXJ0aWZpY2F0ZSBvZiB0aGUgYXNscnVuIGZha2UgYmFja2VuZA==\n"
    b"-----END CERTIFICATE-----\n").decode()
_JOBS, _PODS, _NAMESPACES = ("batch", "jobs"), ("", "pods"), ("", "namespaces")  # storage keys
_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 415: "Unsupported Media Type",
            422: "Unprocessable Entity"}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamp() -> str:
    return _now().strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeJob:
    """How a fake Job ends: ``succeed``, after ``polls`` reads, with these container ``logs``.

    ``log_errors`` maps container names to the HTTP status their log request gets.
    """

    succeed: bool = True
    polls: int = 1
    logs: Mapping[str, str] = field(default_factory=dict)
    log_errors: Mapping[str, int] = field(default_factory=dict)
    reason: str = "BackoffLimitExceeded"


# ---------------------------------------------------------------- control plane


class FakeControlPlane:
    """EKS clusters, node groups and Fargate profiles in memory (camelCase dicts, like boto3)."""

    def __init__(self, region: str = "us-east-1", account: str = "111111111111", transitions: int = 1,
                 failures: Mapping[str, str] | None = None, rng: random.Random | None = None) -> None:
        self.region, self.account, self.transitions = region, account, transitions
        #: ``"cluster/NAME"``, ``"nodegroup/CLUSTER/NAME"``, ``"fargateprofile/CLUSTER/NAME"`` -> final status
        self.failures = dict(failures or {})
        self.resources: dict[str, dict[str, Any]] = {}
        self._ticks: dict[str, int] = {}
        self._rng = rng or random.Random(0)
        self._lock = threading.Lock()
        #: every call as (operation, argument)
        self.calls: list[tuple[str, Any]] = []

    def _meta(self, status: int = 200) -> dict[str, Any]:
        rid = _uuid(self._rng)
        return {"RequestId": rid, "HTTPStatusCode": status,
                "HTTPHeaders": {"content-type": "application/json", "x-amzn-requestid": rid}}

    def _arn(self, kind: str, *names: str) -> str:
        suffix = "/".join(names)
        if kind != "cluster":
            suffix += "/" + _uuid(self._rng)
        return f"arn:aws:eks:{self.region}:{self.account}:{kind}/{suffix}"

    def _get(self, key: str, message: str) -> dict[str, Any]:
        found = self.resources.get(key)
        if found is None:
            raise EksApiError("ResourceNotFoundException", message, 404)
        return found

    def _advance(self, key: str) -> None:
        """One describe: a resource in transition gets one step closer to its next status."""
        res = self.resources[key]
        if res["status"] not in ("CREATING", "DELETING"):
            return
        self._ticks[key] = self._ticks.get(key, 0) + 1
        if self._ticks[key] < self.transitions:
            return
        self._ticks.pop(key)
        failure = self.failures.get(key)
        if res["status"] == "CREATING":
            if failure in ("FAILED", "CREATE_FAILED"):
                res["status"] = failure
                return
            res["status"] = "ACTIVE"
            if key.startswith("cluster/"):
                res["endpoint"] = f"https://{self._rng.getrandbits(64):016X}.gr7.{self.region}.eks.amazonaws.com"
                res["certificateAuthority"] = {"data": _FAKE_CA}
        elif failure in ("FAILED", "DELETE_FAILED"):
            res["status"] = failure
        else:
            del self.resources[key]

    def _create(self, key: str, body: dict[str, Any], exists: str) -> dict[str, Any]:
        if key in self.resources:
            raise EksApiError("ResourceInUseException", exists, 409)
        body["status"] = "ACTIVE" if self.transitions <= 0 else "CREATING"
        self.resources[key] = body
        return copy.deepcopy(body)

    def _require_active(self, cluster: str) -> None:
        res = self._get(f"cluster/{cluster}", f"No cluster found for name: {cluster}.")
        if res["status"] != "ACTIVE":
            raise EksApiError("InvalidRequestException", f"Cluster '{cluster}' is not in ACTIVE status", 400)

    @staticmethod
    def _check_role(value: str, what: str) -> None:
        if not value.startswith("arn:"):
            raise EksApiError("InvalidParameterException", f"Invalid {what}: '{value}'", 400)

    def create_cluster(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("CreateCluster", request))
            name = request["name"]
            self._check_role(request["roleArn"], "Role Arn")
            vpc = request.get("resourcesVpcConfig", {})
            access = request.get("accessConfig", {})
            body = {
                "name": name, "arn": self._arn("cluster", name), "createdAt": _now(),
                "version": request.get("version", "1.31"), "roleArn": request["roleArn"],
                "resourcesVpcConfig": {
                    "subnetIds": vpc.get("subnetIds", []), "securityGroupIds": vpc.get("securityGroupIds", []),
                    "vpcId": f"vpc-{self._rng.getrandbits(68):017x}",
                    "endpointPublicAccess": vpc.get("endpointPublicAccess", True),
                    "endpointPrivateAccess": vpc.get("endpointPrivateAccess", False),
                    "publicAccessCidrs": vpc.get("publicAccessCidrs", ["0.0.0.0/0"]),
                },
                "kubernetesNetworkConfig": {"serviceIpv4Cidr": "10.100.0.0/16", "ipFamily": "ipv4"},
                "logging": request.get("logging", {"clusterLogging": [{"types": ["api", "audit",
                                       "authenticator", "controllerManager", "scheduler"], "enabled": False}]}),
                "certificateAuthority": {}, "platformVersion": "eks.1", "tags": request.get("tags", {}),
                "accessConfig": {"authenticationMode": access.get("authenticationMode", "CONFIG_MAP"),
                                 "bootstrapClusterCreatorAdminPermissions":
                                     access.get("bootstrapClusterCreatorAdminPermissions", True)},
            }
            cluster = self._create(f"cluster/{name}", body, f"Cluster already exists with name: {name}")
            return {"cluster": cluster, "ResponseMetadata": self._meta()}

    def describe_cluster(self, name: str) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("DescribeCluster", name))
            key = f"cluster/{name}"
            self._get(key, f"No cluster found for name: {name}.")
            self._advance(key)
            found = self._get(key, f"No cluster found for name: {name}.")
            return {"cluster": copy.deepcopy(found), "ResponseMetadata": self._meta()}

    def delete_cluster(self, name: str) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("DeleteCluster", name))
            res = self._get(f"cluster/{name}", f"No cluster found for name: {name}.")
            for kind, label in (("nodegroup", "nodegroups"), ("fargateprofile", "Fargate profiles")):
                if any(k.startswith(f"{kind}/{name}/") for k in self.resources):
                    raise EksApiError("ResourceInUseException", f"Cluster has {label} attached", 409)
            res["status"] = "DELETING" if self.transitions > 0 else res["status"]
            out = copy.deepcopy(res)
            if self.transitions <= 0:
                del self.resources[f"cluster/{name}"]
            return {"cluster": out, "ResponseMetadata": self._meta()}

    def _delete_child(self, key: str, message: str, op: str, arg: Any) -> dict[str, Any]:
        self.calls.append((op, arg))
        res = self._get(key, message)
        if self.transitions <= 0:
            del self.resources[key]
            return copy.deepcopy(res)
        res["status"] = "DELETING"
        return copy.deepcopy(res)

    def create_nodegroup(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("CreateNodegroup", request))
            cluster, name = request["clusterName"], request["nodegroupName"]
            self._require_active(cluster)
            self._check_role(request["nodeRole"], "Node Role")
            now = _now()
            body = {
                "nodegroupName": name, "nodegroupArn": self._arn("nodegroup", cluster, name),
                "clusterName": cluster, "version": "1.31", "releaseVersion": "1.31.0-20250101",
                "createdAt": now, "modifiedAt": now, "capacityType": request.get("capacityType", "ON_DEMAND"),
                "scalingConfig": request.get("scalingConfig", {"minSize": 1, "maxSize": 2, "desiredSize": 2}),
                "instanceTypes": request.get("instanceTypes", ["t3.medium"]), "subnets": request["subnets"],
                "amiType": request.get("amiType", "AL2023_x86_64_STANDARD"), "nodeRole": request["nodeRole"],
                "labels": request.get("labels", {}), "resources": {}, "diskSize": request.get("diskSize", 20),
                "health": {"issues": []}, "updateConfig": {"maxUnavailable": 1}, "tags": request.get("tags", {}),
            }
            group = self._create(f"nodegroup/{cluster}/{name}", body, f"NodeGroup already exists with name {name} "
                                 f"and cluster name {cluster}")
            return {"nodegroup": group, "ResponseMetadata": self._meta()}

    def describe_nodegroup(self, cluster: str, name: str) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("DescribeNodegroup", (cluster, name)))
            key, message = f"nodegroup/{cluster}/{name}", f"No node group found for name: {name}."
            self._get(f"cluster/{cluster}", f"No cluster found for name: {cluster}.")
            self._get(key, message)
            self._advance(key)
            return {"nodegroup": copy.deepcopy(self._get(key, message)), "ResponseMetadata": self._meta()}

    def delete_nodegroup(self, cluster: str, name: str) -> dict[str, Any]:
        with self._lock:
            self._get(f"cluster/{cluster}", f"No cluster found for name: {cluster}.")
            res = self._delete_child(f"nodegroup/{cluster}/{name}", f"No node group found for name: {name}.",
                                     "DeleteNodegroup", (cluster, name))
            return {"nodegroup": res, "ResponseMetadata": self._meta()}

    def create_fargate_profile(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("CreateFargateProfile", request))
            cluster, name = request["clusterName"], request["fargateProfileName"]
            self._require_active(cluster)
            self._check_role(request["podExecutionRoleArn"], "Pod Execution Role Arn")
            if not request.get("selectors"):
                raise EksApiError("InvalidParameterException", "Fargate Profile requires at least one selector.")
            body = {
                "fargateProfileName": name, "fargateProfileArn": self._arn("fargateprofile", cluster, name),
                "clusterName": cluster, "createdAt": _now(), "podExecutionRoleArn": request["podExecutionRoleArn"],
                "subnets": request.get("subnets", []), "selectors": request["selectors"],
                "tags": request.get("tags", {}),
            }
            profile = self._create(f"fargateprofile/{cluster}/{name}", body,
                                   f"A Fargate Profile already exists with this name in this cluster: {name}")
            return {"fargateProfile": profile, "ResponseMetadata": self._meta()}

    def describe_fargate_profile(self, cluster: str, name: str) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("DescribeFargateProfile", (cluster, name)))
            key, message = f"fargateprofile/{cluster}/{name}", f"No Fargate Profile found with name: {name}."
            self._get(f"cluster/{cluster}", f"No cluster found for name: {cluster}.")
            self._get(key, message)
            self._advance(key)
            return {"fargateProfile": copy.deepcopy(self._get(key, message)), "ResponseMetadata": self._meta()}

    def delete_fargate_profile(self, cluster: str, name: str) -> dict[str, Any]:
        with self._lock:
            self._get(f"cluster/{cluster}", f"No cluster found for name: {cluster}.")
            res = self._delete_child(f"fargateprofile/{cluster}/{name}",
                                     f"No Fargate Profile found with name: {name}.", "DeleteFargateProfile",
                                     (cluster, name))
            return {"fargateProfile": res, "ResponseMetadata": self._meta()}


# ---------------------------------------------------------------- Kubernetes API


def _json(code: int, body: Any) -> KubeResponse:
    return KubeResponse(code, _REASONS.get(code, ""), json.dumps(body).encode(),
                        {"Content-Type": "application/json"})


def _status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> KubeResponse:
    return _json(code, status_body(code, reason, message, details))


@dataclass(frozen=True)
class _Target:
    """A resource path taken apart: its type, namespace (``""`` when cluster-scoped), name, subresource."""

    rt: ResourceType
    namespace: str
    name: str | None
    sub: str | None

    @property
    def collection(self) -> str:
        """The collection path, e.g. ``/apis/batch/v1/namespaces/default/jobs``."""
        return _collection(self.rt, self.namespace)


def _collection(rt: ResourceType, namespace: str) -> str:
    root = f"/apis/{rt.group}/{rt.version}" if rt.group else "/api/v1"
    return f"{root}/namespaces/{namespace}/{rt.plural}" if namespace else f"{root}/{rt.plural}"


class FakeKube:
    """One cluster's Kubernetes API in memory, kept in the emulator's :class:`~aslrun.kube.store.Store`.

    Unlike the emulator it accepts any resource path (an unknown plural becomes a namespaced type of
    its own), creates namespaces on first use, runs no controllers and is polled, never watched.
    """

    def __init__(self, cluster: str, jobs: Mapping[str, FakeJob], rng: random.Random,
                 record: Callable[[str, str, str, list[tuple[str, str]]], None], authorized: bool = True) -> None:
        self.cluster = cluster
        self.description = f"the fake Kubernetes API of cluster {cluster}"
        self.authorized = authorized
        self._jobs = jobs
        self._rng = rng
        self._record = record
        self._lock = threading.Lock()
        self.registry = Registry.with_builtins()
        self.store = Store(self.registry)
        self._reads: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"FakeKube({self.cluster!r})"

    @property
    def objects(self) -> dict[str, dict[str, dict[str, Any]]]:
        """A snapshot: collection path (``/apis/batch/v1/namespaces/default/jobs``) -> name -> object;
        a collection that holds nothing maps to ``{}``."""
        out: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
        for key in self.store.keys():
            rt = self.registry.by_key(key)
            assert rt is not None
            for obj in self.store.list_objects(key)[0]:
                meta = obj["metadata"]
                out[_collection(rt, meta.get("namespace", ""))][meta["name"]] = obj
        return out

    def _uid(self) -> str:
        return _uuid(self._rng)

    def _suffix(self) -> str:
        return "".join(self._rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))

    def _target(self, path: str) -> _Target | None:
        """The resource a path names (types the emulator does not know are made up), or None."""
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        namespace = ""
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if not rest:
            return None
        rt = self.registry.get(group, version, rest[0])
        if rt is None:
            plural = rest[0]
            rt = ResourceType(group, version, plural, plural[:1].upper() + plural[1:].rstrip("s"),
                              namespaced=bool(namespace), builtin=False)
            self.registry.add(rt)
        return _Target(rt, namespace, rest[1] if len(rest) > 1 else None, rest[2] if len(rest) > 2 else None)

    def request(self, method: str, path: str, query: Sequence[tuple[str, str]] = (), body: bytes | None = None,
                content_type: str | None = None, accept: str = "application/json") -> KubeResponse:
        method = method.upper()
        query = list(query)
        self._record(self.cluster, method, path, query)
        if not self.authorized:
            return _status(401, "Unauthorized", "Unauthorized")
        with self._lock:
            try:
                resp = self._handle(method, path, dict(query), body)
            except ApiError as exc:
                resp = _json(exc.code, exc.body)
        return KubeResponse(resp.status, resp.reason, b"", resp.headers) if method == "HEAD" else resp

    def watch(self, path: str, query: Sequence[tuple[str, str]], timeout_seconds: float,
              until: Callable[[str, dict[str, Any]], bool]) -> tuple[str, dict[str, Any]] | None:
        raise WatchUnsupported("the fake backend has no watch API; it is polled")

    def _handle(self, method: str, path: str, query: dict[str, str], body: bytes | None) -> KubeResponse:
        target = self._target(path.rstrip("/"))
        if target is None:
            return _status(404, "NotFound", "the server could not find the requested resource")
        rt, ns, name = target.rt, target.namespace, target.name
        if name is not None and method != "POST" and self.store.find(rt.key, ns, name) is None:
            raise not_found(rt.plural, rt.group, name)
        if method in ("GET", "HEAD"):
            if name is None:
                return self._list(target, query)
            if rt.key == _JOBS:
                self._tick(target.collection, ns, name)
            found = self.store.get(rt, ns, name)
            if rt.key == _PODS and target.sub == "log":
                return self._log(found, query)
            return _json(200, found)
        if method == "POST" and name is None:
            try:
                obj = json.loads(body or b"")
            except ValueError:
                return _status(400, "BadRequest", "the request body is not JSON")
            if not isinstance(obj, dict):
                return _status(400, "BadRequest", "the request body must be a JSON object")
            return self._create(target, obj)
        if name is None:
            return _status(405, "MethodNotAllowed", f"the server does not allow this method on {rt.plural}")
        if method == "PUT":
            obj = json.loads(body or b"{}")
            sent = obj.get("metadata", {}).get("resourceVersion")
            current = self.store.get(rt, ns, name)
            if sent and sent != current["metadata"]["resourceVersion"]:
                raise conflict(rt.plural, rt.group, name)
            return _json(200, self.store.update(rt, ns, name, lambda _: obj))
        if method == "PATCH":
            patch = json.loads(body or b"{}")
            if not isinstance(patch, dict):
                return _status(415, "UnsupportedMediaType", "the fake backend applies merge patches only")
            return _json(200, self.store.update(rt, ns, name, lambda current: merge_patch(current, patch)))
        if method == "DELETE":
            return self._delete(target, name, query, body)
        return _status(405, "MethodNotAllowed", f"method {method} is not allowed")

    def _list(self, target: _Target, query: Mapping[str, str]) -> KubeResponse:
        rt = target.rt
        labels = label_selector(query.get("labelSelector"))
        fields = field_selector(query.get("fieldSelector"), rt)
        items, version = self.store.list_objects(rt.key, target.namespace or None,
                                                  lambda o: labels.matches(o) and fields.matches(o))
        return _json(200, {"kind": rt.list_kind, "apiVersion": rt.api_version,
                           "metadata": {"resourceVersion": str(version)}, "items": items})

    def _ensure_namespace(self, namespace: str) -> None:
        if namespace and self.store.find(_NAMESPACES, "", namespace) is None:
            ns_type = self.registry.by_key(_NAMESPACES)
            assert ns_type is not None
            self.store.create(ns_type, {"apiVersion": "v1", "kind": "Namespace",
                                        "metadata": {"name": namespace, "uid": self._uid()}})

    def _create(self, target: _Target, obj: dict[str, Any]) -> KubeResponse:
        rt = target.rt
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                return _status(422, "Invalid", f"{rt.plural} \"\" is invalid: metadata.name: Required value: name "
                                               "or generateName is required")
            meta["name"] = meta["generateName"] + self._suffix()
        if self.store.find(rt.key, target.namespace, meta["name"]) is not None:
            raise already_exists(rt.plural, rt.group, meta["name"])
        self._ensure_namespace(target.namespace)
        if target.namespace:
            meta["namespace"] = target.namespace
        meta["uid"] = self._uid()
        meta.setdefault("generation", 1)
        if rt.key == _JOBS:
            self._start_job(target.collection, obj)
        return _json(201, self.store.create(rt, obj))

    # ------------------------------------------------------------ the make-believe job controller

    def _outcome(self, name: str) -> FakeJob:
        for pattern, outcome in self._jobs.items():
            if fnmatch.fnmatchcase(name, pattern):
                return outcome
        return FakeJob()

    def _start_job(self, coll: str, job: dict[str, Any]) -> None:
        meta, spec = job["metadata"], job.setdefault("spec", {})
        uid, name = meta["uid"], meta["name"]
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                  "controller-uid": uid, "job-name": name}
        spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
        for key, value in (("backoffLimit", 6), ("completions", 1), ("parallelism", 1),
                           ("completionMode", "NonIndexed"), ("suspend", False)):
            spec.setdefault(key, value)
        template = spec.setdefault("template", {})
        template.setdefault("metadata", {}).setdefault("labels", {}).update(labels)
        job["status"] = {"startTime": _stamp(), "active": 1, "ready": 0, "terminating": 0,
                         "uncountedTerminatedPods": {}}
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": f"{name}-{self._suffix()}", "namespace": meta.get("namespace", "default"),
            "labels": dict(labels), "uid": self._uid(),
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid,
                                 "controller": True, "blockOwnerDeletion": True}]},
            "spec": copy.deepcopy(template.get("spec", {})), "status": {"phase": "Running", "startTime": _stamp()}}
        pods = self.registry.by_key(_PODS)
        assert pods is not None
        self.store.create(pods, pod)
        self._reads[f"{coll}/{name}"] = 0

    def _tick(self, coll: str, namespace: str, name: str) -> None:
        key = f"{coll}/{name}"
        if key not in self._reads:
            return
        self._reads[key] += 1
        outcome = self._outcome(name)
        if self._reads[key] < outcome.polls:
            return
        del self._reads[key]
        job = self.store.find(_JOBS, namespace, name)
        assert job is not None
        stamp = _stamp()
        code = 0 if outcome.succeed else 1

        def finish_pod(pod: dict[str, Any]) -> None:
            pod["status"] = {"phase": "Succeeded" if outcome.succeed else "Failed", "startTime": stamp,
                             "containerStatuses": [
                                 {"name": c.get("name", ""), "image": c.get("image", ""), "imageID": "", "ready": False,
                                  "restartCount": 0, "state": {"terminated": {
                                      "exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                      "startedAt": stamp, "finishedAt": stamp}}}
                                 for c in pod["spec"].get("containers", [])]}

        pods = self.store.list_objects(_PODS, namespace,
                                       lambda p: p["metadata"].get("labels", {}).get("controller-uid")
                                       == job["metadata"]["uid"])[0]
        for pod in pods:
            self.store.mutate(_PODS, namespace, pod["metadata"]["name"], finish_pod)

        def finish_job(job: dict[str, Any]) -> None:
            status = job["status"]
            status.pop("active", None)
            condition = {"status": "True", "lastProbeTime": stamp, "lastTransitionTime": stamp}
            if outcome.succeed:
                status.update({"succeeded": 1, "completionTime": stamp, "conditions": [
                    {"type": "SuccessCriteriaMet", "reason": "CompletionsReached",
                     "message": "Reached expected number of succeeded pods", **condition},
                    {"type": "Complete", "reason": "CompletionsReached",
                     "message": "Reached expected number of succeeded pods", **condition}]})
            else:
                message = "Job has reached the specified backoff limit"
                status.update({"failed": 1, "conditions": [
                    {"type": "FailureTarget", "reason": outcome.reason, "message": message, **condition},
                    {"type": "Failed", "reason": outcome.reason, "message": message, **condition}]})

        self.store.mutate(_JOBS, namespace, name, finish_job)

    def _log(self, pod: dict[str, Any], query: Mapping[str, str]) -> KubeResponse:
        containers = [c.get("name", "") for c in pod["spec"].get("containers", [])]
        name = pod["metadata"]["name"]
        container = query.get("container") or (containers[0] if len(containers) == 1 else None)
        if container is None:
            return _status(400, "BadRequest", f"a container name must be specified for pod {name}, choose one of: "
                                              f"[{' '.join(containers)}]")
        if container not in containers:
            return _status(400, "BadRequest", f"container {container} is not valid for pod {name}")
        if pod["status"].get("phase") == "Pending":
            return _status(400, "BadRequest", f"container \"{container}\" in pod \"{name}\" is waiting to start: "
                                              "ContainerCreating")
        job_name = pod["metadata"]["labels"].get("job-name", name)
        outcome = self._outcome(job_name)
        if container in outcome.log_errors:
            code = outcome.log_errors[container]
            return _status(code, {404: "NotFound", 403: "Forbidden"}.get(code, "InternalError"),
                           f"the log of container {container} could not be read")
        spec = next(c for c in pod["spec"]["containers"] if c.get("name", "") == container)
        text = outcome.logs.get(container)
        if text is None:
            argv = " ".join([*spec.get("command", []), *spec.get("args", [])])
            text = f"[fake] {spec.get('image', '')} {argv}".rstrip() + "\n"
        if query.get("tailLines"):
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(query["tailLines"]):]) if int(query["tailLines"]) > 0 else ""
        data = text.encode()
        if query.get("limitBytes"):
            data = data[: int(query["limitBytes"])]
        return KubeResponse(200, "OK", data, {"Content-Type": "text/plain"})

    def _delete(self, target: _Target, name: str, query: Mapping[str, str], body: bytes | None) -> KubeResponse:
        rt, ns = target.rt, target.namespace
        policy = query.get("propagationPolicy")
        if policy is None and body:
            try:
                policy = json.loads(body).get("propagationPolicy")
            except (ValueError, AttributeError):
                policy = None
        if policy is None and rt.key == _JOBS:
            policy = "Orphan"  # batch/v1 Jobs default to orphaning their pods (kubectl passes Background)
        self._reads.pop(f"{target.collection}/{name}", None)
        obj, gone = self.store.delete(rt, ns, name, propagation=policy or "Background")
        if not gone:  # no garbage collector runs here: finish the deletion at once
            self.store.remove(rt.key, ns, name)
        uid = obj["metadata"]["uid"]
        if policy != "Orphan":
            for key, child in self.store.dependents(uid):
                self.store.remove(key, child["metadata"].get("namespace", ""), child["metadata"]["name"])
        if policy in ("Foreground", "Orphan"):
            return _json(200, obj)
        return _json(200, success(name, rt.group, rt.plural, uid))


# ---------------------------------------------------------------- backend


class FakeBackend:
    """In-memory EKS and Kubernetes; ``remote`` is False, so executions keep the virtual clock."""

    name = "fake"
    remote = False

    def __init__(self, *, region: str = "us-east-1", account: str = "111111111111", transitions: int = 1,
                 failures: Mapping[str, str] | None = None, jobs: Mapping[str, FakeJob] | None = None,
                 unauthorized: Iterable[str] = (), seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self.control = FakeControlPlane(region, account, transitions, failures, self._rng)
        self.jobs: dict[str, FakeJob] = dict(jobs or {})
        self.unauthorized = set(unauthorized)
        self.clusters: dict[str, FakeKube] = {}
        #: every Kubernetes call: (cluster, method, path, query)
        self.requests: list[tuple[str, str, str, list[tuple[str, str]]]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"FakeBackend({sorted(self.clusters)})"

    def _record(self, cluster: str, method: str, path: str, query: list[tuple[str, str]]) -> None:
        self.requests.append((cluster, method, path, query))

    def control_plane(self) -> FakeControlPlane:
        return self.control

    def kube(self, cluster: ClusterRef | str) -> FakeKube:
        """The cluster's API by name (created on first use; the task's Endpoint and CA are not checked)."""
        name = cluster if isinstance(cluster, str) else cluster.name
        with self._lock:
            api = self.clusters.get(name)
            if api is None:
                api = FakeKube(name, self.jobs, self._rng, self._record, name not in self.unauthorized)
                self.clusters[name] = api
            return api

    def paths(self, method: str | None = None) -> list[str]:
        """The paths of the recorded Kubernetes calls (with their query string), optionally of one method."""
        out = []
        for _, m, path, query in self.requests:
            if method is None or m == method:
                out.append(path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else ""))
        return out

