"""Per-token counters: accepted sends, 429s by scope, errors, injected faults, throughput."""

from __future__ import annotations

from collections import Counter
from typing import Any

from emulator.ratelimit import EDGE_TOLERANCE


class BotStats:
    """Counters for one bot token; cheap to update on the hot path."""

    def __init__(self, max_send_times: int) -> None:
        self.max_send_times = max_send_times
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        self.requests: Counter[str] = Counter()
        self.accepted = 0
        self.accepted_by_method: Counter[str] = Counter()
        self.rate_limited: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.errors_by_code: Counter[int] = Counter()
        self.injected: Counter[str] = Counter()
        self.paid_messages = 0
        self.send_times: list[float] = []
        self.first_send_wall: float | None = None
        self.last_send_wall: float | None = None

    def record_send(self, now: float, wall: float, method: str, paid: bool, count: int) -> None:
        """Count `count` accepted messages sent at limiter time `now`."""
        self.accepted += count
        self.accepted_by_method[method] += count
        if paid:
            self.paid_messages += count
        if len(self.send_times) < self.max_send_times:
            self.send_times.extend([now] * count)
        if self.first_send_wall is None:
            self.first_send_wall = wall
        self.last_send_wall = wall

    def record_error(self, code: int, description: str, scope: str | None = None) -> None:
        """Count an error answer; 429s are additionally split by limiter scope."""
        self.errors_by_code[code] += 1
        if scope is not None:
            self.rate_limited[scope] += 1
        else:
            self.errors[description] += 1

    def snapshot(
        self, star_cost: float, window: float = 1.0, *, include_times: bool = False
    ) -> dict[str, Any]:
        """A JSON-friendly summary including achieved rate and the busiest window."""
        times = self.send_times
        first: float | None = None
        last: float | None = None
        span = 0.0
        per_second: Counter[int] = Counter()
        if times:
            first, last = times[0], times[-1]
            span = last - first
            per_second = Counter(int(t - first) for t in times)
        summary = {
            "requests": dict(self.requests),
            "accepted": self.accepted,
            "accepted_by_method": dict(self.accepted_by_method),
            "rate_limited": sum(self.rate_limited.values()),
            "rate_limited_by_scope": dict(self.rate_limited),
            "errors": dict(self.errors),
            "errors_by_code": {str(k): v for k, v in self.errors_by_code.items()},
            "injected": dict(self.injected),
            "paid_messages": self.paid_messages,
            "stars_spent": round(self.paid_messages * star_cost, 6),
            "first_send_at": first,
            "last_send_at": last,
            "first_send_wall": self.first_send_wall,
            "last_send_wall": self.last_send_wall,
            "achieved_rate": (len(times) - 1) / span if span > 0 else None,
            "peak_in_window": peak_in_window(times, window),
            "per_second": {str(k): v for k, v in sorted(per_second.items())},
        }
        if include_times:
            summary["send_times"] = list(times)
        return summary


def peak_in_window(times: list[float], window: float) -> int:
    """Most sends falling in any half-open interval (t - window, t]."""
    best = 0
    left = 0
    for right, t in enumerate(times):
        while times[left] <= t - window + EDGE_TOLERANCE:
            left += 1
        best = max(best, right - left + 1)
    return best
