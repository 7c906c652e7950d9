"""The emulator's own behaviour, over raw HTTPS: discovery, auth, errors, watches, jobs, deletion, logs, CRDs.

The contract tests prove real clients work; these pin the details those clients and the EKS plugin
rely on (Status bodies, watch semantics, job controller rules, garbage collection), each against a
real server on 127.0.0.1.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from http.client import HTTPResponse, HTTPSConnection
from pathlib import Path
from typing import Any

import pytest
import yaml

from aslrun.kube import ContainerRun, JobOutcome, KubeEmulator, RequestAttributes

JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"
CMS = "/api/v1/namespaces/default/configmaps"


class Http:
    """A keep-alive HTTPS connection to an emulator that verifies its certificate."""

    def __init__(self, kube: KubeEmulator, token: str | None = "default") -> None:
        self.kube = kube
        self.token = kube.token if token == "default" else token
        self.context = ssl.create_default_context(cadata=kube.ca_pem)
        self._conn: HTTPSConnection | None = None
        self._streams: list[HTTPSConnection] = []

    def close(self) -> None:
        for conn in [self._conn, *self._streams]:
            if conn is not None:
                conn.close()
        self._conn = None

    def raw(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
            ) -> HTTPResponse:
        """A request on a connection of its own (for streams), closed by :meth:`close`."""
        conn = HTTPSConnection("127.0.0.1", self.kube.port, context=self.context, timeout=10)
        self._streams.append(conn)
        return self._send(conn, method, path, body, headers)

    def _send(self, conn: HTTPSConnection, method: str, path: str, body: Any,
              headers: dict[str, str] | None) -> HTTPResponse:
        all_headers = dict(headers or {})
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        conn.request(method, path, body=data, headers=all_headers)
        return conn.getresponse()

    def __call__(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
        if self._conn is None:
            self._conn = HTTPSConnection("127.0.0.1", self.kube.port, context=self.context, timeout=10)
        response = self._send(self._conn, method, path, body, {k.replace("_", "-"): v for k, v in headers.items()})
        data = response.read()
        if response.will_close:
            self._conn.close()
            self._conn = None
        ctype = response.getheader("Content-Type", "")
        return response.status, json.loads(data) if "json" in ctype else data.decode()


def job(name: str, **spec: Any) -> dict[str, Any]:
    restart = spec.pop("restartPolicy", "Never")
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {**spec, "template": {"spec": {"restartPolicy": restart, "containers": [
                {"name": "main", "image": "busybox", "command": ["true"]}]}}}}


def condition(kube: KubeEmulator, name: str) -> Callable[[], str | None]:
    def check() -> str | None:
        obj = kube.get("batch", "jobs", "default", name) or {}
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if cond["type"] in ("Complete", "Failed") and cond["status"] == "True":
                return f"{cond['type']}/{cond['reason']}"
        return None

    return check


def finish(kube: KubeEmulator, name: str) -> str:
    check = condition(kube, name)
    assert kube.wait_for(lambda: check() is not None), f"job {name} never finished"
    return str(check())


@pytest.fixture
def http_for() -> Iterator[Callable[..., Http]]:
    """``http_for(emulator, token="default")``: clients closed after the test."""
    made: list[Http] = []

    def make(kube: KubeEmulator, token: str | None = "default") -> Http:
        made.append(Http(kube, token))
        return made[-1]

    yield make
    for client in made:
        client.close()


@pytest.fixture
def http(kube_api: KubeEmulator, http_for: Callable[..., Http]) -> Http:
    return http_for(kube_api)


# --- discovery, auth, errors -------------------------------------------------------------------------


def test_discovery_documents(http: Http, kube_api: KubeEmulator) -> None:
    assert http("GET", "/api/") == (200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
        {"clientCIDR": "0.0.0.0/0", "serverAddress": f"127.0.0.1:{kube_api.port}"}]})
    status, groups = http("GET", "/apis")
    assert status == 200 and groups["groups"][0]["preferredVersion"] == {"groupVersion": "batch/v1", "version": "v1"}
    names = {r["name"]: r for r in http("GET", "/apis/batch/v1")[1]["resources"]}
    assert names["jobs"]["verbs"] == ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
    assert names["jobs/status"]["verbs"] == ["get", "patch", "update"]
    assert {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]} in (
        http("GET", "/api/v1")[1]["resources"])
    assert http("GET", "/apis/batch")[1]["kind"] == "APIGroup"
    assert set(http("GET", "/version/")[1]) == {"major", "minor", "gitVersion", "gitCommit", "gitTreeState",
                                                 "buildDate", "goVersion", "compiler", "platform"}


def test_openapi_v2_is_the_minimal_protobuf_document_kubectl_needs(http: Http) -> None:
    response = http.raw("GET", "/openapi/v2", headers={"Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
    assert response.read() == b"\n\x032.0\x12\x15\n\nKubernetes\x12\x07v1.32.0"
    assert http("GET", "/openapi/v2")[1]["swagger"] == "2.0"
    assert http("GET", "/openapi/v3")[1]["reason"] == "NotFound"


def test_anonymous_requests_see_only_public_paths(kube_api: KubeEmulator, http_for: Callable[..., Http]) -> None:
    anonymous = http_for(kube_api, token=None)
    assert anonymous("GET", "/healthz") == (200, "ok")
    assert anonymous("GET", "/version")[0] == 200
    assert anonymous("GET", "/api") == (403, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'forbidden: User "system:anonymous" cannot get path "/api"', "reason": "Forbidden",
        "details": {}, "code": 403})
    assert anonymous("GET", JOBS + "/x")[1]["message"] == (
        'jobs.batch "x" is forbidden: User "system:anonymous" cannot get resource "jobs" in API group "batch" '
        'in the namespace "default"')


def test_token_verifier_authorizer_and_disabled_anonymous(kube_api_factory: Callable[..., KubeEmulator],
                                                         http_for: Callable[..., Http]) -> None:
    seen: list[RequestAttributes] = []

    def verify(token: str) -> str | None:
        if token == "boom":
            raise ValueError(f"cannot parse {token}")
        return "alice" if token.startswith("k8s-aws-v1.") else None

    def authorize(attrs: RequestAttributes) -> bool:
        seen.append(attrs)
        return attrs.verb != "delete"

    kube = kube_api_factory(tokens=(), token_verifier=verify, authorizer=authorize, anonymous=False)
    assert kube.token is None
    assert http_for(kube, "k8s-aws-v1.abc")("GET", CMS)[0] == 200
    assert kube.requests[-1].user == "alice"
    assert seen[-1] == RequestAttributes(seen[-1].user, "list", CMS, True, "", "configmaps", "", "default", None)
    status, body = http_for(kube, "k8s-aws-v1.abc")("DELETE", CMS + "/x")
    assert status == 403 and body["message"] == (
        'configmaps "x" is forbidden: User "alice" cannot delete resource "configmaps" in API group "" '
        'in the namespace "default"')
    assert http_for(kube, "boom")("GET", CMS)[1]["message"] == "Unauthorized"
    assert http_for(kube, None)("GET", "/version")[0] == 401
    assert "boom" not in repr(kube.requests)


def test_error_statuses_for_bad_requests(http: Http) -> None:
    assert http("GET", "/apis/example.com/v1/namespaces/default/widgets") == (404, "404 page not found\n")
    assert http("GET", "/api/v1/namespaces/default/widgets")[1]["message"] == "the server could not find the requested resource"
    assert http("PUT", CMS + "/none", {"metadata": {"name": "none"}})[1]["message"] == 'configmaps "none" not found'
    assert http("POST", CMS, {"metadata": {"name": "x", "namespace": "other"}})[1]["message"] == (
        "the namespace of the provided object does not match the namespace sent on the request")
    assert http("POST", CMS, {"apiVersion": "batch/v1", "kind": "ConfigMap", "metadata": {"name": "x"}})[1][
        "message"] == "the API version in the data (batch/v1) does not match the expected API version (v1)"
    assert http("POST", CMS, {"metadata": {"name": "x"}, "data": {"n": 1}})[0] == 400
    status, body = http("POST", CMS, {"metadata": {"name": "Bad_Name"}})
    assert status == 422 and body["details"]["causes"][0]["field"] == "metadata.name"
    assert body["message"].startswith('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": '
                                      "a lowercase RFC 1123 subdomain must consist of")
    assert http("POST", CMS, b"{not json", Content_Type="application/json")[0] == 400
    assert http("POST", CMS, b"\x00", Content_Type="application/vnd.kubernetes.protobuf")[1]["reason"] == (
        "UnsupportedMediaType")
    assert http("POST", CMS, b"x" * (3 * 1024 * 1024 + 1), Content_Type="application/json")[0] == 413
    assert http("PUT", CMS, {})[0] == 405


def test_crd_registers_a_new_group_and_its_objects(http: Http) -> None:
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "widgets.example.com"},
           "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
                    "versions": [{"name": "v1", "served": True, "storage": True}]}}
    assert http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)[0] == 201
    assert "example.com" in {g["name"] for g in http("GET", "/apis")[1]["groups"]}
    path = "/apis/example.com/v1/namespaces/default/widgets"
    assert http("POST", path, {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                               "spec": {"size": 3}})[0] == 201
    listed = http("GET", path)[1]
    assert listed["kind"] == "WidgetList" and listed["items"][0]["kind"] == "Widget"
    assert http("GET", path + "?fieldSelector=spec.size%3D3")[1]["message"] == (
        '"spec.size" is not a known field selector: only "metadata.name", "metadata.namespace"')
    assert http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")[0] == 200
    assert http("GET", path) == (404, "404 page not found\n")


# --- reads: selectors, pages, tables, watches ---------------------------------------------------------


def test_label_and_field_selectors_and_pages(http: Http) -> None:
    for name, tier in (("a", "web"), ("b", "db"), ("c", "web"), ("d", None)):
        labels = {"tier": tier} if tier else {}
        http("POST", CMS, {"metadata": {"name": name, "labels": labels}})

    def names(query: str) -> list[str]:
        return [i["metadata"]["name"] for i in http("GET", f"{CMS}?{query}")[1]["items"]]

    assert names("labelSelector=tier%3Dweb") == ["a", "c"]
    assert names("labelSelector=tier%20in%20(db,web),tier!%3Dweb") == ["b"]
    assert names("labelSelector=!tier") == ["d"]
    assert names("fieldSelector=metadata.name!%3Da") == ["b", "c", "d"]
    assert http("GET", f"{CMS}?fieldSelector=spec.x%3D1")[1]["message"] == "field label not supported: spec.x"
    first = http("GET", f"{CMS}?limit=3")[1]
    assert len(first["items"]) == 3 and first["metadata"]["remainingItemCount"] == 1
    rest = http("GET", f"{CMS}?limit=3&continue={first['metadata']['continue']}")[1]
    assert [i["metadata"]["name"] for i in rest["items"]] == ["d"] and "continue" not in rest["metadata"]
    assert "kind" not in first["items"][0]  # built-in list items carry no kind, as upstream


def test_table_output_for_kubectl_get(http: Http, kube_api: KubeEmulator) -> None:
    http("POST", JOBS, job("tab"))
    finish(kube_api, "tab")
    table = http("GET", JOBS, Accept="application/json;as=Table;v=v1;g=meta.k8s.io,application/json")[1]
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Status", "Completions", "Duration", "Age"]
    assert table["rows"][0]["cells"][:3] == ["tab", "Complete", "1/1"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    rv = int(table["metadata"]["resourceVersion"])
    http("POST", JOBS, job("tab2"))
    finish(kube_api, "tab2")
    stream = http.raw("GET", f"{JOBS}?watch=true&resourceVersion={rv}",
                      headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"})
    first, second = json.loads(stream.readline()), json.loads(stream.readline())
    assert first["object"]["kind"] == "Table" and first["object"]["columnDefinitions"]
    assert second["object"]["columnDefinitions"] == [] and second["object"]["rows"][0]["cells"][0] == "tab2"


def watch_lines(http: Http, path: str, count: int) -> list[dict[str, Any]]:
    response = http.raw("GET", path)
    assert response.status == 200 and response.getheader("Transfer-Encoding") == "chunked"
    events = [json.loads(response.readline()) for _ in range(count)]
    response.close()
    return events


def test_watch_replays_from_a_resource_version_and_follows_selectors(http: Http) -> None:
    listed_rv = http("GET", CMS)[1]["metadata"]["resourceVersion"]
    http("POST", CMS, {"metadata": {"name": "w", "labels": {"team": "a"}}})
    http("PATCH", CMS + "/w", {"metadata": {"labels": {"team": "b"}}}, Content_Type="application/merge-patch+json")
    http("DELETE", CMS + "/w")
    events = watch_lines(http, f"{CMS}?watch=true&resourceVersion={listed_rv}&labelSelector=team%3Da", 2)
    assert [(e["type"], e["object"]["metadata"]["labels"]["team"]) for e in events] == [("ADDED", "a"), ("DELETED", "b")]
    http("POST", CMS, {"metadata": {"name": "now"}})
    initial = watch_lines(http, f"{CMS}?watch=1", 1)
    assert initial[0]["type"] == "ADDED" and initial[0]["object"]["kind"] == "ConfigMap"
    ended = http.raw("GET", f"{CMS}?watch=true&timeoutSeconds=1&resourceVersion={http('GET', CMS)[1]['metadata']['resourceVersion']}")
    assert ended.read() == b""  # the stream ends cleanly at timeoutSeconds


def test_watch_from_an_expired_resource_version(kube_api_factory: Callable[..., KubeEmulator],
                                                http_for: Callable[..., Http]) -> None:
    kube = kube_api_factory(watch_history=2)
    client = http_for(kube)
    for name in "abc":
        client("POST", CMS, {"metadata": {"name": name}})
    event = watch_lines(client, f"{CMS}?watch=true&resourceVersion=1", 1)[0]
    assert event["type"] == "ERROR" and event["object"]["code"] == 410 and event["object"]["reason"] == "Expired"


# --- writes: patches, updates, subresources, dry runs ------------------------------------------------


def test_patch_flavours(http: Http) -> None:
    http("POST", CMS, {"metadata": {"name": "p", "labels": {"a": "1"}}, "data": {"x": "1", "y": "2"}})
    merged = http("PATCH", CMS + "/p", {"data": {"y": None, "z": "3"}}, Content_Type="application/merge-patch+json")[1]
    assert merged["data"] == {"x": "1", "z": "3"}
    ops = [{"op": "replace", "path": "/data/x", "value": "9"}, {"op": "add", "path": "/metadata/labels/b", "value": "2"}]
    patched = http("PATCH", CMS + "/p", ops, Content_Type="application/json-patch+json")[1]
    assert patched["data"]["x"] == "9" and patched["metadata"]["labels"] == {"a": "1", "b": "2"}
    status, body = http("PATCH", CMS + "/p", [{"op": "test", "path": "/data/x", "value": "0"}],
                        Content_Type="application/json-patch+json")
    assert status == 422
    applied = http("PATCH", CMS + "/q?fieldManager=me", b"metadata:\n  name: q\ndata:\n  k: v\n",
                   Content_Type="application/apply-patch+yaml")
    assert applied[0] == 201 and applied[1]["data"] == {"k": "v"}
    assert http("PATCH", CMS + "/p", b"{}", Content_Type="text/plain")[0] == 415


def test_strategic_merge_patch_merges_containers_by_name() -> None:
    from aslrun.kube.patch import strategic_merge_patch

    spec = {"containers": [{"name": "a", "image": "x:1", "env": [{"name": "E", "value": "1"}]},
                           {"name": "b", "image": "y:1"}], "finalizers": ["f1"]}
    patch = {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
             "containers": [{"name": "a", "image": "x:2", "env": [{"name": "F", "value": "2"}]}],
             "finalizers": ["f2"]}
    out = strategic_merge_patch(spec, patch)
    assert [c["name"] for c in out["containers"]] == ["b", "a"]
    assert out["containers"][1] == {"name": "a", "image": "x:2", "env": [{"name": "E", "value": "1"},
                                                                       {"name": "F", "value": "2"}]}
    assert out["finalizers"] == ["f1", "f2"]
    assert strategic_merge_patch(spec, {"containers": [{"name": "b", "$patch": "delete"}]})["containers"] == [
        spec["containers"][0]]


def test_updates_check_resource_versions_status_and_immutability(http: Http, kube_api: KubeEmulator) -> None:
    created = http("POST", CMS, {"metadata": {"name": "u"}, "data": {"a": "1"}})[1]
    created["data"]["a"] = "2"
    assert http("PUT", CMS + "/u", created)[0] == 200
    assert http("PUT", CMS + "/u", created)[1]["reason"] == "Conflict"
    assert http("PUT", CMS + "/u", {"metadata": {"name": "v"}})[1]["message"] == (
        "the name of the object (v) does not match the name on the URL (u)")

    kube_api.set_outcome("imm", JobOutcome(delay=30))
    http("POST", JOBS, job("imm"))
    status, body = http("PATCH", JOBS + "/imm", {"spec": {"template": {"spec": {"restartPolicy": "OnFailure"}}}},
                        Content_Type="application/merge-patch+json")
    assert status == 422 and "spec.template: Invalid value" in body["message"] and body["message"].endswith(
        "field is immutable")
    # status writes go through /status only
    http("PATCH", JOBS + "/imm", {"status": {"active": 7}}, Content_Type="application/merge-patch+json")
    assert kube_api.get("batch", "jobs", "default", "imm")["status"].get("active") != 7
    http("PATCH", JOBS + "/imm/status", {"metadata": {"labels": {"x": "y"}}, "status": {"ready": 0}},
         Content_Type="application/merge-patch+json")
    assert "labels" not in kube_api.get("batch", "jobs", "default", "imm")["metadata"]


def test_dry_run_stores_nothing(http: Http, kube_api: KubeEmulator) -> None:
    status, body = http("POST", CMS + "?dryRun=All", {"metadata": {"name": "dry"}})
    assert status == 201 and body["metadata"]["name"] == "dry"
    assert kube_api.get("", "configmaps", "default", "dry") is None


# --- the job controller ------------------------------------------------------------------------------


def test_completions_and_parallelism(http: Http, kube_api: KubeEmulator) -> None:
    http("POST", JOBS, job("multi", completions=3, parallelism=2))
    assert finish(kube_api, "multi") == "Complete/CompletionsReached"
    pods = [p for p in kube_api.list("", "pods", "default") if p["metadata"]["labels"]["job-name"] == "multi"]
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    assert kube_api.get("batch", "jobs", "default", "multi")["status"]["succeeded"] == 3


def test_retries_until_success_within_the_backoff_limit(http: Http, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("flaky-*", JobOutcome(exit_code=(1, 1, 0)))
    http("POST", JOBS, job("flaky-1", backoffLimit=2))
    assert finish(kube_api, "flaky-1") == "Complete/CompletionsReached"
    status = kube_api.get("batch", "jobs", "default", "flaky-1")["status"]
    assert (status["failed"], status["succeeded"]) == (2, 1)


def test_active_deadline_stops_the_pod(http: Http, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("late", JobOutcome(delay=30))
    http("POST", JOBS, job("late", activeDeadlineSeconds=1))
    assert finish(kube_api, "late") == "Failed/DeadlineExceeded"
    assert kube_api.wait_for(lambda: kube_api.list("", "pods") == [], timeout=3)


def test_on_failure_restarts_in_place_and_keeps_the_previous_log(http: Http, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("again", JobOutcome(exit_code=(2, 0), log="attempt\n"))
    http("POST", JOBS, job("again", restartPolicy="OnFailure"))
    assert finish(kube_api, "again") == "Complete/CompletionsReached"
    (pod,) = kube_api.list("", "pods")
    cs = pod["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and cs["lastState"]["terminated"]["exitCode"] == 2
    assert http("GET", f"{PODS}/{pod['metadata']['name']}/log?previous=true") == (200, "attempt\n")


def test_on_failure_restarts_count_against_the_backoff_limit(http: Http, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("loop", JobOutcome(exit_code=1))
    http("POST", JOBS, job("loop", restartPolicy="OnFailure", backoffLimit=2))
    assert finish(kube_api, "loop") == "Failed/BackoffLimitExceeded"
    assert kube_api.wait_for(lambda: kube_api.list("", "pods") == [], timeout=3)


def test_suspended_jobs_and_ttl_after_finished(http: Http, kube_api: KubeEmulator) -> None:
    http("POST", JOBS, job("paused", suspend=True))
    http("POST", JOBS, job("short-lived", ttlSecondsAfterFinished=0))
    assert kube_api.wait_for(lambda: kube_api.get("batch", "jobs", "default", "short-lived") is None, timeout=5)
    assert [p for p in kube_api.list("", "pods") if p["metadata"]["labels"]["job-name"] == "paused"] == []


def test_custom_executor_gets_the_container_and_writes_the_log(kube_api_factory: Callable[..., KubeEmulator],
                                                               http_for: Callable[..., Http]) -> None:
    runs: list[ContainerRun] = []

    class Echo:
        def run(self, run: ContainerRun) -> int:
            runs.append(run)
            run.write(" ".join(run.container["command"]) + "\n")
            return 0

    kube = kube_api_factory(executor=Echo())
    client = http_for(kube)
    client("POST", JOBS, job("echo"))
    finish(kube, "echo")
    assert (runs[0].job_name, runs[0].namespace, runs[0].container["name"]) == ("echo", "default", "main")
    assert client("GET", f"{PODS}/{runs[0].pod_name}/log") == (200, "true\n")
    with pytest.raises(TypeError, match="SimulatedExecutor"):
        kube.set_outcome("x", JobOutcome())


# --- deletion ----------------------------------------------------------------------------------------


def test_job_delete_defaults_to_orphan_like_batch_v1(http: Http, kube_api: KubeEmulator) -> None:
    http("POST", JOBS, job("keep"))
    finish(kube_api, "keep")
    response = http.raw("DELETE", JOBS + "/keep")
    body = json.loads(response.read())
    assert body["kind"] == "Job" and body["metadata"]["finalizers"] == ["orphan"]
    assert "child pods are preserved by default" in response.getheader("Warning", "")
    assert kube_api.wait_for(lambda: kube_api.get("batch", "jobs", "default", "keep") is None)
    (pod,) = kube_api.list("", "pods")
    assert "ownerReferences" not in pod["metadata"]


def test_background_delete_returns_success_and_collects_pods(http: Http, kube_api: KubeEmulator) -> None:
    http("POST", JOBS, job("bg"))
    uid = kube_api.get("batch", "jobs", "default", "bg")["metadata"]["uid"]
    finish(kube_api, "bg")
    assert http("DELETE", JOBS + "/bg?propagationPolicy=Background") == (200, {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
        "details": {"name": "bg", "group": "batch", "kind": "jobs", "uid": uid}})
    assert kube_api.wait_for(lambda: kube_api.list("", "pods") == [])


def test_running_pod_delete_is_graceful_and_the_job_replaces_it(http: Http, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("long", JobOutcome(delay=30))
    http("POST", JOBS, job("long", backoffLimit=0))
    assert kube_api.wait_for(lambda: any(p["status"].get("phase") == "Running" for p in kube_api.list("", "pods")))
    name = kube_api.list("", "pods")[0]["metadata"]["name"]
    status, body = http("DELETE", f"{PODS}/{name}", {"kind": "DeleteOptions", "apiVersion": "v1"})
    assert status == 200 and body["kind"] == "Pod" and body["metadata"]["deletionTimestamp"]
    assert kube_api.wait_for(lambda: kube_api.get("", "pods", "default", name) is None)
    assert finish(kube_api, "long") == "Failed/BackoffLimitExceeded"  # a killed pod counts as failed


def test_namespace_delete_removes_its_contents(http: Http, kube_api: KubeEmulator) -> None:
    http("POST", "/api/v1/namespaces", {"metadata": {"name": "team"}})
    http("POST", "/api/v1/namespaces/team/configmaps", {"metadata": {"name": "c"}})
    status, body = http("DELETE", "/api/v1/namespaces/team")
    assert status == 200 and body["status"]["phase"] == "Terminating"
    assert kube_api.wait_for(lambda: kube_api.get("", "namespaces", "", "team") is None)
    assert kube_api.list("", "configmaps", "team") == []
    assert http("DELETE", "/api/v1/namespaces/kube-system")[0] == 403


def test_preconditions_on_delete(http: Http) -> None:
    http("POST", CMS, {"metadata": {"name": "pre"}})
    status, body = http("DELETE", CMS + "/pre", {"preconditions": {"uid": "nope"}})
    assert status == 409 and "Precondition failed: UID in precondition: nope" in body["message"]


# --- logs --------------------------------------------------------------------------------------------


def test_log_errors_as_kubelet_reports_them(kube_api_factory: Callable[..., KubeEmulator],
                                            http_for: Callable[..., Http]) -> None:
    kube = kube_api_factory(pod_start_delay=30)
    client = http_for(kube)
    pod = {"metadata": {"name": "two"}, "spec": {"restartPolicy": "Never", "containers": [
        {"name": "a", "image": "busybox"}, {"name": "b", "image": "busybox"}]}}
    assert client("POST", PODS, pod)[0] == 201
    assert client("GET", f"{PODS}/two/log")[1]["message"] == (
        "a container name must be specified for pod two, choose one of: [a b]")
    assert client("GET", f"{PODS}/two/log?container=a")[1]["message"] == (
        'container "a" in pod "two" is waiting to start: ContainerCreating')
    assert client("GET", f"{PODS}/two/log?container=zzz")[1]["message"] == "container zzz is not valid for pod two"
    assert client("GET", f"{PODS}/none/log")[1]["message"] == 'pods "none" not found'
    assert client("GET", f"{PODS}/two/log?container=a&tailLines=x")[0] == 400


def test_bare_pods_run_and_log_with_options(http: Http, kube_api: KubeEmulator) -> None:
    kube_api.set_outcome("solo", JobOutcome(log="one\ntwo\nthree\n"))
    http("POST", PODS, {"metadata": {"name": "solo"}, "spec": {"restartPolicy": "Never",
                                                              "containers": [{"name": "c", "image": "busybox"}]}})
    assert kube_api.wait_for(lambda: kube_api.get("", "pods", "default", "solo")["status"]["phase"] == "Succeeded")
    assert http("GET", f"{PODS}/solo/log?tailLines=2") == (200, "two\nthree\n")
    assert http("GET", f"{PODS}/solo/log?limitBytes=6") == (200, "one\ntw")
    assert http("GET", f"{PODS}/solo/log?tailLines=0") == (200, "")
    assert http("GET", f"{PODS}/solo/log?previous=true")[1]["message"] == (
        'previous terminated container "c" in pod "solo" not found')


# --- the handle --------------------------------------------------------------------------------------


def test_kubeconfig_is_private_and_complete(kube_api: KubeEmulator, tmp_path: Path) -> None:
    path = kube_api.kubeconfig(tmp_path / "deep" / "config", namespace="kube-system")
    assert path.stat().st_mode & 0o777 == 0o600
    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"] == {"server": kube_api.endpoint,
                                                "certificate-authority-data": kube_api.ca_b64}
    assert config["users"][0]["user"] == {"token": kube_api.token}
    assert config["contexts"][0]["context"]["namespace"] == "kube-system"


def test_concurrent_clients(kube_api: KubeEmulator, http_for: Callable[..., Http]) -> None:
    errors: list[BaseException] = []
    clients = [http_for(kube_api) for _ in range(6)]

    def worker(i: int) -> None:
        try:
            for j in range(5):
                assert clients[i]("POST", CMS, {"metadata": {"name": f"c{i}-{j}"}})[0] == 201
        except BaseException as exc:  # noqa: BLE001 - collected for the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(clients[0]("GET", CMS)[1]["items"]) == 30
