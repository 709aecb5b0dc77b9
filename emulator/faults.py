"""Fault injection: 5xx answers, added latency and hanging requests."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

_SERVER_ERRORS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass
class FaultSettings:
    """What to inject; all probabilities are per request."""

    error_rate: float = 0.0
    error_codes: list[int] = field(default_factory=lambda: [500, 502])
    # Real Telegram 502s come from nginx as HTML; off by default so clients see JSON.
    html_502: bool = False
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0
    # Process the request (e.g. deliver the message) before hanging: "lost response".
    hang_after_processing: bool = False
    methods: list[str] | None = None

    def is_active(self) -> bool:
        """Whether any fault would ever be injected."""
        return bool(self.error_rate or self.latency_ms or self.jitter_ms or self.hang_rate)

    def to_json(self) -> dict[str, Any]:
        """JSON view for the control API."""
        return asdict(self)


@dataclass(slots=True)
class FaultPlan:
    """The faults chosen for one request."""

    delay: float = 0.0
    hang: float = 0.0
    hang_after: bool = False
    error_code: int | None = None


def server_error_body(code: int, html_502: bool) -> tuple[bytes, str]:
    """Body and content type of an injected 5xx answer."""
    if code == 502 and html_502:
        return _HTML_502, "text/html"
    description = _SERVER_ERRORS.get(code, "Internal Server Error")
    body = f'{{"ok":false,"error_code":{code},"description":"{description}"}}'
    return body.encode(), "application/json"


class FaultInjector:
    """Draws a FaultPlan per request from the current settings with a seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.settings = FaultSettings()
        self.active = False
        self._methods: frozenset[str] | None = None
        self._rng = random.Random(seed)

    def configure(self, changes: dict[str, Any]) -> FaultSettings:
        """Merge `changes` into the settings, validating names and value ranges."""
        current = asdict(self.settings)
        unknown = set(changes) - set(current)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        current.update(changes)
        settings = FaultSettings(**current)
        for name in ("error_rate", "hang_rate"):
            if not 0.0 <= float(getattr(settings, name)) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if any(code < 500 or code > 599 for code in settings.error_codes) or not (
            settings.error_codes
        ):
            raise ValueError("error_codes must be a non-empty list of 5xx codes")
        self.settings = settings
        self._methods = frozenset(m.lower() for m in settings.methods) if settings.methods else None
        self.active = settings.is_active()
        return settings

    def clear(self) -> None:
        """Stop injecting anything."""
        self.settings = FaultSettings()
        self._methods = None
        self.active = False

    def plan(self, method: str) -> FaultPlan | None:
        """Decide the faults for one request to `method` (lower-case), or None."""
        if self._methods is not None and method not in self._methods:
            return None
        settings, rng = self.settings, self._rng
        plan = FaultPlan()
        if settings.latency_ms or settings.jitter_ms:
            plan.delay = (settings.latency_ms + rng.uniform(0, settings.jitter_ms)) / 1000
        if settings.hang_rate and rng.random() < settings.hang_rate:
            plan.hang = settings.hang_seconds
            plan.hang_after = settings.hang_after_processing
        elif settings.error_rate and rng.random() < settings.error_rate:
            plan.error_code = rng.choice(settings.error_codes)
        return plan
