"""Everyone: /start subscribes (deep-link source kept), /stop opts out, blocks are noticed;
a shared phone number (the request_contact button) is kept, so campaigns can name it."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import (
    KICKED,
    MEMBER,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
)
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    ChatMemberUpdated,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    User,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.views import MENU_TEXT, menu
from core.recipients import store_shared_phone
from core.subscribers import (
    SubscriberStatus,
    TelegramProfile,
    change_status_from_bot,
    register_from_bot,
)
from core.uow import UnitOfWork

HELP = (
    "You receive news and offers from us here.\n"
    "/stop — unsubscribe (you can come back any time)\n"
    "/start — subscribe again\n"
    "/help — this message"
)


SHARE_PHONE = "Share phone number"


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    """One button that asks Telegram to send the user's own phone number (request_contact)."""
    button = KeyboardButton(text=SHARE_PHONE, request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


class Resubscribe(CallbackData, prefix="resub"):
    """The "subscribe again" button under the /stop confirmation."""


def profile_of(user: User, chat_id: int) -> TelegramProfile:
    """The Telegram facts we keep about a user."""
    return TelegramProfile(
        telegram_id=user.id,
        chat_id=chat_id,
        first_name=user.first_name,
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
    )


async def start(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    tenant_id: int,
    admin_ids: frozenset[int] = frozenset(),
) -> None:
    """Subscribe (a deep-link payload is kept as the source); admins also get the menu."""
    if message.from_user is None:
        return
    source = (command.args or "").strip()[:128] or None
    profile = profile_of(message.from_user, message.chat.id)
    subscriber, created = await register_from_bot(uow, tenant_id, profile, source)
    await uow.commit()
    greeting = "Welcome" if created else "Welcome back"
    await message.answer(
        f"{greeting}, {escape(message.from_user.first_name)}! You are subscribed.\n"
        "Send /stop any time to unsubscribe, /help for help.",
        reply_markup=None if subscriber.phone else share_phone_keyboard(),
    )
    if message.from_user.id in admin_ids:
        # /start is a fresh start: an unfinished wizard or schedule prompt is left behind.
        await state.clear()
        await message.answer(MENU_TEXT, reply_markup=menu())


async def stop(message: Message, uow: UnitOfWork, tenant_id: int) -> None:
    """Unsubscribe at once, with a button to come back."""
    if message.from_user is None:
        return
    await change_status_from_bot(
        uow, tenant_id, message.from_user.id, SubscriberStatus.UNSUBSCRIBED
    )
    await uow.commit()
    keyboard = InlineKeyboardBuilder()
    keyboard.button(text="Subscribe again", callback_data=Resubscribe())
    await message.answer(
        "You are unsubscribed and will get no more campaign messages.",
        reply_markup=keyboard.as_markup(),
    )


async def resubscribe(query: CallbackQuery, uow: UnitOfWork, tenant_id: int) -> None:
    """The button under /stop."""
    chat_id = query.message.chat.id if query.message else query.from_user.id
    await register_from_bot(uow, tenant_id, profile_of(query.from_user, chat_id), None)
    await uow.commit()
    await query.answer("You are subscribed again.")
    if query.message is not None:
        await query.message.answer("Welcome back! You are subscribed.")


async def shared_contact(message: Message, uow: UnitOfWork, tenant_id: int) -> None:
    """The share-phone button was pressed: keep the number if it is the sender's own."""
    contact = message.contact
    if message.from_user is None or contact is None:
        return
    if contact.user_id != message.from_user.id:
        await message.answer("Please share your own number with the button.")
        return
    phone = await store_shared_phone(uow, tenant_id, message.from_user.id, contact.phone_number)
    await uow.commit()
    if phone is None:
        await message.answer("Send /start first, then share your number.")
        return
    await message.answer(f"Thanks, {phone} is saved.", reply_markup=ReplyKeyboardRemove())


async def help_command(message: Message) -> None:
    """What the bot does for subscribers."""
    await message.answer(HELP)


async def blocked(update: ChatMemberUpdated, uow: UnitOfWork, tenant_id: int) -> None:
    """The user blocked the bot."""
    await change_status_from_bot(uow, tenant_id, update.from_user.id, SubscriberStatus.BLOCKED)
    await uow.commit()


async def unblocked(update: ChatMemberUpdated, uow: UnitOfWork, tenant_id: int) -> None:
    """The user unblocked the bot: reachable again."""
    await change_status_from_bot(uow, tenant_id, update.from_user.id, SubscriberStatus.ACTIVE)
    await uow.commit()


def build_router() -> Router:
    """A fresh router with every subscriber handler (one per Dispatcher)."""
    router = Router(name="subscribers")
    router.message.filter(F.chat.type == "private")
    router.message.register(start, CommandStart())
    router.message.register(stop, Command("stop"))
    router.message.register(help_command, Command("help"))
    router.message.register(shared_contact, F.contact)
    router.callback_query.register(resubscribe, Resubscribe.filter())
    router.my_chat_member.register(
        blocked, ChatMemberUpdatedFilter(member_status_changed=MEMBER >> KICKED)
    )
    router.my_chat_member.register(
        unblocked, ChatMemberUpdatedFilter(member_status_changed=KICKED >> MEMBER)
    )
    return router
