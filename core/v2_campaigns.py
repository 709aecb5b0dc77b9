"""The v2 Campaign API's rules: campaigns sent to named Telegram accounts, each with its own
positional params, one stable message key per recipient, one resend of a failed message.

Every message text of v2-campaign-api.md's rule table is reproduced exactly (the constants
below); the rest are this service's own, in the same style.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.campaign_commands import perform
from core.campaign_types.bot_api import METHODS, description_problem
from core.campaigns import record, refresh_target_count
from core.context import Actor
from core.errors import IllegalTransition, NotFoundError, ValidationFailed
from core.executions import RunPlan, launch
from core.ids import try_parse_id
from core.lifecycle import Action, DeliveryStatus, Status, transition
from core.models import CampaignType, ScheduleRequest
from core.positional import variable_count
from core.recipients import resolve_accounts
from core.uow import UnitOfWork
from storage.audience import AudienceSpec
from storage.models import Campaign, CampaignRecipient
from storage.models_scheduling import Template
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.recipients import RecipientRepository, RecipientState
from storage.repositories.templates import TemplateRepository

# The rule table of v2-campaign-api.md, word for word.
AT_LEAST_TWO_CLIENTS = "invalid request: at least 2 clients required"
TEMPLATE_NOT_FOUND = "invalid request: template not found"
JSON_OR_TEMPLATE = "invalid request: JSON or TempMsgID required"
NOT_ENOUGH_PARAMS = "invalid request: not enough params for variables in JSON"
EACH_CLIENT_PARAMS = "invalid request: each client must have params for all template variables"
ONLY_SCHEDULED = "only scheduled campaigns can be updated (name and SendAt fields only)"
# This service's own.
NAME_REQUIRED = "invalid request: name is required"
NAME_TOO_LONG = "invalid request: name is at most 200 characters"
JSON_NOT_JSON = "invalid request: JSON is not valid JSON"
SEND_AT_FORMAT = (
    "invalid request: SendAt must be an ISO 8601 time with a zone, e.g. 2025-03-03T14:32:25+03:00"
)
SEND_AT_PAST = "invalid request: SendAt is in the past"
CAMPAIGN_NOT_FOUND = "campaign not found"
MESSAGE_NOT_FOUND = "message not found"
MESSAGE_KEY_REQUIRED = "invalid request: messageKey is required"
ALREADY_RESENT = "message was already resent once"
RESULT_SIZE = "invalid request: resultSize must be a positive integer"
CAMPAIGN_ID = "invalid request: campaignID must be a positive integer"
MAX_NAME = 200
# Nobody resolved: an audience of Telegram id 0, which no user has (never the whole audience).
NOBODY = 0
ENDED = frozenset({Status.COMPLETED, Status.CANCELLED, Status.FAILED})


def invalid(message: str) -> ValidationFailed:
    """A 400 whose message is exactly `message`."""
    return ValidationFailed(message, code="INVALID_REQUEST")


@dataclass(frozen=True)
class Client:
    """One `Clients[]` entry."""

    account_id: str
    params: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NewCampaign:
    """CreateCampaignRequest, Go zero values for what was not sent."""

    name: str = ""
    message: str = ""
    clients: list[Client] = field(default_factory=list)
    json: str = ""
    temp_msg_id: str = ""
    send_at: str = ""


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


def parse_send_at(raw: str, now: datetime) -> datetime | None:
    """SendAt as an aware time in the future; None when not given."""
    if not raw.strip():
        return None
    try:
        at = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise invalid(SEND_AT_FORMAT) from None
    if at.tzinfo is None:
        raise invalid(SEND_AT_FORMAT)
    if at <= now:
        raise invalid(SEND_AT_PAST)
    return at


def _description(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        raise invalid(JSON_NOT_JSON) from None
    if not isinstance(value, dict):
        raise invalid(f"invalid request: {description_problem(value, None)}")
    return value


def _from_template(template: Template) -> dict[str, Any]:
    """A template without JSON as a call: its media (as v1 sends it) or a text message."""
    media = template.media or {}
    method = f"send{str(media.get('type', '')).capitalize()}"
    if method in METHODS and METHODS[method].media_field:
        call: dict[str, Any] = {"method": method}
        call[str(METHODS[method].media_field)] = media.get("url") or media.get("fileId") or ""
    else:
        call = {"method": "sendMessage"}
    if template.parse_mode:
        call["parse_mode"] = template.parse_mode
    return call


async def _template(uow: UnitOfWork, tenant_id: int, ref: str) -> Template | None:
    ref = ref.strip()
    template_id = int(ref) if ref.isdigit() else try_parse_id("template", ref)
    if template_id is None or template_id > 2**63 - 1:
        return None
    return await TemplateRepository(uow.session).get(tenant_id, template_id)


def _template_json(template: Template | None) -> str:
    return json.dumps(template.json) if template is not None and template.json else ""


async def check_new(
    uow: UnitOfWork, actor: Actor, data: NewCampaign
) -> tuple[Template | None, dict[str, Any], str]:
    """The table's rules in its order, then this service's; (template, call, BODY)."""
    if len(data.clients) < 2:
        raise invalid(AT_LEAST_TWO_CLIENTS)
    template = None
    if data.temp_msg_id.strip():
        template = await _template(uow, actor.tenant_id, data.temp_msg_id)
        if template is None:
            raise invalid(TEMPLATE_NOT_FOUND)
    if not data.json.strip() and template is None:
        raise invalid(JSON_OR_TEMPLATE)
    raw_json = data.json if data.json.strip() else _template_json(template)
    if len(data.clients[0].params) < variable_count(raw_json):
        raise invalid(NOT_ENOUGH_PARAMS)
    if template is not None:
        needed = variable_count(template.content, _template_json(template))
        if any(len(client.params) < needed for client in data.clients):
            raise invalid(EACH_CLIENT_PARAMS)
    name = data.name.strip()
    if not name:
        raise invalid(NAME_REQUIRED)
    if len(name) > MAX_NAME:
        raise invalid(NAME_TOO_LONG)
    if raw_json:
        call = _description(raw_json)
    else:
        assert template is not None  # JSON_OR_TEMPLATE above
        call = _from_template(template)
    body = data.message if data.message.strip() else (template.content if template else None)
    problem = description_problem(call, body)
    if problem:
        raise invalid(f"invalid request: {problem}")
    return template, call, body or ""


def _stored_message(
    call: dict[str, Any], body: str, template: Template | None, params: dict[str, list[str]]
) -> dict[str, Any]:
    """messages[0]: the call and everyone's params, plus content/media as v1 readers see it."""
    method = METHODS[call["method"]]
    text = call.get(method.text_field, body)
    message: dict[str, Any] = {
        "content": text or None, "body": body, "botApi": call, "params": params,
    }  # fmt: skip
    media = call.get(method.media_field) if method.media_field else None
    if isinstance(media, str) and media:
        kind = method.media_field
        message["media"] = {"type": kind, "url" if "://" in media else "fileId": media}
    if call.get("parse_mode"):
        message["parseMode"] = call["parse_mode"]
    if template is not None:
        message["templateId"] = f"tmpl_{template.id}"
    return message


def _new_key() -> str:
    return secrets.token_hex(15).upper()


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
        messages=[_stored_message(call, body, template, params)],
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
                "message_key": _new_key(),
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
    templates = TemplateRepository(uow.session)
    views = []
    for campaign in campaigns:
        first = (campaign.messages or [{}])[0]
        template_name = ""
        template_id = try_parse_id("template", str(first.get("templateId") or ""))
        if template_id is not None:
            template = await templates.get(campaign.tenant_id, template_id)
            template_name = template.name if template else ""
        views.append(CampaignView(campaign, by_campaign[campaign.id], template_name))
    return views


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
        if len(name.strip()) > MAX_NAME:
            raise invalid(NAME_TOO_LONG)
        transition(campaign.status, Action.EDIT)
        campaign.name = name.strip()
        campaign.updated_at = uow.clock()
    if at is not None:
        await perform(uow, actor, campaign, Action.SCHEDULE, ScheduleRequest(scheduled_at=at))
    await uow.flush()
    return await view(uow, campaign)


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
