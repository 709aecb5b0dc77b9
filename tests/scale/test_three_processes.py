"""Three `python -m webhook_server` processes on one bot token, PostgreSQL and Redis.

They share one cluster (tests/scale/conftest.py) and run in file order; the crash test is last
because it kills a process. Figures are in each assertion message, so a failing run still
records the baseline.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from core.delivery.engine import EngineSettings
from tests.scale.cluster import Cluster, ClusterConfig
from tests.scale.conftest import RECIPIENTS, WORKER_TIMEOUT
from tests.scale.scenario import (
    broadcast,
    cancel,
    counts,
    create_campaign,
    execute,
    executions,
    ledger,
    schedule,
    wait_accepted,
    wait_executions,
    wait_settled,
)

pytestmark = [pytest.mark.scale, pytest.mark.asyncio(loop_scope="module")]

SEND_RATE = ClusterConfig.send_rate  # of every process of the shared cluster
MIN_AGGREGATE_RATE = 27.0  # msg/s over the whole run, of the emulator's limit of 30
SCHEDULE_LEAD = timedelta(seconds=3)
MAX_LATENESS = timedelta(seconds=2)  # reach the leader within 1 s, plus timer and start-up
SCHEDULED_AUDIENCE = 20
CRASH_AUDIENCE = 300
CLAIM_BATCH = max(5, min(EngineSettings.max_claim, int(SEND_RATE * EngineSettings.claim_seconds)))


async def test_three_senders_share_one_rate_without_429s_or_duplicates(cluster: Cluster) -> None:
    _, summary = await broadcast(cluster, RECIPIENTS, paid=False, within=120)
    figures = json.dumps(summary.as_dict())
    print(figures)
    assert summary.status == "completed", figures
    assert summary.received == RECIPIENTS, figures
    assert summary.duplicates == 0, figures
    assert summary.rate_limited == 0, figures
    assert summary.msg_per_s >= MIN_AGGREGATE_RATE, figures


async def test_a_campaign_scheduled_through_a_standby_fires_once_on_time(cluster: Cluster) -> None:
    leaders = await cluster.leaders()
    assert len(leaders) == 1, f"processes holding the scheduler lock: {leaders}"
    standby = min(set(range(len(cluster.services))) - leaders)
    members = cluster.subscribers[:SCHEDULED_AUDIENCE]
    campaign_id, marker = await create_campaign(cluster, members=members, via=standby)
    at = (datetime.now(UTC) + SCHEDULE_LEAD).replace(microsecond=0) + timedelta(seconds=1)
    await schedule(cluster, campaign_id, at, via=standby)
    wait = (at - datetime.now(UTC)).total_seconds() + 10
    try:
        fired = await wait_executions(cluster, campaign_id, within=wait)
    except TimeoutError:
        await cancel(cluster, campaign_id, via=standby)  # do not fire into the next test
        raise
    lateness = fired[0]["started_at"] - at
    print(
        json.dumps(
            {"standby": standby, "due": at.isoformat(), "lateness_s": lateness.total_seconds()}
        )
    )
    assert timedelta(0) <= lateness <= MAX_LATENESS, f"due {at}, executions {fired}"
    settled = await wait_settled(cluster, campaign_id, within=30)
    record = await cluster.record(marker)
    assert settled["status"] == "completed", settled
    assert len(await executions(cluster, campaign_id)) == 1, "fired more than once"
    assert record.chats == dict.fromkeys(record.chats, 1), f"delivered twice: {record.twice}"
    assert len(record.chats) == SCHEDULED_AUDIENCE, settled


async def test_a_sender_killed_mid_send_loses_at_most_one_claim_batch(cluster: Cluster) -> None:
    # A sender that neither leads nor serves this test's requests (the sender is the point).
    leaders = await cluster.leaders()
    victim = max(set(range(1, len(cluster.services))) - leaders, default=2)
    members = cluster.subscribers[:CRASH_AUDIENCE]
    campaign_id, marker = await create_campaign(cluster, members=members)
    started = time.monotonic()
    before = await cluster.bot_stats()
    await execute(cluster, campaign_id)
    await wait_accepted(cluster, before["accepted"] + CRASH_AUDIENCE // 3, within=60)
    cluster.kill(victim)
    within = CRASH_AUDIENCE / SEND_RATE + 3 * WORKER_TIMEOUT
    final = await wait_settled(cluster, campaign_id, within=within)
    rows = await ledger(cluster, campaign_id)
    record = await cluster.record(marker, since=started)
    figures = json.dumps(
        {
            "status": final["status"],
            "rows": dict(counts(rows)),
            "claim_batch": CLAIM_BATCH,
            "killed": victim,
            "delivered": len(record.delivered),
            "delivered_twice": len(record.twice),
            "rate_limited": record.rate_limited - before["rate_limited"],
        }
    )
    print(figures)
    assert final["status"] == "completed", figures
    assert not record.twice, f"{figures} twice: {record.twice}"
    assert not rows.keys() - {"sent", "unknown", "failed"}, figures
    assert sum(len(chats) for chats in rows.values()) == CRASH_AUDIENCE, figures
    assert len(rows.get("unknown", ())) <= CLAIM_BATCH, figures
    assert rows.get("sent", set()) <= record.delivered, "a row marked sent never arrived"
    assert record.delivered - rows.get("sent", set()) <= rows.get("unknown", set()), figures
