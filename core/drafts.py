"""Campaign drafts built step by step (the bot's wizard): checks and saving, no Telegram here."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any, Literal, cast, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, ValidationError

from core.audience import build_spec, count_audience
from core.campaign_actions import execute_campaign, schedule_campaign
from core.campaign_types.registry import policy_for
from core.campaign_types.settings import settings_for
from core.campaigns import create_campaign
from core.chat_access import AccessCheck
from core.context import Actor
from core.errors import ValidationFailed
from core.models import CampaignCreate, CampaignType, ExecuteOptions, MessageSpec
from core.scheduling.inputs import ScheduleCreate
from core.scheduling.service import create_schedule
from core.uow import UnitOfWork
from storage.models import Campaign

BUTTON_LINE = re.compile(r"^(?P<text>[^|]{1,64}?)\s*\|\s*(?P<url>\S+)$")
LOCAL_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})$")
WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


# When a new campaign goes out: now, at a moment, every day or week, or kept as a draft.
When = Literal["now", "at", "daily", "weekly", "draft"]


def check_when(value: str) -> When:
    """One of the wizard's timing choices."""
    for choice in get_args(When):
        if value == choice:
            return cast(When, choice)
    raise ValueError("Choose when it goes out with one of the buttons.")


class Draft(BaseModel):
    """What the wizard has collected so far."""

    name: str | None = None
    type: CampaignType = CampaignType.MESSAGE
    message: dict[str, Any] | None = None
    buttons: list[list[dict[str, str]]] = Field(default_factory=list)
    audience_kind: Literal["all", "segment", "tag"] = "all"
    audience_value: str | None = None
    variant: dict[str, Any] | None = None
    variant_weight: int | None = None
    when: When = "draft"
    at: datetime | None = None
    time_of_day: str | None = None
    weekday: int | None = None
    timezone: str = "UTC"
    # The type's `settings` (camelCase, as the REST API takes them), built by its steps.
    settings: dict[str, Any] = Field(default_factory=dict)
    # The survey or quiz question being built, until "Add another" or "Done" files it.
    pending: dict[str, Any] | None = None


def needs_message(type_: CampaignType) -> bool:
    """Whether a campaign of this type must carry a message (a survey or quiz may not)."""
    return policy_for(type_).needs_message


def _problem(detail: dict[str, Any]) -> str:
    message = str(detail.get("message", ""))
    if str(detail.get("type", "")).startswith("value_error"):
        return message  # the rule's own words
    leaf = str(detail.get("field", "")).rpartition(".")[2].partition("[")[0]
    return f"{leaf}: {message}" if leaf and leaf != "settings" else message


def check_settings(type_: CampaignType, settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as the type's own model validates them; ValueError in its words if not."""
    try:
        return settings_for(type_, settings) or {}
    except ValidationFailed as exc:
        problems = [_problem(detail) for detail in exc.details or []]
        raise ValueError("; ".join(dict.fromkeys(problems)) or exc.message) from None


def check_name(text: str) -> str:
    """A campaign name: 1–200 characters."""
    name = text.strip()
    if not name or len(name) > 200:
        raise ValueError("The name must be 1 to 200 characters.")
    return name


def check_tag(text: str) -> str:
    """A subscriber tag to target: 1–64 characters, as the subscribers API stores them."""
    tag = text.strip()
    if not tag or len(tag) > 64:
        raise ValueError("A tag is 1 to 64 characters.")
    return tag


def check_message(message: dict[str, Any]) -> dict[str, Any]:
    """A message as MessageSpec sees it (length, caption, variables)."""
    try:
        MessageSpec.model_validate(message)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise ValueError(first) from None
    return message


def parse_buttons(text: str) -> list[list[dict[str, str]]]:
    """Lines `Text | https://…`, one button per line (`-` or `skip` for none)."""
    if text.strip().lower() in ("-", "skip", "none", "no"):
        return []
    rows = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        match = BUTTON_LINE.match(line.strip())
        if not match or not match.group("url").startswith(("http://", "https://", "tg://")):
            raise ValueError(f"Line {number} should look like: Shop now | https://example.com")
        rows.append([{"text": match.group("text").strip(), "url": match.group("url")}])
    if len(rows) > 10:
        raise ValueError("At most 10 buttons.")
    return rows


def target_of(draft: Draft) -> dict[str, Any] | None:
    """The campaign's targetAudience for the chosen audience."""
    if draft.audience_kind == "segment" and draft.audience_value:
        return {"segments": [draft.audience_value]}
    if draft.audience_kind == "tag" and draft.audience_value:
        return {
            "filters": {"all": [{"field": "tags", "op": "contains", "value": draft.audience_value}]}
        }
    return None


async def audience_count(uow: UnitOfWork, actor: Actor, draft: Draft) -> int:
    """Live size of the chosen audience."""
    spec = await build_spec(uow, actor.tenant_id, target_of(draft))
    return await count_audience(uow, spec)


def check_weight(text: str) -> int:
    """The variant's share: 1–99 percent."""
    if not re.fullmatch(r"[0-9]{1,2}", text.strip()) or not 1 <= int(text) <= 99:
        raise ValueError("Send a whole number from 1 to 99 (percent of recipients).")
    return int(text)


def parse_local(text: str, zone: str, now: datetime) -> datetime:
    """`2026-12-01 09:30` in the admin's zone -> a future UTC instant."""
    match = LOCAL_DATETIME.match(text.strip())
    if not match:
        raise ValueError("Send the date and time as YYYY-MM-DD HH:MM, e.g. 2026-12-01 09:30.")
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))
    except ValueError as exc:
        raise ValueError(f"That is not a valid date: {exc}.") from None
    if local <= now:
        raise ValueError("That moment has passed; send a future date and time.")
    return local


def parse_time_of_day(text: str) -> tuple[str, int | None]:
    """`09:30` (daily) or `mon 09:30` (weekly) -> (HH:MM, weekday 0=Sunday or None)."""
    parts = text.strip().lower().split()
    weekday = None
    if len(parts) == 2 and parts[0][:3] in WEEKDAYS:
        weekday = WEEKDAYS.index(parts[0][:3])
        parts = parts[1:]
    if len(parts) != 1 or not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", parts[0]):
        raise ValueError("Send a time like 09:30 (daily) or mon 09:30 (weekly).")
    hour, minute = parts[0].split(":")
    return time(int(hour), int(minute)).strftime("%H:%M"), weekday


def campaign_body(draft: Draft) -> CampaignCreate:
    """The CampaignCreate the draft stands for."""
    message = dict(draft.message or {})
    if draft.buttons:
        message["buttons"] = draft.buttons
    if draft.variant is not None and draft.variant_weight:
        variant = {**draft.variant, "weight": draft.variant_weight, "id": "B"}
        if draft.buttons:
            variant["buttons"] = draft.buttons
        message["variations"] = [variant]
    messages = [message] if draft.message is not None or draft.variant is not None else []
    body: dict[str, Any] = {"name": draft.name, "type": draft.type.value, "messages": messages}
    if draft.settings:
        body["settings"] = draft.settings
    target = target_of(draft)
    if target:
        body["targetAudience"] = target
    body["timezone"] = draft.timezone
    return CampaignCreate.model_validate(body)


async def confirm(
    uow: UnitOfWork,
    actor: Actor,
    draft: Draft,
    admin_ids: tuple[int, ...],
    access: AccessCheck | None = None,
) -> tuple[Campaign, str]:
    """Save the draft, then run, schedule or repeat it as chosen; returns (campaign, outcome).
    `access` (core.chat_access) asks Telegram what the type's settings need (a target chat)."""
    campaign = await create_campaign(uow, actor, campaign_body(draft), access=access)
    if draft.when == "now":
        await execute_campaign(uow, actor, campaign, ExecuteOptions(), admin_ids=admin_ids)
        return campaign, "sending now"
    if draft.when == "at" and draft.at is not None:
        await schedule_campaign(uow, actor, campaign, draft.at, draft.timezone)
        return campaign, "scheduled"
    if draft.when in ("daily", "weekly") and draft.time_of_day:
        recurring: dict[str, Any] = {
            "pattern": draft.when, "timeOfDay": draft.time_of_day, "timezone": draft.timezone,
        }  # fmt: skip
        if draft.when == "weekly":
            recurring["daysOfWeek"] = [draft.weekday if draft.weekday is not None else 1]
        body = ScheduleCreate.model_validate(
            {
                "campaignId": f"camp_{campaign.id}",
                "type": "recurring",
                "schedule": {"recurring": recurring},
            }
        )
        await create_schedule(uow, actor, body)
        return campaign, f"repeating {draft.when}"
    if draft.when in ("draft", "at", "daily", "weekly"):
        return campaign, "saved as draft"
    raise ValidationFailed(
        "Unknown choice of time.", details=[{"field": "when", "message": draft.when}]
    )
