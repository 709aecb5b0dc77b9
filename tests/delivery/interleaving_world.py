"""A small world for the interleaving property: a database, the emulator, one live engine.

Every example builds its own world (fresh database, fresh emulator) and drives it with a
plan of actions, then lets it settle; `check_ledger` states what must hold afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.auth import default_tenant
from core.campaign_actions import cancel_campaign, execute_campaign, pause_campaign, resume_campaign
from core.campaigns import create_campaign, get_campaign
from core.context import Actor, CoreContext
from core.delivery.engine import DeliveryEngine, EngineSettings
from core.delivery.pacing import TokenLimiter
from core.errors import IllegalTransition
from core.ids import format_id
from core.lifecycle import CAMPAIGN_TRANSITIONS, Action, Status
from core.models import CampaignCreate, ExecuteOptions
from core.subscribers import SubscriberInput, upsert_subscribers
from core.telegram_session import make_bot
from core.uow import UnitOfWork
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer, make_token
from storage.db import create_engine, create_session_factory
from storage.models import Campaign, CampaignEvent, Delivery, Execution

RATE = 150.0
TERMINAL = {"completed", "cancelled", "failed"}
# What an execution must have become once its campaign reached a terminal status.
EXECUTION_FOR = {"completed": {"completed"}, "cancelled": {"cancelled"}, "failed": {"failed"}}
ACTIONS = {"pause": pause_campaign, "resume": resume_campaign, "cancel": cancel_campaign}


def emulator_config() -> EmulatorConfig:
    """An empty world whose limits never get in the way of a fast test."""
    return EmulatorConfig(
        users=0, groups=0, supergroups=0, migrated_groups=0,
        global_rate=100_000, private_chat_rate=1_000,
    )  # fmt: skip


def content(index: int) -> str:
    """The text campaign `index` sends: what tells its messages apart in the emulator."""
    return f"Campaign {index} says hello"


async def until(predicate, within: float, what: str, interval: float = 0.005) -> None:
    """Await an async condition (polled), or fail naming what never happened."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(interval)


@dataclass(frozen=True)
class Database:
    """Where an example's database lives; every process of the world connects on its own."""

    url: str
    connect_args: dict[str, Any] | None = None

    def connect(self) -> AsyncEngine:
        """A new engine (own connection pool) on this database."""
        return create_engine(self.url, connect_args=self.connect_args)


class Gate:
    """Counts a sender's open units of work; once closed, new ones wait forever."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.open.set()
        self.active = 0


class GatedUnitOfWork:
    """A unit of work that first passes its sender's gate."""

    def __init__(self, inner: UnitOfWork, gate: Gate) -> None:
        self.inner, self.gate = inner, gate

    async def __aenter__(self) -> UnitOfWork:
        await self.gate.open.wait()
        self.gate.active += 1
        try:
            return await self.inner.__aenter__()
        except BaseException:
            self.gate.active -= 1
            raise

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self.inner.__aexit__(*exc_info)
        finally:
            self.gate.active -= 1


@dataclass
class SenderCore(CoreContext):
    """The core as one sender process sees it: its transactions pass a gate a crash closes."""

    gate: Gate = field(default_factory=Gate)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work behind the gate."""
        return GatedUnitOfWork(super().uow(read_only=read_only), self.gate)  # type: ignore[return-value]


@dataclass
class Sender:
    """One engine incarnation with its own connections, as a separate process would have."""

    engine: DeliveryEngine
    db: AsyncEngine
    gate: Gate

    async def stop(self) -> None:
        """A clean shutdown: in-flight sends finish and are written back."""
        await self.engine.stop()
        await self.db.dispose()

    async def crash(self) -> None:
        """kill -9 between two transactions: nothing more is written, claims stay `sending`,
        results in memory and sends in flight are lost."""
        self.gate.open.clear()

        # A transaction under way either commits or never happened: let it end, not hang.
        async def between_transactions() -> bool:
            return self.gate.active == 0

        await until(between_transactions, within=30, what="open transactions to end")
        self.engine._stopping = True
        doomed = [*self.engine._tasks, *self.engine._sends]
        for task in doomed:
            task.cancel()
        await asyncio.gather(*doomed, return_exceptions=True)
        await self.db.dispose()


@dataclass
class World:
    """One database, one emulator, the engine currently running and the campaigns made."""

    database: Database
    emu: EmulatorServer
    audience: int
    db: AsyncEngine = field(init=False)
    core: CoreContext = field(init=False)
    bot: Bot = field(init=False)
    sender: Sender | None = None
    actor: Actor | None = None
    campaigns: dict[int, int] = field(default_factory=dict)  # plan index -> campaign id
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.db = self.database.connect()
        self.core = CoreContext(session_factory=create_session_factory(self.db))
        self.bot = make_bot(make_token(), self.emu.base_url, timeout=5)

    async def setup(self) -> None:
        """Subscribers (one emulated user each) and a running engine."""
        users = await self.emu.create_users(self.audience)
        async with self.core.uow() as uow:
            tenant = await default_tenant(uow)
            self.actor = Actor(tenant.id, "api:test")
            items = [SubscriberInput(telegram_id=u.id, first_name=f"U{u.id}") for u in users]
            await upsert_subscribers(uow, self.actor, items)
        await self.start_engine()

    async def start_engine(self) -> None:
        """A fresh engine on the same database, as a restarted process would run."""
        limiter = TokenLimiter(RATE)
        limiter.chats.private_interval = 0.001  # campaigns share recipients; keep it fast
        settings = EngineSettings(
            max_claim=8, flush_interval=0.2, poll_interval=0.02, heartbeat_interval=0.5,
            single_process=True,
        )  # fmt: skip
        db = self.database.connect()
        # Its own connections, the same bus: API actions still reach it as events.
        core = SenderCore(session_factory=create_session_factory(db), bus=self.core.bus)
        self.sender = Sender(DeliveryEngine(core, self.bot, limiter, settings), db, core.gate)
        await self.sender.engine.start()

    async def close(self) -> None:
        """Stop the engine, close the bot's session and every connection."""
        if self.sender is not None and not self.sender.engine._stopping:
            await self.sender.stop()
        await self.bot.session.close()
        await self.db.dispose()

    # Actions ------------------------------------------------------------------------------

    async def execute(self, index: int) -> None:
        """Create and execute campaign `index`, or execute it again (refused unless allowed)."""
        assert self.actor is not None
        async with self.core.uow() as uow:
            if index not in self.campaigns:
                body = {"name": f"C{index}", "messages": [{"content": content(index)}]}
                campaign = await create_campaign(uow, self.actor, CampaignCreate(**body))
                self.campaigns[index] = campaign.id
            else:
                campaign = await self._locked(uow, index)
            try:
                await execute_campaign(uow, self.actor, campaign, ExecuteOptions())
            except IllegalTransition:
                self.log.append(f"execute {index} refused")

    async def act(self, name: str, index: int) -> None:
        """Pause, resume or cancel campaign `index` through the core service the API calls."""
        if index not in self.campaigns:
            return
        assert self.actor is not None
        try:
            async with self.core.uow() as uow:
                await ACTIONS[name](uow, self.actor, await self._locked(uow, index))
        except IllegalTransition:
            self.log.append(f"{name} {index} refused")

    async def restart(self, hard: bool) -> None:
        """Stop the engine (cleanly, or as a crash would) and start a fresh one."""
        assert self.sender is not None
        if hard:
            await self.wait_for_claims()
            await self.sender.crash()
        else:
            await self.sender.stop()
        await self.start_engine()

    async def wait_messages(self, count: int) -> None:
        """Let `count` more messages reach the emulator, or until nothing is left to send."""
        target = self.accepted() + count
        await until(
            lambda: self._reached(target), within=10, what=f"{count} more messages or idleness"
        )

    async def _reached(self, target: int) -> bool:
        return self.accepted() >= target or not await self.work_left()

    async def wait_for_claims(self) -> None:
        """Before a crash: wait (briefly) for rows in flight, when there is anything to send."""

        async def claimed_or_idle() -> bool:
            counts = await self.open_rows()
            return counts["sending"] > 0 or counts["pending"] == 0

        with contextlib.suppress(AssertionError):  # a crash with nothing in flight is fine too
            await until(claimed_or_idle, within=1, what="rows in flight")

    async def settle(self) -> None:
        """Resume what is paused, then wait for every campaign to finish and every claim to end."""
        for index in list(self.campaigns):
            if (await self.campaign(index)).status == "paused":
                await self.act("resume", index)

        async def finished() -> bool:
            statuses = {(await self.campaign(i)).status for i in self.campaigns}
            return statuses <= TERMINAL and not await self.claimed_rows()

        await until(finished, within=20, what="every campaign finished", interval=0.02)

    # Reads --------------------------------------------------------------------------------

    def accepted(self) -> int:
        """Messages the emulator accepted so far."""
        return int(self.emu.stats()["totals"]["accepted"])

    async def campaign(self, index: int) -> Campaign:
        """A fresh copy of campaign `index`."""
        async with self.core.uow() as uow:
            found = await uow.session.get(Campaign, self.campaigns[index])
            assert found is not None
            return found

    async def _locked(self, uow, index: int) -> Campaign:
        assert self.actor is not None
        ref = format_id("campaign", self.campaigns[index])
        return await get_campaign(uow, self.actor, ref, lock=True)

    async def open_rows(self) -> Counter[str]:
        """Pending and sending rows of executions that are running."""
        async with self.core.uow() as uow:
            rows = await uow.session.execute(
                select(Delivery.status, func.count())
                .join(Execution, Execution.id == Delivery.execution_id)
                .where(Execution.status == "running", Delivery.status.in_(("pending", "sending")))
                .group_by(Delivery.status)
            )
            return Counter(dict(rows.all()))

    async def claimed_rows(self) -> int:
        """Rows of any execution still claimed by a sender."""
        async with self.core.uow() as uow:
            query = select(func.count()).where(Delivery.status == "sending")
            return int(await uow.session.scalar(query) or 0)

    async def work_left(self) -> bool:
        """Whether a running execution still has rows to send."""
        return sum((await self.open_rows()).values()) > 0


async def check_ledger(world: World) -> None:
    """Every row settled, nobody messaged twice, counters equal to the ledger, lifecycle kept."""
    async with world.core.uow() as uow:
        session = uow.session
        executions = list(await session.scalars(select(Execution).order_by(Execution.id)))
        rows = list(await session.scalars(select(Delivery).order_by(Delivery.id)))
        campaigns = {c.id: c for c in await session.scalars(select(Campaign))}
        events = list(await session.scalars(select(CampaignEvent).order_by(CampaignEvent.id)))
    by_execution: dict[int, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_execution[row.execution_id].append(row)
    stuck = Counter(r.status for r in rows if r.status in ("pending", "sending"))
    assert not stuck, f"rows never settled: {dict(stuck)}; {world.log}"

    index_of = {cid: index for index, cid in world.campaigns.items()}
    campaign_totals: dict[int, Counter[str]] = defaultdict(Counter)
    for execution in executions:
        ledger = Counter(r.status for r in by_execution[execution.id])
        counters = {
            "sent": execution.sent_count, "failed": execution.failed_count,
            "unknown": execution.unknown_count, "skipped": execution.skipped_count,
        }  # fmt: skip
        assert counters == {k: ledger[k] for k in counters}, (execution.id, counters, ledger)
        assert execution.total == len(by_execution[execution.id])
        if not execution.test_mode:
            campaign_totals[execution.campaign_id] += ledger
        campaign = campaigns[execution.campaign_id]
        assert execution.status in EXECUTION_FOR[campaign.status], (
            f"campaign {campaign.status} but execution {execution.status}"
        )
        text = content(index_of[execution.campaign_id])
        for row in by_execution[execution.id]:
            got = sum(1 for m in world.emu.messages(row.chat_id) if m.text == text)
            allowed = {"sent": {1}, "unknown": {0, 1}, "failed": {0}, "skipped": {0}}
            assert got in allowed[row.status], f"{row.status} row, {got} messages: {world.log}"

    for campaign_id, campaign in campaigns.items():
        totals = campaign_totals[campaign_id]
        assert (campaign.sent_count, campaign.failed_count) == (totals["sent"], totals["failed"])
        trail = [e for e in events if e.campaign_id == campaign_id]
        status = None
        for event in trail:
            assert event.from_status == status, f"{event.event} from {event.from_status}"
            if status is not None:
                allowed = CAMPAIGN_TRANSITIONS.get((Status(status), Action(event.action)))
                assert allowed == Status(event.to_status), f"{status} -{event.action}->"
            status = event.to_status
        assert status == campaign.status
