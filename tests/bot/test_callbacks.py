"""Buttons carry typed values: what a keyboard packs, the handler gets back as the same enum."""

from __future__ import annotations

import pytest
from aiogram import F

from bot.callbacks import CampaignAct, CampaignPage, Menu, Nav, ScheduleAct, Section
from bot.routers.schedules import BUTTONS
from bot.views import STATUS_FILTERS, campaign_list, filter_label
from core.lifecycle import Action, ScheduleAction, Status


def test_every_status_filter_round_trips_and_all_is_none():
    for choice in STATUS_FILTERS:
        packed = CampaignPage(page=2, status=choice).pack()
        assert CampaignPage.unpack(packed) == CampaignPage(page=2, status=choice)
    assert filter_label(None) == "all" and filter_label(Status.PAUSED) == "paused"


def test_the_list_marks_the_chosen_filter():
    markup = campaign_list([], page=1, pages=1, status=Status.DRAFT)
    labels = [button.text for row in markup.inline_keyboard for button in row]
    assert "• draft" in labels and "all" in labels and "• all" not in labels


def test_a_card_action_unpacks_as_the_core_action():
    packed = CampaignAct(campaign_id=7, action=Action.TEST_SEND).pack()
    assert packed == "ca:7:test_send:0"
    assert CampaignAct.unpack(packed).action is Action.TEST_SEND


@pytest.mark.parametrize("forged", ["ca:7:launch_rockets:0", "m:nowhere", "nav:sideways"])
def test_a_forged_value_is_refused_at_unpack(forged):
    factory = {"ca": CampaignAct, "m": Menu, "nav": Nav}[forged.split(":")[0]]
    with pytest.raises(ValueError):
        factory.unpack(forged)


def test_only_pause_resume_and_delete_reach_the_schedule_handler():
    passes = F.action.in_(BUTTONS).resolve
    assert passes(ScheduleAct(schedule_id=1, action=ScheduleAction.DELETE))
    assert not passes(ScheduleAct(schedule_id=1, action=ScheduleAction.EDIT))


def test_menu_sections_pack_to_the_strings_old_buttons_carry():
    assert [Menu(section=s).pack() for s in Section] == [
        "m:new", "m:campaigns", "m:schedules", "m:audience", "m:webhooks", "m:help",
    ]  # fmt: skip
