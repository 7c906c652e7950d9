"""The timestamps ASL accepts: the RFC 3339 profile of ISO 8601 that the spec mandates.

Accepted, and nothing else::

    2016-03-14T01:59:00Z
    2016-03-14T01:59:00.123Z          fractional seconds, any number of digits
    2016-03-14T01:59:00+01:00         a numeric offset instead of Z (also -00:00)
    2016-03-14T01:59:00.5-07:30

Rejected: a lowercase ``t`` or ``z`` (the spec says both MUST be uppercase), a
missing zone (``2016-03-14T01:59:00``), a missing seconds field, a space instead of
``T``, a date alone, offsets without a colon, impossible calendar dates
(``2023-02-30``), hours past 23, minutes past 59, leap seconds (``:60``) and
non-ASCII digits.

Where this comes from: the spec's "Timestamps" paragraph (uppercase ``T`` and ``Z``,
RFC 3339); LocalStack's AWS-recorded Wait tests (``tests/aws/services/stepfunctions/
v2/base/test_wait.py::test_wait_timestamppath``) show ``Z``, ``.000000Z`` and ``.00Z``
accepted and a missing zone rejected; the recorded Choice tests
(``v2/choice_operators/test_timestamp_operators``) only use ``...:55Z`` forms and
show ``"2023-02-24 12:15:56.832957"`` is not a timestamp. No AWS recording shows how
numeric offsets or lowercase letters behave in a Choice rule; the spec's wording is
followed for them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

__all__ = ["parse_timestamp", "timestamp_key"]

_PATTERN = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))"
)

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _fields(text: str) -> tuple[date, int, int, int, str, int] | None:
    """(date, hour, minute, second, fraction digits, offset seconds) or None."""
    match = _PATTERN.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    try:
        day_value = date(int(year), int(month), int(day))
    except ValueError:
        return None
    h, m, s = int(hour), int(minute), int(second)
    if h > 23 or m > 59 or s > 59:
        return None
    offset = 0
    if sign is not None:
        oh, om = int(off_h), int(off_m)
        if oh > 23 or om > 59:
            return None
        offset = oh * 3600 + om * 60
        if sign == "-":
            offset = -offset
    return day_value, h, m, s, fraction or "", offset


def parse_timestamp(text: str) -> datetime | None:
    """An aware :class:`datetime` for an ASL timestamp string, else None.

    Fractional digits past microseconds are dropped (``datetime`` cannot hold them);
    use :func:`timestamp_key` to compare timestamps at full precision.
    """
    if not isinstance(text, str):
        return None
    fields = _fields(text)
    if fields is None:
        return None
    day_value, h, m, s, fraction, offset = fields
    micros = int((fraction + "000000")[:6])
    tz = UTC if offset == 0 else timezone(timedelta(seconds=offset))
    return datetime(day_value.year, day_value.month, day_value.day, h, m, s, micros, tzinfo=tz)


@lru_cache(maxsize=2048)
def timestamp_key(text: str) -> tuple[int, str] | None:
    """A key that orders ASL timestamps by the instant they name, or None if ``text`` is not one.

    The key is (whole seconds since the epoch in UTC, fractional digits without
    trailing zeros): comparing the digit strings compares the fractions exactly, at
    any precision, so ``...:00.5Z`` equals ``...:00.500Z`` and ``01:00:00+01:00``
    equals ``00:00:00Z``.
    """
    fields = _fields(text)
    if fields is None:
        return None
    day_value, h, m, s, fraction, offset = fields
    seconds = (day_value.toordinal() - _EPOCH_ORDINAL) * 86400 + h * 3600 + m * 60 + s - offset
    return seconds, fraction.rstrip("0")
