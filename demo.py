"""The offline demo: the bundled Bot API emulator, simulated subscribers, an admin, a draft."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

from core.campaigns import create_campaign
from core.config import Settings
from core.context import Actor, CoreContext
from core.events import DomainEvent
from core.ids import format_id
from core.models import CampaignCreate
from emulator.behaviour import greeters
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer

DEMO_TOKEN = "1000000001:DEMO-offline-emulator-token-not-secret"
FIRST_SIMULATED_ID = 100_000_001
# Just below the simulated subscribers, so it never clashes with them.
DEMO_ADMIN_ID = FIRST_SIMULATED_ID - 1
DEMO_CAMPAIGN = {
    "name": "Offline demo",
    "description": "Created at start-up by the offline demo",
    "messages": [
        {
            "content": "Hi {first_name}! This is the tg-campaigns offline demo.",
            "buttons": [
                [
                    {"text": "Interested", "callbackData": "interested"},
                    {"text": "Bot API", "url": "https://core.telegram.org/bots/api"},
                ]
            ],
        }
    ],
}


# One draft per campaign type beside the message one, so every type can be tried offline; the
# simulated users join, answer and play (join_rate, answer_rate below).
TYPE_CAMPAIGNS: dict[str, dict[str, Any]] = {
    "invitation": {
        "name": "Offline demo: invitation",
        "type": "invitation",
        "messages": [{"content": "Hi {first_name}, join our demo supergroup!"}],
        "settings": {"targetChat": "@emu_supergroup_1"},
    },
    "survey": {
        "name": "Offline demo: survey",
        "type": "data_collection",
        "messages": [{"content": "Three quick questions, {first_name}."}],
        "settings": {
            "questions": [
                {"key": "rating", "text": "How do you like the demo?", "type": "rating"},
                {
                    "key": "colour",
                    "text": "Your favourite colour?",
                    "type": "single_choice",
                    "options": ["Red", "Green", "Blue"],
                },
                {"key": "comment", "text": "Anything else?", "type": "text", "required": False},
            ],
            "thanks": "Thank you!",
        },
    },
    "quiz": {
        "name": "Offline demo: quiz",
        "type": "engagement",
        "settings": {
            "mode": "quiz",
            "questions": [
                {
                    "key": "limit",
                    "question": "How many messages per second may a bot broadcast for free?",
                    "options": ["1", "30", "1000"],
                    "correctOption": 1,
                    "explanation": "30/s; paid broadcasts go up to 1000/s.",
                }
            ],
        },
    },
    "custom": {
        "name": "Offline demo: a dice (custom)",
        "type": "custom",
        "settings": {"method": "sendDice", "params": {"emoji": "🎲"}},
    },
}


def with_demo_admin(settings: Settings) -> Settings:
    """Without BOT_TOKEN and ADMIN_IDS, the demo's own admin user is the admin of this run."""
    if settings.bot_token is not None or settings.admin_ids:
        return settings
    return settings.model_copy(update={"admin_ids": [DEMO_ADMIN_ID]})


@dataclass
class RegistrationWatch:
    """Counts the simulated users whose /start the bot has committed (user_registered events)."""

    expected: frozenset[int]
    seen: set[int] = field(default_factory=set)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        if not self.expected:
            self.done.set()

    async def on_event(self, event: DomainEvent) -> None:
        """One user_registered event; the actor label is `telegram:<user id>`."""
        _, _, user_id = event.actor.partition("telegram:")
        if user_id.isdigit() and int(user_id) in self.expected:
            self.seen.add(int(user_id))
            if len(self.seen) == len(self.expected):
                self.done.set()

    async def wait(self, within: float) -> int:
        """How many registered, once all did or `within` seconds passed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), within)
        return len(self.seen)


@dataclass
class Demo:
    """The running demo: its emulator, who drives the admin side and the draft made for them."""

    emulator: EmulatorServer
    admin_ids: tuple[int, ...]
    registrations: RegistrationWatch
    campaign_id: str = ""
    # The drafts of TYPE_CAMPAIGNS: name -> public id.
    type_campaigns: dict[str, str] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        """How many simulated subscribers register by themselves."""
        return len(self.registrations.expected)

    def registration_bound(self) -> float:
        """Seconds to wait for them: the greeting spread plus their welcome replies at 30/s."""
        return self.emulator.config.greet_spread + 30.0 + self.expected / 10

    async def registered_line(self) -> str:
        """A line for the console once the simulated subscribers have registered (or not)."""
        loop = asyncio.get_running_loop()
        started, bound = loop.time(), self.registration_bound()
        count = await self.registrations.wait(bound)
        if count == self.expected:
            took = loop.time() - started
            return f"{count} simulated subscribers registered (waited {took:.1f} s)"
        return (
            f"only {count} of {self.expected} simulated subscribers registered within "
            f"{bound:.0f} s; the rest may still arrive"
        )


async def start_demo(settings: Settings, core: CoreContext) -> Demo:
    """Start the emulator; admins are people (created if missing) the simulation leaves alone."""
    # Simulated users press buttons, follow invite links, answer surveys and play quizzes
    # with these probabilities, so every campaign type shows results offline.
    config = EmulatorConfig(
        users=settings.emulator_users,
        user_id_start=FIRST_SIMULATED_ID,
        greet=True,
        click_rate=0.1,
        join_rate=0.3,
        answer_rate=0.5,
    )
    server = EmulatorServer(config, port=settings.emulator_port)
    world = server.state.world
    for admin_id in settings.admin_ids:
        admin = world.users.get(admin_id)
        if admin is None:
            admin = await server.create_user(
                id=admin_id,
                first_name="Demo",
                last_name="Admin",
                username=f"admin_{admin_id}",
                language_code="en",
            )
        admin.autonomous = False
    watch = RegistrationWatch(frozenset(user.id for user in greeters(server.state)))
    # Subscribed before the bot connects: connecting is what makes the users greet.
    core.bus.subscribe("user_registered", watch.on_event)
    await server.start()
    return Demo(server, tuple(settings.admin_ids), watch)


async def create_demo_campaign(core: CoreContext, tenant_id: int) -> str:
    """A draft with a callback and a URL button, ready to execute; returns its public id."""
    async with core.uow() as uow:
        campaign = await create_campaign(
            uow, Actor(tenant_id, "system:demo"), CampaignCreate.model_validate(DEMO_CAMPAIGN)
        )
    return format_id("campaign", campaign.id)


async def create_type_campaigns(core: CoreContext, tenant_id: int) -> dict[str, str]:
    """The drafts of TYPE_CAMPAIGNS (name -> public id)."""
    made = {}
    async with core.uow() as uow:
        for name, body in TYPE_CAMPAIGNS.items():
            data = CampaignCreate.model_validate(body)
            campaign = await create_campaign(uow, Actor(tenant_id, "system:demo"), data)
            made[name] = format_id("campaign", campaign.id)
    return made


def _q(text: str) -> str:
    """Single-quoted for a POSIX shell, always (URLs carry `?` and `&`)."""
    return "'" + text.replace("'", "'\\''") + "'"


def banner_lines(demo: Demo, api_base: str) -> list[str]:
    """What to try in the demo, as commands that can be pasted into a POSIX shell."""
    emu = demo.emulator.base_url
    auth = '-H "Authorization: Bearer $API_KEY"'
    camp = demo.campaign_id
    json_body = "-H 'Content-Type: application/json' -d"
    if demo.expected:
        crowd = f"{demo.expected} simulated subscribers are sending /start now (a line follows "
        crowd += "once they are registered)"
    else:
        crowd = "No simulated subscribers (EMULATOR_USERS=0): add some with POST /_emulator/users"
    lines = [
        f"No BOT_TOKEN: offline demo on the local Bot API emulator at {emu}",
        f"  {crowd}",
        f"Try the REST API (a draft campaign {camp} was created for you):",
        f"  curl -s {auth} {_q(f'{api_base}/api/v1/subscribers?limit=3&status=active')}",
        f"  curl -s -X POST {auth} {_q(f'{api_base}/api/v1/campaigns/{camp}/execute')}",
        f"  curl -s {auth} {_q(f'{api_base}/api/v1/campaigns/{camp}/progress')}",
        f"  curl -s {_q(f'{emu}/_emulator/chats/{FIRST_SIMULATED_ID}/messages')}"
        "  # what a simulated user got",
        f"  curl -s -X POST {auth} {_q(f'{api_base}/api/v1/campaigns')} \\",
        f"       {json_body} "
        + _q('{"name": "Hello", "messages": [{"content": "Hi {first_name}!"}]}')
        + "  # create another",
    ]
    if demo.type_campaigns:
        drafts = ", ".join(f"{name} {camp}" for name, camp in demo.type_campaigns.items())
        lines += [
            f"  One draft per campaign type ({drafts}): execute one as above, then",
            f"  curl -s {auth} {_q(f'{api_base}/api/v1/campaigns/CAMPAIGN_ID/statistics')}"
            "  # typeStatistics: joins, answers, quiz results",
        ]
    if demo.admin_ids:
        admin = demo.admin_ids[0]
        send = _q(f"{emu}/_emulator/users/{admin}/send")
        lines += [
            f"Be the admin (user {admin}, in ADMIN_IDS for this run) through the emulator:",
            f'  curl -s -X POST {json_body} \'{{"text": "/start"}}\' {send}',
            f'  curl -s -X POST {json_body} \'{{"text": "/menu"}}\' {send}  # or /new, /cancel',
            f"  curl -s {_q(f'{emu}/_emulator/chats/{admin}/messages')}  # the bot's replies",
            f'  curl -s -X POST {json_body} \'{{"message_id": ID, "index": 1}}\' '
            f"{_q(f'{emu}/_emulator/users/{admin}/press')}  # press a button: 1 = Campaigns",
        ]
    return lines
