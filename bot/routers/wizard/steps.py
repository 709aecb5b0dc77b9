"""The steps of the new-campaign wizard, in order, each defined once."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from aiogram.fsm.state import State

from bot.routers.wizard.confirm import preview, save, summary
from bot.routers.wizard.step import Facts, Step, Turn
from bot.routers.wizard.type_steps import TYPE_STEPS, after_type, before_audience, before_content
from bot.states import NewCampaign as N
from core import drafts
from core.admins import admin_timezone, remember_timezone
from core.models import CHOOSABLE_TYPES, CampaignType, check_timezone
from core.segments import list_segments

WHEN_CHOICES = (
    ("now", "Send now"),
    ("at", "At a date and time"),
    ("daily", "Every day"),
    ("weekly", "Every week"),
    ("draft", "Just save the draft"),
)
COMMON_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")


async def _name(turn: Turn, text: str) -> State:
    turn.draft.name = drafts.check_name(text)
    return N.type


async def _type(turn: Turn, value: str) -> State:
    draft = turn.draft
    kind = CampaignType(value)
    if kind is not draft.type:  # another type's settings mean nothing to this one
        draft.settings, draft.pending = {}, None
    draft.type = kind
    return after_type(draft)


def _skippable(draft: drafts.Draft) -> bool:
    return not drafts.needs_message(draft.type)


async def _content(turn: Turn, content: dict[str, Any]) -> State:
    draft = turn.draft
    if (
        _skippable(draft)
        and set(content) <= {"content", "parseMode"}
        and ((content.get("content") or "").strip() in ("-", "skip"))
    ):
        draft.message, draft.buttons, draft.variant = None, [], None
        return N.audience
    draft.message = content
    return N.buttons


def _content_prompt(draft: drafts.Draft) -> str:
    ask = (
        "Send the message exactly as recipients should see it: text with formatting, or a "
        "photo, video, animation or document with a caption. Use {first_name} to personalise."
    )
    if draft.type is CampaignType.DATA_COLLECTION:
        return f"{ask}\nIt opens the survey; send - to start with the first question."
    if _skippable(draft):
        return f"{ask}\nOr send - for none."
    return ask


def _after_audience(draft: drafts.Draft) -> State:
    # The A/B variant is another version of the message: without one there is nothing to vary.
    return N.variant if draft.message is not None else N.when


async def _buttons(turn: Turn, text: str) -> State:
    turn.draft.buttons = drafts.parse_buttons(text)
    return N.audience


async def _everyone(turn: Turn) -> Facts:
    return Facts(everyone=await drafts.audience_count(turn.uow, turn.reader, drafts.Draft()))


def _audience_choices(facts: Facts) -> Sequence[tuple[str, str]]:
    everyone = "?" if facts.everyone is None else facts.everyone
    return (("all", f"Everyone ({everyone})"), ("segment", "A segment"), ("tag", "A tag"))


async def _say_count(turn: Turn) -> None:
    count = await drafts.audience_count(turn.uow, turn.reader, turn.draft)
    await turn.message.answer(f"This audience has {count} subscribers now.")


async def _audience(turn: Turn, value: str) -> State | None:
    draft = turn.draft
    if value == "segment":
        page = await list_segments(turn.uow, turn.reader, page=1, limit=20)
        if not page.items:
            await turn.message.answer("There are no segments yet: create them with the REST API.")
            return None
        return N.segment
    if value == "tag":
        draft.audience_kind, draft.audience_value = "tag", None
        return N.audience_value
    draft.audience_kind, draft.audience_value = "all", None
    await _say_count(turn)
    return _after_audience(draft)


async def _segments(turn: Turn) -> Facts:
    page = await list_segments(turn.uow, turn.reader, page=1, limit=20)
    return Facts(segments=[(f"seg_{segment.id}", segment.name) for segment in page.items])


async def _segment(turn: Turn, value: str) -> State:
    turn.draft.audience_kind, turn.draft.audience_value = "segment", value
    await _say_count(turn)
    return _after_audience(turn.draft)


async def _tag(turn: Turn, text: str) -> State:
    draft = turn.draft
    draft.audience_kind, draft.audience_value = "tag", drafts.check_tag(text)
    count = await drafts.audience_count(turn.uow, turn.reader, draft)
    await turn.message.answer(f"Tag {escape(draft.audience_value)}: {count} subscribers now.")
    return _after_audience(draft)


async def _variant(turn: Turn, value: str) -> State:
    turn.draft.variant = None
    return N.variant_content if value == "yes" else N.when


async def _variant_content(turn: Turn, content: dict[str, Any]) -> State:
    turn.draft.variant = content
    return N.variant_weight


async def _weight(turn: Turn, text: str) -> State:
    turn.draft.variant_weight = drafts.check_weight(text)
    return N.when


def _before_when(draft: drafts.Draft) -> State:
    return N.variant if draft.message is not None else N.audience


def _after_zone(draft: drafts.Draft) -> State:
    return N.date if draft.when == "at" else N.recurring


async def _when(turn: Turn, value: str) -> State:
    draft = turn.draft
    draft.when = drafts.check_when(value)
    zone = await admin_timezone(turn.uow, turn.tenant_id, turn.admin_id)
    if zone:
        draft.timezone = zone
    if value in ("now", "draft"):
        return N.confirm
    return _after_zone(draft) if zone else N.timezone


async def _remember_zone(turn: Turn, zone: str) -> State:
    turn.draft.timezone = zone
    await remember_timezone(turn.uow, turn.tenant_id, turn.admin_id, zone)
    await turn.uow.commit()
    return _after_zone(turn.draft)


async def _zone_typed(turn: Turn, text: str) -> State:
    return await _remember_zone(turn, check_timezone(text.strip()) or "UTC")


async def _date(turn: Turn, text: str) -> State:
    turn.draft.at = drafts.parse_local(text, turn.draft.timezone, turn.uow.clock())
    return N.confirm


async def _recurring(turn: Turn, text: str) -> State:
    draft = turn.draft
    draft.time_of_day, draft.weekday = drafts.parse_time_of_day(text)
    draft.when = "weekly" if draft.weekday is not None else "daily"
    return N.confirm


STEPS = (
    Step(N.name, "New campaign. What is its name?", back=None, typed=_name),
    Step(N.type, "What kind of campaign is it?", back=N.name, pressed=_type, columns=2,
         choices=lambda _: [(k.value, k.value.replace("_", " ")) for k in CHOOSABLE_TYPES]),
    *TYPE_STEPS,
    Step(N.content, _content_prompt, back=before_content, sent=_content),
    Step(N.buttons, (
        "Add link buttons, one per line as <code>Text | https://…</code>, or - to skip."
    ), back=N.content, typed=_buttons),
    Step(N.audience, "Who receives it?", back=before_audience, prepare=_everyone,
         choices=_audience_choices, pressed=_audience),
    # Text typed at the segment picker is taken as a tag, as it always was.
    Step(N.segment, "Pick a segment:", back=N.audience, prepare=_segments,
         choices=lambda facts: facts.segments, pressed=_segment, typed=_tag),
    Step(N.audience_value, "Send the tag (e.g. vip).", back=N.audience, typed=_tag),
    Step(N.variant, "Add an A/B variant (a second version for part of the audience)?",
         back=N.audience, choices=lambda _: (("yes", "Yes"), ("no", "No")), columns=2,
         pressed=_variant),
    Step(N.variant_content, "Send the variant message, as recipients should see it.",
         back=N.variant, sent=_variant_content),
    Step(N.variant_weight, "What percent of recipients get the variant? (1–99)",
         back=N.variant_content, typed=_weight),
    Step(N.when, "When should it go out?", back=_before_when, choices=lambda _: WHEN_CHOICES,
         pressed=_when),
    Step(N.timezone, (
        "Pick your time zone (I will remember it), or send an IANA name like Europe/Paris."
    ), back=N.when, choices=lambda _: [(zone, zone) for zone in COMMON_ZONES], columns=2,
         typed=_zone_typed, pressed=_remember_zone),
    Step(N.date, "Send the date and time as YYYY-MM-DD HH:MM (your zone: {zone}).",
         back=N.when, typed=_date),
    Step(N.recurring, (
        "Send the time: 09:30 for daily, or mon 09:30 for weekly (your zone: {zone})."
    ), back=N.when, typed=_recurring),
    Step(N.confirm, summary, back=N.when, prepare=preview,
         choices=lambda _: (("yes", "✅ Confirm"),), pressed=save),
)  # fmt: skip
BY_STATE = {step.state: step for step in STEPS}
