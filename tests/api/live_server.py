"""The REST API on a real 127.0.0.1 port, served from a thread with its own event loop.

Schemathesis calls the API with `requests` (blocking), so the server cannot share the
test's loop: it runs in a background thread on a fresh, migrated SQLite database.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from aiohttp import web

from api.app import create_api_app
from core.auth import default_tenant, mint_key
from core.context import CoreContext
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head

START_TIMEOUT = 30.0


class _Collect(logging.Handler):
    """Keeps the server's error log records (unhandled exceptions carry their traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class LiveServer:
    """Start with `with LiveServer() as server:`; `server.url`, `server.key` are then set."""

    url: str = ""
    key: str = ""
    errors: _Collect = field(default_factory=_Collect)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _stop: asyncio.Event | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _failure: BaseException | None = None
    _tmp: str = ""

    @property
    def spec_url(self) -> str:
        """Where the server publishes its OpenAPI document."""
        return f"{self.url}/api/v1/openapi.json"

    def error_log(self) -> list[str]:
        """The error log lines so far, each with its traceback when there is one."""
        formatter = logging.Formatter("%(name)s: %(message)s")
        return [formatter.format(record) for record in self.errors.records]

    def __enter__(self) -> LiveServer:
        self._tmp = tempfile.mkdtemp(prefix="tgc_live_")
        logging.getLogger("api").addHandler(self.errors)
        self._thread = threading.Thread(target=self._run, name="live-api", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise RuntimeError("the live API server did not start in time")
        if self._failure is not None:
            raise RuntimeError("the live API server failed to start") from self._failure
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(START_TIMEOUT)
        logging.getLogger("api").removeHandler(self.errors)
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        engine = create_engine(f"sqlite+aiosqlite:///{Path(self._tmp) / 'fuzz.db'}")
        await upgrade_to_head(engine)
        core = CoreContext(session_factory=create_session_factory(engine), admin_ids=(111,))
        async with core.uow() as uow:
            tenant = await default_tenant(uow)
            self.key = (await mint_key(uow, tenant.id, "fuzz")).key
        runner = web.AppRunner(create_api_app(core), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()
            await engine.dispose()
