"""The shared limiter's link to Redis: script calls that fail closed, batched answers, close.

While Redis is unreachable no script call returns: each waits for a probe that reconnects
with backoff, so nothing is granted meanwhile and sends resume by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from storage.shared_limiter_lane import Lane
from storage.shared_limiter_scripts import CLAIM, DONE, PAUSE, REBOOK, RESERVE, UNCLAIM

# The limiter's records keep the name they had before the split, for log config and filters.
log = logging.getLogger("storage.shared_limiter")
UNAVAILABLE = "rate limiter (Redis) unavailable"
FLUSH_LINGER = 0.002  # at high rates answers wait this long to share one round trip
OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


class ScriptLink:
    """Runs the limiter's scripts for its lanes; holds every call while Redis is away."""

    def __init__(self, redis: Redis, lanes: tuple[Lane, ...]) -> None:
        self.redis = redis
        self.round_trips = 0  # every script call
        self._lanes = lanes
        self._scripts = {
            name: redis.register_script(text)
            for name, text in (("reserve", RESERVE), ("done", DONE), ("claim", CLAIM),
                               ("rebook", REBOOK), ("unclaim", UNCLAIM), ("pause", PAUSE))
        }  # fmt: skip
        self._down: str | None = None
        self._up = asyncio.Event()
        self._up.set()
        self._probe: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def unavailable(self) -> str | None:
        """Why sends are held (Redis unreachable), or None."""
        return self._down

    async def wait_ready(self) -> None:
        """Return once Redis answers again."""
        await self._up.wait()

    def _spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def settle(self) -> None:
        """Wait until pauses and answers noted here have reached Redis."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self) -> None:
        """Give back held slots, stop the probe, drop pending pushes, close the client."""
        for lane in self._lanes:
            if lane.stale_check is not None:
                lane.stale_check.cancel()
            for at in lane.slots:
                self._give_back(lane, at)
            lane.slots.clear()
        if not self._down:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.settle(), 2.0)
        for task in [*self._tasks, *([self._probe] if self._probe else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.redis.aclose()

    def _give_back(self, lane: Lane, at: int, *, now: bool = False) -> None:
        """Mark a slot answered (`now`) or unused in the window soon, with others in one trip."""
        lane.answered.append((at, 0 if now else at))
        self._kick()

    def _kick(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = self._spawn(self._flush())

    @contextlib.contextmanager
    def _marks(self) -> Iterator[tuple[list[str], list[int]]]:
        """The answers noted so far as script keys and arguments; kept if the call fails."""
        lanes = self._lanes
        taken = [lane.answered for lane in lanes]
        for lane in lanes:
            lane.answered = []
        counts = [len(pairs) for pairs in taken]
        flat = [x for pairs in taken for pair in pairs for x in pair]
        try:
            yield [lane.answered_key for lane in lanes], counts + flat
        except BaseException:
            for lane, pairs in zip(lanes, taken, strict=True):
                lane.answered[:0] = pairs
            raise

    async def _flush(self) -> None:
        lanes = self._lanes
        # Only where a few answers come per linger does waiting save trips; at 30/s it would
        # only hold the window longer (a loaded loop oversleeps, too).
        fast = any(lane.answered and lane.interval_us < FLUSH_LINGER * 1e6 for lane in lanes)
        await asyncio.sleep(FLUSH_LINGER if fast else 0)
        while any(lane.answered for lane in lanes):
            with self._marks() as (keys, marks):
                await self._call("done", keys, marks)

    async def _call(self, name: str, keys: list[str], args: list[int]) -> Any:
        """Run a script; while Redis is unreachable, wait for the probe (fail closed)."""
        while True:
            await self._up.wait()
            try:
                self.round_trips += 1
                return await self._scripts[name](keys=keys, args=args)
            except OUTAGE_ERRORS as exc:
                self._mark_down(exc)

    def _mark_down(self, exc: BaseException) -> None:
        if self._down is None:
            self._down = f"{UNAVAILABLE}: {type(exc).__name__}"
            log.error("%s; sends of this token are held until it answers", self._down)
        self._up.clear()
        # Slots reserved before may be handed out again by a Redis that lost its data; if it
        # kept them, they are marked unused once it answers.
        for lane in self._lanes:
            lane.answered.extend((at, at) for at in lane.slots)
            lane.slots.clear()
        self._kick()
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
