"""Error rendering, authentication and the per-request unit of work."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from api.dialects import DIALECTS, ENVELOPE, dialect_for
from api.keys import ACTOR, AUTH, CORE, UOW
from api.parsing import PayloadTooLarge, UnsupportedMediaType
from core.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    IllegalTransition,
    NotFoundError,
    ValidationFailed,
)

log = logging.getLogger(__name__)
PUBLIC_PATHS = frozenset({"/healthz", "/api/v1/openapi.json"})
SAFE_METHODS = frozenset({"GET", "HEAD"})
HTTP_CODES = {
    404: ("NOT_FOUND", "No such endpoint."),
    405: ("METHOD_NOT_ALLOWED", "This endpoint does not accept that method."),
    413: ("PAYLOAD_TOO_LARGE", "The request body is too large."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "The body must be JSON."),
}


def _status_of(error: DomainError) -> int:
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, ForbiddenError):
        return 403
    if isinstance(error, IllegalTransition | ConflictError):
        return 409
    if isinstance(error, ValidationFailed):
        return 400
    return 400


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render every failure in its face's dialect; never leak a traceback or a 500 for bad input."""
    fail = (dialect_for(request.app[DIALECTS], request.path) or ENVELOPE).render_error
    try:
        return await handler(request)
    except DomainError as exc:
        return fail(_status_of(exc), exc.code, exc.message, exc.details)
    except PayloadTooLarge as exc:
        return fail(413, "PAYLOAD_TOO_LARGE", str(exc))
    except UnsupportedMediaType as exc:
        return fail(415, "UNSUPPORTED_MEDIA_TYPE", str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, message = HTTP_CODES.get(exc.status, ("HTTP_ERROR", exc.reason))
        response = fail(exc.status, code, message)
        for header in ("Allow", "WWW-Authenticate"):
            if header in exc.headers:
                response.headers[header] = exc.headers[header]
        return response
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return fail(500, "INTERNAL_ERROR", "Something went wrong on our side; it was logged.")


def _presented_key(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def _plausible(key: str) -> bool:
    # Keys are printable ASCII; header bytes that are not (undecodable bytes arrive as
    # surrogates) can never match one, so they are refused before hashing.
    return key.isascii() and key.isprintable()


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Require a valid API key on every face's routes; the key decides the tenant."""
    dialect = dialect_for(request.app[DIALECTS], request.path)
    if dialect is None or request.path in PUBLIC_PATHS:
        return await handler(request)
    fail = dialect.render_error
    presented = _presented_key(request)
    if presented is None:
        response = fail(
            401,
            "UNAUTHORIZED",
            "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    actor = await request.app[AUTH].authenticate(presented) if _plausible(presented) else None
    if actor is None:
        response = fail(401, "UNAUTHORIZED", "The API key is not valid.")
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    request[ACTOR] = actor
    return await handler(request)


@web.middleware
async def transaction(request: web.Request, handler: Handler) -> web.StreamResponse:
    """One unit of work per API request: committed if the handler succeeds, else rolled back.

    GET and HEAD only read: they run without a database transaction where that is cheaper.
    """
    if ACTOR not in request:
        return await handler(request)
    async with request.app[CORE].uow(read_only=request.method in SAFE_METHODS) as uow:
        request[UOW] = uow
        return await handler(request)
