"""Definition dict -> :class:`~aslrun.nodes.StateMachine`, compiling every expression.

The static checks live in :mod:`aslrun.validation`; :func:`parse` runs them first and
refuses to build a machine that has any error. Compiling can still find problems
the validator does not know about (it is the last word on expression syntax), and
those become diagnostics too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from aslrun import defaults
from aslrun.dataflow import Template, compile_dollar_value, compile_template
from aslrun.errors import DefinitionError, Diagnostic
from aslrun.expressions.access import ValuePath, compile_value_path
from aslrun.expressions.jsonpath import PathSyntaxError
from aslrun.jsonlimits import find_problem
from aslrun.nodes import (
    NULL,
    Catcher,
    ChoiceBranch,
    ChoiceState,
    FailState,
    MapState,
    ParallelState,
    PassState,
    Retrier,
    State,
    StateMachine,
    States,
    SucceedState,
    TaskState,
    WaitState,
)

if TYPE_CHECKING:
    from aslrun.expressions.cache import ExpressionCache

__all__ = ["JField", "parse", "pointer_join"]


class JField:
    """A compiled JSONata-mode field and the expression text AWS quotes in causes."""

    __slots__ = ("field", "raw", "text", "reads_context")

    def __init__(self, field: Any, raw: Any) -> None:
        from aslrun.expressions.jsonata_refs import reads_context

        self.field = field
        self.raw = raw
        self.text = raw[2:-2].strip() if isinstance(raw, str) and raw.startswith("{%") else None
        #: whether evaluating may read $states.context (the engine builds it only then)
        self.reads_context = reads_context(_expressions(raw))

    def __repr__(self) -> str:
        return f"JField({self.raw!r})"


def pointer_join(base: str, *parts: str | int) -> str:
    """Append RFC 6901 reference tokens to a JSON Pointer."""
    out = base.rstrip("/") if base != "/" else ""
    for part in parts:
        token = str(part).replace("~", "~0").replace("/", "~1")
        out += "/" + token
    return out or "/"


class _Compiler:
    def __init__(self, machine_language: str, cache: ExpressionCache | None = None) -> None:
        self.machine_language = machine_language
        self.cache = cache
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------ helpers

    def problem(self, pointer: str, state: str | None, message: str, code: str = "SCHEMA_VALIDATION_FAILED") -> None:
        self.diagnostics.append(Diagnostic(code=code, message=message, location=pointer, state=state))

    def guard(self, pointer: str, state: str | None, fn: Callable[[], Any]) -> Any:
        """Run a compile step; turn syntax errors into diagnostics."""
        from aslrun.expressions.intrinsics import IntrinsicSyntaxError

        try:
            return fn()
        except PathSyntaxError as exc:
            self.problem(pointer, state, f"Invalid JSONPath: {exc}", "INVALID_JSONPATH")
        except IntrinsicSyntaxError as exc:
            self.problem(pointer, state, f"Invalid intrinsic function call: {exc}", "INVALID_INTRINSIC")
        return None

    def path(self, raw: Mapping[str, Any], key: str, pointer: str, state: str, *, reference: bool = False,
             allow_context: bool = True, allow_variables: bool = True) -> Any:
        if key not in raw:
            return None
        text = raw[key]
        if text is None:
            return NULL
        if not isinstance(text, str):
            self.problem(pointer_join(pointer, key), state, f"The field '{key}' must be a path string.")
            return None
        if text == "$" and not reference:
            return None  # the identity path: same as absent

        def build() -> ValuePath:
            vp = compile_value_path(text, allow_context=allow_context, allow_variables=allow_variables,
                                    cache=self.cache)
            if reference and (not vp.definite or vp.path.function is not None):
                raise PathSyntaxError(
                    "a reference path may only use '.name', ['name'] and [index] steps", text
                )
            return vp

        return self.guard(pointer_join(pointer, key), state, build)

    def template(self, raw: Mapping[str, Any], key: str, pointer: str, state: str) -> Template | None:
        if key not in raw:
            return None
        return self.guard(pointer_join(pointer, key), state, lambda: compile_template(raw[key], self.cache))

    def dollar_value(self, raw: Mapping[str, Any], key: str, pointer: str, state: str) -> Any:
        if key not in raw:
            return None
        text = raw[key]
        if not isinstance(text, str):
            self.problem(pointer_join(pointer, key), state, f"The field '{key}' must be a string.")
            return None
        return self.guard(pointer_join(pointer, key), state, lambda: compile_dollar_value(key, text, self.cache))

    # ------------------------------------------------------------ structure

    def states(self, raw: Mapping[str, Any], pointer: str, language: str) -> States:
        states_raw = raw.get("States") or {}
        compiled: dict[str, State] = {}
        for name, sraw in states_raw.items():
            if isinstance(sraw, Mapping):
                node = self.state(name, sraw, pointer_join(pointer, "States", name), language)
                if node is not None:
                    compiled[name] = node
        return States(
            start_at=raw.get("StartAt", ""),
            states=compiled,
            query_language=language,
            comment=raw.get("Comment"),
            pointer=pointer,
        )

    def state(self, name: str, raw: Mapping[str, Any], pointer: str, inherited: str) -> State | None:
        language = raw.get("QueryLanguage", inherited)
        kind = raw.get("Type")
        builder = _BUILDERS.get(kind)  # type: ignore[arg-type]
        if builder is None:
            return None
        common: dict[str, Any] = {
            "name": name,
            "type": kind,
            "pointer": pointer,
            "query_language": language,
            "comment": raw.get("Comment"),
            "next": raw.get("Next"),
            "end": bool(raw.get("End", False)),
            "raw": raw,
        }
        if language == "JSONata":
            if "Output" in raw:
                common["output"] = self.jsonata(raw, "Output", pointer, name)
            if "Assign" in raw:
                common["assign"] = self.jsonata(raw, "Assign", pointer, name)
            return builder(self, raw, pointer, name, common)
        if kind != "Fail":
            common["input_path"] = self.path(raw, "InputPath", pointer, name)
            common["output_path"] = self.path(raw, "OutputPath", pointer, name)
        if "Assign" in raw:
            common["assign"] = self.template(raw, "Assign", pointer, name)
        return builder(self, raw, pointer, name, common)

    def jsonata(self, raw: Mapping[str, Any], key: str, pointer: str, state: str) -> Any:
        """Compile a JSONata-mode field (literal, ``{% expr %}``, or nested) once."""
        if key not in raw:
            return None
        from aslrun.expressions.jsonata import JsonataSyntaxError, compile_field

        try:
            return JField(compile_field(raw[key]), raw[key])
        except JsonataSyntaxError as exc:
            self.problem(pointer_join(pointer, key), state, f"Invalid JSONata expression: {exc.reason}",
                         "INVALID_JSONATA_EXPRESSION")
            return None

    def retriers(self, raw: Mapping[str, Any], pointer: str) -> tuple[Retrier, ...]:
        out = []
        for i, r in enumerate(raw.get("Retry") or ()):
            if not isinstance(r, Mapping):
                continue
            out.append(
                Retrier(
                    error_equals=tuple(r.get("ErrorEquals") or ()),
                    interval_seconds=r.get("IntervalSeconds", defaults.RETRY_INTERVAL_SECONDS),
                    max_attempts=r.get("MaxAttempts", defaults.RETRY_MAX_ATTEMPTS),
                    backoff_rate=r.get("BackoffRate", defaults.RETRY_BACKOFF_RATE),
                    max_delay_seconds=r.get("MaxDelaySeconds"),
                    jitter=r.get("JitterStrategy", "NONE"),
                    pointer=pointer_join(pointer, "Retry", i),
                )
            )
        return tuple(out)

    def catchers(self, raw: Mapping[str, Any], pointer: str, state: str, jsonata: bool = False
                 ) -> tuple[Catcher, ...]:
        out = []
        for i, c in enumerate(raw.get("Catch") or ()):
            if not isinstance(c, Mapping):
                continue
            cp = pointer_join(pointer, "Catch", i)
            if jsonata:
                out.append(Catcher(
                    error_equals=tuple(c.get("ErrorEquals") or ()),
                    next=c.get("Next", ""),
                    output=self.jsonata(c, "Output", cp, state),
                    assign=self.jsonata(c, "Assign", cp, state),
                    pointer=cp,
                ))
                continue
            out.append(
                Catcher(
                    error_equals=tuple(c.get("ErrorEquals") or ()),
                    next=c.get("Next", ""),
                    result_path=self.path(c, "ResultPath", cp, state, reference=True, allow_context=False,
                                          allow_variables=False),
                    assign=self.template(c, "Assign", cp, state),
                    pointer=cp,
                )
            )
        return tuple(out)

    def result_path(self, raw: Mapping[str, Any], pointer: str, state: str) -> Any:
        return self.path(raw, "ResultPath", pointer, state, reference=True, allow_context=False,
                         allow_variables=False)


def _expressions(value: Any) -> list[str]:
    """The text of every ``{% %}`` expression in a field value, nested ones included."""
    if isinstance(value, str):
        return [value[2:-2]] if value.startswith("{%") and value.endswith("%}") else []
    if isinstance(value, dict):
        return [text for item in value.values() for text in _expressions(item)]
    if isinstance(value, list):
        return [text for item in value for text in _expressions(item)]
    return []


def _jsonata_or_literal(c: _Compiler, raw: Mapping[str, Any], key: str, pointer: str, name: str) -> Any:
    """A JSONata-mode field that may be a literal (kept as is) or an expression (a JField)."""
    from aslrun.expressions.jsonata import is_jsonata

    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, (str, dict, list)) and _contains_jsonata(value, is_jsonata):
        return c.jsonata(raw, key, pointer, name)
    return value


def _contains_jsonata(value: Any, is_jsonata: Any) -> bool:
    if isinstance(value, str):
        return bool(is_jsonata(value))
    if isinstance(value, dict):
        return any(_contains_jsonata(v, is_jsonata) for v in value.values())
    if isinstance(value, list):
        return any(_contains_jsonata(v, is_jsonata) for v in value)
    return False


def _pass(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    if common["query_language"] == "JSONata":
        return PassState(**common)
    return PassState(
        **common,
        has_result="Result" in raw,
        result=raw.get("Result"),
        parameters=c.template(raw, "Parameters", pointer, name),
        result_path=c.result_path(raw, pointer, name),
    )


def _task(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    if common["query_language"] == "JSONata":
        return TaskState(
            **common,
            resource=raw.get("Resource", ""),
            arguments=c.jsonata(raw, "Arguments", pointer, name),
            retry=c.retriers(raw, pointer),
            catch=c.catchers(raw, pointer, name, jsonata=True),
            timeout_seconds=_jsonata_or_literal(c, raw, "TimeoutSeconds", pointer, name),
            heartbeat_seconds=_jsonata_or_literal(c, raw, "HeartbeatSeconds", pointer, name),
            credentials=c.jsonata(raw, "Credentials", pointer, name),
        )
    return TaskState(
        **common,
        resource=raw.get("Resource", ""),
        parameters=c.template(raw, "Parameters", pointer, name),
        result_selector=c.template(raw, "ResultSelector", pointer, name),
        result_path=c.result_path(raw, pointer, name),
        retry=c.retriers(raw, pointer),
        catch=c.catchers(raw, pointer, name),
        timeout_seconds=raw.get("TimeoutSeconds"),
        timeout_seconds_path=c.path(raw, "TimeoutSecondsPath", pointer, name, reference=True),
        heartbeat_seconds=raw.get("HeartbeatSeconds"),
        heartbeat_seconds_path=c.path(raw, "HeartbeatSecondsPath", pointer, name, reference=True),
        credentials=c.template(raw, "Credentials", pointer, name),
    )


def _choice(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    from aslrun.expressions.choice import compile_condition

    branches = []
    if common["query_language"] == "JSONata":
        for i, rule in enumerate(raw.get("Choices") or ()):
            if not isinstance(rule, Mapping):
                continue
            rp = pointer_join(pointer, "Choices", i)
            branches.append(ChoiceBranch(
                condition=_jsonata_or_literal(c, rule, "Condition", rp, name),
                next=rule.get("Next", ""),
                assign=c.jsonata(rule, "Assign", rp, name),
                output=c.jsonata(rule, "Output", rp, name),
                pointer=rp,
            ))
        return ChoiceState(**common, choices=tuple(branches), default=raw.get("Default"))
    for i, rule in enumerate(raw.get("Choices") or ()):
        rp = pointer_join(pointer, "Choices", i)
        condition, diags = compile_condition(rule, rp, name, True, c.cache)
        c.diagnostics.extend(d for d in diags if d.severity == "ERROR")
        if condition is None or not isinstance(rule, Mapping):
            continue
        branches.append(
            ChoiceBranch(
                condition=condition,
                next=rule.get("Next", ""),
                assign=c.template(rule, "Assign", rp, name),
                pointer=rp,
            )
        )
    return ChoiceState(**common, choices=tuple(branches), default=raw.get("Default"))


def _wait(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    from aslrun.expressions.timestamps import parse_timestamp

    if common["query_language"] == "JSONata":
        seconds = _jsonata_or_literal(c, raw, "Seconds", pointer, name)
        stamp = _jsonata_or_literal(c, raw, "Timestamp", pointer, name)
        if isinstance(stamp, str):
            parsed = parse_timestamp(stamp)
            if parsed is None:
                c.problem(pointer_join(pointer, "Timestamp"), name, "String does not match RFC3339 timestamp")
            stamp = parsed
        return WaitState(**common, seconds=seconds, timestamp=stamp)
    timestamp = None
    if "Timestamp" in raw:
        timestamp = parse_timestamp(raw["Timestamp"]) if isinstance(raw["Timestamp"], str) else None
        if timestamp is None:
            c.problem(pointer_join(pointer, "Timestamp"), name, "String does not match RFC3339 timestamp")
    return WaitState(
        **common,
        seconds=raw.get("Seconds"),
        seconds_path=c.path(raw, "SecondsPath", pointer, name, reference=True),
        timestamp=timestamp,
        timestamp_path=c.path(raw, "TimestampPath", pointer, name, reference=True),
    )


def _succeed(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    return SucceedState(**common)


def _fail(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    if common["query_language"] == "JSONata":
        return FailState(
            **common,
            error=_jsonata_or_literal(c, raw, "Error", pointer, name),
            cause=_jsonata_or_literal(c, raw, "Cause", pointer, name),
        )
    return FailState(
        **common,
        error=raw.get("Error"),
        cause=raw.get("Cause"),
        error_path=c.dollar_value(raw, "ErrorPath", pointer, name),
        cause_path=c.dollar_value(raw, "CausePath", pointer, name),
    )


def _parallel(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    branches = tuple(
        c.states(b, pointer_join(pointer, "Branches", i), c.machine_language)
        for i, b in enumerate(raw.get("Branches") or ())
        if isinstance(b, Mapping)
    )
    if common["query_language"] == "JSONata":
        return ParallelState(
            **common,
            branches=branches,
            arguments=c.jsonata(raw, "Arguments", pointer, name),
            retry=c.retriers(raw, pointer),
            catch=c.catchers(raw, pointer, name, jsonata=True),
        )
    return ParallelState(
        **common,
        branches=branches,
        parameters=c.template(raw, "Parameters", pointer, name),
        result_selector=c.template(raw, "ResultSelector", pointer, name),
        result_path=c.result_path(raw, pointer, name),
        retry=c.retriers(raw, pointer),
        catch=c.catchers(raw, pointer, name),
    )


def _s3_field(c: _Compiler, raw: Mapping[str, Any], key: str, pointer: str, name: str, *,
              jsonata: bool) -> dict[str, Any] | None:
    """A Distributed Map's ItemReader or ResultWriter, its payload and MaxItems(Path) compiled."""
    field = raw.get(key)
    if not isinstance(field, Mapping):
        return None
    fp = pointer_join(pointer, key)
    config_key = "ReaderConfig" if key == "ItemReader" else "WriterConfig"
    raw_config = field.get(config_key)
    config: Mapping[str, Any] = raw_config if isinstance(raw_config, Mapping) else {}
    cp = pointer_join(fp, config_key)
    if jsonata:
        payload = c.jsonata(field, "Arguments", fp, name)
        max_items = _jsonata_or_literal(c, config, "MaxItems", cp, name)
        max_items_path = None
    else:
        payload = c.template(field, "Parameters", fp, name)
        max_items = config.get("MaxItems")
        max_items_path = c.path(config, "MaxItemsPath", cp, name, reference=True)
    return {"Resource": field.get("Resource"), "Config": dict(config), "Payload": payload,
            "MaxItems": max_items, "MaxItemsPath": max_items_path}


def _map(c: _Compiler, raw: Mapping[str, Any], pointer: str, name: str, common: dict[str, Any]) -> State:
    key = "ItemProcessor" if "ItemProcessor" in raw else "Iterator"
    proc_raw = raw.get(key) or {}
    config = proc_raw.get("ProcessorConfig") or {}
    processor = c.states(proc_raw, pointer_join(pointer, key), c.machine_language)
    selector_key = "ItemSelector" if "ItemSelector" in raw else "Parameters"
    batcher = raw.get("ItemBatcher")
    compiled_batcher = None
    if isinstance(batcher, Mapping):
        bp = pointer_join(pointer, "ItemBatcher")
        compiled_batcher = {
            "MaxItemsPerBatch": batcher.get("MaxItemsPerBatch"),
            "MaxItemsPerBatchPath": c.path(batcher, "MaxItemsPerBatchPath", bp, name, reference=True),
            "MaxInputBytesPerBatch": batcher.get("MaxInputBytesPerBatch"),
            "MaxInputBytesPerBatchPath": c.path(batcher, "MaxInputBytesPerBatchPath", bp, name, reference=True),
            "BatchInput": c.template(batcher, "BatchInput", bp, name),
        }
    if common["query_language"] == "JSONata":
        jbatcher = None
        if isinstance(batcher, Mapping):
            bp = pointer_join(pointer, "ItemBatcher")
            jbatcher = {
                "MaxItemsPerBatch": _jsonata_or_literal(c, batcher, "MaxItemsPerBatch", bp, name),
                "MaxItemsPerBatchPath": None,
                "MaxInputBytesPerBatch": _jsonata_or_literal(c, batcher, "MaxInputBytesPerBatch", bp, name),
                "MaxInputBytesPerBatchPath": None,
                "BatchInput": c.jsonata(batcher, "BatchInput", bp, name),
            }
        return MapState(
            **common,
            processor=processor,
            mode=config.get("Mode", "INLINE"),
            execution_type=config.get("ExecutionType"),
            items=_jsonata_or_literal(c, raw, "Items", pointer, name),
            item_selector=c.jsonata(raw, "ItemSelector", pointer, name),
            item_batcher=jbatcher,
            item_reader=_s3_field(c, raw, "ItemReader", pointer, name, jsonata=True),
            result_writer=_s3_field(c, raw, "ResultWriter", pointer, name, jsonata=True),
            max_concurrency=_jsonata_or_literal(c, raw, "MaxConcurrency", pointer, name) or 0,
            tolerated_failure_count=_jsonata_or_literal(c, raw, "ToleratedFailureCount", pointer, name),
            tolerated_failure_percentage=_jsonata_or_literal(c, raw, "ToleratedFailurePercentage", pointer, name),
            label=raw.get("Label"),
            retry=c.retriers(raw, pointer),
            catch=c.catchers(raw, pointer, name, jsonata=True),
        )
    return MapState(
        **common,
        processor=processor,
        mode=config.get("Mode", "INLINE"),
        execution_type=config.get("ExecutionType"),
        items_path=c.path(raw, "ItemsPath", pointer, name, reference=True),
        item_selector=c.template(raw, selector_key, pointer, name),
        item_batcher=compiled_batcher,
        item_reader=_s3_field(c, raw, "ItemReader", pointer, name, jsonata=False),
        result_writer=_s3_field(c, raw, "ResultWriter", pointer, name, jsonata=False),
        max_concurrency=raw.get("MaxConcurrency", 0),
        max_concurrency_path=c.path(raw, "MaxConcurrencyPath", pointer, name, reference=True),
        tolerated_failure_count=raw.get("ToleratedFailureCount"),
        tolerated_failure_count_path=c.path(raw, "ToleratedFailureCountPath", pointer, name, reference=True),
        tolerated_failure_percentage=raw.get("ToleratedFailurePercentage"),
        tolerated_failure_percentage_path=c.path(raw, "ToleratedFailurePercentagePath", pointer, name,
                                                 reference=True),
        label=raw.get("Label"),
        result_selector=c.template(raw, "ResultSelector", pointer, name),
        result_path=c.result_path(raw, pointer, name),
        retry=c.retriers(raw, pointer),
        catch=c.catchers(raw, pointer, name),
    )


_BUILDERS: dict[str, Callable[[_Compiler, Mapping[str, Any], str, str, dict[str, Any]], State]] = {
    "Pass": _pass,
    "Task": _task,
    "Choice": _choice,
    "Wait": _wait,
    "Succeed": _succeed,
    "Fail": _fail,
    "Parallel": _parallel,
    "Map": _map,
}


def parse(definition: Any, name: str = "StateMachine", source_name: str | None = None,
          validate: bool = True, cache: ExpressionCache | None = None) -> StateMachine:
    """Validate and compile a definition dict. Raises :class:`DefinitionError` listing every problem.

    ``cache`` is the interpreter's :class:`~aslrun.expressions.cache.ExpressionCache`: paths
    compiled before are taken from it, new ones are added. Without one nothing is cached.
    """
    diagnostics: list[Diagnostic] = []
    # A dict given directly has not been through aslrun.source: the validator and the compiler
    # recurse, and need a JSON value within MAX_JSON_DEPTH (NaN or a date would crash later).
    problem = find_problem(definition)
    if problem is not None:
        raise DefinitionError([Diagnostic("INVALID_JSON_DESCRIPTION", problem.message, problem.pointer)],
                              source_name)
    if validate:
        from aslrun.validation import validate_definition

        diagnostics = [d for d in validate_definition(definition) if d.severity == "ERROR"]
        if diagnostics:
            raise DefinitionError(diagnostics, source_name)
    if not isinstance(definition, Mapping):
        raise DefinitionError(
            [Diagnostic("SCHEMA_VALIDATION_FAILED", "A state machine definition must be a JSON object.", "/")],
            source_name,
        )
    language = definition.get("QueryLanguage", "JSONPath")
    compiler = _Compiler(language, cache)
    body = compiler.states(definition, "", language)
    if compiler.diagnostics:
        raise DefinitionError(compiler.diagnostics, source_name)
    return StateMachine(
        body=body,
        definition=definition,
        name=name,
        timeout_seconds=definition.get("TimeoutSeconds"),
        query_language=language,
        comment=definition.get("Comment"),
        version=definition.get("Version"),
        source_name=source_name,
    )
