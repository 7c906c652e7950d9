"""The REST layer: one :class:`Request` in, one :class:`Response` out, no sockets.

:meth:`Api.handle` authenticates, routes the path (discovery, OpenAPI, health, and
``/api/v1/…`` or ``/apis/{group}/{version}/…`` resource paths), authorizes, and runs the verb
against the store: get, list (selectors, ``limit``/``continue``, Table output), watch (a
generator of JSON lines), create, update (PUT, with resourceVersion preconditions), patch
(merge, strategic merge, JSON patch, server-side apply as merge), delete (propagation policies,
preconditions, graceful pod deletion), deletecollection, ``pods/{name}/log`` and ``/status``
subresources. Every failure is an :class:`~.status.ApiError` turned into its Status body.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from aslrun.kube import status as st
from aslrun.kube.admission import admit_create, admit_update
from aslrun.kube.auth import Authenticator, Authorizer, RequestAttributes, UserInfo
from aslrun.kube.kubelet import LogBook, LogQuery, read_log
from aslrun.kube.patch import json_patch, merge_patch, strategic_merge_patch
from aslrun.kube.protobuf import PROTOBUF, decode_protobuf
from aslrun.kube.resources import (
    Registry,
    ResourceType,
    openapi_v2_json,
    openapi_v2_protobuf,
    version_info,
)
from aslrun.kube.selectors import field_selector, label_selector
from aslrun.kube.store import Store
from aslrun.kube.table import to_table, wants_table

__all__ = ["Api", "Request", "Response"]

_JSON = "application/json"
_PROTO_OPENAPI = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete", "HEAD": "get"}
_ORPHAN_BY_DEFAULT = frozenset({("batch", "jobs"), ("", "replicationcontrollers")})
_JOB_ORPHAN_WARNING = ('299 - "child pods are preserved by default when jobs are deleted; set '
                       'propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress '
                       'this warning"')


@dataclass(slots=True)
class Request:
    """An HTTP request as the API layer sees it (header names lower-case)."""

    method: str
    path: str
    query: Mapping[str, list[str]] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def param(self, name: str) -> str | None:
        """The first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else None


@dataclass(slots=True)
class Response:
    """Status, body and type; ``stream`` (watch) yields body chunks instead of ``body``."""

    status: int
    body: bytes = b""
    content_type: str = _JSON
    stream: Iterator[bytes] | None = None
    user: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Route:
    rt: ResourceType
    namespace: str | None
    name: str | None
    sub: str
    legacy_watch: bool


def _json(obj: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def _plain_404() -> st.ApiError:
    return st.ApiError(404, "404 page not found\n", "text/plain; charset=utf-8")


def _int_param(req: Request, name: str) -> int | None:
    raw = req.param(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise st.bad_request(f"invalid value for {name}: {raw!r}: must be an integer") from None


def _present(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": rt.api_version, "kind": rt.kind, **{k: v for k, v in obj.items()
                                                             if k not in ("apiVersion", "kind")}}


class Api:
    """Serves one emulated cluster's Kubernetes API from its store."""

    def __init__(self, store: Store, registry: Registry, logs: LogBook, authenticator: Authenticator,
                 authorizer: Authorizer, *, kubernetes_version: str, server_address: Callable[[], str],
                 stopping: threading.Event, watch_poll: float = 0.2, max_watch_seconds: float = 1800.0,
                 errors: list[BaseException] | None = None) -> None:
        self.store = store
        self.registry = registry
        self.logs = logs
        self.authenticator = authenticator
        self.authorizer = authorizer
        self.kubernetes_version = kubernetes_version
        self.server_address = server_address
        self.stopping = stopping
        self.watch_poll = watch_poll
        self.max_watch_seconds = max_watch_seconds
        self.errors = errors if errors is not None else []

    def handle(self, req: Request) -> Response:
        """Answer one request; never raises for client errors."""
        user = ""
        try:
            if len(req.path) > 1:
                req.path = req.path.rstrip("/") or "/"
            info = self.authenticator.authenticate(req.headers.get("authorization"))
            user = info.username
            response = self._route(req, info)
        except st.ApiError as err:
            response = Response(err.code, err.payload(), err.content_type)
        except Exception as exc:  # an emulator bug: answer like the apiserver's panic handler, keep serving
            self.errors.append(exc)
            body = st.status_body(500, "InternalError", f"Internal error occurred: {type(exc).__name__}",
                                  {"causes": [{"message": type(exc).__name__}]})
            response = Response(500, json.dumps(body, separators=(",", ":")).encode("utf-8"))
        response.user = user
        return response

    # --- routing ---------------------------------------------------------------------------------

    def _authorize(self, attrs: RequestAttributes) -> None:
        if not self.authorizer(attrs):
            raise st.forbidden(attrs.user.username, attrs.verb, attrs.resource, attrs.api_group, attrs.namespace,
                               attrs.name, attrs.subresource, attrs.path)

    def _route(self, req: Request, user: UserInfo) -> Response:
        parts = [p for p in req.path.split("/") if p]
        if parts[:2] == ["api", "v1"] and len(parts) > 2:
            group, version, rest = "", "v1", parts[2:]
        elif parts[:1] == ["apis"] and len(parts) > 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            self._authorize(RequestAttributes(user, _VERBS.get(req.method, "get"), req.path))
            return self._non_resource(req, parts)
        if not self.registry.has_group_version(group, version):
            raise _plain_404()
        route = self._parse_resource(group, version, rest)
        verb = self._verb(req, route)
        self._authorize(RequestAttributes(user, verb, req.path, True, group, route.rt.plural, route.sub,
                                          route.namespace, route.name))
        return self._dispatch(req, route, verb)

    def _non_resource(self, req: Request, parts: list[str]) -> Response:
        if req.method not in ("GET", "HEAD"):
            raise st.method_not_allowed()
        path = "/" + "/".join(parts)
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", "text/plain; charset=utf-8")
        if path == "/version":
            return _json(version_info(self.kubernetes_version))
        if path == "/api":
            return _json(self.registry.api_versions(self.server_address()))
        if path == "/apis":
            return _json(self.registry.api_group_list())
        if path == "/api/v1":
            return _json(self.registry.resource_list("", "v1"))
        if len(parts) == 2 and parts[0] == "apis" and self.registry.has_group_version(parts[1]):
            return _json(self.registry.api_group(parts[1]))
        if len(parts) == 3 and parts[0] == "apis" and self.registry.has_group_version(parts[1], parts[2]):
            return _json(self.registry.resource_list(parts[1], parts[2]))
        if path == "/openapi/v2":
            if "protobuf" in req.headers.get("accept", ""):
                return Response(200, openapi_v2_protobuf(self.kubernetes_version), _PROTO_OPENAPI)
            return _json(openapi_v2_json(self.kubernetes_version))
        if path == "/":
            paths = ["/api", "/api/v1", "/apis", "/healthz", "/livez", "/openapi/v2", "/readyz", "/version"]
            paths += [f"/apis/{g}" for g in self.registry.group_versions() if g]
            return _json({"paths": sorted(paths)})
        if parts[:1] == ["api"] or parts[:1] == ["openapi"]:
            raise st.not_found_path()
        raise _plain_404()

    def _parse_resource(self, group: str, version: str, rest: list[str]) -> _Route:
        legacy_watch = rest[0] == "watch"
        rest = rest[1:] if legacy_watch else rest
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and not (len(rest) == 3 and rest[2] in ("status", "finalize")):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise st.not_found_path()
        rt = self.registry.get(group, version, rest[0])
        if rt is None or (namespace is not None and not rt.namespaced):
            raise st.not_found_path()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else ""
        if (sub and sub not in rt.subresources) or (name and rt.namespaced and namespace is None):
            raise st.not_found_path()
        return _Route(rt, namespace, name, sub, legacy_watch)

    def _verb(self, req: Request, route: _Route) -> str:
        watching = route.legacy_watch or req.param("watch") in ("true", "1")
        if req.method in ("GET", "HEAD"):
            if watching:
                return "watch"
            return "get" if route.name else "list"
        if req.method == "DELETE":
            return "delete" if route.name else "deletecollection"
        if req.method == "POST" and not route.name and not route.sub:
            return "create"
        if req.method in ("PUT", "PATCH") and route.name:
            return _VERBS[req.method]
        raise st.method_not_allowed()

    def _dispatch(self, req: Request, route: _Route, verb: str) -> Response:
        rt = route.rt
        if rt.namespaced and route.namespace is None and verb not in ("list", "watch"):
            raise st.method_not_allowed()
        if verb not in rt.verbs and not route.sub:
            raise st.method_not_allowed()
        if route.sub == "log":
            if verb != "get":
                raise st.method_not_allowed()
            return self._log(req, route)
        handler = {"get": self._get, "list": self._list, "watch": self._watch, "create": self._create,
                   "update": self._update, "patch": self._patch, "delete": self._delete,
                   "deletecollection": self._delete_collection}[verb]
        return handler(req, route)

    # --- verbs -----------------------------------------------------------------------------------

    def _ns(self, route: _Route) -> str:
        return route.namespace or ""

    def _get(self, req: Request, route: _Route) -> Response:
        assert route.name is not None
        obj = _present(route.rt, self.store.get(route.rt, self._ns(route), route.name))
        if wants_table(req.headers.get("accept", "")) and not route.sub:
            return _json(to_table(route.rt, [obj], obj["metadata"]["resourceVersion"], self.store.clock()))
        return _json(obj)

    def _selector(self, req: Request, route: _Route) -> Callable[[dict[str, Any]], bool]:
        labels = label_selector(req.param("labelSelector"))
        fields = field_selector(req.param("fieldSelector"), route.rt)
        if route.name:  # watching one object: GET …/jobs/NAME?watch=true or the legacy …/watch/…/jobs/NAME
            name_only = field_selector(f"metadata.name={route.name}", route.rt)
            return lambda o: labels.matches(o) and fields.matches(o) and name_only.matches(o)
        return lambda o: labels.matches(o) and fields.matches(o)

    def _list(self, req: Request, route: _Route) -> Response:
        rt = route.rt
        items, rv = self.store.list_objects(rt.key, route.namespace if rt.namespaced else None, self._selector(req, route))
        limit, token = _int_param(req, "limit"), req.param("continue")
        start = 0
        if token:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(token.encode()))["start"])
            except (ValueError, KeyError, TypeError):
                raise st.bad_request("continue key is not valid: illegal base64 data") from None
        page = items[start:start + limit] if limit and limit > 0 else items[start:]
        next_start = start + len(page)
        more = next_start < len(items)
        cont = base64.urlsafe_b64encode(json.dumps({"start": next_start}).encode()).decode() if more else ""
        if wants_table(req.headers.get("accept", "")):
            return _json(to_table(rt, page, str(rv), self.store.clock(), cont))
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        if more:
            meta.update({"continue": cont, "remainingItemCount": len(items) - next_start})
        shown = [_present(rt, o) if not rt.builtin else {k: v for k, v in o.items() if k not in ("apiVersion", "kind")}
                 for o in page]
        return _json({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": meta, "items": shown})

    def _watch(self, req: Request, route: _Route) -> Response:
        rt, namespace = route.rt, route.namespace if route.rt.namespaced else None
        matches = self._selector(req, route)
        raw_rv = req.param("resourceVersion")
        since: int | None = None
        if raw_rv not in (None, "", "0"):
            try:
                since = int(str(raw_rv))
            except ValueError:
                raise st.bad_request(f"invalid resource version: {raw_rv}") from None
        timeout = min(float(_int_param(req, "timeoutSeconds") or self.max_watch_seconds), self.max_watch_seconds)
        try:
            sub = self.store.subscribe(rt.key, since)
        except st.ApiError as err:
            line = json.dumps({"type": "ERROR", "object": err.body}, separators=(",", ":")) + "\n"
            return Response(200, stream=iter([line.encode("utf-8")]))
        clock, stopping, poll = self.store.clock, self.stopping, self.watch_poll
        table = wants_table(req.headers.get("accept", ""))

        def events() -> Iterator[bytes]:
            deadline = clock() + timeout
            first = True
            try:
                while not stopping.is_set() and clock() < deadline:
                    event = sub.get(timeout=min(poll, max(0.0, deadline - clock())))
                    if event is None:
                        if sub.closed:
                            return
                        continue
                    if namespace is not None and event.obj["metadata"].get("namespace") != namespace:
                        continue
                    now_in = matches(event.obj)
                    was_in = event.old is not None and matches(event.old)
                    if event.type == "MODIFIED" and now_in != was_in:
                        kind = "ADDED" if now_in else "DELETED"
                    elif now_in or (event.type == "DELETED" and was_in):
                        kind = event.type
                    else:
                        continue
                    obj = _present(rt, event.obj)
                    if table:  # kubectl get -w: one-row Tables, column definitions only in the first
                        obj = to_table(rt, [obj], obj["metadata"]["resourceVersion"], clock())
                        if not first:
                            obj["columnDefinitions"] = []
                        first = False
                    line = {"type": kind, "object": obj}
                    yield json.dumps(line, separators=(",", ":")).encode("utf-8") + b"\n"
            finally:
                sub.close()

        return Response(200, stream=events())

    def _decode_body(self, req: Request) -> Any:
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == PROTOBUF:
            return decode_protobuf(req.body)
        text = req.body.decode("utf-8", "replace")
        if ctype in ("application/yaml", "application/apply-patch+yaml"):
            try:
                return yaml.safe_load(text)
            except yaml.YAMLError as exc:
                raise st.bad_request(f"error converting YAML to JSON: {exc}") from None
        if ctype and not (ctype == _JSON or ctype.endswith("+json") or ctype == "*/*"):
            raise st.unsupported_media_type(ctype)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise st.bad_request(f"couldn't get version/kind; json parse error: {exc}") from None

    def _object_body(self, req: Request, route: _Route) -> dict[str, Any]:
        rt = route.rt
        obj = self._decode_body(req)
        if not isinstance(obj, dict):
            raise st.bad_request(f"the object provided is unrecognized (must be of type {rt.kind})")
        api_version, kind = obj.get("apiVersion", rt.api_version), obj.get("kind", rt.kind)
        if api_version != rt.api_version:
            raise st.bad_request(f"the API version in the data ({api_version}) does not match the expected API "
                                 f"version ({rt.api_version})")
        if kind != rt.kind:
            raise st.bad_request(f"{kind} in version \"{rt.version}\" cannot be handled as a {rt.kind}: "
                                 f"kind \"{kind}\" does not match \"{rt.kind}\"")
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        meta = obj.get("metadata")
        if meta is None:
            meta = obj["metadata"] = {}
        if not isinstance(meta, dict):
            raise st.bad_request("metadata must be an object")
        if rt.namespaced:
            if meta.get("namespace") and meta["namespace"] != route.namespace:
                raise st.bad_request("the namespace of the provided object does not match the namespace sent "
                                     "on the request")
            meta["namespace"] = route.namespace
        if route.name and meta.get("name") and meta["name"] != route.name:
            raise st.bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL "
                                 f"({route.name})")
        return obj

    def _dry_run(self, req: Request) -> bool:
        value = req.param("dryRun")
        if value not in (None, "", "All"):
            raise st.bad_request(f'Invalid dry run value "{value}": valid values are "All"')
        return value == "All"

    def _create(self, req: Request, route: _Route) -> Response:
        rt = route.rt
        obj = self._object_body(req, route)
        obj["metadata"]["uid"] = str(uuid.uuid4())
        if "status" in rt.subresources:
            obj.pop("status", None)
        obj = admit_create(rt, obj)
        if self._dry_run(req):
            return _json(obj, 201)
        created = self.store.create(rt, obj)
        if rt.builtin and rt.kind == "CustomResourceDefinition":
            self.registry.register_crd(created)
        return _json(_present(rt, created), 201)

    def _write(self, req: Request, route: _Route, build: Callable[[dict[str, Any]], dict[str, Any]]) -> Response:
        """Shared update/patch path: ``build(current) -> new``, status handling, admission, store."""
        rt, namespace, name = route.rt, self._ns(route), route.name
        assert name is not None
        has_status = "status" in rt.subresources

        def mutate(current: dict[str, Any]) -> dict[str, Any]:
            new = build(current)
            rv = (new.get("metadata") or {}).get("resourceVersion")
            if rv and rv != current["metadata"]["resourceVersion"]:
                raise st.conflict(rt.plural, rt.group, name)
            if route.sub == "status":
                kept = dict(current)
                kept["status"] = new.get("status", current.get("status"))
                new = kept
            elif has_status:
                new["status"] = current.get("status")
                if new["status"] is None:
                    new.pop("status")
            new["apiVersion"], new["kind"] = current.get("apiVersion", rt.api_version), current.get("kind", rt.kind)
            return admit_update(rt, current, new)

        if self._dry_run(req):
            return _json(_present(rt, mutate(self.store.get(rt, namespace, name))))
        return _json(_present(rt, self.store.update(rt, namespace, name, mutate)))

    def _update(self, req: Request, route: _Route) -> Response:
        body = self._object_body(req, route)
        return self._write(req, route, lambda current: body)

    def _patch(self, req: Request, route: _Route) -> Response:
        ctype = req.headers.get("content-type", "").split(";")[0].strip().lower()
        patch = self._decode_body(req)
        if ctype == "application/json-patch+json":
            return self._write(req, route, lambda cur: json_patch(cur, patch))
        if not isinstance(patch, dict):
            raise st.bad_request("the body of the patch must be a JSON object")
        if ctype == "application/merge-patch+json":
            return self._write(req, route, lambda cur: merge_patch(cur, patch))
        if ctype == "application/strategic-merge-patch+json":
            return self._write(req, route, lambda cur: strategic_merge_patch(cur, patch))
        if ctype == "application/apply-patch+yaml":
            if not req.param("fieldManager"):
                raise st.bad_request("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests")
            assert route.name is not None
            if self.store.find(route.rt.key, self._ns(route), route.name) is None and not route.sub:
                req.headers = {**req.headers, "content-type": _JSON}
                req.body = json.dumps(patch).encode("utf-8")
                return self._create(req, route)
            return self._write(req, route, lambda cur: merge_patch(cur, patch))
        raise st.unsupported_media_type(ctype or "(none)")

    def _delete_options(self, req: Request, rt: ResourceType) -> tuple[str, int | None, dict[str, Any], bool]:
        """``(propagation policy, grace period, preconditions, whether the policy was defaulted)``."""
        options: dict[str, Any] = {}
        if req.body.strip():
            decoded = self._decode_body(req)
            if isinstance(decoded, dict):
                options = decoded
        policy = req.param("propagationPolicy") or options.get("propagationPolicy")
        orphan = req.param("orphanDependents") or options.get("orphanDependents")
        if policy is None and orphan is not None:
            policy = "Orphan" if str(orphan).lower() == "true" else "Background"
        defaulted = policy is None
        if policy is None:
            policy = "Orphan" if rt.key in _ORPHAN_BY_DEFAULT else "Background"
        if policy not in ("Foreground", "Background", "Orphan"):
            raise st.bad_request(f'propagationPolicy: Unsupported value: "{policy}": supported values: '
                                 '"Foreground", "Background", "Orphan"')
        grace = _int_param(req, "gracePeriodSeconds")
        if grace is None and options.get("gracePeriodSeconds") is not None:
            grace = int(options["gracePeriodSeconds"])
        return policy, grace, options.get("preconditions") or {}, defaulted

    def _delete_one(self, req: Request, rt: ResourceType, namespace: str, name: str) -> tuple[dict[str, Any], bool]:
        policy, grace, pre, _ = self._delete_options(req, rt)
        current = self.store.get(rt, namespace, name)
        if self._dry_run(req):
            return current, False
        graceful = False
        if rt.builtin and rt.kind == "Pod":
            graceful = grace != 0 and (current.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        elif rt.builtin and rt.kind == "Namespace":
            if name in ("default", "kube-system", "kube-public"):
                raise st.forbidden_message(f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                                           "namespaces", "", name)
            graceful = True
            self.store.mutate(rt.key, "", name, lambda o: o.setdefault("status", {}).update(phase="Terminating"))
        obj, gone = self.store.delete(rt, namespace, name, propagation=policy, graceful=graceful,
                                      uid=pre.get("uid"), resource_version=pre.get("resourceVersion"))
        if gone and rt.builtin and rt.kind == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            key = (spec.get("group", ""), (spec.get("names") or {}).get("plural", ""))
            for ns_name in [(o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in self.store.list_objects(key)[0]]:
                self.store.remove(key, *ns_name)
            self.registry.remove(*key)
        return obj, gone

    def _delete(self, req: Request, route: _Route) -> Response:
        rt = route.rt
        assert route.name is not None
        obj, gone = self._delete_one(req, rt, self._ns(route), route.name)
        if gone and not (rt.builtin and rt.kind == "Pod"):
            response = _json(st.success(route.name, rt.group, rt.plural, obj["metadata"]["uid"]))
        else:
            response = _json(_present(rt, obj))
        if rt.key == ("batch", "jobs") and self._delete_options(req, rt)[3]:
            response.headers["Warning"] = _JOB_ORPHAN_WARNING
        return response

    def _delete_collection(self, req: Request, route: _Route) -> Response:
        rt = route.rt
        items, _ = self.store.list_objects(rt.key, route.namespace, self._selector(req, route))
        deleted = []
        for obj in items:
            try:
                deleted.append(self._delete_one(req, rt, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])[0])
            except st.ApiError as err:
                if err.code != 404:
                    raise
        return _json({"kind": rt.list_kind, "apiVersion": rt.api_version,
                      "metadata": {"resourceVersion": str(self.store.resource_version)}, "items": deleted})

    def _log(self, req: Request, route: _Route) -> Response:
        assert route.name is not None
        query = LogQuery(container=req.param("container"), previous=req.param("previous") in ("true", "1"),
                         tail_lines=_int_param(req, "tailLines"), limit_bytes=_int_param(req, "limitBytes"),
                         timestamps=req.param("timestamps") in ("true", "1"),
                         since_seconds=_int_param(req, "sinceSeconds"), follow=req.param("follow") in ("true", "1"))
        for name, value in (("tailLines", query.tail_lines), ("limitBytes", query.limit_bytes)):
            if value is not None and value < 0:
                raise st.invalid("PodLogOptions", "", "", [st.FieldError.invalid(name, value,
                                                                                 "must be greater than or equal to 0")])
        text = read_log(self.store, self.logs, self._ns(route), route.name, query)
        return Response(200, text.encode("utf-8"), "text/plain")
