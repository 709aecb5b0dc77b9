"""The REST faces served by one application: which paths each owns and how it says an error.

Every face (campaigns-api.md's envelope under /api/, the tenant API under /campaigns, the v2
API under /v2/) shares the core, the auth and the unit of work; they differ in paths and in
the JSON of their answers, errors included. The middleware asks `dialect_for(path)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel

from api.envelope import fail
from api.schemas import ErrorEnvelope


class ErrorRenderer(Protocol):
    """(status, machine code, message a person reads, field details) -> the face's answer."""

    def __call__(
        self, status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
    ) -> web.Response: ...


@dataclass(frozen=True)
class Dialect:
    """One face: the path prefixes it owns, its error answers and their documented model."""

    name: str
    prefixes: tuple[str, ...]
    render_error: ErrorRenderer
    error_model: type[BaseModel]

    def owns(self, path: str) -> bool:
        """Whether `path` is one of this face's: under a prefix ending in `/`, or equal to or
        under one that does not (`/campaigns` owns `/campaigns` but not `/campaignsX`)."""
        return any(
            path.startswith(prefix)
            if prefix.endswith("/")
            else path == prefix or path.startswith(prefix + "/")
            for prefix in self.prefixes
        )


ENVELOPE = Dialect("envelope", ("/api/",), fail, ErrorEnvelope)
DIALECTS: web.AppKey[tuple[Dialect, ...]] = web.AppKey("dialects")


def dialect_for(dialects: tuple[Dialect, ...], path: str) -> Dialect | None:
    """The face that owns `path`, or None (health checks, Telegram's webhook, unknown paths)."""
    return next((dialect for dialect in dialects if dialect.owns(path)), None)
