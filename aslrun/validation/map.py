"""The checks of a Map state: its processor, items, concurrency, tolerated failures and Label.

:func:`check_map` yields the ``ItemProcessor`` (or the older ``Iterator``) as a
:class:`~aslrun.validation.report.Nested` machine, which the walk walks there and then,
and checks ``ItemSelector``, ``ItemsPath``/``Items``, ``MaxConcurrency``, the tolerated
failure count and percentage, the ``Label`` (length and characters), and a distributed
Map's ``ItemReader``, ``ItemBatcher`` and ``ResultWriter``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from aslrun.validation import expressions, fields
from aslrun.validation.report import (
    JSONATA,
    JSONPATH,
    Nested,
    Reporter,
    StateAt,
    describe,
    did_you_mean,
    is_jsonata,
    join_pointer,
)

_MAX_LABEL = 40
_LABEL_FORBIDDEN = set(' ?*<>{}[]:;,\\|^~$#%&`"')


def check_map(r: Reporter, f: dict[str, Any], at: StateAt) -> Iterator[Nested]:
    """A Map's own fields; yields its processor for the walk to walk."""
    ptr, name, lang = at.ptr, at.name, at.lang
    if "ItemProcessor" not in f and "Iterator" not in f:
        r.error(
            "The field 'ItemProcessor' is required but was missing.",
            ptr,
            name,
            'Add "ItemProcessor": {"StartAt": ..., "States": {...}}.',
        )
    elif fields.exclusive(r, f, ("ItemProcessor", "Iterator"), ptr, name):
        key = "ItemProcessor" if "ItemProcessor" in f else "Iterator"
        yield Nested(f[key], join_pointer(ptr, key), fields.PROCESSOR_FIELDS, f"A Map {key}")
    fields.exclusive(r, f, ("ItemSelector", "Parameters"), ptr, name)
    if "ItemSelector" in f:
        expressions.payload(r, f["ItemSelector"], join_pointer(ptr, "ItemSelector"), name, lang)
    if "ItemsPath" in f:
        expressions.path(r, f["ItemsPath"], "ItemsPath", join_pointer(ptr, "ItemsPath"), name, reference=True)
    if "Items" in f:
        _items(r, f["Items"], join_pointer(ptr, "Items"), name)
    _limits(r, f, at)
    if "Label" in f and fields.string(r, f, "Label", ptr, name):
        _label(r, f["Label"], join_pointer(ptr, "Label"), name)
    if "ItemReader" in f:
        _item_reader(r, f["ItemReader"], join_pointer(ptr, "ItemReader"), name, lang)
    if "ItemBatcher" in f:
        _item_batcher(r, f["ItemBatcher"], join_pointer(ptr, "ItemBatcher"), name, lang)
    if "ResultWriter" in f:
        _result_writer(r, f["ResultWriter"], join_pointer(ptr, "ResultWriter"), name, lang)


def _items(r: Reporter, items: Any, where: str, name: str) -> None:
    if isinstance(items, str) and is_jsonata(items):
        expressions.jsonata_string(r, items, where, name)
    elif isinstance(items, list):
        expressions.jsonata_value(r, items, where, name)
    else:
        r.error(
            f"Expected value of type [ARRAY] or a JSONata expression, found {describe(items)}.",
            where,
            name,
            'Write "Items": "{% $states.input.list %}" or a literal array.',
        )


def _limits(r: Reporter, f: dict[str, Any], at: StateAt) -> None:
    """``MaxConcurrency``, ``ToleratedFailureCount`` and ``ToleratedFailurePercentage``, or their paths."""
    ptr, name, jsonata = at.ptr, at.name, at.lang == JSONATA
    for key, minimum, maximum in (
        ("MaxConcurrency", 0, None),
        ("ToleratedFailureCount", 0, None),
        ("ToleratedFailurePercentage", 0.0, 100.0),
    ):
        if not fields.exclusive(r, f, (key, key + "Path"), ptr, name):
            continue
        if key == "ToleratedFailurePercentage":
            fields.number(r, f, key, ptr, name, minimum, maximum, jsonata=jsonata)
        else:
            fields.integer(r, f, key, ptr, name, int(minimum), jsonata=jsonata)
        if key + "Path" in f:
            expressions.path(
                r, f[key + "Path"], key + "Path", join_pointer(ptr, key + "Path"), name, reference=True, context=False
            )


def _label(r: Reporter, label: str, where: str, name: str) -> None:
    bad = sorted({c for c in label if c in _LABEL_FORBIDDEN or ord(c) < 32 or 127 <= ord(c) < 160})
    if not label:
        r.error("Value cannot be empty.", where, name, "Give the Label a name, or remove it.")
    elif len(label) > _MAX_LABEL:
        r.error(
            f"A Map Label must be at most {_MAX_LABEL} characters long; this one has {len(label)}.",
            where,
            name,
            "Choose a shorter label.",
        )
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        r.error(
            f'The Label "{label}" contains characters that are not allowed: {shown}.',
            where,
            name,
            "Use letters, digits, '-', '_' and '.' only.",
        )


def _reader_or_writer_payload(r: Reporter, obj: dict[str, Any], where: str, name: str, lang: str) -> bool:
    """The ``Parameters`` (JSONPath) or ``Arguments`` (JSONata) of a reader or writer; True when present."""
    key = "Parameters" if lang == JSONPATH else "Arguments"
    wrong = "Arguments" if lang == JSONPATH else "Parameters"
    if wrong in obj:
        fields.language_error(r, wrong, lang, join_pointer(where, wrong), name)
    if key in obj:
        expressions.payload(r, obj[key], join_pointer(where, key), name, lang)
        return True
    return False


def _item_reader(r: Reporter, value: Any, where: str, name: str, lang: str) -> None:
    if not isinstance(value, dict):
        r.type_error("OBJECT", value, where, name)
        return
    fields.unknown_fields(r, value, ("Resource", "ReaderConfig", "Parameters", "Arguments"), where, name, "ItemReader")
    if fields.required(
        r, value, ("Resource",), where, name, 'Add "Resource", e.g. "arn:aws:states:::s3:getObject".'
    ):
        fields.string(r, value, "Resource", where, name, empty_ok=False)
    _reader_or_writer_payload(r, value, where, name, lang)
    if "ReaderConfig" not in value:
        return
    config, at = value["ReaderConfig"], join_pointer(where, "ReaderConfig")
    if not isinstance(config, dict):
        r.type_error("OBJECT", config, at, name)
        return
    fields.enum(r, config, "InputType", ("MANIFEST", "JSON", "CSV", "JSONL", "PARQUET"), at, name)
    if lang == JSONATA and "MaxItemsPath" in config:
        fields.language_error(r, "MaxItemsPath", lang, join_pointer(at, "MaxItemsPath"), name)
    elif fields.exclusive(r, config, ("MaxItems", "MaxItemsPath"), at, name) and "MaxItemsPath" in config:
        expressions.path(
            r,
            config["MaxItemsPath"],
            "MaxItemsPath",
            join_pointer(at, "MaxItemsPath"),
            name,
            reference=True,
            context=False,
        )
    fields.integer(r, config, "MaxItems", at, name, 0, 100000000, jsonata=lang == JSONATA)


def _item_batcher(r: Reporter, value: Any, where: str, name: str, lang: str) -> None:
    if not isinstance(value, dict):
        r.type_error("OBJECT", value, where, name)
        return
    sizes = ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
    paths = tuple(k + "Path" for k in sizes)
    allowed = (*sizes, "BatchInput") + (paths if lang == JSONPATH else ())
    for key in value:
        if key not in allowed:
            if key in paths:
                fields.language_error(r, key, lang, join_pointer(where, key), name)
            else:
                hint = did_you_mean(key, allowed) or f"ItemBatcher accepts only: {', '.join(allowed)}."
                r.error(f"Field '{key}' is not supported.", join_pointer(where, key), name, hint)
    if not any(k in value for k in (*sizes, *paths)):
        r.error(
            "The ItemBatcher sets no batch size.",
            where,
            name,
            "Add MaxItemsPerBatch or MaxInputBytesPerBatch (or their *Path forms).",
        )
    for key in sizes:
        if fields.exclusive(r, value, (key, key + "Path"), where, name):
            fields.integer(r, value, key, where, name, 0, jsonata=lang == JSONATA)
            if lang == JSONPATH and key + "Path" in value:
                expressions.path(
                    r,
                    value[key + "Path"],
                    key + "Path",
                    join_pointer(where, key + "Path"),
                    name,
                    reference=True,
                    context=False,
                )
    if "BatchInput" in value:
        expressions.payload(r, value["BatchInput"], join_pointer(where, "BatchInput"), name, lang)


def _result_writer(r: Reporter, value: Any, where: str, name: str, lang: str) -> None:
    if not isinstance(value, dict):
        r.type_error("OBJECT", value, where, name)
        return
    fields.unknown_fields(r, value, ("Resource", "Parameters", "Arguments", "WriterConfig"), where, name, "ResultWriter")
    has_payload = _reader_or_writer_payload(r, value, where, name, lang)
    payload = "Parameters" if lang == JSONPATH else "Arguments"
    if "Resource" in value:
        fields.string(r, value, "Resource", where, name, empty_ok=False)
        if not has_payload:
            r.error(
                f"The field '{payload}' is required but was missing.",
                where,
                name,
                f"A ResultWriter with a Resource needs '{payload}' naming the S3 Bucket (and Prefix).",
            )
    elif "WriterConfig" not in value:
        r.error(
            "The field 'Resource' is required but was missing.",
            where,
            name,
            f'Add "Resource": "arn:aws:states:::s3:putObject" with its {payload}, or a WriterConfig.',
        )
    if "WriterConfig" in value and not isinstance(value["WriterConfig"], dict):
        r.type_error("OBJECT", value["WriterConfig"], join_pointer(where, "WriterConfig"), name)
