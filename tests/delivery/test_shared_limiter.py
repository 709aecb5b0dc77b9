"""Limiters of one token in several processes share one schedule in Redis, and fail closed.

Each limiter below has its own Redis client, as a separate process would. Spacing is checked
on the slots Redis handed out (its clock, recorded per grant), never on elapsed time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from core.delivery.limiter import acquire_unless_unavailable, make_limiter
from core.delivery.pacing import TokenLimiter
from storage.shared_limiter import UNAVAILABLE, Lane, SharedLimiter, SharedSlot, token_key
from tests.infra import redis_problem

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TOKEN = "123456:TEST-TOKEN-never-in-a-key"
SECOND = 1_000_000  # µs
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def redis_url() -> str:
    """The test Redis (db 15), or a visible skip."""
    problem = await redis_problem(REDIS_URL)
    if problem:
        pytest.skip(problem)
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    """A key prefix of this test alone."""
    return f"test-limiter:{uuid.uuid4().hex}"


MakeLimiter = Callable[..., SharedLimiter]


@pytest.fixture
async def make(redis_url: str, prefix: str) -> AsyncIterator[MakeLimiter]:
    """Build limiters on separate clients; closed, and their keys removed, afterwards."""
    made: list[SharedLimiter] = []

    def factory(rate: float = 30.0, url: str | None = None, **kwargs: Any) -> SharedLimiter:
        limiter = SharedLimiter.from_url(url or redis_url, TOKEN, rate, prefix=prefix, **kwargs)
        made.append(limiter)
        return limiter

    yield factory
    for limiter in made:
        await limiter.close()
    client = Redis.from_url(redis_url)
    async for key in client.scan_iter(match=f"{prefix}:*"):
        await client.delete(key)
    await client.aclose()


def assert_paced(slots: list[int], rate: float, interval_us: int) -> None:
    """Evenly spaced at `interval_us` at least, and never more than `rate` in any second."""
    slots = sorted(slots)
    assert len(set(slots)) == len(slots), "a slot was handed out twice"
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= interval_us
    for i, start in enumerate(slots):
        assert sum(1 for at in slots[i:] if at < start + SECOND) <= rate


async def sends(limiter: SharedLimiter, chats: range, **kwargs: Any) -> list[int]:
    """Acquire one slot per chat in turn (as the engine does); the slots' server times."""
    got = []
    for chat in chats:
        slot = await limiter.acquire(chat, **kwargs)
        got.append(slot.server_at)
    return got


def test_keys_name_a_hash_of_the_token_never_the_token():
    stem = token_key("p", TOKEN)
    assert TOKEN not in stem and "TEST-TOKEN" not in stem and "123456" not in stem
    assert stem.startswith("p:{") and stem == token_key("p", TOKEN) != token_key("p", TOKEN + "x")


async def test_without_redis_url_the_in_process_limiter_stays():
    limiter = make_limiter(30, None, TOKEN)
    assert isinstance(limiter, TokenLimiter)
    assert limiter.rate() == 30 and limiter.rate(paid=True) == 1000
    assert limiter.unavailable is None


async def test_three_instances_share_the_rate_evenly(make):
    limiters = [make(30) for _ in range(3)]
    grants = await asyncio.gather(
        *(sends(lim, range(i * 1000, i * 1000 + 15)) for i, lim in enumerate(limiters))
    )
    slots = [at for got in grants for at in got]
    assert len(slots) == 45
    assert_paced(slots, 30, limiters[0].ordinary.interval_us)
    # One schedule, not three: 45 slots at 30/s span about 1.5 s, not 0.5 s.
    assert max(slots) - min(slots) >= 44 * limiters[0].ordinary.interval_us
    assert all(len(got) == 15 for got in grants)


async def test_paid_lane_reserves_batches_and_stays_evenly_spaced(make):
    limiters = [make(30) for _ in range(2)]
    grants = await asyncio.gather(
        *(sends(lim, range(i * 1000, i * 1000 + 300), paid=True) for i, lim in enumerate(limiters))
    )
    slots = [at for got in grants for at in got]
    assert_paced(slots, 1000, limiters[0].paid.interval_us)
    trips = sum(lim.reservations for lim in limiters)
    assert trips < len(slots) / 2  # several slots per round trip at 1000/s


async def test_one_chat_is_spaced_across_instances(make):
    spacing = {"private_interval": 0.3, "group_interval": 0.6}
    first, second = make(200, **spacing), make(200, **spacing)
    *private, other = await asyncio.gather(
        *(sends(lim, range(7, 8)) for lim in (first, second, first, second)),
        sends(second, range(8, 9)),
    )
    group = await asyncio.gather(sends(first, range(-5, -4)), sends(second, range(-5, -4)))
    private_slots = sorted(at for got in private for at in got)
    assert all(b - a >= 0.3 * SECOND for a, b in itertools.pairwise(private_slots))
    group_slots = sorted(at for got in group for at in got)
    assert group_slots[1] - group_slots[0] >= 0.6 * SECOND
    # Another chat is not held by chat 7's spacing.
    assert other[0] < private_slots[-1]


async def test_a_pause_from_one_instance_holds_the_others(make):
    sender, other = make(30), make(30)
    before = await sends(other, range(1, 6), paid=True)  # `other` now holds reserved slots
    assert other.paid.slots, "the paid lane reserved a batch ahead"
    sender.pause(0.4)
    await sender.settle()
    paused_until = sender._paused_until
    assert paused_until >= max(before) + 0.3 * SECOND
    after_paid = await sends(other, range(6, 7), paid=True)
    after_ordinary = await sends(other, range(7, 8))
    assert after_paid[0] >= paused_until and after_ordinary[0] >= paused_until


async def test_replies_take_the_next_slot_ahead_of_queued_broadcast(make):
    limiter = make(5)  # a slot every ~0.2 s
    order: list[str] = []

    async def broadcast(i: int) -> None:
        await limiter.acquire(100 + i)
        order.append(f"b{i}")

    async def reply() -> None:
        await limiter.acquire(1, priority=True)
        order.append("reply")

    # Three connections in the pool, scripts loaded: a broadcast could book as fast as b0.
    await asyncio.gather(*(limiter.acquire(90 + i, priority=True) for i in range(3)))
    booked = limiter.reservations
    tasks = [asyncio.create_task(broadcast(i)) for i in range(3)]
    await until(lambda: limiter.reservations > booked)  # b0 booked its slot
    await asyncio.sleep(0.05)  # room for b1, b2 to book too if they could: they must not
    assert limiter.reservations == booked + 1
    tasks.append(asyncio.create_task(reply()))
    await asyncio.gather(*tasks)
    assert order[:2] == ["b0", "reply"]  # only the broadcast already booked goes first


class CuttableProxy:
    """A TCP proxy to Redis on 127.0.0.1 that the test can cut and restore."""

    def __init__(self, target_port: int = 6379) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))


async def until(condition: Callable[[], object], within: float = 10.0) -> None:
    """Wait (bounded) until `condition()` holds."""
    async with asyncio.timeout(within):
        while True:
            if condition():
                return
            await asyncio.sleep(0.01)


@pytest.fixture
async def proxy(redis_url: str) -> AsyncIterator[CuttableProxy]:
    """A proxy to the test Redis."""
    port = int(redis_url.split(":")[2].split("/")[0])
    proxied = CuttableProxy(port)
    await proxied.start()
    yield proxied
    with contextlib.suppress(Exception):
        await proxied.cut()


async def test_redis_gone_mid_way_holds_sends_and_they_resume(make, proxy):
    limiter = make(30, url=f"redis://127.0.0.1:{proxy.port}/15")
    witness = make(30)  # another process, with Redis still in reach
    await limiter.acquire(1)
    await proxy.cut()
    waiting = asyncio.create_task(limiter.acquire(2))
    await until(lambda: limiter.unavailable)
    assert limiter.unavailable.startswith(UNAVAILABLE)
    assert not waiting.done()  # no local free-for-all while Redis is away
    # The engine's path gives the wait up when the outage is reported.
    assert await acquire_unless_unavailable(limiter, 3, paid=False) is None
    await witness.acquire(4)  # the others' schedule goes on
    await proxy.start()  # back on the same port
    slot = await asyncio.wait_for(waiting, 10)
    assert isinstance(slot, SharedSlot) and limiter.unavailable is None
    later = await witness.acquire(5)
    assert_paced([slot.server_at, later.server_at], 30, limiter.ordinary.interval_us)


WORKER = """
import asyncio, json, sys
from redis.asyncio import Redis
from storage.shared_limiter import SharedLimiter

async def main(url, prefix, token, offset, count):
    limiter = SharedLimiter.from_url(url, token, 30, prefix=prefix)
    client = Redis.from_url(url)
    print("ready", flush=True)
    while not await client.exists(prefix + ":go"):
        await asyncio.sleep(0.005)
    got = [(await limiter.acquire(offset + i)).server_at for i in range(count)]
    await client.aclose()
    await limiter.close()
    print(json.dumps(got), flush=True)

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
"""


async def test_separate_processes_share_one_schedule(redis_url, prefix):
    procs = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-c", WORKER, redis_url, prefix, TOKEN, str(i * 1000), "12"),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        for i in range(3)
    ]
    client = Redis.from_url(redis_url)
    try:
        for proc in procs:  # all three are connected before the start
            assert proc.stdout is not None
            assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"ready\n"
        await client.set(f"{prefix}:go", 1, ex=60)
        outputs = [await asyncio.wait_for(proc.communicate(), 60) for proc in procs]
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        async for key in client.scan_iter(match=f"{prefix}:*"):
            await client.delete(key)
        await client.aclose()
    assert [proc.returncode for proc in procs] == [0, 0, 0]
    grants = [json.loads(out) for out, _ in outputs]
    slots = [at for got in grants for at in got]
    assert len(slots) == 36
    interval_us = Lane("any", 30).interval_us
    assert_paced(slots, 30, interval_us)
    assert max(slots) - min(slots) >= 35 * interval_us
