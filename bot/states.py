"""FSM states of the admin conversations."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NewCampaign(StatesGroup):
    """The new-campaign wizard, in order (bot/routers/wizard/steps.py defines each step)."""

    name = State()
    type = State()
    # invitation
    target_chat = State()
    approval = State()
    # data_collection: the survey builder, one question at a time
    question_text = State()
    question_type = State()
    question_options = State()
    question_bounds = State()
    question_required = State()
    question_more = State()
    # engagement: a quiz (its questions) or a challenge (its entry button)
    contest_mode = State()
    quiz_question = State()
    quiz_options = State()
    quiz_explanation = State()
    quiz_more = State()
    entry_button = State()
    # custom: one Bot API call
    method = State()
    params = State()
    content = State()
    buttons = State()
    audience = State()
    segment = State()
    audience_value = State()
    variant = State()
    variant_content = State()
    variant_weight = State()
    when = State()
    timezone = State()
    date = State()
    recurring = State()
    confirm = State()


class ScheduleCampaign(StatesGroup):
    """Scheduling a campaign from its card: waiting for the date and time."""

    date = State()
