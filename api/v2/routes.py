"""The v2 Campaign API routes: parse as Go did, call the core's v2 services, answer in Go names."""

from __future__ import annotations

import json

from aiohttp import web

from api.envelope import iso, json_response
from api.keys import actor_of, uow_of
from api.registry import ApiRouter
from api.v2.decode import decode, read_object
from api.v2.dialect import V2ErrorResponse
from api.v2.keys import TELEGRAM_CHECK
from api.v2.schemas import (
    V2CampaignList,
    V2CampaignMessage,
    V2CampaignMessages,
    V2CampaignResponse,
    V2ClientOut,
    V2CreateCampaignRequest,
    V2DeleteCampaignRequest,
    V2GetAllQuery,
    V2GetCampMsgsQuery,
    V2ResendCampaignMessageRequest,
    V2ResendResponse,
    V2UpdateCampaignRequest,
)
from core import v2_campaigns as service
from core.telegram_check import TelegramUnavailable
from core.v2_campaigns import CampaignView, MessageState
from core.v2_resend import resend
from core.v2_rules import CAMPAIGN_ID, RESULT_SIZE, Client, NewCampaign, invalid

router = ApiRouter(tag="v2 Campaigns", error_model=V2ErrorResponse)
BASE = "/v2/campaign"
INT_MAX = 2**63 - 1


def campaign_out(view: CampaignView) -> V2CampaignResponse:
    """A campaign with the Go field names."""
    campaign = view.campaign
    first = (campaign.messages or [{}])[0]
    call = first.get("botApi")
    template_ref = str(first.get("templateId") or "")
    sent = view.count("sent")
    clients = [V2ClientOut(AccountID=m.recipient.account_id, Params=m.recipient.params)
               for m in view.messages]  # fmt: skip
    return V2CampaignResponse(
        ID=campaign.id, Name=campaign.name, TemplateName=view.template_name, Lang="",
        CreatedAt=iso(campaign.created_at) or "", UpdatedAt=iso(campaign.updated_at) or "",
        SendAt=iso(campaign.scheduled_at) or "", Status=campaign.status, AgentID=0,
        Message=first.get("body") or "", JSON=json.dumps(call) if call else "",
        SentCount=sent, DeliveredCount=sent, FailedCount=view.count("failed", "unknown"),
        Total=len(view.messages), Clients=clients, CompanyID=campaign.tenant_id,
        ReportHeaders=None, TempMsgID=template_ref.removeprefix("tmpl_"), Error="", SocketKey="",
    )  # fmt: skip


def message_out(state: MessageState) -> V2CampaignMessage:
    """One recipient's message with the Go field names."""
    recipient = state.recipient
    return V2CampaignMessage(
        MessageKey=recipient.message_key, CampaignID=recipient.campaign_id,
        AccountID=recipient.account_id, Params=recipient.params, Status=state.status,
        Error=state.error, TelegramMessageID=state.message_id or 0,
        SentAt=(iso(state.processed_at) or "") if state.status == "sent" else "",
        Resent=recipient.resent_at is not None,
    )  # fmt: skip


def answer(
    model: V2CampaignResponse | V2CampaignList | V2CampaignMessages | V2ResendResponse,
) -> web.Response:
    """The struct as JSON, field names verbatim."""
    return json_response(model.model_dump(mode="json"))


async def ask_telegram(request: web.Request) -> None:
    """A 502 before anything is stored when Telegram refuses the bot (if the process has one)."""
    check = request.app.get(TELEGRAM_CHECK)
    if check is None:
        return
    try:
        await check.ensure()
    except TelegramUnavailable as exc:
        raise web.HTTPBadGateway(reason=" ".join(exc.message.split())[:200]) from None


def _positive(raw: str | None, name: str, message: str, *, required: bool = False) -> int | None:
    if raw is None or raw == "":
        if required:
            raise invalid(f"invalid request: {name} is required")
        return None
    if not raw.isascii() or not raw.isdigit() or not raw.strip("0"):
        raise invalid(message)
    # Beyond any id or count: the largest one (and int() is spared thousands of digits).
    return INT_MAX if len(raw.lstrip("0")) > 18 else min(int(raw), INT_MAX)


@router.route(
    "POST", BASE + "/create", summary="Create a campaign (sent now, or at SendAt)",
    body=V2CreateCampaignRequest, response=V2CampaignResponse, errors=(400, 401, 502),
)  # fmt: skip
async def v2_create_campaign(request: web.Request) -> web.Response:
    """Clients are Telegram user ids, @usernames or shared +phone numbers; an account that
    cannot be resolved becomes a failed message. TempMsgID is a template id (5 or tmpl_5)."""
    body = decode(V2CreateCampaignRequest, await read_object(request))
    await ask_telegram(request)
    data = NewCampaign(
        name=body.Name, message=body.Message, json=body.JSON, temp_msg_id=body.TempMsgID,
        send_at=body.SendAt,
        clients=[Client(c.AccountID, list(c.Params)) for c in body.Clients],
    )  # fmt: skip
    view = await service.create(uow_of(request), actor_of(request), data)
    return answer(campaign_out(view))


@router.route(
    "DELETE", BASE + "/delete", summary="Delete a campaign (cancelled first if it runs)",
    body=V2DeleteCampaignRequest, response=V2CampaignResponse, errors=(400, 401, 404),
)  # fmt: skip
async def v2_delete_campaign(request: web.Request) -> web.Response:
    """Answered with the campaign as it was last."""
    body = decode(V2DeleteCampaignRequest, await read_object(request))
    view = await service.delete(uow_of(request), actor_of(request), body.ID)
    return answer(campaign_out(view))


@router.route(
    "GET", BASE + "/getAll", summary="List the v2 campaigns, newest first",
    query=V2GetAllQuery, response=V2CampaignList, errors=(400, 401),
)  # fmt: skip
async def v2_get_all_campaigns(request: web.Request) -> web.Response:
    """All of them, or the newest resultSize."""
    limit = _positive(request.query.get("resultSize"), "resultSize", RESULT_SIZE)
    views = await service.list_all(uow_of(request), actor_of(request), limit)
    return answer(V2CampaignList(Campaigns=[campaign_out(v) for v in views], Total=len(views)))


@router.route(
    "GET", BASE + "/getCampMsgs", summary="One message per recipient, with its stable key",
    query=V2GetCampMsgsQuery, response=V2CampaignMessages, errors=(400, 401, 404),
)  # fmt: skip
async def v2_get_campaign_messages(request: web.Request) -> web.Response:
    """In Clients[] order: status, error, Telegram's message id."""
    campaign_id = _positive(
        request.query.get("campaignID"), "campaignID", CAMPAIGN_ID, required=True
    )
    assert campaign_id is not None
    limit = _positive(request.query.get("resultSize"), "resultSize", RESULT_SIZE)
    states = await service.messages(uow_of(request), actor_of(request), campaign_id, limit)
    return answer(V2CampaignMessages(Messages=[message_out(s) for s in states], Total=len(states)))


@router.route(
    "POST", BASE + "/resendMsg", summary="Resend a failed (or unknown) message, once",
    body=V2ResendCampaignMessageRequest, response=V2ResendResponse, errors=(400, 401, 404, 502),
)  # fmt: skip
async def v2_resend_message(request: web.Request) -> web.Response:
    """Sent in a run of its own; a message that was sent, or resent already, is refused."""
    body = decode(V2ResendCampaignMessageRequest, await read_object(request))
    await ask_telegram(request)
    state = await resend(uow_of(request), actor_of(request), body.MessageKey)
    return answer(
        V2ResendResponse(
            MessageKey=state.recipient.message_key, Status=state.status, Message="resend queued"
        )
    )


@router.route(
    "PUT", BASE + "/update", summary="Rename or reschedule a scheduled campaign",
    body=V2UpdateCampaignRequest, response=V2CampaignResponse, errors=(400, 401, 404),
)  # fmt: skip
async def v2_update_campaign(request: web.Request) -> web.Response:
    """Only Name and SendAt, only while scheduled; anything else is refused, never ignored."""
    data = await read_object(request)
    body = decode(V2UpdateCampaignRequest, data)
    allowed = {name.lower() for name in V2UpdateCampaignRequest.model_fields}
    others = any(key.lower() not in allowed for key in data)
    view = await service.update(
        uow_of(request), actor_of(request), body.ID, body.Name, body.SendAt, other_fields=others
    )
    return answer(campaign_out(view))
