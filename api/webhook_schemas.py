"""JSON shapes of the webhook endpoints API, each rendered from core's objects."""

from __future__ import annotations

from typing import Literal

from api.schemas import Out, Pagination, UtcTime
from core.ids import format_id
from core.lifecycle import WebhookDeliveryStatus
from core.webhooks import endpoints as service
from core.webhooks.events import ALL
from storage.models_webhooks import WebhookDelivery, WebhookEndpoint
from storage.repositories.webhooks import Health


class WebhookHealth(Out):
    """Deliveries by status, the success rate of finished ones and the last error."""

    delivered: int
    pending: int
    failed: int
    dead: int
    success_rate: float | None
    last_error: str | None


class WebhookOut(Out):
    """A webhook endpoint as the API shows it (never its secret)."""

    id: str
    url: str
    events: Literal["*"] | list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    previous_secret_valid_until: UtcTime | None
    health: WebhookHealth | None = None
    created_at: UtcTime
    updated_at: UtcTime


class WebhookCreated(WebhookOut):
    """data of create and rotate-secret: the only answers that carry the secret."""

    secret: str


class WebhookList(Out):
    """data of GET /webhooks."""

    webhooks: list[WebhookOut]
    pagination: Pagination


class WebhookDeliveryOut(Out):
    """One event for one endpoint, with its last attempt."""

    id: str
    webhook_id: str
    message_id: str
    event: str
    status: WebhookDeliveryStatus
    attempts: int
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    next_attempt_at: UtcTime | None
    created_at: UtcTime
    delivered_at: UtcTime | None


class WebhookDeliveryList(Out):
    """data of GET /webhooks/:id/deliveries."""

    deliveries: list[WebhookDeliveryOut]
    pagination: Pagination


class WebhookTestQueued(Out):
    """data of POST /webhooks/:id/test."""

    message_id: str
    event: str


def health_out(health: Health) -> WebhookHealth:
    """Render an endpoint's health."""
    counts = {status.value: health.counts.get(status.value, 0) for status in WebhookDeliveryStatus}
    rate = service.success_rate(health)
    return WebhookHealth(
        delivered=counts["delivered"],
        pending=counts["pending"],
        failed=counts["failed"],
        dead=counts["dead"],
        success_rate=None if rate is None else round(rate, 4),
        last_error=health.last_error,
    )


def webhook_out(endpoint: WebhookEndpoint, health: Health | None = None) -> WebhookOut:
    """Render one endpoint."""
    return WebhookOut(
        id=format_id("webhook", endpoint.id),
        url=endpoint.url,
        events="*" if endpoint.events == [ALL] else list(endpoint.events),
        description=endpoint.description,
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        previous_secret_valid_until=endpoint.previous_secret_until,
        health=health_out(health) if health is not None else None,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookCreated:
    return WebhookCreated(**webhook_out(endpoint).model_dump(), secret=secret)


def delivery_out(row: WebhookDelivery) -> WebhookDeliveryOut:
    """Render one delivery."""
    due = row.status in (WebhookDeliveryStatus.PENDING, WebhookDeliveryStatus.FAILED)
    return WebhookDeliveryOut(
        id=format_id("webhook_delivery", row.id),
        webhook_id=format_id("webhook", row.endpoint_id),
        message_id=row.message_id,
        event=row.event_type,
        status=WebhookDeliveryStatus(row.status),
        attempts=row.attempts,
        last_status_code=row.last_status_code,
        last_latency_ms=row.last_latency_ms,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at if due else None,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )
