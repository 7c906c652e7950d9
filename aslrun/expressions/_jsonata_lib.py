"""jsonata-python, imported in one place so that importing it changes nothing process-wide.

jsonata-python's module body calls ``sys.setrecursionlimit(10000)`` (``Jsonata._static_initializer``,
"similar to JavaScript"), so the first JSONata machine used to raise the recursion limit of the
whole process: the same input then crashed or passed depending on what had run before, and a
limit of 10,000 can overflow the C stack of a thread before Python notices. The limit in force
before the import is put back right after it. Restoring after the import (rather than raising the
limit around each evaluation) is the only thread-safe choice: an import runs once, under the
import lock, while evaluations run concurrently in Map and Parallel threads and would race on a
process-wide setting. Evaluations then run under the caller's limit; one that recurses past it
(a deep expression or a non-terminating recursive function) is the ``D1011`` evaluation error.

Every module of aslrun that needs the library imports it from here.
"""

from __future__ import annotations

import sys

_limit = sys.getrecursionlimit()
try:
    from jsonata import JException, Jsonata
    from jsonata.functions import Functions
    from jsonata.parser import Parser
    from jsonata.regex_engine import RegexFlags
    from jsonata.signature import Signature
    from jsonata.utils import Utils
finally:
    sys.setrecursionlimit(_limit)
del _limit

__all__ = ["Functions", "JException", "Jsonata", "Parser", "RegexFlags", "Signature", "Utils"]
