"""Resending one failed v2 message by its MessageKey: once, in a run of its own."""

from __future__ import annotations

from core.context import Actor
from core.errors import IllegalTransition, NotFoundError
from core.executions import RunPlan, launch
from core.lifecycle import Action, DeliveryStatus, transition
from core.recipients import resolve_accounts
from core.uow import UnitOfWork
from core.v2_campaigns import MessageState, get, view
from core.v2_rules import ALREADY_RESENT, MESSAGE_KEY_REQUIRED, MESSAGE_NOT_FOUND, invalid
from storage.audience import AudienceSpec
from storage.models import CampaignRecipient
from storage.repositories.recipients import RecipientRepository


async def _reresolve(uow: UnitOfWork, actor: Actor, recipient: CampaignRecipient) -> None:
    """An account that did not resolve at creation may now (e.g. the phone was shared)."""
    if recipient.error and recipient.error.startswith("same Telegram user"):
        raise invalid(f"cannot resend: {recipient.error}")
    (resolution,) = await resolve_accounts(uow, actor.tenant_id, [recipient.account_id])
    if resolution.found is None:
        raise invalid(f"cannot resend: {resolution.error}")
    rows = await RecipientRepository(uow.session).states([recipient.campaign_id])
    if any(r.recipient.subscriber_id == resolution.found.id for r in rows):
        raise invalid("cannot resend: another client of this campaign is the same Telegram user")
    recipient.subscriber_id = resolution.found.id
    recipient.error = None


async def resend(uow: UnitOfWork, actor: Actor, message_key: str) -> MessageState:
    """Send a failed or unknown message once more, in a run of its own (never twice)."""
    if not message_key.strip():
        raise invalid(MESSAGE_KEY_REQUIRED)
    repo = RecipientRepository(uow.session)
    recipient = await repo.by_key(actor.tenant_id, message_key.strip().upper())
    if recipient is None:
        raise NotFoundError("MESSAGE_NOT_FOUND", MESSAGE_NOT_FOUND)
    campaign = await get(uow, actor, recipient.campaign_id, lock=True)
    state = next(m for m in (await view(uow, campaign)).messages if m.recipient is recipient)
    if recipient.resent_at is not None:
        raise invalid(ALREADY_RESENT)
    if state.status not in (DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN):
        raise invalid(f"only failed or unknown messages can be resent; this one is {state.status}")
    try:
        transition(campaign.status, Action.RESEND)
    except IllegalTransition:
        raise invalid(f"messages of a {campaign.status} campaign cannot be resent") from None
    if recipient.error:
        await _reresolve(uow, actor, recipient)
    assert recipient.subscriber_id is not None
    found = await _telegram_id(uow, actor, recipient)
    first = dict((campaign.messages or [{}])[0])
    first["params"] = {str(found): list(recipient.params)}
    plan = RunPlan(
        spec=AudienceSpec(tenant_id=actor.tenant_id, subscriber_ids=(recipient.subscriber_id,)),
        trigger="manual",
        messages=[first],
    )
    execution = await launch(uow, actor, campaign, plan)
    if execution.total == 0:
        raise invalid("cannot resend: the subscriber is no longer active")
    campaign.executions_total += 1
    await repo.mark_resent(recipient, uow.clock())
    return MessageState(recipient, DeliveryStatus.PENDING, "", None, None)


async def _telegram_id(uow: UnitOfWork, actor: Actor, recipient: CampaignRecipient) -> int:
    (resolution,) = await resolve_accounts(uow, actor.tenant_id, [recipient.account_id])
    if resolution.found is None or resolution.found.id != recipient.subscriber_id:
        raise invalid(f"cannot resend: {resolution.error or 'the account now names someone else'}")
    return resolution.found.telegram_id
