"""What a custom campaign needs to run: a method, or else a message; and a copyMessage whose
source group migrated fails the run once instead of moving the recipients."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramMigrateToChat
from aiogram.methods import CopyMessage, TelegramMethod
from sqlalchemy import select

from storage.models import Delivery, Execution, Subscriber
from tests.campaign_types import test_custom_e2e as e2e
from tests.delivery.conftest import wait_for_status

URL = "/api/v1/campaigns"
# The e2e module's fixture: three subscribers with attributes of their own.
people = e2e.people


async def created(api, auth, **fields: Any) -> str:
    response = await api.post(
        URL, json={"name": "Custom", "type": "custom", **fields}, headers=auth
    )
    assert response.status == 201, await response.text()
    return str((await response.json())["data"]["id"])


async def test_a_custom_campaign_with_neither_method_nor_message_has_nothing_to_send(
    api, auth, people
):
    empty = await created(api, auth)
    response = await api.post(f"{URL}/{empty}/execute", headers=auth)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "CAMPAIGN_HAS_NO_CONTENT"

    dice = await created(api, auth, settings={"method": "sendDice", "params": {"emoji": "🎲"}})
    assert (await api.post(f"{URL}/{dice}/execute", headers=auth)).status == 200
    worded = await created(api, auth, messages=[{"content": "Hello {first_name}"}])
    assert (await api.post(f"{URL}/{worded}/execute", headers=auth)).status == 200


async def test_a_copy_from_a_migrated_group_fails_the_run_not_the_recipients(
    api, auth, core, emu, make_engine, people, monkeypatch
):
    params = {"from_chat_id": -100777, "message_id": 5}
    campaign = await created(api, auth, settings={"method": "copyMessage", "params": params})
    real = Bot.__call__

    async def migrated(self: Bot, method: TelegramMethod[Any], *args: Any) -> Any:
        if isinstance(method, CopyMessage):
            raise TelegramMigrateToChat(
                method=method,
                message="Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=-1009999,
            )
        return await real(self, method, *args)

    monkeypatch.setattr(Bot, "__call__", migrated)
    assert (await api.post(f"{URL}/{campaign}/execute", headers=auth)).status == 200
    await make_engine().start()
    number = int(campaign.removeprefix("camp_"))
    assert (await wait_for_status(core, number, {"completed", "failed"})).status == "failed"
    async with core.uow() as uow:
        execution = (await uow.session.scalars(select(Execution))).one()
        chats = dict((await uow.session.execute(select(Subscriber.telegram_id, Subscriber.chat_id))).all())  # fmt: skip
        moved = (await uow.session.scalars(select(Delivery.chat_id))).all()
    assert "upgraded to the supergroup -1009999" in (execution.failure_reason or "")
    assert chats == {user.id: user.id for user in people}
    assert set(moved) == {user.id for user in people}
