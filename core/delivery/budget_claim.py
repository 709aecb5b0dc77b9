"""Claiming within a budget: a paid campaign's claims never add up past what it may spend.

The campaign row is locked before the rows are claimed (the one lock order: campaign, then
execution, then rows), the same lock every write-back takes before it moves rows out of
`sending` and adds their cost. So "spent + in flight + this claim ≤ budget" holds across any
number of engines: the second claimer waits, then counts the first one's rows as in flight.
"""

from __future__ import annotations

from datetime import datetime

from core.budget import BUDGET_ACTOR, room_of
from core.campaign_actions import pause_campaign
from core.context import Actor
from core.lifecycle import Action, PauseReason, can
from core.uow import UnitOfWork
from storage.repositories.budget import BudgetRepository
from storage.repositories.deliveries import ClaimedRow, DeliveryRepository
from storage.repositories.locks import lock_campaign


async def claim_rows(
    uow: UnitOfWork, execution_id: int, worker_id: str, limit: int, now: datetime, *, paid: bool
) -> list[ClaimedRow]:
    """Claim up to `limit` due rows; fewer (or none) when a budget cannot pay for more paid
    messages. Once it cannot pay for the next one and nothing is in flight, the campaign is
    paused with reason BUDGET_EXHAUSTED (while rows are in flight, some may fail and free
    their share: the claim just waits)."""
    ledger = DeliveryRepository(uow.session)
    if not paid:  # free sends cost nothing: never limited, and no lock taken
        return await ledger.claim(execution_id, worker_id, limit, now)
    budgets = BudgetRepository(uow.session)
    terms = await budgets.terms(execution_id)
    if terms is None or terms.budget is None or terms.test_mode:
        # Test sends are not the campaign's spend (they never count in its figures).
        return await ledger.claim(execution_id, worker_id, limit, now)
    campaign = await lock_campaign(uow.session, terms.campaign_id)
    if campaign is None or campaign.budget is None:
        return await ledger.claim(execution_id, worker_id, limit, now)
    room = await room_of(uow, campaign)
    if room.messages > 0:
        return await ledger.claim(execution_id, worker_id, min(limit, room.messages), now)
    if (
        room.exhausted
        and not room.in_flight
        and can(campaign.status, Action.PAUSE)
        and await budgets.has_pending(campaign.id)
    ):
        await pause_campaign(
            uow,
            Actor(campaign.tenant_id, BUDGET_ACTOR),
            campaign,
            reason=PauseReason.BUDGET_EXHAUSTED,
        )
    return []
