"""A survey answered in the bot (fed in-process): buttons, typed answers, Skip, Back, refusals,
a restart halfway, completion as the delivery's conversion, and poll questions."""

from __future__ import annotations

from aiogram.types import Update
from sqlalchemy import select

from bot.dispatcher import build_dispatcher
from core.campaign_types.base import RunContext
from core.campaign_types.registry import policy_for
from core.events import DomainEvent
from core.survey_prompts import SHARE_PHONE, SurveyAction, SurveyButton
from core.surveys import StepKind, press
from storage.models import Campaign, Delivery, Interaction, Subscriber
from storage.models_types import Answer
from tests.bot import conftest as bot_fixtures
from tests.bot.helpers import Person
from tests.delivery import conftest as delivery_fixtures
from tests.delivery.conftest import add_subscribers, launch, wait_for_status

# The in-process bot and the API actor of the bot and delivery tests.
harness = bot_fixtures.harness
emulator_config = bot_fixtures.emulator_config
actor = delivery_fixtures.actor

QUESTIONS = [
    {"key": "color", "text": "Favourite colour?", "type": "single_choice",
     "options": ["Red", "Blue", "Green"]},
    {"key": "toppings", "text": "Toppings?", "type": "multiple_choice",
     "options": ["Cheese", "Ham", "Olives"], "required": False},
    {"key": "age", "text": "Your age?", "type": "number", "min": 1, "max": 120},
    {"key": "rating", "text": "Rate us", "type": "rating"},
    {"key": "comment", "text": "Anything else?", "type": "text", "required": False,
     "maxLength": 20},
    {"key": "phone", "text": "Your phone?", "type": "phone"},
]  # fmt: skip
INTRO = [{"content": "Hi {first_name}, a quick survey"}]


async def survey_sent(
    core, actor, emu, make_engine, harness, user_id, questions=QUESTIONS, **settings
):
    """A data_collection campaign run to one subscriber: the engine sent its first question."""
    await emu.create_user(id=user_id, first_name="Ann")
    await add_subscribers(core, actor, [user_id])
    campaign_id, _ = await launch(
        core,
        actor,
        type="data_collection",
        messages=INTRO,
        settings={"questions": questions, **settings},
    )
    await make_engine(bot=harness.another_bot()).start()
    await wait_for_status(core, campaign_id, {"completed"})
    return campaign_id


async def stored(core, model, *where):
    async with core.uow() as uow:
        return list(await uow.session.scalars(select(model).where(*where)))


async def answers(core) -> dict:
    return {a.question: a.value for a in await stored(core, Answer)}


async def shares_contact(harness, person: Person) -> list:
    """The person presses the share-phone button (their own contact)."""
    before = len(person.inbox())
    await harness.emu.share_contact(person.user_id)
    await harness.settle(lambda: len(person.inbox()) > before)
    return person.inbox()[before:]


def buttons(message) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [button["text"] for row in rows for button in row]


async def test_a_survey_is_answered_with_back_skip_refusals_and_a_restart(
    core, actor, emu, make_engine, harness, tenant
):
    converted: list[DomainEvent] = []

    async def witness(event: DomainEvent) -> None:
        converted.append(event)

    core.bus.subscribe("interaction.converted", witness)
    campaign_id = await survey_sent(core, actor, emu, make_engine, harness, 501, thanks="Merci!")
    ann = Person(harness, 501)
    [opening] = ann.inbox()
    assert opening.text == "Hi User501, a quick survey\n\n(1/6) Favourite colour?"
    assert buttons(opening) == ["Red", "Blue", "Green"]  # required, first: no Skip, no Back

    [second] = await ann.presses("Blue")
    assert second.text.startswith("(2/6) Toppings?")
    assert buttons(second) == ["Cheese", "Ham", "Olives", "Done", "« Back", "Skip"]
    assert await answers(core) == {"color": "Blue"}

    [again] = await ann.presses("« Back")  # the answer is taken back and the question asked again
    assert again.text == "(1/6) Favourite colour?" and buttons(again) == ["Red", "Blue", "Green"]
    assert await answers(core) == {}
    [second] = await ann.presses("Red")

    await ann.presses("Cheese", expect=0)  # a toggle only redraws the buttons
    await ann.presses("Olives", expect=0)
    assert buttons(ann.inbox()[-1])[:3] == ["✅ Cheese", "Ham", "✅ Olives"]
    assert await answers(core) == {"color": "Red"}
    [third] = await ann.presses("Done")
    assert third.text == "(3/6) Your age?\nA number from 1 to 120."

    [refusal] = await ann.says("200")
    assert refusal.text == "Please send a number from 1 to 120."
    [fourth] = await ann.says("34")
    assert fourth.text.startswith("(4/6) Rate us") and buttons(fourth)[:5] == list("12345")

    # The bot restarts: nothing of the survey was kept in memory.
    harness.dispatcher = build_dispatcher(core, tenant.id)
    [fifth] = await ann.presses("5")
    assert fifth.text == "(5/6) Anything else?"
    [refusal] = await ann.says("far too long for twenty characters")
    assert refusal.text.startswith("Please keep it to 20 characters")
    [sixth] = await ann.presses("Skip")
    keyboard = sixth.reply_markup["keyboard"]
    assert keyboard[0][0] == {"text": SHARE_PHONE, "request_contact": True}

    [back] = await ann.says("« Back")  # the phone keyboard's Back key
    assert back.text == "(5/6) Anything else?"
    [sixth] = await ann.presses("Skip")
    assert sixth.text.startswith("(6/6) Your phone?")
    [refusal] = await ann.says("+15551234567")
    assert refusal.text == "Please press the button to share your phone number."
    [thanks] = await shares_contact(harness, ann)
    assert thanks.text == "Merci!"

    assert await answers(core) == {
        "color": "Red", "toppings": ["Cheese", "Olives"], "age": 34, "rating": 5,
        "comment": None, "phone": "+15550000501",
    }  # fmt: skip
    [conversion] = await stored(core, Interaction, Interaction.type == "CONVERTED")
    assert conversion.details == {"survey": "completed", "answered": 5, "skipped": 1}
    [campaign] = await stored(core, Campaign, Campaign.id == campaign_id)
    assert campaign.converted_count == 1
    [subscriber] = await stored(core, Subscriber)
    assert subscriber.phone == "+15550000501"
    assert [e.data["deliveryId"] for e in converted] == [conversion.delivery_id]

    # A finished survey takes no more answers (a button press, even a forged one, says so).
    assert buttons(ann.inbox()[0]) == []  # answered questions lose their buttons
    forged = SurveyButton(
        delivery_id=conversion.delivery_id, action=SurveyAction.ANSWER, question=0
    )
    async with core.uow() as uow:
        step = await press(uow, tenant.id, 501, forged)
    assert (step.kind, step.message) == (StepKind.STALE, "This survey is closed.")
    assert len(await stored(core, Answer)) == 6


async def test_only_the_recipients_own_contact_answers_a_phone_question(
    core, actor, emu, make_engine, harness
):
    phone = [{"key": "phone", "text": "Your phone?", "type": "phone"}]
    await survey_sent(core, actor, emu, make_engine, harness, 502, questions=phone)
    await emu.create_user(id=503, first_name="Bob")
    ann = Person(harness, 502)
    await emu.share_contact(502)
    queue = emu.bot_state(harness.bot.token).updates
    [raw] = queue.peek(1)
    queue.confirm(raw["update_id"] + 1)
    raw["message"]["contact"]["user_id"] = 503  # someone else's contact card, passed on
    update = Update.model_validate(raw, context={"bot": harness.bot})
    await harness.dispatcher.feed_update(harness.bot, update, bots=[harness.bot])
    assert ann.last_text() == "Please share your own number with the button."
    assert await answers(core) == {}
    [thanks] = await shares_contact(harness, ann)
    assert thanks.text == "Thank you! Your answers are saved."


async def test_commands_and_strangers_pass_the_survey_by(core, actor, emu, make_engine, harness):
    await survey_sent(core, actor, emu, make_engine, harness, 504)
    ann = Person(harness, 504)
    [help_text] = await ann.says("/help")
    assert help_text.text.startswith("You receive news")
    # Text that answers no open question is not the survey's; a reply to the question is.
    assert await ann.says("purple", expect=0) == []
    [opening] = ann.inbox()[:1]
    await emu.user_sends(504, "purple", reply_to_message_id=opening.message_id)
    await harness.settle(lambda: ann.last_text() == "Please choose one of the buttons.")
    [typed] = await ann.says("green")  # a typed option is as good as its button
    assert typed.text.startswith("(2/6) Toppings?")
    stranger = Person(harness, 505)
    await emu.create_user(id=505)
    assert await stranger.says("green", expect=0) == []


async def test_poll_questions_are_native_polls_answered_by_vote(
    core, actor, emu, make_engine, harness
):
    questions = [
        {"key": "pet", "text": "Cats or dogs?", "type": "poll", "options": ["Cats", "Dogs"]},
        {"key": "rating", "text": "Rate us", "type": "rating"},
    ]
    campaign_id = await survey_sent(
        core, actor, emu, make_engine, harness, 506, questions=questions
    )
    ann = Person(harness, 506)
    intro, poll = ann.inbox()
    assert intro.text == "Hi User506, a quick survey"
    assert (
        poll.message["poll"]["question"] == "Cats or dogs?"
        and poll.message["poll"]["is_anonymous"] is False
    )
    [delivery] = await stored(core, Delivery)
    assert delivery.ref == poll.message["poll"]["id"] and delivery.message_id == poll.message_id

    await emu.vote(506, poll.message_id, [1])
    await harness.settle(lambda: len(ann.inbox()) == 3)
    rating = ann.inbox()[-1]
    assert rating.text.startswith("(2/2) Rate us") and "« Back" in buttons(rating)

    [again] = await ann.presses("« Back")  # a new poll; the old one no longer answers
    assert (
        again.message["poll"]["question"] == "Cats or dogs?"
        and again.message["poll"]["id"] != poll.message["poll"]["id"]
    )
    [delivery] = await stored(core, Delivery)
    assert delivery.ref == again.message["poll"]["id"]
    assert await answers(core) == {}
    await emu.vote(506, again.message_id, [0])
    await harness.settle(lambda: len(ann.inbox()) == 5)
    [thanks] = await ann.presses("4")
    assert thanks.text == "Thank you! Your answers are saved."
    assert await answers(core) == {"pet": "Cats", "rating": 4}
    [campaign] = await stored(core, Campaign, Campaign.id == campaign_id)
    assert campaign.converted_count == 1


async def test_the_opening_is_the_question_alone_or_after_an_html_intro(harness, emu):
    await emu.create_user(id=507)
    policy = policy_for("data_collection")
    settings = {"questions": [{"key": "why", "text": "Is 1 < 2?", "type": "text"}]}
    bare = policy.prepare([], 0, RunContext(settings=settings))
    sent = await policy.send(harness.bot, 507, bare, delivery_id=1, recipient=None, paid=False)
    [alone] = Person(harness, 507).inbox()
    assert (alone.text, alone.message_id, sent.ref) == ("Is 1 < 2?", sent.message_id, None)
    assert alone.reply_markup["force_reply"] is True

    html = [{"content": "<b>Hello</b>", "parseMode": "HTML"}]
    intro = policy.prepare(html, 0, RunContext(settings=settings))
    await policy.send(harness.bot, 507, intro, delivery_id=1, recipient=None, paid=True)
    opening = Person(harness, 507).inbox()[-1]
    assert opening.text == "Hello\n\nIs 1 < 2?" and opening.allow_paid_broadcast

    photo = [{"content": "Look", "media": {"type": "photo", "url": "https://example.com/a.jpg"}}]
    with_media = policy.prepare(photo, 0, RunContext(settings=settings))
    sent = await policy.send(
        harness.bot, 507, with_media, delivery_id=1, recipient=None, paid=False
    )
    picture, question = Person(harness, 507).inbox()[-2:]
    assert (picture.caption, picture.media_kind) == ("Look", "photo")
    assert question.text == "Is 1 < 2?" and sent.message_id == question.message_id
