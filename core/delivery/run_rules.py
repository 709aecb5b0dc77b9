"""Per-run delivery rules of scheduled campaigns: an hourly cap and quiet hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiolimiter import AsyncLimiter

from core.scheduling.quiet import wait_seconds


@dataclass
class RunRules:
    """`hourly` spaces sends evenly under messagesPerHour; `quiet` is (start, end, zone)."""

    hourly: AsyncLimiter | None = None
    per_second: float | None = None
    quiet: tuple[str, str, str] | None = None

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> RunRules:
        """Rules from an execution's settings snapshot (camelCase, as the API stores them)."""
        settings = settings or {}
        rules = cls()
        cap = settings.get("rateLimiting") or {}
        if cap.get("enabled", True) and cap.get("messagesPerHour"):
            per_hour = int(cap["messagesPerHour"])
            # One token at a time: sends are spread evenly instead of bursting each hour.
            rules.hourly = AsyncLimiter(1, 3600 / per_hour)
            rules.per_second = per_hour / 3600
        quiet = settings.get("quietHours") or {}
        if quiet.get("enabled", True) and quiet.get("start") and quiet.get("end"):
            rules.quiet = (quiet["start"], quiet["end"], quiet.get("timezone") or "UTC")
        return rules

    def ready(self) -> bool:
        """Whether the hourly cap lets one more message go now."""
        return self.hourly is None or self.hourly.has_capacity()

    def quiet_wait(self, now: datetime, recipient_zone: str | None) -> float:
        """Seconds to hold a message for this recipient (their zone first, else the schedule's)."""
        if self.quiet is None:
            return 0.0
        start, end, zone = self.quiet
        return wait_seconds(now, start, end, recipient_zone or zone)
