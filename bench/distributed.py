"""Distributed Map benchmarks: CSV rows through a Pass child (items/s, peak memory), and a CPU-bound
local Lambda handler over 1 vs N worker processes (``--workers``).

Rows: the CSV is put in the embedded S3 (moto, in this process) and read by an ItemReader
(``s3:getObject``, ``InputType`` CSV); each row is one child execution running one Pass state
(``--batch K`` batches rows K at a time; ``--writer`` adds a ResultWriter, so the results go to S3 as
the children finish instead of into the state's output). Run it from the repository root::

    .venv/bin/python bench/distributed.py                                   # 10,000 rows
    .venv/bin/python bench/distributed.py --rows 1000000 --no-history --writer
    .venv/bin/python bench/distributed.py --cpu 40 --workers 1 2            # the worker ratio

What is timed: ``Interpreter.run`` of the machine (reading the object, parsing, the children, their
history). Memory: ``rss_before_mib`` is the process's resident size once the CSV is in S3,
``peak_rss_mib`` its peak during the run alone (the kernel's high-water mark, reset before it through
``/proc/self/clear_refs``; where that is not possible, the peak of the whole process) and
``growth_mib`` their difference: what the run itself needed (blurred by memory the setup freed and
the allocator kept: ``--trace-memory`` gives ``traced_peak_mib``, the peak of Python's allocations
during the run, exact but slower). With ``--no-history --writer`` nothing
kept grows with the row count but the object itself: the reader holds its text, and reading it from
moto in this process briefly takes about twice its size (``object_mib``) on top.

CPU: ``--cpu N`` runs N children each invoking a local Python handler that spins for
``--spin`` seconds of CPU, once per ``--workers`` value, and reports each run's items/s and their ratio
to the first (2 cores here, shared: expect noise).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aslrun import Interpreter  # noqa: E402
from aslrun.integrations.aws import AwsIntegration  # noqa: E402
from aslrun.integrations.aws.target import reset_local  # noqa: E402

BUCKET = "aslrun-bench-data"
SPIN = textwrap.dedent("""\
    import time


    def spin(event, context):
        until = time.process_time() + event["seconds"]
        n = 0
        while time.process_time() < until:
            n += 1
        return n
    """)


def machine(batch: int, writer: bool) -> dict[str, Any]:
    """A Distributed Map over the bench CSV, its child one Pass state."""
    state: dict[str, Any] = {
        "Type": "Map", "End": True, "MaxConcurrency": 1000,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                       "Parameters": {"Bucket": BUCKET, "Key": "rows.csv"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}},
    }
    if writer:
        state["ResultWriter"] = {"Resource": "arn:aws:states:::s3:putObject",
                                 "Parameters": {"Bucket": BUCKET, "Prefix": "results"},
                                 "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSONL"}}
    else:
        state["ResultSelector"] = {"count.$": "States.ArrayLength($)"}
    if batch > 1:
        state["ItemBatcher"] = {"MaxItemsPerBatch": batch}
    return {"StartAt": "M", "States": {"M": state}}


def _status_kib(field: str) -> float | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (Linux), so the peak read later is the run's own."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return False
    return True


def rows(args: argparse.Namespace) -> dict[str, Any]:
    with Interpreter(load_plugins=False, keep_history=not args.no_history,
                     check_payload_limits=not args.no_payload_limits) as interp:
        aws = AwsIntegration(interp)
        interp.integrations.add(aws)
        reset_local(interp.account)
        s3 = aws.session().client("s3")
        s3.create_bucket(Bucket=BUCKET)
        with tempfile.TemporaryFile() as csv:  # not one big string: the setup's peak is not the run's
            csv.write(b"id,name,amount\n")
            for start in range(0, args.rows, 100_000):
                csv.write("".join(f"{i},name-{i},{i % 1000}\n"
                                  for i in range(start, min(start + 100_000, args.rows))).encode())
            object_bytes = csv.tell()
            csv.seek(0)
            s3.upload_fileobj(csv, BUCKET, "rows.csv")
        before = _status_kib("VmRSS")
        reset = _reset_peak()
        samples: list[float] = []
        stop = threading.Event()

        def sample() -> None:  # the resident size through the run: does it climb as children finish?
            while not stop.wait(0.05):
                samples.append(_status_kib("VmRSS") or 0.0)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if args.trace_memory:
            tracemalloc.start()
        start = time.perf_counter()
        result = interp.run(machine(args.batch, args.writer), {})
        seconds = time.perf_counter() - start
        traced = tracemalloc.get_traced_memory()[1] if args.trace_memory else None
        tracemalloc.stop()
        stop.set()
        sampler.join()
        peak = _status_kib("VmHWM") if reset else None
        if peak is None:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.writer:
            manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=result.output["ResultWriterDetails"]["Key"])
                                  ["Body"].read())
            children = sum(1 for _ in s3.get_object(Bucket=BUCKET, Key=manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
                           ["Body"].iter_lines())
        reset_local(interp.account)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    if not args.writer:
        children = result.output["count"]
    return {"rows": args.rows, "batch": args.batch, "history": not args.no_history, "writer": args.writer,
            "children": children, "object_mib": round(object_bytes / 2**20, 1), "seconds": round(seconds, 3), "items_per_second": round(args.rows / seconds),
            "rss_before_mib": round((before or 0) / 1024, 1), "peak_rss_mib": round(peak / 1024, 1),
            "growth_mib": round((peak - (before or 0)) / 1024, 1) if reset else None,
            "traced_peak_mib": round(traced / 2**20, 1) if traced is not None else None,
            # VmRSS at a quarter, half, three quarters of the run and at its end
            "rss_quarters_mib": [round(samples[min(len(samples) - 1, len(samples) * q // 4)] / 1024, 1)
                                 for q in (1, 2, 3, 4)] if samples else None}


def cpu(args: argparse.Namespace) -> list[dict[str, Any]]:
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "QueryLanguage": "JSONata", "End": True, "MaxConcurrency": 100,
        "Items": [{"seconds": args.spin}] * args.cpu,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "Spin", "States": {"Spin": {
                              "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:111111111111:function:Spin",
                              "End": True}}}}}}
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as code:
        (Path(code) / "spin.py").write_text(SPIN)
        functions = {"Spin": {"handler": f"{code}/spin.py:spin", "timeout": 60}}
        for workers in args.workers:
            with Interpreter(load_plugins=False, keep_history=False,
                             options={"lambda.functions": functions, "lambda.workers": workers}) as interp:
                from aslrun.integrations.aws.lambdas import LambdaIntegration

                interp.integrations.add(LambdaIntegration(interp))
                interp.run(definition, {})  # warm: the workers start (and import) once, outside the timing
                start = time.perf_counter()
                result = interp.run(definition, {})
                seconds = time.perf_counter() - start
            assert result.status == "SUCCEEDED", (result.error, result.cause)
            out.append({"children": args.cpu, "spin_seconds": args.spin, "workers": workers,
                        "seconds": round(seconds, 3), "items_per_second": round(args.cpu / seconds, 2)})
    for entry in out:
        entry["speedup"] = round(entry["items_per_second"] / out[0]["items_per_second"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--writer", action="store_true", help="write the results to S3 with a ResultWriter")
    parser.add_argument("--no-history", action="store_true",
                        help="keep no events (Interpreter(keep_history=False)): the children's histories go")
    parser.add_argument("--no-payload-limits", action="store_true",
                        help="past ~128,000 rows the Map's result is over AWS's 256 KiB: do not check it")
    parser.add_argument("--trace-memory", action="store_true",
                        help="also the peak of Python's own allocations during the run (tracemalloc; slower): "
                             "unlike RSS, not blurred by memory the setup freed and the allocator kept")
    parser.add_argument("--cpu", type=int, metavar="N", help="N children running a CPU-bound local Lambda handler")
    parser.add_argument("--spin", type=float, default=0.05, help="CPU seconds each handler spins (--cpu)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts to compare (--cpu)")
    args = parser.parse_args()
    if args.cpu:
        for entry in cpu(args):
            print(json.dumps(entry))
        return
    print(json.dumps(rows(args)))


if __name__ == "__main__":
    main()
