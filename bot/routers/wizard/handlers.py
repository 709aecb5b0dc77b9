"""The wizard's handlers: start, Back and Cancel, and each step's own answer handlers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import cast

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Choice, Menu, Move, Nav, Section
from bot.capture import message_content
from bot.filters import NOT_A_COMMAND, IsAdmin
from bot.routers.wizard.step import Answer, ContentAnswer, Facts, Step, Turn
from bot.routers.wizard.steps import BY_STATE, STEPS
from bot.states import NewCampaign
from core import drafts
from core.uow import UnitOfWork

USE_BUTTONS = "Please use the buttons above, or /cancel."
NOT_SENDABLE = "That kind of message can't be sent as a campaign: send text or media."
Handler = Callable[..., Awaitable[None]]
BY_STEP_NAME = {step.name: step for step in STEPS}


async def _turn(message: Message, admin_id: int, state: FSMContext, uow: UnitOfWork,
                tenant_id: int, admin_ids: frozenset[int]) -> Turn:  # fmt: skip
    draft = drafts.Draft.model_validate((await state.get_data()).get("draft", {}))
    return Turn(message, state, draft, uow, tenant_id, admin_id, admin_ids)


def _sender(message: Message) -> int:
    return (message.from_user or message.chat).id


def _chat(query: CallbackQuery) -> Message:
    return cast(Message, query.message)


async def ask(turn: Turn, step: Step) -> None:
    """Move to `step` and say what it needs."""
    await turn.state.set_state(step.state)
    facts = await step.prepare(turn) if step.prepare else Facts()
    await turn.message.answer(step.question(turn.draft), reply_markup=step.keyboard(facts))


async def _advance(turn: Turn, nxt: State | None) -> None:
    if nxt is None:
        return  # the step replied itself, or finished the wizard
    await turn.state.update_data(draft=turn.draft.model_dump(mode="json"))
    await ask(turn, BY_STATE[nxt])


async def _explain(turn: Turn, step: Step, error: ValueError) -> None:
    # The buttons again (a picker's chats, the segments): only look-ups are re-run here, as
    # the one step that prepares by speaking (confirm's preview) reads no answer that fails.
    facts = await step.prepare(turn) if step.prepare else Facts()
    text = f"{escape(str(error))}\n\n{step.question(turn.draft)}"
    await turn.message.answer(text, reply_markup=step.keyboard(facts))


async def start(message: Message, state: FSMContext, uow: UnitOfWork, tenant_id: int,
                admin_ids: frozenset[int]) -> None:  # fmt: skip
    """/new: a fresh draft."""
    await state.clear()
    turn = await _turn(message, _sender(message), state, uow, tenant_id, admin_ids)
    await ask(turn, STEPS[0])


async def start_from_menu(query: CallbackQuery, state: FSMContext, uow: UnitOfWork,
                          tenant_id: int, admin_ids: frozenset[int]) -> None:  # fmt: skip
    """The "New campaign" button."""
    await query.answer()
    await state.clear()
    turn = await _turn(_chat(query), query.from_user.id, state, uow, tenant_id, admin_ids)
    await ask(turn, STEPS[0])


async def cancel(message: Message, state: FSMContext) -> None:
    """/cancel works in any step."""
    await state.clear()
    await message.answer("Cancelled. Nothing was saved. /menu for the menu.")


async def cancel_by_button(query: CallbackQuery, state: FSMContext) -> None:
    """Cancel, or Back where there is no step to go back to."""
    await query.answer()
    await state.clear()
    await _chat(query).answer("Cancelled. Nothing was saved.")


def _back(step: Step) -> Handler:
    async def back(query: CallbackQuery, state: FSMContext, uow: UnitOfWork, tenant_id: int,
                   admin_ids: frozenset[int]) -> None:  # fmt: skip
        await query.answer()
        turn = await _turn(_chat(query), query.from_user.id, state, uow, tenant_id, admin_ids)
        target = step.back_to(turn.draft)
        await ask(turn, BY_STATE[target or STEPS[0].state])

    return back


def _pressed(answer: Answer) -> Handler:
    async def pressed(query: CallbackQuery, callback_data: Choice, state: FSMContext,
                      uow: UnitOfWork, tenant_id: int,
                      admin_ids: frozenset[int]) -> None:  # fmt: skip
        await query.answer()
        turn = await _turn(_chat(query), query.from_user.id, state, uow, tenant_id, admin_ids)
        try:
            nxt = await answer(turn, callback_data.value)
        except ValueError as exc:
            await _explain(turn, BY_STEP_NAME[callback_data.step], exc)
            return
        await _advance(turn, nxt)

    return pressed


def _typed(step: Step, answer: Answer | None) -> Handler:
    async def typed(message: Message, state: FSMContext, uow: UnitOfWork, tenant_id: int,
                    admin_ids: frozenset[int]) -> None:  # fmt: skip
        if answer is None:
            await message.answer(USE_BUTTONS)
            return
        turn = await _turn(message, _sender(message), state, uow, tenant_id, admin_ids)
        try:
            nxt = await answer(turn, message.text or "")
        except ValueError as exc:
            await _explain(turn, step, exc)
            return
        await _advance(turn, nxt)

    return typed


def _sent(step: Step, answer: ContentAnswer) -> Handler:
    async def sent(message: Message, state: FSMContext, uow: UnitOfWork, tenant_id: int,
                   admin_ids: frozenset[int]) -> None:  # fmt: skip
        turn = await _turn(message, _sender(message), state, uow, tenant_id, admin_ids)
        content = message_content(message)
        try:
            if content is None:
                raise ValueError(NOT_SENDABLE)
            drafts.check_message(content)
        except ValueError as exc:
            await _explain(turn, step, exc)
            return
        await _advance(turn, await answer(turn, content))

    return sent


def _register(router: Router, step: Step) -> None:
    here = StateFilter(step.state)
    if step.back is not None:
        router.callback_query.register(_back(step), Nav.filter(F.action == Move.BACK), here)
    if step.pressed is not None:
        # A button of an earlier step, pressed later, still answers that step (as it always did).
        router.callback_query.register(
            _pressed(step.pressed), Choice.filter(F.step == step.name), StateFilter(NewCampaign)
        )
    # Commands are never answers: /start, /menu… reach their own handlers mid-wizard.
    if step.sent is not None:
        router.message.register(_sent(step, step.sent), here, NOT_A_COMMAND)
    else:
        router.message.register(_typed(step, step.typed), here, F.text, NOT_A_COMMAND)


def build_router() -> Router:
    """The wizard, for admins only: each step's handlers are filtered by its state."""
    router = Router(name="wizard")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(cancel, Command("cancel"))
    router.message.register(start, Command("new"))
    router.callback_query.register(start_from_menu, Menu.filter(F.section == Section.NEW))
    for step in STEPS:
        _register(router, step)
    router.callback_query.register(cancel_by_button, Nav.filter())  # after every step's Back
    return router
