"""Texts of the admin Webhooks screen and of the disabled-endpoint notice (never a secret)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from core.ids import format_id
from core.lifecycle import WebhookDeliveryStatus
from core.webhooks.endpoints import success_rate
from core.webhooks.events import ALL
from storage.models_webhooks import WebhookDelivery, WebhookEndpoint
from storage.repositories.webhooks import Health

URL_SHOWN = 60  # characters of a URL on screen; the API has the whole of it
ERROR_SHOWN = 150
FAILURES_SHOWN = 3
TEXT_BUDGET = 3800  # under Telegram's 4096 characters per message, with room for the footer
EMPTY_TEXT = (
    "<b>Webhooks</b>\nNo endpoints yet. Register one with <code>POST /api/v1/webhooks</code> "
    "(url, events); its deliveries and health then show here."
)
FAILED = (WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.DEAD)


@dataclass(frozen=True)
class EndpointFacts:
    """What the screen shows of one endpoint: itself, its health, its latest failures."""

    endpoint: WebhookEndpoint
    health: Health
    failures: list[WebhookDelivery]


def short_url(url: str) -> str:
    """The URL without query or fragment (they may hold a token), cut in the middle, escaped."""
    base = url.split("#", 1)[0]
    base, query, _ = base.partition("?")
    shown = base + ("?…" if query else "")
    if len(shown) > URL_SHOWN:
        head = URL_SHOWN * 2 // 3
        shown = shown[:head] + "…" + shown[-(URL_SHOWN - head - 1) :]
    return escape(shown)


def recent_failures(deliveries: Sequence[WebhookDelivery]) -> list[WebhookDelivery]:
    """The newest failed or dead deliveries among `deliveries` (newest first)."""
    return [row for row in deliveries if row.status in FAILED][:FAILURES_SHOWN]


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def _health_line(health: Health) -> str:
    count = {status: health.counts.get(status.value, 0) for status in WebhookDeliveryStatus}
    rate = success_rate(health)
    done = count[WebhookDeliveryStatus.DELIVERED] + count[WebhookDeliveryStatus.DEAD]
    shown = f"{rate:.0%} of {done} delivered" if rate is not None else "nothing finished yet"
    return (
        f"Health: {shown} · retrying {count[WebhookDeliveryStatus.FAILED]}"
        f" · pending {count[WebhookDeliveryStatus.PENDING]}"
    )


def _failure_line(row: WebhookDelivery) -> str:
    code = f"HTTP {row.last_status_code}" if row.last_status_code is not None else "no answer"
    plural = "s" if row.attempts != 1 else ""
    line = (
        f"• {escape(row.event_type)} · {row.status} · {row.attempts} attempt{plural} · {code}"
        f" · event {_when(row.created_at)}"
    )
    if row.status == WebhookDeliveryStatus.FAILED:
        line += f" · next try {_when(row.next_attempt_at)}"
    return line


def endpoint_block(facts: EndpointFacts) -> str:
    """One endpoint: id, state, URL, events, health, last error and latest failures (HTML)."""
    endpoint, health = facts.endpoint, facts.health
    state = (
        "✅ enabled"
        if endpoint.enabled
        else f"⛔ disabled: {escape(endpoint.disabled_reason or 'no reason given')}"
    )
    events = "all" if endpoint.events == [ALL] else ", ".join(map(escape, endpoint.events))
    lines = [
        f"<b>{format_id('webhook', endpoint.id)}</b> · {state}",
        f"<code>{short_url(endpoint.url)}</code>",
    ]
    if endpoint.description:
        lines.append(escape(endpoint.description[:80]))
    lines += [f"Events: {events}", _health_line(health)]
    if health.last_error:
        lines.append(f"Last error: {escape(health.last_error[:ERROR_SHOWN])}")
    if facts.failures:
        lines.append("Latest failures:")
        lines += [_failure_line(row) for row in facts.failures]
    return "\n".join(lines)


def webhooks_text(endpoints: Sequence[EndpointFacts], total: int) -> str:
    """The Webhooks screen: one block per endpoint while they fit in one message (HTML)."""
    if not endpoints:
        return EMPTY_TEXT
    text = f"<b>Webhooks</b> ({total})"
    shown = 0
    for facts in endpoints:
        block = endpoint_block(facts)
        if shown and len(text) + len(block) + 2 > TEXT_BUDGET:
            break
        text, shown = f"{text}\n\n{block}", shown + 1
    if shown < total:
        text += f"\n\n…and {total - shown} more: <code>GET /api/v1/webhooks</code>"
    return text


def disabled_notice(webhook_id: int, url: str, reason: str) -> str:
    """The admins' notice of an endpoint the service stopped sending to (HTML)."""
    public_id = format_id("webhook", webhook_id)
    return (
        f"🔗 Webhook {public_id} disabled: <code>{short_url(url)}</code>\n"
        f"Reason: {escape(reason)}\n"
        f"No events go to it now. Once the receiver is fixed: <code>PATCH /api/v1/webhooks/"
        f'{public_id}</code> with <code>{{"enabled": true}}</code>.'
    )
