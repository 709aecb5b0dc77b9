"""Admin reply latency while a 30 msg/s broadcast runs on the same bot token.

Usage (from the repository root):

    .venv/bin/python bench/bot_latency.py                       # 3,000 recipients (~100 s)
    .venv/bin/python bench/bot_latency.py --recipients 600 --repeat 3
    .venv/bin/python bench/bot_latency.py --py-spy /tmp/bot_latency.svg

Processes: the emulator (bench/bot_latency_emulator.py: EmulatorServer with its default
limits, 30/s per token and 1/s per private chat, plus an admin who probes the bot) and the
service itself, `python -m webhook_server` with BOT_TOKEN and TELEGRAM_API_URL pointing at
that emulator: runtime.py's wiring, one TokenLimiter shared by the DeliveryEngine and the
polling Dispatcher's PacedReplies. The admin (ADMIN_IDS) sends --command every --interval
seconds; latency runs from the emulator storing the admin's message to the emulator storing
the bot's reply (one clock, one process). First a baseline with no broadcast, then the
campaign is executed through the REST API and the admin probes until every recipient got it.

Prints one JSON line (stdout); progress on stderr. Latency figures are of the probes sent
while the broadcast ran (`baseline`: with none running); `broadcast_achieved_rate` counts the
campaign's messages, `token_achieved_rate` every send of the token (replies included), both
from the emulator's accepted sends; `rate_limited` is the emulator's count of 429s. Each run
also shows where a reply's time went: `update_delivery_ms` (stored until getUpdates handed
it out), `handler_ms` (aiogram's own "is handled" duration, pacing wait included) and the
arrival spacing of the token's sends (`send_gap_ms`, nominally 1/29.7 s).

With --repeat N the percentiles are over the pooled samples of all runs and `runs` lists
each run (the machine is shared: spread matters). --py-spy PATH records the service during
the broadcast of one extra, unmeasured run (.svg flame graph, .txt collapsed stacks, .json
speedscope). --margin M (TokenPacer's default margin set to M), --gc-freeze (gc.freeze()
once the service has started) and --diagnose (the service's event-loop stalls over 50 ms
and garbage collections over 20 ms, whole run) run the service through
bench/bot_latency_service.py: experiments, listed in `experiment`, not the plain real path.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import secrets
import signal
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bot_latency_setup import Emulator, Service  # noqa: E402
from bench.send_setup import Database, log, new_campaign, seed  # noqa: E402
from core.delivery.pacing import DEFAULT_MARGIN  # noqa: E402

TARGET_P95_MS = 150.0
ADMIN_ID = 900_000_001  # outside the subscribers' ids, so the broadcast never reaches it
REPLY_MARKERS = {"/help": "Admin help", "/menu": "What would you like to do?"}


def percentiles(values: list[float]) -> dict[str, Any]:
    """Nearest-rank p50/p95/p99 and the maximum, in ms."""
    ordered = sorted(values)

    def rank(q: float) -> float | None:
        return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1) if ordered else None

    return {
        "samples": len(ordered),
        "p50_ms": rank(0.50),
        "p95_ms": rank(0.95),
        "p99_ms": rank(0.99),
        "max_ms": round(ordered[-1], 1) if ordered else None,
    }


async def one_run(args: argparse.Namespace, index: int, py_spy: str = "") -> dict[str, Any]:
    """Fresh database, emulator and service; baseline probes, then probes during a broadcast."""
    n = args.recipients
    db = Database(None)
    probe = {"command": args.command, "reply": REPLY_MARKERS[args.command]}
    try:
        await db.create()
        tenant_id, _ = await seed(db, n)
        campaign_id = await new_campaign(db, tenant_id, paid=False, execute=False)
        token = f"{7100 + index}:AA{secrets.token_urlsafe(26)[:33]}"
        load_before = round(os.getloadavg()[0], 2)
        log_path = Path(tempfile.gettempdir()) / f"bot_latency_{os.getpid()}_{index}.log"
        async with (
            Emulator(n, ADMIN_ID, token) as emu,
            Service(
                db,
                emu.base_url,
                token,
                ADMIN_ID,
                args.send_rate,
                log_path,
                experiment(args),
            ) as service,
        ):
            log(f"run {index}: warm-up and {args.baseline} baseline probes (no broadcast)")
            await emu.post("/_bench/probe", samples=3, interval=args.interval, **probe)
            base = await emu.post(
                "/_bench/probe", samples=args.baseline, interval=args.interval, **probe
            )
            log(f"run {index}: broadcast to {n} at SEND_RATE {args.send_rate}, probing meanwhile")
            timeout = n / args.send_rate * 2 + 60
            during = asyncio.create_task(
                emu.post("/_bench/broadcast", expected=n, timeout=timeout, interval=args.interval,
                         **probe)
            )  # fmt: skip
            await asyncio.sleep(0.5)
            handled_before, cpu_before = len(service.handler_ms()), service.cpu_seconds()
            await service.execute(campaign_id)
            spy = await service.profile(py_spy) if py_spy else None
            result = await during
            cpu = service.cpu_seconds() - cpu_before
            handler = service.handler_ms()[handled_before:]
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                await spy.wait()
            stats = await emu.stats(token)
            warnings = service.log_counts()
            diagnostics = service.diagnostics() if args.diagnose else None
    finally:
        await db.drop()
    latencies = [s["ms"] for s in result["samples"]]
    run = {
        **percentiles(latencies),
        "missing_replies": result["missing"] + base["missing"],
        "broadcast_sent": result["broadcast_sent"],
        "broadcast_span_s": round(result["broadcast_span_s"], 2),
        "broadcast_achieved_rate": round(result["broadcast_rate"] or 0.0, 2),
        "token_achieved_rate": round(result["token_rate"] or 0.0, 2),
        "send_gap_ms": result["gap_ms"],
        "update_delivery_ms": percentiles([s["poll_ms"] for s in result["samples"]]),
        "handler_ms": percentiles(handler),
        "service_cpu_pct": round(100 * cpu / max(result["broadcast_span_s"], 1e-9), 1),
        "rate_limited": int(stats.get("rate_limited", 0)),
        "rate_limited_by_scope": stats.get("rate_limited_by_scope", {}),
        "peak_in_window": stats.get("peak_in_window"),
        "baseline": percentiles([s["ms"] for s in base["samples"]]),
        "service_log": warnings,
        **({"service_stalls_ms": diagnostics} if diagnostics is not None else {}),
        "load_before": load_before,
        "latencies_ms": [round(v, 1) for v in latencies],
        "baseline_ms": [round(s["ms"], 1) for s in base["samples"]],
    }
    shown = {k: v for k, v in run.items() if not k.endswith("_ms") or not isinstance(v, list)}
    log(f"  run: {json.dumps(shown)}")
    return run


def experiment(args: argparse.Namespace) -> list[str]:
    """Flags for bench/bot_latency_service.py; none means the plain service."""
    flags = ["--margin", str(args.margin)] if args.margin is not None else []
    return flags + [f"--{name.replace('_', '-')}" for name in ("diagnose", "gc_freeze")
                    if getattr(args, name)]  # fmt: skip


def summary(args: argparse.Namespace, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Pooled percentiles, medians of the rates, totals of the 429s."""
    pooled = percentiles([v for r in runs for v in r["latencies_ms"]])
    line: dict[str, Any] = {
        "bench": "bot_latency",
        "broadcast_rate": args.send_rate,
        "broadcast_recipients": args.recipients,
        "command": args.command,
        "interval_s": args.interval,
        "pacing_margin": DEFAULT_MARGIN if args.margin is None else args.margin,
        "experiment": experiment(args),
        **pooled,
        "broadcast_achieved_rate": median([r["broadcast_achieved_rate"] for r in runs]),
        "token_achieved_rate": median([r["token_achieved_rate"] for r in runs]),
        "rate_limited": sum(r["rate_limited"] for r in runs),
        "peak_in_window": max(r["peak_in_window"] or 0 for r in runs),
        "missing_replies": sum(r["missing_replies"] for r in runs),
        "baseline": percentiles([v for r in runs for v in r["baseline_ms"]]),
        "target": {"p95_ms_max": TARGET_P95_MS, "rate_limited_max": 0},
    }
    line["met"] = bool(
        pooled["p95_ms"] is not None
        and pooled["p95_ms"] <= TARGET_P95_MS
        and line["rate_limited"] == 0
        and line["missing_replies"] == 0
    )
    if len(runs) > 1:
        for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms", "broadcast_achieved_rate"):
            values = [r[key] for r in runs]
            line[f"{key}_range"] = [min(values), max(values)]
    line["runs"] = [
        {k: v for k, v in r.items() if k not in ("latencies_ms", "baseline_ms")} for r in runs
    ]
    return line


def median(values: list[float]) -> float:
    """The median, rounded for the report."""
    return round(statistics.median(values), 2)


async def main_async(args: argparse.Namespace) -> None:
    """Run, repeat, print the line."""
    runs = [await one_run(args, i) for i in range(args.repeat)]
    print(json.dumps(summary(args, runs)), flush=True)
    if args.py_spy:
        log(f"profiled run (not measured): py-spy -> {args.py_spy}")
        await one_run(args, args.repeat, py_spy=args.py_spy)


def main() -> None:
    """Command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add = parser.add_argument
    add("--recipients", type=int, default=3000, help="subscribers of the broadcast")
    add("--send-rate", type=float, default=30.0, help="the service's SEND_RATE")
    add("--command", choices=sorted(REPLY_MARKERS), default="/help", help="what the admin sends")
    add("--interval", type=float, default=1.1, help="seconds between the admin's commands")
    add("--baseline", type=int, default=20, help="probes with no broadcast running")
    add("--repeat", type=int, default=1, help="independent runs (fresh everything)")
    add("--margin", type=float, help="experiment: override TokenPacer's default margin")
    add("--diagnose", action="store_true", help="log the service's loop stalls and long GCs")
    add("--gc-freeze", action="store_true", help="experiment: gc.freeze() after start-up")
    add("--py-spy", default="", help="profile the service in one extra, unmeasured run")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
