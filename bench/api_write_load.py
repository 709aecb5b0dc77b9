"""The load of bench/api_write.py: clients walking campaigns through their write lifecycle."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from typing import Any

import aiohttp
import orjson

from bench.api_list_measure import ms, pct

BASE = "/api/v1/campaigns"
OPS = ("create", "put", "patch", "execute", "pause", "cancel")
MESSAGE = "Hello {first_name}! A short note from the write benchmark."


class Stats:
    """Latencies of good responses, by operation; failures by (operation, status)."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter[tuple[str, str]] = Counter()
        self.samples: list[str] = []

    def fail(self, op: str, status: str, detail: str) -> None:
        """Count one failure; keep the first few as samples."""
        self.errors[(op, status)] += 1
        if len(self.samples) < 8:
            self.samples.append(f"{op} {status}: {detail[:300]}")


class Client:
    """One HTTP client: create, PUT, PATCH, execute, then pause / cancel some, again and again."""

    def __init__(self, session: aiohttp.ClientSession, stats: Stats, index: int, seed: int):
        self.session, self.stats, self.index = session, stats, index
        self.rng = random.Random(seed * 1000 + index)
        self.round = 0

    async def call(
        self, op: str, method: str, path: str, body: Any = None
    ) -> dict[str, Any] | None:
        """One request; its data on a 2xx success, else None (the failure is counted)."""
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else None
        t0 = time.perf_counter()
        try:
            async with self.session.request(method, path, data=data, headers=headers) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as error:
            self.stats.fail(op, type(error).__name__, str(error))
            return None
        elapsed = time.perf_counter() - t0
        if not 200 <= status < 300:
            self.stats.fail(op, str(status), raw.decode(errors="replace"))
            return None
        doc = orjson.loads(raw)
        if doc.get("success") is not True:
            self.stats.fail(op, f"{status}-not-success", raw.decode(errors="replace"))
            return None
        self.stats.latency[op].append(elapsed)
        return dict(doc["data"])

    async def cycle(self) -> None:
        """One campaign's life: create, PUT, PATCH, execute; pause and/or cancel half of them."""
        self.round += 1
        name = f"write c{self.index} r{self.round}"
        created = await self.call(
            "create", "POST", BASE, {"name": name, "messages": [{"content": MESSAGE}]}
        )
        if created is None:
            return
        path = f"{BASE}/{created['id']}"
        body = {"name": name + " v2", "description": "updated by PUT"}
        if await self.call("put", "PUT", path, body) is None:
            return
        if await self.call("patch", "PATCH", path, {"description": "patched"}) is None:
            return
        if await self.call("execute", "POST", path + "/execute") is None:
            return
        roll = self.rng.random()
        if roll < 0.25:
            await self.call("pause", "POST", path + "/pause")
            await self.call("cancel", "POST", path + "/cancel")
        elif roll < 0.5:
            await self.call("cancel", "POST", path + "/cancel")


async def drive(
    base: str, key: str, clients: int, seconds: float, seed: int
) -> tuple[Stats, float]:
    """`clients` concurrent clients cycle until `seconds` have passed; (stats, elapsed)."""
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=clients, limit_per_host=clients)
    timeout = aiohttp.ClientTimeout(total=60)
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(
        base, connector=connector, timeout=timeout, headers=headers
    ) as session:
        deadline = time.perf_counter() + seconds

        async def run(i: int) -> None:
            client = Client(session, stats, i, seed)
            while time.perf_counter() < deadline:
                await client.cycle()

        t0 = time.perf_counter()
        await asyncio.gather(*(run(i) for i in range(clients)))
        return stats, time.perf_counter() - t0


def figures(values: list[float], elapsed: float) -> dict[str, Any]:
    """n, req/s and p50/p95/p99/max in ms of one operation's latencies."""
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "req_per_s": round(len(ordered) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": ms(pct(ordered, 0.50)),
        "p95_ms": ms(pct(ordered, 0.95)),
        "p99_ms": ms(pct(ordered, 0.99)),
        "max_ms": ms(ordered[-1]) if ordered else 0.0,
    }


def summarize(stats: Stats, elapsed: float) -> dict[str, Any]:
    """Overall and per-operation figures, and the failures by operation and status."""
    everything = [v for values in stats.latency.values() for v in values]
    errors: dict[str, int] = {f"{op} {status}": n for (op, status), n in stats.errors.items()}
    by_status: Counter[str] = Counter()
    for (_, status), n in stats.errors.items():
        by_status[status] += n
    return {
        **figures(everything, elapsed),
        "errors": sum(stats.errors.values()),
        "errors_by_status": dict(sorted(by_status.items())),
        "errors_by_op": dict(sorted(errors.items())),
        "by_op": {op: figures(stats.latency[op], elapsed) for op in OPS if stats.latency.get(op)},
    }
