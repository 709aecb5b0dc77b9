"""Benchmark of the delivery engine against the Bot API emulator, and of the audience snapshot.

Usage (from the repository root):

    .venv/bin/python bench/send.py                          # all four scenarios, SQLite
    .venv/bin/python bench/send.py --scenario b --repeat 3 --py-spy /tmp/send_b.txt
    .venv/bin/python bench/send.py --scenario c --snapshot-size 1000000 --pg-url none
    .venv/bin/python bench/send.py --scenario a,d \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

Scenarios (one JSON line each on stdout; progress on stderr):

a  --recipients-a (3,000) subscribers, emulator at its default 30 msg/s, our SEND_RATE 30:
   achieved msg/s from the emulator's accepted-send timestamps (target >= 29.5), 429s (0).
b  --recipients-b (50,000) subscribers, campaign allowPaidBroadcast, emulator paid limit
   1000/s: achieved msg/s (target >= 950) and CPU ms per message of the sender process
   (time.process_time over the send, all threads; target <= 0.5).
c  start_execution snapshotting --snapshot-size (1,000,000) subscribers into the ledger
   (one INSERT ... SELECT) in a fresh child process on a pre-seeded SQLite file: seconds
   (target <= 5) and peak RSS (ru_maxrss, target <= 150 MB); the same on PostgreSQL at
   --pg-url when it answers (private schema, dropped afterwards).
d  the usual peer loop (send_message, sleep 50 ms, on 429 sleep retry_after and resend) on
   the same emulator and recipients as (a): msg/s, 429s and ours/peer.

The emulator runs as `python -m emulator` in its own process; senders run in child
processes (bench/send_worker.py), so each one's CPU is measured alone; they run on the
service's event loop (uvloop when installed) unless --loop asyncio|uvloop says. Subscribers are
seeded with one set-based INSERT, their Telegram ids matching the emulator's users
(100000001 upwards). Campaign text: "Hello {first_name}! ..." (personalised). With
--repeat N every figure is the median of N runs; `runs` lists each one (the machine is
shared: spread matters). --py-spy PATH records the sender of (b) (.txt collapsed stacks,
.svg flame graph, .json speedscope) in one extra, unmeasured run; --cprofile PATH likewise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.send_setup import (  # noqa: E402
    Database,
    EmulatorProcess,
    clear_ledger,
    log,
    new_campaign,
    profiler,
    run_child,
    seed,
)
from emulator.testing import make_token  # noqa: E402

LOOPS = ("service", "asyncio", "uvloop")
PG_TEST_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TARGETS = {
    "a": {"msg_per_s_min": 29.5, "rate_limited_max": 0},
    "b": {"msg_per_s_min": 950.0, "cpu_ms_per_msg_max": 0.5},
    "c": {"seconds_max": 5.0, "peak_rss_mb_max": 150.0},
}


def median(values: list[float]) -> float:
    """The median, rounded for the report."""
    return round(statistics.median(values), 3)


def load() -> float:
    """One-minute load average (other jobs on the shared machine skew the figures)."""
    return round(os.getloadavg()[0], 2)


async def send_run(
    args: argparse.Namespace, emu: EmulatorProcess, recipients: int, paid: bool, **extra: Any
) -> dict[str, Any]:
    """One run of our engine: fresh database, fresh token, the emulator's view of it."""
    db = Database(args.database_url)
    try:
        await db.create()
        tenant_id, seed_s = await seed(db, recipients)
        await new_campaign(db, tenant_id, paid=paid, execute=True)
        token = make_token(7000 + recipients % 1000)
        before = load()
        child = await run_child(
            "send", "--url", db.url, "--schema", db.schema or "", "--api-base", emu.base_url,
            "--token", token, "--rate", str(args.send_rate), "--loop", args.loop,
            "--cprofile", extra.get("cprofile", ""), on_ready=extra.get("on_ready"),
        )  # fmt: skip
        stats = await emu.bot_stats(token)
    finally:
        await db.drop()
    accepted = int(stats.get("accepted", 0))
    run = {
        "msg_per_s": round(stats.get("achieved_rate") or 0.0, 2),
        "rate_limited": int(stats.get("rate_limited", 0)),
        "accepted": accepted,
        "peak_in_window": stats.get("peak_in_window"),
        "cpu_ms_per_msg": round(child["cpu_s"] * 1000 / max(1, accepted), 4),
        "load_before": before,
        "seed_s": seed_s,
        **child,
    }
    log(f"  run: {json.dumps(run)}")
    return run


def summary(scenario: str, runs: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """Medians of the runs plus the runs themselves."""
    keys = ("msg_per_s", "rate_limited", "cpu_ms_per_msg", "wall_s", "cpu_s", "rss_mb")
    out: dict[str, Any] = {"scenario": scenario, **fields}
    for key in keys:
        values = [r[key] for r in runs if r.get(key) is not None]
        if values:
            out[key] = median(values)
            if len(values) > 1:
                out[f"{key}_range"] = [min(values), max(values)]
    out["runs"] = runs
    return out


async def scenario_a_d(args: argparse.Namespace, wanted: set[str]) -> list[dict[str, Any]]:
    """(a) our engine at 30 msg/s and (d) the naive peer loop, on one emulator."""
    lines: list[dict[str, Any]] = []
    n = args.recipients_a
    async with EmulatorProcess(n) as emu:
        ours: list[dict[str, Any]] = []
        if "a" in wanted:
            for i in range(args.repeat):
                log(f"(a) run {i + 1}/{args.repeat}: {n} recipients at SEND_RATE {args.send_rate}")
                ours.append(await send_run(args, emu, n, paid=False))
            line = summary("a", ours, backend=backend(args), recipients=n, send_rate=args.send_rate)
            line["targets"] = TARGETS["a"]
            line["met"] = line["msg_per_s"] >= 29.5 and line["rate_limited"] == 0
            lines.append(line)
            print(json.dumps(line), flush=True)
        if "d" in wanted:
            peers = [await peer_run(args, emu, n, i) for i in range(args.repeat)]
            line = summary("d", peers, backend=backend(args), recipients=n)
            if ours:
                line["ours_msg_per_s"] = median([r["msg_per_s"] for r in ours])
                line["ratio_ours_over_peer"] = round(line["ours_msg_per_s"] / line["msg_per_s"], 2)
            lines.append(line)
            print(json.dumps(line), flush=True)
    return lines


async def peer_run(args: argparse.Namespace, emu: EmulatorProcess, n: int, i: int) -> Any:
    """One run of the naive loop on a fresh database and token."""
    log(f"(d) run {i + 1}/{args.repeat}: the usual peer loop over {n} recipients")
    db = Database(args.database_url)
    try:
        await db.create()
        await seed(db, n)
        token = make_token(8000 + i)
        before = load()
        child = await run_child(
            "peer", "--url", db.url, "--schema", db.schema or "", "--api-base", emu.base_url,
            "--token", token, "--count", str(n), "--loop", args.loop,
        )  # fmt: skip
        stats = await emu.bot_stats(token)
    finally:
        await db.drop()
    run = {
        "msg_per_s": round(stats.get("achieved_rate") or 0.0, 2),
        "rate_limited": int(stats.get("rate_limited", 0)),
        "accepted": int(stats.get("accepted", 0)),
        "load_before": before,
        **child,
    }
    log(f"  run: {json.dumps(run)}")
    return run


async def scenario_b(args: argparse.Namespace) -> dict[str, Any]:
    """(b) paid broadcast at up to 1000 msg/s: rate and the sender's CPU per message."""
    n = args.recipients_b
    async with EmulatorProcess(n) as emu:
        runs = []
        for i in range(args.repeat):
            log(f"(b) run {i + 1}/{args.repeat}: {n} recipients, paid broadcast")
            runs.append(await send_run(args, emu, n, paid=True))
        if args.py_spy:
            log(f"(b) profiled run (not measured): py-spy -> {args.py_spy}")
            await send_run(args, emu, n, paid=True, on_ready=profiler(args.py_spy))
        if args.cprofile:
            log(f"(b) profiled run (not measured): cProfile -> {args.cprofile}")
            await send_run(args, emu, n, paid=True, cprofile=args.cprofile)
    loop = runs[0].get("loop", args.loop)
    line = summary("b", runs, backend=backend(args), recipients=n, loop=loop)
    line["targets"] = TARGETS["b"]
    line["met"] = line["msg_per_s"] >= 950 and line["cpu_ms_per_msg"] <= 0.5
    print(json.dumps(line), flush=True)
    return line


async def snapshot_on(args: argparse.Namespace, url: str | None) -> dict[str, Any]:
    """Seed once, then time start_execution in a fresh child per run."""
    size = args.snapshot_size
    template = Database(url)
    try:
        await template.create()
        tenant_id, seed_s = await seed(template, size)
        log(f"(c) seeded {size} subscribers in {seed_s} s on {template.url.split(':')[0]}")
        runs = []
        for i in range(args.repeat):
            db = Database(None) if template.is_sqlite else template
            if template.is_sqlite:
                template.copy_to(db)
            else:
                await clear_ledger(db)
            before = load()
            try:
                campaign_id = await new_campaign(db, tenant_id, paid=False, execute=False)
                child = await run_child(
                    "snapshot", "--url", db.url, "--schema", db.schema or "",
                    "--tenant-id", str(tenant_id), "--campaign-id", str(campaign_id),
                )  # fmt: skip
            finally:
                if db is not template:
                    await db.drop()
            child["load_before"] = before
            log(f"  run {i + 1}/{args.repeat}: {json.dumps(child)}")
            runs.append(child)
    finally:
        await template.drop()
    out: dict[str, Any] = {"seed_s": seed_s}
    for key in ("seconds", "peak_rss_mb", "rss_before_mb"):
        out[key] = median([r[key] for r in runs])
        if len(runs) > 1:
            out[f"{key}_range"] = [min(r[key] for r in runs), max(r[key] for r in runs)]
    out["rows"] = runs[0]["rows"]
    out["runs"] = runs
    return out


async def scenario_c(args: argparse.Namespace) -> dict[str, Any]:
    """(c) the set-based snapshot on SQLite, and on PostgreSQL when it answers."""
    line: dict[str, Any] = {"scenario": "c", "snapshot_size": args.snapshot_size}
    line["sqlite"] = await snapshot_on(args, None)
    if args.pg_url != "none":
        try:
            line["postgresql"] = await snapshot_on(args, args.pg_url)
        except (OSError, SystemExit) as exc:
            line["postgresql"] = {"skipped": f"{type(exc).__name__}: {exc}"}
    line["targets"] = TARGETS["c"]
    sqlite = line["sqlite"]
    line["met"] = sqlite["seconds"] <= 5.0 and sqlite["peak_rss_mb"] <= 150.0
    print(json.dumps(line), flush=True)
    return line


def backend(args: argparse.Namespace) -> str:
    """sqlite or postgresql."""
    return "postgresql" if (args.database_url or "").startswith("postgresql") else "sqlite"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="a,b,c,d", help="comma-separated subset of a,b,c,d")
    p.add_argument("--recipients-a", type=int, default=3000)
    p.add_argument("--recipients-b", type=int, default=50_000)
    p.add_argument("--snapshot-size", type=int, default=1_000_000)
    p.add_argument("--database-url", default=None, help="a, b, d: default a temp SQLite file")
    p.add_argument("--pg-url", default=PG_TEST_URL, help="c on PostgreSQL ('none' to skip)")
    p.add_argument("--send-rate", type=float, default=30.0, help="our SEND_RATE")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument(
        "--loop",
        choices=LOOPS,
        default="service",
        help="senders' event loop: the service's own (uvloop when installed), or this one",
    )
    p.add_argument("--py-spy", default="", help="profile the sender of (b) into this file")
    p.add_argument("--cprofile", default="", help="cProfile the sender of (b) into this file")
    return p.parse_args(argv)


async def main(argv: list[str] | None = None) -> None:
    """Run the chosen scenarios in the order c, b, a, d (cheap failures first)."""
    args = parse_args(argv)
    wanted = {s.strip() for s in args.scenario.split(",") if s.strip()}
    if unknown := wanted - {"a", "b", "c", "d"}:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}")
    if "c" in wanted:
        await scenario_c(args)
    if "b" in wanted:
        await scenario_b(args)
    if wanted & {"a", "d"}:
        await scenario_a_d(args, wanted)


if __name__ == "__main__":
    asyncio.run(main())
