"""What a wizard step is: its state, question, buttons, how it reads answers, where Back goes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import Choice, Move, Nav
from core.admins import admin_actor
from core.context import Actor
from core.drafts import Draft
from core.uow import UnitOfWork


@dataclass
class Turn:
    """One answer being handled: the draft so far, where to reply, the update's dependencies."""

    message: Message  # the chat the wizard speaks in
    state: FSMContext
    draft: Draft
    uow: UnitOfWork
    tenant_id: int
    admin_id: int
    admin_ids: frozenset[int]

    @property
    def reader(self) -> Actor:
        """The actor for look-ups (counts, segment lists)."""
        return admin_actor(self.tenant_id, 0)


@dataclass(frozen=True)
class Facts:
    """What a step looked up before asking, for its buttons."""

    everyone: int | None = None
    segments: Sequence[tuple[str, str]] = ()  # (value, label)
    chats: Sequence[tuple[str, str]] = ()  # (chat id, label): chats the bot may invite into


# An answer -> the next state, or None when the step replied itself and the wizard stays put.
Answer = Callable[[Turn, str], Awaitable[State | None]]  # typed text or a button's value
ContentAnswer = Callable[[Turn, dict[str, Any]], Awaitable[State | None]]
Choices = Callable[[Facts], Sequence[tuple[str, str]]]
# Where Back goes: one step, or the step the draft so far came through (type-specific steps).
Back = State | Callable[[Draft], State] | None


def no_choices(facts: Facts) -> Sequence[tuple[str, str]]:
    """A step answered by typing only."""
    return ()


@dataclass(frozen=True)
class Step:
    """One step of the wizard, defined once."""

    state: State
    prompt: str | Callable[[Draft], str]  # a str may use {zone}, the admin's time zone
    back: Back  # None: Back cancels (the first step shows no Back button)
    choices: Choices = no_choices  # its buttons, as (value, label)
    columns: int = 1
    typed: Answer | None = None  # reads typed text
    pressed: Answer | None = None  # reads the value of one of its buttons
    sent: ContentAnswer | None = None  # reads a message to send (text or media)
    prepare: Callable[[Turn], Awaitable[Facts]] | None = None  # runs before it asks

    @property
    def name(self) -> str:
        """The step's name: its state's, also the `step` of its buttons' callback data."""
        return (self.state.state or "").rpartition(":")[2]

    def back_to(self, draft: Draft) -> State | None:
        """The step Back leads to from here, for this draft."""
        if self.back is None or isinstance(self.back, State):  # a State is callable: a filter
            return self.back
        return self.back(draft)

    def question(self, draft: Draft) -> str:
        """What the step asks."""
        if callable(self.prompt):
            return self.prompt(draft)
        return self.prompt.format(zone=draft.timezone)

    def keyboard(self, facts: Facts | None = None) -> InlineKeyboardMarkup:
        """Its buttons, then Back (unless it is the first step) and Cancel."""
        builder = InlineKeyboardBuilder()
        for value, label in self.choices(facts or Facts()):
            builder.button(text=label, callback_data=Choice(step=self.name, value=value))
        builder.adjust(self.columns)
        nav = InlineKeyboardBuilder()
        if self.back is not None:
            nav.button(text="« Back", callback_data=Nav(action=Move.BACK))
        nav.button(text="Cancel", callback_data=Nav(action=Move.CANCEL))
        return InlineKeyboardMarkup(inline_keyboard=[*builder.export(), *nav.export()])
