"""Cloning a campaign: a new draft with the source's content."""

from __future__ import annotations

from core.campaigns import record
from core.context import Actor
from core.lifecycle import Action, Status, transition
from core.models import CloneOptions
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.campaigns import CampaignRepository

COPIED_FIELDS = (
    "description",
    "type",
    "goals",
    "target_audience",
    "strategy",
    "messages",
    "workflow",
    "budget",
    "start_date",
    "end_date",
    "timezone",
    "allow_paid_broadcast",
    "settings",
)
COUNTERS = (
    "target_count",
    "sent_count",
    "failed_count",
    "clicked_count",
    "converted_count",
    "revenue",
    "cost",
    "executions_total",
    "executions_completed",
    "executions_failed",
)


async def clone_campaign(
    uow: UnitOfWork, actor: Actor, source: Campaign, options: CloneOptions
) -> Campaign:
    """A new draft with the source's content; counters copied only if asked."""
    transition(source.status, Action.CLONE)
    copy = Campaign(
        tenant_id=actor.tenant_id,
        name=options.name or f"{source.name} (Copy)"[:200],
        status=Status.DRAFT.value,
        created_by=actor.label,
        **{name: getattr(source, name) for name in COPIED_FIELDS},
    )
    if not options.reset_statistics:
        for name in COUNTERS:
            setattr(copy, name, getattr(source, name))
    await CampaignRepository(uow.session).add(copy)
    await record(
        uow, copy, actor, "campaign.created", "clone", None, details={"clonedFrom": source.id}
    )
    return copy
