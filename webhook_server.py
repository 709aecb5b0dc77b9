"""Composition root: builds Settings, the database, the core, the REST app, and runs them.

Usage:
    python -m webhook_server                       serve (applies migrations first)
    python -m webhook_server migrate               apply migrations and exit
    python -m webhook_server create-api-key --name NAME   print a new API key once
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence

from aiohttp import web
from pydantic import ValidationError

from api.app import create_api_app
from core.auth import default_tenant, mint_key, register_configured_key, rotate_startup_key
from core.config import Settings
from core.context import CoreContext
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head

log = logging.getLogger("tg_campaigns")


def load_settings() -> Settings:
    """Settings from the environment, or exit 2 with one line per bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
            message = error["msg"].removeprefix("Value error, ")
            print(f"configuration error: {name}: {message}", file=sys.stderr)
        raise SystemExit(2) from None


def build_core(settings: Settings) -> tuple[CoreContext, object]:
    """The core context and the engine behind it."""
    engine = create_engine(settings.database_url)
    core = CoreContext(
        session_factory=create_session_factory(engine),
        admin_ids=tuple(settings.admin_ids),
        send_rate=settings.send_rate,
    )
    return core, engine


async def bootstrap_keys(core: CoreContext, settings: Settings) -> str | None:
    """Register API_TOKEN, or mint a start-up key when none is configured; returns a new key."""
    async with core.uow() as uow:
        tenant = await default_tenant(uow)
        if settings.api_token is not None:
            await register_configured_key(uow, tenant.id, settings.api_token.get_secret_value())
            return None
        minted = await rotate_startup_key(uow, tenant.id)
    return minted.key


async def serve(settings: Settings) -> None:
    """Run the service until SIGINT/SIGTERM."""
    core, engine = build_core(settings)
    await upgrade_to_head(engine)  # type: ignore[arg-type]
    startup_key = await bootstrap_keys(core, settings)
    app = create_api_app(core)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    base = f"http://{settings.http_host}:{settings.http_port}"
    print(f"tg-campaigns API listening on {base}", flush=True)
    if startup_key:
        print(
            "No API_TOKEN configured: this start-up key works until the next restart\n"
            f"  export API_KEY={startup_key}\n"
            f'  curl -H "Authorization: Bearer $API_KEY" {base}/api/v1/campaigns',
            flush=True,
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await engine.dispose()  # type: ignore[attr-defined]


async def migrate(settings: Settings) -> None:
    """Apply migrations and exit."""
    _, engine = build_core(settings)
    await upgrade_to_head(engine)  # type: ignore[arg-type]
    await engine.dispose()  # type: ignore[attr-defined]
    print("database is at the newest revision")


async def create_api_key(settings: Settings, name: str) -> None:
    """Mint a named key for the default tenant and print it once."""
    core, engine = build_core(settings)
    await upgrade_to_head(engine)  # type: ignore[arg-type]
    async with core.uow() as uow:
        tenant = await default_tenant(uow)
        minted = await mint_key(uow, tenant.id, name)
    await engine.dispose()  # type: ignore[attr-defined]
    print(f"API key '{minted.name}' ({minted.id}); it is shown only this once:")
    print(minted.key)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m webhook_server", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the service (default)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    key = commands.add_parser("create-api-key", help="print a new API key once")
    key.add_argument("--name", required=True, help="a label for the key")
    args = parser.parse_args(argv)
    settings = load_settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.command == "migrate":
        asyncio.run(migrate(settings))
    elif args.command == "create-api-key":
        asyncio.run(create_api_key(settings, args.name))
    else:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
