"""The `/_emulator/...` control API for tests, benchmarks and people."""

from __future__ import annotations

from aiohttp import web

from emulator.control import (
    action_routes,
    admin_routes,
    inspect_routes,
    invite_routes,
    world_routes,
)

PREFIX = "/_emulator"


def add_control_routes(app: web.Application) -> None:
    """Register every control route under /_emulator."""
    for module in (world_routes, action_routes, invite_routes, inspect_routes, admin_routes):
        module.add_routes(app, PREFIX)
