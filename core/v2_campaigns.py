"""The v2 Campaign API's campaigns: sent to named Telegram accounts, each with its own
positional params and one stable message key; listed, updated and deleted as that API says.

The rules a new campaign must pass live in core.v2_rules; resending in core.v2_resend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.campaign_commands import perform
from core.campaigns import record, refresh_target_count, update_campaign
from core.context import Actor
from core.errors import IllegalTransition, NotFoundError
from core.ids import try_parse_id
from core.lifecycle import Action, DeliveryStatus, Status
from core.models import CampaignType, CampaignUpdate, ScheduleRequest
from core.recipients import resolve_accounts
from core.uow import UnitOfWork
from core.v2_rules import (
    CAMPAIGN_NOT_FOUND,
    ONLY_SCHEDULED,
    NewCampaign,
    check_new,
    checked_name,
    invalid,
    new_key,
    parse_send_at,
    stored_message,
)
from storage.models import Campaign, CampaignRecipient
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.recipients import RecipientRepository, RecipientState
from storage.repositories.templates import TemplateRepository

# Nobody resolved: an audience of Telegram id 0, which no user has (never the whole audience).
NOBODY = 0

ENDED = frozenset({Status.COMPLETED, Status.CANCELLED, Status.FAILED})


@dataclass(frozen=True)
class MessageState:
    """What a recipient's message is now."""

    recipient: CampaignRecipient
    status: str
    error: str
    message_id: int | None
    processed_at: datetime | None


@dataclass(frozen=True)
class CampaignView:
    """A v2 campaign with its recipients' messages and its template's name."""

    campaign: Campaign
    messages: list[MessageState]
    template_name: str = ""

    def count(self, *statuses: str) -> int:
        """Messages in any of `statuses`."""
        return sum(1 for m in self.messages if m.status in statuses)


async def create(uow: UnitOfWork, actor: Actor, data: NewCampaign) -> CampaignView:
    """Validate, store the campaign and its recipients, then send now or schedule."""
    template, call, body = await check_new(uow, actor, data)
    send_at = parse_send_at(data.send_at, uow.clock())
    accounts = [client.account_id for client in data.clients]
    resolved = await resolve_accounts(uow, actor.tenant_id, accounts)
    params = {
        str(r.found.telegram_id): list(c.params)
        for r, c in zip(resolved, data.clients, strict=True)
        if r.found is not None
    }
    telegram_ids = sorted(int(t) for t in params) or [NOBODY]
    campaign = Campaign(
        tenant_id=actor.tenant_id,
        name=data.name.strip(),
        type=CampaignType.BOT_API.value,
        status=Status.DRAFT.value,
        created_by=actor.label,
        messages=[stored_message(call, body, template, params)],
        target_audience={
            "filters": {"all": [{"field": "telegramId", "op": "in", "value": telegram_ids}]}
        },
    )
    await CampaignRepository(uow.session).add(campaign)
    await record(uow, campaign, actor, "campaign.created", "create", None)
    await refresh_target_count(uow, campaign)
    await RecipientRepository(uow.session).add_many(
        [
            {
                "campaign_id": campaign.id,
                "position": position,
                "tenant_id": actor.tenant_id,
                "account_id": client.account_id[:128],
                "params": list(client.params),
                "message_key": new_key(),
                "subscriber_id": r.found.id if r.found else None,
                "error": (r.error or "")[:255] or None,
                "created_at": uow.clock(),
            }
            for position, (client, r) in enumerate(zip(data.clients, resolved, strict=True))
        ]
    )
    if send_at is not None:
        await perform(uow, actor, campaign, Action.SCHEDULE, ScheduleRequest(scheduled_at=send_at))
    else:
        await perform(uow, actor, campaign, Action.EXECUTE)
    return await view(uow, campaign)


def _state(campaign: Campaign, row: RecipientState) -> MessageState:
    recipient = row.recipient
    if recipient.error:
        return MessageState(recipient, DeliveryStatus.FAILED, recipient.error, None, None)
    if row.status is None:
        status, error = "pending", ""
        if campaign.status in (Status.DRAFT, Status.SCHEDULED):
            status = "scheduled"
        elif campaign.status == Status.CANCELLED:
            status, error = DeliveryStatus.SKIPPED, "not sent: the campaign was cancelled"
        elif campaign.status in ENDED:
            status = DeliveryStatus.FAILED
            error = "not sent: the subscriber was no longer active when the campaign ran"
        return MessageState(recipient, status, error, None, None)
    error = ": ".join(part for part in (row.error_code, row.error_detail) if part)
    if row.status == DeliveryStatus.SENT:
        error = ""
    return MessageState(recipient, row.status, error, row.message_id, row.processed_at)


async def _views(
    uow: UnitOfWork, campaigns: list[Campaign], limit: int | None = None
) -> list[CampaignView]:
    rows = await RecipientRepository(uow.session).states([c.id for c in campaigns], limit)
    by_campaign: dict[int, list[MessageState]] = {c.id: [] for c in campaigns}
    named = {c.id: c for c in campaigns}
    for row in rows:
        by_campaign[row.recipient.campaign_id].append(_state(named[row.recipient.campaign_id], row))
    template_of = {
        c.id: try_parse_id("template", str((c.messages or [{}])[0].get("templateId") or ""))
        for c in campaigns
    }
    # One tenant's campaigns (get and list_all are tenant-scoped): their names in one query.
    names: dict[int, str] = {}
    if campaigns:
        wanted = (t for t in template_of.values() if t is not None)
        names = await TemplateRepository(uow.session).names(campaigns[0].tenant_id, wanted)
    return [
        CampaignView(c, by_campaign[c.id], names.get(template_of[c.id] or 0, "")) for c in campaigns
    ]


async def view(uow: UnitOfWork, campaign: Campaign) -> CampaignView:
    """One campaign as the v2 API shows it."""
    return (await _views(uow, [campaign]))[0]


async def get(uow: UnitOfWork, actor: Actor, campaign_id: int, *, lock: bool = False) -> Campaign:
    """The tenant's v2 campaign, or 404 `campaign not found`."""
    campaign = await CampaignRepository(uow.session).get(actor.tenant_id, campaign_id, lock=lock)
    if campaign is None or campaign.type != CampaignType.BOT_API:
        raise NotFoundError("CAMPAIGN_NOT_FOUND", CAMPAIGN_NOT_FOUND)
    return campaign


async def list_all(uow: UnitOfWork, actor: Actor, limit: int | None) -> list[CampaignView]:
    """The tenant's v2 campaigns, newest first, at most `limit`."""
    campaigns = await RecipientRepository(uow.session).campaigns(actor.tenant_id, limit)
    return await _views(uow, campaigns)


async def messages(
    uow: UnitOfWork, actor: Actor, campaign_id: int, limit: int | None
) -> list[MessageState]:
    """A campaign's messages in Clients[] order, at most `limit`."""
    campaign = await get(uow, actor, campaign_id)
    return (await _views(uow, [campaign], limit))[0].messages


async def delete(uow: UnitOfWork, actor: Actor, campaign_id: int) -> CampaignView:
    """Stop a scheduled or running campaign, then delete it; answered as it was last."""
    campaign = await get(uow, actor, campaign_id, lock=True)
    try:
        if campaign.status in (Status.SCHEDULED, Status.ACTIVE, Status.PAUSED):
            await perform(uow, actor, campaign, Action.CANCEL)
        shown = await view(uow, campaign)
        await perform(uow, actor, campaign, Action.DELETE)
    except IllegalTransition:
        raise invalid(f"a {campaign.status} campaign cannot be deleted") from None
    return shown


async def update(
    uow: UnitOfWork, actor: Actor, campaign_id: int, name: str, send_at: str, *, other_fields: bool
) -> CampaignView:
    """Rename or reschedule a scheduled campaign; anything else is ONLY_SCHEDULED."""
    campaign = await get(uow, actor, campaign_id, lock=True)
    if campaign.status != Status.SCHEDULED or other_fields:
        raise invalid(ONLY_SCHEDULED)
    at = parse_send_at(send_at, uow.clock())
    if name.strip():
        await update_campaign(uow, actor, campaign, CampaignUpdate(name=checked_name(name)))
    if at is not None:
        await perform(uow, actor, campaign, Action.SCHEDULE, ScheduleRequest(scheduled_at=at))
    await uow.flush()
    return await view(uow, campaign)
