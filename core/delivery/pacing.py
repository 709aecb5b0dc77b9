"""Send pacing per bot token: even spacing, replies first, a shared pause after 429.

Why not aiolimiter here: its waiters are served first-come-first-served, while bot replies
must overtake queued broadcast sends, and a 429 must hold every sender of the token at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Senders pace slightly under the limit: a strict one-second window on Telegram's side must
# never see a 31st message because one request travelled a few milliseconds faster.
DEFAULT_MARGIN = 0.01
# A late wake-up may reuse this much of the slots it missed (in time, not in slots, so 1000
# msg/s catches up after a busy millisecond too). What keeps every second of arrivals within
# the limit is the window of answered slots below; with untracked slots alone, even spacing
# does, while the network's jitter stays below margin / (1 - margin) minus the part of the
# slack a caller actually used.
DEFAULT_SLACK = 0.005
# At high rates a wake-up oversleeps this much and grants every slot that fell due meanwhile:
# a few sends per loop iteration instead of one, each a little late, never early. The slack
# above counts from the end of this oversleep.
COALESCE = 0.005
# Likewise for one chat: a reply that travelled slower than the next one must not make the
# pair look closer than Telegram's one second (three for groups) on arrival.
CHAT_GUARD = 0.03
WINDOW = 1.0  # Telegram counts a token's sends per second
CATCH_UP = 0.1  # at most this much of a wait for the window is made up afterwards
# A tracked slot never marked done (a bug, a lost task) holds the window this long at most.
IN_FLIGHT_BOUND = 60.0


class Slot:
    """One granted send; Telegram has counted it by `arrived_by` at the latest."""

    __slots__ = ("_clock", "arrived_by")

    def __init__(self, granted: float, clock: Clock, *, tracked: bool) -> None:
        self.arrived_by = granted + IN_FLIGHT_BOUND if tracked else granted
        self._clock = clock

    def done(self) -> None:
        """The answer is back (or the send was dropped): Telegram counted it by now."""
        self.arrived_by = self._clock()


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
        self._coalesce = COALESCE if self.interval < COALESCE else 0.0
        # The deliberate oversleep is not lateness: without this, every wake-up at 1000 msg/s
        # lost whatever the busy loop added to it, some 10% of the rate.
        self._slack = DEFAULT_SLACK + self._coalesce
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._paused_until = 0.0
        self._priority_waiting = 0
        # The last `rate` slots. Even spacing alone holds only while no request is delayed by
        # more than the margin on its way (a busy machine, a stalled server); a slot is also
        # granted only once the one `rate` slots back was answered a second ago, so no
        # second of arrivals ever holds more than `rate`, however late a request got there.
        self._window: deque[Slot] = deque(maxlen=max(1, int(rate)))

    @property
    def paused_for(self) -> float:
        """Seconds left of a 429 pause (0 when none)."""
        return max(0.0, self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every send of this token for `seconds` (Telegram's retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def acquire(self, *, priority: bool = False, tracked: bool = False) -> Slot:
        """Wait for this token's next free slot.

        A `tracked` slot counts as in flight until its `done()`; an untracked one as arrived
        when granted.
        """
        if priority:
            self._priority_waiting += 1
        try:
            held = 0.0
            while True:
                now = self._clock()
                start = max(self._next, self._paused_until)
                ready = now >= start and (priority or self._priority_waiting == 0)
                window = self._window
                if ready and len(window) == window.maxlen:
                    free_at = window[0].arrived_by + WINDOW
                    if now < free_at:
                        pause = min(free_at - now, self.interval)
                        held += pause
                        await self._sleep(pause)
                        continue
                if ready:
                    # A wait for the window (a slow answer) is made up by the next slots; the
                    # window itself still bounds them.
                    lag = self._slack + min(held, CATCH_UP)
                    self._next = max(start, now - lag) + self.interval
                    slot = Slot(now, self._clock, tracked=tracked)
                    window.append(slot)
                    return slot
                wait = start - now + self._coalesce if now < start else self.interval
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
        self._sent: dict[int, float] = {}
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

    def claim(self, chat_id: int) -> float:
        """Record a send to `chat_id` now and return 0, or return how long it must still wait.

        The booked slot may lie well before the moment the message actually leaves (the
        token's queue, a 429 pause), and Telegram spaces a chat's messages by when they
        arrive, so the next booking counts from the real send.
        """
        now = self._clock()
        interval = self._interval(chat_id)
        wait = self._sent.get(chat_id, -interval) + interval - now
        if wait > 0:
            return wait
        self._sent[chat_id] = now
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), now + interval)
        return 0.0

    def _prune(self, now: float) -> None:
        # A broadcast touches each chat once, so the maps would otherwise grow to the audience.
        if now - self._pruned_at < 5.0 or len(self._next) < 1024:
            return
        self._pruned_at = now
        self._next = {chat: t for chat, t in self._next.items() if t > now}
        self._sent = {chat: t for chat, t in self._sent.items() if t > now - self.group_interval}


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
        self.chats = ChatPacer(
            private_interval=1.0 + CHAT_GUARD, group_interval=3.0 + CHAT_GUARD, clock=clock,
            sleep=sleep,
        )  # fmt: skip
        self._sleep = sleep

    async def acquire(
        self, chat_id: int, *, paid: bool = False, priority: bool = False, tracked: bool = False
    ) -> Slot:
        """Wait until a message to `chat_id` may be sent now (see TokenPacer.acquire)."""
        await self.chats.acquire(chat_id)
        pacer = self.paid if paid else self.ordinary
        while True:
            slot = await pacer.acquire(priority=priority, tracked=tracked)
            # Only when two sends to one chat raced past their bookings is this slot lost.
            wait = self.chats.claim(chat_id)
            if not wait:
                return slot
            slot.done()
            await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """After a 429 every send of the token waits, paid or not."""
        self.ordinary.pause(seconds)
        self.paid.pause(seconds)

    def rate(self, *, paid: bool = False) -> float:
        """Messages per second of the ordinary or the paid lane."""
        return self.paid.rate if paid else self.ordinary.rate

    @property
    def unavailable(self) -> str | None:
        """Never: an in-process limiter has nothing to lose."""
        return None

    async def wait_ready(self) -> None:
        """Always ready."""

    async def close(self) -> None:
        """Nothing to release."""
