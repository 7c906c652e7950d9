"""The Step Functions API on localhost (``aslrun serve``): protocol, operations and the durable store.

Not imported by ``import aslrun``; load it when serving::

    from aslrun.server import ApiServer
    with ApiServer("127.0.0.1", 0, clock="virtual") as server:
        server.start()
        ...  # boto3.client("stepfunctions", endpoint_url=server.endpoint, ...)
"""

from __future__ import annotations

from aslrun.server.app import ApiServer
from aslrun.server.service import LOST_CAUSE, Service
from aslrun.server.store import DB_NAME, MEMORY, Store, default_data_dir

__all__ = ["DB_NAME", "LOST_CAUSE", "MEMORY", "ApiServer", "Service", "Store", "default_data_dir"]
