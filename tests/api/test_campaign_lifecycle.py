"""Lifecycle over HTTP: execute, schedule, pause, resume, cancel, progress, statistics, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.events import DomainEvent
from storage.models import CampaignEvent, Delivery


async def seed_subscribers(api, auth, count: int, **extra) -> None:
    batch = [{"telegramId": 1000 + i, "firstName": f"U{i}", **extra} for i in range(count)]
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200, await response.text()


async def create(api, auth, **fields) -> str:
    body = {"name": "Launch", "messages": [{"content": "Hi {first_name}"}], **fields}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 201, await response.text()
    return (await response.json())["data"]["id"]


async def post(api, auth, path, json=None):
    response = await api.post(path, json=json, headers=auth)
    return response.status, await response.json()


async def test_execute_snapshots_the_audience(api, auth, core):
    await seed_subscribers(api, auth, 12)
    cid = await create(api, auth)
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/execute")
    assert status == 200, body
    data = body["data"]
    assert data["status"] == "started" and data["campaignStatus"] == "active"
    assert data["executionId"].startswith("exec_")
    assert data["targetCount"] == 12
    assert data["estimatedCompletion"] is not None
    progress = (await (await api.get(f"/api/v1/campaigns/{cid}/progress", headers=auth)).json())[
        "data"
    ]
    assert progress["progress"]["total"] == 12
    assert progress["progress"]["pending"] == 12
    assert progress["progress"]["processed"] == 0
    async with core.uow() as uow:
        rows = (await uow.session.scalars(select(Delivery))).all()
    assert len(rows) == 12 and {r.status for r in rows} == {"pending"}
    assert len({r.subscriber_id for r in rows}) == 12


async def test_target_percentage_and_ab_split_are_deterministic(api, auth, core):
    await seed_subscribers(api, auth, 400)
    messages = [{"content": "A", "variations": [{"content": "B", "weight": 50}]}]
    cid = await create(api, auth, messages=messages)
    status, body = await post(
        api, auth, f"/api/v1/campaigns/{cid}/execute", {"targetPercentage": 25}
    )
    assert status == 200
    assert 60 <= body["data"]["targetCount"] <= 140  # about a quarter of 400
    async with core.uow() as uow:
        variations = [r.variation for r in (await uow.session.scalars(select(Delivery))).all()]
    assert set(variations) == {0, 1}
    share = variations.count(1) / len(variations)
    assert 0.3 < share < 0.7


async def test_unsubscribed_are_not_targeted(api, auth):
    await seed_subscribers(api, auth, 5)
    cid = await create(api, auth, targetAudience={"filters": {"languageCode": ["de"]}})
    _, body = await post(api, auth, f"/api/v1/campaigns/{cid}/execute")
    assert body["data"]["targetCount"] == 0


async def test_pause_resume_cancel_round_trip(api, auth):
    await seed_subscribers(api, auth, 3)
    cid = await create(api, auth)
    await post(api, auth, f"/api/v1/campaigns/{cid}/execute")
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/pause")
    assert status == 200
    assert body["data"]["status"] == "paused" and body["data"]["pausedAt"].endswith("Z")
    assert body["data"]["message"] == "Campaign paused successfully"
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/pause")
    assert status == 409 and body["error"]["details"][0]["allowedActions"]
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/resume")
    assert status == 200 and body["data"]["status"] == "active" and body["data"]["resumedAt"]
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/cancel")
    assert status == 200 and body["data"]["status"] == "cancelled" and body["data"]["cancelledAt"]
    progress = (await (await api.get(f"/api/v1/campaigns/{cid}/progress", headers=auth)).json())[
        "data"
    ]
    assert progress["status"] == "cancelled"
    assert progress["progress"]["skipped"] == 3 and progress["progress"]["pending"] == 0
    status, _ = await post(api, auth, f"/api/v1/campaigns/{cid}/resume")
    assert status == 409


async def test_schedule_rules(api, auth):
    cid = await create(api, auth)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/schedule", {"scheduledAt": past})
    assert status == 400 and body["error"]["code"] == "PAST_DATE"
    assert body["error"]["details"][0]["field"] == "scheduledAt"
    status, body = await post(
        api, auth, f"/api/v1/campaigns/{cid}/schedule", {"scheduledAt": "2099-01-01T09:00:00"}
    )
    assert status == 400 and "time zone" in body["error"]["details"][0]["message"]
    status, body = await post(
        api, auth, f"/api/v1/campaigns/{cid}/schedule", {"scheduledAt": "2099-01-01T09:00:00+02:00"}
    )
    assert status == 200
    assert body["data"]["status"] == "scheduled"
    assert body["data"]["scheduledAt"] == "2099-01-01T07:00:00Z"
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/cancel")
    assert status == 200 and body["data"]["status"] == "cancelled"


async def test_execute_with_scheduled_at(api, auth):
    cid = await create(api, auth)
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/execute", {"scheduledAt": past})
    assert status == 400 and body["error"]["code"] == "PAST_DATE"
    future = "2099-11-24T10:00:00Z"
    status, body = await post(
        api, auth, f"/api/v1/campaigns/{cid}/execute", {"scheduledAt": future}
    )
    assert status == 200 and body["data"]["status"] == "scheduled"
    assert body["data"]["campaignStatus"] == "scheduled"


async def test_execute_needs_content(api, auth):
    # The stored campaign, not the request, is at fault: 409 with a code of its own.
    response = await api.post("/api/v1/campaigns", json={"name": "empty"}, headers=auth)
    cid = (await response.json())["data"]["id"]
    future = {"scheduledAt": "2099-01-01T09:00:00Z"}
    for path, body in (("execute", None), ("schedule", future), ("execute", future)):
        status, answer = await post(api, auth, f"/api/v1/campaigns/{cid}/{path}", body)
        assert status == 409, (path, answer)
        assert answer["error"]["code"] == "CAMPAIGN_HAS_NO_CONTENT"
        assert answer["error"]["details"][0]["field"] == "messages"
    response = await api.patch(f"/api/v1/campaigns/{cid}", json={"status": "active"}, headers=auth)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "CAMPAIGN_HAS_NO_CONTENT"
    response = await api.get(f"/api/v1/campaigns/{cid}", headers=auth)
    assert (await response.json())["data"]["status"] == "draft"


async def test_status_scheduled_through_put_or_patch_needs_the_schedule_route(api, auth):
    cid = await create(api, auth)
    for method in ("PUT", "PATCH"):
        response = await api.request(
            method, f"/api/v1/campaigns/{cid}", json={"status": "scheduled"}, headers=auth
        )
        assert response.status == 409, method
        error = (await response.json())["error"]
        assert error["code"] == "SCHEDULE_NEEDS_TIME"
        assert error["details"][0]["field"] == "status"
    response = await api.get(f"/api/v1/campaigns/{cid}", headers=auth)
    assert (await response.json())["data"]["status"] == "draft"


async def test_test_mode_keeps_status_and_targets_admins(api, auth):
    await seed_subscribers(api, auth, 3)
    await api.post("/api/v1/subscribers", json={"telegramId": 111}, headers=auth)  # ADMIN_IDS=111
    cid = await create(api, auth)
    status, body = await post(api, auth, f"/api/v1/campaigns/{cid}/execute", {"testMode": True})
    assert status == 200 and body["data"]["targetCount"] == 1
    assert body["data"]["campaignStatus"] == "draft"
    status, body = await post(
        api,
        auth,
        f"/api/v1/campaigns/{cid}/execute",
        {"testMode": True, "testRecipients": ["1000", "1001"]},
    )
    assert body["data"]["targetCount"] == 3


async def test_put_status_runs_the_action(api, auth):
    await seed_subscribers(api, auth, 2)
    cid = await create(api, auth)
    response = await api.put(f"/api/v1/campaigns/{cid}", json={"status": "active"}, headers=auth)
    assert response.status == 200
    assert (await response.json())["data"]["status"] == "active"
    response = await api.put(f"/api/v1/campaigns/{cid}", json={"status": "completed"}, headers=auth)
    assert response.status == 409


async def test_transitions_are_audited_and_published(api, auth, core):
    seen: list[DomainEvent] = []

    async def remember(event: DomainEvent) -> None:
        seen.append(event)

    core.bus.subscribe("*", remember)
    await seed_subscribers(api, auth, 1)
    cid = await create(api, auth)
    for action in ("execute", "pause", "resume", "cancel"):
        status, _ = await post(api, auth, f"/api/v1/campaigns/{cid}/{action}")
        assert status == 200
    await post(api, auth, f"/api/v1/campaigns/{cid}/pause")  # refused: no event
    names = [e.name for e in seen]
    assert names == [
        "campaign.created",
        "campaign.started",
        "campaign.paused",
        "campaign.resumed",
        "campaign.cancelled",
    ]
    async with core.uow() as uow:
        rows = (await uow.session.scalars(select(CampaignEvent).order_by(CampaignEvent.id))).all()
    assert [(r.from_status, r.to_status) for r in rows] == [
        (None, "draft"),
        ("draft", "active"),
        ("active", "paused"),
        ("paused", "active"),
        ("active", "cancelled"),
    ]
    assert all(r.actor.startswith("api:key_") for r in rows)
    assert rows[1].execution_id is not None


async def test_statistics_shape_and_validation(api, auth):
    cid = await create(api, auth, targetAudience={"segments": []})
    body = await (await api.get(f"/api/v1/campaigns/{cid}/statistics", headers=auth)).json()
    data = body["data"]
    assert set(data) >= {"overview", "performance", "timeline", "segments", "variations"}
    assert data["overview"]["read"] is None and data["performance"]["readRate"] is None
    only = await api.get(
        f"/api/v1/campaigns/{cid}/statistics",
        params={"metrics": "overview", "period": "24h"},
        headers=auth,
    )
    assert set((await only.json())["data"]) == {"period", "overview"}
    bad = await api.get(
        f"/api/v1/campaigns/{cid}/statistics", params={"period": "2w"}, headers=auth
    )
    assert bad.status == 400
    bad = await api.get(
        f"/api/v1/campaigns/{cid}/statistics", params={"metrics": "magic"}, headers=auth
    )
    assert bad.status == 400


async def test_interactions_page_shape(api, auth):
    cid = await create(api, auth)
    response = await api.get(
        f"/api/v1/campaigns/{cid}/interactions", params={"skip": 0, "take": 10}, headers=auth
    )
    body = await response.json()
    assert body == {"success": True, "data": [], "meta": {"total": 0, "skip": 0, "take": 10}}
    bad = await api.get(
        f"/api/v1/campaigns/{cid}/interactions", params={"type": "SEEN"}, headers=auth
    )
    assert bad.status == 400
