"""HTTP_WORKERS: extra API-only processes share the port and send their domain events home."""

from __future__ import annotations

import asyncio
import multiprocessing
import socket

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from api.app import create_api_app
from core.auth import default_tenant, mint_key
from core.config import Settings
from core.context import CoreContext
from runtime import serve_api_only
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head


def test_http_workers_setting(monkeypatch):
    assert Settings().http_workers == 1
    monkeypatch.setenv("HTTP_WORKERS", "3")
    assert Settings().http_workers == 3
    monkeypatch.setenv("HTTP_WORKERS", "0")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("HTTP_WORKERS", "2")
    monkeypatch.setenv("WEBHOOK_URL", "https://example.com")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret-s3cret")
    with pytest.raises(ValidationError, match="HTTP_WORKERS"):
        Settings()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_worker_serves_the_same_port_and_relays_events(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}"
    engine = create_engine(url)
    await upgrade_to_head(engine)
    core = CoreContext(session_factory=create_session_factory(engine))
    async with core.uow() as uow:
        key = (await mint_key(uow, (await default_tenant(uow)).id, "workers")).key
    port = _free_port()
    runner = web.AppRunner(create_api_app(core))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_port=True).start()
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    settings = Settings(database_url=url, http_port=port)
    worker = context.Process(target=serve_api_only, args=(settings, sender), daemon=True)
    worker.start()
    sender.close()
    headers = {"Authorization": f"Bearer {key}"}
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}", headers=headers) as http:
            await runner.cleanup()  # from now on only the worker listens on the port
            for _ in range(600):  # the worker first imports the whole service
                try:
                    async with http.get("/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            body = {"name": "Via worker", "messages": [{"content": "Hi"}]}
            async with http.post("/api/v1/campaigns", json=body) as response:
                assert response.status == 201, await response.text()
            async with http.get("/api/v1/campaigns") as response:
                assert (await response.json())["data"]["pagination"]["total"] == 1
        assert await asyncio.to_thread(receiver.poll, 10)
        event = receiver.recv()
        assert event.name == "campaign.created"
    finally:
        worker.terminate()
        worker.join(10)
        receiver.close()
        await engine.dispose()
