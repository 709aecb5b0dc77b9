"""Recipient interactions with campaigns (clicks, answers, conversions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, StrictFloat

from core.campaign_types.base import UpdateKind
from core.campaign_types.registry import policy_for
from core.context import Actor
from core.event_names import INTERACTION_EVENTS
from core.events import DomainEvent
from core.ids import format_id
from core.models import InteractionType
from core.uow import UnitOfWork
from storage.models import Campaign, Interaction
from storage.repositories.conversions import ConversionRepository
from storage.repositories.interaction_feed import STORED, FeedEntry, InteractionFeed
from storage.repositories.interactions import InteractionRepository
from storage.repositories.locks import lock_campaign
from storage.repositories.paging import Page


@dataclass(frozen=True)
class InteractionRecord:
    """One entry of a campaign's interactions as callers see it: a tracked click or conversion,
    or what the ledger says (sent, delivered, bounced); `metadata` keeps its stored keys."""

    id: str
    customer_id: str | None
    customer_name: str | None
    type: InteractionType
    occurred_at: datetime
    metadata: dict[str, Any]


def _record(entry: FeedEntry) -> InteractionRecord:
    metadata = dict(entry.details or {})
    if entry.delivery_id:
        metadata["deliveryId"] = format_id("delivery", entry.delivery_id)
    if entry.value is not None:
        metadata["value"] = entry.value
    # Ledger entries share their delivery's id, so the type tells them apart.
    public_id = (
        format_id("interaction", entry.row_id)
        if entry.source == STORED
        else f"{format_id('delivery', entry.row_id)}:{entry.type.value}"
    )
    return InteractionRecord(
        id=public_id,
        customer_id=format_id("subscriber", entry.subscriber_id) if entry.subscriber_id else None,
        customer_name=entry.customer_name,
        type=entry.type,
        occurred_at=entry.occurred_at,
        metadata=metadata,
    )


async def list_interactions(
    uow: UnitOfWork, campaign: Campaign, type_: InteractionType | None, skip: int, take: int
) -> Page[InteractionRecord]:
    """A page of a campaign's interactions, newest first: tracked ones and the ledger's
    SENT / DELIVERED / BOUNCED entries (test sends never count)."""
    page = await InteractionFeed(uow.session).page(campaign.id, type_, offset=skip, limit=take)
    return Page([_record(entry) for entry in page.items], page.total)


async def record_click(
    uow: UnitOfWork, delivery_id: int, button_index: int, telegram_id: int
) -> bool:
    """Count a press of a campaign message's callback button; False if it is not counted.

    Only the recipient of that delivery can click it (callback data can be forged, the
    sender cannot), and only if the campaign type's policy listens to clicks; repeated
    presses are stored but the campaign counts each recipient once. A type whose policy
    converts on clicks records the first one as a conversion too.
    """
    repo = InteractionRepository(uow.session)
    found = await repo.delivery_owner(delivery_id)
    if found is None:
        return False
    tenant_id, campaign_id, campaign_type, subscriber_id, owner_telegram_id = found
    policy = policy_for(campaign_type)
    if owner_telegram_id != telegram_id or UpdateKind.BUTTON_CLICK not in policy.listens_to:
        return False
    # A conditional UPDATE decides "first click" atomically, even for concurrent presses.
    first = await repo.mark_clicked(delivery_id, uow.clock())
    kinds = [InteractionType.CLICKED]
    converts = first and UpdateKind.BUTTON_CLICK in policy.converts_on
    if converts:
        kinds.append(InteractionType.CONVERTED)
    for kind in kinds:
        details = {"button": button_index}
        await repo.add(
            Interaction(
                tenant_id=tenant_id,
                campaign_id=campaign_id,
                delivery_id=delivery_id,
                subscriber_id=subscriber_id,
                type=kind,
                occurred_at=uow.clock(),
                details=details,
            )
        )
        uow.emit(
            DomainEvent(
                name=INTERACTION_EVENTS[kind],
                tenant_id=tenant_id,
                campaign_id=campaign_id,
                actor=f"telegram:{telegram_id}",
                subscriber_id=subscriber_id,
                occurred_at=uow.clock(),
                data={"deliveryId": delivery_id, "first": first, **details},
            )
        )
    if first:
        await repo.count_click(campaign_id, converted=converts)
    return True


# An opt-out this soon after a campaign's message is put down to that campaign.
OPT_OUT_WINDOW = timedelta(hours=72)


async def attribute_opt_out(uow: UnitOfWork, tenant_id: int, subscriber_id: int) -> int | None:
    """Record an UNSUBSCRIBED interaction on the campaign whose message the subscriber got
    last, within OPT_OUT_WINDOW; that campaign's id, or None when none was that recent."""
    now = uow.clock()
    repo = InteractionRepository(uow.session)
    found = await repo.last_delivered_to(subscriber_id, now - OPT_OUT_WINDOW)
    if found is None:
        return None
    delivery_id, campaign_id = found
    await repo.add(
        Interaction(
            tenant_id=tenant_id,
            campaign_id=campaign_id,
            delivery_id=delivery_id,
            subscriber_id=subscriber_id,
            type=InteractionType.UNSUBSCRIBED,
            occurred_at=now,
            details={"withinHours": int(OPT_OUT_WINDOW.total_seconds() // 3600)},
        )
    )
    return campaign_id


# The event name of a reported conversion (POST /api/v1/events), and the rule of its value:
# a finite amount, never negative, at most a trillion (JSON numbers only, no strings).
CONVERSION_EVENT = "conversion"
MAX_CONVERSION_VALUE = 1e12
ConversionValue = Annotated[StrictFloat, Field(ge=0, le=MAX_CONVERSION_VALUE, allow_inf_nan=False)]
# A conversion that names neither campaign nor delivery is put down to the newest campaign
# message the subscriber got this recently (last touch), or to none.
CONVERSION_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Attribution:
    """What a reported conversion names to attribute it: a campaign, a delivery, or neither."""

    campaign_id: int | None = None
    delivery_id: int | None = None


@dataclass(frozen=True)
class Conversion:
    """A recorded conversion: the interaction, where it was put down, and what it counted."""

    interaction_id: int
    campaign_id: int
    delivery_id: int
    first: bool  # the recipient's first conversion on the campaign (counted once)
    value: float


async def _attribute(
    uow: UnitOfWork, tenant_id: int, subscriber_id: int, named: Attribution
) -> tuple[int, int] | None:
    """(campaign id, delivery id) the conversion belongs to, or None."""
    repo = ConversionRepository(uow.session)
    if named.delivery_id is not None:
        found = await repo.delivery(tenant_id, named.delivery_id)
        if found is None or found[1] != subscriber_id:
            return None
        if named.campaign_id is not None and found[0] != named.campaign_id:
            return None
        return found[0], named.delivery_id
    if named.campaign_id is not None:
        delivery_id = await repo.latest_delivery(tenant_id, named.campaign_id, subscriber_id)
        return None if delivery_id is None else (named.campaign_id, delivery_id)
    since = uow.clock() - CONVERSION_WINDOW
    last = await InteractionRepository(uow.session).last_delivered_to(subscriber_id, since)
    return None if last is None else (last[1], last[0])


async def record_conversion(
    uow: UnitOfWork,
    actor: Actor,
    subscriber_id: int,
    named: Attribution,
    value: float,
    occurred_at: datetime,
) -> Conversion | None:
    """Record a CONVERTED interaction with its value on the campaign whose message the
    subscriber got (its latest delivery of that campaign); the campaign counts the recipient
    once and adds the value to its revenue every time. None when nothing it names is the
    subscriber's (or, naming nothing, no campaign message reached them lately)."""
    target = await _attribute(uow, actor.tenant_id, subscriber_id, named)
    if target is None:
        return None
    campaign_id, delivery_id = target
    # The campaign's lock makes "first conversion" one decision, even for concurrent reports.
    await lock_campaign(uow.session, campaign_id)
    repo = ConversionRepository(uow.session)
    first = not await repo.has_converted(campaign_id, subscriber_id)
    interaction = Interaction(
        tenant_id=actor.tenant_id,
        campaign_id=campaign_id,
        delivery_id=delivery_id,
        subscriber_id=subscriber_id,
        type=InteractionType.CONVERTED,
        value=value,
        occurred_at=occurred_at,
        details={"source": "event"},
    )
    await InteractionRepository(uow.session).add(interaction)
    await repo.count(campaign_id, value, first=first)
    uow.emit(
        DomainEvent(
            name=INTERACTION_EVENTS[InteractionType.CONVERTED],
            tenant_id=actor.tenant_id,
            campaign_id=campaign_id,
            actor=actor.label,
            subscriber_id=subscriber_id,
            occurred_at=uow.clock(),
            data={"deliveryId": delivery_id, "first": first, "via": "event", "value": value},
        )
    )
    return Conversion(interaction.id, campaign_id, delivery_id, first, value)
