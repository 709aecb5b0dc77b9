"""Quiet hours across midnight, in the recipient's zone."""

from datetime import UTC, datetime

from core.scheduling.quiet import wait_seconds


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_window_across_midnight():
    assert wait_seconds(utc(2024, 6, 1, 21, 59), "22:00", "08:00", "UTC") == 0
    assert wait_seconds(utc(2024, 6, 1, 23, 0), "22:00", "08:00", "UTC") == 9 * 3600
    assert wait_seconds(utc(2024, 6, 2, 7, 30), "22:00", "08:00", "UTC") == 1800
    assert wait_seconds(utc(2024, 6, 2, 8, 0), "22:00", "08:00", "UTC") == 0


def test_window_within_a_day_and_in_a_zone():
    assert wait_seconds(utc(2024, 6, 1, 12, 30), "12:00", "13:00", "UTC") == 1800
    # 23:00 UTC is 01:00 in Berlin (summer): inside 22:00–08:00 there, 7 hours to go.
    assert wait_seconds(utc(2024, 6, 1, 23, 0), "22:00", "08:00", "Europe/Berlin") == 7 * 3600
    assert wait_seconds(utc(2024, 6, 1, 12, 0), "22:00", "08:00", "Unknown/Zone") == 0
