"""Pydantic validation errors as one 400 that names every bad field, in friendlier words."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.errors import ValidationFailed

FRIENDLY = {
    "timezone_aware": "must include a time zone, e.g. 2024-11-24T10:00:00Z",
    "extra_forbidden": "is not a known field",
    "missing": "is required",
}


def _field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """One {field, message, type} per pydantic error, with friendlier wording."""
    details = []
    for item in error.errors(include_url=False):
        message = FRIENDLY.get(item["type"], item["msg"])
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        details.append(
            {"field": _field_path(item["loc"]), "message": message, "type": item["type"]}
        )
    return details


def raise_invalid(
    details: list[dict[str, Any]], what: str, codes: dict[str, str] | None = None
) -> None:
    """400 naming every field; `codes` maps an error type to the code used when every
    problem is of that type (e.g. the Scheduled Campaigns API's INVALID_TIMEZONE)."""
    fields = ", ".join(sorted({d["field"] for d in details}))
    kinds = {d.get("type") for d in details}
    code = (codes or {}).get(str(kinds.pop())) if len(kinds) == 1 else None
    raise ValidationFailed(f"Invalid {what}: {fields}.", details=details, code=code)
