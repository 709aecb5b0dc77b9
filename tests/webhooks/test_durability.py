"""Webhooks survive what processes do: a SIGKILL after commit, two dispatchers, a slow receiver."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.auth import default_tenant
from core.context import Actor, CoreContext
from core.webhooks.dispatcher import DispatcherSettings, WebhookDispatcher
from core.webhooks.endpoints import EndpointInput, create_endpoint, send_test
from emulator.testing import make_token
from storage.migrate import upgrade_to_head
from storage.models_webhooks import WebhookDelivery, WebhookEndpoint
from tests.pg_login import empty_schema, engine_for, postgres_problem
from tests.service_processes import READY_WITHIN, Child, spawn, terminate, wait_healthy
from tests.test_settings import ROOT, clean_env
from tests.webhooks.conftest import WEBHOOKS, register, running_receiver
from tests.webhooks.processes import CAMPAIGN_NAME, dispose, open_core, socket_ports


@pytest.fixture
async def database_url(backend, tmp_path, request) -> AsyncIterator[str]:
    """A migrated database that a child process reaches by DATABASE_URL alone."""
    if backend == "sqlite":
        path = tmp_path / "service.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    if (problem := postgres_problem()) is not None:
        pytest.skip(problem)
    async with empty_schema() as url:
        engine = engine_for(url)
        await upgrade_to_head(engine)
        await engine.dispose()
        yield url


@pytest.fixture
async def local_core(database_url) -> AsyncIterator[CoreContext]:
    """This test's own core on that database (to register endpoints and read the outbox)."""
    core = open_core(database_url)
    yield core
    await dispose(core)


def service_env(database_url: str, emu) -> dict[str, str]:
    """What `python -m webhook_server` needs here: the database, a bot on the emulator, and
    permission to post to the receiver on loopback over http."""
    return {
        "DATABASE_URL": database_url,
        "BOT_TOKEN": make_token(),
        "TELEGRAM_API_URL": emu.base_url,
        "WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "WEBHOOK_ALLOW_HTTP": "true",
    }


async def register_endpoint(core: CoreContext, url: str, events: object = "*") -> tuple[int, str]:
    """An endpoint of the default tenant: its id and secret."""
    data = EndpointInput.model_validate({"url": url, "events": events})
    async with core.uow() as uow:
        actor = Actor((await default_tenant(uow)).id, "test")
        endpoint, secret = await create_endpoint(uow, actor, data, core.webhook_urls)
        return endpoint.id, secret


async def outbox(core: CoreContext) -> list[WebhookDelivery]:
    """Every outbox row, oldest first."""
    async with core.uow(read_only=True) as uow:
        return list(await uow.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


async def until_delivered(
    core: CoreContext, count: int, children: Sequence[Child], within: float
) -> list[WebhookDelivery]:
    """The outbox once it holds `count` rows, all delivered; fails early if a child exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        rows = await outbox(core)
        if len(rows) == count and all(row.status == "delivered" for row in rows):
            return rows
        logs = "\n".join(child.output() for child in children)
        for child in children:
            if child.process.returncode is not None:
                raise AssertionError(f"a service exited {child.process.returncode}:\n{logs}")
        if loop.time() > deadline:
            statuses = Counter(row.status for row in rows)
            raise AssertionError(f"outbox {dict(statuses)} after {within} s:\n{logs}")
        await asyncio.sleep(0.1)


async def test_an_event_committed_just_before_a_sigkill_is_delivered_after_the_restart(
    database_url, local_core, emu, tmp_path
):
    async with running_receiver() as receiver:
        _, secret = await register_endpoint(local_core, receiver.url, ["campaign.created"])
        doomed = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.webhooks.processes", database_url,
            cwd=ROOT, env=clean_env(PYTHONPATH=str(ROOT)),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(doomed.communicate(), 60)
        assert doomed.returncode == -signal.SIGKILL, output.decode(errors="replace")
        [queued] = await outbox(local_core)
        assert queued.event_type == "campaign.created"
        assert queued.status == "pending" and queued.attempts == 0
        assert receiver.received == []

        service = await spawn(tmp_path / "service.log", **service_env(database_url, emu))
        try:
            [delivered] = await until_delivered(local_core, 1, [service], within=READY_WITHIN)
        finally:
            await terminate(service)

    [received] = receiver.received
    payload = received.verified_with(secret)
    assert payload["type"] == "campaign.created"
    assert payload["data"]["campaign"]["name"] == CAMPAIGN_NAME
    assert received.headers["webhook-id"] == queued.message_id == delivered.message_id
    assert delivered.attempts == 1 and delivered.last_status_code == 200


ENDPOINTS, EACH = 10, 20  # 200 events


@pytest.mark.parametrize("backend", ["postgres"])
async def test_two_dispatching_processes_deliver_each_event_exactly_once(
    database_url, local_core, emu, tmp_path
):
    async with running_receiver() as receiver:
        endpoints = [await register_endpoint(local_core, receiver.url) for _ in range(ENDPOINTS)]
        env = service_env(database_url, emu)
        children = [
            await spawn(tmp_path / f"sender{n}.log", "--role", "sender", **env) for n in range(2)
        ]
        try:
            await asyncio.gather(*(wait_healthy(child) for child in children))
            # Queued round-robin, so the first claim (100 rows) holds every endpoint; with a
            # slow receiver its process stays busy on all of them for ~3 s, several polls of
            # the other process, which claims the rest meanwhile.
            receiver.delays = [0.3] * (ENDPOINTS * EACH)
            async with local_core.uow() as uow:
                loaded = [
                    await uow.session.get_one(WebhookEndpoint, endpoint_id)
                    for endpoint_id, _ in endpoints
                ]
                for _ in range(EACH):
                    for endpoint in loaded:
                        await send_test(uow, endpoint)
            rows = await until_delivered(local_core, ENDPOINTS * EACH, children, within=60)
            ports = {child.process.pid: socket_ports(child.process.pid) for child in children}
        finally:
            await asyncio.gather(*(terminate(child) for child in children))

    arrivals = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert arrivals == Counter(row.message_id for row in rows)  # each exactly once
    assert {row.attempts for row in rows} == {1}
    secrets = dict(endpoints)
    by_id = {row.message_id: row.endpoint_id for row in rows}
    for received in receiver.received:
        received.verified_with(secrets[by_id[received.headers["webhook-id"]]])
    senders = {pid for r in receiver.received for pid, mine in ports.items() if r.peer_port in mine}
    assert senders == set(ports), "one process delivered everything: nothing was contended"


async def test_a_receiver_slower_than_the_timeout_fails_the_attempt_and_the_retry_keeps_its_id(
    api, auth, core, clock, receiver
):
    clock.set(datetime.now(UTC))
    impatient = WebhookDispatcher(core, DispatcherSettings(timeout=0.3))
    hook = await register(api, auth, receiver.url)
    receiver.delays = [1.5]  # the first attempt only
    assert (await api.post(f"{WEBHOOKS}/{hook['id']}/test", headers=auth)).status == 202
    deliveries = f"{WEBHOOKS}/{hook['id']}/deliveries"
    try:
        await impatient.run_once()
        [failed] = (await (await api.get(deliveries, headers=auth)).json())["data"]["deliveries"]
        assert failed["status"] == "failed" and failed["attempts"] == 1
        assert failed["lastStatusCode"] is None and "timeout" in failed["lastError"].lower()
        assert failed["lastLatencyMs"] < 1500  # cut off by the timeout, not by the answer
        assert failed["nextAttemptAt"] is not None
        assert await impatient.run_once() == 0  # the retry is not due yet

        clock.advance(timedelta(seconds=6))
        await impatient.run_once()
    finally:
        await impatient.stop()

    [delivered] = (await (await api.get(deliveries, headers=auth)).json())["data"]["deliveries"]
    assert delivered["status"] == "delivered" and delivered["attempts"] == 2
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == failed["messageId"]
    second.verified_with(hook["secret"])
