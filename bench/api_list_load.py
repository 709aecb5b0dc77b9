"""The load of bench/api_list.py: the weighted request mix and the aiohttp client driving it."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from bench.api_list_data import SEARCH_WORDS, STATUSES, TYPES

ENDPOINT = "/api/v1/campaigns"
# (kind, weight, query parameters of one request of that kind)
Mix = list[tuple[str, int, Callable[[random.Random], dict[str, Any]]]]


def build_mix(n: int, only: set[str] | None) -> Mix:
    """The request kinds for n seeded campaigns, restricted to `only` (--kinds) if given."""
    pages = max(1, math.ceil(n / 20))
    deep_mid = max(1, round(pages * 0.4))
    deep_end = max(1, pages - 1)
    statuses = [s for s, _ in STATUSES]
    types = [t for t, _ in TYPES]
    mix: Mix = [
        ("first", 20, lambda r: {"page": 1, "limit": 20}),
        ("page_n", 8, lambda r: {"page": r.randint(2, min(50, pages)), "limit": 20}),
        ("status", 12, lambda r: {"status": r.choice(statuses)}),
        ("type", 10, lambda r: {"type": r.choice(types)}),
        ("search", 10, lambda r: {"search": r.choice(SEARCH_WORDS)}),
        ("sort_created", 6, lambda r: {"sort": "-createdAt", "page": r.randint(1, min(5, pages))}),
        ("sort_name", 8, lambda r: {"sort": "name"}),
        ("sort_updated", 8, lambda r: {"sort": "-updatedAt"}),
        (f"deep_p{deep_mid}", 4, lambda r: {"page": deep_mid, "limit": 20}),
        (f"deep_p{deep_end}", 4, lambda r: {"page": deep_end, "limit": 20}),
    ]
    if only:
        aliases = {"deep_mid": mix[8][0], "deep_end": mix[9][0]}
        wanted = {aliases.get(k, k) for k in only}
        unknown = wanted - {k for k, _, _ in mix}
        if unknown:
            raise SystemExit(f"unknown --kinds {sorted(unknown)}; known: {[k for k, _, _ in mix]}")
        mix = [m for m in mix if m[0] in wanted]
    return mix


def kinds_of(args: Any) -> Mix:
    """The mix of the command line (--campaigns, --kinds)."""
    return build_mix(args.campaigns, set(args.kinds.split(",")) if args.kinds else None)


class Picker:
    """Weighted random requests of a mix."""

    def __init__(self, mix: Mix) -> None:
        self.names = [k for k, _, _ in mix]
        self.weights = [w for _, w, _ in mix]
        self.makers = {k: f for k, _, f in mix}

    def pick(self, rng: random.Random) -> tuple[str, str]:
        """(kind, path with query) of the next request."""
        kind = rng.choices(self.names, weights=self.weights)[0]
        return kind, ENDPOINT + "?" + urlencode(self.makers[kind](rng))


class Stats:
    """Latencies of good responses and counts of bad ones, by kind."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def error(self, kind: str, what: str) -> None:
        """Count a failure; the first few are kept as samples."""
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind}: {what}")


def validate(kind: str, status: int, body: bytes, limit: int = 20) -> str | None:
    """None when the body is a proper successful list page, else what is wrong."""
    import orjson

    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    doc = orjson.loads(body)
    if doc.get("success") is not True:
        return f"success is not true: {body[:200]!r}"
    data = doc["data"]
    campaigns, paging = data["campaigns"], data["pagination"]
    if not isinstance(campaigns, list) or len(campaigns) > limit or paging["total"] <= 0:
        return f"unexpected page: {len(campaigns)} rows, pagination {paging}"
    if kind != "search" and not campaigns:
        return f"empty page: pagination {paging}"
    return None


async def drive(
    base: str, key: str, picker: Picker, concurrency: int, seconds: float, seed: int, full: bool
) -> tuple[Stats, float]:
    """`concurrency` workers send requests for `seconds`; `full` validates each body (slower).

    Returns the stats and the seconds the load took.
    """
    import aiohttp

    stats = Stats()
    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency)
    timeout = aiohttp.ClientTimeout(total=60)
    ok_prefix = b'{"success":true'

    async with aiohttp.ClientSession(
        base, connector=connector, timeout=timeout, headers=headers
    ) as s:
        deadline = time.perf_counter() + seconds

        async def worker(i: int) -> None:
            rng = random.Random(seed * 1000 + i)
            while time.perf_counter() < deadline:
                kind, path = picker.pick(rng)
                t0 = time.perf_counter()
                try:
                    async with s.get(path) as resp:
                        body = await resp.read()
                        status = resp.status
                except Exception as exc:  # every failure is counted
                    stats.error(kind, f"{type(exc).__name__}: {exc}")
                    continue
                elapsed = time.perf_counter() - t0
                if full:
                    problem = validate(kind, status, body)
                elif status != 200 or not body.startswith(ok_prefix):
                    problem = f"HTTP {status}: {body[:200]!r}"
                else:
                    problem = None
                if problem:
                    stats.error(kind, problem)
                else:
                    stats.latency[kind].append(elapsed)

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        return stats, time.perf_counter() - started


def run_client(coro: Any) -> Any:
    """Run the client coroutine on uvloop when installed (a faster client), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)
