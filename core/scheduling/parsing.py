"""Validation of a schedule block: each problem gets the spec's error code and its field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from pydantic import ValidationError

from core.errors import Failures, ValidationFailed
from core.scheduling.inputs import Trigger
from core.scheduling.recurrence import Rule, next_occurrence
from core.validation import parse_instant, timezone_problem

TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
PATTERNS = ("daily", "weekly", "monthly", "custom")
UNITS = ("minutes", "hours", "days")
# Bounds keep every computed time inside datetime's range (a year per step at most).
MAX_INTERVAL = {"minutes": 525_600, "hours": 8_760, "days": 366}
MAX_OCCURRENCES = 1_000_000
# Occurrences are searched up to 8 years ahead: schedule times stay well below datetime.max.
HORIZON = datetime(9990, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ParsedSchedule:
    """A schedule block that passed validation."""

    kind: str
    rule: Rule | None = None
    start: datetime | None = None
    max_occurrences: int | None = None
    triggers: list[Trigger] = field(default_factory=list)

    def first_run(self, now: datetime) -> datetime | None:
        """The first firing time after `now` (None for event-driven schedules)."""
        if self.kind == "one-time":
            return self.start
        if self.rule is None:
            return None
        return next_occurrence(self.rule, max(now, self.start) if self.start else now)


def _fail(code: str, path: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details=[{"field": path, "message": message}], code=code)


def _zone(value: Any, path: str) -> str:
    problem = timezone_problem(value)
    if problem:
        raise _fail("INVALID_TIMEZONE", path, f"timezone {problem}")
    return str(value)


def _instant(value: Any, path: str) -> datetime:
    try:
        instant = parse_instant(value)
    except ValueError as exc:
        raise _fail("INVALID_SCHEDULE", path, str(exc)) from None
    if instant >= HORIZON:
        raise _fail("INVALID_SCHEDULE", path, "schedules end before 9990-01-01T00:00:00Z")
    return instant


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _time_of_day(value: Any, path: str) -> time:
    match = TIME_OF_DAY.match(value) if isinstance(value, str) else None
    if not match:
        raise _fail("INVALID_SCHEDULE", path, "timeOfDay is HH:MM (24-hour), e.g. 09:00")
    return time(int(match.group(1)), int(match.group(2)))


def _int_set(value: Any, path: str, low: int, high: int, hint: str) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        raise _fail("INVALID_SCHEDULE", path, f"give a non-empty list ({hint})")
    bad = [v for v in value if not _whole(v, low, high)]
    if bad:
        raise _fail("INVALID_SCHEDULE", path, f"{bad} out of range: {hint}")
    return frozenset(value)


def _custom(block: dict[str, Any], path: str) -> dict[str, Any]:
    frequency = block.get("frequency")
    frequency = frequency if isinstance(frequency, dict) else {}
    interval: Any = frequency.get("interval")
    unit: Any = frequency.get("unit")
    if unit not in UNITS or not _whole(interval, 1, MAX_INTERVAL[unit]):
        raise _fail(
            "INVALID_SCHEDULE", f"{path}.frequency",
            "frequency is {interval: whole number ≥ 1 (at most a year), "
            "unit: minutes | hours | days}",
        )  # fmt: skip
    if unit == "minutes" and interval < 5:
        raise _fail("INVALID_SCHEDULE", f"{path}.frequency.interval", "at least 5 minutes")
    return {"interval": interval, "unit": unit}


def _days_of_week(block: dict[str, Any], path: str) -> frozenset[int]:
    days = block.get("daysOfWeek")
    if isinstance(days, list) and 7 in days:
        raise _fail(
            "INVALID_SCHEDULE", f"{path}.daysOfWeek",
            "daysOfWeek uses 0–6 with 0 = Sunday (cron convention); use 0, not 7, for Sunday",
        )  # fmt: skip
    return _int_set(days, f"{path}.daysOfWeek", 0, 6, "0 = Sunday … 6")


def _recurring(block: Any, now: datetime, check_past: bool) -> ParsedSchedule:
    """The recurring rule; every problem of the block is reported together."""
    path = "schedule.recurring"
    if not isinstance(block, dict):
        raise _fail("INVALID_SCHEDULE", path, "recurring schedules need schedule.recurring")
    failures = Failures()
    pattern = block.get("pattern")
    if pattern not in PATTERNS:
        with failures.check():
            raise _fail(
                "INVALID_SCHEDULE", f"{path}.pattern", f"pattern is one of {', '.join(PATTERNS)}"
            )
    rule_args: dict[str, Any] = {"pattern": pattern}
    with failures.check():
        rule_args["timezone"] = _zone(block.get("timezone", "UTC"), f"{path}.timezone")
    end = start = None
    with failures.check():
        end = _instant(block["endDate"], f"{path}.endDate") if block.get("endDate") else None
        if check_past and end is not None and end <= now:
            raise _fail("PAST_DATE", f"{path}.endDate", "endDate lies in the past")
    with failures.check():
        if block.get("startDateTime"):
            start = _instant(block["startDateTime"], f"{path}.startDateTime")
    max_runs = block.get("maxOccurrences")
    if max_runs is not None and not _whole(max_runs, 1, MAX_OCCURRENCES):
        with failures.check():
            raise _fail(
                "INVALID_SCHEDULE", f"{path}.maxOccurrences", f"a whole number 1..{MAX_OCCURRENCES}"
            )
    with failures.check():
        if pattern == "custom":
            rule_args.update(_custom(block, path), anchor=start or now + timedelta(minutes=1))
        elif pattern in PATTERNS:
            rule_args["time_of_day"] = _time_of_day(block.get("timeOfDay"), f"{path}.timeOfDay")
    with failures.check():
        if pattern == "weekly":
            rule_args["days_of_week"] = _days_of_week(block, path)
        if pattern == "monthly":
            rule_args["days_of_month"] = _int_set(
                block.get("daysOfMonth"), f"{path}.daysOfMonth", 1, 31, "days 1–31"
            )
    failures.raise_all()
    rule = Rule(**rule_args, end=end)
    parsed = ParsedSchedule("recurring", rule=rule, start=start, max_occurrences=max_runs)
    if check_past and parsed.first_run(now) is None:
        raise _fail("INVALID_SCHEDULE", path, "this rule never fires before its endDate")
    return parsed


def _triggers(block: Any) -> ParsedSchedule:
    path = "schedule.triggers"
    if not isinstance(block, list) or not block:
        raise _fail("INVALID_SCHEDULE", path, "trigger-based schedules need a list of triggers")
    triggers = []
    for index, raw in enumerate(block):
        try:
            trigger = Trigger.model_validate(raw)
        except ValidationError as exc:
            message = exc.errors(include_url=False)[0]["msg"]
            raise _fail("INVALID_SCHEDULE", f"{path}[{index}]", message) from None
        if not isinstance(trigger.conditions.get("event"), str):
            raise _fail("INVALID_SCHEDULE", f"{path}[{index}].conditions.event", "name the event")
        triggers.append(trigger)
    return ParsedSchedule("trigger-based", triggers=triggers)


def parse_schedule(
    kind: str, block: dict[str, Any], now: datetime, *, check_past: bool = True
) -> ParsedSchedule:
    """Validate a `schedule` block of the given type (stored blocks: `check_past=False`)."""
    if kind == "one-time":
        if "startDateTime" not in block:
            raise _fail(
                "INVALID_SCHEDULE", "schedule.startDateTime", "one-time needs startDateTime"
            )
        start = _instant(block["startDateTime"], "schedule.startDateTime")
        if check_past and start <= now:
            raise _fail("PAST_DATE", "schedule.startDateTime", "startDateTime lies in the past")
        return ParsedSchedule("one-time", start=start)
    if kind == "recurring":
        return _recurring(block.get("recurring"), now, check_past)
    return _triggers(block.get("triggers"))
