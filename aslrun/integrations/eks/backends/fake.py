"""The ``fake`` backend: an in-memory EKS control plane and Kubernetes API, for tests (yours and aslrun's).

Nothing leaves the process and nothing runs. Clusters, node groups and Fargate profiles go
through CREATING → ACTIVE and DELETING → gone over ``transitions`` describe calls, or end in a
failure status named in ``failures``. Each cluster has a Kubernetes API that stores any
namespaced object (``eks:call``), lists with label and field selectors, deletes with a
propagation policy, and runs Jobs with a make-believe controller: a Job gets one pod, which
succeeds or fails after ``polls`` reads of the Job, with the log lines you give::

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aslrun.integrations.eks.backends.base import ClusterRef, EksApiError, KubeResponse, WatchUnsupported

__all__ = ["FakeBackend", "FakeControlPlane", "FakeJob", "FakeKube"]

_FAKE_CA = base64.b64encode(
    b"-----BEGIN CERTIFICATE-----\nZmFrZSBjZXJ0aWZpY2F0ZSBvZiB0aGUgYXNscnVuIGZha2UgYmFja2VuZA==\n"
    b"-----END CERTIFICATE-----\n").decode()
_KINDS = {"pods": "Pod", "jobs": "Job", "configmaps": "ConfigMap", "secrets": "Secret", "services": "Service",
          "namespaces": "Namespace", "deployments": "Deployment", "serviceaccounts": "ServiceAccount",
          "events": "Event", "nodes": "Node"}
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


def _status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> KubeResponse:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason}
    if details:
        body["details"] = details
    body["code"] = code
    return _json(code, body)


def _json(code: int, body: Any) -> KubeResponse:
    return KubeResponse(code, _REASONS.get(code, ""), json.dumps(body).encode(),
                        {"Content-Type": "application/json"})


def _selector_matches(selector: str, labels: Mapping[str, str]) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _merge(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


class FakeKube:
    """One cluster's Kubernetes API in memory."""

    def __init__(self, cluster: str, jobs: Mapping[str, FakeJob], rng: random.Random,
                 record: Callable[[str, str, str, list[tuple[str, str]]], None], authorized: bool = True) -> None:
        self.cluster = cluster
        self.description = f"the fake Kubernetes API of cluster {cluster}"
        self.authorized = authorized
        self._jobs = jobs
        self._rng = rng
        self._record = record
        self._lock = threading.Lock()
        #: collection path (``/apis/batch/v1/namespaces/default/jobs``) -> name -> object
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self._version = 0
        self._reads: dict[str, int] = {}

    def __repr__(self) -> str:
        return f"FakeKube({self.cluster!r})"

    def _next_version(self) -> str:
        self._version += 1
        return str(self._version)

    def _uid(self) -> str:
        return _uuid(self._rng)

    @staticmethod
    def _split(path: str) -> tuple[str, str, str | None, str | None] | None:
        """(collection path, plural, name, subresource) for a resource path, or None."""
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "v1"]:
            rest, head = parts[2:], parts[:2]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            rest, head = parts[3:], parts[:3]
        else:
            return None
        if len(rest) >= 3 and rest[0] == "namespaces":
            head, rest = head + rest[:2], rest[2:]
        if not rest:
            return None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        return "/" + "/".join(head + [rest[0]]), rest[0], name, sub

    def request(self, method: str, path: str, query: Sequence[tuple[str, str]] = (), body: bytes | None = None,
                content_type: str | None = None, accept: str = "application/json") -> KubeResponse:
        method = method.upper()
        query = list(query)
        self._record(self.cluster, method, path, query)
        if not self.authorized:
            return _status(401, "Unauthorized", "Unauthorized")
        with self._lock:
            resp = self._handle(method, path, dict(query), body, content_type)
        return KubeResponse(resp.status, resp.reason, b"", resp.headers) if method == "HEAD" else resp

    def watch(self, path: str, query: Sequence[tuple[str, str]], timeout_seconds: float,
              until: Callable[[str, dict[str, Any]], bool]) -> tuple[str, dict[str, Any]] | None:
        raise WatchUnsupported("the fake backend has no watch API; it is polled")

    def _handle(self, method: str, path: str, query: dict[str, str], body: bytes | None,
                content_type: str | None) -> KubeResponse:
        split = self._split(path.rstrip("/"))
        if split is None:
            return _status(404, "NotFound", "the server could not find the requested resource")
        coll, plural, name, sub = split
        items = self.objects.setdefault(coll, {})
        group = coll.split("/")[2] if coll.startswith("/apis/") else ""
        details = {"name": name, "group": group, "kind": plural} if name else None
        if name is not None and method != "POST" and name not in items:
            return _status(404, "NotFound", f"{plural}{'.' + group if group else ''} \"{name}\" not found", details)
        if method in ("GET", "HEAD"):
            if name is None:
                return self._list(coll, plural, query)
            if plural == "jobs":
                self._tick(coll, name)
            if plural == "pods" and sub == "log":
                return self._log(items[name], query)
            return _json(200, items[name])
        if method == "POST" and name is None:
            try:
                obj = json.loads(body or b"")
            except ValueError:
                return _status(400, "BadRequest", "the request body is not JSON")
            if not isinstance(obj, dict):
                return _status(400, "BadRequest", "the request body must be a JSON object")
            return self._create(coll, plural, obj)
        if name is None:
            return _status(405, "MethodNotAllowed", f"the server does not allow this method on {plural}")
        current = items[name]
        if method == "PUT":
            obj = json.loads(body or b"{}")
            sent = obj.get("metadata", {}).get("resourceVersion")
            if sent and sent != current["metadata"]["resourceVersion"]:
                return _status(409, "Conflict", f"Operation cannot be fulfilled on {plural} \"{name}\": the object "
                                                "has been modified; please apply your changes to the latest version "
                                                "and try again", details)
            obj.setdefault("metadata", {}).update({k: current["metadata"][k] for k in
                                                    ("uid", "creationTimestamp", "namespace") if k in current["metadata"]})
            obj["metadata"]["name"] = name
            obj["metadata"]["resourceVersion"] = self._next_version()
            items[name] = obj
            return _json(200, obj)
        if method == "PATCH":
            patch = json.loads(body or b"{}")
            if not isinstance(patch, dict):
                return _status(415, "UnsupportedMediaType", "the fake backend applies merge patches only")
            _merge(current, patch)
            current["metadata"]["resourceVersion"] = self._next_version()
            return _json(200, current)
        if method == "DELETE":
            return self._delete(coll, plural, name, query, body)
        return _status(405, "MethodNotAllowed", f"method {method} is not allowed")

    def _list(self, coll: str, plural: str, query: Mapping[str, str]) -> KubeResponse:
        items = list(self.objects.get(coll, {}).values())
        if query.get("labelSelector"):
            items = [o for o in items if _selector_matches(query["labelSelector"], o["metadata"].get("labels", {}))]
        field_sel = query.get("fieldSelector", "")
        if field_sel.startswith("metadata.name="):
            items = [o for o in items if o["metadata"]["name"] == field_sel.split("=", 1)[1]]
        kind = _KINDS.get(plural, plural[:1].upper() + plural[1:].rstrip("s"))
        version = "/".join(coll.split("/")[2:4]) if coll.startswith("/apis/") else "v1"
        return _json(200, {"kind": kind + "List", "apiVersion": version,
                           "metadata": {"resourceVersion": str(self._version)}, "items": items})

    def _create(self, coll: str, plural: str, obj: dict[str, Any]) -> KubeResponse:
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            if not meta.get("generateName"):
                return _status(422, "Invalid", f"{plural} \"\" is invalid: metadata.name: Required value: name or "
                                               "generateName is required")
            meta["name"] = meta["generateName"] + "".join(self._rng.choice("bcdfghjklmnpqrstvwxz2456789")
                                                          for _ in range(5))
        name = meta["name"]
        items = self.objects.setdefault(coll, {})
        if name in items:
            group = coll.split("/")[2] if coll.startswith("/apis/") else ""
            return _status(409, "AlreadyExists", f"{plural}{'.' + group if group else ''} \"{name}\" already exists",
                           {"name": name, "group": group, "kind": plural})
        parts = coll.split("/")
        if "namespaces" in parts:
            meta["namespace"] = parts[parts.index("namespaces") + 1]
        meta.update({"uid": self._uid(), "creationTimestamp": _stamp(), "resourceVersion": self._next_version()})
        meta.setdefault("generation", 1)
        if plural == "jobs":
            self._start_job(coll, obj)
        items[name] = obj
        return _json(201, obj)

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
        pod_name = f"{name}-" + "".join(self._rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(5))
        pod_spec = copy.deepcopy(template.get("spec", {}))
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {
            "name": pod_name, "namespace": meta.get("namespace", "default"), "labels": dict(labels),
            "uid": self._uid(), "creationTimestamp": _stamp(), "resourceVersion": self._next_version(),
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid,
                                 "controller": True, "blockOwnerDeletion": True}]},
            "spec": pod_spec, "status": {"phase": "Running", "startTime": _stamp()}}
        pods = "/api/v1/namespaces/" + meta.get("namespace", "default") + "/pods"
        self.objects.setdefault(pods, {})[pod_name] = pod
        self._reads[f"{coll}/{name}"] = 0

    def _tick(self, coll: str, name: str) -> None:
        key = f"{coll}/{name}"
        if key not in self._reads:
            return
        self._reads[key] += 1
        job = self.objects[coll][name]
        outcome = self._outcome(name)
        if self._reads[key] < outcome.polls:
            return
        del self._reads[key]
        ns = job["metadata"].get("namespace", "default")
        stamp = _stamp()
        for pod in self.objects.get(f"/api/v1/namespaces/{ns}/pods", {}).values():
            if pod["metadata"]["labels"].get("controller-uid") != job["metadata"]["uid"]:
                continue
            code = 0 if outcome.succeed else 1
            pod["status"] = {"phase": "Succeeded" if outcome.succeed else "Failed", "startTime": stamp,
                             "containerStatuses": [
                                 {"name": c.get("name", ""), "image": c.get("image", ""), "imageID": "", "ready": False,
                                  "restartCount": 0, "state": {"terminated": {
                                      "exitCode": code, "reason": "Completed" if code == 0 else "Error",
                                      "startedAt": stamp, "finishedAt": stamp}}}
                                 for c in pod["spec"].get("containers", [])]}
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
        job["metadata"]["resourceVersion"] = self._next_version()

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

    def _delete(self, coll: str, plural: str, name: str, query: Mapping[str, str], body: bytes | None) -> KubeResponse:
        policy = query.get("propagationPolicy")
        if policy is None and body:
            try:
                policy = json.loads(body).get("propagationPolicy")
            except (ValueError, AttributeError):
                policy = None
        if policy is None and plural == "jobs":
            policy = "Orphan"  # batch/v1 Jobs default to orphaning their pods (kubectl passes Background)
        obj = self.objects[coll].pop(name)
        self._reads.pop(f"{coll}/{name}", None)
        uid = obj["metadata"]["uid"]
        if policy != "Orphan":
            for objects in self.objects.values():
                for child in [k for k, o in objects.items()
                              if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", []))]:
                    del objects[child]
        if policy in ("Foreground", "Orphan"):
            finalizer = "foregroundDeletion" if policy == "Foreground" else "orphan"
            obj["metadata"].update({"deletionTimestamp": _stamp(), "finalizers": [finalizer],
                                    "deletionGracePeriodSeconds": 0})
            return _json(200, obj)
        group = coll.split("/")[2] if coll.startswith("/apis/") else ""
        return _json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                           "details": {"name": name, "group": group, "kind": plural, "uid": uid}})


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

