"""Typed application keys: how routes receive their dependencies."""

from __future__ import annotations

from aiohttp import web

from core.auth import Authenticator
from core.context import Actor, CoreContext
from core.uow import UnitOfWork

CORE = web.AppKey("core", CoreContext)
AUTH = web.AppKey("authenticator", Authenticator)
ACTOR = "actor"
UOW = "uow"


def actor_of(request: web.Request) -> Actor:
    """The authenticated caller (set by the auth middleware)."""
    actor: Actor = request[ACTOR]
    return actor


def uow_of(request: web.Request) -> UnitOfWork:
    """The request's unit of work (opened by the transaction middleware)."""
    uow: UnitOfWork = request[UOW]
    return uow
