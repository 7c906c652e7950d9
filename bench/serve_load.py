"""Load and crash test of ``aslrun serve``: concurrent executions, polling clients, one SIGKILL.

    .venv/bin/python bench/serve_load.py                  # 200 executions, 20 clients, Wait 3 s
    .venv/bin/python bench/serve_load.py --executions 50 --clients 5 --json out.json

The server runs as a subprocess (``python -m aslrun serve --port 0 --data TMP --clock real``; it
prints its endpoint on stdout). ``--clients`` threads share the executions to start; between two
starts each one polls (DescribeExecution of one of its executions, ListExecutions). When half the
executions are acknowledged the server gets SIGKILL; it is restarted on the same port and data
directory and the clients carry on (a call that fails while it is down is retried on the next
turn; a StartExecution that got no answer was not acknowledged and is not counted). At the end:

- every ``executionArn`` the API returned is listed by ListExecutions after the restart;
- every execution ends in a final status: SUCCEEDED, or FAILED with ``States.Runtime`` for those
  running at the kill (``aslrun serve`` does not resume them; see ``aslrun/server/service.py``);
- figures: acknowledged StartExecutions per second, executions finished per second, API latency
  (p50, p99, max) of the calls that were answered, per operation and overall.

Exit status 0 when both checks hold, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

ROLE = "arn:aws:iam::111111111111:role/bench"
FINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


def machine(wait: int) -> dict[str, Any]:
    return {"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Parameters": {"n.$": "$.n", "doubled.$": "States.MathAdd($.n, $.n)"},
                    "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": wait, "Next": "Done"},
        "Done": {"Type": "Pass", "End": True}}}


class Server:
    """One ``aslrun serve`` subprocess; :meth:`kill` is SIGKILL, :meth:`start` again reuses the port."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = 0
        self.process: subprocess.Popen[str] | None = None
        self.endpoint = ""

    def start(self) -> str:
        command = [sys.executable, "-m", "aslrun", "serve", "--port", str(self.port), "--data", str(self.data),
                   "--clock", "real"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                        env={**os.environ, "PYTHONUNBUFFERED": "1"})
        assert self.process.stdout is not None
        self.endpoint = self.process.stdout.readline().strip()
        if not self.endpoint.startswith("http://"):
            raise SystemExit(f"aslrun serve did not start: {self.endpoint!r}")
        self.port = int(self.endpoint.rsplit(":", 1)[1])
        return self.endpoint

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.stop()

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            self.process.wait(30)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


def client(endpoint: str) -> Any:
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=30))


class Load:
    """The shared record of the run: acknowledged ARNs, latencies, errors."""

    def __init__(self, machine_arn: str, total: int) -> None:
        self.machine_arn = machine_arn
        self.lock = threading.Lock()
        self.acknowledged: list[str] = []
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.unanswered = 0
        self.api_errors: list[str] = []
        self.total = total
        self.half = threading.Event()

    def call(self, sfn: Any, operation: str, **params: Any) -> Any:
        began = time.perf_counter()
        try:
            answer = getattr(sfn, operation)(**params)
        except (BotoCoreError, ConnectionError):
            with self.lock:
                self.unanswered += 1  # the server is down (killed, restarting)
            return None
        except ClientError as exc:
            with self.lock:
                self.api_errors.append(f"{operation}: {exc}")
            return None
        with self.lock:
            self.latency[operation].append(time.perf_counter() - began)
        return answer


def client_loop(load: Load, clients: list[Any], index: int, names: list[str]) -> None:
    """Start this client's executions, polling between starts; after a failed call, try again."""
    mine: list[str] = []
    rng = random.Random(index)
    for name in names:
        while True:
            sfn = clients[0]
            answer = load.call(sfn, "start_execution", stateMachineArn=load.machine_arn, name=name,
                               input=json.dumps({"n": rng.randrange(1000)}))
            if answer is not None:
                mine.append(answer["executionArn"])
                with load.lock:
                    load.acknowledged.append(answer["executionArn"])
                    if len(load.acknowledged) >= load.total // 2:
                        load.half.set()
                break
            with load.lock:
                refused = any(f":{name}'" in error for error in load.api_errors)
            if refused:
                break  # ExecutionAlreadyExists: an earlier attempt reached the store but got no answer
            time.sleep(0.1)
        if mine:
            load.call(clients[0], "describe_execution", executionArn=rng.choice(mine))
        if rng.random() < 0.2:
            load.call(clients[0], "list_executions", stateMachineArn=load.machine_arn, maxResults=100)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def run(executions: int, clients_count: int, wait: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="aslrun-serve-load-") as data:
        server = Server(Path(data))
        try:
            return _run(server, executions, clients_count, wait)
        finally:
            server.stop()


def _run(server: Server, executions: int, clients_count: int, wait: int) -> dict[str, Any]:
    sfn = client(server.start())
    machine_arn = sfn.create_state_machine(name="Load", definition=json.dumps(machine(wait)),
                                           roleArn=ROLE)["stateMachineArn"]
    load = Load(machine_arn, executions)
    # one client per thread, in a list the thread reads each call: the restart swaps it
    clients = [[client(server.endpoint)] for _ in range(clients_count)]
    names = [f"e{i:04d}" for i in range(executions)]
    began = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(load, clients[i], i, names[i::clients_count]))
               for i in range(clients_count)]
    for thread in threads:
        thread.start()
    load.half.wait(120)
    killed_at = time.perf_counter()
    server.kill()
    with load.lock:
        acknowledged_at_kill = len(load.acknowledged)
    endpoint = server.start()
    down = time.perf_counter() - killed_at
    for slot in clients:
        slot[0] = client(endpoint)
    for thread in threads:
        thread.join()
    starts_done = time.perf_counter()
    sfn = client(endpoint)
    statuses = _wait_final(load, sfn, machine_arn, deadline=time.monotonic() + wait * 4 + 120)
    finished = time.perf_counter()
    return _report(load, statuses, executions, clients_count, wait, acknowledged_at_kill, down,
                   starts_done - began, finished - began)


def _wait_final(load: Load, sfn: Any, machine_arn: str, deadline: float) -> dict[str, str]:
    while True:
        statuses: dict[str, str] = {}
        token = None
        while True:
            page = load.call(sfn, "list_executions", stateMachineArn=machine_arn, maxResults=1000,
                             **({"nextToken": token} if token else {}))
            if page is None:
                break
            statuses.update({e["executionArn"]: e["status"] for e in page["executions"]})
            token = page.get("nextToken")
            if not token:
                break
        if all(statuses.get(arn) in FINAL for arn in load.acknowledged) or time.monotonic() > deadline:
            return statuses
        time.sleep(0.5)


def _report(load: Load, statuses: dict[str, str], executions: int, clients: int, wait: int, at_kill: int,
            down: float, start_seconds: float, total_seconds: float) -> dict[str, Any]:
    lost = [arn for arn in load.acknowledged if arn not in statuses]
    open_ = [arn for arn in load.acknowledged if statuses.get(arn) not in FINAL]
    counts: dict[str, int] = defaultdict(int)
    for arn in load.acknowledged:
        counts[statuses.get(arn, "LOST")] += 1
    every = [t for values in load.latency.values() for t in values]
    latency = {op: {"calls": len(v), "p50_ms": percentile(v, 0.5) * 1000, "p99_ms": percentile(v, 0.99) * 1000,
                    "max_ms": max(v) * 1000} for op, v in sorted(load.latency.items())}
    latency["all"] = {"calls": len(every), "p50_ms": percentile(every, 0.5) * 1000,
                      "p99_ms": percentile(every, 0.99) * 1000, "max_ms": max(every) * 1000}
    return {
        "executions": executions, "clients": clients, "wait_seconds": wait,
        "acknowledged": len(load.acknowledged), "acknowledged_at_kill": at_kill, "restart_seconds": down,
        "unanswered_calls": load.unanswered, "api_errors": load.api_errors[:10],
        "statuses": dict(counts), "lost": lost, "not_final": open_,
        "starts_per_second": len(load.acknowledged) / start_seconds,
        "executions_per_second": len(load.acknowledged) / total_seconds, "seconds": total_seconds,
        "latency": latency, "ok": not lost and not open_,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--wait", type=int, default=3, help="seconds of the machine's Wait state (real clock)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    report = run(args.executions, args.clients, args.wait)
    print(f"{report['executions']} executions (Wait {report['wait_seconds']} s), {report['clients']} clients, "
          f"SIGKILL after {report['acknowledged_at_kill']} acknowledged; restart took "
          f"{report['restart_seconds']:.2f} s; {report['unanswered_calls']} calls unanswered while it was down")
    print(f"acknowledged {report['acknowledged']}; final statuses {report['statuses']}; "
          f"lost {len(report['lost'])}; not final {len(report['not_final'])}")
    print(f"StartExecution: {report['starts_per_second']:.1f}/s acknowledged; "
          f"{report['executions_per_second']:.1f} executions/s start to all final ({report['seconds']:.1f} s)")
    for operation, figures in report["latency"].items():
        print(f"  {operation:<18} {figures['calls']:>6} calls  p50 {figures['p50_ms']:7.1f} ms  "
              f"p99 {figures['p99_ms']:7.1f} ms  max {figures['max_ms']:7.1f} ms")
    if report["api_errors"]:
        # ExecutionAlreadyExists on a retried start: its first attempt was committed but the kill lost the answer
        print("API errors (ExecutionAlreadyExists: a start committed whose answer the kill lost):",
              *report["api_errors"], sep="\n  ")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print("OK" if report["ok"] else "FAILED: an acknowledged execution was lost or did not end")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
