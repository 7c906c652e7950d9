"""The garbage collector: cascading deletion through ``ownerReferences``, and namespace teardown.

* ``Background`` (and a plain delete of an object without finalizers): the owner goes at once,
  then its dependents are deleted.
* ``Foreground``: the owner stays with ``deletionTimestamp`` and the ``foregroundDeletion``
  finalizer until every dependent is gone (running pods are stopped first), then it goes and
  watchers see ``DELETED`` — which is what ``kubectl delete --cascade=foreground`` waits for.
* ``Orphan``: dependents lose their ``ownerReferences`` to the owner, then the owner goes.
* A namespace being deleted (``Terminating``) loses every object in it, then goes itself.
"""

from __future__ import annotations

from typing import Any

from aslrun.kube.status import ApiError
from aslrun.kube.store import Event, Key, Store

__all__ = ["GarbageCollector"]

_NAMESPACES: Key = ("", "namespaces")
_PODS: Key = ("", "pods")


class GarbageCollector:
    """Resolves ``foregroundDeletion``/``orphan`` finalizers and deletes orphaned dependents."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def handle(self, event: Event) -> None:
        """React to one store event (called from the controller loop)."""
        meta = event.obj["metadata"]
        if event.type == "DELETED":
            self._delete_dependents(meta["uid"])
            self._recheck_owners(event.obj)
            return
        if not meta.get("deletionTimestamp"):
            return
        if event.key == _NAMESPACES:
            self._purge_namespace(meta["name"])
            return
        finalizers = meta.get("finalizers") or []
        if "orphan" in finalizers:
            self._orphan(meta["uid"])
            self._drop_finalizer(event.key, event.obj, "orphan")
        elif "foregroundDeletion" in finalizers:
            if self._delete_dependents(meta["uid"]) == 0:
                self._drop_finalizer(event.key, event.obj, "foregroundDeletion")

    def _drop_finalizer(self, key: Key, obj: dict[str, Any], finalizer: str) -> None:
        meta = obj["metadata"]

        def change(current: dict[str, Any]) -> None:
            if current["metadata"].get("uid") != meta["uid"]:
                return
            remaining = [f for f in current["metadata"].get("finalizers") or [] if f != finalizer]
            if remaining:
                current["metadata"]["finalizers"] = remaining
            else:
                current["metadata"].pop("finalizers", None)

        self.store.mutate(key, meta.get("namespace", ""), meta["name"], change)

    def _delete_dependents(self, owner_uid: str) -> int:
        """Ask every dependent to go; returns how many still exist."""
        dependents = self.store.dependents(owner_uid)
        for key, dep in dependents:
            meta = dep["metadata"]
            if meta.get("deletionTimestamp"):
                continue
            rt = self.store.registry.by_key(key)
            if rt is None:
                continue
            graceful = key == _PODS and (dep.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            try:
                self.store.delete(rt, meta.get("namespace", ""), meta["name"], graceful=graceful, uid=meta["uid"])
            except ApiError as exc:  # already gone or replaced
                if exc.code not in (404, 409):
                    raise
        return len(self.store.dependents(owner_uid))

    def _recheck_owners(self, dependent: dict[str, Any]) -> None:
        namespace = dependent["metadata"].get("namespace", "")
        for ref in dependent["metadata"].get("ownerReferences") or []:
            for key in self.store.keys():
                rt = self.store.registry.by_key(key)
                if rt is None or rt.kind != ref.get("kind"):
                    continue
                owner = self.store.find(key, namespace if rt.namespaced else "", str(ref.get("name")))
                if owner and owner["metadata"]["uid"] == ref.get("uid") and owner["metadata"].get("deletionTimestamp"):
                    self.handle(Event("MODIFIED", key, owner, None, self.store.resource_version))

    def _orphan(self, owner_uid: str) -> None:
        for key, dep in self.store.dependents(owner_uid):
            meta = dep["metadata"]

            def change(current: dict[str, Any]) -> None:
                refs = [r for r in current["metadata"].get("ownerReferences") or [] if r.get("uid") != owner_uid]
                if refs:
                    current["metadata"]["ownerReferences"] = refs
                else:
                    current["metadata"].pop("ownerReferences", None)

            self.store.mutate(key, meta.get("namespace", ""), meta["name"], change)

    def _purge_namespace(self, namespace: str) -> None:
        for key, name in self.store.iter_namespace(namespace):
            self.store.remove(key, namespace, name)
        self.store.remove(_NAMESPACES, "", namespace)
