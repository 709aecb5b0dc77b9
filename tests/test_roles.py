"""ROLE: which parts a process runs; api, sender and scheduler processes make one service."""

from __future__ import annotations

import asyncio
import random
import uuid

import aiohttp
import pytest
from aiogram.fsm.storage.redis import RedisEventIsolation

from core.config import Role, Settings
from emulator.testing import make_token
from roles import Parts, parts_of
from runtime import Service
from tests.bot.helpers import Person
from tests.infra import REDIS_URL, redis_problem
from tests.pg_login import empty_schema, postgres_problem
from tests.running import free_port, running_service, service_settings
from tests.service_processes import spawn, terminate, wait_healthy
from tests.test_settings import run
from webhook_server import banner

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
API_TOKEN = "tgc_roles-configured-key-0123456789abcdef"

PARTS = [  # role, webhook mode, parts
    ("all", False, Parts(api=True, sender=True, scheduler=True, bot=True, poller=True)),
    ("all", True, Parts(api=True, sender=True, scheduler=True, bot=True, poller=False)),
    ("api", False, Parts(api=True, sender=False, scheduler=False, bot=False, poller=False)),
    ("api", True, Parts(api=True, sender=False, scheduler=False, bot=True, poller=False)),
    ("sender", False, Parts(api=False, sender=True, scheduler=False, bot=False, poller=False)),
    ("sender", True, Parts(api=False, sender=True, scheduler=False, bot=False, poller=False)),
    ("scheduler", False, Parts(api=False, sender=False, scheduler=True, bot=True, poller=True)),
    ("scheduler", True, Parts(api=False, sender=False, scheduler=True, bot=False, poller=False)),
]


@pytest.fixture
async def schema_url():
    if (problem := postgres_problem()) is not None:
        pytest.skip(problem)
    async with empty_schema() as url:
        yield url


@pytest.mark.parametrize(("role", "webhook", "expected"), PARTS)
def test_each_role_runs_its_parts(role, webhook, expected):
    values = {"database_url": PG, "bot_token": make_token(), "role": role}
    if webhook:
        values |= {"webhook_url": "https://bot.example.com", "webhook_secret": "s3cret"}
    assert parts_of(Settings(_env_file=None, **values)) == expected


def test_role_setting_defaults_to_all_and_ignores_case(monkeypatch):
    assert Settings(_env_file=None).role is Role.ALL
    monkeypatch.setenv("ROLE", "Sender")
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("BOT_TOKEN", make_token())
    assert Settings(_env_file=None).role is Role.SENDER


@pytest.mark.parametrize(
    ("args", "env", "needle"),
    [
        (["--role", "api", "migrate"], {}, "ROLE=api needs PostgreSQL"),
        (["migrate"], {"ROLE": "scheduler"}, "ROLE=scheduler needs PostgreSQL"),
        (["migrate"], {"ROLE": "sender", "DATABASE_URL": PG}, "ROLE=sender needs BOT_TOKEN"),
        (["migrate"], {"ROLE": "leader"}, "ROLE: Input should be"),
    ],
)
def test_a_role_the_setup_cannot_run_is_a_configuration_error(tmp_path, args, env, needle):
    values = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'never.db'}", **env}
    result = run(*args, **values)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("configuration error: ") and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "never.db").exists()


def test_an_unknown_role_argument_is_refused(tmp_path):
    result = run("--role", "leader", "migrate", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/x.db")
    assert result.returncode == 2 and "invalid choice: 'leader'" in result.stderr


async def test_api_sender_and_scheduler_processes_make_one_service(schema_url, emu, tmp_path):
    token = make_token()
    env = {"DATABASE_URL": schema_url, "BOT_TOKEN": token, "TELEGRAM_API_URL": emu.base_url,
           "API_TOKEN": API_TOKEN, "ADMIN_IDS": "111"}  # fmt: skip
    # The api process migrates the empty schema while the others wait for the lock.
    api, sender, scheduler = [
        await spawn(tmp_path / f"{role}.log", "--role", role, **env)
        for role in ("api", "sender", "scheduler")
    ]
    children = (api, sender, scheduler)
    try:
        await asyncio.gather(*(wait_healthy(child) for child in children))
        for child, role in zip(children, ("api", "sender", "scheduler"), strict=True):
            assert f"tg-campaigns role {role}: " in child.output(), child.output()
        # The bot answers from the scheduling leader (the one poller in polling mode).
        ada = Person(emu, (await emu.create_user(first_name="Ada")).id)
        assert len(await ada.says("/start")) == 1
        headers = {"Authorization": f"Bearer {API_TOKEN}"}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{sender.base_url}/api/v1/campaigns") as response:
                assert response.status == 404  # a sender serves no REST API
            body = {"name": "Across roles", "messages": [{"content": "Hello from the sender"}]}
            async with http.post(f"{api.base_url}/api/v1/campaigns", json=body) as response:
                assert response.status == 201, await response.text()
                campaign = (await response.json())["data"]["id"]
            url = f"{api.base_url}/api/v1/campaigns/{campaign}/execute"
            async with http.post(url, json={}) as response:
                assert response.status in (200, 202), await response.text()
        # Only the sender process runs the delivery engine: the message comes from it.
        await emu.wait_until(
            lambda: any("Hello from the sender" in (m.text or "") for m in ada.inbox()), 30
        )
        assert emu.bot_state(token).stats.errors_by_code[409] == 0
    finally:
        codes = [await terminate(child) for child in children]
    assert codes == [0, 0, 0], [child.output() for child in children]


async def test_an_api_process_in_webhook_mode_runs_the_bot_with_redis_isolation(
    schema_url, emu, tmp_path
):
    problem = await redis_problem(REDIS_URL)  # the scaled-out path needs Redis
    if problem:
        pytest.skip(problem)
    port = free_port()
    # A bot id of its own keeps this run's FSM keys apart from parallel runs on the same Redis.
    token = make_token(random.randint(10**9, 2 * 10**9))
    settings = service_settings(
        tmp_path, database_url=schema_url, bot_token=token, telegram_api_url=emu.base_url,
        http_port=port, role="api", webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret=f"s-{uuid.uuid4().hex}", redis_url=REDIS_URL, api_token=API_TOKEN,
    )  # fmt: skip
    service = Service(settings)
    await service.start()
    try:
        assert service.engine is None and service.scheduler is None and service.poller is None
        assert isinstance(service.dispatcher.fsm.events_isolation, RedisEventIsolation)
        assert "tg-campaigns role api: REST API, Telegram webhook" in banner(service)
        ada = Person(emu, (await emu.create_user(first_name="Ada")).id)
        assert len(await ada.says("/start")) == 1  # pushed by the emulator to the webhook
        assert emu.bot_state(token).stats.requests["getUpdates"] == 0
    finally:
        await service.stop()


async def test_one_sqlite_process_runs_every_part_and_says_so(tmp_path):
    async with running_service(service_settings(tmp_path)) as service:
        assert service.engine is not None and service.poller is not None
        assert service.scheduler is not None and service.scheduler.leading.is_set()
        lines = banner(service).splitlines()
        assert lines[0] == (
            "tg-campaigns role all: REST API, delivery engine, scheduler (leader candidate), "
            "Telegram polling while leading"
        )
        assert lines[1] == f"API listening on {service.api_base}"
