"""Callback data factories of the admin interface (never raw callback strings)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData

from core.lifecycle import Action, ScheduleAction, Status


class Section(StrEnum):
    """The entries of the admin main menu."""

    NEW = "new"
    CAMPAIGNS = "campaigns"
    SCHEDULES = "schedules"
    AUDIENCE = "audience"
    WEBHOOKS = "webhooks"
    HELP = "help"


class Move(StrEnum):
    """Wizard navigation."""

    BACK = "back"
    CANCEL = "cancel"


class Menu(CallbackData, prefix="m"):
    """A main-menu entry."""

    section: Section


class CampaignPage(CallbackData, prefix="cp"):
    """A page of the campaign list; `status` None lists every status."""

    page: int
    status: Status | None = None


class CampaignCard(CallbackData, prefix="cc"):
    """Open one campaign's card."""

    campaign_id: int


class CampaignAct(CallbackData, prefix="ca"):
    """A lifecycle action on a campaign; `confirmed` marks the second press of a destructive one."""

    campaign_id: int
    action: Action
    confirmed: bool = False


class CampaignStats(CallbackData, prefix="cs"):
    """A campaign's statistics and chart."""

    campaign_id: int


class ScheduleAct(CallbackData, prefix="sa"):
    """An action on a schedule (pause, resume, delete)."""

    schedule_id: int
    action: ScheduleAction
    confirmed: bool = False


class Choice(CallbackData, prefix="w"):
    """A wizard answer given by a button: the step's name (its state's) and the value."""

    step: str
    value: str


class Nav(CallbackData, prefix="nav"):
    """Wizard navigation: back or cancel."""

    action: Move
