"""The offline demo as a newcomer meets it: an admin to play, a draft to send, pasteable commands."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex

import aiohttp
import pytest

from core.auth import default_tenant
from core.bootstrap import build_core
from core.campaigns import create_campaign
from core.context import Actor
from core.models import CampaignCreate
from core.subscribers import counts_by_status
from demo import DEMO_ADMIN_ID, FIRST_SIMULATED_ID
from emulator.behaviour import maybe_schedule_click
from emulator.config import EmulatorConfig
from emulator.records import OUTGOING, MessageRecord
from emulator.state import EmulatorState
from storage.migrate import upgrade_to_head
from tests.bot.helpers import Person
from tests.running import running_service, service_settings
from webhook_server import banner

USERS = 12


@pytest.fixture
async def settings(tmp_path):
    settings = service_settings(tmp_path, emulator_users=USERS)
    # Two campaigns already exist: the demo's draft is not camp_1.
    core, engine = build_core(settings)
    await upgrade_to_head(engine)
    async with core.uow() as uow:
        tenant = await default_tenant(uow)
        for name in ("Older", "Old"):
            data = CampaignCreate.model_validate({"name": name, "messages": [{"content": "x"}]})
            await create_campaign(uow, Actor(tenant.id, "test"), data)
    await engine.dispose()
    return settings


@pytest.fixture
async def demo_service(settings):
    async with running_service(settings) as service:
        yield service


def command(text: str, *needles: str) -> str:
    """The one banner command holding every needle (continuation lines joined)."""
    commands = text.replace("\\\n", " ").splitlines()
    found = [line for line in commands if all(n in line for n in needles)]
    assert len(found) == 1, (needles, text)
    return found[0]


def menus(messages: list) -> list:
    """The messages (records or their JSON) that carry the admin menu's buttons."""

    def buttons(message) -> list[str]:
        markup = message.get("reply_markup") if isinstance(message, dict) else message.reply_markup
        return [b["text"] for row in (markup or {}).get("inline_keyboard", []) for b in row]

    return [m for m in messages if any("Campaigns" in t for t in buttons(m))]


async def shell(line: str, api_key: str) -> dict:
    """Run a banner line in a POSIX shell as a person would paste it; its JSON answer."""
    process = await asyncio.create_subprocess_shell(
        line,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "API_KEY": api_key},
    )
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err
    return json.loads(out)


async def test_the_demo_admin_is_an_admin_the_simulation_leaves_alone(demo_service):
    assert demo_service.settings.admin_ids == [DEMO_ADMIN_ID]
    assert DEMO_ADMIN_ID in demo_service.core.admin_ids
    admin = demo_service.emulator.state.world.users[DEMO_ADMIN_ID]
    assert admin.autonomous is False and admin.first_name == "Demo"
    assert all(
        user.autonomous for uid, user in demo_service.emulator.state.world.users.items()
        if uid != DEMO_ADMIN_ID
    )  # fmt: skip


async def test_configured_admins_are_kept_and_become_people(tmp_path):
    chosen = FIRST_SIMULATED_ID + 1  # one of the simulated users
    settings = service_settings(tmp_path, emulator_users=3, admin_ids=[chosen])
    async with running_service(settings) as service:
        assert service.settings.admin_ids == [chosen]
        assert service.emulator.state.world.users[chosen].autonomous is False
        assert DEMO_ADMIN_ID not in service.emulator.state.world.users
        assert service.demo.expected == 2  # the admin does not greet by itself
        assert await service.demo.registrations.wait(30) == 2


async def test_the_banner_names_the_new_draft_and_quotes_every_url(demo_service):
    text = banner(demo_service)
    camp = demo_service.demo.campaign_id
    assert camp == "camp_3"
    assert f"a draft campaign {camp} was created for you" in text
    assert "camp_1" not in text
    commands = [line for line in text.replace("\\\n", " ").splitlines() if "curl" in line]
    assert len(commands) >= 8
    for line in commands:
        for url in re.findall(r"\S*http://\S+", line):
            assert url.startswith("'") and url.endswith("'"), url
        shlex.split(line, comments=True)  # pasteable: the quotes balance
    assert "limit=3&status=active'" in text


async def test_the_banners_commands_work_as_pasted(demo_service):
    text, key = banner(demo_service), demo_service.startup_key
    admin = Person(demo_service.emulator, DEMO_ADMIN_ID)
    camp = demo_service.demo.campaign_id

    await shell(command(text, "/_emulator/users/", '"/start"'), key)
    await demo_service.emulator.wait_until(lambda: len(menus(admin.inbox())) == 1, within=15)
    await shell(command(text, "/_emulator/users/", '"/menu"'), key)
    await demo_service.emulator.wait_until(lambda: len(menus(admin.inbox())) == 2, within=15)
    chat = await shell(command(text, f"/_emulator/chats/{DEMO_ADMIN_ID}/messages"), key)
    assert len(menus(chat["messages"])) == 2  # what the reading command shows, too
    menu_id = menus(chat["messages"])[-1]["message_id"]
    press = command(text, "/press").replace("ID", str(menu_id))
    assert (await shell(press, key))["kind"] == "callback_query"  # index 1: Campaigns
    await demo_service.emulator.wait_until(
        lambda: [q.answered for q in demo_service.emulator.callback_queries()] == [True], within=15
    )  # the bot handled the press (it shows the list in place of the menu)

    listed = await shell(command(text, "/api/v1/subscribers?"), key)
    assert listed["success"] is True
    started = await shell(command(text, f"/campaigns/{camp}/execute"), key)
    assert started["success"] is True and started["data"]["id"] == camp
    progress = await shell(command(text, f"/campaigns/{camp}/progress"), key)
    assert progress["success"] is True
    created = await shell(command(text, "# create another"), key)
    assert created["success"] is True and created["data"]["name"] == "Hello"


async def test_it_says_when_the_simulated_subscribers_have_registered(demo_service):
    line = await demo_service.demo.registered_line()

    assert line.startswith(f"{USERS} simulated subscribers registered")
    async with demo_service.core.uow() as uow:
        tenant = await default_tenant(uow)
        counts = await counts_by_status(uow, Actor(tenant.id, "test"))
    assert counts["active"] == USERS


async def test_simulated_clicks_never_press_buttons_in_the_admins_chat(demo_service):
    emu = demo_service.emulator
    await emu.update_config(click_rate=1.0, click_delay_min=0.0, click_delay_max=0.0)
    await demo_service.demo.registrations.wait(30)
    admin = Person(emu, DEMO_ADMIN_ID)
    await admin.says("/start", expect=2)  # welcome + the admin menu
    assert menus(admin.inbox())  # buttons a simulated click could have pressed
    key, camp = demo_service.startup_key, demo_service.demo.campaign_id
    started = await shell(command(banner(demo_service), f"/campaigns/{camp}/execute"), key)
    assert started["data"]["targetCount"] == USERS + 1  # the admin subscribed too

    def pressed(chat_id: int) -> list[MessageRecord]:
        return [m for m in emu.messages(chat_id) if m.url_opens or clicked(m)]

    def clicked(record: MessageRecord) -> bool:
        return any(
            q.chat_id == record.chat_id and q.message_id == record.message_id
            for q in emu.callback_queries()
        )

    simulated = range(FIRST_SIMULATED_ID, FIRST_SIMULATED_ID + USERS)
    # Every simulated user presses a button of the campaign message (click_rate 1, no delay).
    await emu.wait_until(lambda: all(pressed(uid) for uid in simulated), within=30)
    await emu.wait_until(
        lambda: any("offline demo" in (m.text or "") for m in emu.messages(DEMO_ADMIN_ID)),
        within=30,
    )
    await asyncio.sleep(0)  # a click scheduled with no delay would have run by now
    assert pressed(DEMO_ADMIN_ID) == []
    assert [q for q in emu.callback_queries() if q.user_id == DEMO_ADMIN_ID] == []


async def test_the_simulation_schedules_no_click_for_a_person():
    config = EmulatorConfig(users=2, click_rate=1.0, groups=0, supergroups=0, migrated_groups=0)
    state = EmulatorState(config)
    person, robot = state.world.users.values()
    person.autonomous = False
    bot = state.bot("1:" + "a" * 35)
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}

    def record(chat_id: int) -> MessageRecord:
        return MessageRecord(chat_id=chat_id, message_id=1, date=0, direction=OUTGOING, bot_id=1,
                             method="sendMessage", message={}, reply_markup=keyboard)  # fmt: skip

    maybe_schedule_click(state, bot, person, record(person.id))
    assert state.background_task_count == 0
    maybe_schedule_click(state, bot, robot, record(robot.id))
    assert state.background_task_count == 1  # the same message, a simulated user: a click
    await state.cancel_tasks()


async def test_every_campaign_types_draft_works_offline(demo_service):
    emu, key = demo_service.emulator, demo_service.startup_key
    # Every simulated user presses, joins, answers and votes; a vote comes after the ledger
    # has stored the poll's id (written back within 0.2 s of the send), as a person's would.
    await emu.update_config(
        click_rate=1.0, click_delay_min=0.0, click_delay_max=0.0, join_rate=1.0,
        answer_rate=1.0, answer_delay_min=0.6, answer_delay_max=1.0,
    )  # fmt: skip
    await demo_service.demo.registrations.wait(30)
    drafts = demo_service.demo.type_campaigns
    assert set(drafts) == {"invitation", "survey", "quiz", "custom"}
    base = f"http://127.0.0.1:{demo_service.settings.http_port}/api/v1/campaigns"
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(headers=headers) as http:

        async def figures(camp: str) -> dict:
            async with http.get(f"{base}/{camp}/statistics?metrics=type") as response:
                return (await response.json())["data"].get("typeStatistics") or {}

        for camp in drafts.values():
            async with http.post(f"{base}/{camp}/execute") as response:
                assert response.status == 200, await response.text()
        latest: dict[str, dict] = {}

        async def results_are_in() -> bool:
            for name, camp in drafts.items():
                latest[name] = await figures(camp)
            return bool(
                latest["invitation"].get("joined")
                and latest["survey"].get("completed")
                and latest["quiz"].get("participants")
            )

        deadline = asyncio.get_running_loop().time() + 60
        while not await results_are_in():
            assert asyncio.get_running_loop().time() < deadline, latest
            await asyncio.sleep(0.5)
    simulated = range(FIRST_SIMULATED_ID, FIRST_SIMULATED_ID + USERS)
    assert all(any(m.media_kind == "dice" for m in emu.messages(uid)) for uid in simulated)
