"""Simulated behaviour of virtual users: greeting new bots and clicking inline buttons."""

from __future__ import annotations

import asyncio

from emulator.actions import press_button, user_sends_text
from emulator.bots import BotState
from emulator.errors import ControlError
from emulator.records import MessageRecord
from emulator.state import EmulatorState
from emulator.world import VirtualUser


def on_bot_connect(state: EmulatorState, bot: BotState) -> None:
    """With greeting enabled, the first getMe/getUpdates/setWebhook makes users send /start."""
    if state.config.greet and not bot.greeted:
        bot.greeted = True
        state.spawn(_greet(state, bot))


def greeters(state: EmulatorState) -> list[VirtualUser]:
    """The users who send /start by themselves: autonomous and not deactivated.

    Users who blocked the bot greet too: the bot then knows them and meets the 403 later,
    which is what a campaign sender has to cope with.
    """
    return [u for u in state.world.users.values() if u.autonomous and not u.deactivated]


async def _greet(state: EmulatorState, bot: BotState) -> None:
    """Every greeter sends /start, evenly spread over `greet_spread` seconds."""
    users = [greeter.id for greeter in greeters(state)]
    if not users:
        return
    loop = asyncio.get_running_loop()
    start = loop.time()
    interval = state.config.greet_spread / len(users)
    for position, user_id in enumerate(users):
        delay = start + position * interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            user_sends_text(state, bot, user_id, "/start")
        except ControlError:
            continue  # the world changed meanwhile (user removed or deactivated)


def maybe_schedule_click(
    state: EmulatorState, bot: BotState, user: VirtualUser, record: MessageRecord
) -> None:
    """With probability click_rate, press a random button of a fresh inline keyboard later.

    Never in the chat of a user a person drives (an admin's menus are theirs to press).
    """
    config = state.config
    if config.click_rate <= 0 or user.deactivated or not user.autonomous:
        return
    rng = state.rng
    if rng.random() >= config.click_rate:
        return
    buttons = [
        index
        for index, button in enumerate(
            b for row in (record.reply_markup or {}).get("inline_keyboard", []) for b in row
        )
        if "callback_data" in button or "url" in button
    ]
    if not buttons:
        return
    index = rng.choice(buttons)
    delay = rng.uniform(config.click_delay_min, config.click_delay_max)
    state.spawn(_click_later(state, bot, user.id, record, index, delay))


async def _click_later(
    state: EmulatorState,
    bot: BotState,
    user_id: int,
    record: MessageRecord,
    index: int,
    delay: float,
) -> None:
    """Press the chosen button after a human-like pause, unless the message is gone."""
    await asyncio.sleep(delay)
    try:
        press_button(state, bot, user_id, record.message_id, chat_id=record.chat_id, index=index)
    except ControlError:
        return
