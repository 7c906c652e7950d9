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
``DUPLICATE_STATE_NAME``, and the warnings ``UNKNOWN_ERROR_NAME``,
``LITERAL_DOLLAR_KEY`` and ``UNQUOTED_FILTER_WORD``, are aslrun's own.

The checks avoid cascades: a state with an unknown ``Type`` is not checked field
by field, a field the state does not support is reported once and not checked
further, a dangling target with an obvious spelling fix counts as that fix when
reachability is worked out, and a bad ``StartAt`` suppresses the unreachable-state
check of its ``States`` object.

Choice rules are checked by :func:`aslrun.expressions.choice.compile_condition`,
intrinsic calls by :func:`aslrun.expressions.intrinsics.compile_intrinsic` and
JSONata syntax by ``aslrun.expressions.jsonata.check_syntax`` when those modules
exist; they are imported lazily.

How the parts fit
-----------------

One :class:`~aslrun.validation.report.Reporter` per definition collects the diagnostics.
:func:`aslrun.validation.walk.walk` goes through the machines and states and calls the
checks, which are plain functions, one module per concern:

- :mod:`~aslrun.validation.report`: codes, pointers, wording helpers, the ``Reporter``;
- :mod:`~aslrun.validation.expressions`: paths, payload templates, intrinsics, JSONata, ``Assign``;
- :mod:`~aslrun.validation.fields`: field tables and generic checks (required, types, ranges);
- :mod:`~aslrun.validation.graph`: names, transitions, reachability, terminal states;
- :mod:`~aslrun.validation.retry`: ``Retry`` and ``Catch``;
- :mod:`~aslrun.validation.states` and :mod:`~aslrun.validation.map`: each state type's own fields;
- :mod:`~aslrun.validation.walk`: the walk, which calls all of the above.

Adding a check
--------------

- A check of one state type's fields goes in that type's ``check_<type>`` in
  :mod:`~aslrun.validation.states` (or :mod:`~aslrun.validation.map`); a check of a field
  several types share goes in ``_common_checks`` in :mod:`~aslrun.validation.walk`; a check
  of an expression or of the graph goes in :mod:`~aslrun.validation.expressions` or
  :mod:`~aslrun.validation.graph`.
- Write it as a function that takes the reporter first, then what it checks and where::

      def check_thing(r: Reporter, value: Any, where: str, state: str | None) -> None:

  where ``where`` is the value's JSON Pointer (build it with :func:`join_pointer`) and
  ``state`` the state's name. A state-type check takes ``(r, fields, at)``, ``at`` being a
  :class:`~aslrun.validation.report.StateAt` (pointer, name, query language, scope), and is
  listed in ``_TYPE_CHECKS`` in :mod:`~aslrun.validation.walk`.
- Report with ``r.error(message, where, state, hint)`` (``SCHEMA_VALIDATION_FAILED``),
  ``r.type_error(expected, value, where, state, hint)``, or ``r.add(code, ...,
  severity="WARNING")`` for another code. The message says what was found, the hint what
  to write instead; word values with :func:`~aslrun.validation.report.describe` and
  spelling hints with :func:`did_you_mean`. Never raise: report and return.
- Pin the text in ``tests/test_validate.py``.
"""

from __future__ import annotations

from typing import Any

from aslrun.errors import Diagnostic
from aslrun.validation.fields import STATE_TYPES as STATE_TYPES
from aslrun.validation.report import BARE_WORD_FILTER as BARE_WORD_FILTER
from aslrun.validation.report import DUPLICATE_NAME as DUPLICATE_NAME
from aslrun.validation.report import INVALID_JSONATA as INVALID_JSONATA
from aslrun.validation.report import JSONATA as JSONATA
from aslrun.validation.report import JSONPATH as JSONPATH
from aslrun.validation.report import LITERAL_KEY as LITERAL_KEY
from aslrun.validation.report import MISSING_END as MISSING_END
from aslrun.validation.report import MISSING_TARGET as MISSING_TARGET
from aslrun.validation.report import SCHEMA as SCHEMA
from aslrun.validation.report import UNKNOWN_ERROR_NAME as UNKNOWN_ERROR_NAME
from aslrun.validation.report import Reporter, did_you_mean, join_pointer
from aslrun.validation.resources import AwsResources, ResourceCheck
from aslrun.validation.walk import walk

__all__ = ["MACHINE_TYPES", "Reporter", "did_you_mean", "join_pointer", "validate_definition"]

# STATE_TYPES and the diagnostic codes (SCHEMA, MISSING_TARGET, ...) are imported above
# under their own names: the package has always had them at module level.


#: the state machine types ValidateStateMachineDefinition and CreateStateMachine take
MACHINE_TYPES = ("STANDARD", "EXPRESS")


def validate_definition(doc: Any, *, type: str = "STANDARD",  # noqa: A002 (AWS's name)
                        resources: bool | ResourceCheck = False) -> list[Diagnostic]:
    """Every problem in a parsed definition, in document order, without duplicates.

    Returns an empty list for a valid definition. Diagnostics with severity
    ``ERROR`` make the definition invalid; ``WARNING`` ones point at likely mistakes
    that AWS accepts. ``type`` is the state machine's type, as ValidateStateMachineDefinition
    takes it: ``EXPRESS`` also refuses activities and the ``.sync`` and ``.waitForTaskToken``
    integration patterns. ``None`` or a blank string (an empty file) is
    ``SCHEMA_VALIDATION_FAILED`` "Definition must be a valid JSON object", as AWS answers.

    ``resources`` checks each Task's ``Resource`` as CreateStateMachine does (``SCHEMA_VALIDATION_FAILED``
    "The resource provided ... is not recognized", :mod:`~aslrun.validation.resources`): ``True`` accepts
    what AWS knows, a callable (``IntegrationRegistry.declares``) also what it accepts; ``False`` (the
    default, as the parser runs it) skips the check.
    """
    if type not in MACHINE_TYPES:
        raise ValueError(f"type must be one of {', '.join(MACHINE_TYPES)}, not {type!r}")
    checker = None
    if resources is not False:
        checker = AwsResources(None if resources is True else resources)
    reporter = Reporter(None if isinstance(doc, str) and not doc.strip() else doc, type, checker)
    walk(reporter)
    return reporter.result()
