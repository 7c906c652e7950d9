"""Benchmark aslrun: state transitions per second, and memory per transition.

Run it from the repository root::

    .venv/bin/python bench/run.py            # best of 5 runs of each workload
    .venv/bin/python bench/run.py --quick    # best of 2 (what CI runs)
    .venv/bin/python bench/run.py --json results.json
    .venv/bin/python bench/run.py --profile loop   # cProfile of one run, top 15 by tottime

A *transition* is one state entered: one ``*StateEntered`` event in the history.
The machines and their inputs live in ``bench/machines/`` (``NAME.json`` and
``NAME.input.json``); the same files serve the whole-process comparison in
``bench/README.md``. Each machine is loaded (read, validated, compiled) once; the
timed part is ``Interpreter.run`` on the compiled machine, history included.
The process is single-threaded, so the figures are for one core.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import platform
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aslrun

MACHINES = Path(__file__).resolve().parent / "machines"

#: the workloads, in the order they run and print
WORKLOADS = ("loop", "jsonata-loop", "map", "parallel", "parameters")

#: loop iterations for the memory measurement (each iteration is two transitions)
MEMORY_SIZES = (2_000, 20_000)

#: peak-RSS runs, each in a fresh process: (label, workload, loop iterations or None, history kept);
#: 6,249 loop iterations make a 25,000-event history (4 events an iteration, 4 more around them)
RSS_RUNS = (
    ("map, 10,000 items", "map", None, True),
    ("loop, 25,000 events", "loop", 6_249, True),
    ("loop, 25,000 events, history discarded", "loop", 6_249, False),
)

#: the throughput the loop should reach (transitions per second)
LOOP_TARGET = 50_000


@dataclass
class Timing:
    """Best-of-N figures for one workload."""

    workload: str
    transitions: int
    events: int
    runs: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def per_second(self) -> float:
        return self.transitions / self.best

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            best_seconds=self.best,
            median_seconds=self.median,
            transitions_per_second=round(self.per_second),
            median_transitions_per_second=round(self.transitions / self.median),
        )
        return data


@dataclass
class MemoryFigure:
    """tracemalloc figures for one run of the loop."""

    iterations: int
    history: str  # "kept" or "discarded"
    transitions: int
    events: int
    peak_bytes: int
    retained_bytes: int


def load_workload(name: str) -> tuple[dict[str, Any], Any]:
    """The definition and input of ``bench/machines/NAME.json`` (the one source of truth)."""
    definition = json.loads((MACHINES / f"{name}.json").read_text(encoding="utf-8"))
    input_value = json.loads((MACHINES / f"{name}.input.json").read_text(encoding="utf-8"))
    return definition, input_value


def interpreter(keep_history: bool = True) -> aslrun.Interpreter:
    # AWS's 25,000-event history limit would stop the loop (40,004 events) as it stops it on AWS.
    return aslrun.Interpreter(clock="virtual", history_limit=None, load_plugins=False, seed=0,
                              keep_history=keep_history)


def count_transitions(events: list[Any]) -> int:
    return sum(1 for event in events if event.type.endswith("StateEntered"))


def check(name: str, input_value: Any, result: aslrun.ExecutionResult) -> None:
    """Fail loudly if a workload did not do its work: a fast wrong answer is no benchmark."""
    if result.status != "SUCCEEDED":
        raise SystemExit(f"bench: {name} ended {result.status}: {result.error}: {result.cause}")
    check_output(name, input_value, result.output)


def check_output(name: str, input_value: Any, output: Any) -> None:
    """Fail loudly if ``output`` is not what workload ``name`` computes from ``input_value``."""
    if name in ("loop", "jsonata-loop"):
        ok = output == {"i": input_value["n"], "n": input_value["n"]}
    elif name == "map":
        items = input_value["items"]
        ok = output["scores"] == [value + index for index, value in enumerate(items)]
    elif name == "parallel":
        n = input_value["loop"]["n"]
        first_tag = input_value["tags"][0]
        ok = output["loop"] == {"i": n, "n": n} and output["results"] == [
            {"branch": k, "value": n + k, "firstTag": first_tag} for k in range(1, 9)
        ]
    elif name == "parameters":
        loop = input_value["meta"]["loop"]
        ok = output == {"step": "Step20", "previous": "Step19", "loop": {"i": loop["n"], "n": loop["n"]}}
    else:
        ok = True
    if not ok:
        raise SystemExit(f"bench: {name} produced an unexpected output: {json.dumps(output)[:300]}")


def time_workload(name: str, repeat: int) -> Timing:
    """Run one workload ``repeat`` times after a warm-up run; keep every wall time."""
    definition, input_value = load_workload(name)
    interp = interpreter()
    machine = interp.load(definition, name=name)
    result = interp.run(machine, input_value)  # warm-up, and the reference counts
    check(name, input_value, result)
    timing = Timing(name, count_transitions(result.events), len(result.events))
    del result
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = interp.run(machine, input_value)
        elapsed = time.perf_counter() - start
        check(name, input_value, result)
        if count_transitions(result.events) != timing.transitions:
            raise SystemExit(f"bench: {name} made a different number of transitions from one run to the next")
        timing.runs.append(elapsed)
        del result
    return timing


def measure_memory(iterations: int, keep_history: bool) -> MemoryFigure:
    """Peak and retained traced memory of one loop run of ``iterations`` iterations."""
    definition, input_value = load_workload("loop")
    input_value = dict(input_value, n=iterations)
    interp = interpreter(keep_history)
    machine = interp.load(definition, name="loop")
    counted: list[int] = [0, 0]

    def count(execution: aslrun.Execution, event: Any) -> None:
        counted[1] += 1
        if event.type.endswith("StateEntered"):
            counted[0] += 1

    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = interp.run(machine, input_value, listeners=[count])
        check("loop", input_value, result)
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    if keep_history and len(result.events) != counted[1]:
        raise SystemExit("bench: the history does not hold every event the listeners saw")
    return MemoryFigure(
        iterations,
        "kept" if keep_history else "discarded",
        counted[0],
        counted[1],
        peak - base,
        current - base,
    )


def _proc_status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` figure in KiB (``VmRSS``: now, ``VmHWM``: the peak); None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_worker(index: int) -> dict[str, Any]:
    """One :data:`RSS_RUNS` run in this (fresh) process: RSS before the run and the process's peak RSS."""
    import resource

    label, name, iterations, keep_history = RSS_RUNS[index]
    definition, input_value = load_workload(name)
    if iterations is not None:
        input_value = dict(input_value, n=iterations)
    interp = interpreter(keep_history)
    machine = interp.load(definition, name=name)
    gc.collect()
    before = _proc_status_kib("VmRSS") or 0
    result = interp.run(machine, input_value)
    check(name, input_value, result)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child would report its parent's peak
    peak = _proc_status_kib("VmHWM")
    if peak is None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if sys.platform == "darwin":  # bytes there, KiB elsewhere
            peak //= 1024
    events = len(result.events) if keep_history else 0
    return {"run": label, "events_kept": events, "before_run_kib": before, "peak_kib": peak}


def measure_rss() -> list[dict[str, Any]]:
    """Every :data:`RSS_RUNS` run, each in a fresh interpreter so that one's peak does not hide another's."""
    figures = []
    for index in range(len(RSS_RUNS)):
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--rss-worker", str(index)],
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"bench: the peak-RSS run {RSS_RUNS[index][0]!r} failed:\n{done.stderr.strip()}")
        figures.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return figures


def memory_report(figures: list[MemoryFigure]) -> dict[str, Any]:
    """Bytes per transition between the smallest and largest run, with and without history."""
    out: dict[str, Any] = {"runs": [asdict(f) for f in figures]}
    for mode in ("kept", "discarded"):
        small, large = _ends([f for f in figures if f.history == mode])
        extra = large.transitions - small.transitions
        out[f"peak_bytes_per_transition_history_{mode}"] = (large.peak_bytes - small.peak_bytes) / extra
        out[f"retained_bytes_per_transition_history_{mode}"] = (
            large.retained_bytes - small.retained_bytes
        ) / extra
        if mode == "kept":
            out["retained_bytes_per_event"] = (large.retained_bytes - small.retained_bytes) / (
                large.events - small.events
            )
    return out


def _bytes(value: float) -> str:
    return f"{round(value, 1) + 0.0:,.1f}"  # + 0.0 turns -0.0 into 0.0


def _ends(figures: list[MemoryFigure]) -> tuple[MemoryFigure, MemoryFigure]:
    ordered = sorted(figures, key=lambda f: f.iterations)
    return ordered[0], ordered[-1]


def profile(name: str, top: int = 15) -> str:
    """cProfile of one run of a workload (after a warm-up), the ``top`` functions by own time."""
    definition, input_value = load_workload(name)
    interp = interpreter()
    machine = interp.load(definition, name=name)
    interp.run(machine, input_value)
    profiler = cProfile.Profile()
    profiler.enable()
    result = interp.run(machine, input_value)
    profiler.disable()
    check(name, input_value, result)
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(top)
    return buffer.getvalue()


def machine_info() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "aslrun": aslrun.__version__,
        "aslrun_path": str(Path(aslrun.__file__).resolve().parent),
    }


def _format_table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="best of 2 runs instead of 5 (for CI)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the results to FILE as JSON")
    parser.add_argument(
        "--only", choices=WORKLOADS, action="append", help="run only this workload (repeatable)"
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument(
        "--profile",
        choices=WORKLOADS,
        metavar="WORKLOAD",
        help="print a cProfile of one run of WORKLOAD (top 15 by tottime) and exit",
    )
    parser.add_argument("--rss-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_worker is not None:
        print(json.dumps(rss_worker(args.rss_worker)))
        return 0

    info = machine_info()
    print(
        f"aslrun {info['aslrun']} ({info['aslrun_path']}) on {info['implementation']} {info['python']}, "
        f"{info['platform']}; single-threaded"
    )
    if args.profile:
        print(profile(args.profile))
        return 0

    repeat = 2 if args.quick else 5
    results: dict[str, Any] = {"machine": info, "repeat": repeat, "workloads": {}}
    rows = [["workload", "transitions", "events", "best s", "median s", "transitions/s"]]
    for name in args.only or WORKLOADS:
        timing = time_workload(name, repeat)
        results["workloads"][name] = timing.to_json()
        rows.append(
            [
                name,
                f"{timing.transitions:,}",
                f"{timing.events:,}",
                f"{timing.best:.3f}",
                f"{timing.median:.3f}",
                f"{timing.per_second:,.0f}",
            ]
        )
    print(f"\nthroughput, best of {repeat} runs (after one warm-up run):")
    print(_format_table(rows, right={1, 2, 3, 4, 5}))
    if "loop" in results["workloads"]:
        loop_rate = results["workloads"]["loop"]["transitions_per_second"]
        verdict = "meets" if loop_rate >= LOOP_TARGET else "is below"
        print(f"loop: {loop_rate:,} transitions/s {verdict} the target of {LOOP_TARGET:,}")

    if not args.no_memory:
        figures = [measure_memory(n, keep) for keep in (True, False) for n in MEMORY_SIZES]
        report = memory_report(figures)
        results["memory"] = report
        rows = [["loop iterations", "history", "transitions", "events", "peak KiB", "retained KiB"]]
        for f in figures:
            rows.append(
                [
                    f"{f.iterations:,}",
                    f.history,
                    f"{f.transitions:,}",
                    f"{f.events:,}",
                    f"{f.peak_bytes / 1024:,.0f}",
                    f"{f.retained_bytes / 1024:,.0f}",
                ]
            )
        print("\nmemory (tracemalloc; retained = still allocated after the run, result held):")
        print(_format_table(rows, right={0, 2, 3, 4, 5}))
        print(
            f"history kept:      {_bytes(report['peak_bytes_per_transition_history_kept'])} peak bytes/transition, "
            f"{_bytes(report['retained_bytes_per_event'])} retained bytes/history event"
        )
        print(
            f"history discarded: {_bytes(report['peak_bytes_per_transition_history_discarded'])} peak bytes/transition, "
            f"{_bytes(report['retained_bytes_per_transition_history_discarded'])} retained bytes/transition "
            "(Interpreter(keep_history=False): listeners see every event, none is kept)"
        )

    if not args.no_memory:
        rss = measure_rss()
        results["peak_rss"] = rss
        rows = [["run (a fresh process each)", "events kept", "RSS before run MiB", "peak RSS MiB", "growth MiB"]]
        for f in rss:
            rows.append([f["run"], f"{f['events_kept']:,}", f"{f['before_run_kib'] / 1024:,.1f}",
                         f"{f['peak_kib'] / 1024:,.1f}", f"{(f['peak_kib'] - f['before_run_kib']) / 1024:,.1f}"])
        print("\npeak RSS (the whole process, /proc's VmHWM; growth = peak minus the RSS just before the run):")
        print(_format_table(rows, right={1, 2, 3, 4}))

    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
