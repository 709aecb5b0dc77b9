"""Steps of a scale scenario over the REST API of a Cluster, and reads of its ledger."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import text

from tests.scale.cluster import Cluster
from tests.scale.measure import Summary, summarise

FIRST_USER_ID = 100_000_001  # the emulator's first user
IMPORT_BATCH = 10_000  # the bulk import's limit per request
SETTLED = ("completed", "failed", "cancelled")


def campaign_number(campaign_id: str) -> int:
    """`camp_12` -> 12."""
    return int(campaign_id.rsplit("_", 1)[1])


async def seed_subscribers(cluster: Cluster, count: int, via: int = 0) -> list[str]:
    """Import emulator users 100000001.. as subscribers (REST bulk import); their `sub_` ids."""
    ids: list[str] = []
    for start in range(0, count, IMPORT_BATCH):
        people = [
            {"telegramId": FIRST_USER_ID + i, "firstName": f"User{i}", "source": "scale"}
            for i in range(start, min(count, start + IMPORT_BATCH))
        ]
        done = await cluster.call(via, "POST", "/api/v1/subscribers", {"subscribers": people})
        ids += done["ids"]
    return ids


async def create_campaign(
    cluster: Cluster, *, paid: bool = False, members: list[str] | None = None, via: int = 0
) -> tuple[str, str]:
    """A draft to every active subscriber, or to a static segment of `members`.

    Returns (campaign id, marker in its text).
    """
    marker = f"scale-{secrets.token_hex(4)}"
    body: dict[str, Any] = {
        "name": f"Scale {marker}",
        "messages": [{"content": f"Hello {{first_name}}! {marker}"}],
        "allowPaidBroadcast": paid,
    }
    if members is not None:
        segment = {"name": f"Segment {marker}", "members": members}
        created = await cluster.call(via, "POST", "/api/v1/segments", segment)
        body["targetAudience"] = {"segments": [created["id"]]}
    campaign = await cluster.call(via, "POST", "/api/v1/campaigns", body)
    return str(campaign["id"]), marker


async def execute(cluster: Cluster, campaign_id: str, via: int = 0) -> dict[str, Any]:
    """POST …/execute now."""
    return dict(await cluster.call(via, "POST", f"/api/v1/campaigns/{campaign_id}/execute"))


async def schedule(cluster: Cluster, campaign_id: str, at: datetime, via: int) -> dict[str, Any]:
    """POST …/schedule for `at`."""
    body = {"scheduledAt": at.isoformat()}
    return dict(await cluster.call(via, "POST", f"/api/v1/campaigns/{campaign_id}/schedule", body))


async def progress(cluster: Cluster, campaign_id: str, via: int = 0) -> dict[str, Any]:
    """GET …/progress."""
    return dict(await cluster.call(via, "GET", f"/api/v1/campaigns/{campaign_id}/progress"))


async def wait_settled(
    cluster: Cluster, campaign_id: str, within: float, via: int = 0
) -> dict[str, Any]:
    """Poll progress until the execution is completed, failed or cancelled."""
    deadline = time.monotonic() + within
    while True:
        current = await progress(cluster, campaign_id, via)
        if current["status"] in SETTLED:
            return current
        if time.monotonic() > deadline:
            raise TimeoutError(f"{campaign_id} not settled within {within} s: {current}")
        await asyncio.sleep(0.25)


async def wait_accepted(cluster: Cluster, count: int, within: float) -> int:
    """Poll the emulator until it accepted `count` sends of the cluster's bot."""
    deadline = time.monotonic() + within
    while (seen := await cluster.accepted()) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {seen} of {count} sends within {within} s")
        await asyncio.sleep(0.05)
    return seen


async def broadcast(
    cluster: Cluster, recipients: int, *, paid: bool, within: float, via: int = 0
) -> tuple[str, Summary]:
    """Create and execute a campaign to every seeded subscriber; figures once it settled."""
    campaign_id, marker = await create_campaign(cluster, paid=paid, via=via)
    before = int((await cluster.bot_stats()).get("rate_limited", 0))
    started = time.monotonic()
    await execute(cluster, campaign_id, via)
    final = await wait_settled(cluster, campaign_id, within, via)
    elapsed = time.monotonic() - started
    record = await cluster.record(marker, since=started)
    summary = summarise(
        record,
        processes=cluster.config.processes,
        recipients=recipients,
        paid=paid,
        rate_limited_before=before,
        completion_s=elapsed,
        status=str(final["status"]),
    )
    return campaign_id, summary


async def _rows(cluster: Cluster, sql: str, campaign_id: str) -> list[Any]:
    """Rows of one query about a campaign (`:c` is its number), on a connection of its own."""
    engine = cluster.database.engine()
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text(sql), {"c": campaign_number(campaign_id)})
            return list(result)
    finally:
        await engine.dispose()


async def executions(cluster: Cluster, campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's execution rows (scheduled_at, started_at, status, counts)."""
    rows = await _rows(
        cluster,
        "SELECT id, status, trigger, scheduled_at, started_at, finished_at, total "
        "FROM executions WHERE campaign_id = :c ORDER BY id",
        campaign_id,
    )
    return [dict(row._mapping) for row in rows]


async def ledger(cluster: Cluster, campaign_id: str) -> dict[str, set[int]]:
    """Chat ids of the campaign's delivery rows, by status (sent, unknown, failed, ...)."""
    rows = await _rows(
        cluster,
        "SELECT d.status, d.chat_id FROM deliveries d "
        "JOIN executions e ON e.id = d.execution_id WHERE e.campaign_id = :c",
        campaign_id,
    )
    out: dict[str, set[int]] = {}
    for status, chat_id in rows:
        out.setdefault(str(status), set()).add(int(chat_id))
    return out


def counts(by_status: dict[str, set[int]]) -> Counter[str]:
    """Rows per status."""
    return Counter({status: len(chats) for status, chats in by_status.items()})


async def cancel(cluster: Cluster, campaign_id: str, via: int = 0) -> None:
    """POST …/cancel, tolerating a campaign that already settled (409)."""
    try:
        await cluster.call(via, "POST", f"/api/v1/campaigns/{campaign_id}/cancel")
    except RuntimeError as exc:
        if " 409 " not in str(exc):
            raise


async def wait_executions(
    cluster: Cluster, campaign_id: str, within: float
) -> list[dict[str, Any]]:
    """Poll the database until the campaign has an execution; returns its executions."""
    deadline = time.monotonic() + within
    while not (found := await executions(cluster, campaign_id)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{campaign_id} did not fire within {within:.1f} s")
        await asyncio.sleep(0.1)
    return found
