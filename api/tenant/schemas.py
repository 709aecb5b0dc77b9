"""The tenant API's JSON: one model per resource, rendered from core's objects."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.campaign_schemas import InteractionOut, InteractionsMeta
from api.schemas import Out, UtcTime, omitted_when_none
from core.campaign_actions import ActionResult
from core.ids import format_id
from core.tenant_campaigns import TenantCampaign, attempted, tenant_ref
from core.tenant_inputs import TenantKind, TenantStatus
from core.tenant_stats import TenantStats
from storage.models import Campaign

TELEGRAM: list[Literal["TELEGRAM"]] = ["TELEGRAM"]
# Recurrence patterns the tenant API's `schedule.frequency` can say.
SAYABLE = ("daily", "weekly", "monthly")


def _status(campaign: Campaign) -> TenantStatus:
    return TenantStatus(campaign.status.upper())


def _segment(campaign: Campaign) -> str | None:
    segments = (campaign.target_audience or {}).get("segments") or []
    return str(segments[0]) if segments else None


def _template(campaign: Campaign) -> str | None:
    return next((m["templateId"] for m in campaign.messages or [] if m.get("templateId")), None)


class RecurringOut(Out):
    """`schedule` of a RECURRING campaign, as it was given."""

    frequency: str
    day_of_week: int | None = omitted_when_none()
    day_of_month: int | None = omitted_when_none()
    time: str
    timezone: str


class TenantCampaignSummary(Out):
    """A campaign in the list."""

    id: str
    club_id: str | None
    name: str
    type: TenantKind
    status: TenantStatus
    channels: list[Literal["TELEGRAM"]] = Field(default_factory=lambda: list(TELEGRAM))
    segment_id: str | None
    scheduled_at: UtcTime | None
    target_count: int
    sent_count: int
    open_rate: None = None  # Telegram tells bots nothing of reads
    created_at: UtcTime


class TenantCampaignOut(TenantCampaignSummary):
    """One campaign (GET, POST, PATCH)."""

    tenant_id: str
    description: str | None
    segment_name: str | None
    template_id: str | None
    email_template_id: None = None
    sms_template_id: None = None
    timezone: str | None
    delivered_count: int
    opened_count: None = None
    clicked_count: int
    schedule: RecurringOut | None = omitted_when_none()
    trigger_event: str | None = omitted_when_none()
    trigger_conditions: dict[str, Any] | None = omitted_when_none()
    created_by: str | None
    updated_at: UtcTime


class TenantCampaignList(Out):
    """`{"data": [...]}`, with the paging this service adds."""

    data: list[TenantCampaignSummary]
    meta: InteractionsMeta


def _standing(shown: TenantCampaign) -> dict[str, Any]:
    schedule = shown.schedule
    if schedule is None:
        return {}
    if shown.kind is TenantKind.TRIGGERED:
        triggers = schedule.schedule.get("triggers") or [{}]
        conditions = dict(triggers[0].get("conditions") or {})
        event = conditions.pop("event", None)
        return {"trigger_event": event, "trigger_conditions": conditions}
    block = schedule.schedule.get("recurring") or {}
    if block.get("pattern") not in SAYABLE or "timeOfDay" not in block:
        return {}  # a rule made through /api/v1 (custom intervals) this API has no words for
    days, dates = block.get("daysOfWeek"), block.get("daysOfMonth")
    return {
        "schedule": RecurringOut(
            frequency=block["pattern"],
            day_of_week=days[0] if days else None,
            day_of_month=dates[0] if dates else None,
            time=block["timeOfDay"],
            timezone=block.get("timezone", "UTC"),
        )
    }


def summary_out(shown: TenantCampaign) -> TenantCampaignSummary:
    """The list entry of a campaign."""
    c = shown.campaign
    return TenantCampaignSummary(
        id=format_id("campaign", c.id),
        club_id=c.club_id,
        name=c.name,
        type=shown.kind,
        status=_status(c),
        segment_id=_segment(c),
        scheduled_at=c.scheduled_at,
        target_count=c.target_count,
        sent_count=attempted(c),
        created_at=c.created_at,
    )


def campaign_out(shown: TenantCampaign) -> TenantCampaignOut:
    """A campaign with every field that API shows."""
    c = shown.campaign
    return TenantCampaignOut(
        **summary_out(shown).model_dump(),
        tenant_id=tenant_ref(c.tenant_id),
        description=c.description,
        segment_name=shown.segment_name,
        template_id=_template(c),
        timezone=c.timezone,
        delivered_count=c.sent_count,
        clicked_count=c.clicked_count,
        created_by=c.created_by,
        updated_at=c.updated_at,
        **_standing(shown),
    )


class TenantActionOut(Out):
    """What a move answers: the status and the figure or time that move is about."""

    id: str
    status: TenantStatus
    scheduled_at: UtcTime | None = omitted_when_none()
    started_at: UtcTime | None = omitted_when_none()
    paused_at: UtcTime | None = omitted_when_none()
    resumed_at: UtcTime | None = omitted_when_none()
    cancelled_at: UtcTime | None = omitted_when_none()
    target_count: int | None = omitted_when_none()
    sent_count: int | None = omitted_when_none()


# Which of TenantActionOut's optional fields each move fills: (its time field, its count field).
ACTION_FIELDS = {
    "schedule": ("scheduled_at", "target_count"),
    "execute": ("started_at", "target_count"),
    "pause": ("paused_at", "sent_count"),
    "resume": ("resumed_at", None),
    "cancel": ("cancelled_at", "sent_count"),
}


def action_out(move: str, result: ActionResult) -> TenantActionOut:
    """The answer of one move."""
    c = result.campaign
    when_field, count_field = ACTION_FIELDS[move]
    values: dict[str, Any] = {when_field: c.scheduled_at if move == "schedule" else result.at}
    if count_field == "target_count":
        values[count_field] = c.target_count if result.audience is None else result.audience
    elif count_field == "sent_count":
        values[count_field] = attempted(c)
    return TenantActionOut(id=format_id("campaign", c.id), status=_status(c), **values)


class ChannelFigures(Out):
    """Per-channel figures (Telegram only)."""

    sent: int
    delivered: int
    clicked: int
    bounced: int


class HourOut(Out):
    """One hour of the timeline."""

    hour: UtcTime
    sent: int
    delivered: int
    opened: None = None
    clicked: int


class TenantStatsOut(Out):
    """GET /campaigns/:id/stats."""

    campaign_id: str
    target_count: int
    sent_count: int
    delivered_count: int
    opened_count: None = None
    clicked_count: int
    converted_count: int
    unsubscribed_count: int
    bounced_count: int
    delivery_rate: float | None
    open_rate: None = None
    click_rate: float | None
    conversion_rate: float | None
    by_channel: dict[Literal["TELEGRAM"], ChannelFigures]
    timeline: list[HourOut]


def stats_out(figures: TenantStats) -> TenantStatsOut:
    """The stats answer; clickRate is clicks per delivered message (there are no opens)."""
    rate = TenantStats.rate
    return TenantStatsOut(
        campaign_id=format_id("campaign", figures.campaign.id),
        target_count=figures.campaign.target_count,
        sent_count=figures.sent,
        delivered_count=figures.delivered,
        clicked_count=figures.clicked,
        converted_count=figures.converted,
        unsubscribed_count=figures.unsubscribed,
        bounced_count=figures.bounced,
        delivery_rate=rate(figures.delivered, figures.sent),
        click_rate=rate(figures.clicked, figures.delivered),
        conversion_rate=rate(figures.converted, figures.clicked),
        by_channel={
            "TELEGRAM": ChannelFigures(
                sent=figures.sent,
                delivered=figures.delivered,
                clicked=figures.clicked,
                bounced=figures.bounced,
            )
        },
        timeline=[
            HourOut(hour=h.hour, sent=h.sent, delivered=h.delivered, clicked=h.clicked)
            for h in figures.timeline
        ],
    )


class TenantInteractions(Out):
    """`{"data": [...], "meta": {total, skip, take}}`."""

    data: list[InteractionOut]
    meta: InteractionsMeta
