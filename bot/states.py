"""FSM states of the admin conversations."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NewCampaign(StatesGroup):
    """The new-campaign wizard, in order (bot/routers/wizard/steps.py defines each step)."""

    name = State()
    type = State()
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
