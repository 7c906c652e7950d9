"""The three PATCH flavours: JSON merge patch, strategic merge patch, and JSON patch.

* ``application/merge-patch+json`` — RFC 7386, exact.
* ``application/strategic-merge-patch+json`` — what ``kubectl apply``/``patch`` send. Without
  the Go type metadata the apiserver has, this emulator knows the merge keys of the common
  lists (containers, env, volumes, ports, conditions, …) and the ``$patch``, ``$retainKeys``,
  ``$setElementOrder/…`` and ``$deleteFromPrimitiveList/…`` directives; any other list is
  replaced whole, as in a merge patch.
* ``application/json-patch+json`` — RFC 6902 (add, remove, replace, move, copy, test).
* ``application/apply-patch+yaml`` (server-side apply) is applied as a merge patch by the API
  layer; field ownership is not tracked.
"""

from __future__ import annotations

import copy
from typing import Any

from aslrun.kube.status import ApiError, bad_request, status_body

__all__ = ["json_patch", "merge_patch", "strategic_merge_patch"]

_MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name", "env": "name",
    "volumes": "name", "volumeMounts": "mountPath", "volumeDevices": "devicePath", "imagePullSecrets": "name",
    "conditions": "type", "ownerReferences": "uid", "hostAliases": "ip", "topologySpreadConstraints":
    "topologyKey", "containerStatuses": "name", "resourceClaims": "name",
}
_PRIMITIVE_MERGE_LISTS = frozenset({"finalizers"})


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        return "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    return _MERGE_KEYS.get(field)


def _merge_list(field: str, original: list[Any], patch: list[Any]) -> list[Any]:
    if field in _PRIMITIVE_MERGE_LISTS:
        return original + [p for p in patch if p not in original]
    key = _merge_key(field, patch)
    if not key or not all(isinstance(p, dict) for p in patch):
        return [_strip_directives(p) for p in patch]
    result = [copy.deepcopy(o) for o in original]
    for item in patch:
        if item.get("$patch") == "replace":
            return [_strip_directives(p) for p in patch if p.get("$patch") != "replace"]
        index = next((i for i, o in enumerate(result) if isinstance(o, dict) and o.get(key) == item.get(key)), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
        elif index is None:
            result.append(_strip_directives(item))
        else:
            result[index] = strategic_merge_patch(result[index], item)
    return result


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return copy.deepcopy(value)


def _reorder(items: list[Any], order: list[Any], key: str | None) -> list[Any]:
    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(o) for o in order]
    ranked = sorted(range(len(items)), key=lambda i: (wanted.index(ident(items[i])) if ident(items[i]) in wanted
                                                      else len(wanted) + i))
    return [items[i] for i in ranked]


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch as far as this emulator knows the merge keys (see module doc)."""
    if not isinstance(patch, dict):
        return _strip_directives(patch)
    if patch.get("$patch") == "replace":
        return _strip_directives(patch)
    if patch.get("$patch") == "delete":
        return None
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            result[name] = [v for v in result.get(name) or [] if v not in value]
        elif key.startswith("$"):
            continue
        elif value is None:
            result.pop(key, None)
        elif isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(key, result[key], value)
        else:
            merged = strategic_merge_patch(result.get(key), value) if isinstance(value, dict) else (
                _strip_directives(value))
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
    for key, order in patch.items():
        if key.startswith("$setElementOrder/"):
            name = key.split("/", 1)[1]
            if isinstance(result.get(name), list):
                result[name] = _reorder(result[name], order, _merge_key(name, result[name]))
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, status_body(422, "Invalid", message))


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise _unprocessable(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: Any, parts: list[str], path: str) -> Any:
    for part in parts:
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise _unprocessable(f"jsonpatch: path {path!r} does not exist")
    return doc


def _add(doc: Any, parts: list[str], value: Any, path: str) -> Any:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1], path)
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        index = len(parent) if last == "-" else int(last) if last.isdigit() else -1
        if not 0 <= index <= len(parent):
            raise _unprocessable(f"jsonpatch: index out of range in {path!r}")
        parent.insert(index, value)
    else:
        raise _unprocessable(f"jsonpatch: cannot add at {path!r}")
    return doc


def _remove(doc: Any, parts: list[str], path: str) -> Any:
    if not parts:
        raise _unprocessable("jsonpatch: cannot remove the whole document")
    parent = _resolve(doc, parts[:-1], path)
    _resolve(parent, parts[-1:], path)
    if isinstance(parent, dict):
        return parent.pop(parts[-1])
    return parent.pop(int(parts[-1]))


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902; a failed ``test`` or a missing path is a 422, a malformed patch a 400."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise bad_request("jsonpatch: each operation needs \"op\" and \"path\"")
        kind, path = op["op"], op["path"]
        parts = _pointer(path)
        if kind in ("add", "replace"):
            if "value" not in op:
                raise bad_request(f"jsonpatch {kind} operation does not have a value")
            if kind == "replace" and parts:
                _remove(doc, parts, path)
            doc = _add(doc, parts, copy.deepcopy(op["value"]), path)
        elif kind == "remove":
            _remove(doc, parts, path)
        elif kind in ("move", "copy"):
            src = _pointer(op.get("from", ""))
            value = _remove(doc, src, op.get("from", "")) if kind == "move" else copy.deepcopy(
                _resolve(doc, src, op.get("from", "")))
            doc = _add(doc, parts, value, path)
        elif kind == "test":
            if _resolve(doc, parts, path) != op.get("value"):
                raise _unprocessable(f"jsonpatch test operation does not apply: doc is not equal to the value at {path!r}")
        else:
            raise bad_request(f"Unexpected kind: {kind}")
    return doc
