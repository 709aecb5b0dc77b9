"""Request bodies of the Scheduled Campaigns API (shapes of scheduled-campaigns-api.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from core.lifecycle import ScheduleKind
from core.models import CamelModel
from core.validation import (
    JsonObject,
    Line,
    Lowercase,
    Omittable,
    RecipientRef,
    TelegramUserId,
    TimeZoneName,
    WholeInt,
    check_weights,
)

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
MAX_DELAY_SECONDS = 365 * 86400
Ref = Annotated[Line, Field(min_length=1, max_length=64)]
Priority = Lowercase[Literal["low", "normal", "high"]]


ScheduleType = ScheduleKind


class Delay(CamelModel):
    """How long after the event to send."""

    value: WholeInt = Field(ge=0, le=MAX_DELAY_SECONDS)
    unit: Lowercase[Literal["seconds", "minutes", "hours", "days"]] = "minutes"

    @model_validator(mode="after")
    def _bounded(self) -> Delay:
        if self.value * UNIT_SECONDS[self.unit] > MAX_DELAY_SECONDS:
            raise ValueError("a delay is at most 365 days")
        return self


class Trigger(CamelModel):
    """An event rule: `conditions.event` names the event; other keys must equal properties."""

    type: Lowercase[Literal["user_event"]] = "user_event"
    conditions: JsonObject
    delay: Delay | None = None


class TargetSpec(CamelModel):
    """Who receives each run."""

    type: Lowercase[Literal["all", "segment", "dynamic", "individual"]] = "all"
    segment_id: Ref | None = None
    dynamic_criteria: JsonObject | None = None
    user_ids: list[RecipientRef | TelegramUserId] | None = Field(default=None, max_length=10_000)


class VariationRef(CamelModel):
    """A weighted template variation."""

    name: Line | None = Field(default=None, max_length=200)
    template_id: Ref
    weight: float = Field(ge=0, le=100)


class MessageConfig(CamelModel):
    """Content: a template (with personalisation) and optional weighted variations."""

    template_id: Ref | None = None
    personalization: JsonObject | None = None
    variations: list[VariationRef] = Field(default_factory=list, max_length=10)

    _weights = field_validator("variations")(check_weights)


class RateLimiting(CamelModel):
    """A cap on top of Telegram's limit, spread evenly over the hour."""

    enabled: bool = True
    messages_per_hour: WholeInt = Field(default=1000, ge=1, le=3_600_000)


class QuietHours(CamelModel):
    """A daily window without sends (may cross midnight)."""

    enabled: bool = True
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: TimeZoneName = "UTC"


class DeliverySettings(CamelModel):
    """Priority, rate cap and quiet hours of each run."""

    priority: Priority = "normal"
    rate_limiting: RateLimiting | None = None
    quiet_hours: QuietHours | None = None


class OnComplete(CamelModel):
    """Who is told when a run completes."""

    enabled: bool = True
    channels: list[Annotated[Line, Field(max_length=32)]] = Field(
        default_factory=lambda: ["telegram"], max_length=10
    )
    recipients: list[Annotated[Line, Field(max_length=128)]] = Field(
        default_factory=list, max_length=100
    )


class Notifications(CamelModel):
    """Run notifications."""

    on_complete: OnComplete | None = None


class ScheduleCreate(CamelModel):
    """Body of POST /scheduled-campaigns."""

    campaign_id: Ref
    campaign_name: Line | None = Field(default=None, max_length=200)
    type: Lowercase[ScheduleType]
    schedule: JsonObject
    target_audience: TargetSpec | None = None
    message_config: MessageConfig | None = None
    delivery_settings: DeliverySettings | None = None
    notifications: Notifications | None = None


class ScheduleUpdate(CamelModel):
    """Body of PUT /scheduled-campaigns/:id (given parts replace the stored ones)."""

    campaign_name: Omittable[Annotated[Line, Field(max_length=200)]] = None
    schedule: Omittable[JsonObject] = None
    target_audience: TargetSpec | None = None
    message_config: MessageConfig | None = None
    delivery_settings: DeliverySettings | None = None
    notifications: Notifications | None = None


class TestRun(CamelModel):
    """Body of POST /scheduled-campaigns/:id/test."""

    target_audience: TargetSpec | None = None
    max_recipients: WholeInt = Field(default=10, ge=1, le=100)
