"""N CSV rows through a Distributed Map with a Pass child: items per second and peak memory.

The CSV is put in the embedded S3 (moto, in this process) and read by an ItemReader
(``s3:getObject``, ``InputType`` CSV); each row is one child execution running one Pass state
(``--batch K`` batches rows K at a time with an ItemBatcher). Run it from the repository root::

    .venv/bin/python bench/distributed.py                 # 10,000 rows
    .venv/bin/python bench/distributed.py --rows 100000 --batch 100

What is timed: ``Interpreter.run`` of the machine (reading the object, parsing, the children,
their history). Peak RSS is the process's ``ru_maxrss`` after the run (it includes moto and the
CSV itself). With ``--no-history`` the interpreter keeps no events (``keep_history=False``), so
what is left growing with the row count is the Map's own items and results.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aslrun import Interpreter  # noqa: E402
from aslrun.integrations.aws import AwsIntegration  # noqa: E402
from aslrun.integrations.aws.target import reset_local  # noqa: E402

BUCKET = "aslrun-bench-data"


def machine(batch: int) -> dict[str, Any]:
    """A Distributed Map over the bench CSV, its child one Pass state."""
    state: dict[str, Any] = {
        "Type": "Map", "End": True, "MaxConcurrency": 1000,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                       "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                       "Parameters": {"Bucket": BUCKET, "Key": "rows.csv"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}},
        "ResultSelector": {"count.$": "States.ArrayLength($)"},
    }
    if batch > 1:
        state["ItemBatcher"] = {"MaxItemsPerBatch": batch}
    return {"StartAt": "M", "States": {"M": state}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--no-history", action="store_true",
                        help="keep no events (Interpreter(keep_history=False)): the children's histories go")
    parser.add_argument("--no-payload-limits", action="store_true",
                        help="past ~128,000 rows the Map's result is over AWS's 256 KiB: do not check it")
    args = parser.parse_args()
    with Interpreter(load_plugins=False, keep_history=not args.no_history,
                     check_payload_limits=not args.no_payload_limits) as interp:
        aws = AwsIntegration(interp)
        interp.integrations.add(aws)
        reset_local(interp.account)
        s3 = aws.session().client("s3")
        s3.create_bucket(Bucket=BUCKET)
        body = "id,name,amount\n" + "".join(f"{i},name-{i},{i % 1000}\n" for i in range(args.rows))
        s3.put_object(Bucket=BUCKET, Key="rows.csv", Body=body.encode())
        del body
        start = time.perf_counter()
        result = interp.run(machine(args.batch), {})
        seconds = time.perf_counter() - start
        reset_local(interp.account)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": args.rows, "batch": args.batch, "history": not args.no_history,
                      "children": result.output["count"],
                      "seconds": round(seconds, 3), "items_per_second": round(args.rows / seconds),
                      "peak_rss_mib": round(peak_mib, 1)}))


if __name__ == "__main__":
    main()
