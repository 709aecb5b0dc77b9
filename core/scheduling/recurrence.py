"""When a schedule fires next: wall-clock rules in IANA zones that follow DST.

Rules (all times local to the schedule's zone):
- daily: every day at `time_of_day`;
- weekly: on `days_of_week` (0 = Sunday … 6 = Saturday, the cron convention) at `time_of_day`;
- monthly: on `days_of_month` (1–31; a month without that day is skipped) at `time_of_day`;
- custom: every `interval` minutes / hours (exact elapsed time) or days (same wall-clock time).
A local time that does not exist (the spring-forward gap) fires at the first instant after
the gap; a local time that happens twice (fall-back) fires at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_SCAN_DAYS = 366 * 8  # a rule that never matches within this horizon is invalid


@dataclass(frozen=True)
class Rule:
    """A validated recurrence rule."""

    pattern: str  # daily | weekly | monthly | custom
    timezone: str = "UTC"
    time_of_day: time = time(0, 0)
    days_of_week: frozenset[int] = frozenset()
    days_of_month: frozenset[int] = frozenset()
    interval: int = 1
    unit: str = "days"  # minutes | hours | days (custom only)
    anchor: datetime | None = None  # custom: first occurrence (UTC)
    end: datetime | None = None


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time, resolving DST gaps and overlaps."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) == naive:
        return as_utc
    # Inside a spring-forward gap: fire at the transition, when the clocks resume. Zone
    # offsets change on whole minutes, so a minute-by-minute walk finds it.
    moment = naive.replace(tzinfo=zone, fold=1).astimezone(UTC).replace(second=0, microsecond=0)
    while moment.astimezone(zone).replace(tzinfo=None) < naive:
        moment += timedelta(minutes=1)
    return moment


def _matches(rule: Rule, day: date) -> bool:
    if rule.pattern == "daily":
        return True
    if rule.pattern == "weekly":
        return (day.isoweekday() % 7) in rule.days_of_week
    if rule.pattern == "monthly":
        return day.day in rule.days_of_month
    return False


def _next_wall_clock(rule: Rule, after: datetime) -> datetime | None:
    zone = ZoneInfo(rule.timezone)
    day = after.astimezone(zone).date() - timedelta(days=1)
    for _ in range(MAX_SCAN_DAYS):
        if _matches(rule, day):
            candidate = local_to_utc(day, rule.time_of_day, zone)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    return None


def _next_custom(rule: Rule, after: datetime) -> datetime | None:
    anchor = rule.anchor or after
    if anchor > after:
        return anchor
    if rule.unit in ("minutes", "hours"):
        step = (
            timedelta(minutes=rule.interval)
            if rule.unit == "minutes"
            else timedelta(hours=rule.interval)
        )
        periods = int((after - anchor) / step) + 1
        return anchor + periods * step
    zone = ZoneInfo(rule.timezone)
    local_anchor = anchor.astimezone(zone)
    elapsed_days = (after.astimezone(zone).date() - local_anchor.date()).days
    k = max(0, elapsed_days // rule.interval)
    while True:
        day = local_anchor.date() + timedelta(days=k * rule.interval)
        candidate = local_to_utc(day, local_anchor.time().replace(tzinfo=None), zone)
        if candidate > after:
            return candidate
        k += 1


def next_occurrence(rule: Rule, after: datetime) -> datetime | None:
    """The first occurrence strictly after `after` (UTC), or None past the rule's end."""
    found = _next_custom(rule, after) if rule.pattern == "custom" else _next_wall_clock(rule, after)
    if found is None or (rule.end is not None and found > rule.end):
        return None
    return found


def occurrences(rule: Rule, after: datetime, until: datetime, limit: int = 1000) -> list[datetime]:
    """Every occurrence in (after, until], at most `limit` of them."""
    found: list[datetime] = []
    cursor = after
    while len(found) < limit:
        nxt = next_occurrence(rule, cursor)
        if nxt is None or nxt > until:
            break
        found.append(nxt)
        cursor = nxt
    return found
