"""The resource types the emulator serves, and the discovery documents that describe them.

A :class:`Registry` belongs to one emulator: it starts with the built-in kinds below and grows
when a ``CustomResourceDefinition`` is created (so ``eks:call`` can drive custom resources).
Objects of every registered type can be created, read, listed, watched, updated, patched and
deleted; only Jobs, Pods and Namespaces have controllers behind them (see ``jobs.py``,
``kubelet.py`` and ``gc.py``). A path in an API group the registry does not know gets the
apiserver's plain-text ``404 page not found``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BUILTIN_TYPES", "Registry", "ResourceType", "openapi_v2_json", "openapi_v2_protobuf",
           "version_info"]

_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_SUBRESOURCE_VERBS = {"status": ("get", "patch", "update"), "log": ("get",)}


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One REST resource: where it lives (group/version/plural) and what it is (kind, scope)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    verbs: tuple[str, ...] = _ALL_VERBS
    builtin: bool = True
    field_labels: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, else ``group/version``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key(self) -> tuple[str, str]:
        """The storage key ``(group, plural)``: every served version shares one set of objects."""
        return (self.group, self.plural)

    @property
    def list_kind(self) -> str:
        """``JobList`` for ``Job``."""
        return self.kind + "List"

    def discovery(self) -> list[dict[str, Any]]:
        """The ``APIResource`` entries for this type and its subresources."""
        entry: dict[str, Any] = {
            "name": self.plural, "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced, "kind": self.kind, "verbs": list(self.verbs),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        entries = [entry]
        for sub in self.subresources:
            entries.append({"name": f"{self.plural}/{sub}", "singularName": "", "namespaced": self.namespaced,
                            "kind": self.kind, "verbs": list(_SUBRESOURCE_VERBS[sub])})
        return entries


def _t(group: str, version: str, plural: str, kind: str, *, namespaced: bool = True,
       short: tuple[str, ...] = (), categories: tuple[str, ...] = (), sub: tuple[str, ...] = (),
       verbs: tuple[str, ...] = _ALL_VERBS, fields: tuple[str, ...] = ()) -> ResourceType:
    return ResourceType(group, version, plural, kind, namespaced, kind.lower(), short, categories, sub,
                        verbs, True, fields)


_POD_FIELDS = ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
               "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName")

#: Every built-in kind: the core/v1, batch/v1 and apps/v1 workhorses plus the kinds ``eks:call`` users
#: commonly touch (RBAC, networking, policy, autoscaling, coordination, storage, CRDs).
BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _t("", "v1", "namespaces", "Namespace", namespaced=False, short=("ns",), sub=("status",),
       verbs=("create", "delete", "get", "list", "patch", "update", "watch"), fields=("status.phase",)),
    _t("", "v1", "pods", "Pod", short=("po",), categories=("all",), sub=("log", "status"), fields=_POD_FIELDS),
    _t("", "v1", "configmaps", "ConfigMap", short=("cm",)),
    _t("", "v1", "secrets", "Secret", fields=("type",)),
    _t("", "v1", "services", "Service", short=("svc",), categories=("all",), sub=("status",)),
    _t("", "v1", "serviceaccounts", "ServiceAccount", short=("sa",)),
    _t("", "v1", "events", "Event", short=("ev",)),
    _t("", "v1", "endpoints", "Endpoints", short=("ep",)),
    _t("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short=("pvc",), sub=("status",)),
    _t("", "v1", "limitranges", "LimitRange", short=("limits",)),
    _t("", "v1", "resourcequotas", "ResourceQuota", short=("quota",), sub=("status",)),
    _t("", "v1", "podtemplates", "PodTemplate"),
    _t("", "v1", "replicationcontrollers", "ReplicationController", short=("rc",), categories=("all",),
       sub=("status",)),
    _t("", "v1", "nodes", "Node", namespaced=False, short=("no",), sub=("status",)),
    _t("", "v1", "persistentvolumes", "PersistentVolume", namespaced=False, short=("pv",), sub=("status",)),
    _t("batch", "v1", "jobs", "Job", categories=("all",), sub=("status",), fields=("status.successful",)),
    _t("batch", "v1", "cronjobs", "CronJob", short=("cj",), categories=("all",), sub=("status",)),
    _t("apps", "v1", "deployments", "Deployment", short=("deploy",), categories=("all",), sub=("status",)),
    _t("apps", "v1", "statefulsets", "StatefulSet", short=("sts",), categories=("all",), sub=("status",)),
    _t("apps", "v1", "daemonsets", "DaemonSet", short=("ds",), categories=("all",), sub=("status",)),
    _t("apps", "v1", "replicasets", "ReplicaSet", short=("rs",), categories=("all",), sub=("status",)),
    _t("apps", "v1", "controllerrevisions", "ControllerRevision"),
    _t("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    _t("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    _t("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _t("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
    _t("networking.k8s.io", "v1", "ingresses", "Ingress", short=("ing",), sub=("status",)),
    _t("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", short=("netpol",)),
    _t("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short=("pdb",), sub=("status",)),
    _t("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", short=("hpa",),
       categories=("all",), sub=("status",)),
    _t("coordination.k8s.io", "v1", "leases", "Lease"),
    _t("storage.k8s.io", "v1", "storageclasses", "StorageClass", namespaced=False, short=("sc",)),
    _t("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
       namespaced=False, short=("crd", "crds"), categories=("api-extensions",), sub=("status",)),
)


@dataclass(slots=True)
class Registry:
    """The types one emulator serves; thread-safe, grows and shrinks with CRDs."""

    _types: dict[tuple[str, str, str], ResourceType] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def with_builtins(cls) -> Registry:
        """A registry holding :data:`BUILTIN_TYPES`."""
        reg = cls()
        for rt in BUILTIN_TYPES:
            reg.add(rt)
        return reg

    def add(self, rt: ResourceType) -> None:
        """Serve ``rt`` (replacing a type at the same group/version/plural)."""
        with self._lock:
            self._types[(rt.group, rt.version, rt.plural)] = rt

    def remove(self, group: str, plural: str) -> None:
        """Stop serving every version of ``group``/``plural``."""
        with self._lock:
            for key in [k for k in self._types if k[0] == group and k[2] == plural]:
                del self._types[key]

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type at that REST location, if served."""
        with self._lock:
            return self._types.get((group, version, plural))

    def by_key(self, key: tuple[str, str]) -> ResourceType | None:
        """Some served version of the storage key ``(group, plural)``."""
        with self._lock:
            for rt in self._types.values():
                if rt.key == key:
                    return rt
        return None

    def types(self) -> list[ResourceType]:
        """Every served type, in registration order."""
        with self._lock:
            return list(self._types.values())

    def group_versions(self) -> dict[str, list[str]]:
        """``{group: [versions…]}`` in registration order (the core group is ``""``)."""
        out: dict[str, list[str]] = {}
        for rt in self.types():
            versions = out.setdefault(rt.group, [])
            if rt.version not in versions:
                versions.append(rt.version)
        return out

    def has_group_version(self, group: str, version: str | None = None) -> bool:
        """Whether anything is served in ``group`` (and ``version``, when given)."""
        versions = self.group_versions().get(group) or []
        return bool(versions) and (version is None or version in versions)

    # --- discovery documents -------------------------------------------------------------------

    def api_versions(self, server_address: str) -> dict[str, Any]:
        """``GET /api``."""
        return {"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}

    def _group(self, name: str, versions: list[str]) -> dict[str, Any]:
        gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}

    def api_group_list(self) -> dict[str, Any]:
        """``GET /apis``."""
        groups = [self._group(g, vs) for g, vs in self.group_versions().items() if g]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def api_group(self, group: str) -> dict[str, Any]:
        """``GET /apis/{group}``."""
        doc = self._group(group, self.group_versions()[group])
        return {"kind": "APIGroup", "apiVersion": "v1", **doc}

    def resource_list(self, group: str, version: str) -> dict[str, Any]:
        """``GET /api/v1`` or ``GET /apis/{group}/{version}``."""
        resources: list[dict[str, Any]] = []
        for rt in self.types():
            if rt.group == group and rt.version == version:
                resources.extend(rt.discovery())
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}

    def register_crd(self, crd: dict[str, Any]) -> list[ResourceType]:
        """Serve the versions a ``CustomResourceDefinition`` declares; returns the new types."""
        spec = crd.get("spec") or {}
        names = spec.get("names") or {}
        added = []
        for ver in _served_versions(spec.get("versions") or []):
            rt = ResourceType(
                group=spec.get("group", ""), version=ver, plural=names.get("plural", ""),
                kind=names.get("kind", ""), namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                singular=names.get("singular") or names.get("kind", "").lower(),
                short_names=tuple(names.get("shortNames") or ()), categories=tuple(names.get("categories") or ()),
                subresources=("status",) if _has_status(spec, ver) else (), builtin=False,
            )
            self.add(rt)
            added.append(rt)
        return added


def _served_versions(versions: Iterable[dict[str, Any]]) -> list[str]:
    return [v["name"] for v in versions if v.get("served", True) and v.get("name")]


def _has_status(spec: dict[str, Any], version: str) -> bool:
    for v in spec.get("versions") or []:
        if v.get("name") == version:
            return "status" in (v.get("subresources") or {})
    return False


def version_info(kubernetes_version: str) -> dict[str, str]:
    """``GET /version``: all nine fields the Python client's ``VersionInfo`` requires."""
    major, minor = kubernetes_version.split(".")[:2]
    return {
        "major": major, "minor": minor, "gitVersion": f"v{major}.{minor}.0-aslrun",
        "gitCommit": "0" * 40, "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.22.5", "compiler": "gc", "platform": "linux/amd64",
    }


def _pb_field(number: int, payload: bytes) -> bytes:
    return bytes([(number << 3) | 2, len(payload)]) + payload


def openapi_v2_protobuf(kubernetes_version: str) -> bytes:
    """A gnostic ``openapi_v2.Document`` holding only ``swagger`` and ``info``.

    kubectl create/apply/replace download it for client-side validation; with no definitions
    kubectl finds no schema for any kind and skips validation, which is what we want.
    """
    info = _pb_field(1, b"Kubernetes") + _pb_field(2, f"v{kubernetes_version}.0".encode("ascii"))
    return _pb_field(1, b"2.0") + _pb_field(2, info)


def openapi_v2_json(kubernetes_version: str) -> dict[str, Any]:
    """The same document as JSON, for clients that ask for it."""
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": f"v{kubernetes_version}.0"},
            "paths": {}, "definitions": {}}
