"""Label selectors (``labelSelector=``) and field selectors (``fieldSelector=``).

The label grammar is the apiserver's: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``,
``k notin (a,b)``, ``k``, ``!k``, ``k>1``, ``k<1``, joined by commas. Field selectors accept
``metadata.name`` and ``metadata.namespace`` for every type plus each type's own field labels
(``status.phase`` for pods, ``status.successful`` for jobs, …), with ``=``, ``==`` and ``!=``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aslrun.kube.resources import ResourceType
from aslrun.kube.status import ApiError, bad_request

__all__ = ["Selector", "field_selector", "label_selector", "match_labels_selector"]

Predicate = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Selector:
    """A compiled selector; ``matches(obj)`` tests a whole object."""

    text: str
    predicates: tuple[Predicate, ...] = ()

    def matches(self, obj: dict[str, Any]) -> bool:
        """Whether every requirement holds for ``obj``."""
        return all(p(obj) for p in self.predicates)

    @property
    def empty(self) -> bool:
        """A selector with no requirements (matches everything)."""
        return not self.predicates


_SPLIT = re.compile(r",(?![^()]*\))")
_SET = re.compile(r"^\s*(!?)\s*([\w./-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$")
_OP = re.compile(r"^\s*([\w./-]+)\s*(==|!=|=|>|<)\s*([\w.-]*)\s*$")
_EXISTS = re.compile(r"^\s*(!?)\s*([\w./-]+)\s*$")


def _labels(obj: dict[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _label_requirement(text: str) -> Predicate:
    m = _SET.match(text)
    if m and not m.group(1):
        key, op = m.group(2), m.group(3)
        values = {v.strip() for v in m.group(4).split(",") if v.strip()}
        if op == "in":
            return lambda o: _labels(o).get(key) in values
        return lambda o: _labels(o).get(key) not in values
    m = _OP.match(text)
    if m:
        key, op, value = m.groups()
        if op in ("=", "=="):
            return lambda o: _labels(o).get(key) == value
        if op == "!=":
            return lambda o: _labels(o).get(key) != value
        try:
            bound = int(value)
        except ValueError:
            raise bad_request(f"unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an "
                              f"integer: {value!r}") from None
        if op == ">":
            return lambda o: _int_label(o, key) is not None and _int_label(o, key) > bound  # type: ignore[operator]
        return lambda o: _int_label(o, key) is not None and _int_label(o, key) < bound  # type: ignore[operator]
    m = _EXISTS.match(text)
    if m:
        negate, key = m.groups()
        if negate:
            return lambda o: key not in _labels(o)
        return lambda o: key in _labels(o)
    raise bad_request(f"unable to parse requirement: {text.strip()!r} is not a valid label selector requirement")


def _int_label(obj: dict[str, Any], key: str) -> int | None:
    try:
        return int(_labels(obj)[key])
    except (KeyError, ValueError):
        return None


def label_selector(text: str | None) -> Selector:
    """Compile a ``labelSelector`` query value; raises a 400 :class:`ApiError` when malformed."""
    if not text or not text.strip():
        return Selector("")
    return Selector(text, tuple(_label_requirement(part) for part in _SPLIT.split(text) if part.strip()))


def match_labels_selector(match_labels: Mapping[str, str]) -> str:
    """``{"a": "1", "b": "2"}`` → ``a=1,b=2`` (how clients turn ``spec.selector`` into a query)."""
    return ",".join(f"{k}={v}" for k, v in match_labels.items())


def _field_value(obj: dict[str, Any], path: str) -> str:
    if path == "status.successful":
        return str((obj.get("status") or {}).get("succeeded") or 0)
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _split_field_terms(text: str) -> list[str]:
    terms, current, escaped = [], "", False
    for ch in text:
        if escaped:
            current += "\\" + ch
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            terms.append(current)
            current = ""
        else:
            current += ch
    terms.append(current)
    return [t for t in terms if t.strip()]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def field_selector(text: str | None, rt: ResourceType) -> Selector:
    """Compile a ``fieldSelector`` for ``rt``; unknown field labels are a 400, as on a real server."""
    if not text or not text.strip():
        return Selector("")
    allowed = ("metadata.name", "metadata.namespace", *rt.field_labels)
    predicates: list[Predicate] = []
    for term in _split_field_terms(text):
        m = re.match(r"^\s*([\w.]+)\s*(==|!=|=)(.*)$", term)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        path, op, raw = m.group(1), m.group(2), _unescape(m.group(3).strip())
        if path not in allowed:
            raise _unsupported_field(path, rt)
        predicates.append(_field_predicate(path, raw, negate=op == "!="))
    return Selector(text, tuple(predicates))


def _field_predicate(path: str, value: str, *, negate: bool) -> Predicate:
    def test(obj: dict[str, Any]) -> bool:
        return (_field_value(obj, path) == value) != negate

    return test


def _unsupported_field(path: str, rt: ResourceType) -> ApiError:
    if rt.builtin:
        return bad_request(f"field label not supported: {path}")
    return bad_request(f'"{path}" is not a known field selector: only "metadata.name", "metadata.namespace"')
