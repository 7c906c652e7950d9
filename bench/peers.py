"""aslrun against a peer: the same machines through aslrun and through moto's Step Functions interpreter.

moto (https://github.com/getmoto/moto) executes definitions with a vendored copy of LocalStack's ASL
interpreter (``moto.stepfunctions.parser``), turned on with
``mock_aws(config={"stepfunctions": {"execute_state_machine": True}})``. It is the one open-source
Python peer that runs a definition, so it is the yardstick here. Run it from the repository root::

    .venv/bin/python bench/peers.py            # best of 3 runs of each workload on each side
    .venv/bin/python bench/peers.py --quick    # best of 1
    .venv/bin/python bench/peers.py --only loop --json peers.json

On its first run the script makes ``bench/.peers-venv`` (``python3 -m venv``) and installs
``moto[stepfunctions]`` there, so moto never enters aslrun's own environment; the moto side runs in a
subprocess of that venv (this same file, ``--moto-worker``). The machines are the ones of
``bench/run.py`` (``bench/machines/``), made smaller (``SIZES``) because moto is two to three orders of
magnitude slower: both sides run the same, smaller input, and both outputs are checked.

What is timed: for aslrun, ``Interpreter.run`` on the loaded machine (as ``bench/run.py`` does); for
moto, from ``StartExecution`` to the first ``DescribeExecution`` that is no longer ``RUNNING`` (polled
every 5 ms through boto3 against moto's in-process mock). Transitions are the ``*StateEntered`` events
of each side's own history.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MACHINES = HERE / "machines"
VENV = HERE / ".peers-venv"
PEER_PACKAGE = "moto[stepfunctions]"

#: the workloads, in the order they run and print
WORKLOADS = ("loop", "jsonata-loop", "map", "parameters")

#: how much smaller each workload is made for the comparison (moto takes a few seconds on each)
SIZES = {"loop": 1_000, "jsonata-loop": 1_000, "map": 500, "parameters": 20}

#: seconds allowed for making the venv and installing moto into it
INSTALL_TIMEOUT = 900


def workload(name: str) -> tuple[str, Any]:
    """The definition text and the (resized) input of ``bench/machines/NAME``."""
    definition = (MACHINES / f"{name}.json").read_text(encoding="utf-8")
    input_value = json.loads((MACHINES / f"{name}.input.json").read_text(encoding="utf-8"))
    size = SIZES[name]
    if name in ("loop", "jsonata-loop"):
        input_value["n"] = size
    elif name == "map":
        input_value["items"] = input_value["items"][:size]
    elif name == "parameters":
        input_value = copy.deepcopy(input_value)
        input_value["meta"]["loop"]["n"] = size
    return definition, input_value


# ---------------------------------------------------------------- the moto side (runs in the peers venv)


def moto_worker(name: str, repeat: int) -> dict[str, Any]:
    """Run one workload ``repeat`` times through moto; every run's seconds, transitions and output."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(variable, "testing")
    import boto3
    from moto import mock_aws

    definition, input_value = workload(name)
    runs: list[dict[str, Any]] = []
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        arn = client.create_state_machine(name=name.replace("-", ""), definition=definition,
                                          roleArn="arn:aws:iam::123456789012:role/bench")["stateMachineArn"]
        for number in range(repeat):
            start = time.perf_counter()
            execution = client.start_execution(stateMachineArn=arn, name=f"run-{number}",
                                               input=json.dumps(input_value))["executionArn"]
            while (described := client.describe_execution(executionArn=execution))["status"] == "RUNNING":
                time.sleep(0.005)
            elapsed = time.perf_counter() - start
            events = _history(client, execution)
            runs.append({
                "seconds": elapsed,
                "status": described["status"],
                "error": described.get("error"),
                "cause": described.get("cause"),
                "output": json.loads(described["output"]) if "output" in described else None,
                "transitions": sum(1 for e in events if e["type"].endswith("StateEntered")),
                "events": len(events),
            })
    import moto

    return {"peer": f"moto {moto.__version__}", "runs": runs}


def _history(client: Any, execution: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = client.get_execution_history(executionArn=execution, maxResults=1000, **kwargs)
        events.extend(page["events"])
        if "nextToken" not in page:
            return events
        kwargs = {"nextToken": page["nextToken"]}


# ---------------------------------------------------------------- the aslrun side and the driver


def ensure_peer_venv() -> Path:
    """The peers venv's python, making the venv and installing moto first if needed."""
    python = VENV / "bin" / "python"
    if python.exists() and _has_moto(python):
        return python
    print(f"bench: installing {PEER_PACKAGE} into {VENV.relative_to(HERE.parent)} (once) ...", flush=True)
    try:
        subprocess.run(["python3", "-m", "venv", str(VENV)], check=True, timeout=120)
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               PEER_PACKAGE], timeout=INSTALL_TIMEOUT, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"bench: installing {PEER_PACKAGE} took more than {INSTALL_TIMEOUT} s: is the package "
                         "registry (PyPI, or the index pip is configured for) reachable? Remove "
                         f"{VENV} and try again.") from None
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(f"bench: could not make the venv {VENV}: {exc}") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise SystemExit(f"bench: pip could not install {PEER_PACKAGE} into {VENV} (exit {done.returncode}); the "
                         f"package registry may be unreachable. pip said:\n{tail}")
    return python


def _has_moto(python: Path) -> bool:
    try:
        return subprocess.run([str(python), "-c", "import boto3, moto.stepfunctions.parser"], capture_output=True,
                              timeout=120).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def run_moto(python: Path, name: str, repeat: int, timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run([str(python), str(Path(__file__).resolve()), "--moto-worker", name,
                               "--repeat", str(repeat)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"bench: moto took more than {timeout:.0f} s on {name}; give --timeout more") from None
    if done.returncode != 0:
        raise SystemExit(f"bench: the moto worker failed on {name}:\n{done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_aslrun(name: str, repeat: int) -> dict[str, Any]:
    """Best-of-``repeat`` runs of one workload through aslrun, timed as ``bench/run.py`` times them."""
    import gc

    from run import count_transitions, interpreter

    definition, input_value = workload(name)
    interp = interpreter()
    machine = interp.load(json.loads(definition), name=name)
    interp.run(machine, input_value)  # warm-up
    runs = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = interp.run(machine, input_value)
        elapsed = time.perf_counter() - start
        runs.append({"seconds": elapsed, "status": result.status, "error": result.error, "cause": result.cause,
                     "output": result.output, "transitions": count_transitions(result.events),
                     "events": len(result.events)})
    return {"peer": "aslrun", "runs": runs}


def best(name: str, side: dict[str, Any], input_value: Any) -> dict[str, Any]:
    """The fastest run of a side, after checking that every run did the work."""
    from run import check_output

    for run in side["runs"]:
        if run["status"] != "SUCCEEDED":
            raise SystemExit(f"bench: {side['peer']} ended {name} {run['status']}: {run['error']}: {run['cause']}")
        check_output(name, input_value, run["output"])
    fastest = min(side["runs"], key=lambda r: r["seconds"])
    return {"seconds": fastest["seconds"], "transitions": fastest["transitions"], "events": fastest["events"],
            "per_second": fastest["transitions"] / fastest["seconds"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="best of 1 run instead of 3")
    parser.add_argument("--only", choices=WORKLOADS, action="append", help="run only this workload (repeatable)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write the results to FILE as JSON")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for moto on one workload")
    parser.add_argument("--moto-worker", metavar="WORKLOAD", help=argparse.SUPPRESS)
    parser.add_argument("--repeat", type=int, default=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.moto_worker:
        print(json.dumps(moto_worker(args.moto_worker, args.repeat)))
        return 0

    repeat = 1 if args.quick else 3
    python = ensure_peer_venv()
    print(f"{platform.python_implementation()} {sys.version.split()[0]}, {platform.platform()}, "
          f"{os.cpu_count()} cores; best of {repeat} runs")
    rows = [["workload", "transitions", "aslrun t/s", "moto t/s", "aslrun / moto"]]
    results: dict[str, Any] = {"platform": platform.platform(), "cores": os.cpu_count(), "repeat": repeat,
                               "workloads": {}}
    peer_name = "moto"
    for name in args.only or WORKLOADS:
        _, input_value = workload(name)
        ours = best(name, run_aslrun(name, repeat), input_value)
        peer = run_moto(python, name, repeat, args.timeout)
        peer_name = peer["peer"]
        failed = next((r for r in peer["runs"] if r["status"] != "SUCCEEDED"), None)
        if failed is not None:  # moto's interpreter does not run every machine (JSONata needs a JVM there)
            results["workloads"][name] = {"size": SIZES[name], "aslrun": ours, "moto": failed}
            rows.append([name, f"{ours['transitions']:,}", f"{ours['per_second']:,.0f}",
                         f"{failed['status']}: {failed['error']}", "-"])
            continue
        theirs = best(name, peer, input_value)
        if ours["transitions"] != theirs["transitions"]:
            print(f"note: {name}: aslrun made {ours['transitions']} transitions, moto {theirs['transitions']}")
        ratio = ours["per_second"] / theirs["per_second"]
        results["workloads"][name] = {"size": SIZES[name], "aslrun": ours, "moto": theirs, "ratio": ratio}
        rows.append([name, f"{ours['transitions']:,}", f"{ours['per_second']:,.0f}", f"{theirs['per_second']:,.0f}",
                     f"{ratio:,.0f}x"])
    results["peer"] = peer_name
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(f"(peer: {peer_name}; transitions/s from the best run; the ratio is aslrun's rate over moto's; "
          "a failed peer run shows its status and error)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
