"""Scheduled Campaigns API: shapes, validation codes, lifecycle, templates, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

BASE = "/api/v1/scheduled-campaigns"


async def campaign(api, auth, **fields) -> str:
    body = {"name": "Weekly Newsletter", "messages": [{"content": "Hi {first_name}"}], **fields}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 201
    return (await response.json())["data"]["id"]


def future(hours: int = 24) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()


async def create(api, auth, body):
    response = await api.post(BASE, json=body, headers=auth)
    return response.status, await response.json()


async def test_one_time_schedule_round_trip(api, auth):
    cid = await campaign(api, auth)
    at = future()
    status, body = await create(api, auth, {
        "campaignId": cid, "campaignName": "Holiday Special", "type": "one-time",
        "schedule": {"startDateTime": at}, "targetAudience": {"type": "all"},
        "deliverySettings": {"priority": "high"},
    })  # fmt: skip
    assert status == 201, body
    data = body["data"]
    assert data["_id"].startswith("sched_") and data["campaignName"] == "Holiday Special"
    assert data["status"] == "scheduled"
    assert data["execution"]["nextRunAt"] == at.replace("+00:00", "Z")
    got = await (await api.get(f"{BASE}/{data['_id']}", headers=auth)).json()
    assert got["data"]["deliverySettings"]["priority"] == "high"
    assert got["data"]["statistics"] == {
        "totalRuns": 0,
        "totalMessagesSent": 0,
        "avgDeliveryRate": 0.0,
    }


async def test_recurring_daily_next_run_is_local_time(api, auth):
    cid = await campaign(api, auth)
    status, body = await create(api, auth, {
        "campaignId": cid, "type": "recurring",
        "schedule": {"recurring": {"pattern": "daily", "timeOfDay": "09:00",
                                   "timezone": "America/New_York"}},
    })  # fmt: skip
    assert status == 201, body
    next_run = datetime.fromisoformat(body["data"]["execution"]["nextRunAt"].replace("Z", "+00:00"))
    from zoneinfo import ZoneInfo

    local = next_run.astimezone(ZoneInfo("America/New_York"))
    assert (local.hour, local.minute) == (9, 0)
    assert body["data"]["status"] == "active"


@pytest.mark.parametrize(
    ("schedule", "kind", "code", "field"),
    [
        ({"startDateTime": "2020-01-01T00:00:00Z"}, "one-time", "PAST_DATE", "schedule.startDateTime"),
        ({"startDateTime": "2099-01-01T00:00:00"}, "one-time", "INVALID_SCHEDULE", "schedule.startDateTime"),
        ({}, "one-time", "INVALID_SCHEDULE", "schedule.startDateTime"),
        ({"recurring": {"pattern": "daily", "timeOfDay": "9am"}}, "recurring", "INVALID_SCHEDULE",
         "schedule.recurring.timeOfDay"),
        ({"recurring": {"pattern": "daily", "timeOfDay": "09:00", "timezone": "Mars/Base"}},
         "recurring", "INVALID_TIMEZONE", "schedule.recurring.timezone"),
        ({"recurring": {"pattern": "weekly", "daysOfWeek": [1, 7], "timeOfDay": "10:00"}},
         "recurring", "INVALID_SCHEDULE", "schedule.recurring.daysOfWeek"),
        ({"recurring": {"pattern": "monthly", "daysOfMonth": [32], "timeOfDay": "10:00"}},
         "recurring", "INVALID_SCHEDULE", "schedule.recurring.daysOfMonth"),
        ({"recurring": {"pattern": "custom", "frequency": {"interval": 2, "unit": "weeks"}}},
         "recurring", "INVALID_SCHEDULE", "schedule.recurring.frequency"),
        ({"recurring": {"pattern": "daily", "timeOfDay": "09:00", "endDate": "2020-01-01T00:00:00Z"}},
         "recurring", "PAST_DATE", "schedule.recurring.endDate"),
        ({"triggers": []}, "trigger-based", "INVALID_SCHEDULE", "schedule.triggers"),
        ({"triggers": [{"conditions": {"source": "web"}}]}, "trigger-based", "INVALID_SCHEDULE",
         "schedule.triggers[0].conditions.event"),
    ],
)  # fmt: skip
async def test_invalid_schedules_carry_the_spec_code_and_field(
    api, auth, schedule, kind, code, field
):
    cid = await campaign(api, auth)
    status, body = await create(api, auth, {"campaignId": cid, "type": kind, "schedule": schedule})
    assert status == 400, body
    assert body["error"]["code"] == code
    assert body["error"]["details"][0]["field"] == field


async def test_sunday_is_zero_and_seven_is_explained(api, auth):
    cid = await campaign(api, auth)
    schedule = {"recurring": {"pattern": "weekly", "daysOfWeek": [7], "timeOfDay": "10:00"}}
    _, body = await create(
        api, auth, {"campaignId": cid, "type": "recurring", "schedule": schedule}
    )
    assert "0 = Sunday" in body["error"]["details"][0]["message"]


async def test_unknown_campaign_conflict_and_unsupported_channel(api, auth):
    status, body = await create(api, auth, {
        "campaignId": "camp_999", "type": "one-time", "schedule": {"startDateTime": future()}})  # fmt: skip
    assert status == 400 and body["error"]["code"] == "CAMPAIGN_NOT_FOUND"
    cid = await campaign(api, auth)
    at = future(48)
    first = {"campaignId": cid, "type": "one-time", "schedule": {"startDateTime": at}}
    assert (await create(api, auth, first))[0] == 201
    status, body = await create(api, auth, first)
    assert status == 409 and body["error"]["code"] == "SCHEDULE_CONFLICT"
    status, body = await create(api, auth, {
        **first, "schedule": {"startDateTime": future(72)},
        "notifications": {"onComplete": {"enabled": True, "channels": ["email"],
                                          "recipients": ["admin@example.com"]}},
    })  # fmt: skip
    assert status == 400 and body["error"]["code"] == "UNSUPPORTED_CHANNEL"


async def test_list_update_pause_resume_delete(api, auth):
    cid = await campaign(api, auth)
    _, made = await create(api, auth, {
        "campaignId": cid, "type": "recurring",
        "schedule": {"recurring": {"pattern": "weekly", "daysOfWeek": [1], "timeOfDay": "10:00",
                                   "timezone": "Europe/London"}},
    })  # fmt: skip
    sid = made["data"]["_id"]
    await create(
        api, auth, {"campaignId": cid, "type": "one-time", "schedule": {"startDateTime": future()}}
    )
    listed = await (await api.get(BASE, params={"type": "recurring"}, headers=auth)).json()
    assert [s["_id"] for s in listed["data"]] == [sid] and listed["meta"]["total"] == 1
    assert (await api.get(BASE, params={"limit": 101}, headers=auth)).status == 400

    body = {"schedule": {"recurring": {"pattern": "weekly", "daysOfWeek": [1, 3, 5], "timeOfDay": "11:00"}},
            "deliverySettings": {"rateLimiting": {"enabled": True, "messagesPerHour": 2000}}}  # fmt: skip
    updated = await (await api.put(f"{BASE}/{sid}", json=body, headers=auth)).json()
    recurring = updated["data"]["schedule"]["recurring"]
    assert recurring["timezone"] == "Europe/London" and recurring["daysOfWeek"] == [1, 3, 5]
    assert updated["data"]["deliverySettings"]["rateLimiting"]["messagesPerHour"] == 2000

    paused = await (await api.post(f"{BASE}/{sid}/pause", headers=auth)).json()
    assert paused["data"]["status"] == "paused" and paused["data"]["pausedAt"]
    again = await api.post(f"{BASE}/{sid}/pause", headers=auth)
    assert again.status == 409
    resumed = await (await api.post(f"{BASE}/{sid}/resume", headers=auth)).json()
    assert resumed["data"]["status"] == "active" and resumed["data"]["execution"]["nextRunAt"]

    deleted = await (await api.delete(f"{BASE}/{sid}", headers=auth)).json()
    assert deleted == {"success": True, "data": {"success": True}}
    assert (await api.get(f"{BASE}/{sid}", headers=auth)).status == 404


async def test_statistics_and_history_shapes(api, auth):
    stats = await (await api.get(f"{BASE}/statistics/24h", headers=auth)).json()
    assert set(stats["data"]) >= {"totalCampaigns", "activeCampaigns", "totalRuns",
                                  "totalMessagesSent", "totalDelivered", "avgDeliveryRate"}  # fmt: skip
    assert (await api.get(f"{BASE}/statistics/2w", headers=auth)).status == 400
    await api.post("/api/v1/subscribers", json={"telegramId": 555}, headers=auth)
    cid = await campaign(api, auth)
    _, made = await create(api, auth, {"campaignId": cid, "type": "one-time",
                                       "schedule": {"startDateTime": future()}})  # fmt: skip
    sid = made["data"]["_id"]
    tested = await api.post(
        f"{BASE}/{sid}/test", json={"targetAudience": {"type": "individual", "userIds": [555]},
                                    "maxRecipients": 5}, headers=auth)  # fmt: skip
    body = await tested.json()
    assert tested.status == 200, body
    assert body["data"]["testJobId"].startswith("job_")
    history = (await (await api.get(f"{BASE}/{sid}/history", headers=auth)).json())["data"]
    assert history["campaign"]["id"] == sid
    assert history["executions"] == []  # test runs are jobs, not executions of the schedule
    assert history["jobs"][0]["test"] is True


async def test_templates_feed_schedules(api, auth):
    bad = await api.post(
        "/api/v1/templates", json={"name": "t", "content": "Hi {nick}"}, headers=auth
    )
    assert bad.status == 400
    undeclared = await api.post(
        "/api/v1/templates", json={"name": "t", "content": "Hi {attributes.city}"}, headers=auth
    )
    assert undeclared.status == 400
    made = await api.post("/api/v1/templates", json={
        "name": "welcome", "content": "Welcome {first_name} from {attributes.city|somewhere}",
        "parseMode": "HTML", "variables": ["attributes.city"]}, headers=auth)  # fmt: skip
    assert made.status == 201
    tid = (await made.json())["data"]["id"]
    cid = await campaign(api, auth)
    status, body = await create(api, auth, {
        "campaignId": cid, "type": "one-time", "schedule": {"startDateTime": future()},
        "messageConfig": {"templateId": tid, "variations": [{"name": "B", "templateId": "tmpl_999", "weight": 50}]},
    })  # fmt: skip
    assert status == 400 and body["error"]["code"] == "TEMPLATE_NOT_FOUND"
    assert body["error"]["details"][0]["field"] == "messageConfig.variations[0].templateId"
    listed = await (await api.get("/api/v1/templates", headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 1
