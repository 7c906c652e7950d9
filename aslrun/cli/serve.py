"""``aslrun serve``: the Step Functions API on localhost, for boto3, the AWS CLI and SDKs.

Exit codes: 0 stopped by Ctrl-C or SIGTERM; 2 bad usage (a port in use, a bad mock file).
Once listening it prints its endpoint (``http://127.0.0.1:8083``) as one line on stdout, so a
script that starts it with ``--port 0`` reads the port it got.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import click

from aslrun.cli.common import fail, stderr_console
from aslrun.errors import AslrunError

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8083, show_default=True, type=click.IntRange(0, 65535),
              help="The port to listen on (0: any free port).")
@click.option("--data", metavar="DIR|:memory:",
              help="Where state machines and executions are kept (default: $XDG_DATA_HOME/aslrun or "
                   "~/.local/share/aslrun); :memory: keeps nothing.")
@click.option("--clock", type=click.Choice(["real", "virtual"]), default="real", show_default=True,
              help="virtual: Waits and retry backoffs take no time.")
@click.option("--mock-config", type=click.Path(dir_okay=False, path_type=Path), envvar="SFN_MOCK_CONFIG",
              help="A MockConfigFile (also $SFN_MOCK_CONFIG); StartExecution on '<machine ARN>#<TestCase>' "
                   "runs that test case.")
def serve(host: str, port: int, data: str | None, clock: str, mock_config: Path | None) -> None:
    """Answer the AWS Step Functions API on http://HOST:PORT (endpoint_url for boto3, --endpoint-url for aws).

    StartSyncExecution and TestState: give boto3 Config(inject_host_prefix=False) (the AWS CLI:
    AWS_DISABLE_HOST_PREFIX_INJECTION=true), or the SDK prepends "sync-" to the host name.
    """
    import logging

    from aslrun.server import ApiServer, default_data_dir

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")

    where = data or str(default_data_dir())
    try:
        server = ApiServer(host, port, data=where, clock=clock, mock_config=mock_config)
    except AslrunError as exc:
        fail(exc)
    except OSError as exc:
        fail(AslrunError(f"cannot listen on {host}:{port}: {exc.strerror or exc}"))
    signal.signal(signal.SIGTERM, _stop)
    stderr_console().print(f"aslrun serve: listening on {server.endpoint} (data: {where}, clock: {clock})",
                           soft_wrap=True)
    click.echo(server.endpoint)  # stdout: the one line a script reads to find the port (--port 0)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def _stop(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
