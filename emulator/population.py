"""Deterministic generation of virtual users and group chats."""

from __future__ import annotations

import random

from emulator.rights import DEFAULT_BOT_RIGHTS
from emulator.world import VirtualChat, VirtualUser, World

_FIRST_NAMES = (
    ("Alice", "en"),
    ("Bob", "en"),
    ("Chloé", "fr"),
    ("Dmitry", "ru"),
    ("Elena", "ru"),
    ("Farid", "ar"),
    ("Günter", "de"),
    ("Hana", "ja"),
    ("Ivan", "uk"),
    ("Jiho", "ko"),
    ("Kofi", None),
    ("Lucía", "es"),
    ("Marco", "it"),
    ("Nadia", "pt-br"),
    ("Олег", "ru"),
    ("Priya", "hi"),
    ("Quentin", "fr"),
    ("Rosa", "es"),
    ("Søren", "da"),
    ("Tomás", "pt-br"),
    ("Ümit", "tr"),
    ("Віра", "uk"),
    ("Wei", "zh-hans"),
    ("Xenia", "de"),
    ("Yusuf", "tr"),
    ("Zoë 🌸", "nl"),
)
_LAST_NAMES = (
    "Smith",
    "Ivanova",
    "Müller",
    "García",
    "Rossi",
    "Kowalski",
    "Nguyen",
    "O'Brien",
    "Петренко",
    "Tanaka",
    "Silva",
    "Dubois",
    "Andersen",
    "Yılmaz",
    "Kim",
    "Haddad",
)


def make_user(user_id: int, index: int, rng: random.Random) -> VirtualUser:
    """Build one user whose profile varies with `index` (and `rng` for optional fields)."""
    first_name, language = _FIRST_NAMES[index % len(_FIRST_NAMES)]
    last_name = None if index % 5 == 4 else _LAST_NAMES[(index * 7) % len(_LAST_NAMES)]
    ascii_stem = "".join(ch for ch in first_name.lower() if ch.isascii() and ch.isalnum())
    username = None if index % 6 == 5 else f"{ascii_stem or 'user'}_{user_id}"
    return VirtualUser(
        id=user_id,
        first_name=first_name,
        last_name=last_name,
        username=username,
        language_code=language,
        is_premium=rng.random() < 0.1,
    )


def populate_users(
    world: World,
    count: int,
    *,
    blocked: int = 0,
    deactivated: int = 0,
    id_start: int | None = None,
    rng: random.Random,
) -> list[VirtualUser]:
    """Add `count` users; `blocked` and `deactivated` ones are picked at seeded random spots."""
    if count < 0 or blocked < 0 or deactivated < 0:
        raise ValueError("counts must not be negative")
    if blocked + deactivated > count:
        raise ValueError("blocked + deactivated must not exceed count")
    start = id_start if id_start is not None else max(world.users, default=100_000_000) + 1
    clashes = [uid for uid in range(start, start + count) if uid in world.users]
    if clashes:
        raise ValueError(f"user {clashes[0]} already exists")
    special = rng.sample(range(count), blocked + deactivated)
    blocked_slots = set(special[:blocked])
    deactivated_slots = set(special[blocked:])
    created = []
    for index in range(count):
        user = make_user(start + index, len(world.users), rng)
        user.blocked = index in blocked_slots
        user.deactivated = index in deactivated_slots
        created.append(world.add_user(user))
    return created


def populate_chats(
    world: World,
    *,
    groups: int,
    supergroups: int,
    migrated: int,
    members: int,
    channels: int = 0,
) -> list[VirtualChat]:
    """Add basic groups, supergroups, migrated groups and channels.

    Every bot administers the public supergroups and channels (with can_invite_users), so
    campaigns can create invite links out of the box; in basic groups bots are members.
    """
    member_ids = set(list(world.users)[:members])
    created: list[VirtualChat] = []
    for index in range(groups + migrated):
        chat = world.add_chat(
            VirtualChat(
                id=world.next_group_id(),
                type="group",
                title=f"Group {index + 1}",
                members=set(member_ids),
            )
        )
        created.append(chat)
        if index >= groups:
            created.append(world.migrate(chat.id, world.next_supergroup_id()))
    for index in range(supergroups):
        created.append(
            world.add_chat(
                VirtualChat(
                    id=world.next_supergroup_id(),
                    type="supergroup",
                    title=f"Supergroup {index + 1}",
                    username=f"emu_supergroup_{index + 1}",
                    members=set(member_ids),
                    any_bot_rights=dict(DEFAULT_BOT_RIGHTS),
                )
            )
        )
    for index in range(channels):
        created.append(
            world.add_chat(
                VirtualChat(
                    id=world.next_supergroup_id(),
                    type="channel",
                    title=f"Channel {index + 1}",
                    username=f"emu_channel_{index + 1}",
                    members=set(member_ids),
                    any_bot_rights=dict(DEFAULT_BOT_RIGHTS),
                )
            )
        )
    return created
