"""Domain errors: each carries a machine-readable code that the edges render as they like."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    code = "DOMAIN_ERROR"

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFoundError(DomainError):
    """The row does not exist for this tenant (other tenants' rows look the same)."""

    code = "NOT_FOUND"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ValidationFailed(DomainError):
    """Input that parsed but breaks a business rule; details name each field."""

    code = "VALIDATION_ERROR"

    def __init__(
        self, message: str, *, details: list[dict[str, Any]] | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, details=details)
        if code:
            self.code = code


class IllegalTransition(DomainError):
    """The lifecycle does not allow this action in the campaign's current status."""

    code = "INVALID_STATUS_TRANSITION"

    def __init__(self, action: str, status: str, allowed: list[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none"
        super().__init__(
            f"Cannot {action} a campaign in status '{status}'. Allowed actions: {allowed_text}.",
            details=[{"currentStatus": status, "action": action, "allowedActions": allowed}],
        )
        self.action = action
        self.status = status
        self.allowed = allowed


class ConflictError(DomainError):
    """The request clashes with the current state of the data it addresses (a 409)."""

    code = "CONFLICT"

    def __init__(
        self, code: str, message: str, *, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.code = code


class ForbiddenError(DomainError):
    """The caller may not act on what it named (said the same whether or not it exists)."""

    code = "FORBIDDEN"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class Failures:
    """Runs several checks and reports every ValidationFailed among them together."""

    def __init__(self) -> None:
        self.found: list[ValidationFailed] = []

    @contextmanager
    def check(self) -> Iterator[None]:
        """Keep a ValidationFailed raised inside the block for `raise_all`."""
        try:
            yield
        except ValidationFailed as exc:
            self.found.append(exc)

    def raise_all(self) -> None:
        """Raise one ValidationFailed with every detail (the first one's code wins), if any.

        A detail of a problem whose code is not the one that won carries its own `code`, so
        an unknown segment stays SEGMENT_NOT_FOUND beside a VALIDATION_ERROR field.
        """
        if not self.found:
            return
        if len(self.found) == 1:
            raise self.found[0]
        code = self.found[0].code
        details = [
            detail if failure.code == code else {**detail, "code": failure.code}
            for failure in self.found
            for detail in failure.details
        ]
        message = " ".join(failure.message for failure in self.found)
        raise ValidationFailed(message, details=details, code=code)
