"""Domain errors: each carries a machine-readable code that the edges render as they like."""

from __future__ import annotations

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
    """The request clashes with the current state of other data."""

    code = "CONFLICT"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
