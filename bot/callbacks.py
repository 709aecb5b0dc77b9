"""Callback data factories of the admin interface (never raw callback strings)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class Menu(CallbackData, prefix="m"):
    """A main-menu entry: new, campaigns, schedules, audience, help."""

    section: str


class CampaignPage(CallbackData, prefix="cp"):
    """A page of the campaign list, optionally filtered by status."""

    page: int
    status: str = "all"


class CampaignCard(CallbackData, prefix="cc"):
    """Open one campaign's card."""

    campaign_id: int


class CampaignAct(CallbackData, prefix="ca"):
    """An action on a campaign; `confirmed` marks the second press of a destructive one."""

    campaign_id: int
    action: str
    confirmed: bool = False


class ScheduleAct(CallbackData, prefix="sa"):
    """An action on a schedule (list, pause, resume, delete)."""

    schedule_id: int
    action: str
    confirmed: bool = False


class Choice(CallbackData, prefix="w"):
    """A wizard answer given by a button: the step's name (its state's) and the value."""

    step: str
    value: str


class Nav(CallbackData, prefix="nav"):
    """Wizard navigation: back or cancel."""

    action: str
