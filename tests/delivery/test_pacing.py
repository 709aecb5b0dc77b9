"""The token pacer spaces sends evenly, lets replies overtake, and obeys 429 pauses."""

from __future__ import annotations

import asyncio
import itertools

from core.delivery.pacing import ChatPacer, TokenPacer


class VirtualTime:
    """A clock plus a sleep that advances it: deterministic pacing tests."""

    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await asyncio.sleep(0)


async def test_grants_are_evenly_spaced_under_the_rate():
    t = VirtualTime()
    pacer = TokenPacer(30, clock=t.clock, sleep=t.sleep)
    grants = []
    for _ in range(91):
        await pacer.acquire()
        grants.append(t.now)
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    assert min(gaps) >= 1 / 30 - 0.005  # a late wake-up may reuse 5 ms of its slot, no more
    # No strict one-second window (as Telegram counts) ever holds more than 30 sends.
    for i, start in enumerate(grants):
        inside = [g for g in grants[i:] if g < start + 1.0]
        assert len(inside) <= 30
    achieved = (len(grants) - 1) / (grants[-1] - grants[0])
    assert 29.5 <= achieved <= 30


async def test_pause_holds_every_sender():
    t = VirtualTime()
    pacer = TokenPacer(30, clock=t.clock, sleep=t.sleep)
    await pacer.acquire()
    pacer.pause(5)
    assert pacer.paused_for == 5
    await pacer.acquire()
    assert t.now >= 105.0


async def test_priority_callers_overtake_waiting_broadcast():
    pacer = TokenPacer(5)  # real time: a slot every ~0.2 s
    order: list[str] = []

    async def broadcast(i: int) -> None:
        await pacer.acquire()
        order.append(f"b{i}")

    async def reply() -> None:
        await pacer.acquire(priority=True)
        order.append("reply")

    await pacer.acquire()  # the next slot is now ~0.2 s away
    tasks = [asyncio.create_task(broadcast(i)) for i in range(3)]
    await asyncio.sleep(0.01)
    tasks.append(asyncio.create_task(reply()))
    await asyncio.gather(*tasks)
    assert order[0] == "reply"


async def test_chat_pacer_spaces_one_chat_but_not_others():
    t = VirtualTime()
    chats = ChatPacer(clock=t.clock, sleep=t.sleep)
    await chats.acquire(1)
    await chats.acquire(2)
    assert t.now == 100.0
    await chats.acquire(1)
    assert t.now == 101.0
    await chats.acquire(-5)
    await chats.acquire(-5)
    assert t.now == 104.0  # groups: 20 per minute


async def test_late_wake_ups_at_high_rates_keep_the_rate_and_the_window():
    t = VirtualTime()

    async def late_sleep(seconds: float) -> None:
        await t.sleep(seconds + 0.002)  # a busy event loop wakes every sleeper 2 ms late

    pacer = TokenPacer(1000, clock=t.clock, sleep=late_sleep)
    grants = []
    for _ in range(3000):
        slot = await pacer.acquire(tracked=True)
        slot.done()
        grants.append(t.now)
    achieved = (len(grants) - 1) / (grants[-1] - grants[0])
    assert 0.97 * 1000 <= achieved <= 1000
    for i, start in enumerate(grants):
        assert sum(1 for g in grants[i : i + 1001] if g < start + 1.0) <= 1000
