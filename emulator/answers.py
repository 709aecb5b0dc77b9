"""Simulated answers of virtual users: following invite links, voting, replying, sharing.

Like button clicks (emulator/behaviour.py) these happen with configurable probabilities
(`join_rate`, `answer_rate`) after small seeded random pauses, and never in the chat of a
user a person drives.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from emulator.actions import press_button, user_sends_text
from emulator.bots import BotState
from emulator.contacts import user_shares_contact
from emulator.errors import ControlError
from emulator.invites import find_invite_urls, open_link
from emulator.polls_state import vote
from emulator.records import MessageRecord
from emulator.state import EmulatorState
from emulator.world import VirtualUser

_RANGE = re.compile(r"(-?\d+)\s*(?:-|–|—|\.\.\.?|…|to|до|bis|à)\s*(-?\d+)", re.IGNORECASE)
_SENTENCES = (
    "Sounds good to me.",
    "I like it, thanks!",
    "Not sure yet, maybe later.",
    "More discounts please :)",
    "Could be better, honestly.",
    "Great, keep it up!",
)


def _buttons(markup: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Buttons of an inline keyboard or a reply keyboard, flattened."""
    return [button for row in markup.get(kind) or [] for button in row]


def _text_links(record: MessageRecord) -> list[str]:
    """Invite URLs written in the text or caption, or hidden behind text_link entities."""
    urls = find_invite_urls(record.text) + find_invite_urls(record.caption)
    for entity in (record.entities or []) + (record.caption_entities or []):
        if entity.get("type") == "text_link":
            urls += find_invite_urls(entity.get("url"))
    return urls


def free_text_answer(question: str | None, rng: Any) -> str:
    """A number inside a range the question mentions, else a short opinion."""
    match = _RANGE.search(question or "")
    if match:
        low, high = sorted((int(match[1]), int(match[2])))
        return str(rng.randint(low, high))
    return str(rng.choice(_SENTENCES))


def _later(state: EmulatorState, action: Callable[[], object]) -> None:
    """Run `action` after a human-like pause; a world that changed meanwhile is no error."""
    config = state.config
    delay = state.rng.uniform(config.answer_delay_min, config.answer_delay_max)

    async def run() -> None:
        await asyncio.sleep(delay)
        try:
            action()
        except ControlError:
            return

    state.spawn(run())


def _schedule_join(
    state: EmulatorState, bot: BotState, user: VirtualUser, record: MessageRecord
) -> None:
    """Open an invite link of this emulator found in a URL button or in the text."""
    markup = record.reply_markup or {}
    buttons = [
        index
        for index, button in enumerate(_buttons(markup, "inline_keyboard"))
        if state.invites.find(str(button.get("url", ""))) is not None
    ]
    if buttons:
        index = state.rng.choice(buttons)
        _later(
            state,
            lambda: press_button(
                state, bot, user.id, record.message_id, chat_id=record.chat_id, index=index
            ),
        )
        return
    links = [url for url in _text_links(record) if state.invites.find(url) is not None]
    if links:
        url = state.rng.choice(links)
        _later(state, lambda: open_link(state, user.id, url))


def _schedule_answer(
    state: EmulatorState, bot: BotState, user: VirtualUser, record: MessageRecord
) -> None:
    """Vote in a poll, answer a force-reply question or share the contact when asked."""
    rng, markup = state.rng, record.reply_markup or {}
    poll = state.polls.by_message(record.chat_id, record.message_id)
    if poll is not None:
        count = len(poll.poll["options"])
        if poll.poll["allows_multiple_answers"]:
            choice = sorted(rng.sample(range(count), rng.randint(1, count)))
        else:
            choice = [rng.randrange(count)]
        _later(state, lambda: vote(state, bot, user.id, record.message_id, choice))
    elif markup.get("force_reply"):
        answer = free_text_answer(record.text or record.caption, rng)
        _later(
            state,
            lambda: user_sends_text(
                state, bot, user.id, answer, reply_to_message_id=record.message_id
            ),
        )
    elif any(button.get("request_contact") for button in _buttons(markup, "keyboard")):
        _later(state, lambda: user_shares_contact(state, bot, user.id))


def maybe_schedule_answers(
    state: EmulatorState, bot: BotState, user: VirtualUser, record: MessageRecord
) -> None:
    """React to a fresh message in a user's private chat, each with its own probability."""
    config = state.config
    if user.deactivated or not user.autonomous:
        return
    if config.join_rate > 0 and state.rng.random() < config.join_rate:
        _schedule_join(state, bot, user, record)
    if config.answer_rate > 0 and state.rng.random() < config.answer_rate:
        _schedule_answer(state, bot, user, record)
