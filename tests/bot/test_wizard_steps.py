"""The wizard's step table: every state defined once, wired once; stories of the rarer paths."""

from __future__ import annotations

from bot.callbacks import Choice, Nav
from bot.routers.wizard import build_router
from bot.routers.wizard.step import Facts
from bot.routers.wizard.steps import BY_STATE, STEPS
from bot.states import NewCampaign
from core.context import Actor
from core.drafts import Draft
from core.models import CHOOSABLE_TYPES, CampaignType
from core.segments import SegmentInput, save_segment
from tests.bot.helpers import admin, campaigns

FACTS = Facts(everyone=3, segments=[("seg_1", "VIPs")], chats=[("-1001", "Tulip lovers")])
# A draft of each type, so far as to have chosen it (and, for a quiz, its mode).
DRAFTS = [Draft(type=kind) for kind in CHOOSABLE_TYPES] + [
    Draft(type=CampaignType.ENGAGEMENT, settings={"mode": "challenge"}),
    Draft(type=CampaignType.DATA_COLLECTION, pending={"type": "number"}),
    Draft(type=CampaignType.CUSTOM, settings={"method": "sendDice"}, message={"content": "x"}),
]


def test_every_state_of_the_wizard_has_exactly_one_step_in_order():
    assert [step.state for step in STEPS] == list(NewCampaign.__all_states__)
    assert len(BY_STATE) == len(STEPS)


def test_back_leads_to_a_step_of_the_wizard_and_only_the_first_step_has_none():
    assert STEPS[0].back is None
    for step in STEPS[1:]:
        for draft in DRAFTS:  # Back from a type's steps depends on the draft so far
            assert step.back_to(draft) in BY_STATE, step.name
            assert step.back_to(draft) != step.state, step.name


def test_each_step_reads_some_answer_and_buttons_have_a_handler():
    for step in STEPS:
        assert step.typed or step.pressed or step.sent, step.name
        assert bool(step.choices(FACTS)) == (step.pressed is not None), step.name
        assert not (step.sent and step.typed), step.name


def test_each_keyboard_builds_with_its_own_buttons_then_back_and_cancel():
    for step in STEPS:
        rows = step.keyboard(FACTS).inline_keyboard
        *choices, nav = rows
        assert [b.text for b in nav] == (["« Back"] if step.back else []) + ["Cancel"]
        assert all(Nav.unpack(b.callback_data or "") for b in nav)
        pressed = [Choice.unpack(b.callback_data or "") for row in choices for b in row]
        assert {c.step for c in pressed} <= {step.name}, step.name
        assert [c.value for c in pressed] == [v for v, _ in step.choices(FACTS)]
        assert all(len(b.callback_data or "") <= 64 for row in rows for b in row)


def test_the_audience_buttons_show_the_count_and_a_question_mark_without_it():
    audience = BY_STATE[NewCampaign.audience]
    assert audience.keyboard(FACTS).inline_keyboard[0][0].text == "Everyone (3)"
    assert audience.keyboard().inline_keyboard[0][0].text == "Everyone (?)"


def test_every_question_reads_well():
    draft = Draft(name="Promo", timezone="Europe/Paris")
    for step in STEPS:
        question = step.question(draft)
        assert question and "{zone}" not in question, step.name
    assert "(your zone: Europe/Paris)" in BY_STATE[NewCampaign.date].question(draft)
    assert "{first_name}" in BY_STATE[NewCampaign.content].question(draft)


def test_the_router_has_one_answer_handler_per_state():
    router = build_router()
    # /cancel and /new, then one message handler per step.
    assert len(router.message.handlers) == 2 + len(STEPS)
    backs = sum(step.back is not None for step in STEPS)
    presses = sum(step.pressed is not None for step in STEPS)
    # The menu's "New campaign", each Back, each step's buttons, the Cancel button.
    assert len(router.callback_query.handlers) == 1 + backs + presses + 1


async def test_a_segment_is_picked_from_the_list_and_back_returns_to_the_audience(
    core, tenant, harness
):
    ada = await admin(harness)
    await ada.says("/new")
    await ada.says("Segment promo")
    await ada.presses("message")
    await ada.says("Hi {first_name}")
    await ada.says("-")
    [nothing] = await ada.presses("A segment")
    assert nothing.text == "There are no segments yet: create them with the REST API."
    async with core.uow() as uow:
        vips = await save_segment(uow, Actor(tenant.id, "api:test"), SegmentInput.model_validate(
            {"name": "VIPs", "rules": {"all": [{"field": "languageCode", "op": "eq", "value": "de"}]}}
        ))  # fmt: skip
    [picker] = await ada.presses("A segment")
    assert picker.text == "Pick a segment:"
    await ada.presses("Back")
    assert ada.last_text() == "Who receives it?"
    await ada.presses("A segment")
    count, question = await ada.presses("VIPs", expect=2)
    assert count.text == "This audience has 0 subscribers now."
    assert question.text.startswith("Add an A/B variant")
    await ada.presses("No")
    await ada.presses("Just save the draft", expect=2)
    assert "segment seg_" in ada.last_text()
    await ada.presses("Confirm")
    [saved] = await campaigns(core)
    assert saved.target_audience == {"segments": [f"seg_{vips.id}"]}


async def test_a_weekly_campaign_asks_the_zone_once_and_remembers_it(core, harness):
    ada = await admin(harness)
    for round_ in ("first", "second"):
        await ada.says("/new")
        await ada.says(f"Weekly {round_}")
        await ada.presses("message")
        await ada.says("Hello")
        await ada.says("-")
        await ada.presses("Everyone", expect=2)
        await ada.presses("No")
        [asked] = await ada.presses("Every week")
        if round_ == "first":
            assert asked.text.startswith("Pick your time zone")
            [refused] = await ada.says("Mars/Olympus")
            assert refused.text.startswith("'Mars/Olympus' is not an IANA time zone")
            assert refused.text.endswith("or send an IANA name like Europe/Paris.")
            [asked] = await ada.says("Europe/Paris")
        assert asked.text.endswith("(your zone: Europe/Paris).")
        assert "09:30" in (await ada.says("someday"))[0].text  # explained, asked again
        await ada.says("mon 09:30", expect=2)  # the preview, then the summary
        assert "weekly at 09:30 (Europe/Paris)" in ada.last_text()
        await ada.presses("Confirm")
        assert "repeating weekly" in ada.last_text()
    assert [c.name for c in await campaigns(core)] == ["Weekly first", "Weekly second"]
