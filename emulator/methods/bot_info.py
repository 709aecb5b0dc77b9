"""getMe and the bot command list methods."""

from __future__ import annotations

import re
from typing import Any

import orjson

from emulator.behaviour import on_bot_connect
from emulator.errors import bad_request
from emulator.methods.context import Call

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_COMMANDS = 100


def get_me(call: Call) -> dict[str, Any]:
    """getMe (also the moment a new bot "connects" for greeting purposes)."""
    on_bot_connect(call.state, call.bot)
    return call.bot.me()


def _scope_key(call: Call) -> str:
    """Commands are stored per (scope, language_code) like Telegram."""
    scope = call.params.json("scope", "bot command scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise bad_request("can't parse BotCommandScope JSON object")
    language = call.params.text("language_code") or ""
    return orjson.dumps(scope, option=orjson.OPT_SORT_KEYS).decode() + "|" + language


def set_my_commands(call: Call) -> bool:
    """setMyCommands with Telegram's command and description rules."""
    commands = call.params.json("commands", "bot commands")
    if not isinstance(commands, list) or not all(isinstance(c, dict) for c in commands):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands specified")
    cleaned = []
    for command in commands:
        name = str(command.get("command", "")).lstrip("/").lower()
        description = str(command.get("description", ""))
        if not _COMMAND.match(name):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description must be 1-256 characters")
        cleaned.append({"command": name, "description": description})
    call.bot.commands[_scope_key(call)] = cleaned
    return True


def get_my_commands(call: Call) -> list[dict[str, str]]:
    """getMyCommands."""
    return call.bot.commands.get(_scope_key(call), [])


def delete_my_commands(call: Call) -> bool:
    """deleteMyCommands."""
    call.bot.commands.pop(_scope_key(call), None)
    return True
