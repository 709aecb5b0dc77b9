"""The v2 Campaign API under test: its client, subscribers to name, templates to use."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from api.app import create_api_app
from api.v2.keys import TELEGRAM_CHECK
from core.context import Actor, CoreContext
from core.recipients import store_shared_phone
from core.subscribers import SubscriberInput, upsert_subscribers
from core.telegram_check import TelegramCheck
from core.templates import TemplateInput, save_template
from storage.models import Tenant
from tests.conftest import FakeClock, make_key, service_bot

BASE = "/v2/campaign"
# Before every SendAt of the document's examples (2025-03-03 and 2025-03-04).
BEFORE_EXAMPLES = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class V2:
    """The v2 face over HTTP with an X-API-Key."""

    client: TestClient
    key: str

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        """(status, JSON body) of one request."""
        headers = {"X-API-Key": self.key, **kwargs.pop("headers", {})}
        async with self.client.request(method, BASE + path, headers=headers, **kwargs) as resp:
            return resp.status, await resp.json()

    async def create(self, body: dict[str, Any]) -> tuple[int, Any]:
        """POST /create."""
        return await self.call("POST", "/create", json=body)

    async def messages(self, campaign_id: int) -> list[dict[str, Any]]:
        """getCampMsgs, asserted 200."""
        status, body = await self.call("GET", f"/getCampMsgs?campaignID={campaign_id}")
        assert status == 200, body
        return body["Messages"]


@pytest.fixture
def actor(tenant: Tenant) -> Actor:
    """The default tenant acting through core directly (to set the scene)."""
    return Actor(tenant.id, "api:test")


@pytest.fixture
def before_examples(clock: FakeClock) -> FakeClock:
    """The clock frozen before the document's SendAt times, so they lie in the future."""
    clock.set(BEFORE_EXAMPLES)
    return clock


@pytest.fixture
async def v2(core: CoreContext, tenant: Tenant) -> AsyncIterator[V2]:
    """The REST application, as the service builds it, with a key of the default tenant."""
    client = TestClient(TestServer(create_api_app(core)))
    await client.start_server()
    yield V2(client, await make_key(core))
    await client.close()


@pytest.fixture
async def v2_checked(core: CoreContext, tenant: Tenant, emu: Any) -> AsyncIterator[V2]:
    """The application asking Telegram (the emulator) about its bot before accepting work;
    the emulator rejects this bot's token."""
    bot = service_bot(emu)
    emu.state.config.rejected_tokens.add(bot.token)
    app = create_api_app(core)
    app[TELEGRAM_CHECK] = TelegramCheck(bot)
    client = TestClient(TestServer(app))
    await client.start_server()
    yield V2(client, await make_key(core))
    await client.close()
    await bot.session.close()


async def add_subscriber(
    core: CoreContext,
    actor: Actor,
    telegram_id: int,
    *,
    username: str | None = None,
    phone: str | None = None,
) -> None:
    """A subscriber (chat id = user id), optionally with a username and a shared phone."""
    async with core.uow() as uow:
        item = SubscriberInput(telegram_id=telegram_id, first_name=f"User{telegram_id}",
                               username=username)  # fmt: skip
        await upsert_subscribers(uow, actor, [item])
        if phone is not None:
            assert await store_shared_phone(uow, actor.tenant_id, telegram_id, phone)


async def add_template(
    core: CoreContext, actor: Actor, content: str, call: dict[str, Any] | None = None
) -> int:
    """A template with a BODY and optionally a Telegram call; returns its id."""
    body: dict[str, Any] = {"name": "Order confirmation", "content": content}
    if call is not None:
        body["json"] = call
    async with core.uow() as uow:
        template = await save_template(uow, actor, TemplateInput.model_validate(body))
        return template.id


async def wait_for(predicate: Any, within: float = 15.0) -> None:
    """Poll an async predicate until it holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.05)
