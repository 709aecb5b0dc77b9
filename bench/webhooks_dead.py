"""bench/webhooks.py dead_endpoint: a campaign's send rate with and without a dead endpoint.

Both runs send --recipients messages through the core's DeliveryEngine to one Bot API emulator
(30 msg/s) in this process; the second also runs a WebhookDispatcher on the same event loop,
with --dead-events rows queued across --dead-endpoints endpoints that accept connections and
never answer (each attempt waits the dispatcher's 5 s timeout). The campaign's own events go
to those endpoints too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from bench.send_setup import Database, EmulatorProcess, log, new_campaign, seed
from bench.webhooks_setup import DeadEndpoint, make_core, new_endpoint, queue_events
from emulator.testing import make_token


async def send_once(
    args: argparse.Namespace, emu: EmulatorProcess, token: str, dead: list[DeadEndpoint]
) -> dict[str, Any]:
    """One campaign on a fresh database; with `dead`, the dispatcher works beside it."""
    from core.delivery.engine import DeliveryEngine, EngineSettings
    from core.delivery.pacing import TokenLimiter
    from core.telegram_session import make_bot
    from core.webhooks.dispatcher import WebhookDispatcher

    db = Database(args.database_url)
    try:
        await db.create()
        tenant_id, _ = await seed(db, args.recipients)
        engine, core = make_core(db)
        queued = 0
        for index, endpoint in enumerate(dead):
            share = args.dead_events // len(dead) + (index < args.dead_events % len(dead))
            _, endpoint_id, _ = await new_endpoint(core, await endpoint.start())
            await queue_events(core, tenant_id, endpoint_id, share)
            queued += share
        await new_campaign(db, tenant_id, paid=False, execute=True)
        bot = make_bot(token, emu.base_url)
        done = asyncio.Event()

        async def finished(event: Any) -> None:
            done.set()

        for name in ("campaign.completed", "campaign.failed"):
            core.bus.subscribe(name, finished)
        sender = DeliveryEngine(
            core, bot, TokenLimiter(args.send_rate), EngineSettings(single_process=db.is_sqlite)
        )
        dispatcher = WebhookDispatcher(core) if dead else None
        started = time.perf_counter()
        if dispatcher is not None:
            await dispatcher.start()
        await sender.start()
        await done.wait()
        wall = time.perf_counter() - started
        await sender.stop()
        if dispatcher is not None:
            await dispatcher.stop()
        await bot.session.close()
        await engine.dispose()
    finally:
        for endpoint in dead:
            await endpoint.stop()
        await db.drop()
    stats = await emu.bot_stats(token)
    run = {
        "msg_per_s": round(stats.get("achieved_rate") or 0.0, 2),
        "accepted": int(stats.get("accepted", 0)),
        "rate_limited": int(stats.get("rate_limited", 0)),
        "wall_s": round(wall, 2),
        "queued_webhook_events": queued,
        "dead_connections": sum(endpoint.connections for endpoint in dead),
    }
    log(f"  run: {run}")
    return run


async def compare(args: argparse.Namespace) -> dict[str, Any]:
    """The send alone, then beside the dead endpoints' backlog, --repeat times; the drop in
    median msg/s."""
    runs: dict[str, list[dict[str, Any]]] = {"alone": [], "with_dead": []}
    async with EmulatorProcess(args.recipients, rate=int(args.send_rate)) as emu:
        for n in range(args.repeat):
            runs["alone"].append(await send_once(args, emu, make_token(7100 + 2 * n), []))
            dead = [DeadEndpoint() for _ in range(args.dead_endpoints)]
            runs["with_dead"].append(await send_once(args, emu, make_token(7101 + 2 * n), dead))
    base, with_dead = (
        round(statistics.median(r["msg_per_s"] for r in runs[key]), 2) for key in runs
    )
    drop = round((base - with_dead) * 100 / base, 2) if base else None
    return {
        "recipients": args.recipients,
        "send_rate": args.send_rate,
        "dead_events": args.dead_events,
        "dead_endpoints": args.dead_endpoints,
        "repeat": args.repeat,
        "msg_per_s_alone": base,
        "msg_per_s_with_dead": with_dead,
        "send_rate_drop_pct": drop,
        "runs": runs,
    }
