"""The measured processes of bench/send.py: our sender, the naive peer loop, the snapshot.

Each prints `ready PID` before its measured phase (a profiler may attach then) and one JSON
line at the end; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def hwm_mb() -> float:
    """Peak RSS of this process image since exec (VmHWM), a cross-check of ru_maxrss."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def ready() -> None:
    """Tell the parent the measured phase starts now."""
    print(f"ready {os.getpid()}", flush=True)


def core_for(url: str, schema: str) -> tuple[Any, Any]:
    """The service's engine and core context for the benchmark database."""
    from core.context import CoreContext
    from storage.db import create_engine, create_session_factory

    settings = {"server_settings": {"search_path": schema}} if schema else None
    engine = create_engine(url, connect_args=settings)
    return engine, CoreContext(session_factory=create_session_factory(engine))


def make_bot(token: str, api_base: str) -> Any:
    """An aiogram Bot built by the service's own factory (runtime.make_bot)."""
    from core.telegram_session import make_bot as service_bot

    return service_bot(token, api_base)


async def send(args: argparse.Namespace) -> dict[str, Any]:
    """Run the delivery engine until the campaign completes; CPU and wall time of the send."""
    from sqlalchemy import select

    from core.delivery.engine import DeliveryEngine, EngineSettings
    from core.delivery.pacing import TokenLimiter
    from storage.models import Execution

    engine, core = core_for(args.url, args.schema)
    bot = make_bot(args.token, args.api_base)
    done = asyncio.Event()
    outcome: dict[str, str] = {}

    async def finished(event: Any) -> None:
        outcome["event"] = event.name
        done.set()

    for name in ("campaign.completed", "campaign.failed"):
        core.bus.subscribe(name, finished)
    sender = DeliveryEngine(
        core,
        bot,
        TokenLimiter(args.rate),
        EngineSettings(single_process=args.url.startswith("sqlite")),
    )
    profiler = None
    if args.cprofile:
        import cProfile

        profiler = cProfile.Profile()
    ready()
    wall0, cpu0, usage0 = time.perf_counter(), time.process_time(), resource.getrusage(0)
    if profiler:
        profiler.enable()
    await sender.start()
    await done.wait()
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    usage = resource.getrusage(0)
    await sender.stop()
    await bot.session.close()
    if profiler:
        profiler.dump_stats(args.cprofile)
    async with core.uow() as uow:
        row = await uow.session.scalar(select(Execution).order_by(Execution.id.desc()).limit(1))
    await engine.dispose()
    assert row is not None
    return {
        "result": outcome.get("event"),
        "sent": row.sent_count,
        "failed": row.failed_count,
        "unknown": row.unknown_count,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "user_s": round(usage.ru_utime - usage0.ru_utime, 3),
        "sys_s": round(usage.ru_stime - usage0.ru_stime, 3),
        "rss_mb": rss_mb(),
        "loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
    }


async def peer(args: argparse.Namespace) -> dict[str, Any]:
    """The usual peer loop: send, sleep 50 ms, on 429 sleep retry_after and resend."""
    from aiogram.exceptions import TelegramRetryAfter
    from sqlalchemy import select

    from bench.send_setup import MESSAGE
    from storage.models import Subscriber

    engine, core = core_for(args.url, args.schema)
    async with core.uow() as uow:
        rows = (
            await uow.session.execute(
                select(Subscriber.chat_id, Subscriber.first_name)
                .where(Subscriber.status == "active")
                .order_by(Subscriber.id)
                .limit(args.count)
            )
        ).all()
    await engine.dispose()
    bot = make_bot(args.token, args.api_base)
    sent = retried = 0
    ready()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for chat_id, first_name in rows:
        text = MESSAGE.replace("{first_name}", first_name or "")
        while True:
            try:
                await bot.send_message(chat_id, text)
                sent += 1
                break
            except TelegramRetryAfter as exc:
                retried += 1
                await asyncio.sleep(exc.retry_after)
        await asyncio.sleep(0.05)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    await bot.session.close()
    return {
        "sent": sent,
        "retried": retried,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "rss_mb": rss_mb(),
    }


async def snapshot(args: argparse.Namespace) -> dict[str, Any]:
    """start_execution (one INSERT ... SELECT into the ledger) in this fresh process."""
    from core.campaign_actions import start_execution
    from core.context import Actor
    from core.models import ExecuteOptions
    from storage.models import Campaign

    engine, core = core_for(args.url, args.schema)
    async with engine.connect() as conn:  # open the pool before measuring
        await conn.exec_driver_sql("SELECT 1")
    before = rss_mb()
    ready()
    wall0 = time.perf_counter()
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, args.campaign_id)
        result = await start_execution(
            uow, Actor(args.tenant_id, "bench:send"), campaign, ExecuteOptions()
        )
    wall = time.perf_counter() - wall0
    await engine.dispose()
    assert result.execution is not None
    return {
        "rows": result.execution.total,
        "seconds": round(wall, 3),
        "peak_rss_mb": rss_mb(),
        "vm_hwm_mb": hwm_mb(),
        "rss_before_mb": before,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line of the child roles."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("role", choices=("send", "peer", "snapshot"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema", default="")
    parser.add_argument("--api-base", default="")
    parser.add_argument("--token", default="")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--tenant-id", type=int, default=0)
    parser.add_argument("--campaign-id", type=int, default=0)
    parser.add_argument("--loop", choices=("service", "asyncio", "uvloop"), default="service")
    parser.add_argument("--cprofile", default="")
    return parser.parse_args(argv)


def main() -> None:
    """Run one role and print its JSON line."""
    args = parse_args()
    role = {"send": send, "peer": peer, "snapshot": snapshot}[args.role]
    if args.loop == "uvloop":
        import uvloop

        result = uvloop.run(role(args))
    elif args.loop == "asyncio":
        result = asyncio.run(role(args))
    else:  # as `python -m webhook_server` runs
        from core.event_loop import run

        result = run(role(args))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
