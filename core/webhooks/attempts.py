"""The rules of one webhook attempt: what its answer means, when to retry, how it is signed."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from standardwebhooks import Webhook

from core.events import DomainEvent
from core.lifecycle import WebhookDeliveryStatus
from storage.models_webhooks import WebhookEndpoint
from storage.repositories.webhooks import Outcome

# Delay before attempt n+1 after n failed attempts; after the last, the row is dead.
RETRY_DELAYS = tuple(timedelta(seconds=s) for s in (5, 60, 300, 1800, 7200, 21600, 43200))
RETRY_WINDOW = sum(RETRY_DELAYS, timedelta())
JITTER = 0.1  # up to +10% of each delay, so endpoints recovering together are not stampeded
MAX_ERROR = 500
ENDPOINT_DISABLED = "webhook.disabled"  # domain event: the bot's notifier tells the admins
GONE_REASON = "410 Gone from the receiver"
EXHAUSTED_REASON = "every delivery failed for the whole retry window (about a day)"


def retry_delay(attempts: int, rand: Callable[[], float] = random.random) -> timedelta | None:
    """The wait after `attempts` failed attempts, or None when the row is dead."""
    if attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[attempts - 1]
    return base + base * JITTER * rand()


def outcome_of(
    code: int | None, latency: int | None, error: str | None, attempts: int, now: datetime
) -> Outcome:
    """What an answer (`code` None: no answer) to attempt number `attempts` comes to."""
    if code is not None and 200 <= code < 300:
        return Outcome(WebhookDeliveryStatus.DELIVERED, attempts, now, code, latency, None, now)
    delay = None if code == 410 else retry_delay(attempts)
    status = WebhookDeliveryStatus.DEAD if delay is None else WebhookDeliveryStatus.FAILED
    return Outcome(status, attempts, now + (delay or timedelta()), code, latency, error, None)


def signature(endpoint: WebhookEndpoint, message_id: str, moment: datetime, body: str) -> str:
    """The `webhook-signature` header: the current secret's, plus the previous one's while the
    rotation window is open."""
    secrets = [endpoint.secret]
    until = endpoint.previous_secret_until
    if endpoint.previous_secret and until is not None and moment < until:
        secrets.append(endpoint.previous_secret)
    return " ".join(Webhook(secret).sign(message_id, moment, body) for secret in secrets)


def disabled_event(endpoint: WebhookEndpoint, reason: str, now: datetime) -> DomainEvent:
    """The domain event of an endpoint the dispatcher stopped sending to (never its secret)."""
    return DomainEvent(
        name=ENDPOINT_DISABLED,
        tenant_id=endpoint.tenant_id,
        campaign_id=None,
        actor="webhooks:dispatcher",
        occurred_at=now,
        data={"webhookId": endpoint.id, "url": endpoint.url, "reason": reason},
    )
