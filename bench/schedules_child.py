"""A fresh process running the real SchedulerService for bench/schedules.py.

    schedules_child.py startup --url URL [--schema S]            start(), RSS, stop
    schedules_child.py fire --url URL --count 1000 --mode burst  start(), make `count` schedules
        due `lead` seconds ahead (burst: one instant; spread: evenly over `window` seconds),
        reload their timers, let APScheduler fire them, read lateness from `fired` and the DB.

Progress lines start with "progress "; the result is the last line, one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def say(message: str) -> None:
    """A progress line for the parent (it relays them to its stderr)."""
    print(f"progress {message}", flush=True)


def memory_mb() -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of this process, MB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields["VmRSS"], "peak_rss_mb": fields["VmHWM"]}


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p99 (nearest rank) and max, in seconds."""
    if not values:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return round(ordered[max(0, int(-(-p * len(ordered) // 1)) - 1)], 4)

    return {"p50": rank(0.5), "p99": rank(0.99), "max": round(ordered[-1], 4), "n": len(ordered)}


class SqlTimer:
    """Wall time of every statement (thread hand-offs included), per kind and table."""

    PATTERN = re.compile(r"^\s*(\w+)\s(?:.*?\b(?:INTO|FROM)\s+|\s*)\"?(\w+)", re.S | re.I)

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.totals: dict[str, list[float]] = {}
        self._started: list[float] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, *args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        seconds = time.perf_counter() - self._started.pop()
        match = self.PATTERN.match(statement)
        kind = " ".join(g for g in match.groups() if g).upper() if match else "?"
        entry = self.totals.setdefault(kind, [0, 0.0])
        entry[0] += 1
        entry[1] += seconds

    def report(self) -> dict[str, Any]:
        """{kind: [statements, seconds]}, the slowest kinds first."""
        ordered = sorted(self.totals.items(), key=lambda item: -item[1][1])
        return {kind: [n, round(s, 3)] for kind, (n, s) in ordered}


class Profile:
    """cProfile around the measured phase when a path is given."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.profile = cProfile.Profile() if path else None

    def __enter__(self) -> None:
        if self.profile:
            self.profile.enable()

    def __exit__(self, *exc: object) -> None:
        if self.profile and self.path:
            self.profile.disable()
            self.profile.dump_stats(self.path)


async def start_service(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """Build the engine and core as runtime.build_core does, then time SchedulerService.start."""
    from core.context import CoreContext
    from scheduler.leader import LeaderLock
    from scheduler.service import SchedulerService
    from storage.db import create_engine, create_session_factory

    settings = {"server_settings": {"search_path": args.schema}} if args.schema else None
    engine = create_engine(args.url, connect_args=settings)
    core = CoreContext(session_factory=create_session_factory(engine))
    service = SchedulerService(core, LeaderLock(engine))
    before = memory_mb()["rss_mb"]
    cpu, started = time.process_time(), time.perf_counter()
    with Profile(args.cprofile if args.role == "startup" else None):
        await service.start()
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    after = memory_mb()
    figures = {
        "start_s": round(seconds, 3), "start_cpu_s": round(cpu, 3),
        "rss_before_start_mb": before, "rss_after_start_mb": after["rss_mb"],
        "jobs": len(service.timer.get_jobs()), "leader": service.leader.held,
    }  # fmt: skip
    say(f"start() {seconds:.3f}s cpu {cpu:.3f}s, {figures['jobs']} jobs, RSS {after['rss_mb']} MB")
    return engine, service, figures


async def arm(service: Any, args: argparse.Namespace) -> tuple[dict[int, datetime], float]:
    """Make `count` random waiting schedules due soon in the database, then reload their timers."""
    from sqlalchemy import bindparam, select

    from storage.models_scheduling import Schedule
    from storage.types import UTCDateTime

    table = Schedule.__table__
    async with service.core.uow() as uow:
        ids = list(
            await uow.session.scalars(select(Schedule.id).where(Schedule.status == "active"))
        )
    chosen = random.Random(args.seed).sample(sorted(ids), args.count)
    now = datetime.now(UTC)
    first = (now + timedelta(seconds=args.lead)).replace(microsecond=0)
    step = args.window / args.count if args.mode == "spread" else 0.0
    planned = {sid: first + timedelta(seconds=round(i * step, 3)) for i, sid in enumerate(chosen)}
    started = time.perf_counter()
    async with service.core.uow() as uow:
        await uow.session.execute(
            table.update().where(table.c.id == bindparam("b_id")).values(
                next_run_at=bindparam("b_due", type_=UTCDateTime()),
                updated_at=bindparam("b_now", type_=UTCDateTime())),
            [{"b_id": sid, "b_due": due, "b_now": now} for sid, due in planned.items()],
        )  # fmt: skip
    for sid in chosen:  # what the API's schedule.changed event does for each change
        await service.reload(sid)
    arm_s = time.perf_counter() - started
    ahead = (first - datetime.now(UTC)).total_seconds()
    say(f"armed {len(planned)} schedules in {arm_s:.2f}s; the first is due in {ahead:.2f}s")
    if datetime.now(UTC) >= first:
        say("WARNING: arming took longer than --lead; lateness includes the arming")
    return planned, arm_s


async def wait_fired(service: Any, planned: dict[int, datetime], deadline: float) -> int:
    """Wait until every planned (key, due) is in service.fired; returns how many are."""
    wanted = {(f"schedule:{sid}", due) for sid, due in planned.items()}
    seen = 0
    while time.monotonic() < deadline:
        seen = len(wanted.intersection((key, due) for key, due, _ in service.fired))
        if seen >= len(wanted):
            break
        await asyncio.sleep(0.05)
    return seen


async def database_view(service: Any, planned: dict[int, datetime], since: datetime) -> dict:
    """Runs and executions of the planned firings as the database recorded them."""
    from sqlalchemy import func, select

    from storage.models import Execution
    from storage.models_scheduling import ScheduleRun

    ids = sorted(planned)
    async with service.core.uow() as uow:
        rows = (await uow.session.execute(
            select(ScheduleRun.schedule_id, ScheduleRun.scheduled_for, ScheduleRun.status,
                   Execution.id, Execution.started_at, Execution.total)
            .outerjoin(Execution, Execution.id == ScheduleRun.execution_id)
            .where(ScheduleRun.schedule_id.in_(ids), ScheduleRun.test.is_(False))
        )).all()  # fmt: skip
        per_schedule = dict((await uow.session.execute(
            select(Execution.schedule_id, func.count())
            .where(Execution.schedule_id.in_(ids), Execution.created_at >= since)
            .group_by(Execution.schedule_id)
        )).all())  # fmt: skip
    mine = [row for row in rows if row[1] == planned[row[0]]]
    statuses: dict[str, int] = {}
    for row in mine:
        statuses[row[2]] = statuses.get(row[2], 0) + 1
    with_execution = [row for row in mine if row[3] is not None]
    return {
        "runs_recorded": len(mine),
        "run_statuses": statuses,
        "executions_for_due": len({row[3] for row in with_execution}),
        "executions_created": sum(per_schedule.values()),
        "schedules_with_2plus_executions": sum(1 for n in per_schedule.values() if n > 1),
        "deliveries": sum(row[5] or 0 for row in with_execution),
        "db_lateness_s": percentiles([(row[4] - row[1]).total_seconds() for row in with_execution]),
    }


async def fire(args: argparse.Namespace) -> dict[str, Any]:
    """Start, arm `count` schedules, let the real timers fire them, measure."""
    engine, service, figures = await start_service(args)
    try:
        since = datetime.now(UTC)
        planned, figures["arm_s"] = await arm(service, args)
        sql = SqlTimer(engine)
        cpu = time.process_time()
        last_due = max(planned.values())
        deadline = time.monotonic() + (last_due - datetime.now(UTC)).total_seconds() + args.timeout
        with Profile(args.cprofile):
            await wait_fired(service, planned, deadline)
        figures["fire_cpu_s"] = round(time.process_time() - cpu, 3)
        wanted = {f"schedule:{sid}": due for sid, due in planned.items()}
        first_fired: dict[str, datetime] = {}
        for key, due, at in service.fired:  # a timer rung twice: the second finds nothing due
            if wanted.get(key) == due:
                first_fired.setdefault(key, at)
        lateness = [(at - wanted[key]).total_seconds() for key, at in first_fired.items()]
        repeats = sum(1 for key, due, _ in service.fired if wanted.get(key) == due) - len(lateness)
        figures.update(due=len(planned), fired=len(lateness), fired_again=repeats)
        figures["fired_lateness_s"] = percentiles(lateness)
        figures["sql_during_fire"] = sql.report()
        figures.update(memory_mb())
        figures.update(await database_view(service, planned, since))
        say(f"fired {len(lateness)}/{len(planned)}: {figures['fired_lateness_s']}")
        return figures
    finally:
        await service.stop()
        await engine.dispose()


async def startup(args: argparse.Namespace) -> dict[str, Any]:
    """Only start() (leadership + rebuild of every timer), then stop."""
    engine, service, figures = await start_service(args)
    await service.stop()
    await engine.dispose()
    return figures


def main() -> None:
    """Parse arguments, configure logging like the service, run one role."""
    from core.logging import configure_logging

    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=("startup", "fire"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--schema")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--mode", choices=("burst", "spread"), default="burst")
    parser.add_argument("--lead", type=float, default=8.0)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=180.0)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--cprofile")
    args = parser.parse_args()
    configure_logging(args.log_level, ())  # what webhook_server does (stderr: a log file)
    logging.getLogger("bench").info("schedules child %s", args.role)
    result = asyncio.run(fire(args) if args.role == "fire" else startup(args))
    print(json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
