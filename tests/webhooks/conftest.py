"""A real receiver on 127.0.0.1 that checks Standard Webhooks signatures, and a dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks import Webhook

from core.context import CoreContext
from core.webhooks import urls
from core.webhooks.dispatcher import DispatcherSettings, WebhookDispatcher

WEBHOOKS = "/api/v1/webhooks"


@dataclass
class Received:
    """One POST as the receiver saw it."""

    headers: dict[str, str]
    body: bytes
    peer_port: int | None = None  # the sender's TCP port: which process sent it

    @property
    def event(self) -> dict[str, Any]:
        """The decoded payload."""
        return dict(orjson.loads(self.body))

    def verified_with(self, secret: str) -> dict[str, Any]:
        """The payload, once the signature checks out with `secret` (raises otherwise)."""
        return dict(Webhook(secret).verify(self.body, self.headers))


@dataclass
class Receiver:
    """An aiohttp app that answers the scripted statuses in turn (then 200), each after the
    scripted delay in seconds, if any."""

    server: TestServer
    answers: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        """Where to point a webhook."""
        return str(self.server.make_url("/hook"))

    def types(self) -> list[str]:
        """Event types in arrival order."""
        return [r.event["type"] for r in self.received]


@pytest.fixture
def core(core: CoreContext) -> CoreContext:
    """The receiver lives on loopback over http: allowed here, as WEBHOOK_ALLOW_* would."""
    core.webhook_urls = urls.UrlPolicy(allow_private=True, allow_http=True)
    return core


@pytest.fixture
def strict_urls(core: CoreContext) -> None:
    """The production default: https only, no private addresses."""
    core.webhook_urls = urls.UrlPolicy()


@contextlib.asynccontextmanager
async def running_receiver() -> AsyncIterator[Receiver]:
    """A receiver on 127.0.0.1, for as long as the block runs."""
    app = web.Application()
    state: dict[str, Receiver] = {}

    async def hook(request: web.Request) -> web.Response:
        me = state["receiver"]
        peer = request.transport.get_extra_info("peername") if request.transport else None
        port = peer[1] if peer else None
        me.received.append(Received(dict(request.headers), await request.read(), port))
        me.arrived.set()
        status = me.answers.pop(0) if me.answers else 200
        delay = me.delays.pop(0) if me.delays else 0.0
        if delay:
            await asyncio.sleep(delay)  # a slow receiver: the sender's timeout decides
        return web.Response(status=status, text="nope" if status >= 300 else "ok")

    app.router.add_post("/hook", hook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    state["receiver"] = me = Receiver(server)
    try:
        yield me
    finally:
        await server.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver on 127.0.0.1."""
    async with running_receiver() as me:
        yield me


@pytest.fixture
async def dispatcher(core: CoreContext) -> AsyncIterator[WebhookDispatcher]:
    """A dispatcher the test drives with run_once()."""
    instance = WebhookDispatcher(core, DispatcherSettings(timeout=2.0))
    yield instance
    await instance.stop()


async def register(api: Any, auth: dict[str, str], url: str, **fields: Any) -> dict[str, Any]:
    """POST /webhooks; the created endpoint's data (with its secret)."""
    response = await api.post(WEBHOOKS, json={"url": url, **fields}, headers=auth)
    assert response.status == 201, await response.text()
    return dict((await response.json())["data"])
