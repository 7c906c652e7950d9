"""Static checks on a state machine definition, before anything runs.

:func:`validate_definition` walks a parsed definition (the dicts and lists that
JSON or YAML gives) and returns **every** problem it finds, each as a
:class:`~aslrun.errors.Diagnostic` with a JSON Pointer location (RFC 6901: array
indexes are numbers, ``~`` and ``/`` in names are escaped), the state it concerns
and a hint that says what to do. The parser refuses to build a machine when any
diagnostic has severity ``ERROR``; ``WARNING`` diagnostics never block.

Codes follow ``ValidateStateMachineDefinition`` where AWS has one:
``SCHEMA_VALIDATION_FAILED`` (shape, types, ranges, paths, intrinsic calls),
``MISSING_TRANSITION_TARGET`` (a dangling ``Next``/``Default``/``StartAt`` and
states nothing reaches), ``MISSING_END_STATE`` and ``INVALID_JSONATA_EXPRESSION``.
``DUPLICATE_STATE_NAME``, and the warnings ``UNKNOWN_ERROR_NAME`` and
``LITERAL_DOLLAR_KEY``, are aslrun's own.

The checks avoid cascades: a state with an unknown ``Type`` is not checked field
by field, a field the state does not support is reported once and not checked
further, a dangling target with an obvious spelling fix counts as that fix when
reachability is worked out, and a bad ``StartAt`` suppresses the unreachable-state
check of its ``States`` object.

Choice rules are checked by :func:`aslrun.expressions.choice.compile_condition`,
intrinsic calls by :func:`aslrun.expressions.intrinsics.compile_intrinsic` and
JSONata syntax by ``aslrun.expressions.jsonata.check_syntax`` when those modules
exist; they are imported lazily.

The checks are split by concern: :mod:`~aslrun.validate.report` (codes, pointers, the
reporting base), :mod:`~aslrun.validate.expressions` (paths, templates, intrinsics,
JSONata, Assign), :mod:`~aslrun.validate.fields` (field tables and generic field checks),
:mod:`~aslrun.validate.graph` (names, transitions, reachability, terminal states),
:mod:`~aslrun.validate.retry` (Retry and Catch), :mod:`~aslrun.validate.walk` (the walk
over machines and states), :mod:`~aslrun.validate.states` and :mod:`~aslrun.validate.map`
(the checks of each state type). Each builds on the one it imports its base class from.
"""

from __future__ import annotations

from typing import Any

from aslrun.errors import Diagnostic
from aslrun.validate.fields import STATE_TYPES as STATE_TYPES
from aslrun.validate.map import _MapChecks
from aslrun.validate.report import DUPLICATE_NAME as DUPLICATE_NAME
from aslrun.validate.report import INVALID_JSONATA as INVALID_JSONATA
from aslrun.validate.report import JSONATA as JSONATA
from aslrun.validate.report import JSONPATH as JSONPATH
from aslrun.validate.report import LITERAL_KEY as LITERAL_KEY
from aslrun.validate.report import MISSING_END as MISSING_END
from aslrun.validate.report import MISSING_TARGET as MISSING_TARGET
from aslrun.validate.report import SCHEMA as SCHEMA
from aslrun.validate.report import UNKNOWN_ERROR_NAME as UNKNOWN_ERROR_NAME
from aslrun.validate.report import did_you_mean, join_pointer
from aslrun.validate.states import _StateChecks

__all__ = ["did_you_mean", "join_pointer", "validate_definition"]

# STATE_TYPES and the diagnostic codes (SCHEMA, MISSING_TARGET, ...) are imported above
# under their own names: aslrun.validate has always had them at module level.


def validate_definition(doc: Any) -> list[Diagnostic]:
    """Every problem in a parsed definition, in document order, without duplicates.

    Returns an empty list for a valid definition. Diagnostics with severity
    ``ERROR`` make the definition invalid; ``WARNING`` ones point at likely mistakes
    that AWS accepts.
    """
    checker = _Checker(doc)
    checker.run()
    return checker.result()


class _Checker(_StateChecks, _MapChecks):
    """Every check, from the modules that hold them."""
