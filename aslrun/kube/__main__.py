"""``python -m aslrun.kube``: serve an empty emulated cluster until SIGINT or SIGTERM.

::

    $ python -m aslrun.kube --port 0 --kubeconfig kubeconfig.yaml
    endpoint: https://127.0.0.1:40123
    kubeconfig: kubeconfig.yaml
    $ kubectl --kubeconfig kubeconfig.yaml get namespaces

Without ``--kubeconfig`` the kubeconfig goes to a private temporary directory that is removed on
exit. The bearer token is only ever written to the kubeconfig (mode 0600), never printed. Exit
codes: 0 stopped by a signal, 1 could not serve (e.g. the port is taken), 2 bad usage.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from aslrun.kube.emulator import KubeEmulator
from aslrun.kube.executors import JOB_RUNTIMES, make_executor

__all__ = ["main"]


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535; 0 picks a free one)") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535; 0 picks a free one)")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aslrun.kube",
        description="Serve an emulated Kubernetes API (HTTPS, its own CA) until SIGINT or SIGTERM.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1; the certificate names 127.0.0.1 and "
                             "localhost)")
    parser.add_argument("--port", type=_port, default=0, help="TCP port; 0 (the default) picks a free one")
    parser.add_argument("--kubeconfig", type=Path, metavar="PATH",
                        help="write a kubeconfig for kubectl here (default: a temporary file removed on exit)")
    parser.add_argument("--jobs", choices=JOB_RUNTIMES, default="simulate",
                        help="how Job containers run: simulate (default; nothing runs), process (host "
                             "subprocesses) or docker")
    parser.add_argument("--cluster-name", default="aslrun", metavar="NAME",
                        help="the kubeconfig's cluster, context and user name (default: aslrun)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; returns the exit code (argparse exits 2 on bad usage)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        executor = make_executor(args.jobs, echo=lambda line: print(line, file=sys.stderr, flush=True))
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    scratch = None if args.kubeconfig else Path(tempfile.mkdtemp(prefix="aslrun-kube-"))
    emulator = KubeEmulator(executor=executor, host=args.host, port=args.port, cluster_name=args.cluster_name)
    try:
        try:
            emulator.start()
        except OSError as exc:
            print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        try:
            config = emulator.kubeconfig(args.kubeconfig or scratch / "kubeconfig")  # type: ignore[operator]
        except OSError as exc:
            print(f"error: cannot write the kubeconfig {args.kubeconfig}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"endpoint: {emulator.endpoint}", flush=True)
        print(f"kubeconfig: {config}", flush=True)
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        emulator.stop()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
