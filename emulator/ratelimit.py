"""Strict sliding-window counters used for Telegram's flood limits."""

from __future__ import annotations

import math
from collections import deque

# Float clocks accumulate rounding error; a sender spaced exactly at the limit must
# not be punished for 1e-12 s, so timestamps this close to the window edge expire.
EDGE_TOLERANCE = 1e-6


class SlidingWindow:
    """Admitted-event timestamps; admits while fewer than `limit` fall in (now-window, now]."""

    __slots__ = ("_times",)

    def __init__(self) -> None:
        self._times: deque[float] = deque()

    def _expire(self, now: float, window: float) -> None:
        """Drop timestamps that left the half-open window."""
        times = self._times
        edge = now - window + EDGE_TOLERANCE
        while times and times[0] <= edge:
            times.popleft()

    def retry_after(self, now: float, limit: int, window: float, count: int = 1) -> float:
        """Seconds until `count` more events fit, or 0.0 if they fit now."""
        if limit <= 0:
            return window
        self._expire(now, window)
        count = min(count, limit)
        excess = len(self._times) + count - limit
        if excess <= 0:
            return 0.0
        # The `excess`-th oldest event must leave the window before there is room.
        return self._times[excess - 1] + window - now

    def admit(self, now: float, count: int = 1) -> None:
        """Record `count` admitted events at `now` (call after retry_after returned 0)."""
        self._times.extend([now] * count)

    def __len__(self) -> int:
        return len(self._times)


def retry_after_seconds(wait: float) -> int:
    """Telegram's integer retry_after: the ceiling of the wait, never below 1."""
    return max(1, math.ceil(wait - EDGE_TOLERANCE))
