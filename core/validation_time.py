"""Instant, duration and time-zone inputs: aware UTC datetimes within a range every later
computation survives, and IANA zone names checked before they reach the filesystem."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo, available_timezones

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

# Instants are kept between these (UTC): a year of headroom below datetime.max leaves room
# for delays, durations and local-time conversion without overflow.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
MAX_DURATION = timedelta(days=36_500)
ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")


def check_instant(value: datetime) -> datetime:
    """An aware datetime within [EARLIEST, LATEST) once in UTC; returned in UTC."""
    if value.tzinfo is None:
        raise PydanticCustomError(
            "timezone_aware", "must include a time zone, e.g. 2024-11-24T10:00:00Z"
        )
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise PydanticCustomError(
            "date_range", "must lie between 1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z (UTC)"
        )
    return utc


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 date-time with a zone, within the supported range; ValueError otherwise."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"'{value}' is not an ISO 8601 date-time") from None
    else:
        raise ValueError("must be an ISO 8601 date-time string")
    if parsed.tzinfo is None:
        raise ValueError("the date-time needs a time zone, e.g. 2024-11-24T10:00:00Z")
    try:
        return check_instant(parsed)
    except PydanticCustomError as exc:
        raise ValueError(exc.message()) from None


_YEARS_ANY_DAY = "197[1-9]|19[89][0-9]|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-7]"
# The document's share of the range: years 1971-9997 on any day, 1970 after 1 January and
# 9998 before 31 December (no zone offset can carry those out of the range). The two edge
# days themselves are refused by the document though the server may take them.
INSTANT_PATTERN = (
    f"^(?:(?:{_YEARS_ANY_DAY})-|1970-(?:0[2-9]|1[0-2])-|1970-01-(?:0[2-9]|[12][0-9]|3[01])"
    "|9998-(?:0[1-9]|1[01])-|9998-12-(?:[0-2][0-9]|30))"
)
Instant = Annotated[
    datetime,
    AfterValidator(check_instant),
    Field(
        json_schema_extra={
            "pattern": INSTANT_PATTERN,
            "description": "An ISO 8601 date-time with a zone, between 1970-01-01T00:00:00Z "
            "and 9999-01-01T00:00:00Z once in UTC.",
        }
    ),
]


def check_duration(value: timedelta) -> timedelta:
    """A non-negative duration of at most MAX_DURATION."""
    if not timedelta(0) <= value <= MAX_DURATION:
        raise ValueError(f"durations are at most {MAX_DURATION.days} days")
    return value


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def timezone_problem(value: Any) -> str | None:
    """Why `value` is not a usable IANA zone name, or None (never touches the filesystem
    with an unchecked name)."""
    hint = "an IANA time zone such as Europe/London"
    if not isinstance(value, str):
        return f"must be {hint}"
    if not ZONE_NAME.fullmatch(value) or ".." in value or value.startswith("/"):
        return f"must be {hint} (at most 64 letters, digits, '_', '+', '-', '/')"
    if value not in _zones():
        return f"'{value}' is not {hint}"
    try:
        ZoneInfo(value)
    except Exception:
        return f"'{value}' is not {hint}"
    return None


def check_timezone(value: str | None) -> str | None:
    """An IANA zone name (None passes), or ValueError naming the problem."""
    if value is None:
        return None
    problem = timezone_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _zone_name(value: str) -> str:
    problem = timezone_problem(value)
    if problem:
        raise PydanticCustomError("invalid_timezone", problem)
    return value


# Errors of this type carry the spec's code INVALID_TIMEZONE (see api.parsing).
TimeZoneName = Annotated[
    str,
    AfterValidator(_zone_name),
    # The document lists the zones this server knows, so a well-formed but unknown name
    # (e.g. "Mars/Base") is not called valid.
    Field(
        json_schema_extra=lambda schema: schema.update(
            enum=sorted(_zones()), description="An IANA time zone, e.g. Europe/London"
        )
    ),
]
