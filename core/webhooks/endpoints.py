"""Webhook endpoints of a tenant: create, change, rotate the secret, test, replay deliveries."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import Field

from core.context import Actor
from core.errors import ConflictError, NotFoundError, ValidationFailed
from core.events import DomainEvent
from core.ids import parse_id
from core.lifecycle import WebhookDeliveryStatus, can_move_webhook_delivery
from core.models import CamelModel
from core.uow import UnitOfWork
from core.validation import Line, Omittable
from core.webhooks.events import (
    ALL,
    EVENT_TYPES,
    QUEUED_EVENT,
    TEST_EVENT,
    envelope,
    outbox_row,
)
from core.webhooks.urls import MAX_URL_LENGTH, URL_PATTERN, UrlPolicy, validate_url
from storage.models_webhooks import WebhookDelivery, WebhookEndpoint
from storage.repositories.paging import Page
from storage.repositories.webhooks import Health, WebhookRepository

ROTATION_OVERLAP = timedelta(hours=24)
UNKNOWN_EVENT = "UNKNOWN_WEBHOOK_EVENT"
# The enum and the pattern document the rules in OpenAPI; core enforces them with clear codes
# (UNKNOWN_WEBHOOK_EVENT, INVALID_WEBHOOK_URL; http only where WEBHOOK_ALLOW_HTTP says so).
EventName = Annotated[
    str, Field(min_length=1, max_length=64, json_schema_extra={"enum": list(EVENT_TYPES)})
]
Events = Literal["*"] | Annotated[list[EventName], Field(min_length=1, max_length=50)]
Url = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        json_schema_extra={"pattern": URL_PATTERN, "format": "uri"},
    ),
]
Description = Annotated[Line, Field(max_length=500)]


class EndpointInput(CamelModel):
    """Body of POST /webhooks."""

    url: Url
    events: Events = "*"
    description: Description | None = None
    enabled: bool = True


class EndpointPatch(CamelModel):
    """Body of PATCH /webhooks/:id: only what is given changes."""

    url: Omittable[Url] = None
    events: Omittable[Events] = None
    description: Description | None = None
    enabled: Omittable[bool] = None


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _events(events: str | list[str]) -> list[str]:
    if events == ALL or (isinstance(events, list) and ALL in events):
        return [ALL]
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown webhook event(s): {', '.join(unknown)}.",
            details=[{"field": "events", "message": "unknown event", "value": e} for e in unknown],
            code=UNKNOWN_EVENT,
        )
    return list(dict.fromkeys(events))


async def create_endpoint(
    uow: UnitOfWork, actor: Actor, data: EndpointInput, urls: UrlPolicy
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; the secret is returned here and by rotation only."""
    await validate_url(data.url, urls)
    now, secret = uow.clock(), new_secret()
    endpoint = WebhookEndpoint(
        tenant_id=actor.tenant_id,
        url=data.url,
        events=_events(data.events),
        description=data.description,
        enabled=data.enabled,
        secret=secret,
        created_at=now,
        updated_at=now,
    )
    return await WebhookRepository(uow.session).add_endpoint(endpoint), secret


async def get_endpoint(uow: UnitOfWork, actor: Actor, public_id: str) -> WebhookEndpoint:
    """The tenant's endpoint or WEBHOOK_NOT_FOUND."""
    endpoint = await WebhookRepository(uow.session).get_endpoint(
        actor.tenant_id, parse_id("webhook", public_id)
    )
    if endpoint is None:
        raise NotFoundError("WEBHOOK_NOT_FOUND", f"No webhook with id '{public_id}'.")
    return endpoint


async def list_endpoints(
    uow: UnitOfWork, actor: Actor, *, page: int, limit: int
) -> Page[WebhookEndpoint]:
    """The tenant's endpoints, a page at a time."""
    return await WebhookRepository(uow.session).list_endpoints(
        actor.tenant_id, offset=(page - 1) * limit, limit=limit
    )


async def update_endpoint(
    uow: UnitOfWork, endpoint: WebhookEndpoint, data: EndpointPatch, urls: UrlPolicy
) -> WebhookEndpoint:
    """Change what was given; enabling again clears the reason it was disabled."""
    given = data.model_fields_set
    if data.url is not None:
        await validate_url(data.url, urls)
        endpoint.url = data.url
    if data.events is not None:
        endpoint.events = _events(data.events)
    if "description" in given:
        endpoint.description = data.description
    if data.enabled is not None:
        endpoint.enabled = data.enabled
        endpoint.disabled_reason = None if data.enabled else "disabled by request"
    endpoint.updated_at = uow.clock()
    await uow.flush()
    return endpoint


async def delete_endpoint(uow: UnitOfWork, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its pending and past deliveries."""
    await WebhookRepository(uow.session).delete_endpoint(endpoint)


async def rotate_secret(uow: UnitOfWork, endpoint: WebhookEndpoint) -> str:
    """A new secret; the old one keeps signing beside it for 24 hours."""
    now, secret = uow.clock(), new_secret()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    endpoint.updated_at = now
    await uow.flush()
    return secret


async def send_test(uow: UnitOfWork, endpoint: WebhookEndpoint) -> str:
    """Queue a `webhook.test` event for this endpoint alone; its message id."""
    if not endpoint.enabled:
        raise ConflictError("WEBHOOK_DISABLED", "The webhook is disabled; enable it first.")
    now = uow.clock()
    payload = envelope(TEST_EVENT, now, {"webhookId": f"wh_{endpoint.id}"})
    row = outbox_row(endpoint.tenant_id, endpoint.id, payload, now)
    await WebhookRepository(uow.session).add_deliveries([row])
    uow.emit(queued_event(endpoint, now))
    return str(row["message_id"])


async def list_deliveries(
    uow: UnitOfWork, endpoint: WebhookEndpoint, *, page: int, limit: int
) -> Page[WebhookDelivery]:
    """An endpoint's deliveries, newest first."""
    return await WebhookRepository(uow.session).list_deliveries(
        endpoint.id, offset=(page - 1) * limit, limit=limit
    )


async def health(uow: UnitOfWork, endpoint: WebhookEndpoint) -> Health:
    """Deliveries by status and the last error."""
    return await WebhookRepository(uow.session).health(endpoint.id)


async def retry_delivery(
    uow: UnitOfWork, endpoint: WebhookEndpoint, public_id: str
) -> WebhookDelivery:
    """Replay one delivery now, with its webhook-id and a fresh retry schedule."""
    delivery = await WebhookRepository(uow.session).get_delivery(
        endpoint.id, parse_id("webhook_delivery", public_id)
    )
    if delivery is None:
        raise NotFoundError("WEBHOOK_DELIVERY_NOT_FOUND", f"No delivery with id '{public_id}'.")
    pending = WebhookDeliveryStatus.PENDING
    if delivery.status != pending and not can_move_webhook_delivery(delivery.status, pending):
        raise ConflictError("WEBHOOK_DELIVERY_BUSY", "The delivery is not finished yet.")
    delivery.status, delivery.attempts = pending.value, 0
    delivery.next_attempt_at = uow.clock()
    await uow.flush()
    uow.emit(queued_event(endpoint, uow.clock()))
    return delivery


def success_rate(health: Health) -> float | None:
    """Delivered among finished deliveries (delivered or dead); None before any finished."""
    delivered = health.counts.get(WebhookDeliveryStatus.DELIVERED.value, 0)
    done = delivered + health.counts.get(WebhookDeliveryStatus.DEAD.value, 0)
    return delivered / done if done else None


def queued_event(endpoint: WebhookEndpoint, now: datetime) -> DomainEvent:
    """The wake-up of a row queued without a domain change of its own."""
    return DomainEvent(QUEUED_EVENT, endpoint.tenant_id, None, "system:webhooks", occurred_at=now)
