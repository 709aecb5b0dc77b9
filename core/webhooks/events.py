"""Webhook event types, their versioned payloads, and the outbox rows a commit writes.

The rows are inserted just before the unit of work commits, in its transaction: a change that
commits always has its rows, a rolled-back one never does (the transactional outbox).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.event_names import INTERACTION_EVENTS, SUBSCRIBER_BLOCKED, UNSUBSCRIBED, USER_REGISTERED
from core.events import DomainEvent
from core.ids import format_id
from core.lifecycle import WebhookDeliveryStatus
from storage.models import Campaign
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.webhooks import Subscription, WebhookRepository

PAYLOAD_VERSION = 1
TEST_EVENT = "webhook.test"
# A domain event (never a webhook type) saying outbox rows were queued directly (a test, a
# replay): it wakes the dispatchers of this process after commit.
QUEUED_EVENT = "webhook.queued"
CAMPAIGN_EVENTS = tuple(
    f"campaign.{name}"
    for name in (
        "created",
        "scheduled",
        "started",
        "paused",
        "resumed",
        "completed",
        "failed",
        "cancelled",
    )
)
# Domain event name -> webhook event type (the same name where the domain already says it).
DOMAIN_TO_WEBHOOK: dict[str, str] = {
    **{name: name for name in CAMPAIGN_EVENTS},
    "execution.finished": "execution.finished",
    USER_REGISTERED: "subscriber.subscribed",
    UNSUBSCRIBED: "subscriber.unsubscribed",
    SUBSCRIBER_BLOCKED: SUBSCRIBER_BLOCKED,
    **{name: name for name in INTERACTION_EVENTS.values()},
}
EVENT_TYPES: tuple[str, ...] = (*DOMAIN_TO_WEBHOOK.values(), TEST_EVENT)
ALL = "*"


def webhook_type(event: DomainEvent) -> str | None:
    """The webhook event type of a domain event, or None when webhooks do not carry it."""
    if event.name == USER_REGISTERED and not event.data.get("new"):
        return None  # a returning /start of an active subscriber is no new subscription
    return DOMAIN_TO_WEBHOOK.get(event.name)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def new_message_id() -> str:
    """A fresh Standard Webhooks message id (`webhook-id`), kept across retries."""
    return f"msg_{uuid.uuid4().hex}"


def envelope(event_type: str, moment: datetime, data: dict[str, Any]) -> dict[str, Any]:
    """The documented payload: {"type", "timestamp", "version", "data"}."""
    return {"type": event_type, "timestamp": iso(moment), "version": PAYLOAD_VERSION, "data": data}


def campaign_summary(campaign: Campaign) -> dict[str, Any]:
    """A campaign's id, name, type, status and counters, as webhooks carry it."""
    return {
        "id": format_id("campaign", campaign.id),
        "name": campaign.name,
        "type": campaign.type,
        "status": campaign.status,
        "counts": {
            "target": campaign.target_count,
            "sent": campaign.sent_count,
            "failed": campaign.failed_count,
            "clicked": campaign.clicked_count,
            "converted": campaign.converted_count,
        },
        "executions": {
            "total": campaign.executions_total,
            "completed": campaign.executions_completed,
            "failed": campaign.executions_failed,
        },
    }


async def _data(session: AsyncSession, event_type: str, event: DomainEvent) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if event.campaign_id is not None:
        campaign = await CampaignRepository(session).by_id(event.campaign_id)
        data["campaign"] = (
            campaign_summary(campaign)
            if campaign is not None
            else {"id": format_id("campaign", event.campaign_id)}
        )
    if event_type.startswith("campaign."):
        data["fromStatus"] = event.from_status
        data["toStatus"] = event.to_status
        if event.data.get("reason"):  # the system's pause (BUDGET_EXHAUSTED) or failure
            data["reason"] = event.data["reason"]
    if event.execution_id is not None:
        data["executionId"] = format_id("execution", event.execution_id)
    if event_type == "execution.finished":
        stats = dict(event.data)
        if stats.get("scheduleId") is not None:
            stats["scheduleId"] = format_id("schedule", stats["scheduleId"])
        data["execution"] = stats
    if event.subscriber_id is not None:
        data["subscriber"] = {"id": format_id("subscriber", event.subscriber_id)}
    if event_type == SUBSCRIBER_BLOCKED:
        data["subscriber"]["status"] = event.data["status"]
    if event_type.startswith("interaction."):
        interaction = {
            "deliveryId": format_id("delivery", event.data["deliveryId"]),
            "first": event.data["first"],
        }
        # A click names its button; a conversion may say how it came about and its value.
        for key in INTERACTION_EXTRAS:
            if event.data.get(key) is not None:
                interaction[key] = event.data[key]
        data["interaction"] = interaction
    return data


INTERACTION_EXTRAS = ("button", "via", "value")


def _wants(subscription: Subscription, event_type: str) -> bool:
    return ALL in subscription.events or event_type in subscription.events


def outbox_row(
    tenant_id: int, endpoint_id: int, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """One pending outbox row for one endpoint."""
    return {
        "tenant_id": tenant_id,
        "endpoint_id": endpoint_id,
        "message_id": new_message_id(),
        "event_type": payload["type"],
        "payload": payload,
        "status": WebhookDeliveryStatus.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def write_outbox(session: AsyncSession, events: Sequence[DomainEvent], now: datetime) -> int:
    """Insert one row per (event, subscribed enabled endpoint) in the open transaction."""
    typed = [(kind, event) for event in events if (kind := webhook_type(event)) is not None]
    if not typed:
        return 0
    repository = WebhookRepository(session)
    subscriptions = await repository.subscriptions({event.tenant_id for _, event in typed})
    if not subscriptions:
        return 0
    rows: list[dict[str, Any]] = []
    for kind, event in typed:
        targets = [s for s in subscriptions if s.tenant_id == event.tenant_id and _wants(s, kind)]
        if not targets:
            continue
        payload = envelope(kind, event.occurred_at, await _data(session, kind, event))
        rows.extend(outbox_row(event.tenant_id, s.id, payload, now) for s in targets)
    await repository.add_deliveries(rows)
    return len(rows)
