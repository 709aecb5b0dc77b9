"""Benchmark of REST writes under concurrency: the real service, campaigns created and run.

Usage (from the repository root):

    .venv/bin/python bench/api_write.py                    # SQLite file in a temp dir
    .venv/bin/python bench/api_write.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/api_write.py --clients 32 --seconds 10 --trace

What happens:

1. Database: a fresh SQLite file in a temp dir, or a private PostgreSQL *database* next to the
   one in --database-url (the real service takes only DATABASE_URL, so no private schema);
   migrated to head, --subscribers (50) active subscribers seeded (bench/send_setup.seed).
2. Telegram side: `python -m emulator` (bench/send_setup.EmulatorProcess), its users being the
   subscribers; the service's TELEGRAM_API_URL points at it, never at the internet.
3. Service: `python -m webhook_server` (bench/bot_latency_setup.Service: delivery engine,
   scheduler, bot polling, REST) with SEND_RATE --send-rate; with --trace instead
   bench/api_write_service.py, the same service with SQL transaction timing (its summary is
   printed on stderr at the end: writer-lock waits, hold times, commits, by first write).
   A/B switches: --no-gate turns storage.db's SQLite writer gate off (SQLite's own
   busy_timeout queue only).
4. Load: --clients (16) concurrent clients each loop: POST /campaigns, PUT, PATCH, POST
   /execute (sends to every subscriber), then a quarter pause and cancel, a quarter cancel,
   the rest keep sending. --warmup (2) s unmeasured, then --seconds (20) s measured.
5. Output: one JSON line on stdout: req/s and p50/p95/p99/max ms overall and per operation,
   errors by status and by operation; host CPU and load average (the machine may be shared).
Target on the 2-core reference machine: p99 <= 100 ms overall, 0 errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.api_list_measure import host_cpu  # noqa: E402
from bench.api_list_seed import pg_admin  # noqa: E402
from bench.api_write_load import drive, summarize  # noqa: E402
from bench.bench_db import Database  # noqa: E402
from bench.bot_latency_setup import Service  # noqa: E402
from bench.send_setup import FIRST_USER_ID, EmulatorProcess, log, seed  # noqa: E402
from emulator.testing import make_token  # noqa: E402

TARGET_P99_MS = 100.0


class WriteDatabase(Database):
    """SQLite in a temp dir, or a private PostgreSQL database (created and dropped)."""

    def __init__(self, url: str | None) -> None:
        super().__init__(url, prefix="bench_api_write")
        self.admin_url: str = url or ""
        if not self.is_sqlite:
            self.schema = None
            self.name = f"bench_api_write_{uuid.uuid4().hex[:8]}"
            self.url = self.admin_url.rsplit("/", 1)[0] + "/" + self.name

    async def create(self) -> None:
        """Create the private database (PostgreSQL), then migrate to head."""
        if not self.is_sqlite:
            await self._admin_on(f'CREATE DATABASE "{self.name}"')
        await super().create()

    async def drop(self) -> None:
        """Remove the temp dir or drop the private database."""
        await super().drop()
        if not self.is_sqlite:
            await self._admin_on(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    async def _admin_on(self, sql: str) -> None:
        await pg_admin(self.admin_url, sql)


class TracedService(Service):
    """The service, through bench/api_write_service.py when --trace asks for timing."""

    def __init__(self, *args: Any, trace: bool, no_gate: bool) -> None:
        super().__init__(*args, experiment=[])
        self.trace = trace or no_gate
        if no_gate:
            self.env["BENCH_NO_GATE"] = "1"

    def entry(self) -> list[str]:
        """`-m webhook_server`, or the tracing wrapper around it."""
        if self.trace:
            return [str(ROOT / "bench" / "api_write_service.py")]
        return ["-m", "webhook_server"]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, load, tear down; the result line."""
    db = WriteDatabase(args.database_url)
    n = args.subscribers
    admin_id = FIRST_USER_ID + n  # the emulator's user after the subscribers
    token = make_token(9100)
    log_path = Path(tempfile.gettempdir()) / f"api_write_{os.getpid()}.log"
    try:
        await db.create()
        await seed(db, n)
        async with (
            EmulatorProcess(n + 1, rate=args.emulator_rate) as emu,
            TracedService(
                db,
                emu.base_url,
                token,
                admin_id,
                args.send_rate,
                log_path,
                trace=args.trace,
                no_gate=args.no_gate,
            ) as service,
        ):
            base, key = service.base_url, service.api_key
            if args.warmup > 0:
                warm, _ = await drive(base, key, args.clients, args.warmup, args.seed + 1)
                log(f"warmup: {sum(map(len, warm.latency.values()))} ok, {len(warm.errors)} bad")
            load0, host0, cpu0 = os.getloadavg()[0], host_cpu(), service.cpu_seconds()
            stats, elapsed = await drive(base, key, args.clients, args.seconds, args.seed)
            host1, cpu1 = host_cpu(), service.cpu_seconds()
            sent = (await emu.bot_stats(token)).get("accepted")
            log_counts = service.log_counts()
    finally:
        await db.drop()
    if stats.samples:
        log("error samples:\n  " + "\n  ".join(stats.samples))
    if args.trace:
        log(trace_summary(log_path))
    result = summarize(stats, elapsed)
    return {
        "bench": "api_write",
        "backend": db.backend,
        "clients": args.clients,
        "variant": {"no_gate": args.no_gate},
        "subscribers": n,
        "duration_s": round(elapsed, 2),
        **result,
        "emulator_accepted_sends": sent,
        "service_log": {**log_counts, "path": str(log_path)},
        "server_cpu_pct": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "host_cpu_busy_pct": round(100 * (host1[0] - host0[0]) / max(1e-9, host1[1] - host0[1]), 1),
        "loadavg_before": round(load0, 2),
        "cores": os.cpu_count(),
        "targets": {
            "p99_ms": TARGET_P99_MS,
            "errors": 0,
            "met": result["p99_ms"] <= TARGET_P99_MS and result["errors"] == 0,
        },
    }


def trace_summary(log_path: Path) -> str:
    """The tracing wrapper's summary lines from the service log."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    lines = [line for line in text.splitlines() if line.startswith("bench-trace")]
    return "\n".join(lines) or "no bench-trace lines in the service log"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=20, help="measured seconds of load (20)")
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured seconds first (2)")
    p.add_argument(
        "--database-url",
        help="sqlite+aiosqlite:///path (default: fresh file in a temp dir) or "
        "postgresql+asyncpg://host/db (a private database beside it is created and dropped)",
    )
    p.add_argument("--subscribers", type=int, default=50, help="audience of every execute (50)")
    p.add_argument("--send-rate", type=float, default=30, help="the service's SEND_RATE (30)")
    p.add_argument("--emulator-rate", type=int, default=30, help="emulator msg/s per token (30)")
    p.add_argument("--trace", action="store_true", help="SQL transaction timing (stderr)")
    p.add_argument(
        "--no-gate",
        action="store_true",
        help="A/B: SQLite without storage.db's writer gate (busy_timeout polling only)",
    )
    p.add_argument("--seed", type=int, default=42, help="RNG seed of the clients' choices")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark; one JSON line on stdout."""
    from core.event_loop import run as run_loop

    args = parse_args(argv)
    print(json.dumps(run_loop(run(args))), flush=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
