"""Per-recipient rows of a campaign: listing failures and deliberate resends of unknowns."""

from __future__ import annotations

from typing import Any

from core.context import Actor
from core.errors import ValidationFailed
from core.ids import format_id, try_parse_id
from core.lifecycle import Action, DeliveryStatus, transition
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.executions import ExecutionRepository
from storage.repositories.ledger import LedgerRepository
from storage.repositories.locks import lock_campaign
from storage.repositories.paging import Page

LISTABLE = tuple(status.value for status in DeliveryStatus)
DEFAULT_LISTED = (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN)


def parse_statuses(raw: str | None) -> tuple[str, ...]:
    """`failed,unknown` -> a validated tuple (default: failed and unknown)."""
    statuses = tuple(s.strip() for s in (raw or ",".join(DEFAULT_LISTED)).split(",") if s.strip())
    bad = [s for s in statuses if s not in LISTABLE]
    if bad or not statuses:
        raise ValidationFailed(
            f"Unknown delivery status: {', '.join(bad) or '(none)'}.",
            details=[{"field": "status", "message": f"comma list of {', '.join(LISTABLE)}"}],
        )
    return statuses


async def list_deliveries(
    uow: UnitOfWork, campaign: Campaign, statuses: tuple[str, ...], *, page: int, limit: int
) -> Page[dict[str, Any]]:
    """A page of the campaign's ledger rows in the given statuses."""
    found = await LedgerRepository(uow.session).list_for_campaign(
        campaign.id, statuses, offset=(page - 1) * limit, limit=limit
    )
    items = [
        {
            "id": format_id("delivery", row.id),
            "execution_id": format_id("execution", row.execution_id),
            "subscriber_id": format_id("subscriber", row.subscriber_id),
            "telegram_id": telegram_id,
            "name": first_name,
            "username": username,
            "chat_id": row.chat_id,
            "status": row.status,
            "variation": row.variation,
            "attempts": row.attempts,
            "message_id": row.message_id,
            "error_code": row.error_code,
            "error_detail": row.error_detail,
            "processed_at": row.processed_at,
        }
        for row, telegram_id, first_name, username in found.items
    ]
    return Page(items, found.total)


async def resend_unknown(
    uow: UnitOfWork, actor: Actor, campaign: Campaign, refs: list[str] | None
) -> int:
    """Queue `unknown` rows again (all, or the listed ones); returns how many were requeued.

    This is the operator's deliberate choice: a recipient whose message did arrive before a
    crash will receive it a second time.
    """
    await lock_campaign(uow.session, campaign.id)  # then executions, then rows: the one order
    transition(campaign.status, Action.RESEND)
    ids = None
    if refs is not None:
        parsed = [try_parse_id("delivery", ref) for ref in refs]
        bad = [ref for ref, value in zip(refs, parsed, strict=True) if value is None]
        if bad:
            raise ValidationFailed(
                "Some ids are not delivery ids.",
                details=[
                    {"field": "deliveryIds", "message": f"not a dlv_ id: {', '.join(bad[:10])}"}
                ],
            )
        ids = [value for value in parsed if value is not None]
    requeued = await LedgerRepository(uow.session).requeue_unknown(campaign.id, ids)
    executions = ExecutionRepository(uow.session)
    for execution_id, count in requeued.items():
        await executions.reopen(execution_id, count)
    return sum(requeued.values())
