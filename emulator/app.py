"""Assembly of the aiohttp application: Bot API routes, control API, lifecycle hooks."""

from __future__ import annotations

from aiohttp import web

from emulator.config import EmulatorConfig
from emulator.control import add_control_routes
from emulator.dispatch import handle_bot_request
from emulator.state import STATE_KEY, EmulatorState

# Telegram accepts uploads up to 50 MB through the Bot API.
MAX_REQUEST_SIZE = 50 * 1024 * 1024


def create_app(
    config: EmulatorConfig | None = None, state: EmulatorState | None = None
) -> web.Application:
    """Build the emulator application around a (new or given) state."""
    app = web.Application(client_max_size=MAX_REQUEST_SIZE)
    app[STATE_KEY] = state or EmulatorState(config)
    app.router.add_route("*", "/bot{token}/{method}", handle_bot_request)
    add_control_routes(app)
    app.on_startup.append(_on_startup)
    app.on_shutdown.append(_on_shutdown)
    app.on_cleanup.append(_on_cleanup)
    return app


async def _on_startup(app: web.Application) -> None:
    """Open the webhook client."""
    await app[STATE_KEY].start()


async def _on_shutdown(app: web.Application) -> None:
    """Release long polls and hung requests before connections are closed."""
    app[STATE_KEY].begin_shutdown()


async def _on_cleanup(app: web.Application) -> None:
    """Cancel background tasks and close the webhook client."""
    await app[STATE_KEY].close()
