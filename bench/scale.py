"""Scale-out benchmark: N `python -m webhook_server` processes on one bot token.

Usage (from the repository root; needs PostgreSQL and Redis, as the scale tests):

    .venv/bin/python bench/scale.py                                # both scenarios, 1 and 3
    .venv/bin/python bench/scale.py --scenario free --processes 3 --recipients-free 600
    .venv/bin/python bench/scale.py --service-root /tmp/tgc_head   # another tree's service

Scenarios (one JSON line per scenario and process count on stdout; progress on stderr):

free  --recipients-free (3,000) subscribers, emulator limit 30 msg/s per bot, SEND_RATE 30.
paid  --recipients-paid (20,000), campaign allowPaidBroadcast, emulator paid limit 1000/s.

Each run is a fresh cluster (tests/scale/cluster.py): emulator process, private PostgreSQL
schema, Redis, N service processes; subscribers imported through the REST API, the campaign
created and executed through process 0's REST API. Figures from the emulator's record of the
bot: msg/s (mean over first..last accepted send) and the busiest 1-second window, 429
answers, duplicates (messages beyond the first per recipient), completion (execute request ->
execution settled, through the API). A run that does not settle within --run-timeout prints
what the emulator had by then, with "timed_out": true.
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
sys.path.insert(0, str(ROOT))

from tests.scale.cluster import Cluster, ClusterConfig  # noqa: E402
from tests.scale.measure import summarise  # noqa: E402
from tests.scale.scenario import (  # noqa: E402
    create_campaign,
    execute,
    progress,
    seed_subscribers,
    wait_settled,
)

SCENARIOS = {"free": (30, False), "paid": (1000, True)}  # emulator limit, paid broadcast


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the JSON lines."""
    print(message, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace, scenario: str, processes: int) -> dict[str, Any]:
    """One fresh cluster, one campaign to every subscriber; its figures."""
    rate, paid = SCENARIOS[scenario]
    recipients = args.recipients_free if scenario == "free" else args.recipients_paid
    config = ClusterConfig(
        processes=processes,
        users=recipients,
        send_rate=args.send_rate,
        service_root=Path(args.service_root),
    )
    began = time.monotonic()
    async with Cluster(config) as cluster:
        startup_s = time.monotonic() - began
        log(f"{scenario} x{processes}: up in {startup_s:.1f} s, logs {cluster.log_dir}")
        seeded = time.monotonic()
        await seed_subscribers(cluster, recipients)
        seed_s = time.monotonic() - seeded
        campaign_id, marker = await create_campaign(cluster, paid=paid)
        rate_limited_before = int((await cluster.bot_stats()).get("rate_limited", 0))
        load_before = round(os.getloadavg()[0], 2)
        started = time.monotonic()
        await execute(cluster, campaign_id)
        timed_out = False
        try:
            final = await wait_settled(cluster, campaign_id, within=args.run_timeout)
        except TimeoutError:
            timed_out, final = True, await progress(cluster, campaign_id)
        elapsed = time.monotonic() - started
        record = await cluster.record(marker, since=started)
    summary = summarise(
        record,
        processes=processes,
        recipients=recipients,
        paid=paid,
        rate_limited_before=rate_limited_before,
        completion_s=elapsed,
        status=str(final["status"]),
    )
    return {
        "scenario": scenario,
        "emulator_limit": rate,
        **summary.as_dict(),
        "timed_out": timed_out,
        "unknown": final["progress"]["unknown"],
        "startup_s": round(startup_s, 1),
        "seed_s": round(seed_s, 2),
        "load_before": load_before,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="free,paid", help="comma-separated: free, paid")
    p.add_argument("--processes", default="1,3", help="comma-separated process counts")
    p.add_argument("--recipients-free", type=int, default=3000)
    p.add_argument("--recipients-paid", type=int, default=20_000)
    p.add_argument("--send-rate", type=float, default=30.0, help="SEND_RATE of every process")
    p.add_argument("--run-timeout", type=float, default=300.0, help="seconds per campaign")
    p.add_argument("--service-root", default=str(ROOT), help="tree whose service code runs")
    return p.parse_args(argv)


async def main(argv: list[str] | None = None) -> None:
    """Every chosen scenario for every chosen process count, cheap ones first."""
    args = parse_args(argv)
    scenarios = [s.strip() for s in args.scenario.split(",") if s.strip()]
    if unknown := set(scenarios) - set(SCENARIOS):
        raise SystemExit(f"unknown scenarios {sorted(unknown)}")
    counts = [int(n) for n in args.processes.split(",") if n.strip()]
    for scenario in sorted(scenarios, key=lambda s: s != "paid"):
        for processes in counts:
            print(json.dumps(await run(args, scenario, processes)), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
