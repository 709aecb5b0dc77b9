"""A conversion counts its recipient once per campaign, however many ways they convert."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.context import Actor
from core.conversions import ConvertedDelivery, record_conversion
from storage.models import Campaign, Delivery, Interaction
from tests.delivery.conftest import add_subscribers, launch


@pytest.fixture
def actor(tenant) -> Actor:
    return Actor(tenant.id, "api:test")


async def test_the_second_conversion_of_a_recipient_is_stored_but_not_counted(core, actor):
    await add_subscribers(core, actor, [501])
    campaign_id, _ = await launch(core, actor)
    events = []
    core.bus.subscribe("interaction.converted", lambda event: _keep(events, event))
    async with core.uow() as uow:
        delivery = await uow.session.scalar(select(Delivery))
        assert delivery is not None
        converted = ConvertedDelivery(
            actor.tenant_id, campaign_id, delivery.id, delivery.subscriber_id
        )
        assert await record_conversion(uow, converted, actor="t", via="survey", details={}) is True
        assert await record_conversion(uow, converted, actor="t", via="event", details={}) is False
        await uow.commit()
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        stored = await uow.session.scalar(select(func.count()).select_from(Interaction))
    assert campaign is not None and campaign.converted_count == 1
    assert stored == 2
    assert [(e.data["first"], e.data["via"]) for e in events] == [
        (True, "survey"),
        (False, "event"),
    ]


async def _keep(events: list, event) -> None:
    events.append(event)
