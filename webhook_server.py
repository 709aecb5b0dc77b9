"""Composition root and command line of tg-campaigns.

Usage:
    python -m webhook_server [--role ROLE]         serve (applies migrations first)
    python -m webhook_server migrate               apply migrations and exit
    python -m webhook_server create-api-key --name NAME   print a new API key once
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.auth import default_tenant, mint_key
from core.bootstrap import build_core
from core.config import Role, Settings
from core.event_loop import run
from core.logging import configure_logging, redact_also
from storage.migrate import upgrade_to_head

if TYPE_CHECKING:
    from demo import Demo
    from runtime import Service


def load_settings(role: str | None = None) -> Settings:
    """Settings from the environment (`role` overrides ROLE), or exit 2 with one line per bad
    variable."""
    try:
        overrides: dict[str, Any] = {"role": role} if role else {}
        return Settings(**overrides)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            name = str(error["loc"][0]).upper() if error["loc"] else "SETTINGS"
            message = error["msg"].removeprefix("Value error, ")
            print(f"configuration error: {name}: {message}", file=sys.stderr)
        raise SystemExit(2) from None


def banner(service: Service) -> str:
    """What a person sees after start-up: where things are and what to try."""
    from roles import describe

    base, parts = service.api_base, service.parts
    lines = [f"tg-campaigns role {service.settings.role.value}: {describe(parts)}"]
    if not parts.api:
        lines.append(f"Health check (no REST API in this role): {base}/healthz")
        lines.append(f"Telegram Bot API: {service.telegram_url}")
        return "\n".join(lines)
    lines.append(f"API listening on {base}")
    if service.startup_key:
        lines += [
            "No API_TOKEN configured: this start-up key works until the next restart",
            f"  export API_KEY={service.startup_key}",
        ]
    else:
        lines.append("API keys: the API_TOKEN you configured, or keys from create-api-key")
    if service.demo is None:
        lines.append(f"Telegram Bot API: {service.telegram_url}")
        return "\n".join(lines)
    from demo import banner_lines

    lines += banner_lines(service.demo, base)
    return "\n".join(lines)


async def serve(settings: Settings) -> None:
    """Run everything until SIGINT/SIGTERM."""
    # Telegram, charts and the rest load only here: `migrate` and bad settings stay fast.
    from runtime import Service

    service = Service(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    announce: asyncio.Task[None] | None = None
    try:
        await service.start()
        if service.startup_key:
            redact_also(service.startup_key)
        print(banner(service), flush=True)
        if service.demo is not None and service.demo.expected:
            announce = asyncio.create_task(_announce_registrations(service.demo))
        await stop.wait()
    finally:
        if announce is not None:
            announce.cancel()
        await service.stop()


async def _announce_registrations(demo: Demo) -> None:
    print(await demo.registered_line(), flush=True)


async def migrate(settings: Settings) -> None:
    """Apply migrations and exit."""
    _, engine = build_core(settings)
    await upgrade_to_head(engine)
    await engine.dispose()
    print("database is at the newest revision")


async def create_api_key(settings: Settings, name: str) -> None:
    """Mint a named key for the default tenant and print it once."""
    core, engine = build_core(settings)
    await upgrade_to_head(engine)
    async with core.uow() as uow:
        tenant = await default_tenant(uow)
        minted = await mint_key(uow, tenant.id, name)
    await engine.dispose()
    print(f"API key '{minted.name}' ({minted.id}); it is shown only this once:")
    print(minted.key)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m webhook_server", description="tg-campaigns")
    role_help = (
        "the parts this process runs (default: ROLE, else all): api = REST API (and the "
        "webhook), sender = delivery engine, scheduler = leader candidate (and the poller)"
    )
    roles = [role.value for role in Role]
    parser.add_argument("--role", type=str.lower, choices=roles, help=role_help)
    commands = parser.add_subparsers(dest="command")
    serve_command = commands.add_parser("serve", help="run the service (default)")
    # Also after `serve`; SUPPRESS keeps a --role given before it.
    serve_command.add_argument(
        "--role", type=str.lower, choices=roles, default=argparse.SUPPRESS, help=role_help
    )
    commands.add_parser("migrate", help="apply database migrations and exit")
    key = commands.add_parser("create-api-key", help="print a new API key once")
    key.add_argument("--name", required=True, help="a label for the key")
    args = parser.parse_args(argv)
    settings = load_settings(args.role)
    configure_logging(settings.log_level, settings.secrets())
    if args.command == "migrate":
        run(migrate(settings))
    elif args.command == "create-api-key":
        run(create_api_key(settings, args.name))
    else:
        with contextlib.suppress(KeyboardInterrupt):
            run(serve(settings))


if __name__ == "__main__":
    main()
