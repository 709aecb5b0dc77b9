"""Every example request of tenant-campaigns-api.md, sent as written (ids adapted), on the day
the document's examples are dated (2025-12-14, 10:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.tenant_api.conftest import BASE, created, segment, subscribe

DOCUMENT_DAY = datetime(2025, 12, 14, 10, tzinfo=UTC)


@pytest.fixture
def on_document_day(clock):
    """The core's clock at the examples' date."""
    clock.set(DOCUMENT_DAY)
    return clock


@pytest.fixture
async def segment_123(api, auth) -> str:
    """The examples' `segment_123`: here a static segment of two subscribers."""
    return await segment(api, auth, "Active Golfers", await subscribe(api, auth, [501, 502]))


async def _draft(api, auth, tenant_id, segment_id) -> dict:
    return await created(
        api, auth, {"tenantId": tenant_id, "name": "Summer Tournament Promo",
                    "segmentId": segment_id, "content": "See you on the course"},
    )  # fmt: skip


async def test_list_with_the_documents_filters(api, auth, tenant_id, on_document_day, segment_123):
    mine = await _draft(api, auth, tenant_id, segment_123)
    for status in ("DRAFT", "SCHEDULED", "ACTIVE", "PAUSED", "COMPLETED", "CANCELLED"):
        for kind in ("ONE_TIME", "RECURRING", "TRIGGERED", "JOURNEY"):
            query = {"tenantId": tenant_id, "clubId": "club_456", "status": status, "type": kind}
            response = await api.get(BASE, params=query, headers=auth)
            assert response.status == 200, (status, kind)
            assert (await response.json())["data"] == []  # the draft has no club
    everything = await (await api.get(BASE, params={"tenantId": tenant_id}, headers=auth)).json()
    assert [c["id"] for c in everything["data"]] == [mine["id"]]


async def test_update_example(api, auth, tenant_id, on_document_day, segment_123):
    campaign = await _draft(api, auth, tenant_id, segment_123)
    segment_789 = await segment(api, auth, "Lapsed", await subscribe(api, auth, [503]))
    body = {"name": "Updated Campaign Name", "description": "Updated description",
            "segmentId": segment_789}  # fmt: skip
    response = await api.patch(f"{BASE}/{campaign['id']}", json=body, headers=auth)
    shown = await response.json()
    assert response.status == 200, shown
    assert shown["segmentName"] == "Lapsed" and shown["targetCount"] == 1


async def test_schedule_example_then_cancel(api, auth, tenant_id, on_document_day, segment_123):
    campaign = await _draft(api, auth, tenant_id, segment_123)
    url = f"{BASE}/{campaign['id']}"
    response = await api.post(
        f"{url}/schedule", json={"scheduledAt": "2025-12-20T09:00:00Z"}, headers=auth
    )
    assert await response.json() == {
        "id": campaign["id"], "status": "SCHEDULED", "scheduledAt": "2025-12-20T09:00:00Z",
        "targetCount": 2,
    }  # fmt: skip
    cancelled = await (await api.post(f"{url}/cancel", headers=auth)).json()
    assert cancelled == {"id": campaign["id"], "status": "CANCELLED",
                         "cancelledAt": "2025-12-14T10:00:00Z", "sentCount": 0}  # fmt: skip


async def test_execute_example_answers_when_it_started(
    api, auth, tenant_id, on_document_day, segment_123
):
    campaign = await _draft(api, auth, tenant_id, segment_123)
    response = await api.post(f"{BASE}/{campaign['id']}/execute", headers=auth)
    assert await response.json() == {"id": campaign["id"], "status": "ACTIVE",
                                     "startedAt": "2025-12-14T10:00:00Z", "targetCount": 2}  # fmt: skip


@pytest.mark.parametrize(
    "example",
    [
        {"type": "ONE_TIME", "segmentId": "SEGMENT", "scheduledAt": "2025-12-20T09:00:00Z"},
        {"type": "RECURRING", "segmentId": "SEGMENT",
         "schedule": {"frequency": "weekly", "dayOfWeek": 1, "time": "09:00",
                      "timezone": "Africa/Johannesburg"}},
        {"type": "TRIGGERED", "triggerEvent": "scl.member.tier.changed",
         "triggerConditions": {"reason": "upgrade"}},
    ],
    ids=["one-time", "recurring", "triggered"],
)  # fmt: skip
async def test_each_campaign_type_example(
    api, auth, tenant_id, on_document_day, segment_123, example
):
    body = {k: segment_123 if v == "SEGMENT" else v for k, v in example.items()}
    campaign = await created(
        api, auth, {"tenantId": tenant_id, "name": "Typed", "content": "Hi", **body}
    )
    assert campaign["type"] == example["type"]
    expected_status = "SCHEDULED" if "scheduledAt" in example else "DRAFT"
    assert campaign["status"] == expected_status
    if "scheduledAt" in example:
        assert campaign["scheduledAt"] == "2025-12-20T09:00:00Z"


async def test_stats_and_interactions_examples_of_an_unsent_campaign(
    api, auth, tenant_id, on_document_day, segment_123
):
    campaign = await _draft(api, auth, tenant_id, segment_123)
    url = f"{BASE}/{campaign['id']}"
    stats = await (await api.get(f"{url}/stats", headers=auth)).json()
    assert stats["sentCount"] == 0 and stats["deliveryRate"] is None and stats["timeline"] == []
    for kind in ("SENT", "DELIVERED", "OPENED", "CLICKED", "CONVERTED", "UNSUBSCRIBED", "BOUNCED"):
        page = await api.get(
            f"{url}/interactions", params={"type": kind, "skip": 0, "take": 25}, headers=auth
        )
        assert await page.json() == {"data": [], "meta": {"total": 0, "skip": 0, "take": 25}}
