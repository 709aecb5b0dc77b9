"""Webhook endpoints and their outbox: inserts in the causing transaction, claims, outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import WEBHOOK_DELIVERY_DUE, WebhookDeliveryStatus
from storage.models import table_of
from storage.models_webhooks import WebhookDelivery, WebhookEndpoint
from storage.repositories.paging import Page, fetch_page


class Subscription(NamedTuple):
    """An enabled endpoint and the event types it asked for (`*`: all)."""

    id: int
    tenant_id: int
    events: list[str]


class ClaimedEvent(NamedTuple):
    """An outbox row leased to one dispatcher until its lease ends."""

    id: int
    endpoint_id: int
    message_id: str
    event_type: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    status: WebhookDeliveryStatus
    attempts: int
    next_attempt_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None
    delivered_at: datetime | None


@dataclass(frozen=True)
class Health:
    """An endpoint's deliveries by status and its last failure."""

    counts: dict[str, int]
    last_error: str | None


_OUTCOME_COLUMNS = (
    "status",
    "attempts",
    "next_attempt_at",
    "last_status_code",
    "last_latency_ms",
    "last_error",
    "delivered_at",
)


def _outcome_values(outcome: Outcome) -> tuple[Any, ...]:
    return (
        outcome.status.value,
        outcome.attempts,
        outcome.next_attempt_at,
        outcome.status_code,
        outcome.latency_ms,
        outcome.error,
        outcome.delivered_at,
    )


class WebhookRepository:
    """Endpoints and outbox rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        """Store a new endpoint (its id is set on return)."""
        self.session.add(endpoint)
        await self.session.flush()
        return endpoint

    async def get_endpoint(self, tenant_id: int, endpoint_id: int) -> WebhookEndpoint | None:
        """One endpoint of the tenant."""
        return await self.session.scalar(
            select(WebhookEndpoint).where(
                WebhookEndpoint.id == endpoint_id, WebhookEndpoint.tenant_id == tenant_id
            )
        )

    async def endpoints_by_id(self, ids: Iterable[int]) -> dict[int, WebhookEndpoint]:
        """Endpoints by id (any tenant: the dispatcher's view)."""
        rows = await self.session.scalars(
            select(WebhookEndpoint).where(WebhookEndpoint.id.in_(list(ids)))
        )
        return {row.id: row for row in rows}

    async def list_endpoints(
        self, tenant_id: int, *, offset: int, limit: int
    ) -> Page[WebhookEndpoint]:
        """The tenant's endpoints, oldest first."""
        query = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.tenant_id == tenant_id)
            .order_by(WebhookEndpoint.id)
        )
        return await fetch_page(self.session, query, offset=offset, limit=limit)

    async def delete_endpoint(self, endpoint: WebhookEndpoint) -> None:
        """Remove an endpoint and its outbox rows."""
        await self.session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
        )
        await self.session.delete(endpoint)
        await self.session.flush()

    async def disable_endpoint(self, endpoint_id: int, reason: str, now: datetime) -> bool:
        """Stop sending to an enabled endpoint; False when it was disabled already."""
        result = await self.session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True))
            .values(enabled=False, disabled_reason=reason[:200], updated_at=now)
        )
        return bool(getattr(result, "rowcount", 0))

    async def subscriptions(self, tenant_ids: Iterable[int]) -> list[Subscription]:
        """Enabled endpoints of these tenants (one indexed query; usually none)."""
        rows = await self.session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.tenant_id, WebhookEndpoint.events).where(
                WebhookEndpoint.tenant_id.in_(sorted(set(tenant_ids))),
                WebhookEndpoint.enabled.is_(True),
            )
        )
        return [Subscription._make(row) for row in rows.all()]

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert outbox rows (one executemany) in the caller's transaction."""
        if rows:
            await self.session.execute(insert(table_of(WebhookDelivery)), list(rows))

    async def any_due(self, now: datetime) -> bool:
        """Whether some row is due (a read: an idle outbox costs no write lock on SQLite)."""
        found = await self.session.scalar(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.status.in_(list(WEBHOOK_DELIVERY_DUE)),
                WebhookDelivery.next_attempt_at <= now,
            )
            .limit(1)
        )
        return found is not None

    async def claim(
        self, now: datetime, lease_until: datetime, limit: int, busy: Iterable[int] = ()
    ) -> list[ClaimedEvent]:
        """Lease up to `limit` due rows of enabled endpoints not in `busy`, oldest first.

        The lease is `next_attempt_at` moved to `lease_until`: a dispatcher that dies holding
        rows leaves them due again when it ends. PostgreSQL skips rows another claim locked;
        SQLite has one writer, and the conditional UPDATE re-checks that the row is still due.
        """
        outbox = table_of(WebhookDelivery)
        endpoints = table_of(WebhookEndpoint)
        enabled = (
            select(endpoints.c.id)
            .where(endpoints.c.id == outbox.c.endpoint_id, endpoints.c.enabled.is_(True))
            .exists()
        )
        due_now = (outbox.c.status.in_(list(WEBHOOK_DELIVERY_DUE)), outbox.c.next_attempt_at <= now)
        query = select(outbox.c.id).where(*due_now, enabled)
        busy_ids = sorted(set(busy))
        if busy_ids:
            query = query.where(outbox.c.endpoint_id.not_in(busy_ids))
        due = (
            query.order_by(outbox.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        result = await self.session.execute(
            outbox.update()
            .where(outbox.c.id.in_(select(due.c.id)), *due_now)
            .values(next_attempt_at=lease_until)
            .returning(*(outbox.c[name] for name in ClaimedEvent._fields))
        )
        return sorted(map(ClaimedEvent._make, result.all()))

    async def settle_many(self, outcomes: Sequence[tuple[int, Outcome]]) -> None:
        """Write what attempts came to (one executemany)."""
        if not outcomes:
            return
        outbox = table_of(WebhookDelivery)
        statement = (
            outbox.update()
            .where(outbox.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in _OUTCOME_COLUMNS})
        )
        await self.session.execute(
            statement,
            [
                {
                    "row_id": delivery_id,
                    **{
                        f"new_{name}": value
                        for name, value in zip(_OUTCOME_COLUMNS, _outcome_values(o), strict=True)
                    },
                }
                for delivery_id, o in outcomes
            ],
        )

    async def delivered_since(self, endpoint_id: int, since: datetime) -> bool:
        """Whether any event reached the endpoint at or after `since`."""
        found = await self.session.scalar(
            select(WebhookDelivery.id)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.delivered_at >= since,
            )
            .limit(1)
        )
        return found is not None

    async def postpone(self, delivery_ids: Sequence[int], until: datetime) -> None:
        """Hand leased rows back, due at `until` (behind an earlier row that failed)."""
        if delivery_ids:
            await self.session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(list(delivery_ids)))
                .values(next_attempt_at=until)
            )

    async def get_delivery(self, endpoint_id: int, delivery_id: int) -> WebhookDelivery | None:
        """One outbox row of an endpoint."""
        return await self.session.scalar(
            select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
            )
        )

    async def list_deliveries(
        self, endpoint_id: int, *, offset: int, limit: int
    ) -> Page[WebhookDelivery]:
        """An endpoint's outbox rows, newest first."""
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .order_by(WebhookDelivery.id.desc())
        )
        return await fetch_page(self.session, query, offset=offset, limit=limit)

    async def health(self, endpoint_id: int) -> Health:
        """Counts by status and the most recent error of an endpoint."""
        counted = await self.session.execute(
            select(WebhookDelivery.status, func.count())
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .group_by(WebhookDelivery.status)
        )
        last = await self.session.scalar(
            select(WebhookDelivery.last_error)
            .where(
                WebhookDelivery.endpoint_id == endpoint_id,
                WebhookDelivery.last_error.is_not(None),
            )
            .order_by(WebhookDelivery.id.desc())
            .limit(1)
        )
        return Health(counts={status: int(n) for status, n in counted.all()}, last_error=last)
