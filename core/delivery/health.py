"""Whether Telegram is usable at all: a rejected token, or failures for longer than a bound."""

from __future__ import annotations

import time

from core.delivery.outcomes import Kind, Outcome


class TelegramHealth:
    """Watches send outcomes; `verdict()` names the reason to fail running executions, if any."""

    def __init__(self, outage_bound: float) -> None:
        self.outage_bound = outage_bound
        self.fatal: str | None = None
        self._failing_since: float | None = None
        self._last_error = ""

    def observe(self, outcome: Outcome) -> None:
        """Note one send's outcome: any answer from Telegram ends an outage."""
        if outcome.kind is Kind.FATAL:
            self.fatal = f"Telegram refused the bot token ({outcome.detail or outcome.code})"
        elif outcome.kind in (Kind.RETRY, Kind.UNKNOWN):
            self._last_error = outcome.detail or outcome.code or ""
            if self._failing_since is None:
                self._failing_since = time.monotonic()
        elif outcome.kind in (Kind.SENT, Kind.FAILED):
            self._failing_since = None

    def verdict(self) -> str | None:
        """The systemic failure to report, or None while things may still recover."""
        if self.fatal:
            return self.fatal
        if self._failing_since is None:
            return None
        if time.monotonic() - self._failing_since < self.outage_bound:
            return None
        return (
            f"Telegram unreachable for more than {self.outage_bound:g} s "
            f"(last error: {self._last_error})"
        )

    def reset(self) -> None:
        """Start afresh after the running executions were failed."""
        self._failing_since = None
        self.fatal = None
