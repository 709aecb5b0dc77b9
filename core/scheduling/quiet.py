"""Quiet hours: a daily local window without sends, possibly across midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def wait_seconds(now: datetime, start: str, end: str, zone: str) -> float:
    """Seconds until the window [start, end) in `zone` is over; 0 when `now` lies outside it."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    local = now.astimezone(tz)
    begin, finish = _clock(start), _clock(end)
    at = local.time()
    if begin == finish:
        return 0.0
    crosses_midnight = begin > finish
    inside = (at >= begin or at < finish) if crosses_midnight else (begin <= at < finish)
    if not inside:
        return 0.0
    end_day = local.date() + timedelta(days=1) if crosses_midnight and at >= begin else local.date()
    resume = datetime.combine(end_day, finish, tzinfo=tz)
    return max(0.0, (resume.astimezone(UTC) - now).total_seconds())
