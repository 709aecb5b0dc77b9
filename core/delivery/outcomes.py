"""What a Bot API answer means for one ledger row."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)


class Kind(StrEnum):
    """How the engine reacts."""

    SENT = "sent"
    FAILED = "failed"  # permanent for this recipient
    RETRY = "retry"  # transient: back to pending after a backoff
    RATE_LIMITED = "rate_limited"  # 429: back to pending, no attempt spent, token paused
    MIGRATED = "migrated"  # group became a supergroup: resend to the new chat id
    UNKNOWN = "unknown"  # the request may have been delivered: never resent automatically
    FATAL = "fatal"  # the bot itself is unusable (bad token): the execution fails


@dataclass(frozen=True)
class Outcome:
    """The verdict on one send attempt."""

    kind: Kind
    message_id: int | None = None
    ref: str | None = None  # what the policy made for the recipient (SentMessage.ref)
    code: str | None = None
    detail: str | None = None
    retry_after: float = 0.0
    migrate_to: int | None = None


class Unsendable(ValueError):
    """Raised by a policy that found, before calling Telegram, that this recipient's message
    cannot be made (e.g. a personalised value of the wrong type): nothing was sent, so the
    delivery fails as MESSAGE_INVALID instead of becoming `unknown`."""


# The chat a campaign's settings name (its invite links' group) cannot be used: the run fails
# once with the reason instead of every recipient failing as if it were theirs.
TARGET_CHAT_UNAVAILABLE = "TARGET_CHAT_UNAVAILABLE"


class TargetChatUnavailable(Exception):
    """Raised by a policy whose campaign-wide chat (not the recipient's) refused the call."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotSent(Exception):
    """Raised by a policy when a preparatory call (e.g. createChatInviteLink) failed on the
    network before the message was sent: resending is safe."""


def _recipients_migration(error: TelegramMigrateToChat, chat_id: int | None) -> bool:
    """Whether the migrated chat is the recipient's own: only groups migrate, so a call to a
    private chat (copyMessage from a migrated group) or about another chat is not."""
    if chat_id is None:
        return True
    return chat_id < 0 and getattr(error.method, "chat_id", None) == chat_id


INVALID_MESSAGE_HINTS = (
    "message is too long",
    "caption is too long",
    "can't parse entities",
    "text is empty",
    "button_data_invalid",
    "wrong file identifier",
    "failed to get http url content",
    "wrong type of the web page content",
    "unsupported parse_mode",
    "message text is empty",
)


def classify(error: BaseException, *, chat_id: int | None = None) -> Outcome:
    """Map an aiogram exception to an Outcome with a stable error code; `chat_id` is the
    recipient's chat (a migration of any other chat is the campaign's problem)."""
    text = str(getattr(error, "message", "") or error)
    lowered = text.lower()
    detail = text[:255]
    if isinstance(error, Unsendable):
        return Outcome(Kind.FAILED, code="MESSAGE_INVALID", detail=detail)
    if isinstance(error, TelegramRetryAfter):
        return Outcome(Kind.RATE_LIMITED, code="RATE_LIMITED", retry_after=float(error.retry_after))
    if isinstance(error, TargetChatUnavailable):
        return Outcome(Kind.FATAL, code=TARGET_CHAT_UNAVAILABLE, detail=error.reason[:255])
    if isinstance(error, NotSent):
        return Outcome(Kind.RETRY, code="NETWORK_ERROR", detail=detail)
    if isinstance(error, TelegramMigrateToChat):
        if _recipients_migration(error, chat_id):
            return Outcome(Kind.MIGRATED, code="CHAT_MIGRATED", migrate_to=error.migrate_to_chat_id)
        reason = (
            f"a chat the campaign uses was upgraded to the supergroup "
            f"{error.migrate_to_chat_id}: update the campaign to use it"
        )
        return Outcome(Kind.FATAL, code=TARGET_CHAT_UNAVAILABLE, detail=reason)
    if isinstance(error, TelegramUnauthorizedError):
        return Outcome(Kind.FATAL, code="BOT_UNAUTHORIZED", detail=detail)
    if isinstance(error, TelegramForbiddenError):
        if "deactivated" in lowered:
            return Outcome(Kind.FAILED, code="USER_DEACTIVATED", detail=detail)
        if "blocked" in lowered:
            return Outcome(Kind.FAILED, code="USER_BLOCKED", detail=detail)
        return Outcome(Kind.FAILED, code="FORBIDDEN", detail=detail)
    if isinstance(error, TelegramBadRequest | TelegramNotFound):
        if "chat not found" in lowered or "user not found" in lowered:
            return Outcome(Kind.FAILED, code="CHAT_NOT_FOUND", detail=detail)
        if any(hint in lowered for hint in INVALID_MESSAGE_HINTS):
            return Outcome(Kind.FAILED, code="MESSAGE_INVALID", detail=detail)
        return Outcome(Kind.FAILED, code="BAD_REQUEST", detail=detail)
    if isinstance(error, TelegramServerError):
        return Outcome(Kind.RETRY, code="SERVER_ERROR", detail=detail)
    if isinstance(error, TelegramNetworkError):
        # aiogram names the aiohttp error: a refused or failed connection never reached
        # Telegram, so resending is safe; a timeout or a dropped answer may have delivered.
        if "ClientConnectorError" in text or "ClientConnectionResetError" in text:
            return Outcome(Kind.RETRY, code="NETWORK_ERROR", detail=detail)
        return Outcome(Kind.UNKNOWN, code="NETWORK_TIMEOUT", detail=detail)
    if isinstance(error, TelegramAPIError):
        return Outcome(Kind.FAILED, code="TELEGRAM_ERROR", detail=detail)
    return Outcome(Kind.UNKNOWN, code="INTERNAL_ERROR", detail=f"{type(error).__name__}: {detail}")
