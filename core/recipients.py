"""Who an account names: a Telegram user id, an @username of a known subscriber, or a phone
number a subscriber shared with the bot; and storing that shared phone number."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from core.uow import UnitOfWork
from storage.repositories.recipients import Found, SubscriberAccounts

USERNAME = re.compile(r"@([A-Za-z0-9_]{4,32})")
PHONE_SEPARATORS = re.compile(r"[\s().-]")
PHONE = re.compile(r"\+[0-9]{6,15}")
TELEGRAM_ID = re.compile(r"[0-9]{1,19}")
TELEGRAM_ID_MAX = 2**63 - 1


def normalise_phone(raw: str) -> str | None:
    """`+966 53-907 8942` or Telegram's `966539078942` -> `+966539078942`; None if not a phone."""
    phone = PHONE_SEPARATORS.sub("", raw.strip())
    if not phone.startswith("+"):
        phone = "+" + phone
    return phone if PHONE.fullmatch(phone) else None


@dataclass(frozen=True)
class Resolution:
    """What one account resolved to: a subscriber, or the reason it did not."""

    account: str
    found: Found | None = None
    error: str | None = None


def _kind(account: str) -> tuple[str, str | int | None]:
    text = account.strip()
    if text.startswith("@"):
        match = USERNAME.fullmatch(text)
        return "username", match.group(1).lower() if match else None
    if text.startswith("+"):
        return "phone", normalise_phone(text)
    if TELEGRAM_ID.fullmatch(text) and 0 < int(text) <= TELEGRAM_ID_MAX:
        return "telegram_id", int(text)
    return "invalid", None


def _unresolved(account: str, kind: str) -> str:
    shown = account.strip()[:64]
    if kind == "username":
        return f"no subscriber has the username {shown}"
    if kind == "phone":
        return f"no subscriber has shared the phone number {shown} with the bot"
    if kind == "telegram_id":
        return f"Telegram user {shown} is not a subscriber: they must /start the bot first"
    if not shown:
        return "AccountID is empty"
    return f"AccountID '{shown}' is not a Telegram user id, an @username or a +phone number"


async def resolve_accounts(
    uow: UnitOfWork, tenant_id: int, accounts: Sequence[str]
) -> list[Resolution]:
    """Each account resolved against the tenant's subscribers, in order; inactive ones and
    repeats of an earlier account's subscriber are not sendable and say why."""
    kinds = [_kind(account) for account in accounts]
    lookup = SubscriberAccounts(uow.session)
    by_id = await lookup.by_telegram_ids(
        tenant_id, [v for k, v in kinds if k == "telegram_id" and isinstance(v, int)]
    )
    by_name = await lookup.by_usernames(
        tenant_id, [v for k, v in kinds if k == "username" and isinstance(v, str)]
    )
    by_phone = await lookup.by_phones(
        tenant_id, [v for k, v in kinds if k == "phone" and isinstance(v, str)]
    )
    found_by: dict[tuple[str, object], Found] = {}
    for kind, table in (("telegram_id", by_id), ("username", by_name), ("phone", by_phone)):
        found_by.update({(kind, key): found for key, found in table.items()})
    seen: dict[int, str] = {}
    resolutions = []
    for account, (kind, value) in zip(accounts, kinds, strict=True):
        found = found_by.get((kind, value))
        if found is None:
            resolutions.append(Resolution(account, error=_unresolved(account, kind)))
        elif found.status != "active":
            error = f"the subscriber {account.strip()[:64]} is {found.status}: not sent"
            resolutions.append(Resolution(account, error=error))
        elif found.id in seen:
            error = f"same Telegram user as the earlier client {seen[found.id][:64]}: sent once"
            resolutions.append(Resolution(account, error=error))
        else:
            seen[found.id] = account.strip()
            resolutions.append(Resolution(account, found=found))
    return resolutions


async def store_shared_phone(
    uow: UnitOfWork, tenant_id: int, telegram_id: int, phone_number: str
) -> str | None:
    """Keep the phone number a subscriber shared (normalised); None if it is not usable or
    the user is not a subscriber."""
    phone = normalise_phone(phone_number)
    if phone is None:
        return None
    stored = await SubscriberAccounts(uow.session).set_phone(
        tenant_id, telegram_id, phone, uow.clock()
    )
    return phone if stored else None
