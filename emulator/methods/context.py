"""The object every Bot API method handler receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from emulator.bots import BotState
from emulator.params import Params
from emulator.state import EmulatorState


@dataclass(slots=True)
class Call:
    """One Bot API call: who (bot), what (method, params), and where (state)."""

    state: EmulatorState
    bot: BotState
    method: str
    params: Params


Handler = Callable[[Call], Any | Awaitable[Any]]
