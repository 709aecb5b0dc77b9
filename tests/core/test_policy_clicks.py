"""A button press counts as the campaign type's policy says: a click, a conversion, or nothing."""

from __future__ import annotations

from types import MappingProxyType
from typing import ClassVar

import pytest
from sqlalchemy import select

from core.campaign_types import registry
from core.campaign_types.base import UpdateKind
from core.campaign_types.message import MessagePolicy
from core.context import Actor
from core.interactions import record_click
from core.models import CampaignType
from storage.models import Campaign, Delivery, Interaction
from tests.delivery.conftest import add_subscribers, launch

BUTTON = [[{"text": "I'm in", "callbackData": "join"}]]


class ConvertsOnClick(MessagePolicy):
    """A type for which pressing the button is the goal."""

    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset({UpdateKind.BUTTON_CLICK})


class DeafToClicks(MessagePolicy):
    """A type that ignores presses of its buttons."""

    listens_to: ClassVar[frozenset[UpdateKind]] = frozenset()


@pytest.fixture
def engagement_policy(monkeypatch):
    """Register a policy for `engagement` for one test."""

    def use(policy: MessagePolicy) -> None:
        policies = {**registry.POLICIES, CampaignType.ENGAGEMENT: policy}
        monkeypatch.setattr(registry, "POLICIES", MappingProxyType(policies))

    return use


async def a_delivery_to(core, tenant, telegram_id: int) -> tuple[int, int]:
    actor = Actor(tenant.id, "api:test")
    await add_subscribers(core, actor, [telegram_id])
    message = {"content": "Join the challenge", "buttons": BUTTON}
    campaign_id, _ = await launch(core, actor, type="engagement", messages=[message])
    async with core.uow() as uow:
        delivery_id = await uow.session.scalar(select(Delivery.id))
    return campaign_id, int(delivery_id or 0)


async def figures(core, campaign_id: int) -> tuple[int, int, list[str]]:
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        assert campaign is not None
        kinds = (await uow.session.scalars(select(Interaction.type).order_by(Interaction.id))).all()
        return campaign.clicked_count, campaign.converted_count, list(kinds)


async def test_a_message_click_is_a_click_and_not_a_conversion(core, tenant):
    campaign_id, delivery_id = await a_delivery_to(core, tenant, 501)
    async with core.uow() as uow:
        assert await record_click(uow, delivery_id, 0, 501)
        await uow.commit()
    assert await figures(core, campaign_id) == (1, 0, ["CLICKED"])


async def test_where_the_press_is_the_goal_the_first_one_converts(core, tenant, engagement_policy):
    engagement_policy(ConvertsOnClick())
    campaign_id, delivery_id = await a_delivery_to(core, tenant, 502)
    for _ in range(2):  # a second press is stored, but the recipient converted once
        async with core.uow() as uow:
            assert await record_click(uow, delivery_id, 0, 502)
            await uow.commit()
    assert await figures(core, campaign_id) == (1, 1, ["CLICKED", "CONVERTED", "CLICKED"])


async def test_a_type_deaf_to_clicks_counts_nothing(core, tenant, engagement_policy):
    engagement_policy(DeafToClicks())
    campaign_id, delivery_id = await a_delivery_to(core, tenant, 503)
    async with core.uow() as uow:
        assert not await record_click(uow, delivery_id, 0, 503)
        await uow.commit()
    assert await figures(core, campaign_id) == (0, 0, [])


async def test_someone_else_pressing_a_forwarded_button_counts_nothing(core, tenant):
    campaign_id, delivery_id = await a_delivery_to(core, tenant, 504)
    async with core.uow() as uow:
        assert not await record_click(uow, delivery_id, 0, 999)
    assert await figures(core, campaign_id) == (0, 0, [])
