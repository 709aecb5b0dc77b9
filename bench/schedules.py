"""Benchmark of the scheduler: start-up with 10,000 recurring schedules, and firing lateness.

Usage (from the repository root):

    .venv/bin/python bench/schedules.py                      # SQLite (temp file) + PostgreSQL
    .venv/bin/python bench/schedules.py --pg-url none --repeat 5
    .venv/bin/python bench/schedules.py --scenarios startup,burst --cprofile /tmp/sched

What happens, per backend (SQLite in a temp dir; PostgreSQL at --pg-url when it answers, in
a private schema that is dropped afterwards):

1. Seed, set-based: --subscribers active subscribers, --segments static segments (members:
   subscriber id modulo the segment count), one campaign per schedule targeting one or two
   segments (some narrowed by a languageCode filter), and --schedules active recurring
   schedules (daily / weekly / monthly / custom minutes-hours-days, 16 IANA zones, some with
   maxOccurrences, endDate or their own segment targetAudience). Every block passes the API's
   parse_schedule and next_run_at is its first_run; the first run lies two days ahead, so
   nothing fires by itself. A sample of audiences is resolved through the core (sizes shown).
2. startup: a fresh process (bench/schedules_child.py) builds the engine and core as the
   service does and times SchedulerService.start() (leadership + rebuild of every timer);
   RSS after start. Target: <= 3 s.
3. burst / spread: a fresh process starts the service, sets next_run_at of --due random
   schedules to --lead seconds ahead (burst: all at the same instant; spread: evenly over
   --window seconds), reloads their timers (as the schedule.changed event does) and lets the
   real APScheduler timers fire them. Lateness = fired_at - due from SchedulerService.fired,
   and executions.started_at - schedule_runs.scheduled_for from the database: p50/p99/max
   (target p99 <= 1 s). Also: runs recorded and executions created for the due times (must
   equal --due, none twice: `each_once`), deliveries snapshotted, RSS, fire_cpu_s (CPU of the
   child, all threads, from the end of arming until the last one fired) and sql_during_fire
   ({"INSERT DELIVERIES": [statements, seconds], ...}: wall time around each statement, the
   driver's thread hand-offs included) per run.

The children log like the service (core.logging at --log-level, INFO by default) into a file.
Every scenario runs --repeat times (spread: --spread-repeat) in fresh processes; figures are
medians, `runs` lists each run (the machine is shared: spread matters). --cprofile DIR writes
pstats of each child's measured phase there. Output: one JSON line per scenario and backend.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.schedules_setup import Database, log, seed  # noqa: E402

PG_TEST_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TARGET_START_S = 3.0
TARGET_P99_S = 1.0


def run_child(db: Database, role: str, logs: Path, *extra: str) -> dict[str, Any]:
    """Run bench/schedules_child.py in a fresh process; relay progress, return its JSON."""
    command = [sys.executable, str(ROOT / "bench" / "schedules_child.py"), role, "--url", db.url]
    if db.schema:
        command += ["--schema", db.schema]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with logs.open("w") as stderr:
        process = subprocess.Popen(
            [*command, *extra], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        assert process.stdout is not None
        result: dict[str, Any] = {}
        for line in process.stdout:
            if line.startswith("progress "):
                log(f"  [{role}] {line[9:].rstrip()}")
            elif line.startswith("{"):
                result = json.loads(line)
        code = process.wait()
    if code != 0 or not result:
        tail = logs.read_text().splitlines()[-15:]
        raise SystemExit(f"{role} child failed ({code}):\n" + "\n".join(tail))
    result["log_lines"] = sum(1 for _ in logs.open())
    result["loadavg_1m"] = round(os.getloadavg()[0], 2)
    return result


def median(runs: list[dict[str, Any]], *path: str) -> float | None:
    """The median of a (nested) figure over runs."""
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(value)
    return round(statistics.median(values), 4) if values else None


def startup_line(base: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON line of scenario (a)."""
    starts = [run["start_s"] for run in runs]
    return {
        **base, "scenario": "startup", "start_s": median(runs, "start_s"),
        "start_s_min": min(starts), "start_s_max": max(starts),
        "start_cpu_s": median(runs, "start_cpu_s"),
        "rss_after_start_mb": median(runs, "rss_after_start_mb"),
        "rss_before_start_mb": median(runs, "rss_before_start_mb"),
        "jobs": runs[0]["jobs"], "runs": runs,
        "targets": {"start_s": TARGET_START_S, "met": statistics.median(starts) <= TARGET_START_S},
    }  # fmt: skip


def fire_line(base: dict[str, Any], mode: str, due: int, runs: list[dict[str, Any]]) -> dict:
    """The JSON line of scenario (b), burst or spread."""
    exact = all(
        run["fired"] == due
        and run["runs_recorded"] == due
        and run["executions_for_due"] == due
        and run["fired_lateness_s"]["n"] == due
        for run in runs
    )
    p99 = median(runs, "fired_lateness_s", "p99")
    slim = [{k: v for k, v in run.items() if k not in ("rss_before_start_mb",)} for run in runs]
    return {
        **base, "scenario": f"fire_{mode}", "due": due,
        "fired_p50_s": median(runs, "fired_lateness_s", "p50"), "fired_p99_s": p99,
        "fired_max_s": max(run["fired_lateness_s"]["max"] or 0 for run in runs),
        "db_p50_s": median(runs, "db_lateness_s", "p50"),
        "db_p99_s": median(runs, "db_lateness_s", "p99"),
        "db_max_s": max(run["db_lateness_s"]["max"] or 0 for run in runs),
        "executions_for_due": [run["executions_for_due"] for run in runs],
        "executions_created": [run["executions_created"] for run in runs],
        "each_once": exact, "rss_after_fire_mb": median(runs, "rss_mb"),
        "peak_rss_mb": median(runs, "peak_rss_mb"), "fire_cpu_s": median(runs, "fire_cpu_s"),
        "start_s": median(runs, "start_s"), "runs": slim,
        "targets": {"p99_s": TARGET_P99_S, "met": bool(exact and p99 is not None
                                                         and p99 <= TARGET_P99_S)},
    }  # fmt: skip


async def prepare(db: Database, args: argparse.Namespace) -> dict[str, Any]:
    """Create, migrate and seed the database."""
    await db.create()
    seeded = await seed(db, args.schedules, args.subscribers, args.segments, args.seed)
    log(f"{db.backend}: seeded {args.schedules} schedules in {seeded['seed_s']}s, "
        f"audience sizes {seeded['audience_sample']}")  # fmt: skip
    return seeded


def bench_backend(url: str | None, args: argparse.Namespace, scenarios: list[str]) -> None:
    """Every scenario on one database; prints the JSON lines."""
    db = Database(url)
    logs = Path(tempfile.mkdtemp(prefix="bench_sched_logs_"))
    try:
        seeded = asyncio.run(prepare(db, args))
        base = {
            "bench": "schedules", "backend": db.backend, "schedules": args.schedules,
            "seed_s": seeded["seed_s"], "audience_sample": seeded["audience_sample"],
            "log_level": args.log_level,
        }  # fmt: skip
        common = ["--log-level", args.log_level]

        def profile(name: str) -> list[str]:
            if not args.cprofile:
                return []
            Path(args.cprofile).mkdir(parents=True, exist_ok=True)
            return ["--cprofile", str(Path(args.cprofile) / f"{db.backend}_{name}.pstats")]

        if "startup" in scenarios:
            runs = [
                run_child(db, "startup", logs / f"startup{i}.log", *common, *profile("startup"))
                for i in range(args.repeat)
            ]
            print(json.dumps(startup_line(base, runs)), flush=True)
        for mode in ("burst", "spread"):
            if mode not in scenarios:
                continue
            repeat = args.repeat if mode == "burst" else args.spread_repeat
            runs = []
            for i in range(repeat):
                extra = ["--count", str(args.due), "--mode", mode, "--lead", str(args.lead),
                         "--window", str(args.window), "--seed", f"{i}{len(mode)}"]  # fmt: skip
                log_file = logs / f"{mode}{i}.log"
                runs.append(run_child(db, "fire", log_file, *common, *extra, *profile(mode)))
            print(json.dumps(fire_line(base, mode, args.due, runs)), flush=True)
    finally:
        if args.keep_db:
            log(f"kept {db.url} {db.schema or ''}; child logs in {logs}")
        else:
            asyncio.run(db.drop())
            shutil.rmtree(logs, ignore_errors=True)


def pg_reachable(url: str) -> str | None:
    """None if PostgreSQL answers at `url`, else why not."""
    from tests.infra import postgres_problem

    return asyncio.run(postgres_problem(url))


def main() -> None:
    """Parse arguments and run every scenario on SQLite and, if reachable, PostgreSQL."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", default=PG_TEST_URL, help="'none' skips PostgreSQL")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--scenarios", default="startup,burst,spread")
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--subscribers", type=int, default=5_000)
    parser.add_argument("--segments", type=int, default=500)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--lead", type=float, default=8.0)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spread-repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--cprofile", help="a directory for pstats of the measured phases")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    scenarios = args.scenarios.split(",")
    if not args.no_sqlite:
        bench_backend(None, args, scenarios)
    if args.pg_url != "none":
        problem = pg_reachable(args.pg_url)
        if problem:
            log(f"PostgreSQL skipped: {problem}")
        else:
            bench_backend(args.pg_url, args, scenarios)


if __name__ == "__main__":
    main()
