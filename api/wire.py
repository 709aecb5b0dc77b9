"""Plain data to wire format: datetimes become ISO 8601 UTC strings with `Z`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.envelope import iso


def wire(value: Any) -> Any:
    """A copy of `value` with every datetime rendered like the pydantic models render them."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [wire(item) for item in value]
    return value
