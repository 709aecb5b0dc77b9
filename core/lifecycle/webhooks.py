"""The lifecycle of one webhook delivery (one event for one endpoint): one explicit table.

`failed` means the last attempt failed and another is due at `next_attempt_at`; `dead` means
the retry schedule is spent (or the endpoint is gone). A replay asked for by a person moves a
finished row back to `pending`.
"""

from __future__ import annotations

from enum import StrEnum


class WebhookDeliveryStatus(StrEnum):
    """Statuses of an outbox row (`webhook_deliveries.status`)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    DEAD = "dead"


W = WebhookDeliveryStatus

# from status -> the statuses it may move to.
WEBHOOK_DELIVERY_TRANSITIONS: dict[WebhookDeliveryStatus, frozenset[WebhookDeliveryStatus]] = {
    W.PENDING: frozenset({W.DELIVERED, W.FAILED, W.DEAD}),
    W.FAILED: frozenset({W.DELIVERED, W.FAILED, W.DEAD, W.PENDING}),
    W.DELIVERED: frozenset({W.PENDING}),  # replay
    W.DEAD: frozenset({W.PENDING}),  # replay
}
# Rows the dispatcher may still send.
WEBHOOK_DELIVERY_DUE = frozenset({W.PENDING, W.FAILED})


def can_move_webhook_delivery(status: str, to: str) -> bool:
    """Whether an outbox row in `status` may move to `to`."""
    return WebhookDeliveryStatus(to) in WEBHOOK_DELIVERY_TRANSITIONS[WebhookDeliveryStatus(status)]
