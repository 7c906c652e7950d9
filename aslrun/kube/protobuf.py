"""Decoding the Kubernetes protobuf request bodies that kubectl ≥1.32's typed generators send.

``kubectl create configmap|secret|namespace|serviceaccount|job`` POST
``application/vnd.kubernetes.protobuf``: the magic ``k8s\\0`` and a ``runtime.Unknown`` envelope
(TypeMeta + raw message). This module turns those five kinds into the JSON objects the rest of
the emulator handles, with a field table for just the fields the generators fill (names,
labels, annotations, data, the Job's pod template and containers). Other kinds, or bodies that
are not this envelope, raise a 415 as a server without protobuf support would; responses are
always JSON, which kubectl accepts.
"""

from __future__ import annotations

import base64
from typing import Any

from aslrun.kube.status import unsupported_media_type

__all__ = ["PROTOBUF", "decode_protobuf"]

PROTOBUF = "application/vnd.kubernetes.protobuf"
_MAGIC = b"k8s\x00"

# Field tables: number -> (json name, type). Types: s string, i int, b bool (omitted when zero/empty, as Go's
# omitempty does), pi/pb pointer int/bool (kept even when zero), S repeated string, ms map<string,string>,
# my map<string,bytes> (base64 in JSON), or a message name (one) / "*"+name (repeated).
_SCHEMAS: dict[str, dict[int, tuple[str, str]]] = {
    "ObjectMeta": {1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"), 11: ("labels", "ms"),
                   12: ("annotations", "ms"), 14: ("finalizers", "S")},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "ms"), 3: ("binaryData", "my"),
                  4: ("immutable", "pb")},
    "Secret": {1: ("metadata", "ObjectMeta"), 2: ("data", "my"), 3: ("type", "s"), 4: ("stringData", "ms"),
               5: ("immutable", "pb")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "S")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 4: ("automountServiceAccountToken", "pb")},
    "Job": {1: ("metadata", "ObjectMeta"), 2: ("spec", "JobSpec")},
    "JobSpec": {1: ("parallelism", "pi"), 2: ("completions", "pi"), 3: ("activeDeadlineSeconds", "pi"),
                4: ("selector", "LabelSelector"), 5: ("manualSelector", "pb"), 6: ("template", "PodTemplateSpec"),
                7: ("backoffLimit", "pi"), 8: ("ttlSecondsAfterFinished", "pi"), 9: ("completionMode", "s"),
                10: ("suspend", "pb")},
    "LabelSelector": {1: ("matchLabels", "ms")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", "*Container"), 3: ("restartPolicy", "s"),
                4: ("terminationGracePeriodSeconds", "pi"), 5: ("activeDeadlineSeconds", "pi"),
                6: ("dnsPolicy", "s"), 7: ("nodeSelector", "ms"), 8: ("serviceAccountName", "s"),
                20: ("initContainers", "*Container")},
    "Container": {1: ("name", "s"), 2: ("image", "s"), 3: ("command", "S"), 4: ("args", "S"),
                  5: ("workingDir", "s"), 7: ("env", "*EnvVar"), 14: ("imagePullPolicy", "s")},
    "EnvVar": {1: ("name", "s"), 2: ("value", "s")},
}
_TOP_LEVEL = {("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Namespace"), ("v1", "ServiceAccount"),
              ("batch/v1", "Job")}


class _Malformed(ValueError):
    pass


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise _Malformed("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """``(field number, varint value or length-delimited bytes)``; fixed-width fields are skipped."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((number, value))
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise _Malformed("truncated field")
            out.append((number, data[pos:pos + length]))
            pos += length
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise _Malformed(f"unsupported wire type {wire}")
    return out


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _message(data: bytes, schema: str) -> dict[str, Any]:
    table = _SCHEMAS[schema]
    obj: dict[str, Any] = {}
    for number, raw in _fields(data):
        if number not in table:
            continue
        name, kind = table[number]
        if kind in ("i", "pi", "b", "pb"):
            if not isinstance(raw, int):
                raise _Malformed(f"{schema}.{name}: expected a varint")
            value: Any = bool(raw) if kind in ("b", "pb") else _signed(raw)
            if value or kind.startswith("p"):
                obj[name] = value
            continue
        if not isinstance(raw, bytes):
            raise _Malformed(f"{schema}.{name}: expected bytes")
        if kind == "s":
            if raw:
                obj[name] = raw.decode("utf-8")
        elif kind == "S":
            obj.setdefault(name, []).append(raw.decode("utf-8"))
        elif kind in ("ms", "my"):
            entry = dict(_fields(raw))
            key, val = entry.get(1, b""), entry.get(2, b"")
            if not isinstance(key, bytes) or not isinstance(val, bytes):
                raise _Malformed(f"{schema}.{name}: bad map entry")
            obj.setdefault(name, {})[key.decode("utf-8")] = (
                val.decode("utf-8") if kind == "ms" else base64.b64encode(val).decode("ascii"))
        elif kind.startswith("*"):
            obj.setdefault(name, []).append(_message(raw, kind[1:]))
        else:
            obj[name] = _message(raw, kind)
    return obj


def decode_protobuf(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded ConfigMap, Secret, Namespace, ServiceAccount or Job."""
    if not body.startswith(_MAGIC):
        raise unsupported_media_type(PROTOBUF)
    try:
        envelope = dict(_fields(body[len(_MAGIC):]))
        type_meta = envelope.get(1, b"")
        raw = envelope.get(2, b"")
        if not isinstance(type_meta, bytes) or not isinstance(raw, bytes):
            raise _Malformed("bad envelope")
        tm = {n: v.decode("utf-8") for n, v in _fields(type_meta) if isinstance(v, bytes)}
        api_version, kind = tm.get(1, ""), tm.get(2, "")
        if (api_version, kind) not in _TOP_LEVEL:
            raise unsupported_media_type(f"{PROTOBUF} ({api_version} {kind})")
        obj = _message(raw, kind)
    except (_Malformed, UnicodeDecodeError):
        raise unsupported_media_type(PROTOBUF) from None
    return {"apiVersion": api_version, "kind": kind, **obj}
