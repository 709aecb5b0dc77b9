"""Command line: `python -m emulator --port 8081 [--users 500] [--greet] ...`."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence

from aiohttp import web

from emulator.app import create_app
from emulator.config import EmulatorConfig


def build_parser() -> argparse.ArgumentParser:
    """The emulator's command line options."""
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="python -m emulator", description="Local Telegram Bot API emulator."
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default: %(default)s)")
    add("--port", type=int, default=8081, help="port to bind (default: %(default)s)")
    add("--users", type=int, default=defaults.users, help="virtual users (default: %(default)s)")
    add("--blocked", type=int, default=defaults.blocked, help="users who blocked every bot")
    add("--deactivated", type=int, default=defaults.deactivated, help="deactivated users")
    add("--greet", action="store_true", help="users send /start to every newly seen bot")
    add(
        "--click-rate",
        type=float,
        default=defaults.click_rate,
        help="probability a user presses a button of an inline keyboard",
    )
    add(
        "--join-rate",
        type=float,
        default=defaults.join_rate,
        help="probability a user follows an invite link they received",
    )
    add(
        "--answer-rate",
        type=float,
        default=defaults.answer_rate,
        help="probability a user answers a poll, force-reply question or contact request",
    )
    add(
        "--rate",
        type=int,
        default=defaults.global_rate,
        help="ordinary sends per second per bot (default: %(default)s)",
    )
    add(
        "--paid-rate",
        type=int,
        default=defaults.paid_rate,
        help="allow_paid_broadcast sends per second per bot (default: %(default)s)",
    )
    add(
        "--require-start",
        action="store_true",
        help="403 for users who never sent /start to the bot",
    )
    add("--seed", type=int, default=defaults.seed, help="seed for generated data and behaviour")
    add("--reject-token", action="append", default=[], help="token answered with 401")
    add("--access-log", action="store_true", help="log every request (slows the hot path)")
    add("--no-uvloop", action="store_true", help="use the default asyncio event loop")
    add("--log-level", default="WARNING", help="logging level (default: %(default)s)")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    """Translate parsed options into an EmulatorConfig."""
    return EmulatorConfig(
        users=args.users,
        blocked=args.blocked,
        deactivated=args.deactivated,
        greet=args.greet,
        click_rate=args.click_rate,
        join_rate=args.join_rate,
        answer_rate=args.answer_rate,
        global_rate=args.rate,
        paid_rate=args.paid_rate,
        require_start=args.require_start,
        seed=args.seed,
        rejected_tokens=set(args.reject_token),
    )


def _new_loop(use_uvloop: bool) -> asyncio.AbstractEventLoop:
    """uvloop when available: the emulator's hot path is mostly event-loop overhead."""
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the emulator until interrupted."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    app = create_app(config_from_args(args))
    print(f"Telegram Bot API emulator on http://{args.host}:{args.port}", flush=True)
    web.run_app(
        app,
        host=args.host,
        port=args.port,
        access_log=logging.getLogger("aiohttp.access") if args.access_log else None,
        print=None,
        shutdown_timeout=2.0,
        loop=_new_loop(not args.no_uvloop),
    )


if __name__ == "__main__":
    main()
