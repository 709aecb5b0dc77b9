"""Which domain events become outbox rows, and what their payload says."""

from __future__ import annotations

from sqlalchemy import select

from core.events import DomainEvent
from core.webhooks.events import write_outbox
from storage.models_webhooks import WebhookDelivery
from tests.webhooks.conftest import register


async def _commit(core, *events: DomainEvent) -> list[WebhookDelivery]:
    async with core.uow() as uow:
        for event in events:
            uow.emit(event)
    async with core.uow() as uow:
        return list(await uow.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def test_run_ends_and_new_subscribers_reach_an_endpoint_of_every_event(
    api, auth, core, tenant, receiver
):
    await register(api, auth, receiver.url)
    finished = DomainEvent(
        "execution.finished", tenant.id, None, "system", execution_id=4,
        data={"status": "completed", "scheduleId": 2, "total": 3, "sent": 3},
    )  # fmt: skip
    joined = DomainEvent("user_registered", tenant.id, None, "tg", subscriber_id=9,
                         data={"new": True})  # fmt: skip
    returning = DomainEvent("user_registered", tenant.id, None, "tg", subscriber_id=9,
                            data={"new": False})  # fmt: skip
    internal = DomainEvent("schedule.changed", tenant.id, None, "api")

    rows = await _commit(core, finished, joined, returning, internal)

    assert [r.event_type for r in rows] == ["execution.finished", "subscriber.subscribed"]
    run = rows[0].payload["data"]
    assert run["executionId"] == "exec_4" and run["execution"]["scheduleId"] == "sched_2"
    assert rows[1].payload["data"]["subscriber"] == {"id": "sub_9"}
    assert all(r.message_id.startswith("msg_") and r.status == "pending" for r in rows)


async def test_another_tenants_events_and_unsubscribed_types_write_nothing(
    api, auth, core, tenant, receiver
):
    await register(api, auth, receiver.url, events=["campaign.completed"])
    other = DomainEvent("execution.finished", tenant.id + 1, None, "system")
    mine = DomainEvent("unsubscribed", tenant.id, None, "tg", subscriber_id=1)
    assert await _commit(core, other, mine) == []


async def test_no_mapped_event_costs_no_query(core):
    async with core.uow() as uow:
        assert await write_outbox(uow.session, [], uow.clock()) == 0
