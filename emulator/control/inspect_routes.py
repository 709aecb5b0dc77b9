"""Control API: stats, known bots and callback queries."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator.control.common import bool_arg, control_route, int_arg
from emulator.state import EmulatorState


@control_route
async def get_stats(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/stats[?token=…][&times=1]: counters, throughput, send timestamps."""
    return state.stats_report(body.get("token"), include_times=bool_arg(body, "times"))


@control_route
async def get_bots(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/bots: every token seen so far."""
    return {"bots": [bot.describe() for bot in state.bots.values()]}


@control_route
async def get_callbacks(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/callback_queries[?bot_id=…]: presses and the bots' answers."""
    queries = state.callbacks.for_bot(int_arg(body, "bot_id"))
    return {"callback_queries": [query.to_json() for query in queries]}


@control_route
async def get_health(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/health."""
    return {"ok": True, "users": len(state.world.users), "bots": len(state.bots)}


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the inspection routes."""
    app.router.add_get(f"{prefix}/stats", get_stats)
    app.router.add_get(f"{prefix}/bots", get_bots)
    app.router.add_get(f"{prefix}/callback_queries", get_callbacks)
    app.router.add_get(f"{prefix}/health", get_health)
