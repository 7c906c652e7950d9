"""``--aws-setup`` for the Distributed Map sample: two buckets and a CSV of orders in the embedded S3.

``ASLRUN_SAMPLE_ROWS`` sets the number of rows (default 10,000).
"""

from __future__ import annotations

import os
from typing import Any


def setup(session: Any) -> None:
    """Create the data and results buckets and upload ``orders.csv``."""
    rows = int(os.environ.get("ASLRUN_SAMPLE_ROWS", "10000"))
    s3 = session.client("s3")
    s3.create_bucket(Bucket="aslrun-sample-data")
    s3.create_bucket(Bucket="aslrun-sample-results")
    lines = ["order_id,customer,amount,note"]
    lines += [f'{i},customer-{i % 97},{(i * 37) % 1000}.{i % 100:02d},"line {i}, quoted"' for i in range(1, rows + 1)]
    s3.put_object(Bucket="aslrun-sample-data", Key="orders/orders.csv", Body="\n".join(lines).encode())
