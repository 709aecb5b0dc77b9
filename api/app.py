"""The aiohttp application of the REST API."""

from __future__ import annotations

from aiohttp import web

from api.dialects import DIALECTS, ENVELOPE, Dialect
from api.keys import AUTH, CORE
from api.middleware import authenticate, errors, transaction
from api.openapi import OPENAPI, build_openapi
from api.registry import ApiRouter
from api.routes import (
    campaign_actions,
    campaigns,
    deliveries,
    draws,
    events,
    responses,
    scheduled_campaigns,
    segments,
    subscribers,
    system,
    templates,
    webhooks,
)
from api.tenant import routes as tenant_routes
from api.tenant.dialect import TENANT
from api.v2 import routes as v2_routes
from api.v2.dialect import V2
from api.v2.keys import TELEGRAM_CHECK
from core.auth import Authenticator
from core.context import CoreContext
from core.telegram_check import TelegramCheck

ROUTERS: tuple[ApiRouter, ...] = (
    system.router,
    campaigns.router,
    campaign_actions.router,
    deliveries.router,
    draws.router,
    responses.router,
    subscribers.router,
    segments.router,
    scheduled_campaigns.router,
    templates.router,
    events.router,
    webhooks.router,
    tenant_routes.router,
    v2_routes.router,
)
# Every face's paths, error dialect and auth (the envelope of campaigns-api.md under /api/).
FACES: tuple[Dialect, ...] = (ENVELOPE, TENANT, V2)
# The largest body any route accepts (bulk import); every other route enforces 1 MiB itself.
CLIENT_MAX_SIZE = 16 * 1024 * 1024
VERSION = "0.1.0"


def create_api_app(
    core: CoreContext,
    routers: tuple[ApiRouter, ...] = ROUTERS,
    *,
    telegram_check: TelegramCheck | None = None,
) -> web.Application:
    """The REST application wired to `core`; `telegram_check` (the process's bot) lets the v2
    face answer 502 when Telegram refuses the bot, before it accepts any work."""
    app = web.Application(
        middlewares=[errors, authenticate, transaction], client_max_size=CLIENT_MAX_SIZE
    )
    app[DIALECTS] = FACES
    app[CORE] = core
    if telegram_check is not None:
        app[TELEGRAM_CHECK] = telegram_check
    app[AUTH] = Authenticator(core)
    for router in routers:
        router.register(app)
    app[OPENAPI] = build_openapi([spec for r in routers for spec in r.specs], VERSION)
    system.mount_docs(app)
    return app
