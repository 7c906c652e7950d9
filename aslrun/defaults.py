"""Every default and limit aslrun uses, as named constants (AWS's quotas unless noted)."""

from __future__ import annotations

#: account, region and partition assumed when the caller names none
ACCOUNT_ID = "111111111111"
REGION = "us-east-1"
PARTITION = "aws"

#: role ARN reported in ExecutionStarted and $$.Execution.RoleArn when none is given
ROLE_ARN = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/aslrun-local-execution-role"

#: payloads (inputs, results, outputs, variables, one Assign): 256 KiB of UTF-8
MAX_PAYLOAD_BYTES = 262_144

#: all stored variables of one execution
MAX_VARIABLES_BYTES = 10 * 1024 * 1024

#: history events of one Standard execution
MAX_HISTORY_EVENTS = 25_000

#: Standard executions may run for one year
MAX_EXECUTION_SECONDS = 365 * 24 * 3600
#: Express executions (StartExecution or StartSyncExecution of an EXPRESS machine) for five minutes
MAX_EXPRESS_SECONDS = 5 * 60

#: names of state machines, executions, states
MAX_NAME_LENGTH = 80

#: Task TimeoutSeconds when the definition gives none (the spec says 60; AWS uses this)
DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999

#: Retrier defaults
RETRY_INTERVAL_SECONDS = 1
RETRY_MAX_ATTEMPTS = 3
RETRY_BACKOFF_RATE = 2.0

#: an inline Map runs at most this many iterations at once, whatever MaxConcurrency says
INLINE_MAP_MAX_CONCURRENCY = 40

#: a distributed Map's default concurrency (child executions at once)
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000

#: a Wait longer than this fails with States.Runtime "Wait state delay is too long."
MAX_WAIT_SECONDS = 2**31 - 1

#: history fields for error and cause are cut to these lengths
MAX_ERROR_LENGTH = 256
MAX_CAUSE_LENGTH = 32_768

#: intrinsic function limits
MAX_INTRINSIC_NESTING = 10
MAX_ARRAY_RANGE_ITEMS = 1000
MAX_INTRINSIC_STRING_CHARS = 10_000

#: Map Label length
MAX_MAP_LABEL_LENGTH = 40

#: when an execution ends, how long its worker threads (integration calls) get to finish once the
#: integrations it used are closed, before aslrun warns that one is stuck (seconds)
WORKER_JOIN_SECONDS = 10.0
#: while executions run, the garbage collector's young generation holds this many new objects before a
#: collection (Python's default is 700): a history is long-lived data that every collection would walk
#: again (a quarter of a long Parallel run); a higher threshold set by the program is kept; 0 leaves it be
GC_YOUNG_THRESHOLD = 50_000

#: on a virtual clock, how long the background must be quiet (real seconds) before the clock jumps to
#: the moment a background thread waits for (a simulated Job container's end)
VIRTUAL_QUIET_SECONDS = 0.02

#: a retry's backoff grows at most to this many seconds (one second more than the longest execution
#: AWS allows, so a longer delay would change nothing); the growth saturates here instead of overflowing
MAX_RETRY_DELAY_SECONDS = MAX_EXECUTION_SECONDS + 1

#: JSON values (execution inputs, definitions, --input files) nest at most this deep. AWS documents no
#: limit (its JSON parser, Jackson, stops at 1,000 since 2.15); aslrun's data flow, expressions and
#: validator are recursive Python, so it uses serde_json's default of 128, far below Python's recursion
#: limit of 1,000, which aslrun never changes
MAX_JSON_DEPTH = 128

#: the longest number (in digits) read from JSON text or accepted in an input. AWS documents none; it
#: is the default maxNumberLength of Jackson 2.15+ (StreamReadConstraints), the JSON parser of AWS's
#: Java services, and far below Python's 4,300-digit limit on int/str conversion, which aslrun never
#: changes
MAX_NUMBER_DIGITS = 1000

#: a definition or input holds at most this many JSON values (objects, arrays, strings, numbers...):
#: more than a 1 MB definition (AWS's hard quota) can hold; it stops YAML aliases that repeat a part
#: exponentially (or refer to themselves) before anything walks them
MAX_JSON_NODES = 1_000_000

#: a JSONPath stops when one of its steps has matched more values than this (repeated deep scans such
#: as ``$..*..*..*`` grow as a power of the document's size); no 256 KiB payload holds as many
MAX_PATH_MATCHES = 1_000_000
