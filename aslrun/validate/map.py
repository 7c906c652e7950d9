"""The checks of a Map state: its processor, items, concurrency, tolerated failures and Label.

:meth:`_MapChecks.check_map` walks the ``ItemProcessor`` (or the older ``Iterator``) as a
machine, and checks ``ItemSelector``, ``ItemsPath``/``Items``, ``MaxConcurrency``, the
tolerated failure count and percentage, the ``Label`` (length and characters), and a
distributed Map's ``ItemReader``, ``ItemBatcher`` and ``ResultWriter``.
"""

from __future__ import annotations

from typing import Any

from aslrun.validate.report import (
    JSONATA,
    JSONPATH,
    _describe,
    _is_jsonata,
    _Scope,
    did_you_mean,
    join_pointer,
)
from aslrun.validate.walk import _PROCESSOR_FIELDS, _Walk

_MAX_LABEL = 40
_LABEL_FORBIDDEN = set(' ?*<>{}[]:;,\\|^~$#%&`"')


class _MapChecks(_Walk):
    """``check_map`` and the checks of the Map fields that have fields of their own."""

    def check_map(self, f: dict[str, Any], ptr: str, name: str, lang: str, scope: _Scope) -> None:
        jsonata = lang == JSONATA
        if "ItemProcessor" not in f and "Iterator" not in f:
            self.error(
                "The field 'ItemProcessor' is required but was missing.",
                ptr,
                name,
                'Add "ItemProcessor": {"StartAt": ..., "States": {...}}.',
            )
        elif self.exclusive(f, ("ItemProcessor", "Iterator"), ptr, name):
            key = "ItemProcessor" if "ItemProcessor" in f else "Iterator"
            self.machine(
                f[key], join_pointer(ptr, key), name, _PROCESSOR_FIELDS, top=False, what=f"A Map {key}"
            )
        self.exclusive(f, ("ItemSelector", "Parameters"), ptr, name)
        if "ItemSelector" in f:
            if jsonata:
                self.jsonata_value(f["ItemSelector"], join_pointer(ptr, "ItemSelector"), name)
            else:
                self.template(f["ItemSelector"], join_pointer(ptr, "ItemSelector"), name)
        if "ItemsPath" in f:
            self.path(f["ItemsPath"], "ItemsPath", join_pointer(ptr, "ItemsPath"), name, reference=True)
        if "Items" in f:
            items, at = f["Items"], join_pointer(ptr, "Items")
            if isinstance(items, str) and _is_jsonata(items):
                self.jsonata_string(items, at, name)
            elif isinstance(items, list):
                self.jsonata_value(items, at, name)
            else:
                self.error(
                    f"Expected value of type [ARRAY] or a JSONata expression, found {_describe(items)}.",
                    at,
                    name,
                    'Write "Items": "{% $states.input.list %}" or a literal array.',
                )
        for key, minimum, maximum in (
            ("MaxConcurrency", 0, None),
            ("ToleratedFailureCount", 0, None),
            ("ToleratedFailurePercentage", 0.0, 100.0),
        ):
            if self.exclusive(f, (key, key + "Path"), ptr, name):
                if key == "ToleratedFailurePercentage":
                    self.number(f, key, ptr, name, minimum, maximum, jsonata=jsonata)
                else:
                    self.integer(f, key, ptr, name, int(minimum), jsonata=jsonata)
                if key + "Path" in f:
                    self.path(
                        f[key + "Path"],
                        key + "Path",
                        join_pointer(ptr, key + "Path"),
                        name,
                        reference=True,
                        context=False,
                    )
        if "Label" in f and self.string(f, "Label", ptr, name):
            self.label(f["Label"], join_pointer(ptr, "Label"), name)
        if "ItemReader" in f:
            self.item_reader(f["ItemReader"], join_pointer(ptr, "ItemReader"), name, lang)
        if "ItemBatcher" in f:
            self.item_batcher(f["ItemBatcher"], join_pointer(ptr, "ItemBatcher"), name, lang)
        if "ResultWriter" in f:
            self.result_writer(f["ResultWriter"], join_pointer(ptr, "ResultWriter"), name, lang)

    def label(self, label: str, where: str, name: str) -> None:
        bad = sorted({c for c in label if c in _LABEL_FORBIDDEN or ord(c) < 32 or 127 <= ord(c) < 160})
        if not label:
            self.error("Value cannot be empty.", where, name, "Give the Label a name, or remove it.")
        elif len(label) > _MAX_LABEL:
            self.error(
                f"A Map Label must be at most {_MAX_LABEL} characters long; this one has {len(label)}.",
                where,
                name,
                "Choose a shorter label.",
            )
        if bad:
            shown = ", ".join(repr(c) for c in bad)
            self.error(
                f'The Label "{label}" contains characters that are not allowed: {shown}.',
                where,
                name,
                "Use letters, digits, '-', '_' and '.' only.",
            )

    def reader_or_writer_payload(self, obj: dict[str, Any], where: str, name: str, lang: str) -> bool:
        key = "Parameters" if lang == JSONPATH else "Arguments"
        wrong = "Arguments" if lang == JSONPATH else "Parameters"
        if wrong in obj:
            self.language_error(wrong, lang, join_pointer(where, wrong), name)
        if key in obj:
            if lang == JSONPATH:
                self.template(obj[key], join_pointer(where, key), name)
            else:
                self.jsonata_value(obj[key], join_pointer(where, key), name)
            return True
        return False

    def item_reader(self, value: Any, where: str, name: str, lang: str) -> None:
        if not isinstance(value, dict):
            self.type_error("OBJECT", value, where, name)
            return
        self.unknown_fields(
            value, ("Resource", "ReaderConfig", "Parameters", "Arguments"), where, name, "ItemReader"
        )
        if self.required(
            value, ("Resource",), where, name, 'Add "Resource", e.g. "arn:aws:states:::s3:getObject".'
        ):
            self.string(value, "Resource", where, name, empty_ok=False)
        self.reader_or_writer_payload(value, where, name, lang)
        if "ReaderConfig" in value:
            config, at = value["ReaderConfig"], join_pointer(where, "ReaderConfig")
            if not isinstance(config, dict):
                self.type_error("OBJECT", config, at, name)
                return
            self.enum(config, "InputType", ("MANIFEST", "JSON", "CSV", "JSONL", "PARQUET"), at, name)
            if lang == JSONATA and "MaxItemsPath" in config:
                self.language_error("MaxItemsPath", lang, join_pointer(at, "MaxItemsPath"), name)
            elif self.exclusive(config, ("MaxItems", "MaxItemsPath"), at, name) and "MaxItemsPath" in config:
                self.path(
                    config["MaxItemsPath"],
                    "MaxItemsPath",
                    join_pointer(at, "MaxItemsPath"),
                    name,
                    reference=True,
                    context=False,
                )
            self.integer(config, "MaxItems", at, name, 0, 100000000, jsonata=lang == JSONATA)

    def item_batcher(self, value: Any, where: str, name: str, lang: str) -> None:
        if not isinstance(value, dict):
            self.type_error("OBJECT", value, where, name)
            return
        sizes = ("MaxItemsPerBatch", "MaxInputBytesPerBatch")
        paths = tuple(k + "Path" for k in sizes)
        allowed = (*sizes, "BatchInput") + (paths if lang == JSONPATH else ())
        for key in value:
            if key not in allowed:
                if key in paths:
                    self.language_error(key, lang, join_pointer(where, key), name)
                else:
                    hint = did_you_mean(key, allowed) or f"ItemBatcher accepts only: {', '.join(allowed)}."
                    self.error(f"Field '{key}' is not supported.", join_pointer(where, key), name, hint)
        if not any(k in value for k in (*sizes, *paths)):
            self.error(
                "The ItemBatcher sets no batch size.",
                where,
                name,
                "Add MaxItemsPerBatch or MaxInputBytesPerBatch (or their *Path forms).",
            )
        for key in sizes:
            if self.exclusive(value, (key, key + "Path"), where, name):
                self.integer(value, key, where, name, 0, jsonata=lang == JSONATA)
                if lang == JSONPATH and key + "Path" in value:
                    self.path(
                        value[key + "Path"],
                        key + "Path",
                        join_pointer(where, key + "Path"),
                        name,
                        reference=True,
                        context=False,
                    )
        if "BatchInput" in value:
            if lang == JSONPATH:
                self.template(value["BatchInput"], join_pointer(where, "BatchInput"), name)
            else:
                self.jsonata_value(value["BatchInput"], join_pointer(where, "BatchInput"), name)

    def result_writer(self, value: Any, where: str, name: str, lang: str) -> None:
        if not isinstance(value, dict):
            self.type_error("OBJECT", value, where, name)
            return
        self.unknown_fields(
            value, ("Resource", "Parameters", "Arguments", "WriterConfig"), where, name, "ResultWriter"
        )
        has_payload = self.reader_or_writer_payload(value, where, name, lang)
        payload = "Parameters" if lang == JSONPATH else "Arguments"
        if "Resource" in value:
            self.string(value, "Resource", where, name, empty_ok=False)
            if not has_payload:
                self.error(
                    f"The field '{payload}' is required but was missing.",
                    where,
                    name,
                    f"A ResultWriter with a Resource needs '{payload}' naming the S3 Bucket (and Prefix).",
                )
        elif "WriterConfig" not in value:
            self.error(
                "The field 'Resource' is required but was missing.",
                where,
                name,
                f'Add "Resource": "arn:aws:states:::s3:putObject" with its {payload}, or a WriterConfig.',
            )
        if "WriterConfig" in value and not isinstance(value["WriterConfig"], dict):
            self.type_error("OBJECT", value["WriterConfig"], join_pointer(where, "WriterConfig"), name)
