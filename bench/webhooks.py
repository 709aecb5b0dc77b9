"""Benchmark of outgoing webhooks: dispatch throughput, commit-to-receipt latency, dead endpoint.

Usage (from the repository root):

    .venv/bin/python bench/webhooks.py                       # all scenarios, SQLite
    .venv/bin/python bench/webhooks.py --scenario throughput,latency --events 5000
    .venv/bin/python bench/webhooks.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Scenarios (one JSON line each on stdout; progress on stderr). Each runs on a fresh database
(a SQLite file in a temp dir, or a private PostgreSQL schema, dropped afterwards), with the
core's own WebhookDispatcher (default settings) in this process and an aiohttp receiver on
127.0.0.1 that verifies every signature with `standardwebhooks`:

throughput     --events (5,000) outbox rows queued, split over --endpoints (1) endpoints (the
               rows a commit writes, inserted through WebhookRepository.add_deliveries), then
               the dispatcher drains them (one endpoint is served one event at a time):
               events/s from first to last receipt (target >= 500), verification failures
               and duplicates (0).
latency        idle queue, a started dispatcher; --latency-events (200) campaigns created one
               at a time through core (each commit records `campaign.created`, which wakes
               the dispatcher through the bus): ms from just before the commit to the
               receiver's receipt, p50/p90/p99/max (target p99 <= 500). --latency-via test
               commits core.webhooks.endpoints.send_test instead (POST .../test). After each
               receipt --latency-gap (0.05) s pass, so the dispatcher has settled the row
               (with 0 the next commit can land while the endpoint is still busy: it then
               waits for the next 1 s poll).
dead_endpoint  bench/webhooks_dead.py: a campaign sent by the delivery engine to the Bot API
               emulator at 30 msg/s, alone and then beside a dispatcher working through
               --dead-events (1,000) rows for an endpoint that accepts connections and never
               answers: msg/s of both (medians over --repeat pairs; target: within 2%).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_db import Database  # noqa: E402
from bench.send_setup import log  # noqa: E402
from bench.webhooks_setup import (  # noqa: E402
    Receiver,
    make_core,
    new_endpoint,
    percentile,
    queue_events,
)

SCENARIOS = ("throughput", "latency", "dead_endpoint")
TARGETS = {
    "throughput": {"events_per_s_min": 500.0, "verify_failures_max": 0, "duplicates_max": 0},
    "latency": {"p99_ms_max": 500.0, "verify_failures_max": 0},
    "dead_endpoint": {"send_rate_drop_pct_max": 2.0},
}


def load() -> float:
    """One-minute load average (the machine is shared)."""
    return round(os.getloadavg()[0], 2)


def report(scenario: str, url: str | None, figures: dict[str, Any], met: bool) -> dict[str, Any]:
    """The scenario's JSON line."""
    targets = {**TARGETS[scenario], "met": met}
    backend = "postgresql" if url and url.startswith("postgresql") else "sqlite"
    return {"scenario": scenario, "backend": backend, **figures, "targets": targets}


async def throughput(args: argparse.Namespace) -> dict[str, Any]:
    """Drain a queue of --events rows spread over --endpoints endpoints."""
    from core.webhooks.dispatcher import WebhookDispatcher

    db = Database(args.database_url, prefix="bench_webhooks")
    receiver = await Receiver().start()
    try:
        await db.create()
        engine, core = make_core(db)
        queue_s = 0.0
        for n in range(args.endpoints):
            url = receiver.url(n)
            tenant_id, endpoint_id, receiver.secrets[f"/hook/{n}"] = await new_endpoint(core, url)
            share = args.events // args.endpoints + (n < args.events % args.endpoints)
            queue_s += await queue_events(core, tenant_id, endpoint_id, share)
        receiver.expected = args.events
        dispatcher = WebhookDispatcher(core)
        before, started, cpu0 = load(), time.perf_counter(), time.process_time()
        await dispatcher.start()
        try:
            await asyncio.wait_for(receiver.done.wait(), args.timeout)
        except TimeoutError:
            log(f"throughput: only {len(receiver.ids)} of {args.events} within {args.timeout} s")
        cpu = time.process_time() - cpu0
        await dispatcher.stop()
        await engine.dispose()
    finally:
        await receiver.stop()
        await db.drop()
    times = receiver.times
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    rate = round((len(times) - 1) / span, 1) if span else 0.0
    figures = {
        "events": args.events,
        "endpoints": args.endpoints,
        "received": len(receiver.ids),
        "events_per_s": rate,
        "first_receipt_s": round(times[0] - started, 3) if times else None,
        "drain_s": round(times[-1] - started, 2) if times else None,
        "cpu_ms_per_event": round(cpu * 1000 / max(1, len(times)), 2),
        "verify_failures": receiver.failures,
        "duplicates": receiver.duplicates,
        "queue_s": round(queue_s, 2),
        "load_before": before,
    }
    met = (
        rate >= TARGETS["throughput"]["events_per_s_min"]
        and receiver.failures == 0
        and receiver.duplicates == 0
        and len(receiver.ids) == args.events
    )
    return report("throughput", args.database_url, figures, met)


async def latency(args: argparse.Namespace) -> dict[str, Any]:
    """Commit campaigns one at a time into an idle queue; commit-to-receipt latency."""
    from core.campaigns import create_campaign
    from core.context import Actor
    from core.models import CampaignCreate
    from core.webhooks.dispatcher import WebhookDispatcher
    from core.webhooks.endpoints import send_test
    from storage.repositories.webhooks import WebhookRepository

    db = Database(args.database_url, prefix="bench_webhooks")
    receiver = await Receiver().start()
    samples: list[float] = []
    lost = 0
    try:
        await db.create()
        engine, core = make_core(db)
        tenant_id, endpoint_id, receiver.secrets["/hook/0"] = await new_endpoint(
            core, receiver.url()
        )
        actor = Actor(tenant_id, "bench:webhooks")
        body = CampaignCreate.model_validate({"name": "Bench", "messages": [{"content": "Hi"}]})
        dispatcher = WebhookDispatcher(core)
        await dispatcher.start()
        before = load()
        for _ in range(args.latency_events):
            receiver.arrived.clear()
            seen = len(receiver.times)
            async with core.uow() as uow:
                if args.latency_via == "test":
                    repository = WebhookRepository(uow.session)
                    endpoint = await repository.get_endpoint(tenant_id, endpoint_id)
                    assert endpoint is not None
                    await send_test(uow, endpoint)
                else:
                    await create_campaign(uow, actor, body)
                committing = time.perf_counter()
            try:
                await asyncio.wait_for(receiver.arrived.wait(), 10)
            except TimeoutError:
                lost += 1
                continue
            samples.append((receiver.times[seen] - committing) * 1000)
            await asyncio.sleep(args.latency_gap)  # let the dispatcher settle it: an idle queue
        await dispatcher.stop()
        await engine.dispose()
    finally:
        await receiver.stop()
        await db.drop()
    p99 = percentile(samples, 0.99)
    figures = {
        "events": args.latency_events,
        "via": args.latency_via,
        "gap_s": args.latency_gap,
        "received": len(receiver.ids),
        "lost": lost,
        "p50_ms": percentile(samples, 0.50),
        "p90_ms": percentile(samples, 0.90),
        "p99_ms": p99,
        "max_ms": round(max(samples), 1) if samples else None,
        "verify_failures": receiver.failures,
        "duplicates": receiver.duplicates,
        "load_before": before,
    }
    met = (
        p99 is not None
        and p99 <= TARGETS["latency"]["p99_ms_max"]
        and lost == 0
        and receiver.failures == 0
    )
    return report("latency", args.database_url, figures, met)


async def dead_endpoint(args: argparse.Namespace) -> dict[str, Any]:
    """Send rate of a campaign with and without a dead endpoint's backlog."""
    from bench.webhooks_dead import compare

    figures = await compare(args)
    drop = figures["send_rate_drop_pct"]
    met = drop is not None and drop <= TARGETS["dead_endpoint"]["send_rate_drop_pct_max"]
    return report("dead_endpoint", args.database_url, figures, met)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scenario", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--events", type=int, default=5000, help="throughput: queued rows")
    parser.add_argument("--endpoints", type=int, default=1, help="throughput: spread over")
    parser.add_argument("--latency-events", type=int, default=200, help="latency: commits")
    parser.add_argument(
        "--latency-via",
        choices=("campaign", "test"),
        default="campaign",
        help="latency: commit a campaign creation, or a webhook.test (send_test)",
    )
    parser.add_argument(
        "--latency-gap", type=float, default=0.05, help="latency: pause after each receipt"
    )
    parser.add_argument("--dead-events", type=int, default=1000, help="dead_endpoint: rows")
    parser.add_argument("--dead-endpoints", type=int, default=1, help="dead_endpoint: spread")
    parser.add_argument("--recipients", type=int, default=600, help="dead_endpoint: send size")
    parser.add_argument("--send-rate", type=float, default=30.0, help="dead_endpoint: msg/s")
    parser.add_argument("--repeat", type=int, default=1, help="dead_endpoint: medians of N")
    parser.add_argument("--timeout", type=float, default=120.0, help="throughput: give up after")
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")
    return args


async def main(argv: list[str] | None = None) -> None:
    """Run the chosen scenarios, one JSON line each."""
    args = parse_args(argv)
    runners = {"throughput": throughput, "latency": latency, "dead_endpoint": dead_endpoint}
    for scenario in args.scenarios:
        log(f"{scenario}: running")
        print(json.dumps(await runners[scenario](args)), flush=True)


if __name__ == "__main__":
    from core.event_loop import run

    run(main())
