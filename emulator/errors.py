"""Telegram-shaped API errors raised by method handlers."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API failure answered as `{"ok": false, "error_code": ..., "description": ...}`."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram would send for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


class ControlError(Exception):
    """A control-API failure, answered as `{"error": message}` with HTTP `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RateLimited(ApiError):
    """HTTP 429 with `retry_after`; `scope` says which limit tripped (global/paid/chat/group)."""

    def __init__(self, retry_after: int, scope: str) -> None:
        super().__init__(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )
        self.scope = scope


def bad_request(reason: str, parameters: dict[str, Any] | None = None) -> ApiError:
    """Build a 400 error with Telegram's "Bad Request: " prefix."""
    return ApiError(400, f"Bad Request: {reason}", parameters)


def forbidden(reason: str) -> ApiError:
    """Build a 403 error with Telegram's "Forbidden: " prefix."""
    return ApiError(403, f"Forbidden: {reason}")


def unauthorized() -> ApiError:
    """Build the 401 answered for malformed or rejected tokens."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """Build the 404 answered for unknown methods."""
    return ApiError(404, "Not Found")


def chat_not_found() -> ApiError:
    """Build the 400 answered for unknown chat ids."""
    return bad_request("chat not found")
