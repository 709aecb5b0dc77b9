"""Request bodies of the Scheduled Campaigns API (shapes of scheduled-campaigns-api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from core.models import CamelModel


class Delay(CamelModel):
    """How long after the event to send."""

    value: int = Field(ge=0, le=60 * 24 * 365)
    unit: Literal["seconds", "minutes", "hours", "days"] = "minutes"


class Trigger(CamelModel):
    """An event rule: `conditions.event` names the event; other keys must equal properties."""

    type: Literal["user_event"] = "user_event"
    conditions: dict[str, Any]
    delay: Delay | None = None


class TargetSpec(CamelModel):
    """Who receives each run."""

    type: Literal["all", "segment", "dynamic", "individual"] = "all"
    segment_id: str | None = None
    dynamic_criteria: dict[str, Any] | None = None
    user_ids: list[str | int] | None = Field(default=None, max_length=10_000)


class VariationRef(CamelModel):
    """A weighted template variation."""

    name: str | None = Field(default=None, max_length=200)
    template_id: str
    weight: float = Field(ge=0, le=100)


class MessageConfig(CamelModel):
    """Content: a template (with personalisation) and optional weighted variations."""

    template_id: str | None = None
    personalization: dict[str, Any] | None = None
    variations: list[VariationRef] = Field(default_factory=list, max_length=10)


class RateLimiting(CamelModel):
    """A cap on top of Telegram's limit, spread evenly over the hour."""

    enabled: bool = True
    messages_per_hour: int = Field(default=1000, ge=1, le=3_600_000)


class QuietHours(CamelModel):
    """A daily window without sends (may cross midnight)."""

    enabled: bool = True
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = "UTC"


class DeliverySettings(CamelModel):
    """Priority, rate cap and quiet hours of each run."""

    priority: Literal["low", "normal", "high"] = "normal"
    rate_limiting: RateLimiting | None = None
    quiet_hours: QuietHours | None = None


class OnComplete(CamelModel):
    """Who is told when a run completes."""

    enabled: bool = True
    channels: list[str] = Field(default_factory=lambda: ["telegram"])
    recipients: list[str] = Field(default_factory=list)


class Notifications(CamelModel):
    """Run notifications."""

    on_complete: OnComplete | None = None


class ScheduleCreate(CamelModel):
    """Body of POST /scheduled-campaigns."""

    campaign_id: str
    campaign_name: str | None = Field(default=None, max_length=200)
    type: Literal["one-time", "recurring", "trigger-based"]
    schedule: dict[str, Any]
    target_audience: TargetSpec | None = None
    message_config: MessageConfig | None = None
    delivery_settings: DeliverySettings | None = None
    notifications: Notifications | None = None


class ScheduleUpdate(CamelModel):
    """Body of PUT /scheduled-campaigns/:id (given parts replace the stored ones)."""

    campaign_name: str | None = Field(default=None, max_length=200)
    schedule: dict[str, Any] | None = None
    target_audience: TargetSpec | None = None
    message_config: MessageConfig | None = None
    delivery_settings: DeliverySettings | None = None
    notifications: Notifications | None = None


class TestRun(CamelModel):
    """Body of POST /scheduled-campaigns/:id/test."""

    target_audience: TargetSpec | None = None
    max_recipients: int = Field(default=10, ge=1, le=100)
