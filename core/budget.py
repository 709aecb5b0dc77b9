"""The budget of paid broadcasts: a campaign never spends past it.

Money is counted in tenths of a Star as integers (one paid message is one tenth), so no sum of
floats decides whether one more message fits. What may already have cost a message but is not
in the campaign's cost yet counts as spent: rows in flight (`sending`) and rows whose outcome is
unknown (Telegram may have charged for them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.delivery.results import PAID_MESSAGE_STARS
from core.errors import ConflictError
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.budget import BudgetRepository

TENTHS_PER_STAR = 10
MESSAGE_TENTHS = round(PAID_MESSAGE_STARS * TENTHS_PER_STAR)
BUDGET_ACTOR = "system:budget"


def budget_tenths(stars: float) -> int:
    """A budget in whole tenths, rounded down: 0.55 Stars pay for 5 messages, not 6."""
    return math.floor(round(stars * TENTHS_PER_STAR, 6))


def spent_tenths(stars: float) -> int:
    """A sum of 0.1-Star costs in tenths (the float sum is a hair off a whole number)."""
    return round(stars * TENTHS_PER_STAR)


@dataclass(frozen=True)
class Room:
    """What a budgeted paid campaign may still send; amounts in tenths of a Star."""

    budget: int
    spent: int
    in_flight: int  # rows being sent now
    unknown: int  # rows whose outcome nobody knows

    @property
    def messages(self) -> int:
        """How many more paid messages may be claimed now (never negative)."""
        held = (self.in_flight + self.unknown) * MESSAGE_TENTHS
        return max(0, (self.budget - self.spent - held) // MESSAGE_TENTHS)

    @property
    def exhausted(self) -> bool:
        """The budget cannot pay for one more message even if every send in flight fails."""
        left = self.budget - self.spent - self.unknown * MESSAGE_TENTHS
        return left < MESSAGE_TENTHS

    @property
    def remaining_stars(self) -> float:
        """Budget left after what is spent, in Stars (for people)."""
        return max(0, self.budget - self.spent) / TENTHS_PER_STAR


def is_budgeted(campaign: Campaign) -> bool:
    """Paid sends with a budget: the only campaigns the budget rule limits (free sends cost 0)."""
    return bool(campaign.allow_paid_broadcast) and campaign.budget is not None


async def room_of(uow: UnitOfWork, campaign: Campaign) -> Room:
    """The campaign's room as the ledger says now; lock the campaign first to act on it."""
    in_flight, unknown = await BudgetRepository(uow.session).unsettled(campaign.id)
    return Room(
        budget=budget_tenths(campaign.budget or 0.0),
        spent=spent_tenths(campaign.cost or 0.0),
        in_flight=in_flight,
        unknown=unknown,
    )


def exhausted_error(campaign: Campaign, room: Room) -> ConflictError:
    """409 BUDGET_EXHAUSTED: raise the budget (PUT {"budget": ...}) first."""
    budget = room.budget / TENTHS_PER_STAR
    return ConflictError(
        "BUDGET_EXHAUSTED",
        f"The budget ({budget:g} Stars) cannot pay for the next paid message "
        f"({PAID_MESSAGE_STARS:g} Stars); {room.spent / TENTHS_PER_STAR:g} Stars are spent.",
        details=[{"field": "budget", "message": "raise the budget, then try again"}],
    )


async def require_room(uow: UnitOfWork, campaign: Campaign, *, paused: bool = False) -> None:
    """409 BUDGET_EXHAUSTED when a budgeted paid campaign with rows left to send (in a paused
    run, if `paused`) could not pay for the next message; nothing left to send never refuses."""
    if not is_budgeted(campaign):
        return
    room = await room_of(uow, campaign)
    if not room.exhausted:
        return
    if paused and not await BudgetRepository(uow.session).has_pending(campaign.id, paused=True):
        return
    raise exhausted_error(campaign, room)
