"""What the engine and bot replies need from a token's limiter, and which one a process gets.

Without `REDIS_URL` each process paces alone (`TokenLimiter`); with it, every process on the
token shares one schedule in Redis (`storage.shared_limiter.SharedLimiter`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Protocol

from core.delivery.pacing import TokenLimiter

# The error code rows carry while they wait for the shared limiter (shown in progress errors).
LIMITER_UNAVAILABLE = "RATE_LIMITER_UNAVAILABLE"


class SendSlot(Protocol):
    """One granted send."""

    def done(self) -> None:
        """The answer is back (or the send was dropped)."""


class Limiter(Protocol):
    """Pacing of one bot token: `acquire` before each send, `pause` after a 429."""

    def rate(self, *, paid: bool = False) -> float:
        """Messages per second of the ordinary or the paid lane."""
        ...

    @property
    def unavailable(self) -> str | None:
        """Why sends are held right now (the shared limiter is unreachable), or None."""
        ...

    async def wait_ready(self) -> None:
        """Return once sends can be scheduled again (at once when nothing holds them)."""
        ...

    async def acquire(
        self, chat_id: int, *, paid: bool = False, priority: bool = False, tracked: bool = False
    ) -> SendSlot:
        """Wait until a message to `chat_id` may be sent now."""
        ...

    def pause(self, seconds: float) -> None:
        """Hold every send of the token for `seconds` (Telegram's retry_after)."""
        ...

    async def close(self) -> None:
        """Release connections and background tasks."""
        ...


def make_limiter(
    send_rate: float, redis_url: str | None, token: str, *, prefix: str = "tgc:limiter"
) -> Limiter:
    """The shared Redis limiter when `redis_url` is set, else the in-process one."""
    if not redis_url:
        return TokenLimiter(send_rate)
    from storage.shared_limiter import SharedLimiter

    return SharedLimiter.from_url(redis_url, token, send_rate, prefix=prefix)


async def acquire_unless_unavailable(
    limiter: Limiter, chat_id: int, *, paid: bool, check_every: float = 0.25
) -> SendSlot | None:
    """A tracked slot for `chat_id`, or None once the limiter reports itself unavailable.

    The limiter itself waits out an outage (fail closed); the engine prefers to hand its
    claimed rows back meanwhile, so it gives up the wait when the outage is reported.
    """
    if isinstance(limiter, TokenLimiter):  # in-process: never unavailable, skip the watch
        return await limiter.acquire(chat_id, paid=paid, tracked=True)
    if limiter.unavailable:
        return None
    task = asyncio.ensure_future(limiter.acquire(chat_id, paid=paid, tracked=True))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=check_every)
            if done:
                return task.result()
            if limiter.unavailable:
                break
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return None
