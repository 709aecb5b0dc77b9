"""Send pacing per bot token: even spacing, replies first, a shared pause after 429.

Why not aiolimiter here: its waiters are served first-come-first-served, while bot replies
must overtake queued broadcast sends, and a 429 must hold every sender of the token at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Senders pace slightly under the limit: a strict one-second window on Telegram's side must
# never see a 31st message because one request travelled a few milliseconds faster.
DEFAULT_MARGIN = 0.01


class TokenPacer:
    """Grants send slots spaced `1 / rate` apart; priority callers take the next slot first."""

    def __init__(
        self,
        rate: float,
        *,
        margin: float = DEFAULT_MARGIN,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self.interval = 1.0 / (rate * (1.0 - margin))
        # A late wake-up may reuse at most this much of the slot it missed, so lateness is
        # absorbed without ever packing more than `rate` sends into any one second.
        self._slack = min(self.interval * 0.25, 0.005)
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._priority_waiting = 0

    @property
    def paused_for(self) -> float:
        """Seconds left of a 429 pause (0 when none)."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every send of this token for `seconds` (Telegram's retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, *, priority: bool = False) -> None:
        """Wait for this token's next free slot."""
        if priority:
            self._priority_waiting += 1
        try:
            while True:
                now = self._clock()
                start = max(self._next, self._paused_until)
                ready = now >= start and (priority or self._priority_waiting == 0)
                if ready:
                    self._next = max(start, now - self._slack) + self.interval
                    return
                wait = start - now if now < start else self.interval
                await self._sleep(wait)
        finally:
            if priority:
                self._priority_waiting -= 1


class ChatPacer:
    """Keeps sends to one chat apart: 1 s for private chats, 3 s (20/min) for groups."""

    def __init__(
        self,
        *,
        private_interval: float = 1.0,
        group_interval: float = 3.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.private_interval = private_interval
        self.group_interval = group_interval
        self._clock = clock
        self._sleep = sleep
        self._next: dict[int, float] = {}
        self._pruned_at = 0.0

    def _interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.private_interval

    async def acquire(self, chat_id: int) -> None:
        """Wait until `chat_id` may receive again, and book the slot after it."""
        now = self._clock()
        slot = max(now, self._next.get(chat_id, 0.0))
        self._next[chat_id] = slot + self._interval(chat_id)
        if slot > now:
            await self._sleep(slot - now)
        self._prune(now)

    def _prune(self, now: float) -> None:
        # A broadcast touches each chat once, so the map would otherwise grow to the audience.
        if now - self._pruned_at < 5.0 or len(self._next) < 1024:
            return
        self._pruned_at = now
        self._next = {chat: t for chat, t in self._next.items() if t > now}


class TokenLimiter:
    """Every pacing rule of one bot token: ordinary and paid slots plus per-chat spacing."""

    def __init__(
        self,
        rate: float,
        *,
        paid_rate: float = 1000.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.ordinary = TokenPacer(rate, clock=clock, sleep=sleep)
        self.paid = TokenPacer(paid_rate, clock=clock, sleep=sleep)
        self.chats = ChatPacer(clock=clock, sleep=sleep)

    async def acquire(self, chat_id: int, *, paid: bool = False, priority: bool = False) -> None:
        """Wait until a message to `chat_id` may be sent now."""
        await self.chats.acquire(chat_id)
        await (self.paid if paid else self.ordinary).acquire(priority=priority)

    def pause(self, seconds: float) -> None:
        """After a 429 every send of the token waits, paid or not."""
        self.ordinary.pause(seconds)
        self.paid.pause(seconds)
