"""Every payload the core really emits matches its documented schema, field for field."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, ClassVar

import jsonschema_rs
import orjson
import pytest
from pydantic import ValidationError
from sqlalchemy import select

from api.app import ROUTERS, VERSION
from api.openapi import build_openapi
from api.webhook_payload_schemas import WEBHOOK_EVENTS
from core.campaign_types import registry
from core.campaign_types.base import UpdateKind
from core.campaign_types.message import MessagePolicy
from core.delivery.finalize import fail_execution
from core.events import DomainEvent
from core.ids import parse_id
from core.interactions import record_click
from core.models import CampaignType
from core.subscribers import (
    SubscriberStatus,
    TelegramProfile,
    change_status_from_bot,
    register_from_bot,
)
from core.webhooks.events import EVENT_TYPES
from storage.models import Delivery
from storage.models_webhooks import WebhookDelivery
from tests.webhooks.conftest import WEBHOOKS, register

DOCUMENT = build_openapi([spec for router in ROUTERS for spec in router.specs], VERSION)
CAMPAIGNS = "/api/v1/campaigns"
BUTTON = [[{"text": "I'm in", "callbackData": "join"}]]


class ConvertsOnClick(MessagePolicy):
    """A campaign type whose goal is the button press: a click is also a conversion."""

    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset({UpdateKind.BUTTON_CLICK})


def published_schema(event_type: str) -> jsonschema_rs.Draft202012Validator:
    """A validator for the request body the document gives the webhook `event_type`."""
    body = DOCUMENT["webhooks"][event_type]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    return jsonschema_rs.Draft202012Validator({"$ref": ref, "components": DOCUMENT["components"]})


def check(payload: dict[str, Any]) -> None:
    """Raise unless `payload` is what its model and the published schema describe."""
    model = WEBHOOK_EVENTS[payload["type"]].model
    model.model_validate_json(orjson.dumps(payload), strict=True)  # unknown fields refused
    published_schema(payload["type"]).validate(payload)


async def outbox(core) -> dict[str, list[dict[str, Any]]]:
    """Every queued payload, by event type."""
    async with core.uow() as uow:
        rows = await uow.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            found[row.event_type].append(dict(row.payload))
        return found


async def campaign(api, auth, name: str, **fields: Any) -> str:
    """A new campaign's id."""
    body = {"name": name, "messages": [{"content": "Hi {first_name}"}], **fields}
    created = await api.post(CAMPAIGNS, json=body, headers=auth)
    assert created.status == 201, await created.text()
    return str((await created.json())["data"]["id"])


async def act(api, auth, campaign_id: str, action: str, **body: Any) -> dict[str, Any]:
    """POST /campaigns/{id}/{action}; its data."""
    response = await api.post(f"{CAMPAIGNS}/{campaign_id}/{action}", json=body, headers=auth)
    assert response.status == 200, await response.text()
    return dict((await response.json())["data"])


async def completed(core) -> asyncio.Event:
    """Set once a campaign completes."""
    done = asyncio.Event()

    async def seen(_: DomainEvent) -> None:
        done.set()

    core.bus.subscribe("campaign.completed", seen)
    return done


def test_every_event_type_is_a_documented_webhook_with_its_own_body():
    assert set(DOCUMENT["webhooks"]) == set(EVENT_TYPES)
    for event_type, item in DOCUMENT["webhooks"].items():
        operation = item["post"]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}, event_type
        assert "2XX" in operation["responses"] and operation["description"], event_type
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = DOCUMENT["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert body["properties"]["type"]["const"] == event_type


async def test_every_event_the_core_emits_matches_its_documented_payload(
    api, auth, core, tenant, emu, make_engine, receiver, monkeypatch
):
    policies = {**registry.POLICIES, CampaignType.ENGAGEMENT: ConvertsOnClick()}
    monkeypatch.setattr(registry, "POLICIES", MappingProxyType(policies))
    hook = await register(api, auth, receiver.url)  # every event
    users = await emu.create_users(3, blocked=1)
    subscribers = [{"telegramId": u.id, "firstName": f"U{u.id}"} for u in users]
    added = await api.post("/api/v1/subscribers", json={"subscribers": subscribers}, headers=auth)
    assert added.status == 200

    # Scheduled, then cancelled before it runs.
    later = await campaign(api, auth, "Later")
    soon = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    await act(api, auth, later, "schedule", scheduledAt=soon)
    await act(api, auth, later, "cancel")
    # Started, paused, resumed, then its run fails.
    doomed = await campaign(api, auth, "Doomed")
    run = (await act(api, auth, doomed, "execute"))["executionId"]
    await act(api, auth, doomed, "pause")
    await act(api, auth, doomed, "resume")
    async with core.uow() as uow:
        assert await fail_execution(uow, parse_id("execution", run), "BOT_TOKEN_REVOKED")
    # Sent to everyone (one has blocked the bot), then a recipient presses the button.
    button = {"content": "Join", "buttons": BUTTON}
    launch = await campaign(api, auth, "Launch", type="engagement", messages=[button])
    done = await completed(core)
    sent = (await act(api, auth, launch, "execute"))["executionId"]
    await make_engine().start()
    await asyncio.wait_for(done.wait(), 20)
    reachable = next(u for u in users if not u.blocked)
    async with core.uow() as uow:
        delivery = await uow.session.scalar(
            select(Delivery.id).where(
                Delivery.execution_id == parse_id("execution", sent),
                Delivery.chat_id == reachable.id,
            )
        )
        assert delivery is not None
        assert await record_click(uow, delivery, 0, reachable.id)
    # The bot: a newcomer's /start and /stop, and a subscriber found blocked.
    newcomer = TelegramProfile(9001, 9001, "New", None, None, "en")
    async with core.uow() as uow:
        await register_from_bot(uow, tenant.id, newcomer, "ad")
    async with core.uow() as uow:
        await change_status_from_bot(uow, tenant.id, 9001, SubscriberStatus.UNSUBSCRIBED)
        await change_status_from_bot(uow, tenant.id, reachable.id, SubscriberStatus.BLOCKED)
    assert (await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)).status == 202

    emitted = await outbox(core)

    assert set(emitted) == set(EVENT_TYPES)  # the story reached every type
    for payloads in emitted.values():
        for payload in payloads:
            check(payload)
    blocked = [p["data"] for p in emitted["subscriber.blocked"]]
    assert {"campaign" in data for data in blocked} == {True, False}  # during a run and by bot
    failed = emitted["execution.finished"][0]["data"]["execution"]
    assert (failed["status"], failed["reason"]) == ("failed", "BOT_TOKEN_REVOKED")


async def test_an_undocumented_or_missing_field_fails_the_check(api, auth, core, receiver):
    await register(api, auth, receiver.url)
    await campaign(api, auth, "Launch")
    [payload] = (await outbox(core))["campaign.created"]
    check(payload)

    surprise = {**payload, "data": {**payload["data"], "surprise": 1}}
    with pytest.raises(ValidationError, match="surprise"):
        check(surprise)
    summary = dict(payload["data"]["campaign"])
    del summary["counts"]
    with pytest.raises(ValidationError):
        check({**payload, "data": {**payload["data"], "campaign": summary}})
