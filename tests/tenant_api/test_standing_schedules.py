"""RECURRING and TRIGGERED campaigns of the tenant API run through the scheduler like any other."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from scheduler.leader import LeaderLock
from scheduler.service import SchedulerService
from storage.models import Execution
from tests.tenant_api.conftest import BASE, created, subscribe


async def _schedule_of(api, auth, campaign_id: str) -> dict:
    listed = await (await api.get("/api/v1/scheduled-campaigns", headers=auth)).json()
    [schedule] = [s for s in listed["data"] if s["campaignId"] == campaign_id]
    return dict(schedule)


async def test_a_weekly_campaign_next_runs_on_monday_at_nine_in_its_zone(
    api, auth, clock, tenant_id
):
    clock.set(datetime(2025, 12, 17, 12, tzinfo=UTC))  # a Wednesday
    campaign = await created(
        api, auth,
        {"tenantId": tenant_id, "name": "Weekly", "type": "RECURRING", "content": "Hi",
         "schedule": {"frequency": "weekly", "dayOfWeek": 1, "time": "09:00",
                      "timezone": "Africa/Johannesburg"}},
    )  # fmt: skip
    schedule = await _schedule_of(api, auth, campaign["id"])
    next_run = datetime.fromisoformat(schedule["execution"]["nextRunAt"])
    local = next_run.astimezone(ZoneInfo("Africa/Johannesburg"))
    assert (local.date().isoformat(), local.hour, local.minute) == ("2025-12-22", 9, 0)


async def test_a_matching_event_starts_a_send_and_another_does_not(
    api, auth, core, engine, clock, tenant_id
):
    clock.set(datetime(2025, 12, 17, 12, tzinfo=UTC))
    await subscribe(api, auth, [7001, 7002])
    campaign = await created(
        api, auth,
        {"tenantId": tenant_id, "name": "Upgrade", "type": "TRIGGERED", "content": "Congrats",
         "triggerEvent": "scl.member.tier.changed", "triggerConditions": {"reason": "upgrade"}},
    )  # fmt: skip
    events = {"events": [
        {"event": "scl.member.tier.changed", "telegramId": 7001, "eventId": "a",
         "properties": {"reason": "upgrade"}},
        {"event": "scl.member.tier.changed", "telegramId": 7002, "eventId": "b",
         "properties": {"reason": "downgrade"}},
    ]}  # fmt: skip
    posted = await api.post("/api/v1/events", json=events, headers=auth)
    results = (await posted.json())["data"]["results"]
    assert [r["triggered"] for r in results] == [1, 0]

    timer = SchedulerService(core, LeaderLock(engine))
    assert await timer.leader.try_acquire()
    try:
        assert await timer.run_triggers() == 1
    finally:
        await timer.leader.release()
    async with core.uow() as uow:
        runs = list(await uow.session.scalars(select(Execution)))
    assert [(r.campaign_id, r.total, r.trigger) for r in runs] == [
        (int(campaign["id"].removeprefix("camp_")), 1, "trigger")
    ]


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"type": "RECURRING"}, "schedule is given with, and only with, type RECURRING"),
        ({"type": "RECURRING", "schedule": {"frequency": "weekly", "time": "09:00"}},
         "needs dayOfWeek"),
        ({"type": "RECURRING", "schedule": {"frequency": "daily", "time": "24:00"}}, "time"),
        ({"type": "RECURRING", "schedule": {"frequency": "weekly", "dayOfWeek": 7,
                                             "time": "09:00"}}, "dayOfWeek"),
        ({"type": "RECURRING", "schedule": {"frequency": "hourly", "time": "09:00"}},
         "frequency"),
        ({"type": "RECURRING", "schedule": {"frequency": "daily", "time": "09:00",
                                             "timezone": "Mars/Olympus"}}, "timezone"),
        ({"type": "TRIGGERED"}, "triggerEvent is given with, and only with, type TRIGGERED"),
        ({"triggerEvent": "x"}, "triggerEvent is given with, and only with, type TRIGGERED"),
        ({"type": "RECURRING", "scheduledAt": "2030-01-01T00:00:00Z",
          "schedule": {"frequency": "daily", "time": "09:00"}}, "scheduledAt only applies"),
        ({"scheduledAt": "2020-01-01T00:00:00Z"}, "must be in the future"),
        ({"type": "weekly"}, "type"),
        ({"templateId": "tmpl_999999"}, "templateId"),
        ({"templateId": "tmpl_1", "content": "x"}, "not both"),
        ({"segmentId": "seg_999999"}, "segmentId: "),
        ({"type": "RECURRING", "content": None, "schedule": {"frequency": "daily",
                                                              "time": "09:00"}},
         "needs templateId or content"),
        ({"type": "TRIGGERED", "triggerEvent": "a", "triggerConditions": {"event": "b"}},
         "cannot hold 'event'"),
    ],
)  # fmt: skip
async def test_every_bad_create_is_a_400_naming_its_problem(
    api, auth, tenant_id, fields, complaint
):
    content = {} if "templateId" in fields else {"content": "Hi"}
    body = {"tenantId": tenant_id, "name": "Bad", **content, **fields}
    body = {k: v for k, v in body.items() if v is not None}
    response = await api.post(BASE, json=body, headers=auth)
    error = await response.json()
    assert response.status == 400, error
    lines = error["message"] if isinstance(error["message"], list) else [error["message"]]
    assert any(complaint in line for line in lines), lines
    if complaint == "templateId":
        assert error["code"] == "TEMPLATE_NOT_FOUND"
    listed = await (await api.get(BASE, params={"tenantId": tenant_id}, headers=auth)).json()
    assert listed["data"] == []  # nothing half-made was kept


async def test_a_recurring_rule_this_api_cannot_say_still_reads_as_recurring(api, auth, tenant_id):
    campaign = await created(api, auth, {"tenantId": tenant_id, "name": "C", "content": "Hi"})
    every_six_hours = {"campaignId": campaign["id"], "type": "recurring", "schedule": {
        "recurring": {"pattern": "custom", "frequency": {"interval": 6, "unit": "hours"}}}}  # fmt: skip
    made = await api.post("/api/v1/scheduled-campaigns", json=every_six_hours, headers=auth)
    assert made.status == 201, await made.text()
    shown = await api.get(f"{BASE}/{campaign['id']}", headers=auth)
    body = await shown.json()
    assert shown.status == 200, body
    assert body["type"] == "RECURRING" and "schedule" not in body
