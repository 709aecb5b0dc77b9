"""Route registration that also records what OpenAPI needs (models, status, summary)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from pydantic import BaseModel

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class RouteSpec:
    """One documented endpoint."""

    method: str
    path: str
    handler: RouteHandler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    body_optional: bool = False
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    public: bool = False
    also: tuple[int, ...] = ()
    error_model: type[BaseModel] | None = None  # None: the envelope's ErrorEnvelope
    enveloped: bool = True  # answers wrap their data in {"success", "data"}


@dataclass
class ApiRouter:
    """A feature's routes; `register` mounts them on an application."""

    tag: str
    specs: list[RouteSpec] = field(default_factory=list)
    error_model: type[BaseModel] | None = None  # its face's error body, when not the envelope
    enveloped: bool = True

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        body: type[BaseModel] | None = None,
        body_optional: bool = False,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        public: bool = False,
        also: tuple[int, ...] = (),
    ) -> Callable[[RouteHandler], RouteHandler]:
        """Decorator that records a handler and its documentation."""

        def decorate(handler: RouteHandler) -> RouteHandler:
            self.specs.append(
                RouteSpec(
                    method,
                    path,
                    handler,
                    summary,
                    self.tag,
                    body,
                    body_optional,
                    query,
                    response,
                    status,
                    errors,
                    public,
                    also,
                    self.error_model,
                    self.enveloped,
                )
            )
            return handler

        return decorate

    def register(self, app: web.Application) -> None:
        """Add every route to `app`."""
        for spec in self.specs:
            app.router.add_route(spec.method, spec.path, spec.handler)
