"""The parts of the shared limiter kept per process: key names, lanes, slots, server clock."""

from __future__ import annotations

import asyncio
import hashlib
import math
from typing import Protocol

from core.delivery.pacing import DEFAULT_MARGIN

BATCH_SECONDS = 0.02  # a reservation holds at most this much of a lane's time
OFFSET_BUCKET = 5.0  # seconds per bucket of the clock-offset minimum filter


class SlotOwner(Protocol):
    """What a slot needs of its limiter: taking an answered or unused slot back."""

    def _give_back(self, lane: Lane, at: int, *, now: bool = False) -> None: ...


def token_key(prefix: str, token: str) -> str:
    """The key stem of a token: a hash of it (never the token), in one cluster slot."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:20]
    return f"{prefix}:{{{digest}}}"


class Lane:
    """One rate of the token: its Redis keys, interval, window and this process's slots."""

    def __init__(self, key: str, rate: float) -> None:
        self.key = key
        self.window_key = f"{key}:window"
        self.answered_key = f"{key}:answered"
        self.rate = rate
        self.interval_us = math.ceil(1e6 / (rate * (1.0 - DEFAULT_MARGIN)))
        self.size = max(1, int(rate))  # the window: a second of arrivals holds this many
        self.cap = min(self.size, max(1, int(rate * BATCH_SECONDS)))
        self.batch = 1
        self.slots: list[int] = []
        self.answered: list[tuple[int, int]] = []  # (slot, answered by; 0: now), for Redis
        self.gate = asyncio.Lock()  # broadcast callers of this process take turns
        self.dropped = False
        self.stale_check: asyncio.TimerHandle | None = None


class SharedSlot:
    """A granted send; `server_at` is its slot on the Redis clock (µs)."""

    __slots__ = ("_lane", "_limiter", "server_at")

    def __init__(self, limiter: SlotOwner, lane: Lane, server_at: int) -> None:
        self._limiter: SlotOwner | None = limiter
        self._lane = lane
        self.server_at = server_at

    def done(self, *, at_slot: bool = False) -> None:
        """The answer is back (or the send was dropped): the window may count past it.

        `at_slot`: count it as arrived at its slot (an untracked or unused slot).
        """
        if self._limiter is not None:
            self._limiter._give_back(self._lane, self.server_at, now=not at_slot)
            self._limiter = None


class ServerClock:
    """Maps the Redis clock (µs) to this process's monotonic clock, never early."""

    def __init__(self) -> None:
        self._offsets: list[float] = []  # [current bucket min, previous bucket min]
        self._bucket = 0

    @property
    def known(self) -> bool:
        """Whether a sample was taken yet."""
        return bool(self._offsets)

    def sample(self, local: float, server_us: int) -> None:
        """Note the server's time `server_us` as read back at local time `local`."""
        # local - server is the true offset plus this answer's travel time: the smallest
        # recent sample is the tightest, and never maps a slot earlier than its server time.
        sample = local - server_us / 1e6
        bucket = int(local // OFFSET_BUCKET)
        if not self._offsets or bucket != self._bucket:
            self._offsets = [sample, self._offsets[0] if self._offsets else sample]
            self._bucket = bucket
        self._offsets[0] = min(self._offsets[0], sample)

    def offset(self) -> float:
        """Local minus server time, in seconds."""
        return min(self._offsets)

    def local(self, server_us: int) -> float:
        """The local monotonic time of a server time."""
        return server_us / 1e6 + self.offset()
