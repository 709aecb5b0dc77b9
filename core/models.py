"""Validated inputs of the core services (shared by the REST API and the bot)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from core.templating import BUILT_IN, unknown_variables


class CamelModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


class CampaignType(StrEnum):
    """What a campaign is for."""

    MESSAGE = "message"
    INVITATION = "invitation"
    DATA_COLLECTION = "data_collection"
    ENGAGEMENT = "engagement"
    CUSTOM = "custom"


def check_timezone(value: str | None) -> str | None:
    """An IANA zone name, or ValueError naming the problem."""
    if value is None:
        return None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"'{value}' is not an IANA time zone (e.g. Europe/London)") from None
    return value


class Goals(CamelModel):
    """What the campaign aims for."""

    target_audience: int | None = Field(default=None, ge=0)
    conversion_rate: float | None = Field(default=None, ge=0, le=100)
    revenue: float | None = Field(default=None, ge=0)


class Strategy(CamelModel):
    """Free-text strategy notes."""

    messaging: str | None = Field(default=None, max_length=2000)
    timing: str | None = Field(default=None, max_length=2000)
    channels: list[Literal["telegram"]] = Field(default_factory=lambda: ["telegram"])


class TargetAudience(CamelModel):
    """Segments (union) narrowed by filters; absent means every active subscriber."""

    segments: list[str] = Field(default_factory=list, max_length=50)
    filters: dict[str, Any] | None = None
    total_count: int | None = Field(default=None, exclude=True)


class Media(CamelModel):
    """A photo, video, document or animation by URL or Telegram file_id."""

    type: Literal["photo", "video", "document", "animation"]
    url: str | None = Field(default=None, max_length=2048)
    file_id: str | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _one_source(self) -> Media:
        if bool(self.url) == bool(self.file_id):
            raise ValueError("give exactly one of url or fileId")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must be http:// or https://")
        return self


class Button(CamelModel):
    """An inline button: a URL button or a callback button (answered and counted as a click)."""

    text: str = Field(min_length=1, max_length=64)
    url: str | None = Field(default=None, max_length=2048)
    callback_data: str | None = Field(default=None, max_length=48)

    @model_validator(mode="after")
    def _one_kind(self) -> Button:
        if bool(self.url) == bool(self.callback_data):
            raise ValueError("give exactly one of url or callbackData")
        if self.url and not self.url.startswith(("http://", "https://", "tg://")):
            raise ValueError("url must be http://, https:// or tg://")
        return self


class Personalization(CamelModel):
    """Whether variables such as {first_name} are filled in per recipient."""

    enabled: bool = True
    fields: list[str] = Field(default_factory=list)


ParseMode = Literal["HTML", "MarkdownV2"]


class Variation(CamelModel):
    """An A/B variant of a message; `weight` is the percent of recipients who get it."""

    id: str | None = Field(default=None, max_length=64)
    name: str | None = Field(default=None, max_length=200)
    template_id: str | None = Field(default=None, max_length=64)
    content: str | None = Field(default=None, max_length=4096)
    parse_mode: ParseMode | None = None
    media: Media | None = None
    buttons: list[list[Button]] | None = None
    weight: float = Field(ge=0, le=100)


class MessageSpec(CamelModel):
    """One campaign message with optional A/B variations."""

    id: str | None = Field(default=None, max_length=64)
    template_id: str | None = Field(default=None, max_length=64)
    content: str | None = Field(default=None, max_length=4096)
    parse_mode: ParseMode | None = None
    media: Media | None = None
    buttons: list[list[Button]] | None = None
    personalization: Personalization | None = None
    variations: list[Variation] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _weights(self) -> MessageSpec:
        texts = [self.content, *(v.content for v in self.variations)]
        unknown = sorted({name for text in texts if text for name in unknown_variables(text)})
        if unknown:
            raise ValueError(
                f"unknown variables {', '.join('{' + n + '}' for n in unknown)}; use "
                f"{', '.join('{' + n + '}' for n in sorted(BUILT_IN))} or {{attributes.<name>}}"
            )
        if sum(v.weight for v in self.variations) > 100:
            raise ValueError("variation weights add up to more than 100 percent")
        if self.media is not None and self.content and len(self.content) > 1024:
            raise ValueError("a media caption is at most 1024 characters")
        return self


class Workflow(CamelModel):
    """How the campaign is started (informational)."""

    id: str | None = None
    name: str | None = Field(default=None, max_length=200)
    triggers: list[Literal["manual", "scheduled", "event"]] = Field(default_factory=list)


Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=5000)]


class CampaignFields(CamelModel):
    """Fields shared by create and update."""

    description: Description | None = None
    goals: Goals | None = None
    target_audience: TargetAudience | None = None
    strategy: Strategy | None = None
    messages: list[MessageSpec] | None = Field(default=None, max_length=10)
    workflow: Workflow | None = None
    budget: float | None = Field(default=None, ge=0)
    start_date: AwareDatetime | None = None
    end_date: AwareDatetime | None = None
    timezone: str | None = None
    allow_paid_broadcast: bool | None = None

    _tz = field_validator("timezone")(check_timezone)

    @model_validator(mode="after")
    def _dates(self) -> CampaignFields:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError("endDate must be after startDate")
        return self


class CampaignCreate(CampaignFields):
    """Body of POST /campaigns."""

    name: Name
    type: CampaignType = CampaignType.MESSAGE


class CampaignUpdate(CampaignFields):
    """Body of PUT/PATCH /campaigns/:id (every field optional)."""

    name: Name | None = None
    type: CampaignType | None = None
    status: str | None = None


class ExecuteOptions(CamelModel):
    """Body of POST /campaigns/:id/execute."""

    test_mode: bool = False
    target_percentage: int = Field(default=100, ge=1, le=100)
    priority: Literal["low", "normal", "high"] = "normal"
    scheduled_at: AwareDatetime | None = None
    test_recipients: list[str] = Field(default_factory=list, max_length=100)


class CloneOptions(CamelModel):
    """Body of POST /campaigns/:id/clone."""

    name: Name | None = None
    reset_statistics: bool = True


class ScheduleRequest(CamelModel):
    """Body of POST /campaigns/:id/schedule."""

    scheduled_at: AwareDatetime
    timezone: str | None = None

    _tz = field_validator("timezone")(check_timezone)
