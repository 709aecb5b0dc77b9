"""What the tenant Campaigns API (tenant-campaigns-api.md) accepts, validated as core will use it.

That API names how a campaign is sent (ONE_TIME, RECURRING, TRIGGERED) where this core has
schedules, and knows channels this service does not have; both are checked here, once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema, model_validator

from core.models import CamelModel, Description, Name
from core.validation import (
    Line,
    Lowercase,
    Omittable,
    QueryInt,
    Text,
    Uppercase,
    WholeInt,
    given,
    left_out,
)
from core.validation_json import JsonObject
from core.validation_time import Instant, TimeZoneName

Ref = Annotated[Line, Field(min_length=1, max_length=64)]
TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
# The document says only null for what is refused with a plain 400 when given (another
# channel's template, a JOURNEY, a channel but Telegram); the server explains each.
ONLY_NULL = WithJsonSchema({"type": "null"})


class TenantKind(StrEnum):
    """How a campaign is sent, in that API's words."""

    ONE_TIME = "ONE_TIME"
    RECURRING = "RECURRING"
    TRIGGERED = "TRIGGERED"
    JOURNEY = "JOURNEY"


class Channel(StrEnum):
    """Channels the API names; this service sends over Telegram only."""

    TELEGRAM = "TELEGRAM"
    EMAIL = "EMAIL"
    SMS = "SMS"


class TenantStatus(StrEnum):
    """Campaign statuses as that API spells them (FAILED is this service's addition)."""

    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    FAILED = "FAILED"


NO_JOURNEYS = (
    "JOURNEY campaigns belong to a Journeys API, which this service does not have: "
    "use ONE_TIME, RECURRING or TRIGGERED"
)


def no_channel(channel: Channel) -> str:
    """Why a channel other than Telegram is refused."""
    return f"channel {channel.value} is not available: this service sends over TELEGRAM only"


class RecurringIn(CamelModel):
    """`schedule` of a RECURRING campaign: weekly on `dayOfWeek` (0 = Sunday) at `time`."""

    # The _day rule below, said in the OpenAPI document.
    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {"anyOf": [{"not": given("frequency", frequency={"const": "weekly"})},
                           given("dayOfWeek")]},
                {"anyOf": [{"not": given("frequency", frequency={"const": "monthly"})},
                           given("dayOfMonth")]},
            ]
        }
    )  # fmt: skip

    frequency: Lowercase[Literal["daily", "weekly", "monthly"]]
    day_of_week: WholeInt | None = Field(default=None, ge=0, le=6)
    day_of_month: WholeInt | None = Field(default=None, ge=1, le=31)
    time: str = Field(pattern=TIME_OF_DAY)
    timezone: TimeZoneName | None = None

    @model_validator(mode="after")
    def _day(self) -> RecurringIn:
        if self.frequency == "weekly" and self.day_of_week is None:
            raise ValueError("a weekly schedule needs dayOfWeek (0 = Sunday … 6 = Saturday)")
        if self.frequency == "monthly" and self.day_of_month is None:
            raise ValueError("a monthly schedule needs dayOfMonth (1–31)")
        return self


class ContentFields(CamelModel):
    """What is sent: this service's template (`templateId`) or plain `content` (Telegram)."""

    segment_id: Omittable[Ref] = None
    template_id: Omittable[Ref] = None
    content: Omittable[Annotated[Text, Field(min_length=1, max_length=4096)]] = None
    email_template_id: Annotated[Ref | None, ONLY_NULL] = None
    sms_template_id: Annotated[Ref | None, ONLY_NULL] = None

    @model_validator(mode="after")
    def _telegram_content(self) -> ContentFields:
        if self.email_template_id is not None:
            raise ValueError(f"emailTemplateId: {no_channel(Channel.EMAIL)} (give templateId)")
        if self.sms_template_id is not None:
            raise ValueError(f"smsTemplateId: {no_channel(Channel.SMS)} (give templateId)")
        if self.template_id is not None and self.content is not None:
            raise ValueError("give templateId or content, not both")
        return self


def _kind(kind: str, *needed: str) -> dict[str, Any]:
    """JSON Schema: `type` is `kind` and `needed` are given; the other kinds' fields are not."""
    others = {"schedule", "triggerEvent", "triggerConditions", "scheduledAt"} - set(needed)
    if kind == "TRIGGERED":
        others.discard("triggerConditions")
    typed: dict[str, Any] = {"properties": {"type": {"const": kind}}, "required": ["type"]}
    parts = [given(*needed) if needed else {}, left_out(*sorted(others))]
    if kind == "ONE_TIME":  # also the default when `type` is left out
        typed = {"anyOf": [typed, {"not": {"required": ["type"]}}]}
    else:  # a standing schedule sends on its own: it needs something to send
        parts.append({"anyOf": [given("templateId"), given("content")]})
    if kind == "TRIGGERED":
        no_event = {"not": {"type": "object", "required": ["event"]}}
        parts.append({"properties": {"triggerConditions": no_event}})
    return {"allOf": [typed, *parts]}


class TenantCampaignCreate(ContentFields):
    """Body of POST /campaigns."""

    # The _kind rule below, said in the OpenAPI document.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                _kind("ONE_TIME", "scheduledAt"),
                _kind("ONE_TIME"),
                _kind("RECURRING", "schedule"),
                _kind("TRIGGERED", "triggerEvent"),
            ],
            "not": {"required": ["templateId", "content"]},
        }
    )

    tenant_id: Ref
    club_id: Ref | None = None
    name: Name
    description: Description | None = None
    type: Annotated[
        Uppercase[TenantKind],
        WithJsonSchema({"type": "string", "enum": ["ONE_TIME", "RECURRING", "TRIGGERED"]}),
    ] = TenantKind.ONE_TIME
    channels: Annotated[
        list[Uppercase[Channel]],
        WithJsonSchema(
            {"type": "array", "items": {"const": "TELEGRAM"}, "minItems": 1, "maxItems": 3}
        ),
    ] = Field(default_factory=lambda: [Channel.TELEGRAM], min_length=1, max_length=3)
    scheduled_at: Instant | None = None
    timezone: TimeZoneName | None = None
    schedule: RecurringIn | None = None
    trigger_event: Annotated[Line, Field(min_length=1, max_length=200)] | None = None
    trigger_conditions: JsonObject | None = None

    @model_validator(mode="after")
    def _kind(self) -> TenantCampaignCreate:
        for channel in self.channels:
            if channel is not Channel.TELEGRAM:
                raise ValueError(no_channel(channel))
        if self.type is TenantKind.JOURNEY:
            raise ValueError(NO_JOURNEYS)
        if (self.schedule is not None) != (self.type is TenantKind.RECURRING):
            raise ValueError("schedule is given with, and only with, type RECURRING")
        if (self.trigger_event is not None) != (self.type is TenantKind.TRIGGERED):
            raise ValueError("triggerEvent is given with, and only with, type TRIGGERED")
        if self.trigger_conditions is not None and self.type is not TenantKind.TRIGGERED:
            raise ValueError("triggerConditions only apply to type TRIGGERED")
        if self.trigger_conditions is not None and "event" in self.trigger_conditions:
            raise ValueError("triggerConditions cannot hold 'event': name it in triggerEvent")
        if self.type is not TenantKind.ONE_TIME and not (self.template_id or self.content):
            raise ValueError(f"a {self.type.value} campaign needs templateId or content")
        if self.scheduled_at is not None and self.type is not TenantKind.ONE_TIME:
            raise ValueError("scheduledAt only applies to type ONE_TIME")
        return self


class TenantCampaignPatch(ContentFields):
    """Body of PATCH /campaigns/:id (segment and content: drafts only)."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": ["templateId", "content"]}})

    name: Omittable[Name] = None
    description: Description | None = None
    club_id: Ref | None = None
    timezone: TimeZoneName | None = None


class TenantScheduleIn(CamelModel):
    """Body of POST /campaigns/:id/schedule."""

    scheduled_at: Instant
    timezone: TimeZoneName | None = None


class TenantListQuery(CamelModel):
    """Query of GET /campaigns (skip / take are this service's additions)."""

    tenant_id: Ref
    club_id: Ref | None = None
    status: Uppercase[TenantStatus] | None = None
    type: Uppercase[TenantKind] | None = None
    skip: QueryInt = Field(default=0, ge=0, le=1_000_000)
    take: QueryInt = Field(default=100, ge=1, le=1000)
