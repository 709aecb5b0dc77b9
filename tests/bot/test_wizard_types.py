"""The wizard creates every campaign type: its own steps, checked by the type's own rules."""

from __future__ import annotations

from bot.type_views import MAX_SECTION, figures_text, type_section
from core.campaign_types.engagement import EngagementMode
from core.campaign_types.invitation import InvitationFigures
from core.contest_figures import EngagementFigures
from core.contest_figures import QuestionFigures as QuizQuestion
from core.survey_figures import QuestionFigures as SurveyQuestion
from core.survey_figures import SurveyFigures
from tests.bot.helpers import Person, admin, campaigns


async def to_the_type(ada: Person, name: str, kind: str) -> list:
    """/new, the name, then the type's button; returns what the bot asked next."""
    await ada.says("/new")
    await ada.says(name)
    return await ada.presses(kind)


async def save_as_draft(ada: Person, *, with_message: bool = True) -> None:
    """Everyone, no A/B variant (if there is a message to vary), saved as a draft."""
    await ada.presses("Everyone", expect=2)  # the count, then the next question
    if with_message:
        await ada.presses("No")
    # With a message its preview comes before the summary.
    await ada.presses("Just save the draft", expect=2 if with_message else 1)
    await ada.presses("Confirm")
    assert "Saved campaign" in ada.last_text()


async def test_an_invitation_to_a_picked_chat_with_join_requests(core, harness):
    emu, bot = harness.emu, harness.bot
    tulips = await emu.create_chat(type="supergroup", title="Tulip lovers", username="tulips")
    await emu.set_bot_rights(tulips.id, bot.id, {"can_invite_users": True})
    ada = await admin(harness)
    await to_the_type(ada, "Join the club", "invitation")
    [refused] = await ada.says("the tulip group")
    assert refused.text.startswith("a chat id or a public @username")  # the settings' rule
    [refused] = await ada.says("@nowhere_chat")
    assert "The bot cannot see targetChat @nowhere_chat" in refused.text
    assert refused.reply_markup["inline_keyboard"][0][0]["text"] == "Tulip lovers"  # again
    said, asked = await ada.presses("Tulip lovers", expect=2)
    assert said.text == "Invitations will lead to Tulip lovers."
    assert asked.text.startswith("Should the bot approve join requests")
    await ada.presses("Yes")
    await ada.says("Come and join us, {first_name}!")
    await ada.says("-")
    await save_as_draft(ada)
    [saved] = await campaigns(core)
    assert saved.type == "invitation"
    assert saved.settings == {"targetChat": tulips.id, "approval": True, "buttonText": "Join"}


async def test_an_invitation_by_username_is_checked_with_telegram(core, harness):
    emu, bot = harness.emu, harness.bot
    news = await emu.create_chat(type="channel", title="Garden news", username="garden_news")
    ada = await admin(harness)
    await to_the_type(ada, "News", "invitation")
    [refused] = await ada.says("@garden_news")  # the bot is only a member there
    assert "must be an administrator of targetChat @garden_news" in refused.text
    await emu.set_bot_rights(news.id, bot.id, {"can_invite_users": True})
    said, _ = await ada.says("@garden_news", expect=2)
    assert said.text == "Invitations will lead to Garden news."
    await ada.presses("No")
    await ada.says("Read the garden news")
    await ada.says("-")
    await save_as_draft(ada)
    [saved] = await campaigns(core)
    assert (saved.settings["targetChat"], saved.settings["approval"]) == (news.id, False)


async def test_a_survey_is_built_question_by_question_with_back_and_the_rules(core, harness):
    ada = await admin(harness)
    [asked] = await to_the_type(ada, "Feedback", "data collection")
    assert asked.text == "Survey question 1: send its text."
    await ada.says("How did you hear of us?")
    await ada.presses("One choice")
    [refused] = await ada.says("Friends")
    assert refused.text.startswith("a single_choice question needs 2 to 10 options")
    await ada.says("Friends\nAds\nSearch")
    await ada.presses("Yes")
    [more] = await ada.presses("Add another")
    assert more.text == "Survey question 2: send its text."
    await ada.says("How old are you?")
    await ada.presses("Number")
    [refused] = await ada.says("120 1")
    assert refused.text.startswith("min must be less than max")
    [back] = await ada.presses("Back")  # inside the builder: the question's type again
    assert back.text == "How is «How old are you?» answered?"
    await ada.presses("Number")
    await ada.says("1 120")
    await ada.presses("No")
    [done] = await ada.presses("Done")
    assert "send - to start with the first question" in done.text  # the intro may be skipped
    await ada.says("-")
    await save_as_draft(ada, with_message=False)
    [saved] = await campaigns(core)
    assert (saved.type, saved.messages) == ("data_collection", [])
    assert saved.settings == {"questions": [
        {"key": "q1", "text": "How did you hear of us?", "type": "single_choice",
         "options": ["Friends", "Ads", "Search"], "required": True},
        {"key": "q2", "text": "How old are you?", "type": "number", "min": 1, "max": 120,
         "required": False},
    ]}  # fmt: skip


async def test_a_poll_question_cannot_be_skippable(core, harness):
    ada = await admin(harness)
    await to_the_type(ada, "Poll", "data collection")
    await ada.says("Tea or coffee?")
    await ada.presses("Native poll")
    await ada.says("Tea\nCoffee")
    [refused] = await ada.presses("No")
    assert refused.text.startswith("a poll question is always required")
    await ada.presses("Yes")
    await ada.presses("Done")
    await ada.says("Tell us!")
    await ada.says("-")
    await save_as_draft(ada)
    [saved] = await campaigns(core)
    assert saved.settings["questions"][0]["type"] == "poll"
    assert saved.messages[0]["content"] == "Tell us!"


async def test_a_quiz_marks_its_correct_options_and_back_reopens_them(core, harness):
    ada = await admin(harness)
    await to_the_type(ada, "Quiz night", "engagement")
    await ada.presses("Quiz")
    await ada.says("Capital of France?")
    [refused] = await ada.says("Rome\nParis")
    assert refused.text.startswith("Mark exactly one option, the correct one, with a *")
    await ada.says("Rome\n*Paris")
    [back] = await ada.presses("Back")  # from the explanation: the options again
    assert back.text.startswith("Send the options, one per line")
    await ada.says("Rome\nParis*\nBerlin")
    await ada.says("Paris has been the capital since 987.")
    await ada.presses("Add another")
    await ada.says("2 + 2?")
    await ada.says("*4\n5")
    await ada.says("-")
    await ada.presses("Done")
    await ada.says("Play our quiz, {first_name}!")
    await ada.says("-")
    await save_as_draft(ada)
    [saved] = await campaigns(core)
    assert saved.settings == {"mode": "quiz", "questions": [
        {"key": "q1", "question": "Capital of France?", "options": ["Rome", "Paris", "Berlin"],
         "correctOption": 1, "explanation": "Paris has been the capital since 987."},
        {"key": "q2", "question": "2 + 2?", "options": ["4", "5"], "correctOption": 0},
    ]}  # fmt: skip
    assert "Quiz of 2 questions." in ada.inbox()[-2].text  # the summary, before "Saved"


async def test_a_challenge_has_its_entry_button_and_may_go_without_a_message(core, harness):
    ada = await admin(harness)
    await to_the_type(ada, "Giveaway", "engagement")
    [asked] = await ada.presses("Challenge")
    assert asked.text.startswith("Send the entry button's text")
    [refused] = await ada.says("x" * 65)
    assert refused.text.startswith("entryButtonText:")
    await ada.says("I'm in!")
    await ada.says("-")
    await save_as_draft(ada, with_message=False)
    [saved] = await campaigns(core)
    assert (saved.settings, saved.messages) == (
        {"mode": "challenge", "entryButtonText": "I'm in!"}, [],
    )  # fmt: skip


async def test_a_custom_call_is_picked_and_its_parameters_checked(core, harness):
    ada = await admin(harness)
    [methods] = await to_the_type(ada, "Meet us", "custom")
    labels = {b["text"] for row in methods.reply_markup["inline_keyboard"] for b in row}
    assert {"sendLocation", "sendDice", "copyMessage"} <= labels
    [asked] = await ada.presses("sendLocation")
    assert "(required: latitude, longitude)" in asked.text
    [refused] = await ada.says("latitude 52")
    assert refused.text.startswith("That is not JSON")
    [refused] = await ada.says('{"latitude": 52.52}')
    assert "longitude" in refused.text
    [audience] = await ada.says('{"latitude": 52.52, "longitude": 13.4}')
    assert audience.text == "Who receives it?"  # a call, not a message: no message step
    _, when = await ada.presses("Everyone", expect=2)
    assert when.text == "When should it go out?"  # and no A/B variant of a message
    await ada.presses("Back")
    await ada.presses("Back")  # the audience, then the parameters again
    assert ada.last_text().startswith("Send the parameters of sendLocation")
    await ada.says('{"latitude": 52.52, "longitude": 13.4, "horizontal_accuracy": 10}')
    await save_as_draft(ada, with_message=False)
    [saved] = await campaigns(core)
    assert saved.settings == {"method": "sendLocation", "params": {
        "latitude": 52.52, "longitude": 13.4, "horizontal_accuracy": 10,
    }}  # fmt: skip


async def test_the_card_shows_what_the_type_does_and_its_own_figures(core, harness):
    ada = await admin(harness)
    await to_the_type(ada, "Feedback", "data collection")
    await ada.says("Which colour?")
    await ada.presses("One choice")
    await ada.says("Red\nBlue")
    await ada.presses("Yes")
    await ada.presses("Done")
    await ada.says("-")
    await save_as_draft(ada, with_message=False)
    await ada.says("/campaigns")
    [card] = await ada.presses("Feedback")
    assert card.text.splitlines()[-5:] == [
        "Survey of 1 question.",
        "📋 Started 0 · Completed 0 (0%)",
        "• q1: 0 answered, 0 skipped",
        "   Red:  0",
        "   Blue:  0",
    ]
    timeline, answers = await ada.presses("Statistics", expect=2)
    assert (timeline.media_kind, answers.media_kind) == ("photo", "photo")
    assert answers.caption == "Answers per option"


def test_each_type_s_figures_read_as_card_lines():
    invited = InvitationFigures(invited=8, joined=2, join_rate=25.0)
    assert figures_text("invitation", invited) == "🔗 Invited 8 · Joined 2 · Join rate 25%"
    survey = SurveyFigures(sent=4, started=3, completed=2, completion_rate=50.0, questions=[
        SurveyQuestion(key="colour", type="single_choice", answered=3, skipped=0,
                       options={"Red": 2, "Blue": 1}),
        SurveyQuestion(key="age", type="number", answered=2, skipped=1, mean=31.5),
    ])  # fmt: skip
    assert figures_text("data_collection", survey).splitlines() == [
        "📋 Started 3 · Completed 2 (50%)",
        "• colour: 3 answered, 0 skipped",
        "   Red: ▇▇▇▇▇▇▇▇▇▇ 2",
        "   Blue: ▇▇▇▇▇ 1",
        "• age: 2 answered, 1 skipped, mean 31.5",
    ]
    quiz = EngagementFigures(mode="quiz", participants=5, entries=0, completed=4, all_correct=3,
                             draws=1, winners=2, questions=[QuizQuestion(
                                 key="q1", question="2 + 2?", answers=5, correct=4,
                                 correct_rate=80.0)])  # fmt: skip
    assert figures_text("engagement", quiz).splitlines() == [
        "❓ Participants 5 · Completed 4 · All correct 3 · Winners 2 (1 draw)",
        "• q1: 4/5 correct (80%)",
    ]
    entries = quiz.model_copy(
        update={"mode": EngagementMode.CHALLENGE, "entries": 7, "questions": []}
    )
    assert figures_text("engagement", entries) == "🏁 Entries 7 · Winners 2 (1 draw)"
    assert figures_text("message", None) == ""


async def test_an_invitation_sent_from_the_wizard_shows_its_join_rate_on_the_card(
    core, harness, make_engine
):
    emu, bot = harness.emu, harness.bot
    club = await emu.create_chat(type="supergroup", title="Book club")
    await emu.set_bot_rights(club.id, bot.id, {"can_invite_users": True})
    # As polling asks: the updates the dispatcher's handlers use (chat_member is opt-in).
    emu.bot_state(bot.token).updates.set_allowed(harness.dispatcher.resolve_used_update_types())
    ada = await admin(harness)
    readers = [Person(harness, user.id) for user in await emu.create_users(3)]
    for reader in readers:
        await reader.says("/start")
    await make_engine(rate=20, bot=harness.another_bot()).start()
    await to_the_type(ada, "Book club", "invitation")
    await ada.presses("Book club", expect=2)
    await ada.presses("No")
    await ada.says("Join our book club, {first_name}!")
    await ada.says("-")
    await ada.presses("Everyone", expect=2)
    await ada.presses("No")
    await ada.presses("Send now", expect=2)
    await ada.presses("Confirm")

    def links() -> list[str]:
        found = []
        for reader in [*readers, ada]:
            for message in reader.inbox():
                rows = (message.reply_markup or {}).get("inline_keyboard", [])
                found += [b["url"] for row in rows for b in row if b.get("text") == "Join"]
        return found

    await harness.settle(lambda: len(links()) == 4, within=15)  # the readers and Ada
    progress = next(m for m in ada.inbox() if (m.text or "").startswith("📤"))
    await harness.settle(lambda: "Completed" in (progress.text or ""), within=15)
    await emu.open_link(readers[0].user_id, links()[0])
    await harness.deliver()  # the chat_member update of the join
    await ada.says("/campaigns")
    [card] = await ada.presses("Book club")
    assert card.text.splitlines()[-2:] == [
        f"Invites to {club.id} (single-use links).",
        "🔗 Invited 4 · Joined 1 · Join rate 25%",
    ]


async def test_back_after_add_another_returns_to_the_question_count(core, harness):
    ada = await admin(harness)
    await to_the_type(ada, "Feedback", "data collection")
    await ada.says("Which colour?")
    await ada.presses("One choice")
    await ada.says("Red\nBlue")
    await ada.presses("Yes")
    [asked] = await ada.presses("Add another")
    assert asked.text == "Survey question 2: send its text."
    [back] = await ada.presses("Back")  # the filed question is kept: the count again
    assert back.text == "The survey has 1 question(s). Add another, or done?"
    [back] = await ada.presses("Back")  # and from there, out of the questions
    assert back.text == "What kind of campaign is it?"
    await ada.presses("Cancel")


async def test_back_after_add_another_in_a_quiz_returns_to_the_question_count(core, harness):
    ada = await admin(harness)
    await to_the_type(ada, "Quiz night", "engagement")
    await ada.presses("Quiz")
    await ada.says("2 + 2?")
    await ada.says("*4\n5")
    await ada.says("-")
    [asked] = await ada.presses("Add another")
    assert asked.text == "Quiz question 2: send the question."
    [back] = await ada.presses("Back")
    assert back.text == "The quiz has 1 question(s). Add another, or done?"
    await ada.presses("Done")
    await ada.says("Play!")
    await ada.says("-")
    await save_as_draft(ada)
    [saved] = await campaigns(core)
    assert [q["question"] for q in saved.settings["questions"]] == ["2 + 2?"]


def test_a_card_of_ten_questions_of_ten_long_options_fits_one_message():
    options = {f"Option {j} ".ljust(64, "x"): j for j in range(10)}
    survey = SurveyFigures(sent=10, started=5, completed=5, completion_rate=50.0, questions=[
        SurveyQuestion(key=f"q{i}".ljust(64, "k"), type="single_choice", answered=5, skipped=0,
                       options=options)
        for i in range(10)
    ])  # fmt: skip
    text = type_section("data_collection", {"questions": [{}] * 10}, survey)
    assert len(text) <= MAX_SECTION < 4096
    lines = text.splitlines()
    assert lines[-1] == "…"  # cut at a whole line
    assert "   … 5 more" in lines  # options beyond the fifth are summed up
    assert max(len(line) for line in lines) < 120  # labels are clipped
    assert "   Option 0 " + "x" * 22 + "…:  0" in lines  # 32 characters
