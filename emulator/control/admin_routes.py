"""Control API: fault injection, runtime configuration and reset."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator.control.common import bool_arg, control_route
from emulator.state import EmulatorState


@control_route
async def get_faults(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/faults."""
    return {"faults": state.faults.settings.to_json(), "active": state.faults.active}


@control_route
async def post_faults(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/faults {error_rate, error_codes, latency_ms, …}: merged into settings."""
    settings = state.faults.configure(body)
    return {"faults": settings.to_json(), "active": state.faults.active}


@control_route
async def delete_faults(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """DELETE /_emulator/faults: stop injecting."""
    state.faults.clear()
    return {"faults": state.faults.settings.to_json(), "active": False}


@control_route
async def get_config(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/config: the runtime-tunable settings."""
    return state.config.tunables()


@control_route
async def patch_config(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """PATCH|POST /_emulator/config {global_rate?, …, rejected_tokens?}."""
    state.config.update(body)
    return state.config.tunables()


@control_route
async def post_reset(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/reset {keep_users?=true}: forget messages, stats, bots, faults."""
    keep_users = bool_arg(body, "keep_users", True)
    await state.reset(keep_users=keep_users)
    return {"ok": True, "users": len(state.world.users)}


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the admin routes."""
    app.router.add_get(f"{prefix}/faults", get_faults)
    app.router.add_post(f"{prefix}/faults", post_faults)
    app.router.add_delete(f"{prefix}/faults", delete_faults)
    app.router.add_get(f"{prefix}/config", get_config)
    app.router.add_patch(f"{prefix}/config", patch_config)
    app.router.add_post(f"{prefix}/config", patch_config)
    app.router.add_post(f"{prefix}/reset", post_reset)
