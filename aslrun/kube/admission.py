"""Defaulting and validation: what the apiserver adds to and checks in an object before storing it.

Only the fields clients observably rely on are covered: object names, Jobs (defaults, the
generated selector and template labels that ``kubectl logs job/x`` follows, restartPolicy,
immutability), Pods, Namespaces, ConfigMaps and CRDs. Every other kind is stored as sent.
Errors are 422 ``Invalid`` Status bodies with the apiserver's field paths and wording.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aslrun.kube.resources import ResourceType
from aslrun.kube.status import FieldError, bad_request, invalid

__all__ = ["admit_create", "admit_update", "validate_name"]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
                  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
_LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
              "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
              "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_CONFIG_KEY_MSG = ("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                   "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
_JOB_LABELS = ("batch.kubernetes.io/controller-uid", "batch.kubernetes.io/job-name", "controller-uid", "job-name")


def validate_name(name: str, *, label: bool = False, field: str = "metadata.name") -> list[FieldError]:
    """DNS-1123 subdomain (or label, for namespaces) name checks, worded as the apiserver words them."""
    errors = []
    pattern, message, limit = (_LABEL, _LABEL_MSG, 63) if label else (_SUBDOMAIN, _SUBDOMAIN_MSG, 253)
    if len(name) > limit:
        errors.append(FieldError.invalid(field, name, f"must be no more than {limit} characters"))
    if not pattern.match(name):
        errors.append(FieldError.invalid(field, name, message))
    return errors


def _metadata_errors(rt: ResourceType, obj: dict[str, Any]) -> list[FieldError]:
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        if meta.get("generateName"):
            return []
        return [FieldError.required("metadata.name", "name or generateName is required")]
    errors = validate_name(name, label=rt.kind == "Namespace")
    if rt.kind == "Job" and len(name) > 63:
        errors = [e for e in errors if "253" not in e.detail]
        errors.insert(0, FieldError.invalid("metadata.name", name, "must be no more than 63 characters"))
    return errors


def _image_pull_policy(image: str) -> str:
    tail = image.rsplit("/", 1)[-1]
    if "@" in tail:
        return "IfNotPresent"
    return "Always" if ":" not in tail or tail.endswith(":latest") else "IfNotPresent"


def _default_pod_spec(spec: dict[str, Any]) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for group in ("initContainers", "containers"):
        for c in spec.get(group) or []:
            if isinstance(c, dict):
                c.setdefault("imagePullPolicy", _image_pull_policy(str(c.get("image", ""))))
                c.setdefault("resources", {})
                c.setdefault("terminationMessagePath", "/dev/termination-log")
                c.setdefault("terminationMessagePolicy", "File")


def _pod_spec_errors(spec: Any, path: str) -> list[FieldError]:
    if not isinstance(spec, dict) or not spec.get("containers"):
        return [FieldError.required(f"{path}.containers")]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for group in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(group) or []):
            where = f"{path}.{group}[{i}]"
            if not isinstance(c, dict) or not c.get("name"):
                errors.append(FieldError.required(f"{where}.name"))
                continue
            if c["name"] in seen:
                errors.append(FieldError(f"{where}.name", "FieldValueDuplicate", f"Duplicate value: {json.dumps(c['name'])}"))
            seen.add(c["name"])
            errors.extend(validate_name(c["name"], label=True, field=f"{where}.name"))
            if not c.get("image"):
                errors.append(FieldError.required(f"{where}.image"))
    return errors


def _nonnegative(spec: dict[str, Any], name: str, errors: list[FieldError]) -> None:
    value = spec.get(name)
    if value is not None and (not isinstance(value, int) or value < 0):
        errors.append(FieldError.invalid(f"spec.{name}", value, "must be greater than or equal to 0"))


def _admit_job(obj: dict[str, Any]) -> list[FieldError]:
    meta, spec = obj["metadata"], obj.setdefault("spec", {})
    uid = meta["uid"]
    template = spec.setdefault("template", {})
    tmeta = template.setdefault("metadata", {})
    tspec = template.setdefault("spec", {})
    errors: list[FieldError] = []
    if spec.get("manualSelector") is True:
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        labels = tmeta.get("labels") or {}
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            errors.append(FieldError.invalid("spec.template.metadata.labels", labels,
                                             "`selector` does not match template `labels`"))
    elif spec.get("selector"):
        errors.append(FieldError.invalid("spec.selector", spec["selector"], "`selector` not auto-generated"))
    else:
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        labels = tmeta.setdefault("labels", {})
        for label, value in zip(_JOB_LABELS, (uid, meta.get("name", ""), uid, meta.get("name", ""))):
            labels[label] = value
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    _default_pod_spec(tspec)
    errors.extend(_pod_spec_errors(tspec, "spec.template.spec"))
    if tspec.get("restartPolicy") not in ("OnFailure", "Never"):
        errors.append(FieldError.not_supported("spec.template.spec.restartPolicy", tspec.get("restartPolicy"),
                                               ["OnFailure", "Never"]))
    for field in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"):
        _nonnegative(spec, field, errors)
    obj.setdefault("status", {})
    return errors


def _admit_pod(obj: dict[str, Any]) -> list[FieldError]:
    spec = obj.setdefault("spec", {})
    _default_pod_spec(spec)
    errors = _pod_spec_errors(spec, "spec")
    if not errors:
        obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
    return errors


def _admit_configmap(obj: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    for section in ("data", "binaryData"):
        data = obj.get(section)
        if data is None:
            continue
        if not isinstance(data, dict) or any(not isinstance(v, str) for v in data.values()):
            raise bad_request(f"ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal "
                              f"non-string value into Go struct field ConfigMap.{section} of type string")
        for key in data:
            if not _CONFIG_KEY.match(key):
                errors.append(FieldError.invalid(f"{section}[{key}]", key, _CONFIG_KEY_MSG))
    return errors


def _admit_crd(obj: dict[str, Any]) -> list[FieldError]:
    spec = obj.get("spec") or {}
    names = spec.get("names") or {}
    errors: list[FieldError] = []
    for field, value in (("spec.group", spec.get("group")), ("spec.names.plural", names.get("plural")),
                         ("spec.names.kind", names.get("kind")), ("spec.versions", spec.get("versions"))):
        if not value:
            errors.append(FieldError.required(field))
    name = obj["metadata"].get("name")
    if not errors and name != f"{names['plural']}.{spec['group']}":
        errors.append(FieldError.invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    if not errors:
        obj["status"] = {
            "acceptedNames": {k: v for k, v in names.items()},
            "conditions": [{"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                            "message": "no conflicts found"},
                           {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                            "message": "the initial names have been accepted"}],
            "storedVersions": [v["name"] for v in spec["versions"] if v.get("storage")],
        }
    return errors


def _raise(rt: ResourceType, obj: dict[str, Any], errors: list[FieldError]) -> None:
    if errors:
        meta = obj.get("metadata") or {}
        raise invalid(rt.kind, rt.group, meta.get("name") or meta.get("generateName") or "", errors)


def admit_create(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """Default and validate a new object in place (``metadata.uid`` is already set); returns it."""
    errors = _metadata_errors(rt, obj)
    _raise(rt, obj, errors)
    if rt.builtin and rt.group == "":
        if rt.kind == "Pod":
            errors = _admit_pod(obj)
        elif rt.kind == "ConfigMap":
            errors = _admit_configmap(obj)
        elif rt.kind == "Namespace":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
            obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
    elif rt.builtin and rt.kind == "Job":
        errors = _admit_job(obj)
    elif rt.builtin and rt.kind == "CustomResourceDefinition":
        errors = _admit_crd(obj)
    _raise(rt, obj, errors)
    return obj


def admit_update(rt: ResourceType, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Validate an update of ``old`` to ``new`` (immutable Job fields, ConfigMap data); returns ``new``."""
    errors: list[FieldError] = []
    if rt.builtin and rt.kind == "Job":
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        for field in ("selector", "template", "completions", "completionMode"):
            if field == "template" and old_spec.get("suspend"):
                continue
            if new_spec.get(field) != old_spec.get(field):
                errors.append(FieldError.invalid(f"spec.{field}", new_spec.get(field), "field is immutable"))
    elif rt.builtin and rt.kind == "ConfigMap":
        errors = _admit_configmap(new)
        if old.get("immutable") and (new.get("data") != old.get("data") or new.get("binaryData") != old.get("binaryData")):
            errors.append(FieldError.forbidden("data", "field is immutable when `immutable` is set"))
    elif rt.builtin and rt.kind == "Pod":
        old_spec, new_spec = old.get("spec") or {}, new.get("spec") or {}
        images_only = [{k: v for k, v in c.items() if k != "image"} for c in new_spec.get("containers") or []]
        old_images_only = [{k: v for k, v in c.items() if k != "image"} for c in old_spec.get("containers") or []]
        rest_new = {k: v for k, v in new_spec.items() if k not in ("containers", "activeDeadlineSeconds", "tolerations")}
        rest_old = {k: v for k, v in old_spec.items() if k not in ("containers", "activeDeadlineSeconds", "tolerations")}
        if images_only != old_images_only or rest_new != rest_old:
            errors.append(FieldError.forbidden("spec", "pod updates may not change fields other than "
                                               "`spec.containers[*].image`, `spec.initContainers[*].image`, "
                                               "`spec.activeDeadlineSeconds`, `spec.tolerations` (only additions "
                                               "to existing tolerations) or `spec.terminationGracePeriodSeconds`"))
    _raise(rt, new, errors)
    return new

