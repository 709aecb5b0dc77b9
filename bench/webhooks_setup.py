"""Helpers of bench/webhooks.py: the core on a bench database, a verifying receiver, events."""

from __future__ import annotations

import asyncio
import math
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402

from bench.bench_db import Database  # noqa: E402


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile, rounded to 0.1 ms."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return round(ordered[rank - 1], 1)


def make_core(db: Database) -> tuple[Any, Any]:
    """The service's engine and a core context allowed to post to http://127.0.0.1."""
    from core.context import CoreContext
    from core.webhooks.urls import UrlPolicy
    from storage.db import create_session_factory

    engine = db.engine()
    core = CoreContext(session_factory=create_session_factory(engine))
    core.webhook_urls = UrlPolicy(allow_private=True, allow_http=True)
    return engine, core


async def new_endpoint(core: Any, url: str, events: str = "*") -> tuple[int, int, str]:
    """The default tenant and one endpoint registered through core: (tenant, endpoint, secret)."""
    from core.auth import default_tenant
    from core.context import Actor
    from core.webhooks.endpoints import EndpointInput, create_endpoint

    async with core.uow() as uow:
        tenant_id = (await default_tenant(uow)).id
        actor = Actor(tenant_id, "bench:webhooks")
        data = EndpointInput(url=url, events=events)
        endpoint, secret = await create_endpoint(uow, actor, data, core.webhook_urls)
        return int(tenant_id), int(endpoint.id), secret


async def queue_events(core: Any, tenant_id: int, endpoint_id: int, count: int) -> float:
    """`count` outbox rows (the rows a commit writes, one executemany a 1,000); seconds."""
    from core.webhooks.events import envelope, outbox_row
    from storage.repositories.webhooks import WebhookRepository

    started = time.perf_counter()
    for first in range(0, count, 1000):
        async with core.uow() as uow:
            now = uow.clock()
            rows = [
                outbox_row(tenant_id, endpoint_id, envelope("webhook.test", now, {"n": n}), now)
                for n in range(first, min(count, first + 1000))
            ]
            await WebhookRepository(uow.session).add_deliveries(rows)
    return round(time.perf_counter() - started, 2)


@dataclass
class Receiver:
    """An aiohttp app on 127.0.0.1 that verifies every POST with standardwebhooks."""

    secrets: dict[str, str] = field(default_factory=dict)  # path -> the endpoint's secret
    times: list[float] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    failures: int = 0
    expected: int = 0
    done: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    runner: web.AppRunner | None = None
    port: int = 0

    def url(self, n: int = 0) -> str:
        """Where endpoint `n` points."""
        return f"http://127.0.0.1:{self.port}/hook/{n}"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            Webhook(self.secrets[request.path]).verify(body, dict(request.headers))
        except Exception:
            self.failures += 1
        message_id = request.headers.get("webhook-id", "")
        if message_id in self.ids:
            self.duplicates += 1
        self.ids.add(message_id)
        self.times.append(time.perf_counter())
        self.arrived.set()
        if self.expected and len(self.ids) >= self.expected:
            self.done.set()
        return web.Response(text="ok")

    async def start(self) -> Receiver:
        """Listen on 127.0.0.1, port 0."""
        app = web.Application()
        app.router.add_post("/hook/{n}", self._hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self.runner, sock).start()
        return self

    async def stop(self) -> None:
        """Close the listener."""
        if self.runner is not None:
            await self.runner.cleanup()


class DeadEndpoint:
    """Accepts TCP connections and never answers: every attempt runs into the timeout."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        self.connections = 0

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        await reader.read()  # until the client gives up

    async def start(self) -> str:
        """Listen on 127.0.0.1, port 0; the URL to register."""
        self.server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        """Drop the held connections and the listener."""
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
