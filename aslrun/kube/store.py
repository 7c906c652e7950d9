"""The object store: one etcd-like keyspace, a global resourceVersion, and watch fan-out.

Every write bumps one integer revision (sent to clients as a *string* ``resourceVersion``),
records an :class:`Event` in a bounded history, and hands the event to every open
:class:`Subscription` while still holding the lock, so each subscriber sees writes in commit
order. Watches that start from a resourceVersion replay the history after it (or fail with
410 Expired when it is older than the history); watches with no resourceVersion start with
synthetic ``ADDED`` events for the objects that exist. Objects handed out are deep copies;
event objects are shared and must be treated as read-only.

Deletion follows the apiserver: an object with finalizers only gets ``deletionTimestamp`` and
goes away when the last finalizer is removed; ``Foreground``/``Orphan`` propagation add the
``foregroundDeletion``/``orphan`` finalizers that the garbage collector (``gc.py``) resolves.
"""

from __future__ import annotations

import copy
import queue
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from aslrun.kube.resources import Registry, ResourceType
from aslrun.kube.status import (
    ApiError,
    already_exists,
    conflict,
    expired,
    forbidden_message,
    not_found,
)

__all__ = ["Event", "Store", "Subscription", "rfc3339", "rfc3339_nano"]

Key = tuple[str, str]
_NAMESPACES: Key = ("", "namespaces")
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
_GENERATION_KINDS = frozenset({"Job", "CronJob", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                               "CustomResourceDefinition", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                               "Ingress", "NetworkPolicy", "ReplicationController"})


def rfc3339(t: float) -> str:
    """``2026-11-22T05:55:00Z`` (seconds, as in metadata timestamps)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def rfc3339_nano(t: float) -> str:
    """``2026-11-22T05:55:00.123456789Z`` (as in log timestamps)."""
    nanos = int(round((t % 1) * 1e9))
    if nanos >= 1_000_000_000:
        t, nanos = t + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{nanos:09d}Z"


@dataclass(frozen=True, slots=True)
class Event:
    """One committed change: ``type`` is ADDED, MODIFIED or DELETED; ``old`` is the prior state."""

    type: str
    key: Key
    obj: dict[str, Any]
    old: dict[str, Any] | None
    rv: int


class Subscription:
    """A queue of :class:`Event` for one watcher; ``close()`` detaches it from the store."""

    def __init__(self, store: Store, key: Key | None) -> None:
        self.key = key
        self._store = store
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self.closed = False

    def _offer(self, event: Event) -> None:
        if self.key is None or event.key == self.key:
            self._queue.put(event)

    def get(self, timeout: float | None = None) -> Event | None:
        """The next event, or ``None`` after ``timeout`` seconds or once closed."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Stop receiving events; a blocked :meth:`get` returns ``None``."""
        if not self.closed:
            self.closed = True
            self._store._unsubscribe(self)
            self._queue.put(None)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = obj.setdefault("metadata", {})
    return meta


def _body(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status")}


class Store:
    """All objects of one emulator, keyed by ``(group, plural)``, namespace and name."""

    def __init__(self, registry: Registry, clock: Callable[[], float] = time.time, history: int = 10_000) -> None:
        self.registry = registry
        self.clock = clock
        self._lock = threading.RLock()
        self._objects: dict[Key, dict[tuple[str, str], dict[str, Any]]] = {}
        self._rv = 0
        self._history: deque[Event] = deque(maxlen=history)
        self._expired_upto = 0
        self._subs: set[Subscription] = set()

    # --- reads -----------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The current revision."""
        with self._lock:
            return self._rv

    def get(self, rt: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        """A copy of the object, or a 404 :class:`~.status.ApiError`."""
        with self._lock:
            obj = self._objects.get(rt.key, {}).get((namespace, name))
            if obj is None:
                raise not_found(rt.plural, rt.group, name)
            return copy.deepcopy(obj)

    def find(self, key: Key, namespace: str, name: str) -> dict[str, Any] | None:
        """A copy of the object, or ``None``."""
        with self._lock:
            obj = self._objects.get(key, {}).get((namespace, name))
            return copy.deepcopy(obj) if obj is not None else None

    def list_objects(self, key: Key, namespace: str | None = None,
             predicate: Callable[[dict[str, Any]], bool] | None = None) -> tuple[list[dict[str, Any]], int]:
        """Copies of the matching objects sorted by namespace/name, and the revision they reflect."""
        with self._lock:
            items = [copy.deepcopy(o) for (ns, _), o in sorted(self._objects.get(key, {}).items())
                     if (namespace is None or ns == namespace) and (predicate is None or predicate(o))]
            return items, self._rv

    def keys(self) -> list[Key]:
        """Every storage key that holds objects."""
        with self._lock:
            return [k for k, objs in self._objects.items() if objs]

    def dependents(self, owner_uid: str) -> list[tuple[Key, dict[str, Any]]]:
        """Objects whose ``ownerReferences`` name ``owner_uid``."""
        with self._lock:
            return [(key, copy.deepcopy(o)) for key, objs in self._objects.items() for o in objs.values()
                    if any(r.get("uid") == owner_uid for r in _meta(o).get("ownerReferences") or [])]

    # --- writes ----------------------------------------------------------------------------------

    def _commit(self, type_: str, key: Key, obj: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        self._rv += 1
        _meta(obj)["resourceVersion"] = str(self._rv)
        objs = self._objects.setdefault(key, {})
        ident = (_meta(obj).get("namespace", ""), _meta(obj)["name"])
        if type_ == "DELETED":
            objs.pop(ident, None)
        else:
            objs[ident] = obj
        event = Event(type_, key, copy.deepcopy(obj), old, self._rv)
        if len(self._history) == self._history.maxlen:
            self._expired_upto = self._history[0].rv
        self._history.append(event)
        for sub in list(self._subs):
            sub._offer(event)
        return copy.deepcopy(obj)

    def _check_namespace(self, rt: ResourceType, namespace: str, name: str) -> None:
        ns = self._objects.get(_NAMESPACES, {}).get(("", namespace))
        if ns is None:
            raise not_found("namespaces", "", namespace)
        if _meta(ns).get("deletionTimestamp"):
            raise forbidden_message(f"{rt.plural} \"{name}\" is forbidden: unable to create new content in "
                                    f"namespace {namespace} because it is being terminated",
                                    rt.plural, rt.group, name)

    def create(self, rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """Store a new object: fills name (from generateName), uid, timestamps, revision, generation."""
        obj = copy.deepcopy(obj)
        meta = _meta(obj)
        with self._lock:
            namespace = meta.get("namespace", "") if rt.namespaced else ""
            if rt.namespaced:
                self._check_namespace(rt, namespace, meta.get("name") or meta.get("generateName", ""))
            else:
                meta.pop("namespace", None)
            objs = self._objects.setdefault(rt.key, {})
            if not meta.get("name"):
                while True:
                    candidate = meta["generateName"] + "".join(secrets.choice(_NAME_CHARS) for _ in range(5))
                    if (namespace, candidate) not in objs:
                        meta["name"] = candidate
                        break
            if (namespace, meta["name"]) in objs:
                raise already_exists(rt.plural, rt.group, meta["name"])
            meta["uid"] = meta.get("uid") or str(uuid.uuid4())
            meta["creationTimestamp"] = rfc3339(self.clock())
            for transient in ("deletionTimestamp", "deletionGracePeriodSeconds", "resourceVersion", "selfLink"):
                meta.pop(transient, None)
            if rt.kind in _GENERATION_KINDS or not rt.builtin:
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            return self._commit("ADDED", rt.key, obj, None)

    def update(self, rt: ResourceType, namespace: str, name: str,
               mutate: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        """Atomic read-modify-write: ``mutate`` gets a copy and returns the new object.

        Identity fields are kept; a no-op change writes nothing (as on a real server); a body
        change bumps ``generation``; an object being deleted whose finalizers are now empty goes away.
        """
        namespace = namespace if rt.namespaced else ""
        with self._lock:
            current = self._objects.get(rt.key, {}).get((namespace, name))
            if current is None:
                raise not_found(rt.plural, rt.group, name)
            new = mutate(copy.deepcopy(current))
            meta, old_meta = _meta(new), current["metadata"]
            for fixed in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                          "deletionGracePeriodSeconds", "generation"):
                if fixed in old_meta:
                    meta[fixed] = old_meta[fixed]
                else:
                    meta.pop(fixed, None)
            meta["resourceVersion"] = old_meta["resourceVersion"]
            if new == current:
                return copy.deepcopy(current)
            if "generation" in old_meta and _body(new) != _body(current):
                meta["generation"] = old_meta["generation"] + 1
            if meta.get("deletionTimestamp") and not meta.get("finalizers"):
                return self._commit("DELETED", rt.key, new, current)
            return self._commit("MODIFIED", rt.key, new, current)

    def delete(self, rt: ResourceType, namespace: str, name: str, *, propagation: str = "Background",
               graceful: bool = False, uid: str | None = None,
               resource_version: str | None = None) -> tuple[dict[str, Any], bool]:
        """Delete: returns the object and whether it is gone already.

        ``Foreground``/``Orphan`` add their finalizer; ``graceful`` (running pods) only marks the
        object so the kubelet can stop it first. ``uid``/``resource_version`` are preconditions.
        """
        namespace = namespace if rt.namespaced else ""
        with self._lock:
            current = self._objects.get(rt.key, {}).get((namespace, name))
            if current is None:
                raise not_found(rt.plural, rt.group, name)
            meta = current["metadata"]
            if uid is not None and uid != meta.get("uid"):
                raise conflict(rt.plural, rt.group, name, f"Precondition failed: UID in precondition: {uid}, "
                                                          f"UID in object meta: {meta.get('uid')}")
            if resource_version is not None and resource_version != meta.get("resourceVersion"):
                raise conflict(rt.plural, rt.group, name, "Precondition failed: ResourceVersion in precondition: "
                               f"{resource_version}, ResourceVersion in object meta: {meta.get('resourceVersion')}")
            new = copy.deepcopy(current)
            new_meta = new["metadata"]
            finalizers = list(new_meta.get("finalizers") or [])
            wanted = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(propagation)
            if wanted and wanted not in finalizers and not meta.get("deletionTimestamp"):
                finalizers.append(wanted)
            if finalizers:
                new_meta["finalizers"] = finalizers
            if not finalizers and not graceful:
                return self._commit("DELETED", rt.key, new, current), True
            if not new_meta.get("deletionTimestamp"):
                new_meta["deletionTimestamp"] = rfc3339(self.clock())
                new_meta["deletionGracePeriodSeconds"] = 30 if graceful else 0
            if new == current:
                return copy.deepcopy(current), False
            return self._commit("MODIFIED", rt.key, new, current), False

    def remove(self, key: Key, namespace: str, name: str) -> dict[str, Any] | None:
        """Remove unconditionally (the kubelet and the garbage collector finishing a deletion)."""
        with self._lock:
            current = self._objects.get(key, {}).get((namespace, name))
            if current is None:
                return None
            return self._commit("DELETED", key, copy.deepcopy(current), current)

    def mutate(self, key: Key, namespace: str, name: str,
               change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Controller write: ``change`` edits a copy in place; ``None`` when the object is gone."""
        rt = self.registry.by_key(key)
        if rt is None:
            return None

        def edit(obj: dict[str, Any]) -> dict[str, Any]:
            change(obj)
            return obj

        try:
            return self.update(rt, namespace, name, edit)
        except ApiError as exc:  # the object vanished between read and write
            if exc.code == 404:
                return None
            raise

    # --- watch -----------------------------------------------------------------------------------

    def subscribe(self, key: Key | None = None, since: int | None = None) -> Subscription:
        """Open a subscription to ``key`` (``None``: everything).

        ``since=None`` queues ``ADDED`` for every existing object first; ``since=N`` replays the
        history after revision ``N`` (410 Expired when that is no longer held).
        """
        sub = Subscription(self, key)
        with self._lock:
            if since is None:
                for k, objs in sorted(self._objects.items()):
                    if key is None or k == key:
                        for _, obj in sorted(objs.items()):
                            sub._offer(Event("ADDED", k, copy.deepcopy(obj), None, self._rv))
            else:
                if since < self._expired_upto:
                    raise expired(f"too old resource version: {since} ({self._expired_upto})")
                for event in self._history:
                    if event.rv > since:
                        sub._offer(event)
            self._subs.add(sub)
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def close_all(self) -> None:
        """Close every subscription (emulator shutdown)."""
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            sub.close()

    def iter_namespace(self, namespace: str) -> Iterator[tuple[Key, str]]:
        """``(key, name)`` of every object in ``namespace`` (a snapshot)."""
        with self._lock:
            snapshot = [(k, n) for k, objs in self._objects.items() for (ns, n) in objs if ns == namespace]
        yield from snapshot
