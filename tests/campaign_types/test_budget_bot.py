"""The bot tells admins when the budget pauses a campaign, and the card shows spend and goals."""

from __future__ import annotations

import asyncio

from bot.notifier import AdminNotifier
from bot.views import card_text
from core.events import DomainEvent
from storage.models import Campaign


class Admins:
    """Stands in for the bot: keeps what admins were sent, and says when something arrived."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.arrived = asyncio.Event()

    async def send_message(self, chat_id: int, text: str) -> None:
        self.sent.append((chat_id, text))
        self.arrived.set()


async def test_admins_hear_that_the_budget_paused_a_campaign(api, auth, core, emu, make_engine):
    users = await emu.create_users(3)
    batch = [{"telegramId": u.id} for u in users]
    await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    body = {"name": "Promo <b>", "messages": [{"content": "Hi"}], "allowPaidBroadcast": True,
            "budget": 0.2}  # fmt: skip
    cid = (await (await api.post("/api/v1/campaigns", json=body, headers=auth)).json())["data"][
        "id"
    ]
    admins = Admins()
    core.admin_ids = (4242,)
    AdminNotifier(core, admins)  # type: ignore[arg-type]  # only send_message is used

    await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    await make_engine().start()
    await asyncio.wait_for(admins.arrived.wait(), 20)

    [(chat_id, text)] = admins.sent
    assert chat_id == 4242
    assert text == (
        "⏸ «Promo &lt;b&gt;» paused: budget exhausted (0.2 of 0.2 ⭐ spent, 2 sent). "
        "Raise the budget, then resume."
    )
    # A person's pause is no news to the admins.
    by_hand = DomainEvent(name="campaign.paused", tenant_id=1, campaign_id=1, actor="api:key")
    await core.bus.publish(by_hand)
    assert len(admins.sent) == 1


def card_of(**fields) -> Campaign:
    values = {
        "id": 7, "name": "Sale", "type": "message", "status": "paused", "sent_count": 40,
        "failed_count": 0, "clicked_count": 12, "converted_count": 10, "revenue": 250.0,
        "cost": 4.0, "budget": 4.0, "executions_total": 1, "pause_reason": "BUDGET_EXHAUSTED",
        "scheduled_at": None, "goals": {"targetAudience": 80, "conversionRate": 20, "revenue": 1000},
    }  # fmt: skip
    return Campaign(**{**values, **fields})


def test_the_card_shows_spend_the_pause_reason_and_each_goal():
    lines = card_text(card_of(), audience=80).splitlines()
    assert lines[4:] == [
        "Spent: 4.0 of 4 ⭐",
        "⏸ Paused: the budget is spent. Raise it, then resume.",
        "🎯 Reach: 40 / 80 (50%)",
        "🎯 Conversion %: 25 / 20 (125%)",
        "🎯 Revenue: 250 / 1000 (25%)",
    ]


def test_a_free_campaign_without_goals_shows_neither():
    text = card_text(card_of(budget=None, cost=0.0, goals=None, pause_reason=None), audience=3)
    assert "Spent" not in text and "🎯" not in text and "budget" not in text
