"""An aiogram session that runs each Bot API call on an EmulatorState in-process, without HTTP.

Calls take the same route as over HTTP from the method registry on (parameters, stats, error
answers, aiogram's check_response), so replies land in the same records tests read; only the
socket, the body encoding and fault injection are skipped. A `CallSignal` shared by such
sessions lets a test await "a call landed" instead of polling.
"""

from __future__ import annotations

import asyncio
import hashlib
import mimetypes
from collections.abc import AsyncGenerator, Callable
from typing import TYPE_CHECKING, Any, cast

import orjson
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.enums import ParseMode
from aiogram.types import InputFile

from emulator.dispatch import run_method_quietly
from emulator.errors import ApiError
from emulator.params import Params, UploadedFile
from emulator.state import EmulatorState
from emulator.testing import make_token

if TYPE_CHECKING:
    from aiogram.methods import TelegramMethod
    from aiogram.methods.base import TelegramType


class CallSignal:
    """Wakes waiters each time a Bot API call has been answered."""

    def __init__(self) -> None:
        self._landed = asyncio.Event()

    def notify(self) -> None:
        """A call was answered: every current waiter re-checks its condition."""
        landed, self._landed = self._landed, asyncio.Event()
        landed.set()

    async def wait_for(self, predicate: Callable[[], object], within: float) -> None:
        """Return once `predicate` holds, re-checked per call; TimeoutError after `within` s."""
        async with asyncio.timeout(within):
            while not predicate():
                await self._landed.wait()


class InProcessSession(BaseSession):
    """Executes Bot API methods directly against an emulator state."""

    def __init__(self, state: EmulatorState, signal: CallSignal | None = None) -> None:
        super().__init__(json_loads=orjson.loads, json_dumps=lambda v: orjson.dumps(v).decode())
        self.state = state
        self.signal = signal or CallSignal()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        """Run the method on the emulator and decode its answer as an HTTP answer would be."""
        files: dict[str, InputFile] = {}
        values = self._values(bot, method, files)
        uploads = {key: await _upload(bot, key, file) for key, file in files.items()}
        try:
            status, answer = await self._run(bot, method.__api_method__, Params(values, uploads))
        finally:
            self.signal.notify()
        content = orjson.dumps(answer).decode()
        response = self.check_response(bot=bot, method=method, status_code=status, content=content)
        return cast("TelegramType", response.result)

    def _values(
        self, bot: Bot, method: TelegramMethod[Any], files: dict[str, InputFile]
    ) -> dict[str, Any]:
        """The parameters as a JSON body carries them (None and "" left out, like JsonSession)."""
        values: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is None or prepared == "":
                continue
            values[key] = prepared
        # Through JSON and back: the handlers see exactly the types an HTTP body would give them.
        return cast("dict[str, Any]", orjson.loads(orjson.dumps(values)))

    async def _run(self, bot: Bot, name: str, params: Params) -> tuple[int, Any]:
        """Status and Telegram-shaped answer of one call."""
        try:
            bot_state = self.state.bot(bot.token)
        except ApiError as error:
            return error.code, error.payload()
        status, result = await run_method_quietly(self.state, bot_state, name, params)
        return status, ({"ok": True, "result": result} if status == 200 else result)

    async def close(self) -> None:
        """Nothing to release: no connection was opened."""

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,  # noqa: ASYNC109 (aiogram's signature)
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """File downloads are served over HTTP only."""
        raise NotImplementedError("downloading files needs the emulator over HTTP")
        yield b""  # pragma: no cover (makes this an async generator, as aiogram expects)


async def _upload(bot: Bot, field: str, file: InputFile) -> UploadedFile:
    """What the multipart reader would record of an uploaded file."""
    digest = hashlib.sha1(usedforsecurity=False)
    size = 0
    async for chunk in file.read(bot):
        digest.update(chunk)
        size += len(chunk)
    filename = file.filename or field
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return UploadedFile(field, filename, size, content_type, digest.hexdigest())


def in_process_bot(
    state: EmulatorState, token: str | None = None, signal: CallSignal | None = None
) -> Bot:
    """A Bot like the service's (HTML by default) whose calls run on `state` in-process."""
    session = InProcessSession(state, signal)
    default = DefaultBotProperties(parse_mode=ParseMode.HTML)
    return Bot(token or make_token(), session=session, default=default)
