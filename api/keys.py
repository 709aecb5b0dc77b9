"""Typed application keys: how routes receive their dependencies."""

from __future__ import annotations

from aiohttp import web

from core.auth import Authenticator
from core.context import Actor, CoreContext
from core.uow import UnitOfWork

CORE = web.AppKey("core", CoreContext)
AUTH = web.AppKey("authenticator", Authenticator)
ACTOR = web.RequestKey("actor", Actor)
UOW = web.RequestKey("uow", UnitOfWork)


def actor_of(request: web.Request) -> Actor:
    """The authenticated caller (set by the auth middleware)."""
    return request[ACTOR]


def uow_of(request: web.Request) -> UnitOfWork:
    """The request's unit of work (opened by the transaction middleware)."""
    return request[UOW]
