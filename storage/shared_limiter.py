"""One send schedule per bot token across processes, kept in Redis.

Each lane (ordinary `SEND_RATE`, paid 1000/s) is a GCRA "next free time" in Redis: a Lua
script reads the server's clock (TIME, so hosts' clocks don't matter), hands out the next
`n` slots spaced `1 / rate` apart and moves the time on. A process keeps those few slots and
fires each at its own moment (never before it), so sends stay evenly spaced across every
process; batches pay only at high rates (20 ms worth, i.e. 20 slots at 1000/s, 1 at 30/s).
Before a slot is used a second script checks the token's 429 pause and books the chat
(1 s private, 3 s groups), so a pause from one process holds all.

Even spacing of grants does not bound arrivals: a request delayed on its way (a starved event
loop, a slow connection) lands next to later ones. So, as the in-process pacer does, each
lane keeps a window of its last `rate` slots in Redis with the time each was answered
(`done()`, batched per round trip; in flight counts as slot + IN_FLIGHT_BOUND), and a slot
is granted only a second after the one `rate` positions back was answered. No second of
arrivals then holds more than `rate`, however late a request travels, and a slot fired late
is still used (a missed one catches up by at most CATCH_UP) instead of thrown away.

Replies (priority) skip the queue: a process's broadcast callers take turns holding one
booked slot (or one batch), a reply books its own slot at once, so it waits behind at most
what each process has already booked, never behind a process's queue of broadcasts.

Fail closed: while Redis is unreachable nothing is granted (no local free-for-all); a probe
reconnects with backoff and sends resume by themselves, `unavailable` says why meanwhile.
That link to Redis (script calls, outages, batched answers) is `storage.shared_limiter_link`.

Why not a library: `limits` and `pyrate-limiter` answer "allowed now?" over windows, which
lets a window's whole quota go at once and makes waiters poll; `throttled-py`'s GCRA also
only accepts or rejects. None reserves future slots in a batch, shares a pause, books a chat
or lets replies jump the queue, which is the part that matters here.
"""

from __future__ import annotations

import asyncio
import bisect
import time
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from core.delivery.pacing import CATCH_UP, CHAT_GUARD, WINDOW
from storage.shared_limiter_lane import Lane, ServerClock, SharedSlot, token_key
from storage.shared_limiter_link import UNAVAILABLE, ScriptLink

__all__ = ["UNAVAILABLE", "Lane", "SharedLimiter", "SharedSlot", "token_key"]
# A slot still in flight holds the window this long at most. Shorter than the in-process
# pacer's: a crashed process never marks its slots done, and the others wait for them.
IN_FLIGHT_BOUND = 10.0
REBOOK_LATE = CHAT_GUARD / 2  # a send this late moves its chat booking to when it goes
# An unused slot this old is given back: beyond the catch-up a reservation may already hold,
# so a slot is never dropped on its way from the reservation to its sender.
STALE = 2 * CATCH_UP


class _Chat(NamedTuple):
    key: str
    interval_us: int


class SharedLimiter(ScriptLink):
    """The token's pacing rules, shared through Redis by every process that sends with it."""

    def __init__(
        self,
        redis: Redis,
        token: str,
        rate: float,
        *,
        paid_rate: float = 1000.0,
        prefix: str = "tgc:limiter",
        private_interval: float = 1.0 + CHAT_GUARD,
        group_interval: float = 3.0 + CHAT_GUARD,
        in_flight_bound: float = IN_FLIGHT_BOUND,
    ) -> None:
        self.stem = token_key(prefix, token)
        self.ordinary = Lane(f"{self.stem}:ordinary", rate)
        self.paid = Lane(f"{self.stem}:paid", paid_rate)
        super().__init__(redis, (self.ordinary, self.paid))
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.reservations = 0  # round trips that reserved slots (for tests and figures)
        self._bound_us = round(in_flight_bound * 1e6)
        self._catch_us = round(CATCH_UP * 1e6)
        self._window_us = round(WINDOW * 1e6)
        self._pause_key = f"{self.stem}:pause"
        self._paused_until = 0  # server µs, as far as this process knows
        self._clock = ServerClock()
        self._priority_waiting = 0
        self._no_priority = asyncio.Event()  # set while no reply waits for a slot
        self._no_priority.set()

    @classmethod
    def from_url(cls, url: str, token: str, rate: float, **kwargs: Any) -> SharedLimiter:
        """A limiter on its own client; each call fails fast, the probe does the retrying."""
        redis = Redis.from_url(
            url, socket_timeout=2.0, socket_connect_timeout=2.0, retry=Retry(NoBackoff(), 0)
        )
        return cls(redis, token, rate, **kwargs)

    def rate(self, *, paid: bool = False) -> float:
        """Messages per second of the ordinary or the paid lane."""
        return (self.paid if paid else self.ordinary).rate

    async def acquire(
        self, chat_id: int, *, paid: bool = False, priority: bool = False, tracked: bool = False
    ) -> SharedSlot:
        """Wait for the token's next shared slot that `chat_id` may take; replies go first.

        Broadcast callers of a process take turns (one holds a booked slot at a time), so a
        reply books the next slot after it, ahead of the rest, here and across processes.
        A `tracked` slot holds the window until its `done()`; an untracked one only until
        it is granted.
        """
        lane = self.paid if paid else self.ordinary
        chat = _Chat(f"{self.stem}:chat:{chat_id}", self._chat_us(chat_id))
        if priority:
            self._priority_waiting += 1
            self._no_priority.clear()
        try:
            while True:
                if priority:
                    result = await self._try_slot(lane, chat, priority=True)
                else:
                    await self._no_priority.wait()
                    async with lane.gate:
                        result = await self._try_slot(lane, chat, priority=False)
                if isinstance(result, SharedSlot):
                    if not tracked:
                        result.done(at_slot=True)
                    return result
                if result > 0:
                    await asyncio.sleep(result)
        finally:
            if priority:
                self._priority_waiting -= 1
                if not self._priority_waiting:
                    self._no_priority.set()

    def _chat_us(self, chat_id: int) -> int:
        return round(1e6 * (self.group_interval if chat_id < 0 else self.private_interval))

    async def _try_slot(self, lane: Lane, chat: _Chat, *, priority: bool) -> SharedSlot | float:
        """Book a slot for the chat and wait for it; else how long the chat must still wait."""
        at = await self._take(lane, priority)
        claimed = False
        try:
            # Answers noted meanwhile ride along: at high rates they cost no round trip.
            with self._marks() as (keys, marks):
                verdict, until = await self._call("claim", [chat.key, self._pause_key, *keys],
                                                  [at, chat.interval_us, *marks])  # fmt: skip
            verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
            if verdict == "paused":
                self._note_pause(int(until))
                self._give_back(lane, at)
                return 0.0
            if verdict == "chat":
                bisect.insort(lane.slots, at)  # another chat may still use it
                return max(0.0, self._clock.local(int(until)) - time.monotonic())
            claimed = True
            delay = self._clock.local(at) - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if at < self._paused_until:  # a 429 came meanwhile
                await self._call("unclaim", [chat.key], [at])
                self._give_back(lane, at)
                return 0.0
            if time.monotonic() - self._clock.local(at) > REBOOK_LATE:
                # Late, yet still within the window's bound: send, and count the chat's
                # spacing from now rather than from the slot.
                await self._call("rebook", [chat.key], [at, chat.interval_us])
        except BaseException:
            if claimed:  # cancelled, perhaps for an outage: never wait for Redis here
                self._spawn(self._call("unclaim", [chat.key], [at]))
            self._give_back(lane, at)
            raise
        return SharedSlot(self, lane, at)

    def pause(self, seconds: float) -> None:
        """Hold every process's sends of this token for `seconds` (Telegram's retry_after)."""
        if self._clock.known:
            self._note_pause(round((time.monotonic() - self._clock.offset() + seconds) * 1e6))
        self._spawn(self._push_pause(seconds))

    async def _push_pause(self, seconds: float) -> None:
        until = await self._call("pause", [self._pause_key], [round(seconds * 1e6)])
        self._note_pause(int(until))

    def _note_pause(self, until: int) -> None:
        self._paused_until = max(self._paused_until, until)
        for lane in (self.ordinary, self.paid):
            for at in lane.slots:
                if at < self._paused_until:
                    self._give_back(lane, at)
            lane.slots = [at for at in lane.slots if at >= self._paused_until]

    async def _take(self, lane: Lane, priority: bool) -> int:
        """The earliest slot this process holds on `lane`, reserving more when it has none."""
        while True:
            self._drop_stale(lane)
            if lane.slots:
                return lane.slots.pop(0)
            if priority:  # a reply does not queue behind a batch reservation
                granted = await self._reserve_slots(lane, 1)
            else:
                lane.batch = max(1, lane.batch // 2) if lane.dropped else lane.batch * 2
                lane.batch = min(lane.cap, lane.batch)
                lane.dropped = False
                granted = await self._reserve_slots(lane, lane.batch)
            if not granted:  # the window waits for an answer still in flight
                await asyncio.sleep(max(lane.interval_us / 1e6, 0.002))

    def _drop_stale(self, lane: Lane) -> None:
        # Late slots are used (the window bounds them), unless nobody wanted them for longer
        # than STALE: then they are given back rather than fired as a burst.
        if not lane.slots or not self._clock.known:
            return
        oldest = round((time.monotonic() - STALE - self._clock.offset()) * 1e6)
        while lane.slots and lane.slots[0] < oldest:
            self._give_back(lane, lane.slots.pop(0))
            lane.dropped = True

    async def _reserve_slots(self, lane: Lane, n: int) -> int:
        now, *slots = await self._call(
            "reserve",
            [lane.key, self._pause_key, lane.window_key, lane.answered_key],
            [lane.interval_us, n, lane.size, self._bound_us, self._catch_us, self._window_us],
        )  # fmt: skip
        self._clock.sample(time.monotonic(), int(now))
        self.reservations += 1
        for at in slots:
            bisect.insort(lane.slots, int(at))
        if slots:  # slots nobody takes (the sends ended) are given back, not left in flight
            if lane.stale_check is not None:
                lane.stale_check.cancel()
            wait = self._clock.local(lane.slots[-1]) + STALE - time.monotonic() + 0.01
            lane.stale_check = asyncio.get_running_loop().call_later(
                max(0.0, wait), self._drop_stale, lane
            )
        return len(slots)
