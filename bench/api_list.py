"""Benchmark of GET /api/v1/campaigns: the real service under concurrent HTTP load.

Usage (from the repository root):

    .venv/bin/python bench/api_list.py                      # SQLite file in a temp dir, 100k rows
    .venv/bin/python bench/api_list.py \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/api_list.py --campaigns 20000 --duration 10 --concurrency 32
    .venv/bin/python bench/api_list.py --loop asyncio        # stock asyncio server loop
    .venv/bin/python bench/api_list.py --kinds search,sort_name --py-spy /tmp/search.txt
    .venv/bin/python bench/api_list.py --breakdown 30 --duration 0   # in-process cost split only
    .venv/bin/python bench/api_list.py --workers 1,2         # 1, then 2 server processes

What happens:

1. Database. Without --database-url a fresh SQLite file is created in a temp dir (deleted
   afterwards). A postgresql+asyncpg URL gets a fresh private schema (search_path set through
   asyncpg server_settings, like the test-suite does) that is dropped afterwards.
2. Schema and key: storage.migrate.upgrade_to_head, then core.auth.default_tenant + mint_key.
3. Seed: --campaigns rows for that one tenant with Core executemany INSERTs in chunks; varied
   names/descriptions/types/statuses/JSON content, created_at spread over the last year (ids
   grow with created_at, as in real life). PostgreSQL then gets VACUUM ANALYZE (what autovacuum
   would do shortly after such a load); SQLite is left un-ANALYZEd, as the service never runs
   ANALYZE (override with --analyze on|off).
4. Optional --breakdown N: runs each request kind N times in-process through the route's
   stages and prints (stderr) where the time goes: query parsing, the repository (its SQL
   through the service's driver connection, row conversion, the rest) vs the same compiled
   SQL on a plain driver connection, campaign_json rendering, orjson; plus query plans and
   auth cost (bench/api_list_breakdown.py lists the stages).
5. Server: a separate process (bench/api_list_server.py) runs api.app.create_api_app on
   an aiohttp AppRunner bound to 127.0.0.1 on a free port, exactly as webhook_server.serve does,
   on the service's event loop (core.event_loop: uvloop when installed) unless --loop forces one.
6. Load: an aiohttp client (uvloop when installed) with --concurrency workers sends a weighted
   mix of list requests with `Authorization: Bearer <key>` for --warmup seconds (responses
   fully parsed and validated; not measured) and then for --duration seconds (measured; a
   response counts as ok only if it is HTTP 200 with a body starting `{"success":true`).
7. Clean shutdown: SIGTERM to the server (it also dies with its parent), schema dropped /
   temp dir removed.

Kinds in the mix (weight): first (20) page 1 default sort; page_n (8) pages 2-50; status (12)
status=<random>; type (10) type=<random>; search (10) search=<word found in some names>;
sort_created (6) sort=-createdAt pages 1-5; sort_name (8) sort=name; sort_updated (8)
sort=-updatedAt; deep_p<M> (4) and deep_p<L> (4): page 40% in and the last-but-one page
(page=2000 and page=4999 for 100k rows), limit=20.  --kinds a,b restricts the mix.

Iterating and shared machines:
  --keep-db            keep the SQLite file / PG schema (path/name printed on stderr);
  --reuse              with --database-url sqlite+aiosqlite:///kept.db: skip seeding;
  --pg-schema NAME     run against an existing (kept) PG schema, never dropped; implies --reuse;
  --quiet-wait S       wait up to S seconds for an idle host before the warmup (other jobs on
                       the box skew results; host_cpu_busy_pct/loadavg_before are reported).

Output: exactly one JSON line on stdout per --workers count, e.g.
  {"bench": "api_list", "backend": "sqlite", "campaigns": 100000, "concurrency": 16,
   "requests": ..., "errors": ..., "req_per_s": ..., "p50_ms": ..., "p90_ms": ..., "p99_ms": ...,
   "max_ms": ..., "by_kind": {"first": {"p50_ms": ..., "p99_ms": ..., "n": ...}, ...},
   "seed_s": ..., "loop": "asyncio", "server_cpu_pct": ..., "server_cpu_ms_per_req": ...,
   "client_cpu_pct": ..., "host_cpu_busy_pct": ..., "targets": {..., "met": false}}
server_cpu_pct is the server process (all threads; 100 = one core) during the measured phase.
Everything else (progress, breakdown tables, error samples) goes to stderr.

Profiling the server:
  --py-spy PATH        run `py-spy record` on the server process during the measured phase
                       (.txt -> collapsed stacks, .svg -> flame graph, .json -> speedscope);
                       install with `.venv/bin/pip install py-spy`.
  --server-cprofile PATH  cProfile the server's event-loop thread during the measured phase and
                       dump pstats to PATH (python -m pstats PATH).
Targets on the 2-core reference machine: p99 <= 25 ms and >= 1000 req/s ("targets" in output).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.api_list_breakdown import breakdown  # noqa: E402
from bench.api_list_measure import measure  # noqa: E402
from bench.api_list_seed import backend_of, log, pg_admin, prepare  # noqa: E402
from bench.api_list_server import Server  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--campaigns", type=int, default=100_000, help="rows to seed (100000)")
    p.add_argument("--duration", type=float, default=20, help="measured seconds of load (20)")
    p.add_argument("--concurrency", type=int, default=16, help="concurrent client requests (16)")
    p.add_argument("--warmup", type=float, default=3, help="unmeasured seconds of load first (3)")
    p.add_argument(
        "--database-url",
        help="sqlite+aiosqlite:///path (default: fresh file in a temp dir) or "
        "postgresql+asyncpg://... (a private schema is created and dropped)",
    )
    p.add_argument(
        "--loop",
        choices=("service", "asyncio", "uvloop"),
        default="service",
        help="server event loop: the service's own (core.event_loop: uvloop when installed; "
        "default), or force asyncio / uvloop",
    )
    p.add_argument("--kinds", help="comma-separated subset of request kinds")
    p.add_argument(
        "--analyze",
        choices=("auto", "on", "off"),
        default="auto",
        help="ANALYZE after seeding (auto: PostgreSQL only)",
    )
    p.add_argument(
        "--breakdown",
        type=int,
        default=0,
        metavar="N",
        help="in-process per-stage timing, N runs per kind (stderr)",
    )
    p.add_argument("--py-spy", metavar="PATH", help="py-spy record the server while measuring")
    p.add_argument("--py-spy-rate", type=int, default=250)
    p.add_argument("--py-spy-idle", action="store_true", help="include idle thread samples")
    p.add_argument("--py-spy-gil", action="store_true", help="only sample the GIL holder")
    p.add_argument("--server-cprofile", metavar="PATH", help="cProfile the server while measuring")
    p.add_argument(
        "--quiet-wait",
        type=float,
        default=0,
        metavar="S",
        help="shared machine: wait up to S seconds for an idle host before measuring",
    )
    p.add_argument("--seed", type=int, default=42, help="RNG seed of data and request mix")
    p.add_argument("--chunk", type=int, default=5000, help="rows per INSERT executemany")
    p.add_argument("--keep-db", action="store_true", help="keep the SQLite file / PG schema")
    p.add_argument(
        "--reuse",
        action="store_true",
        help="skip seeding: the database already holds --campaigns rows (kept earlier)",
    )
    p.add_argument("--pg-schema", help="use this existing PostgreSQL schema (kept; implies reuse)")
    p.add_argument(
        "--workers",
        default="1",
        help="server process counts to measure one after the other, e.g. 1,2 (one JSON line "
        "each): N processes share the port with SO_REUSEPORT, as HTTP_WORKERS=N does",
    )
    return p.parse_args(argv)


def _interrupt(signum: int, frame: Any) -> None:
    """SIGTERM to the bench behaves like Ctrl-C, so the finally-blocks clean up."""
    raise KeyboardInterrupt


@contextlib.contextmanager
def database(args: argparse.Namespace) -> Iterator[tuple[str, str | None]]:
    """(URL, PG schema) of the bench database; dropped / deleted afterwards unless kept."""
    tmpdir = schema = None
    url = args.database_url
    if not url:
        tmpdir = tempfile.mkdtemp(prefix="bench_api_list_")
        url = f"sqlite+aiosqlite:///{tmpdir}/bench.db"
    backend = backend_of(url)
    keep = args.keep_db
    if backend == "postgresql" and args.pg_schema:
        schema, keep = args.pg_schema, True  # an existing schema is never dropped
    elif backend == "postgresql":
        schema = f"bench_api_list_{uuid.uuid4().hex[:10]}"
        asyncio.run(pg_admin(url, f'CREATE SCHEMA "{schema}"'))
    try:
        log(f"backend {backend}: {url}" + (f" schema {schema}" if schema else ""))
        yield url, schema
    finally:
        if keep:
            log(f"kept database: {url}" + (f" schema {schema}" if schema else ""))
        else:
            if schema:
                asyncio.run(pg_admin(url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            if tmpdir:
                shutil.rmtree(tmpdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Prepare the database, then measure each --workers count: one JSON line each."""
    args = parse_args(argv)
    if args.pg_schema:
        args.reuse = True
    signal.signal(signal.SIGTERM, _interrupt)
    with database(args) as (url, schema):
        inspect = functools.partial(breakdown, args, url, schema) if args.breakdown else None
        prepared = asyncio.run(prepare(args, url, schema, inspect))
        if args.duration <= 0:
            return
        for workers in [int(n) for n in args.workers.split(",")]:
            server = Server(args, url, schema, workers)
            try:
                result = measure(args, backend_of(url), prepared, server, workers)
            finally:
                server.stop()
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
