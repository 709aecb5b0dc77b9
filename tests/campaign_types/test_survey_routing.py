"""Which survey a message answers: replies to a question, the current question's kind, two
open surveys at once, cancelled campaigns, the capture bound, and messages meant for others."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from core.interactions import Attribution, record_conversion
from core.survey_prompts import SurveyAction, SurveyButton
from core.surveys import CAPTURE_FOR, StepKind, press
from storage.models import Campaign, Delivery, Interaction, Subscriber
from storage.models_types import Answer
from storage.repositories.deliveries import DeliveryRepository
from tests.bot import conftest as bot_fixtures
from tests.bot.helpers import Person
from tests.campaign_types.test_survey_bot import INTRO, answers, shares_contact, stored, survey_sent
from tests.delivery import conftest as delivery_fixtures
from tests.delivery.conftest import launch, wait_for_status

harness = bot_fixtures.harness
emulator_config = bot_fixtures.emulator_config
actor = delivery_fixtures.actor

WHY = [
    {"key": "why", "text": "Why?", "type": "text"},
    {"key": "stars", "text": "Stars?", "type": "rating"},
]
COLOUR = [{"key": "colour", "text": "Colour?", "type": "single_choice", "options": ["Red", "Blue"]}]
NOTE = [{"key": "note", "text": "A note?", "type": "text"}]


async def another_survey(core, actor, questions) -> int:
    """A second data_collection campaign run to the subscribers already there."""
    campaign_id, _ = await launch(
        core, actor, type="data_collection", messages=INTRO, settings={"questions": questions}
    )
    # The engine survey_sent started is still running: it picks the new run up.
    await wait_for_status(core, campaign_id, {"completed"})
    statuses = [d.status for d in await stored(core, Delivery)]
    assert statuses[-1] == "sent", statuses
    return campaign_id


async def answered_by_campaign(core) -> dict:
    return {(a.campaign_id, a.question): a.value for a in await stored(core, Answer)}


async def test_typed_text_goes_to_the_survey_whose_question_takes_it(
    core, actor, emu, make_engine, harness
):
    first = await survey_sent(core, actor, emu, make_engine, harness, 601, questions=WHY)
    second = await another_survey(core, actor, COLOUR)
    ann = Person(harness, 601)
    # The newest survey asks for a colour: free text is the older survey's text question's.
    [stars] = await ann.says("because")
    assert stars.text.startswith("(2/2) Stars?")
    # "blue" is no rating: it answers the newest survey's choice.
    [thanks] = await ann.says("blue")
    assert thanks.text == "Thank you! Your answers are saved."
    assert await answered_by_campaign(core) == {
        (first, "why"): "because",
        (second, "colour"): "Blue",
    }


async def test_a_reply_to_a_question_goes_to_that_survey(core, actor, emu, make_engine, harness):
    first = await survey_sent(core, actor, emu, make_engine, harness, 602, questions=NOTE)
    second = await another_survey(core, actor, NOTE)
    ann = Person(harness, 602)
    older, newer = ann.inbox()
    await emu.user_sends(602, "for the first", reply_to_message_id=older.message_id)
    await harness.settle(lambda: len(ann.inbox()) == 3)
    assert await answered_by_campaign(core) == {(first, "note"): "for the first"}
    [thanks] = await ann.says("no reply: the newest")
    assert thanks.text == "Thank you! Your answers are saved."
    assert await answered_by_campaign(core) == {
        (first, "note"): "for the first",
        (second, "note"): "no reply: the newest",
    }
    assert newer.message_id != older.message_id


async def test_a_reply_to_a_later_question_finds_its_message(
    core, actor, emu, make_engine, harness
):
    two_texts = [*NOTE, {"key": "more", "text": "More?", "type": "text"}]
    first = await survey_sent(core, actor, emu, make_engine, harness, 603, questions=two_texts)
    ann = Person(harness, 603)
    [more] = await ann.says("one")
    second = await another_survey(core, actor, NOTE)
    await emu.user_sends(603, "two", reply_to_message_id=more.message_id)
    await harness.settle(lambda: ann.last_text() == "Thank you! Your answers are saved.")
    assert await answered_by_campaign(core) == {(first, "note"): "one", (first, "more"): "two"}
    assert second != first


async def test_an_open_choice_question_lets_start_share_phone_and_chat_pass(
    core, actor, emu, make_engine, harness
):
    await survey_sent(core, actor, emu, make_engine, harness, 604, questions=COLOUR)
    ann = Person(harness, 604)
    [welcome] = await ann.says("/start")
    assert "Colour?" not in (welcome.text or "")
    [saved] = await shares_contact(harness, ann)  # the subscription's share-phone button
    assert saved.text == "Thanks, +15550000604 is saved."
    [subscriber] = await stored(core, Subscriber)
    assert subscriber.phone == "+15550000604"
    assert await ann.says("hello there", expect=0) == []
    assert await answers(core) == {}
    [thanks] = await ann.presses("Red")  # the survey itself still answers
    assert thanks.text == "Thank you! Your answers are saved."


async def test_a_cancelled_survey_is_closed(core, actor, emu, make_engine, harness):
    questions = [*COLOUR, *NOTE]
    campaign_id = await survey_sent(
        core, actor, emu, make_engine, harness, 605, questions=questions
    )
    ann = Person(harness, 605)
    [note] = await ann.presses("Red")
    async with core.uow() as uow:  # cancelled while its run was still going (to others)
        await uow.session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(status="cancelled")
        )
    assert await ann.says("typed after the cancel", expect=0) == []
    await emu.user_sends(605, "a reply", reply_to_message_id=note.message_id)
    await harness.settle(lambda: True)
    assert len(ann.inbox()) == 2
    assert await answers(core) == {"colour": "Red"}
    await ann.presses("« Back", expect=0)
    assert await answers(core) == {"colour": "Red"}
    last_press = list(emu.state.callbacks.queries.values())[-1]
    assert last_press.answer_text == "This survey is closed."


async def test_a_survey_past_its_end_date_is_closed(core, actor, emu, make_engine, harness):
    campaign_id = await survey_sent(core, actor, emu, make_engine, harness, 606, questions=NOTE)
    async with core.uow() as uow:
        await uow.session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(end_date=core.clock())
        )
    ann = Person(harness, 606)
    assert await ann.says("too late", expect=0) == []
    assert await answers(core) == {}


async def test_typed_text_is_captured_for_a_week_replies_longer(
    core, actor, emu, make_engine, harness, clock
):
    await survey_sent(core, actor, emu, make_engine, harness, 607, questions=NOTE)
    ann = Person(harness, 607)
    [question] = ann.inbox()
    clock.advance(CAPTURE_FOR + timedelta(minutes=1))
    assert await ann.says("a week later", expect=0) == []
    assert await answers(core) == {}
    await emu.user_sends(607, "as a reply", reply_to_message_id=question.message_id)
    await harness.settle(lambda: len(ann.inbox()) == 2)
    assert await answers(core) == {"note": "as a reply"}


async def test_an_api_conversion_does_not_close_the_survey(core, actor, emu, make_engine, harness):
    questions = [*COLOUR, *NOTE]
    campaign_id = await survey_sent(
        core, actor, emu, make_engine, harness, 608, questions=questions
    )
    [delivery] = await stored(core, Delivery)
    async with core.uow() as uow:  # what POST /api/v1/events records for a conversion
        await record_conversion(
            uow, actor, delivery.subscriber_id, Attribution(delivery_id=delivery.id), 9.5,
            core.clock(),
        )  # fmt: skip
    ann = Person(harness, 608)
    [note] = await ann.presses("Red")
    assert note.text.startswith("(2/2) A note?")
    [thanks] = await ann.says("still open")
    assert thanks.text == "Thank you! Your answers are saved."
    assert await answers(core) == {"colour": "Red", "note": "still open"}
    conversions = await stored(core, Interaction, Interaction.type == "CONVERTED")
    details = sorted((c.details for c in conversions), key=lambda d: "survey" in d)
    assert details == [
        {"source": "event"},
        {"survey": "completed", "answered": 2, "skipped": 0},
    ]
    [campaign] = await stored(core, Campaign, Campaign.id == campaign_id)
    assert campaign.converted_count == 1  # the recipient converted once


async def test_an_answer_before_the_write_back_keeps_the_next_polls_id(
    core, actor, emu, make_engine, harness
):
    questions = [*COLOUR, {"key": "pet", "text": "Pet?", "type": "poll", "options": ["Cat", "Dog"]}]
    await survey_sent(core, actor, emu, make_engine, harness, 609, questions=questions)
    [sent] = await stored(core, Delivery)
    async with core.uow() as uow:  # the row as it is while the engine has not written it back
        await uow.session.execute(
            update(Delivery)
            .where(Delivery.id == sent.id)
            .values(status="sending", claimed_by="late-writer", ref=None, message_id=None)
        )
    ann = Person(harness, 609)
    [poll] = await ann.presses("Blue")
    async with core.uow() as uow:  # now the engine's write-back of the opening arrives
        written = await DeliveryRepository(uow.session).write_back(
            [
                {
                    "id": sent.id, "status": "sent", "chat_id": sent.chat_id,
                    "message_id": sent.message_id, "attempts": 1,
                    "processed_at": sent.processed_at, "claimed_by": None, "ref": None,
                    "cost": 0.0,
                }
            ],
            "late-writer",
        )  # fmt: skip
    assert written.statuses == {"sent": 1}
    await emu.vote(609, poll.message_id, [1])
    await harness.settle(lambda: ann.last_text() == "Thank you! Your answers are saved.")
    assert await answers(core) == {"colour": "Blue", "pet": "Dog"}


async def test_two_last_answers_at_once_complete_the_survey_once(
    core, actor, emu, make_engine, harness, tenant
):
    campaign_id = await survey_sent(core, actor, emu, make_engine, harness, 610, questions=COLOUR)
    [delivery] = await stored(core, Delivery)

    async def choose(option: int) -> StepKind:
        data = SurveyButton(
            delivery_id=delivery.id, action=SurveyAction.ANSWER, question=0, option=option
        )
        async with core.uow() as uow:
            step = await press(uow, tenant.id, 610, data)
            await uow.commit()
        return step.kind

    kinds = await asyncio.gather(choose(0), choose(1))
    assert sorted(kinds) == [StepKind.DONE, StepKind.STALE]
    assert len(await stored(core, Interaction, Interaction.type == "CONVERTED")) == 1
    [campaign] = await stored(core, Campaign, Campaign.id == campaign_id)
    assert campaign.converted_count == 1
