"""Goals against actuals, and conversions reported with a value (POST /api/v1/events)."""

from __future__ import annotations

import asyncio

from core.events import DomainEvent
from storage.models import Campaign

GOALS = {"targetAudience": 4, "conversionRate": 50, "revenue": 100}


async def sent_campaign(api, auth, core, emu, make_engine, **fields) -> tuple[str, list[int]]:
    """A campaign whose message reached four emulator users; (its id, their Telegram ids)."""
    users = await emu.create_users(4)
    batch = [{"telegramId": u.id, "firstName": f"U{u.id}"} for u in users]
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200
    body = {"name": "Sale", "messages": [{"content": "20% off"}], **fields}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    cid = (await response.json())["data"]["id"]
    response = await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert response.status == 200
    await make_engine().start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while True:
        async with core.uow() as uow:
            campaign = await uow.session.get(Campaign, int(cid.split("_")[1]))
            if campaign.status == "completed":
                break
        assert loop.time() < deadline, "the campaign did not complete"
        await asyncio.sleep(0.05)
    return cid, [u.id for u in users]


async def report(api, auth, **event):
    response = await api.post("/api/v1/events", json=event, headers=auth)
    return response.status, await response.json()


async def statistics(api, auth, cid: str, query: str = "") -> dict:
    response = await api.get(f"/api/v1/campaigns/{cid}/statistics{query}", headers=auth)
    assert response.status == 200, await response.text()
    return (await response.json())["data"]


async def test_conversions_with_value_count_each_recipient_once_and_sum_revenue(
    api, auth, core, emu, make_engine
):
    cid, (ann, bob, cay, _) = await sent_campaign(api, auth, core, emu, make_engine, goals=GOALS)
    heard: list[DomainEvent] = []

    async def listen(event: DomainEvent) -> None:
        heard.append(event)

    core.bus.subscribe("interaction.converted", listen)

    # Ann buys twice: she is one converted recipient, and both amounts are revenue.
    status, body = await report(
        api, auth, event="conversion", telegramId=ann, campaignId=cid,
        properties={"value": 30, "orderId": "A-1"},
    )  # fmt: skip
    assert status == 202, body
    first = body["data"]["results"][0]
    assert first["status"] == "accepted"
    assert first["conversion"]["campaignId"] == cid and first["conversion"]["value"] == 30
    assert first["conversion"]["first"] is True
    assert first["conversion"]["deliveryId"].startswith("dlv_")
    _, body = await report(
        api, auth, event="conversion", telegramId=ann, campaignId=cid, properties={"value": 20}
    )
    assert body["data"]["results"][0]["conversion"]["first"] is False

    # Bob's shop only knows the delivery (a link carrying it): that names him and the campaign.
    bobs_delivery = None
    response = await api.get(f"/api/v1/campaigns/{cid}/interactions?type=SENT", headers=auth)
    for entry in (await response.json())["data"]:
        if entry["customerName"] == f"U{bob}":
            bobs_delivery = entry["metadata"]["deliveryId"]
    assert bobs_delivery is not None
    _, body = await report(
        api, auth, event="conversion", deliveryId=bobs_delivery, eventId="order-B",
        properties={"value": 25.5},
    )  # fmt: skip
    assert body["data"]["results"][0]["conversion"]["deliveryId"] == bobs_delivery
    # The same eventId again is a duplicate: counted once.
    _, body = await report(
        api, auth, event="conversion", deliveryId=bobs_delivery, eventId="order-B",
        properties={"value": 25.5},
    )  # fmt: skip
    assert body["data"]["results"][0]["status"] == "duplicate"

    # Cay's conversion names no campaign: the message that reached her last gets it (no value).
    _, body = await report(api, auth, event="conversion", telegramId=cay)
    assert body["data"]["results"][0]["conversion"]["campaignId"] == cid
    assert body["data"]["results"][0]["conversion"]["value"] == 0

    data = await statistics(api, auth, cid)
    assert data["overview"]["converted"] == 3 and data["overview"]["revenue"] == 75.5
    assert data["performance"]["conversionRate"] == 75.0
    assert data["goals"]["progress"] == {
        "targetAudience": {"target": 4, "actual": 4, "percent": 100.0},
        "conversionRate": {"target": 50, "actual": 75.0, "percent": 150.0},
        "revenue": {"target": 100, "actual": 75.5, "percent": 75.5},
    }
    response = await api.get(f"/api/v1/campaigns/{cid}", headers=auth)
    counters = (await response.json())["data"]["statistics"]
    assert counters["conversionsAchieved"] == 3 and counters["revenue"] == 75.5

    assert [(e.data["value"], e.data["first"]) for e in heard] == [
        (30, True), (20, False), (25.5, True), (0, True)
    ]  # fmt: skip
    response = await api.get(f"/api/v1/campaigns/{cid}/interactions?type=CONVERTED", headers=auth)
    values = sorted(e["metadata"]["value"] for e in (await response.json())["data"])
    assert values == [0, 20, 25.5, 30]


async def test_a_conversion_value_must_be_a_finite_amount(api, auth, core):
    response = await api.post(
        "/api/v1/subscribers", json={"subscribers": [{"telegramId": 77}]}, headers=auth
    )
    assert response.status == 200
    for bad in (-1, "12", 1e13, True):
        status, body = await report(
            api, auth, event="conversion", telegramId=77, properties={"value": bad}
        )
        assert status == 400, (bad, body)
        assert body["error"]["details"][0]["field"] == "properties"
        assert body["error"]["details"][0]["message"].startswith("value: ")
    # Other events keep whatever `value` they carry (trigger conditions match on properties).
    status, body = await report(api, auth, event="signup", telegramId=77, properties={"value": "x"})
    assert status == 202 and "conversion" not in body["data"]["results"][0]


async def test_a_conversion_naming_someone_elses_delivery_or_campaign_is_not_counted(
    api, auth, core, emu, make_engine
):
    cid, (ann, bob, *_) = await sent_campaign(api, auth, core, emu, make_engine)
    response = await api.get(f"/api/v1/campaigns/{cid}/interactions?type=SENT", headers=auth)
    deliveries = {
        e["customerName"]: e["metadata"]["deliveryId"] for e in (await response.json())["data"]
    }
    annes = deliveries[f"U{ann}"]
    for event in (
        {"telegramId": bob, "deliveryId": annes},  # Ann's delivery, reported as Bob
        {"telegramId": bob, "campaignId": "camp_999999"},  # not a campaign of the tenant
        {"telegramId": bob, "deliveryId": "dlv_nonsense"},
    ):
        status, body = await report(api, auth, event="conversion", properties={"value": 5}, **event)
        assert status == 202 and "conversion" not in body["data"]["results"][0], body
    data = await statistics(api, auth, cid, "?metrics=overview,goals")
    assert data["overview"]["converted"] == 0 and data["overview"]["revenue"] == 0
    assert data["goals"] == {"progress": {}}  # no goals set
