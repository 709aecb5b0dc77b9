"""Survey rules without Telegram: which settings are a survey, which replies are answers."""

from __future__ import annotations

import pytest

from core.campaign_types.settings import settings_for
from core.errors import ValidationFailed
from core.survey_figures import cell
from core.survey_prompts import SurveyAction, SurveyButton, question_markup
from core.survey_settings import Question
from core.survey_validation import NotAnAnswer, Reply, answer_value, takes_text


def survey(*questions, **more):
    return {"questions": list(questions), **more}


def refused_fields(raw) -> set[str]:
    with pytest.raises(ValidationFailed) as caught:
        settings_for("data_collection", raw)
    return {detail["field"] for detail in caught.value.details}


def test_a_valid_survey_is_stored_camel_case_with_its_defaults():
    stored = settings_for(
        "data_collection",
        survey(
            {"key": "age", "text": "How old are you?", "type": "number", "min": 1, "max": 120},
            {
                "key": "bio",
                "text": "About you",
                "type": "text",
                "maxLength": 200,
                "required": False,
            },
            {
                "key": "color",
                "text": "Colour?",
                "type": "single_choice",
                "options": ["Red", "Blue"],
            },
            thanks="Merci!",
        ),
    )
    assert stored["thanks"] == "Merci!"
    assert stored["questions"][1] == {
        "key": "bio", "text": "About you", "type": "text", "required": False, "maxLength": 200,
    }  # fmt: skip
    assert stored["questions"][2]["required"] is True


@pytest.mark.parametrize(
    "question",
    [
        {"key": "c", "text": "Pick", "type": "single_choice"},  # choices need options
        {"key": "c", "text": "Pick", "type": "multiple_choice", "options": ["only one"]},
        {"key": "c", "text": "Pick", "type": "poll", "options": ["a", "a"]},  # not distinct
        {
            "key": "c",
            "text": "Pick",
            "type": "single_choice",
            "options": [str(i) for i in range(11)],
        },
        {"key": "c", "text": "Pick", "type": "single_choice", "options": ["x" * 65, "y"]},
        {"key": "n", "text": "How many?", "type": "number", "min": 5, "max": 5},
        {"key": "n", "text": "Rate", "type": "rating", "min": 1},  # bounds are for numbers
        {"key": "t", "text": "Say", "type": "text", "options": ["a", "b"]},
        {"key": "p", "text": "Phone", "type": "phone", "maxLength": 20},
        {"key": "p", "text": "Vote", "type": "poll", "options": ["a", "b"], "required": False},
        {"key": "bad key!", "text": "Say", "type": "text"},
        {"key": "k" * 65, "text": "Say", "type": "text"},
        {"key": "t", "text": "Say", "type": "essay"},
        {"key": "t", "text": "Say", "type": "text", "colour": "red"},
    ],
)
def test_a_question_that_does_not_fit_its_type_is_refused_under_its_index(question):
    fields = refused_fields(survey(question))
    assert fields and all(f.startswith("settings.questions[0]") for f in fields), fields


def test_a_survey_needs_one_to_twenty_questions_with_unique_keys():
    text = {"key": "a", "text": "Say", "type": "text"}
    assert refused_fields(survey()) == {"settings.questions"}
    assert refused_fields({}) == {"settings.questions"}
    many = [{**text, "key": f"q{i}"} for i in range(21)]
    assert refused_fields(survey(*many)) == {"settings.questions"}
    assert refused_fields(survey(text, text)) == {"settings"}


def ask(question: dict, reply: Reply):
    return answer_value(Question.model_validate(question), reply)


def refusal(question: dict, reply: Reply) -> str:
    with pytest.raises(NotAnAnswer) as caught:
        ask(question, reply)
    return caught.value.message


NUMBER = {"key": "n", "text": "How many?", "type": "number", "min": 1, "max": 10}
CHOICE = {"key": "c", "text": "Pick", "type": "single_choice", "options": ["Red", "Blue"]}
MANY = {"key": "m", "text": "Pick", "type": "multiple_choice", "options": ["A", "B", "C"]}


def test_numbers_are_parsed_and_held_to_their_bounds():
    assert ask(NUMBER, Reply(text=" 7 ")) == 7
    assert ask(NUMBER, Reply(text="2,5")) == 2.5
    assert refusal(NUMBER, Reply(text="11")) == "Please send a number from 1 to 10."
    assert refusal(NUMBER, Reply(text="0")) == "Please send a number from 1 to 10."
    assert refusal(NUMBER, Reply(text="seven")) == "Please send a number, e.g. 42."
    assert refusal(NUMBER, Reply(text="nan")) == "Please send a number, e.g. 42."
    assert ask({**NUMBER, "max": None}, Reply(text="1e6")) == 1_000_000


def test_a_comma_is_a_decimal_one_only_when_it_cannot_be_thousands():
    wide = {**NUMBER, "max": None}
    ambiguous = "Please send the number without a thousands separator: 1500 or 1.5."
    assert refusal(wide, Reply(text="1,500")) == ambiguous  # never stored as 1.5
    assert refusal(wide, Reply(text="1,000,000")) == ambiguous
    assert refusal(wide, Reply(text="1.000,5")) == ambiguous
    assert ask(wide, Reply(text="1,5")) == 1.5
    assert ask(wide, Reply(text="12,75")) == 12.75
    assert ask(wide, Reply(text="1,5000")) == 1.5
    assert ask(wide, Reply(text="1500")) == 1500


def test_which_typed_text_a_current_question_takes():
    def takes(question: dict, text: str, index: int = 0) -> bool:
        return takes_text(Question.model_validate(question), index, text)

    assert takes(NUMBER, "anything") and takes({**NUMBER, "type": "text", "min": None,
                                                "max": None}, "hi")  # fmt: skip
    assert takes(CHOICE, " blue ") and not takes(CHOICE, "purple")
    rating = {"key": "r", "text": "Rate", "type": "rating"}
    assert takes(rating, "4") and not takes(rating, "9") and not takes(rating, "good")
    assert not takes(MANY, "A")
    phone = {"key": "p", "text": "Phone?", "type": "phone", "required": False}
    assert takes(phone, "Skip") and takes(phone, "« Back", 1) and not takes(phone, "« Back")
    assert takes(phone, "+1 555 123 4567") and not takes(phone, "hello")
    assert not takes({**phone, "required": True}, "Skip")


def test_text_is_trimmed_and_kept_to_its_length():
    question = {"key": "t", "text": "Say", "type": "text", "maxLength": 5}
    assert ask(question, Reply(text="  hello ")) == "hello"
    assert "5 characters (yours has 6)" in refusal(question, Reply(text="hello!"))
    assert refusal(question, Reply(option=0)) == "Please type your answer."


def test_choices_take_a_button_or_the_typed_option():
    assert ask(CHOICE, Reply(option=1)) == "Blue"
    assert ask(CHOICE, Reply(text="red")) == "Red"
    assert refusal(CHOICE, Reply(option=2)) == "Please choose one of the buttons."
    assert refusal(CHOICE, Reply(text="green")) == "Please choose one of the buttons."
    assert ask(MANY, Reply(mask=0b101)) == ["A", "C"]
    assert refusal(MANY, Reply(mask=0)) == "Choose at least one option, then press Done."
    assert refusal(MANY, Reply(mask=0b1000)) == "Please choose one of the buttons."
    rating = {"key": "r", "text": "Rate us", "type": "rating"}
    assert ask(rating, Reply(option=5)) == 5 and ask(rating, Reply(text="3")) == 3
    assert refusal(rating, Reply(option=6)) == "Please rate from 1 to 5."


def test_a_phone_must_be_the_senders_own_contact():
    phone = {"key": "p", "text": "Your phone?", "type": "phone"}
    assert (
        ask(phone, Reply(contact_phone="966 53 907 8942", contact_is_own=True)) == "+966539078942"
    )
    assert refusal(phone, Reply(contact_phone="+15550000001", contact_is_own=False)) == (
        "Please share your own number with the button."
    )
    assert refusal(phone, Reply(text="+15550000001")) == (
        "Please press the button to share your phone number."
    )


def test_the_largest_button_still_fits_telegrams_64_bytes():
    data = SurveyButton(
        delivery_id=2**63 - 1, action=SurveyAction.TOGGLE, question=19, option=9, mask=1023
    )
    assert len(data.pack().encode()) <= 64
    assert SurveyButton.unpack(data.pack()) == data


def test_multiple_choice_buttons_show_and_carry_the_selection():
    question = Question.model_validate({**MANY, "required": False})
    markup = question_markup(question, 2, delivery_id=7, mask=0b010)
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["A"], ["✅ B"], ["C"], ["Done"], ["« Back", "Skip"]]
    toggle_a = SurveyButton.unpack(markup.inline_keyboard[0][0].callback_data)
    assert (toggle_a.action, toggle_a.mask) == (SurveyAction.TOGGLE, 0b011)
    done = SurveyButton.unpack(markup.inline_keyboard[3][0].callback_data)
    assert (done.action, done.mask, done.question) == (SurveyAction.DONE, 0b010, 2)


@pytest.mark.parametrize("value", ['=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_cells_never_start_a_formula(value):
    assert cell(value).startswith("'")


def test_csv_cells_keep_numbers_lists_and_skips_readable():
    assert cell(-5) == "-5" and cell(4.5) == "4.5" and cell("+966539078942") == "+966539078942"
    assert cell(["A", "C"]) == "A; C" and cell(None) == "" and cell(True) == "true"
