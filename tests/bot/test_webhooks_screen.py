"""The admin's Webhooks screen (endpoints, health, latest failures) and the disabled-endpoint notice."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.notifier import AdminNotifier
from core.context import Actor, CoreContext
from core.webhooks import endpoints
from core.webhooks.dispatcher import DispatcherSettings, WebhookDispatcher
from core.webhooks.endpoints import EndpointInput
from core.webhooks.urls import UrlPolicy
from storage.models import Tenant
from tests.bot.helpers import admin
from tests.webhooks.conftest import Receiver, running_receiver

LOCAL = UrlPolicy(allow_private=True, allow_http=True)  # the receiver is http on loopback


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """The webhook tests' receiver on 127.0.0.1 (answers scripted statuses, then 200)."""
    async with running_receiver() as me:
        yield me


@pytest.fixture
async def dispatcher(core: CoreContext) -> AsyncIterator[WebhookDispatcher]:
    """A dispatcher the test drives with run_once(), allowed to reach the local receiver."""
    core.webhook_urls = LOCAL
    instance = WebhookDispatcher(core, DispatcherSettings(timeout=2.0))
    yield instance
    await instance.stop()


async def _endpoint_with_a_test_event(
    core: CoreContext, tenant: Tenant, url: str
) -> tuple[int, str]:
    """Register an endpoint through core and queue a webhook.test for it; its id and secret."""
    async with core.uow() as uow:
        endpoint, secret = await endpoints.create_endpoint(
            uow, Actor(tenant.id, "api:test"), EndpointInput(url=url, description="CRM"), LOCAL
        )
        await endpoints.send_test(uow, endpoint)
        return endpoint.id, secret


async def test_the_screen_shows_nothing_then_the_endpoint_its_health_and_its_failure(
    core, tenant, harness, receiver, dispatcher
):
    ada = await admin(harness)
    [empty] = await ada.says("/webhooks")
    assert "No endpoints yet" in (empty.text or "")
    assert "POST /api/v1/webhooks" in (empty.text or "")

    url = receiver.url + "?token=hush"  # a query may carry a credential: the screen drops it
    webhook_id, secret = await _endpoint_with_a_test_event(core, tenant, url)
    receiver.answers = [500]
    assert await dispatcher.run_once() == 1

    [screen] = await ada.presses("Webhooks")
    text = screen.text or ""
    assert f"wh_{webhook_id} · ✅ enabled" in text
    assert receiver.url + "?…" in text and "CRM" in text
    assert "Events: all" in text
    assert "Health: nothing finished yet · retrying 1 · pending 0" in text
    assert "Last error: HTTP 500: nope" in text
    assert "webhook.test · failed · 1 attempt · HTTP 500" in text
    assert "next try" in text
    everything = " ".join(m.text or m.caption or "" for m in ada.inbox())
    assert secret not in everything and "hush" not in everything


async def test_an_endpoint_gone_410_is_disabled_and_admins_are_told_once(
    core, tenant, harness, receiver, dispatcher
):
    ada = await admin(harness)
    AdminNotifier(core, harness.bot)
    webhook_id, secret = await _endpoint_with_a_test_event(core, tenant, receiver.url)
    receiver.answers = [410]
    before = len(ada.inbox())

    await dispatcher.run_once()  # the notice is sent once the disabling commits, inside this call

    [notice] = ada.inbox()[before:]
    text = notice.text or ""
    assert f"Webhook wh_{webhook_id} disabled: {receiver.url}" in text
    assert "Reason: 410 Gone from the receiver" in text
    assert secret not in text
    [screen] = await ada.says("/webhooks")
    assert "⛔ disabled: 410 Gone from the receiver" in (screen.text or "")
    assert "webhook.test · dead · 1 attempt · HTTP 410" in (screen.text or "")
