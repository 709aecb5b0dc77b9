"""A campaign's life reaches a real receiver as signed events, in order; retries keep the id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from core.campaigns import create_campaign
from core.context import Actor
from core.events import DomainEvent
from core.models import CampaignCreate
from core.webhooks import urls
from core.webhooks.dispatcher import DispatcherSettings, WebhookDispatcher
from storage.models_webhooks import WebhookDelivery
from storage.repositories.webhooks import WebhookRepository
from tests.webhooks.conftest import WEBHOOKS, register


async def _completed(core) -> asyncio.Event:
    done = asyncio.Event()

    async def seen(_: DomainEvent) -> None:
        done.set()

    core.bus.subscribe("campaign.completed", seen)
    return done


async def test_a_campaign_reaches_the_receiver_created_started_completed(
    api, auth, core, emu, make_engine, receiver, dispatcher
):
    events = ["campaign.created", "campaign.started", "campaign.completed"]
    hook = await register(api, auth, receiver.url, events=events)
    users = await emu.create_users(3)
    subscribers = [{"telegramId": u.id, "firstName": f"U{u.id}"} for u in users]
    added = await api.post("/api/v1/subscribers", json={"subscribers": subscribers}, headers=auth)
    assert added.status == 200
    body = {"name": "Launch", "messages": [{"content": "Hi {first_name}"}]}
    campaign = (await (await api.post("/api/v1/campaigns", json=body, headers=auth)).json())["data"]
    done = await _completed(core)
    executed = await api.post(f"/api/v1/campaigns/{campaign['id']}/execute", headers=auth)
    assert executed.status == 200
    await make_engine().start()
    await asyncio.wait_for(done.wait(), 20)

    await dispatcher.run_once()

    assert receiver.types() == ["campaign.created", "campaign.started", "campaign.completed"]
    payloads = [r.verified_with(hook["secret"]) for r in receiver.received]
    assert {p["data"]["campaign"]["id"] for p in payloads} == {campaign["id"]}
    final = payloads[-1]["data"]
    assert final["toStatus"] == "completed" and final["campaign"]["counts"]["sent"] == 3
    assert payloads[0]["timestamp"].endswith("Z") and payloads[0]["version"] == 1
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 3


async def test_500_twice_then_200_is_delivered_on_the_third_attempt_with_one_id(
    api, auth, core, clock, receiver, dispatcher
):
    clock.set(datetime.now(UTC))
    hook = await register(api, auth, receiver.url)
    receiver.answers = [500, 500]
    queued = await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)
    assert queued.status == 202

    await dispatcher.run_once()
    assert await dispatcher.run_once() == 0  # the retry is not due yet
    clock.advance(timedelta(seconds=6))
    await dispatcher.run_once()
    clock.advance(timedelta(seconds=70))
    await dispatcher.run_once()

    assert [r.event["type"] for r in receiver.received] == ["webhook.test"] * 3
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    receiver.received[-1].verified_with(hook["secret"])
    listed = await (await api.get(f"{WEBHOOKS}/{hook['id']}/deliveries", headers=auth)).json()
    [delivery] = listed["data"]["deliveries"]
    assert delivery["status"] == "delivered" and delivery["attempts"] == 3
    assert delivery["lastStatusCode"] == 200 and delivery["nextAttemptAt"] is None
    health = (await (await api.get(f"{WEBHOOKS}/{hook['id']}", headers=auth)).json())["data"]
    assert health["health"]["delivered"] == 1 and health["health"]["successRate"] == 1.0


async def test_a_later_event_waits_behind_a_failing_one(
    api, auth, core, clock, receiver, dispatcher
):
    clock.set(datetime.now(UTC))
    hook = await register(api, auth, receiver.url)
    receiver.answers = [503]
    for _ in range(2):
        await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)

    await dispatcher.run_once()
    clock.advance(timedelta(seconds=6))
    await dispatcher.run_once()

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]  # first, its retry, then the second


async def test_410_gone_disables_the_endpoint(api, auth, receiver, dispatcher):
    hook = await register(api, auth, receiver.url)
    receiver.answers = [410]
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)

    await dispatcher.run_once()

    shown = (await (await api.get(f"{WEBHOOKS}/{hook['id']}", headers=auth)).json())["data"]
    assert shown["enabled"] is False and "410" in shown["disabledReason"]
    listed = await (await api.get(f"{WEBHOOKS}/{hook['id']}/deliveries", headers=auth)).json()
    assert listed["data"]["deliveries"][0]["status"] == "dead"
    refused = await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)
    assert refused.status == 409


async def _outbox_rows(core) -> int:
    async with core.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(WebhookDelivery)))


async def test_a_rolled_back_change_emits_nothing_and_a_committed_one_its_row(
    api, auth, core, tenant, receiver
):
    await register(api, auth, receiver.url)
    actor = Actor(tenant.id, "api:test")
    body = CampaignCreate.model_validate({"name": "Ghost", "messages": [{"content": "Hi"}]})
    try:
        async with core.uow() as uow:
            await create_campaign(uow, actor, body)
            raise RuntimeError("the request failed after the change")
    except RuntimeError:
        pass
    assert await _outbox_rows(core) == 0

    async with core.uow() as uow:
        await create_campaign(uow, actor, body)
    assert await _outbox_rows(core) == 1


async def test_rotation_signs_with_both_secrets_for_a_day(api, auth, receiver, dispatcher):
    hook = await register(api, auth, receiver.url)
    rotated = await api.post(f"{WEBHOOKS}/{hook['id']}/rotate-secret", headers=auth)
    assert rotated.status == 200
    new = (await rotated.json())["data"]
    assert new["secret"] != hook["secret"] and new["previousSecretValidUntil"] is not None
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)

    await dispatcher.run_once()

    [received] = receiver.received
    assert len(received.headers["webhook-signature"].split(" ")) == 2
    received.verified_with(hook["secret"])
    received.verified_with(new["secret"])


async def test_a_replay_sends_the_same_id_again(api, auth, receiver, dispatcher):
    hook = await register(api, auth, receiver.url)
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)
    await dispatcher.run_once()
    listed = await (await api.get(f"{WEBHOOKS}/{hook['id']}/deliveries", headers=auth)).json()
    delivery = listed["data"]["deliveries"][0]

    replay = await api.post(
        f"{WEBHOOKS}/{hook['id']}/deliveries/{delivery['id']}/retry", headers=auth
    )
    assert replay.status == 202 and (await replay.json())["data"]["status"] == "pending"
    await dispatcher.run_once()

    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery["messageId"]] * 2


async def test_a_url_that_became_private_is_not_posted_to(api, auth, core, receiver, dispatcher):
    hook = await register(api, auth, receiver.url)
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)
    core.webhook_urls = urls.UrlPolicy(allow_http=True)  # as if DNS now pointed at loopback

    await dispatcher.run_once()

    assert receiver.received == []
    listed = await (await api.get(f"{WEBHOOKS}/{hook['id']}/deliveries", headers=auth)).json()
    delivery = listed["data"]["deliveries"][0]
    assert delivery["status"] == "failed" and "private" in delivery["lastError"]


async def test_rows_a_dead_dispatcher_held_come_due_after_its_lease(
    api, auth, core, clock, receiver, dispatcher
):
    clock.set(datetime.now(UTC))
    hook = await register(api, auth, receiver.url)
    await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)
    async with core.uow() as uow:  # a dispatcher claims, then its process is killed
        repository = WebhookRepository(uow.session)
        assert len(await repository.claim(clock(), clock() + timedelta(minutes=5), 10)) == 1

    assert await dispatcher.run_once() == 0
    clock.advance(timedelta(minutes=6))
    assert await dispatcher.run_once() == 1
    assert receiver.types() == ["webhook.test"]


async def test_the_running_dispatcher_wakes_on_a_committed_event(
    api, auth, core, receiver, dispatcher
):
    await register(api, auth, receiver.url, events=["campaign.created"])
    await dispatcher.start()

    body = {"name": "Launch", "messages": [{"content": "Hi"}]}
    assert (await api.post("/api/v1/campaigns", json=body, headers=auth)).status == 201
    await asyncio.wait_for(receiver.arrived.wait(), 10)

    assert receiver.types() == ["campaign.created"]


async def test_a_test_event_and_back_to_back_events_go_out_without_waiting_for_a_poll(
    api, auth, core, receiver
):
    # A poll a minute away: anything that arrives sooner was woken, not polled.
    sleepy = WebhookDispatcher(core, DispatcherSettings(timeout=2.0, poll_interval=60.0))
    hook = await register(api, auth, receiver.url)
    await sleepy.start()
    try:
        assert (await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)).status == 202
        await asyncio.wait_for(receiver.arrived.wait(), 10)
        for name in ("One", "Two", "Three"):  # committed while the previous is in flight
            body = {"name": name, "messages": [{"content": "Hi"}]}
            assert (await api.post("/api/v1/campaigns", json=body, headers=auth)).status == 201
        async with asyncio.timeout(10):
            while True:
                receiver.arrived.clear()
                if len(receiver.received) >= 4:
                    break
                await receiver.arrived.wait()
    finally:
        await sleepy.stop()
    assert receiver.types() == ["webhook.test", *["campaign.created"] * 3]


async def test_a_failure_in_a_later_chunk_keeps_what_went_before_and_holds_the_rest(
    api, auth, core, clock, receiver, dispatcher
):
    clock.set(datetime.now(UTC))
    hook = await register(api, auth, receiver.url)
    receiver.answers = [200] * 27 + [500]  # the third event of the second chunk fails
    for _ in range(30):
        await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)

    assert await dispatcher.run_once() == 30
    assert await dispatcher.run_once() == 0  # the failed one and the two after it wait
    listed = await api.get(f"{WEBHOOKS}/{hook['id']}/deliveries?limit=100", headers=auth)
    statuses = [d["status"] for d in reversed((await listed.json())["data"]["deliveries"])]
    assert statuses == ["delivered"] * 27 + ["failed", "pending", "pending"]
    clock.advance(timedelta(seconds=6))
    assert await dispatcher.run_once() == 3

    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(ids) == 31 and ids[27] == ids[28]  # the retry, then the two held back, in order
    assert len(set(ids)) == 30
