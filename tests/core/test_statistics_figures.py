"""A campaign's statistics are typed figures read from its ledger and interactions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.context import Actor, CoreContext
from core.ids import format_id
from core.interactions import record_click
from core.lifecycle import DeliveryStatus
from core.segments import SegmentInput, save_segment
from core.statistics import campaign_statistics, parse_metrics
from core.statistics_figures import (
    Overview,
    Performance,
    Timeline,
    TimelinePoint,
    TimeUnit,
    VariationFigures,
)
from storage.models import Campaign, Delivery, Execution, Interaction, Subscriber
from tests.delivery.conftest import add_subscribers, launch

NOW = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)
S = DeliveryStatus


async def spring_sale(core: CoreContext, tenant) -> int:
    """Six subscribers in two segments; a campaign with one A/B variant, launched to them."""
    actor = Actor(tenant.id, "api:test")
    await add_subscribers(core, actor, list(range(1, 7)))
    async with core.uow() as uow:
        ids = (
            await uow.session.scalars(select(Subscriber.id).order_by(Subscriber.telegram_id))
        ).all()
        refs = [format_id("subscriber", i) for i in ids]
        early = await save_segment(uow, actor, SegmentInput(name="Early birds", members=refs[:3]))
        regulars = await save_segment(uow, actor, SegmentInput(name="Regulars", members=refs[2:]))
        segments = [format_id("segment", early.id), format_id("segment", regulars.id)]
    campaign_id, _ = await launch(
        core, actor, name="Spring sale", targetAudience={"segments": segments},
        messages=[{"content": "Hi", "variations": [{"id": "short", "content": "Yo", "weight": 50}]}],
    )  # fmt: skip
    return campaign_id


async def deliveries(uow, campaign_id: int) -> dict[int, Delivery]:
    """The campaign's ledger rows by recipient telegram id."""
    rows = await uow.session.execute(
        select(Subscriber.telegram_id, Delivery)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .join(Execution, Execution.id == Delivery.execution_id)
        .where(Execution.campaign_id == campaign_id)
    )
    return {telegram_id: row for telegram_id, row in rows.all()}


async def settle(core: CoreContext, campaign_id: int, outcomes: dict[int, tuple]) -> None:
    """Each listed recipient's row gets (status, error code, variation, processed at)."""
    async with core.uow() as uow:
        rows = await deliveries(uow, campaign_id)
        for telegram_id, (status, error, variation, when) in outcomes.items():
            row = rows[telegram_id]
            row.status, row.error_code = status, error
            row.variation, row.processed_at = variation, when


async def seeded(core: CoreContext, clock, tenant) -> int:
    """Recipients 1-3 got the original, 4-6 the variant. Two hours ago 1 and 2 were sent; twenty
    minutes ago 4 was sent and 3 had blocked the bot; three days ago 5's chat was gone and 6's
    outcome is unknown. 1 clicked twice, 4 clicked and bought for 19.5."""
    clock.set(NOW)
    campaign_id = await spring_sale(core, tenant)
    await settle(core, campaign_id, {
        1: (S.SENT, None, 0, NOW - timedelta(hours=2)),
        2: (S.SENT, None, 0, NOW - timedelta(hours=2)),
        3: (S.FAILED, "USER_BLOCKED", 0, NOW - timedelta(minutes=20)),
        4: (S.SENT, None, 1, NOW - timedelta(minutes=20)),
        5: (S.FAILED, "CHAT_NOT_FOUND", 1, NOW - timedelta(days=3)),
        6: (S.UNKNOWN, "UNKNOWN", 1, NOW - timedelta(days=3)),
    })  # fmt: skip
    async with core.uow() as uow:
        rows = await deliveries(uow, campaign_id)
        campaign = await uow.session.get(Campaign, campaign_id)
        for telegram_id in (1, 1, 4):
            assert await record_click(uow, rows[telegram_id].id, 0, telegram_id)
        uow.session.add(
            Interaction(tenant_id=campaign.tenant_id, campaign_id=campaign_id,
                        delivery_id=rows[4].id, subscriber_id=rows[4].subscriber_id,
                        type="CONVERTED", value=19.5, occurred_at=NOW - timedelta(minutes=5))
        )  # fmt: skip
    return campaign_id


async def figures(core: CoreContext, campaign_id: int, period: str, metrics: str = "all"):
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        return await campaign_statistics(uow, campaign, period, parse_metrics(metrics))


async def test_the_overview_counts_the_ledger_and_each_clicker_once(core, clock, tenant):
    campaign_id = await seeded(core, clock, tenant)

    stats = await figures(core, campaign_id, "all")

    assert stats.period == "all"
    assert stats.overview == Overview(
        messages_sent=3, delivered=3, failed=2, blocked=1, unknown=1,
        clicked=2, converted=1, revenue=19.5,
    )  # fmt: skip
    # 3 of the 5 settled sends arrived; 2 of the 3 recipients clicked, 1 bought.
    assert stats.performance == Performance(
        delivery_rate=60.0, click_rate=66.7, conversion_rate=33.3
    )


async def test_each_targeted_segment_and_variation_has_its_own_figures(core, clock, tenant):
    campaign_id = await seeded(core, clock, tenant)

    stats = await figures(core, campaign_id, "all")

    assert [(s.name, s.sent, s.conversion_rate) for s in stats.segments] == [
        ("Early birds", 2, 0.0),  # recipients 1, 2, 3
        ("Regulars", 1, 100.0),  # recipients 3, 4, 5, 6: 4 bought
    ]
    assert stats.variations == (
        VariationFigures(variation="original", sent=2, failed=1, clicked=1, click_rate=50.0),
        VariationFigures(variation="short", sent=1, failed=1, clicked=1, click_rate=100.0),
    )


async def test_the_last_day_is_told_hour_by_hour(core, clock, tenant):
    campaign_id = await seeded(core, clock, tenant)

    stats = await figures(core, campaign_id, "24h")

    assert stats.timeline == Timeline(
        TimeUnit.HOUR,
        (
            TimelinePoint(start=datetime(2026, 3, 2, 10, tzinfo=UTC),
                          sent=2, delivered=2, failed=0, clicked=0, conversions=0),
            TimelinePoint(start=datetime(2026, 3, 2, 12, tzinfo=UTC),
                          sent=1, delivered=1, failed=1, clicked=3, conversions=1),
        ),
    )  # fmt: skip
    assert stats.overview is not None and stats.overview.failed == 1  # the older ones are out


async def test_longer_periods_are_told_day_by_day(core, clock, tenant):
    campaign_id = await seeded(core, clock, tenant)

    stats = await figures(core, campaign_id, "7d")

    assert stats.timeline is not None and stats.timeline.unit == TimeUnit.DAY
    assert [(p.start, p.sent, p.failed, p.clicked) for p in stats.timeline.points] == [
        (datetime(2026, 2, 27, tzinfo=UTC), 0, 1, 0),  # the unknown outcome is no failure
        (datetime(2026, 3, 2, tzinfo=UTC), 3, 1, 3),  # every press counts here
    ]


async def test_metrics_not_asked_for_are_not_computed(core, clock, tenant):
    campaign_id = await seeded(core, clock, tenant)

    stats = await figures(core, campaign_id, "all", "overview,variations")

    assert stats.overview is not None and stats.variations is not None
    assert (stats.performance, stats.timeline, stats.segments) == (None, None, None)


async def test_a_campaign_nobody_received_has_zero_rates_and_an_empty_timeline(core, clock, tenant):
    clock.set(NOW)
    campaign_id = await spring_sale(core, tenant)  # launched, nothing settled yet

    stats = await figures(core, campaign_id, "all")

    assert stats.performance == Performance(delivery_rate=0.0, click_rate=0.0, conversion_rate=0.0)
    assert stats.timeline == Timeline(TimeUnit.DAY, ())
    assert [s.sent for s in stats.segments] == [0, 0]
