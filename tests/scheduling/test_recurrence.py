"""Recurrence rules: DST in both directions, month ends, weekly days, custom intervals."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from core.scheduling.recurrence import Rule, next_occurrence, occurrences

LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_daily_nine_am_london_stays_nine_local_across_both_dst_changes():
    rule = Rule("daily", "Europe/London", time(9, 0))
    spring = occurrences(rule, utc(2024, 3, 29), utc(2024, 4, 2))
    assert [o.astimezone(LONDON).hour for o in spring] == [9, 9, 9, 9]
    assert [o.hour for o in spring] == [9, 9, 8, 8]  # 31 March: clocks go forward
    autumn = occurrences(rule, utc(2024, 10, 25), utc(2024, 10, 29))
    assert [o.astimezone(LONDON).hour for o in autumn] == [9, 9, 9, 9]
    assert [o.hour for o in autumn] == [8, 8, 9, 9]  # 27 October: clocks go back


def test_a_time_inside_the_spring_gap_fires_when_clocks_resume():
    rule = Rule("daily", "Europe/London", time(1, 30))
    fired = next_occurrence(rule, utc(2024, 3, 30, 12))
    assert fired == utc(2024, 3, 31, 1, 0)  # 01:30 does not exist; 02:00 BST == 01:00 UTC


def test_a_repeated_fall_back_time_fires_once_at_its_first_occurrence():
    rule = Rule("daily", "Europe/London", time(1, 30))
    fired = occurrences(rule, utc(2024, 10, 26, 12), utc(2024, 10, 28, 12))
    assert fired == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)]


def test_weekly_uses_zero_for_sunday():
    rule = Rule("weekly", "America/New_York", time(10, 0), days_of_week=frozenset({0, 3}))
    fired = occurrences(rule, utc(2024, 6, 17), utc(2024, 6, 30, 23))
    local = [o.astimezone(ZoneInfo("America/New_York")) for o in fired]
    assert [d.strftime("%a %H:%M") for d in local] == [
        "Wed 10:00",
        "Sun 10:00",
        "Wed 10:00",
        "Sun 10:00",
    ]


def test_monthly_skips_months_without_the_day():
    rule = Rule("monthly", "Asia/Tokyo", time(9, 0), days_of_month=frozenset({31}))
    fired = occurrences(rule, utc(2024, 1, 1), utc(2024, 8, 1))
    months = [o.astimezone(ZoneInfo("Asia/Tokyo")).month for o in fired]
    assert months == [1, 3, 5, 7]


def test_end_date_stops_the_rule():
    rule = Rule("daily", "UTC", time(9, 0), end=utc(2024, 1, 3, 12))
    assert occurrences(rule, utc(2024, 1, 1), utc(2024, 2, 1)) == [
        utc(2024, 1, 1, 9), utc(2024, 1, 2, 9), utc(2024, 1, 3, 9),
    ]  # fmt: skip
    assert next_occurrence(rule, utc(2024, 1, 3, 9)) is None


def test_custom_hours_are_elapsed_time_and_days_are_wall_clock():
    hourly = Rule("custom", "Europe/London", interval=2, unit="hours", anchor=utc(2024, 3, 30, 23))
    assert occurrences(hourly, utc(2024, 3, 30, 23), utc(2024, 3, 31, 5)) == [
        utc(2024, 3, 31, 1), utc(2024, 3, 31, 3), utc(2024, 3, 31, 5),
    ]  # fmt: skip
    daily = Rule("custom", "Europe/London", interval=1, unit="days", anchor=utc(2024, 3, 30, 8))
    fired = occurrences(daily, utc(2024, 3, 30, 8), utc(2024, 4, 1, 12))
    assert [o.astimezone(LONDON).hour for o in fired] == [8, 8]


def test_custom_before_its_anchor_waits_for_the_anchor():
    rule = Rule("custom", "UTC", interval=30, unit="minutes", anchor=utc(2030, 1, 1))
    assert next_occurrence(rule, utc(2029, 1, 1)) == utc(2030, 1, 1)
