"""The Bot API emulator in its own process, plus one read-only route for the scale harness.

`python -m tests.scale.emulator_child --port P --users N --rate 30 --paid-rate 1000`

`GET /_scale/record?token=T&marker=M&since=S` answers what the emulator recorded for that bot:
`{"chats": {chat_id: messages containing M}, "stats": <the token's /_emulator/stats entry>,
"window": {count, mean, peak_1s} of its accepted sends at or after S}`. S is a
`time.monotonic()` reading of the caller: the emulator's limiter clock is the same system-wide
CLOCK_MONOTONIC. A 20,000-recipient run is read in one request instead of one per chat.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
from typing import Any

from aiohttp import web

from emulator.app import create_app
from emulator.bots import parse_token
from emulator.config import EmulatorConfig
from emulator.records import OUTGOING
from emulator.state import STATE_KEY, EmulatorState
from emulator.stats import peak_in_window


def window(times: list[float], since: float) -> dict[str, Any]:
    """Count, mean rate and busiest 1-second window of the send times at or after `since`."""
    start = bisect.bisect_left(times, since)
    chosen = times[start:]
    span = chosen[-1] - chosen[0] if len(chosen) > 1 else 0.0
    return {
        "count": len(chosen),
        "mean": (len(chosen) - 1) / span if span > 0 else None,
        "peak_1s": peak_in_window(chosen, 1.0),
    }


def recorded(state: EmulatorState, token: str, marker: str, since: float) -> dict[str, Any]:
    """Per-chat count of the bot's outgoing messages whose text or caption holds `marker`."""
    bot_id = parse_token(token)
    chats: dict[str, int] = {}
    for chat_id, log in state.messages.logs.items():
        count = sum(
            1
            for r in log.records
            if r.direction == OUTGOING
            and r.bot_id == bot_id
            and marker in ((r.text or "") + (r.caption or ""))
        )
        if count:
            chats[str(chat_id)] = count
    report = state.stats_report(token)["bots"].get(token, {})
    report.pop("per_second", None)
    bot = state.bots.get(token)
    times = bot.stats.send_times if bot is not None else []
    return {"chats": chats, "stats": report, "window": window(times, since)}


async def get_record(request: web.Request) -> web.Response:
    """GET /_scale/record?token=&marker=."""
    state: EmulatorState = request.app[STATE_KEY]
    token = request.query.get("token", "")
    marker, since = request.query.get("marker", ""), float(request.query.get("since", "0"))
    return web.json_response(recorded(state, token, marker, since))


def new_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (the emulator's hot path is mostly event-loop overhead)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> None:
    """Serve until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, default=0)
    parser.add_argument("--rate", type=int, default=30)
    parser.add_argument("--paid-rate", type=int, default=1000)
    args = parser.parse_args()
    config = EmulatorConfig(
        users=args.users,
        groups=0,
        supergroups=0,
        migrated_groups=0,
        global_rate=args.rate,
        paid_rate=args.paid_rate,
        click_rate=0.0,
    )
    app = create_app(config)
    app.router.add_get("/_scale/record", get_record)
    web.run_app(
        app,
        host="127.0.0.1",
        port=args.port,
        access_log=None,
        print=None,
        shutdown_timeout=2.0,
        loop=new_loop(),
    )


if __name__ == "__main__":
    main()
