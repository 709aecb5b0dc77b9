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


def classify(error: BaseException) -> Outcome:
    """Map an aiogram exception to an Outcome with a stable error code."""
    text = str(getattr(error, "message", "") or error)
    lowered = text.lower()
    detail = text[:255]
    if isinstance(error, TelegramRetryAfter):
        return Outcome(Kind.RATE_LIMITED, code="RATE_LIMITED", retry_after=float(error.retry_after))
    if isinstance(error, TelegramMigrateToChat):
        return Outcome(Kind.MIGRATED, code="CHAT_MIGRATED", migrate_to=error.migrate_to_chat_id)
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
