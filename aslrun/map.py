"""Map states: items, ItemSelector, batching, inline iterations and distributed child executions.

:class:`MapRunner` is a collaborator of :class:`aslrun.engine.Engine`: the engine makes one and
hands Map states to :meth:`MapRunner.run`; the runner uses the engine's public seams (``enter``,
``event``, ``env``, ``scope``, ``failed``, ``recover``, ``finish``, ``run_states``). Like the rest
of the core it only yields events and effects: a Distributed Map's ItemReader and ResultWriter are
:class:`~aslrun.effects.Invoke` effects of the S3 resources (answered by
:mod:`aslrun.integrations.aws.items`), their text parsed and shaped by :mod:`aslrun.items`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aslrun import dataflow_jsonata as jflow
from aslrun import defaults
from aslrun.dataflow import (
    apply_input_path,
    compact_json,
    lenient_number,
    payload_size,
    quoted_java,
    resolve_path,
)
from aslrun.effects import (
    Aborted,
    Cancel,
    ChildOutcome,
    Event,
    ExecutionTimedOut,
    Invoke,
    Now,
    Spawn,
    TaskReply,
    WaitAny,
)
from aslrun.errors import StatesError
from aslrun.expressions.access import Env
from aslrun.items import (
    MAX_BATCH_BYTES,
    WRITER_FAILED,
    ItemStream,
    ResultSpill,
    execution_record,
    read_items,
    reader_failed,
    result_base,
    take,
    transform_results,
)
from aslrun.nodes import MapState
from aslrun.redrive import Done, Resume, take_resume
from aslrun.scheduling import finished_in_order

if TYPE_CHECKING:
    from aslrun.engine import Engine, Frame

__all__ = ["MapRunner"]

Gen = Generator[Any, Any, Any]


class MapRunner:
    """Runs the Map states of one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run(self, state: MapState, value: Any, frame: Frame) -> Gen:
        resumed = take_resume(frame, state)  # a redrive: the iterations (children) that ran before
        ev = yield from self.engine.enter(frame, state, value)
        counts = [0] * len(state.retry)
        while True:
            env = None if state.jsonata else self.engine.env(frame, state, value, ev)
            try:
                try:
                    read = None
                    if state.distributed and state.item_reader is not None:
                        read = yield from self.read_items(state, value, frame, ev, env)
                    setup = self.setup(state, value, frame, ev, env, read)
                except StatesError as err:
                    if err.evaluation:
                        # AWS records MapStateFailed after the EvaluationFailed of a JSONata Map whose
                        # items (or settings) cannot be worked out (recorded: test_map_state_items_*).
                        err.extra["container"] = True
                    raise (yield from self.engine.failed(err, state, ev, frame)) from None
                items, max_conc, tolerance, item_input = setup
                started = self.engine.event(frame, state, "MapStateStarted", "mapStateStartedEventDetails",
                                     {"length": len(items)})
                yield started
                frame.last = started.id
                try:
                    # AWS checks the tolerated-failure settings only once the Map has started.
                    tolerated = tolerance()
                except StatesError as err:
                    raise (yield from self.engine.failed(err, state, ev, frame)) from None
                if state.distributed:
                    ledger: dict[str, Any] | None = None
                    if state.result_writer is not None:
                        ledger = self.open_ledger(state, frame, ev, env, value)
                    results, succeeded_prev = yield from self.run_distributed(
                        state, frame, ev, items, item_input, max_conc, tolerated, ledger, resumed)
                    if ledger is not None:
                        try:
                            results = yield from self.write_results(state, frame, ev, env, value, results, ledger)
                        except StatesError as err:
                            raise (yield from self.engine.failed(err, state, ev, frame)) from None
                else:
                    results = yield from self.run_inline(state, frame, ev, items, item_input, max_conc,
                                                         resumed.children if resumed is not None else None)
                    succeeded_prev = frame.last
                done = self.engine.event(frame, state, "MapStateSucceeded")
                done.previous = succeeded_prev
                yield done
                return (yield from self.engine.finish(state, value, results, frame, ev, env))
            except StatesError as err:
                caught = yield from self.engine.recover(state, err, counts, frame, value, ev, env)
                if caught is None:
                    continue
                return caught

    def read_items(self, state: MapState, value: Any, frame: Frame, ev: Event, env: Env | None) -> Gen:
        """The items of the Map's ItemReader: an Invoke the driver answers (see aslrun.integrations.aws.items)."""
        reader = state.item_reader
        if state.jsonata:
            scope = self.engine.scope(frame, state, value, ev)
            params = jflow.evaluate(reader["Payload"], scope, "Arguments") if reader["Payload"] is not None else {}
            max_items = _jsonata_number(reader["MaxItems"], scope, "MaxItems", "non-negative-integer")
        else:
            assert env is not None
            ienv = env.with_input(apply_input_path(state.input_path, env))
            params = reader["Payload"].evaluate(ienv) if reader["Payload"] is not None else {}
            max_items = self.map_int(reader["MaxItems"], reader["MaxItemsPath"], ienv, "MaxItemsPath", "integer")
        resource = str(reader["Resource"])
        config = reader["Config"]
        # The ReaderConfig tells the reader how to fetch: bytes for PARQUET, a manifest's files too.
        reply = yield Invoke(resource, params, state.name, context={"Field": "ItemReader", "ReaderConfig": config},
                             scope=frame.scope)
        result = reply.result if isinstance(reply, TaskReply) else reply
        if resource.endswith(":listObjectsV2"):
            if not isinstance(result, list):
                raise reader_failed(f"The {resource} reply is not a list of objects: {compact_json(result)}")
            return list(take(iter(result), max_items))
        if not isinstance(result, (str, bytes, dict)):
            raise reader_failed(f"The {resource} reply is not the object's text: {compact_json(result)}")
        if config.get("InputType", "JSON") == "JSON" or state.item_batcher is not None:
            # A JSON array is parsed whole anyway; batches are counted (and sized) from all the items.
            return list(take(read_items(result, config), max_items))
        # CSV and JSON Lines rows are parsed (a second time) as the children start, not all kept at once.
        return ItemStream(lambda: take(read_items(result, config), max_items))

    def setup(self, state: MapState, value: Any, frame: Frame, ev: Event,
              env: Env | None, read: list[Any] | ItemStream | None = None) -> tuple[Any, int, Any, Any]:
        """Items (batched), concurrency, a function giving the tolerance, and the per-item input function."""
        if state.jsonata:
            scope = self.engine.scope(frame, state, value, ev)
            if read is not None:
                items = read
            elif state.items is not None:
                items = jflow.evaluate_typed(state.items, scope, "Items", "array") \
                    if jflow.is_field(state.items) else state.items
            else:
                items = value
            if not isinstance(items, (list, ItemStream)):
                # An EvaluationFailed event without a location, as AWS records it.
                raise StatesError("States.QueryEvaluationError",
                                  f"Map state input must be an array but was: {compact_json(items)}",
                                  evaluation=True)
            max_conc = _jsonata_number(state.max_concurrency, scope, "MaxConcurrency", "non-negative-integer")

            def tolerance_jsonata() -> tuple[Any, Any]:
                count = _jsonata_number(state.tolerated_failure_count, scope, "ToleratedFailureCount",
                                        "non-negative-integer")
                pct = _jsonata_number(state.tolerated_failure_percentage, scope, "ToleratedFailurePercentage",
                                      "percentage")
                return count, pct

            batches = self.batch_items(state, items, scope, None)
            selector = state.item_selector

            def item_input(index: int, item: Any) -> Any:
                if selector is None:
                    return item
                context = self.engine.ctx.map_item_context(state.name, ev.timestamp, index, item)
                iscope = self.engine.scope(frame, state, value, ev, context=context)
                return jflow.evaluate(selector, iscope, "ItemSelector")

            return batches, max_conc or 0, tolerance_jsonata, item_input

        assert env is not None
        effective = apply_input_path(state.input_path, env)
        ienv = env.with_input(effective)
        if read is not None:
            items = read
        else:
            items = resolve_path(state.items_path, ienv) if state.items_path is not None else effective
        if not isinstance(items, (list, ItemStream)):
            raise StatesError("States.Runtime", f"Map state input must be an array but was: {compact_json(items)}")
        max_conc = self.map_int(state.max_concurrency, state.max_concurrency_path, ienv, "MaxConcurrencyPath",
                                "integer")
        batches = self.batch_items(state, items, None, ienv)
        jsonpath_selector = state.item_selector
        ctx = self.engine.ctx

        def item_input_jsonpath(index: int, item: Any) -> Any:
            if jsonpath_selector is None:
                return item
            item_env = Env(
                effective,
                env.variables,
                context_factory=lambda: ctx.map_item_context(state.name, ev.timestamp, index, item),
                rng=self.engine.rng,
            )
            return jsonpath_selector.evaluate(item_env)

        return batches, max_conc or 0, lambda: self.tolerance(state, ienv), item_input_jsonpath

    def map_int(self, literal: Any, path: Any, env: Env, field: str,
                kind: str) -> Any:
        if path is None:
            return literal
        raw = lenient_number(resolve_path(path, env))
        if kind == "integer":
            if isinstance(raw, bool) or not isinstance(raw, int):
                if not (isinstance(raw, float) and raw.is_integer()):
                    raise StatesError(
                        "States.Runtime",
                        f"The {field} field refers to value {quoted_java(raw)} which is not a valid integer: "
                        f"{path.text}",
                    )
                raw = int(raw)
        elif isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise StatesError(
                "States.Runtime",
                f"The {field} field refers to value {quoted_java(raw)} which is not a valid float: {path.text}",
            )
        return raw

    def tolerance(self, state: MapState, env: Env) -> tuple[Any, Any]:
        count = self.map_int(state.tolerated_failure_count, state.tolerated_failure_count_path, env,
                             "ToleratedFailureCountPath", "integer")
        pct = self.map_int(state.tolerated_failure_percentage, state.tolerated_failure_percentage_path, env,
                           "ToleratedFailurePercentagePath", "float")
        if count is not None and count < 0:
            raise StatesError("States.Runtime", "ToleratedFailureCount cannot be negative.")
        if pct is not None and not 0 <= pct <= 100:
            raise StatesError("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100.")
        return count, pct

    def batch_items(self, state: MapState, items: list[Any] | ItemStream, scope: Any,
                    env: Env | None) -> list[Any] | ItemStream:
        """Items in ItemBatcher's batches; ``items`` as they are without one (an ItemStream is never batched)."""
        batcher = state.item_batcher
        if batcher is None:
            return items
        if scope is not None:
            max_items = _jsonata_number(batcher["MaxItemsPerBatch"], scope, "MaxItemsPerBatch", "positive-integer")
            max_bytes = _jsonata_number(batcher["MaxInputBytesPerBatch"], scope, "MaxInputBytesPerBatch",
                                        "positive-integer")
            batch_input = jflow.evaluate(batcher["BatchInput"], scope, "BatchInput") \
                if batcher["BatchInput"] is not None else None
        else:
            assert env is not None
            max_items = self.map_int(batcher["MaxItemsPerBatch"], batcher["MaxItemsPerBatchPath"], env,
                                     "MaxItemsPerBatchPath", "integer")
            max_bytes = self.map_int(batcher["MaxInputBytesPerBatch"], batcher["MaxInputBytesPerBatchPath"], env,
                                     "MaxInputBytesPerBatchPath", "integer")
            batch_input = batcher["BatchInput"].evaluate(env) if batcher["BatchInput"] is not None else None
        # Every batch stays under AWS's 256 KiB input ceiling, whatever MaxInputBytesPerBatch says.
        max_bytes = min(max_bytes, MAX_BATCH_BYTES) if max_bytes else MAX_BATCH_BYTES
        return list(_batches(iter(items), max_items, max_bytes, batch_input))

    # ------------------------------------------------------------ inline

    def run_inline(self, state: MapState, frame: Frame, entered: Event,
                   items: list[Any], item_input: Any, max_conc: int,
                   prior: dict[int, Done | Resume] | None = None) -> Gen:
        limit = max_conc if max_conc and max_conc > 0 else defaults.INLINE_MAP_MAX_CONCURRENCY
        limit = min(limit, defaults.INLINE_MAP_MAX_CONCURRENCY)
        results: list[Any] = [None] * len(items)
        running: dict[int, tuple[int, Frame, Any]] = {}
        next_index = 0
        last_end = 0
        done: list[Any] = []  # finished iterations not yet taken, the first to finish last
        while next_index < len(items) or running:
            while next_index < len(items) and len(running) < limit:
                i = next_index
                next_index += 1
                before = prior.get(i) if prior is not None else None
                if isinstance(before, Done):  # a redrive keeps an iteration that succeeded
                    results[i] = before.output
                    continue
                try:
                    value = item_input(i, items[i])
                except StatesError as err:
                    for _, _, h in list(running.values()):
                        yield Cancel(h)
                    raise (yield from self.engine.failed(err, state, entered, frame)) from None
                child = frame.nested((state.name, i), "iteration")
                handle = yield Spawn(self.run_iteration(state, i, value, child, before), f"{state.name}[{i}]")
                running[id(handle)] = (i, child, handle)
            if not running:
                break
            if not done:  # one scan per wake-up, not one per iteration
                try:
                    yield WaitAny([h for (_, _, h) in running.values()])
                except Aborted as stop:
                    for _, _, h in list(running.values()):
                        yield Cancel(h, silent=isinstance(stop, ExecutionTimedOut))
                    raise
                done = finished_in_order(h for (_, _, h) in running.values())
            finished = done.pop()
            i, child, _ = running.pop(id(finished))
            frame.last = max(frame.last, child.last)
            last_end = max(last_end, child.end)
            outcome: ChildOutcome = finished.outcome
            if not outcome.ok:
                raise (yield from self.engine.child_failed(outcome, [h for (_, _, h) in running.values()]))
            results[i] = outcome.value
        # The Map's closing events follow the last iteration's MapIterationSucceeded.
        frame.last = max(frame.last, last_end)
        return results

    def run_iteration(self, state: MapState, index: int, value: Any,
                      frame: Frame, resume: Resume | None = None) -> Gen:
        details = {"index": index, "name": state.name}

        def iteration_event(kind: str) -> Event:
            return Event("MapIteration" + kind, "mapIteration" + kind + "EventDetails", details, frame.last,
                         frame.scope, frame.child)

        started = iteration_event("Started")
        yield started
        frame.last = started.id
        try:
            output = yield from self.engine.run_states(state.processor, value, frame, resume)
        except StatesError as err:
            if err.error != "States.Runtime":  # a Runtime error ends the execution with no more events
                yield iteration_event("Failed")
            raise
        except ExecutionTimedOut:
            raise
        except Aborted:
            yield iteration_event("Aborted")
            raise
        done = iteration_event("Succeeded")
        yield done
        frame.end = done.id
        return output

    # ------------------------------------------------------------ distributed

    def map_run_started(self, state: MapState, frame: Frame, resumed: Resume | None) -> tuple[str, Event]:
        """The Map Run's ARN and its first event: MapRunStarted, or MapRunRedriven when a redrive goes on
        with the Map Run that did not succeed."""
        self.engine.map_run_counter += 1
        if resumed is not None and resumed.map_run_arn:
            details = {"mapRunArn": resumed.map_run_arn, "redriveCount": self.engine.ctx.execution["RedriveCount"]}
            return resumed.map_run_arn, self.engine.event(frame, state, "MapRunRedriven", "mapRunRedrivenEventDetails",
                                                          details)
        run_arn = self.engine.ctx.map_run_arn(state.label or state.name, self.engine.map_run_counter)
        return run_arn, self.engine.event(frame, state, "MapRunStarted", "mapRunStartedEventDetails",
                                          {"mapRunArn": run_arn})

    def run_distributed(self, state: MapState, frame: Frame, entered: Event,
                        items: list[Any] | ItemStream, item_input: Any, max_conc: int, tolerated: tuple[Any, Any],
                        ledger: dict[str, Any] | None = None, resumed: Resume | None = None) -> Gen:
        prior = resumed.children if resumed is not None else None
        run_arn, started = self.map_run_started(state, frame, resumed)
        # UpdateMapRun changes these while the children run (aslrun.maprun)
        control = self.engine.map_runs.open(run_arn, max_conc or 0, tolerated, len(items),
                                            ledger is not None, state.item_batcher is not None)
        yield started
        frame.last = started.id
        if ledger is not None:
            ledger.update(run_arn=run_arn, start=started.timestamp)
        limit = max_conc if max_conc and max_conc > 0 else defaults.DISTRIBUTED_MAP_MAX_CONCURRENCY
        total = len(items)
        source = iter(items)  # an ItemStream's items are made one by one as children start
        results: Any = [None] * total if ledger is None or ledger["spill"] is None else _Unkept()
        failures = 0
        running: dict[int, tuple[int, Any]] = {}
        next_index = 0

        # Children that have finished, oldest first, not yet taken (see _finished_children).
        pending: list[Any] = []
        while next_index < total or running:
            while next_index < total and len(running) < control.limit(limit):
                i = next_index
                next_index += 1
                before, item = prior.get(i) if prior is not None else None, next(source)
                if isinstance(before, Done):  # a redrive keeps a child execution that succeeded
                    results[i] = before.output
                    if ledger is not None:  # and its record goes to the result files again
                        ledger["inputs"][i] = item_input(i, item)
                        yield from self.keep_result(state, frame, ledger, i, ChildOutcome(True, before.output))
                    continue
                try:
                    value = item_input(i, item)
                except StatesError as err:
                    for _, h in list(running.values()):
                        yield Cancel(h)
                    raise (yield from self.engine.failed(err, state, entered, frame)) from None
                if ledger is not None:
                    ledger["inputs"][i] = value
                # Child executions of a Distributed Map do not see the parent's variables.
                child = frame.nested((state.name, i), "child", isolated=True, child=(run_arn, i))
                handle = yield Spawn(self.engine.run_states(state.processor, value, child, before), f"{state.name}[{i}]")
                running[id(handle)] = (i, handle)
            if not running and not pending:
                continue  # a redrive: every child left was kept
            if not pending:
                try:
                    yield WaitAny([h for (_, h) in running.values()])
                except Aborted as stop:
                    timed_out = isinstance(stop, ExecutionTimedOut)
                    for _, h in list(running.values()):
                        yield Cancel(h, silent=timed_out)
                    if not timed_out:
                        yield self.engine.event(frame, state, "MapRunAborted")
                    raise
                pending = _finished_children(running)
            finished = pending.pop()
            i, _ = running.pop(id(finished))
            outcome: ChildOutcome = finished.outcome
            control.child_finished(i, outcome.ok, outcome.value, outcome.error, outcome.cause)
            if ledger is not None:
                yield from self.keep_result(state, frame, ledger, i, outcome)
            if outcome.ok:
                results[i] = outcome.value
                continue
            failures += 1
            results[i] = {"Error": outcome.error, "Cause": outcome.cause}
            if _exceeded(failures, total, *control.tolerated):
                raise (yield from self.map_run_failed(state, frame, [h for (_, h) in running.values()]))
        # MapRunSucceeded does not move the cursor: MapStateSucceeded points to it, MapStateExited
        # to MapRunStarted (AWS's links since November 2024).
        run_done = self.engine.event(frame, state, "MapRunSucceeded")
        yield run_done
        if ledger is not None:
            ledger["stop"] = run_done.timestamp
        return results, run_done.id

    def map_run_failed(self, state: MapState, frame: Frame, running: list[Any]) -> Gen:
        """More children failed than tolerated: the others stop, MapRunFailed; the error to raise."""
        for h in running:
            yield Cancel(h)
        error = "States.ExceedToleratedFailureThreshold"
        cause = "The specified tolerated failure threshold was exceeded"
        run_failed = self.engine.event(frame, state, "MapRunFailed", "mapRunFailedEventDetails",
                                       {"error": error, "cause": cause})
        yield run_failed
        frame.last = run_failed.id
        return StatesError(error, cause, extra={"container": True})

    def open_ledger(self, state: MapState, frame: Frame, ev: Event, env: Env | None, value: Any) -> dict[str, Any]:
        """What a ResultWriter keeps while the children run: each child's input until it ends, and its files."""
        writer = state.result_writer
        spill = ResultSpill(writer["Config"]) if writer["Resource"] is not None else None
        return {"inputs": {}, "spill": spill, "error": None,
                "params": lambda: self.writer_params(state, frame, ev, env, value)}

    def writer_params(self, state: MapState, frame: Frame, ev: Event, env: Env | None, value: Any) -> tuple[str, str]:
        """The ResultWriter's ``Bucket`` and ``Prefix`` (its Parameters or Arguments, evaluated)."""
        writer = state.result_writer
        if state.jsonata:
            scope = self.engine.scope(frame, state, value, ev)
            params = jflow.evaluate(writer["Payload"], scope, "Arguments") if writer["Payload"] is not None else {}
        else:
            assert env is not None
            ienv = env.with_input(apply_input_path(state.input_path, env))
            params = writer["Payload"].evaluate(ienv) if writer["Payload"] is not None else {}
        if not isinstance(params, dict) or not isinstance(params.get("Bucket"), str) or not params["Bucket"]:
            raise StatesError(WRITER_FAILED, f"The ResultWriter needs a 'Bucket' string; got {compact_json(params)}")
        return params["Bucket"], str(params.get("Prefix") or "")

    def keep_result(self, state: MapState, frame: Frame, ledger: dict[str, Any], i: int,
                    outcome: ChildOutcome) -> Gen:
        """A finished child's record goes to its ResultWriter file; a full part is sent at once.

        A failure to send is kept and raised once the Map Run is over, where AWS fails the Map.
        """
        value = ledger["inputs"].pop(i, None)
        spill: ResultSpill | None = ledger["spill"]
        if spill is None or ledger["error"] is not None:
            return
        status = "SUCCEEDED" if outcome.ok else "FAILED"
        record = None
        if spill.wants_record(status):
            now = _iso((yield Now()))
            if "start_iso" not in ledger:
                ledger["start_iso"] = _iso(ledger["start"])
                ledger["arns"] = ledger["run_arn"].replace(":mapRun:", ":stateMachine:", 1).rsplit(":", 1)
            machine_arn, run_id = ledger["arns"]
            name = f"{run_id}-{i}"
            arn = machine_arn.replace(":stateMachine:", ":execution:", 1) + ":" + name
            result = outcome.value if outcome.ok else (outcome.error, outcome.cause)
            record = execution_record(arn, name, machine_arn, status, value, result, ledger["start_iso"], now)
        if spill.add(status, record, outcome.value):
            try:
                yield from self.send_part(state, frame, ledger, status, last=False)
            except StatesError as err:
                ledger["error"] = err

    def send_part(self, state: MapState, frame: Frame, ledger: dict[str, Any], status: str, last: bool) -> Gen:
        """Send what the ``status`` file gathered: a part of its multipart upload, or the whole file."""
        spill: ResultSpill = ledger["spill"]
        if "bucket" not in ledger:
            ledger["bucket"], prefix = ledger["params"]()
            ledger["base"] = result_base(prefix, ledger["run_arn"])
        bucket, key = ledger["bucket"], spill.key(status, ledger["base"])
        body = spill.take(status, last)
        resource = str(state.result_writer["Resource"])
        upload = spill.uploads.get(status)
        if upload is None and last:
            yield Invoke(resource, {"Bucket": bucket, "Key": key, "Body": body}, state.name,
                         context={"Field": "ResultWriter"}, scope=frame.scope)
            return
        if upload is None:
            upload = spill.uploads[status] = {"UploadId": None, "Parts": []}
        number = len(upload["Parts"]) + 1
        reply = yield Invoke(resource, {"Bucket": bucket, "Key": key, "Body": body, "UploadId": upload["UploadId"],
                                        "PartNumber": number}, state.name,
                             context={"Field": "ResultWriter"}, scope=frame.scope)
        part = reply.result if isinstance(reply, TaskReply) else reply
        if not isinstance(part, dict) or not part.get("UploadId") or not part.get("ETag"):
            raise StatesError(WRITER_FAILED, f"The {resource} reply to a part of {key} is not "
                                             f"{{UploadId, ETag}}: {compact_json(part)}")
        upload["UploadId"] = part["UploadId"]
        upload["Parts"].append({"PartNumber": number, "ETag": part["ETag"]})
        if last:
            yield Invoke(resource, {"Bucket": bucket, "Key": key, "UploadId": upload["UploadId"],
                                    "Parts": upload["Parts"]}, state.name,
                         context={"Field": "ResultWriter"}, scope=frame.scope)

    def write_results(self, state: MapState, frame: Frame, ev: Event, env: Env | None, value: Any,
                      results: Any, ledger: dict[str, Any]) -> Gen:
        """The ResultWriter: the last of the result files and the manifest put to S3 (Invokes), or
        WriterConfig alone applied to the result."""
        writer = state.result_writer
        config = writer["Config"]
        spill: ResultSpill | None = ledger["spill"]
        if spill is None:
            return transform_results(results, config.get("Transformation", "COMPACT"))
        if ledger["error"] is not None:
            raise ledger["error"]
        if "bucket" not in ledger:
            ledger["bucket"], prefix = ledger["params"]()
            ledger["base"] = result_base(prefix, ledger["run_arn"])
        for status in spill.statuses():
            yield from self.send_part(state, frame, ledger, status, last=True)
        run_arn: str = ledger["run_arn"]
        manifest_key, text = spill.manifest(ledger["bucket"], ledger["base"], run_arn)
        yield Invoke(str(writer["Resource"]), {"Bucket": ledger["bucket"], "Key": manifest_key, "Body": text},
                     state.name, context={"Field": "ResultWriter"}, scope=frame.scope)
        return {"MapRunArn": run_arn, "ResultWriterDetails": {"Bucket": ledger["bucket"], "Key": manifest_key}}


class _Unkept:
    """Where a Map whose ResultWriter writes to S3 puts its children's results: nowhere. They go to the
    writer's files as the children finish (:meth:`MapRunner.keep_result`), not to a list."""

    def __setitem__(self, index: int, value: Any) -> None:
        pass


def _batches(items: Iterator[Any], max_items: Any, max_bytes: int, batch_input: Any) -> Iterator[dict[str, Any]]:
    """ItemBatcher's batches of ``items``, in AWS's envelope: BatchInput (when set) first, then Items."""
    current: list[Any] = []
    size = 0
    for item in items:
        item_size = payload_size(item) if max_bytes else 0
        if current and ((max_items and len(current) >= max_items) or (max_bytes and size + item_size > max_bytes)):
            yield _batch(current, batch_input)
            current, size = [], 0
        current.append(item)
        size += item_size
    if current:
        yield _batch(current, batch_input)


def _batch(items: list[Any], batch_input: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {} if batch_input is None else {"BatchInput": batch_input}
    entry["Items"] = items
    return entry


def _exceeded(failures: int, total: int, count_limit: Any, pct_limit: Any) -> bool:
    """Whether ``failures`` children out of ``total`` exceed the Map's tolerated failures."""
    if count_limit is None and pct_limit is None:
        return failures > 0
    over_count = count_limit is not None and failures > count_limit
    over_pct = pct_limit is not None and total > 0 and failures * 100.0 / total > pct_limit
    if count_limit is not None and pct_limit is not None:
        return over_count or over_pct
    return over_count if count_limit is not None else over_pct


def _finished_children(running: dict[int, tuple[int, Any]]) -> list[Any]:
    """The finished children among ``running``, the first to finish last (so ``pop()`` takes it).

    Taking them one by one is what one ``WaitAny`` per child would answer (the earliest finished
    first): spawning children does not run them, so no child finishes while the Map works through
    the list, and a child spawned meanwhile that is already done (a mocked child) finished after
    all of them and is found by the next ``WaitAny``. One scan per wake-up instead of one per child
    keeps a Map with a MaxConcurrency of 1,000 from scanning 1,000 handles for every item.
    """
    done = [h for (_, h) in running.values() if h.done]
    done.sort(key=lambda h: h.finished_seq, reverse=True)
    return done


def _iso(stamp: Any) -> Any:
    """A timestamp as AWS writes dates in result files (ISO 8601, milliseconds, ``Z``)."""
    if isinstance(stamp, (int, float)):
        stamp = datetime.fromtimestamp(stamp, UTC)
    if hasattr(stamp, "strftime"):
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    return stamp


def _jsonata_number(value: Any, scope: Any, name: str, kind: str) -> Any:
    if jflow.is_field(value):
        return jflow.evaluate_typed(value, scope, name, kind)
    return value
