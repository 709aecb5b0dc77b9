"""What the receiver sees: no second of arrivals over the rate, however late requests travel.

Spacing of grants is not enough: a request held up on its way lands next to later ones. Each
fake send below records its arrival (the receiver's clock), then answers, then `done()`.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from storage.shared_limiter import SharedLimiter
from tests.delivery.test_shared_limiter import (  # noqa: F401 (fixtures)
    SECOND,
    make,
    prefix,
    redis_url,
)


def busiest_second(arrivals: list[float]) -> int:
    """Most arrivals inside any strict one-second window [t, t + 1)."""
    arrivals = sorted(arrivals)
    return max(sum(1 for a in arrivals[i:] if a < start + 1.0) for i, start in enumerate(arrivals))


async def send_all(
    limiter: SharedLimiter, chats: range, delay_of: dict[int, float], arrivals: list[float]
) -> None:
    """Send to every chat as the engine does: a tracked slot, the answer, then done()."""

    async def travel(chat: int, slot) -> None:
        await asyncio.sleep(delay_of.get(chat, 0.0))  # held up on its way
        arrivals.append(time.monotonic())
        slot.done()  # the answer follows the arrival

    sends = []
    for chat in chats:
        slot = await limiter.acquire(chat, tracked=True)
        sends.append(asyncio.create_task(travel(chat, slot)))
    await asyncio.gather(*sends)


async def test_late_answers_of_one_instance_never_crowd_a_second_of_arrivals(make):  # noqa: F811
    rate = 20
    slow, fast = make(rate), make(rate)
    # Every 7th send of `slow` travels 30 ms: with evenly spaced grants (~50 ms apart) it
    # lands after its successor's grant less than 1 s before the 20th later one: 21 arrivals
    # in one second (21 slots span only 20 intervals, 1.01 s).
    slow_chats, fast_chats = range(1000, 1030), range(2000, 2030)
    delays = {chat: 0.03 for chat in slow_chats if chat % 7 == 0}
    arrivals: list[float] = []
    await asyncio.gather(
        send_all(slow, slow_chats, delays, arrivals), send_all(fast, fast_chats, {}, arrivals)
    )
    assert len(arrivals) == 60
    assert busiest_second(arrivals) <= rate


async def test_a_slot_the_loop_woke_late_for_is_used_not_thrown_away(make):  # noqa: F811
    limiter = make(30)
    interval = limiter.ordinary.interval_us
    grants = []
    for chat in range(25):  # fewer than the window: only spacing decides
        grants.append((await limiter.acquire(chat)).server_at)
        if chat % 5 == 4:
            time.sleep(0.05)  # noqa: ASYNC251 (on purpose: a starved event loop)
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    # One schedule without holes: the late wake-ups caught up instead of dropping slots.
    assert gaps == [interval] * len(gaps)


async def test_slots_reserved_but_never_used_do_not_hold_the_window(make):  # noqa: F811
    bound = 30.0  # a slot left in flight would hold the others this long
    idle, busy = (make(10, paid_rate=200, in_flight_bound=bound) for _ in range(2))
    await idle.acquire(1, paid=True)
    assert idle.paid.slots, "a batch was reserved ahead and is left unused"
    # More than a window (200) of slots after the idle one's: one of them is its successor.
    got = [(await busy.acquire(100 + i, paid=True)).server_at for i in range(260)]
    assert not idle.paid.slots  # given back once stale
    # Server slot times: about 1.3 s of schedule, not the 30 s an unanswered slot would hold.
    assert got[-1] - got[0] < 5 * SECOND
    assert busiest_slots(got) <= 200


def busiest_slots(slots: list[int]) -> int:
    """Most slots (server µs) inside any one second."""
    slots = sorted(slots)
    return max(sum(1 for at in slots[i:] if at < start + SECOND) for i, start in enumerate(slots))
