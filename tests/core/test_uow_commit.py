"""A unit of work can commit midway: stored, events out once, still usable for reads."""

from __future__ import annotations

from sqlalchemy import select

from core.events import DomainEvent
from storage.models import Tenant


def event(name: str) -> DomainEvent:
    return DomainEvent(name=name, tenant_id=1, campaign_id=None, actor="test")


def recorder(core) -> list[str]:
    heard: list[str] = []

    async def listen(published: DomainEvent) -> None:
        heard.append(published.name)

    core.bus.subscribe("*", listen)
    return heard


async def names(core) -> list[str]:
    async with core.uow() as uow:
        return list(await uow.session.scalars(select(Tenant.name).order_by(Tenant.id)))


async def test_commit_stores_publishes_once_and_stays_open_for_reads(core):
    heard = recorder(core)
    async with core.uow() as uow:
        uow.session.add(Tenant(name="acme"))
        uow.emit(event("tenant.created"))
        await uow.commit()
        assert await names(core) == ["acme"]  # visible to another session at once
        assert heard == ["tenant.created"]
        assert await uow.session.scalar(select(Tenant.name)) == "acme"  # reads go on
    assert heard == ["tenant.created"]  # not published a second time on exit


async def test_rollback_drops_the_changes_and_their_events(core):
    heard = recorder(core)
    async with core.uow() as uow:
        uow.session.add(Tenant(name="ghost"))
        uow.emit(event("tenant.created"))
        await uow.flush()
        await uow.rollback()
        uow.emit(event("kept"))
    assert await names(core) == []
    assert heard == ["kept"]
