"""Polls sent by bots, the votes of virtual users, and the updates votes produce."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.errors import ControlError

if TYPE_CHECKING:
    from emulator.bots import BotState
    from emulator.state import EmulatorState


@dataclass(slots=True, eq=False)
class PollState:
    """One poll (the dict inside its message, updated in place) and who voted what."""

    poll: dict[str, Any]
    bot_id: int
    chat_id: int
    message_id: int
    sent_at: int
    votes: dict[int, list[int]] = field(default_factory=dict)

    def closed(self, now: int) -> bool:
        """Whether the poll no longer accepts votes (stopped or its open_period ran out)."""
        period = self.poll.get("open_period")
        if period and now >= self.sent_at + period:
            self.poll["is_closed"] = True
        return bool(self.poll["is_closed"])

    def recount(self) -> None:
        """Refresh voter_count of every option and total_voter_count."""
        counts = [0] * len(self.poll["options"])
        for option_ids in self.votes.values():
            for option in option_ids:
                counts[option] += 1
        for option, count in zip(self.poll["options"], counts, strict=True):
            option["voter_count"] = count
        self.poll["total_voter_count"] = sum(1 for ids in self.votes.values() if ids)

    def to_json(self) -> dict[str, Any]:
        """Control-API view."""
        return {
            "poll": self.poll,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "bot_id": self.bot_id,
            "votes": {str(user): ids for user, ids in self.votes.items()},
        }


class PollRegistry:
    """Polls by id and by message."""

    def __init__(self) -> None:
        self.polls: dict[str, PollState] = {}
        self._by_message: dict[tuple[int, int], PollState] = {}

    def register(self, poll: PollState) -> None:
        """Remember a freshly sent poll."""
        self.polls[poll.poll["id"]] = poll
        self._by_message[(poll.chat_id, poll.message_id)] = poll

    def by_message(self, chat_id: int, message_id: int) -> PollState | None:
        """The poll of a message, if it carries one."""
        return self._by_message.get((chat_id, message_id))

    def clear(self) -> None:
        """Forget every poll."""
        self.polls.clear()
        self._by_message.clear()


def _check_options(state: PollState, option_ids: list[int], revote: bool) -> None:
    """Telegram's answer rules: valid ids, one answer unless multiple, quizzes final."""
    poll = state.poll
    if len(set(option_ids)) != len(option_ids):
        raise ControlError(400, "option_ids must be distinct")
    if any(not 0 <= option < len(poll["options"]) for option in option_ids):
        raise ControlError(400, "no such poll option")
    if poll["type"] == "quiz" and len(option_ids) != 1:
        raise ControlError(400, "a quiz takes exactly one answer")
    if len(option_ids) > 1 and not poll["allows_multiple_answers"]:
        raise ControlError(400, "this poll takes one answer")
    if revote and (poll["type"] == "quiz" or not poll.get("allows_revoting", True)):
        raise ControlError(409, "this poll does not allow changing the vote")
    if not option_ids and not revote:
        raise ControlError(400, "option_ids must not be empty")


def vote(
    state: EmulatorState,
    bot: BotState,
    user_id: int,
    message_id: int,
    option_ids: list[int],
    chat_id: int | None = None,
) -> dict[str, Any]:
    """A user answers (or, with [], retracts) a poll; returns the updates the bot got."""
    user = state.world.users.get(user_id)
    if user is None:
        raise ControlError(404, f"user {user_id} not found")
    if user.deactivated:
        raise ControlError(409, f"user {user_id} is deactivated")
    chat_id = user.id if chat_id is None else chat_id
    poll = state.polls.by_message(chat_id, message_id)
    record = state.messages.get(chat_id, message_id)
    if poll is None or record is None or record.deleted:
        raise ControlError(404, f"no poll in message {message_id} of chat {chat_id}")
    if poll.bot_id != bot.bot_id:
        raise ControlError(409, "poll was sent by another bot")
    if chat_id < 0 and user.id not in state.world.chats[chat_id].members:
        raise ControlError(409, f"user {user_id} is not a member of {chat_id}")
    if poll.closed(state.unix_time()):
        raise ControlError(409, "poll is closed")
    _check_options(poll, option_ids, revote=bool(poll.votes.get(user.id)))
    poll.votes[user.id] = sorted(option_ids)
    poll.recount()
    updates = [bot.updates.push("poll", copy.deepcopy(poll.poll))]
    if not poll.poll["is_anonymous"]:
        answer = {
            "poll_id": poll.poll["id"],
            "user": user.user_api,
            "option_ids": sorted(option_ids),
            "option_persistent_ids": [
                poll.poll["options"][option]["persistent_id"] for option in sorted(option_ids)
            ],
        }
        updates.append(bot.updates.push("poll_answer", answer))
    return {"poll": copy.deepcopy(poll.poll), "updates": [u for u in updates if u is not None]}


def stop(state: EmulatorState, bot: BotState, poll: PollState) -> dict[str, Any]:
    """Close a poll (stopPoll) and tell the bot its final state."""
    poll.poll["is_closed"] = True
    snapshot = copy.deepcopy(poll.poll)
    bot.updates.push("poll", copy.deepcopy(snapshot))
    return snapshot
