"""Validated inputs of the core services (shared by the REST API and the bot)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from core.lifecycle import Status
from core.templating import BUILT_IN, unknown_variables
from core.validation import (
    Count,
    Instant,
    JsonObject,
    Line,
    Lowercase,
    Omittable,
    RecipientRef,
    Text,
    TimeZoneName,
    WholeInt,
    check_timezone,
    check_weights,
)

__all__ = ["check_timezone"]


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
    BOT_API = "bot_api"  # one described Bot API call per named recipient (the v2 API's)


# What a person picks in the bot's wizard: a bot_api campaign needs each recipient's params,
# which only the v2 API supplies.
CHOOSABLE_TYPES = tuple(kind for kind in CampaignType if kind is not CampaignType.BOT_API)


class InteractionType(StrEnum):
    """What a recipient did with a campaign (`interactions.type`), as the tenant API names it."""

    SENT = "SENT"
    DELIVERED = "DELIVERED"
    OPENED = "OPENED"
    CLICKED = "CLICKED"
    CONVERTED = "CONVERTED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    BOUNCED = "BOUNCED"


CampaignTypeIn = Lowercase[CampaignType]
CampaignStatusIn = Lowercase[Status]


class Goals(CamelModel):
    """What the campaign aims for."""

    target_audience: Count | None = None
    conversion_rate: float | None = Field(default=None, ge=0, le=100)
    revenue: float | None = Field(default=None, ge=0)


def _telegram_only() -> list[Literal["telegram"]]:
    return ["telegram"]


class Strategy(CamelModel):
    """Free-text strategy notes."""

    messaging: Text | None = Field(default=None, max_length=2000)
    timing: Text | None = Field(default=None, max_length=2000)
    channels: list[Lowercase[Literal["telegram"]]] = Field(default_factory=_telegram_only)


class TargetAudience(CamelModel):
    """Segments (union) narrowed by filters; absent means every active subscriber."""

    segments: list[Annotated[Line, Field(max_length=64)]] = Field(
        default_factory=list, max_length=50
    )
    filters: JsonObject | None = None
    total_count: WholeInt | None = Field(default=None, exclude=True)


class Media(CamelModel):
    """A photo, video, document or animation by URL or Telegram file_id."""

    type: Lowercase[Literal["photo", "video", "document", "animation"]]
    url: Line | None = Field(default=None, max_length=2048)
    file_id: Line | None = Field(default=None, max_length=256)

    @model_validator(mode="after")
    def _one_source(self) -> Media:
        if bool(self.url) == bool(self.file_id):
            raise ValueError("give exactly one of url or fileId")
        if self.url and not self.url.startswith(("http://", "https://")):
            raise ValueError("url must be http:// or https://")
        return self


class Button(CamelModel):
    """An inline button: a URL button or a callback button (answered and counted as a click)."""

    text: Line = Field(min_length=1, max_length=64)
    url: Line | None = Field(default=None, max_length=2048)
    callback_data: Line | None = Field(default=None, max_length=48)

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
    fields: list[Annotated[Line, Field(max_length=64)]] = Field(default_factory=list, max_length=50)


PARSE_MODES = {"html": "HTML", "markdownv2": "MarkdownV2"}


def _parse_mode(value: object) -> object:
    return PARSE_MODES.get(value.lower(), value) if isinstance(value, str) else value


# Case-insensitive like every other enum, but kept in Telegram's own spelling.
ParseMode = Annotated[Literal["HTML", "MarkdownV2"], BeforeValidator(_parse_mode)]
Buttons = Annotated[list[Annotated[list[Button], Field(max_length=8)]], Field(max_length=100)]


def _known_variables(text: str | None) -> str | None:
    """Message text whose {variables} are all built in or `attributes.<name>`."""
    unknown = sorted(set(unknown_variables(text or "")))
    if unknown:
        raise ValueError(
            f"unknown variables {', '.join('{' + n + '}' for n in unknown)}; use "
            f"{', '.join('{' + n + '}' for n in sorted(BUILT_IN))} or {{attributes.<name>}}"
        )
    return text


class Variation(CamelModel):
    """An A/B variant of a message; `weight` is the percent of recipients who get it."""

    id: Line | None = Field(default=None, max_length=64)
    name: Line | None = Field(default=None, max_length=200)
    template_id: Line | None = Field(default=None, max_length=64)
    content: Text | None = Field(default=None, max_length=4096)
    parse_mode: ParseMode | None = None
    media: Media | None = None
    buttons: Buttons | None = None
    weight: float = Field(ge=0, le=100)

    _content = field_validator("content")(_known_variables)


class MessageSpec(CamelModel):
    """One campaign message with optional A/B variations."""

    id: Line | None = Field(default=None, max_length=64)
    template_id: Line | None = Field(default=None, max_length=64)
    content: Text | None = Field(default=None, max_length=4096)
    parse_mode: ParseMode | None = None
    media: Media | None = None
    buttons: Buttons | None = None
    personalization: Personalization | None = None
    variations: list[Variation] = Field(default_factory=list, max_length=10)

    _content = field_validator("content")(_known_variables)

    _weights = field_validator("variations")(check_weights)

    @model_validator(mode="after")
    def _caption(self) -> MessageSpec:
        if self.media is not None and self.content and len(self.content) > 1024:
            raise ValueError("a media caption is at most 1024 characters")
        return self


class Workflow(CamelModel):
    """How the campaign is started (informational)."""

    id: Line | None = Field(default=None, max_length=64)
    name: Line | None = Field(default=None, max_length=200)
    triggers: list[Lowercase[Literal["manual", "scheduled", "event"]]] = Field(
        default_factory=list, max_length=10
    )


Name = Annotated[Line, Field(min_length=1, max_length=200)]
Description = Annotated[Text, Field(max_length=5000)]


class CampaignFields(CamelModel):
    """Fields shared by create and update."""

    description: Description | None = None
    goals: Goals | None = None
    target_audience: TargetAudience | None = None
    strategy: Strategy | None = None
    messages: Omittable[Annotated[list[MessageSpec], Field(max_length=10)]] = None
    workflow: Workflow | None = None
    budget: float | None = Field(default=None, ge=0, le=1e15)
    start_date: Instant | None = None
    end_date: Instant | None = None
    timezone: TimeZoneName | None = None
    allow_paid_broadcast: Omittable[bool] = None
    # Checked against the type's settings_model by core.campaign_types.settings.
    settings: JsonObject | None = Field(
        default=None,
        description="What the type needs beyond its messages, checked against the type's "
        "schema: invitation InvitationSettings, data_collection SurveySettings, engagement "
        "EngagementSettings, custom CustomSettings (components of this document); message "
        "takes none. See docs/campaign-types/.",
    )
    # endDate after startDate is checked by core.campaigns (check_dates), against the stored
    # dates on update and together with every other problem of the request.


class CampaignCreate(CampaignFields):
    """Body of POST /campaigns."""

    name: Name
    type: CampaignTypeIn = CampaignType.MESSAGE


class CampaignUpdate(CampaignFields):
    """Body of PUT/PATCH /campaigns/:id (every field optional)."""

    name: Omittable[Name] = None
    type: Omittable[CampaignTypeIn] = None
    status: Omittable[CampaignStatusIn] = None


class ExecuteOptions(CamelModel):
    """Body of POST /campaigns/:id/execute."""

    test_mode: bool = False
    target_percentage: WholeInt = Field(default=100, ge=1, le=100)
    priority: Lowercase[Literal["low", "normal", "high"]] = "normal"
    scheduled_at: Instant | None = None
    test_recipients: list[RecipientRef] = Field(default_factory=list, max_length=100)


class CloneOptions(CamelModel):
    """Body of POST /campaigns/:id/clone."""

    name: Omittable[Name] = None
    reset_statistics: bool = True


class ScheduleRequest(CamelModel):
    """Body of POST /campaigns/:id/schedule."""

    scheduled_at: Instant
    timezone: TimeZoneName | None = None
