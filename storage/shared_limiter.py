"""One send schedule per bot token across processes, kept in Redis.

Each lane (ordinary `SEND_RATE`, paid 1000/s) is a GCRA "next free time" in Redis: a Lua
script reads the server's clock (TIME, so hosts' clocks don't matter), hands out the next
`n` slots spaced `1 / rate` apart and moves the time on. A process keeps those few slots and
fires each at its own moment, so sends stay evenly spaced across every process, never in
bursts; batches pay only at high rates (20 ms worth, i.e. 20 slots at 1000/s, 1 at 30/s).
Before a slot is used a second script checks the token's 429 pause and books the chat
(1 s private, 3 s groups, measured between slots), so a pause from one process holds all.
A slot this process woke up too late for is dropped, not fired next to the following one:
that, not the in-process pacer's window of answered (`tracked`) slots, keeps any second of
arrivals within the rate, and `tracked` is accepted but unused here.

Replies (priority) skip the queue: a process's broadcast callers take turns holding one
booked slot (or one batch), a reply books its own slot at once, so it waits behind at most
what each process has already booked, never behind a process's queue of broadcasts.

Fail closed: while Redis is unreachable nothing is granted (no local free-for-all); a probe
reconnects with backoff and sends resume by themselves, `unavailable` says why meanwhile.

Why not a library: `limits` and `pyrate-limiter` answer "allowed now?" over windows, which
lets a window's whole quota go at once and makes waiters poll; `throttled-py`'s GCRA also
only accepts or rejects. None reserves future slots in a batch, shares a pause, books a chat
or lets replies jump the queue, which is the part that matters here.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import logging
import math
import time
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.delivery.pacing import CHAT_GUARD, COALESCE, DEFAULT_MARGIN, DEFAULT_SLACK, Slot
from storage.shared_limiter_scripts import CLAIM, PAUSE, RESERVE, UNCLAIM

log = logging.getLogger(__name__)
UNAVAILABLE = "rate limiter (Redis) unavailable"
BATCH_SECONDS = 0.02  # a reservation holds at most this much of a lane's time
LATE = DEFAULT_SLACK + COALESCE  # a slot missed by more than this is dropped, never bunched
OFFSET_BUCKET = 5.0  # seconds per bucket of the clock-offset minimum filter
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


def token_key(prefix: str, token: str) -> str:
    """The key stem of a token: a hash of it (never the token), in one cluster slot."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:20]
    return f"{prefix}:{{{digest}}}"


class SharedSlot(Slot):
    """A granted send; `server_at` is its slot on the Redis clock (µs)."""

    __slots__ = ("server_at",)

    def __init__(self, granted: float, server_at: int) -> None:
        super().__init__(granted, time.monotonic, tracked=False)
        self.server_at = server_at


class Lane:
    """One rate of the token: its Redis key, interval and the slots this process holds."""

    def __init__(self, key: str, rate: float) -> None:
        self.key = key
        self.rate = rate
        self.interval_us = math.ceil(1e6 / (rate * (1.0 - DEFAULT_MARGIN)))
        self.cap = max(1, int(rate * BATCH_SECONDS))
        self.batch = 1
        self.slots: list[int] = []
        self.gate = asyncio.Lock()  # broadcast callers of this process take turns
        self.dropped = False


class _Chat(NamedTuple):
    key: str
    interval_us: int


class SharedLimiter:
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
        late: float = LATE,
    ) -> None:
        self.redis = redis
        self.stem = token_key(prefix, token)
        self.ordinary = Lane(f"{self.stem}:ordinary", rate)
        self.paid = Lane(f"{self.stem}:paid", paid_rate)
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.late = late
        self.reservations = 0  # round trips that reserved slots (for tests and figures)
        self._pause_key = f"{self.stem}:pause"
        self._reserve = redis.register_script(RESERVE)
        self._claim = redis.register_script(CLAIM)
        self._unclaim = redis.register_script(UNCLAIM)
        self._pause = redis.register_script(PAUSE)
        self._paused_until = 0  # server µs, as far as this process knows
        self._offsets: list[float] = []  # [current bucket min, previous bucket min]
        self._offset_bucket = 0
        self._priority_waiting = 0
        self._no_priority = asyncio.Event()  # set while no reply waits for a slot
        self._no_priority.set()
        self._down: str | None = None
        self._up = asyncio.Event()
        self._up.set()
        self._probe: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

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

    @property
    def unavailable(self) -> str | None:
        """Why sends are held (Redis unreachable), or None."""
        return self._down

    async def wait_ready(self) -> None:
        """Return once Redis answers again."""
        await self._up.wait()

    async def acquire(
        self, chat_id: int, *, paid: bool = False, priority: bool = False, tracked: bool = False
    ) -> SharedSlot:
        """Wait for the token's next shared slot that `chat_id` may take; replies go first.

        Broadcast callers of a process take turns (one holds a booked slot at a time), so a
        reply books the next slot after it, ahead of the rest, here and across processes.
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
        verdict, until = await self._call(self._claim, [chat.key, self._pause_key],
                                          [at, chat.interval_us])  # fmt: skip
        verdict = verdict.decode() if isinstance(verdict, bytes) else verdict
        if verdict == "paused":
            self._note_pause(int(until))
            return 0.0
        if verdict == "chat":
            bisect.insort(lane.slots, at)  # another chat may still use it
            return max(0.0, self._local(int(until)) - time.monotonic())
        delay = self._local(at) - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        late = time.monotonic() - self._local(at) > self.late
        if at < self._paused_until or late:
            # A 429 came meanwhile, or a busy loop woke us so late that the send would land
            # next to the following slot: drop it rather than bunch.
            lane.dropped = lane.dropped or late
            await self._call(self._unclaim, [chat.key], [at])
            return 0.0
        return SharedSlot(time.monotonic(), at)

    def pause(self, seconds: float) -> None:
        """Hold every process's sends of this token for `seconds` (Telegram's retry_after)."""
        if self._offsets:
            self._note_pause(round((time.monotonic() - self._offset() + seconds) * 1e6))
        task = asyncio.ensure_future(self._push_pause(seconds))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until pauses noted here have reached Redis."""
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        """Stop the probe, drop pending pause pushes, close the client."""
        for task in [*self._tasks, *([self._probe] if self._probe else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.redis.aclose()

    async def _push_pause(self, seconds: float) -> None:
        until = await self._call(self._pause, [self._pause_key], [round(seconds * 1e6)])
        self._note_pause(int(until))

    def _note_pause(self, until: int) -> None:
        self._paused_until = max(self._paused_until, until)
        for lane in (self.ordinary, self.paid):
            lane.slots = [at for at in lane.slots if at >= self._paused_until]

    async def _take(self, lane: Lane, priority: bool) -> int:
        """The earliest slot this process holds on `lane`, reserving more when it has none."""
        while True:
            self._drop_late(lane)
            if lane.slots:
                return lane.slots.pop(0)
            if priority:  # a reply does not queue behind a batch reservation
                await self._reserve_slots(lane, 1)
                continue
            lane.batch = max(1, lane.batch // 2) if lane.dropped else lane.batch * 2
            lane.batch = min(lane.cap, lane.batch)
            lane.dropped = False
            await self._reserve_slots(lane, lane.batch)

    def _drop_late(self, lane: Lane) -> None:
        if not lane.slots or not self._offsets:
            return
        oldest = round((time.monotonic() - self.late - self._offset()) * 1e6)
        if lane.slots[0] < oldest:
            lane.slots = [at for at in lane.slots if at >= oldest]
            lane.dropped = True  # wasted time of the token, never a burst

    async def _reserve_slots(self, lane: Lane, n: int) -> None:
        now, start = await self._call(self._reserve, [lane.key, self._pause_key],
                                      [lane.interval_us, n])  # fmt: skip
        self._sample_offset(time.monotonic(), int(now))
        self.reservations += 1
        for i in range(n):
            bisect.insort(lane.slots, int(start) + i * lane.interval_us)

    def _sample_offset(self, local: float, server_us: int) -> None:
        # local - server is the true offset plus this answer's travel time: the smallest
        # recent sample is the tightest, and never maps a slot earlier than its server time.
        sample = local - server_us / 1e6
        bucket = int(local // OFFSET_BUCKET)
        if not self._offsets or bucket != self._offset_bucket:
            self._offsets = [sample, self._offsets[0] if self._offsets else sample]
            self._offset_bucket = bucket
        self._offsets[0] = min(self._offsets[0], sample)

    def _offset(self) -> float:
        return min(self._offsets)

    def _local(self, server_us: int) -> float:
        return server_us / 1e6 + self._offset()

    async def _call(self, script: Any, keys: list[str], args: list[int]) -> Any:
        """Run a script; while Redis is unreachable, wait for the probe (fail closed)."""
        while True:
            await self._up.wait()
            try:
                return await script(keys=keys, args=args)
            except OUTAGE_ERRORS as exc:
                self._mark_down(exc)

    def _mark_down(self, exc: BaseException) -> None:
        if self._down is None:
            self._down = f"{UNAVAILABLE}: {type(exc).__name__}"
            log.error("%s; sends of this token are held until it answers", self._down)
        self._up.clear()
        # Slots reserved before may be handed out again by a Redis that lost its data.
        for lane in (self.ordinary, self.paid):
            lane.slots.clear()
        if self._probe is None or self._probe.done():
            self._probe = asyncio.ensure_future(self._reconnect())

    async def _reconnect(self) -> None:
        delay = 0.05
        while True:
            await asyncio.sleep(delay)
            try:
                await self.redis.ping()
            except OUTAGE_ERRORS:
                delay = min(1.0, delay * 2)
                continue
            log.warning("rate limiter (Redis) reachable again; sends resume")
            self._down = None
            self._up.set()
            return
