"""Public identifiers: integer keys inside, prefixed strings such as `camp_42` at the edges."""

from __future__ import annotations

import re

from core.errors import NotFoundError

# ASCII digits only: str.isdigit() also accepts '²' and '٣', which int() may read as another id.
DIGITS = re.compile(r"[0-9]{1,18}")

PREFIXES = {
    "campaign": "camp",
    "segment": "seg",
    "subscriber": "sub",
    "execution": "exec",
    "delivery": "dlv",
    "api_key": "key",
    "interaction": "int",
    "template": "tmpl",
    "schedule": "sched",
    "schedule_run": "job",
    "event": "evt",
    "webhook": "wh",
    "webhook_delivery": "whd",
}

NOT_FOUND_CODES = {
    "campaign": "CAMPAIGN_NOT_FOUND",
    "segment": "SEGMENT_NOT_FOUND",
    "subscriber": "SUBSCRIBER_NOT_FOUND",
    "execution": "EXECUTION_NOT_FOUND",
    "delivery": "DELIVERY_NOT_FOUND",
    "api_key": "API_KEY_NOT_FOUND",
    "template": "TEMPLATE_NOT_FOUND",
    "schedule": "SCHEDULED_CAMPAIGN_NOT_FOUND",
    "webhook": "WEBHOOK_NOT_FOUND",
    "webhook_delivery": "WEBHOOK_DELIVERY_NOT_FOUND",
}


def format_id(kind: str, value: int) -> str:
    """`format_id("campaign", 42)` -> `"camp_42"`."""
    return f"{PREFIXES[kind]}_{value}"


def parse_id(kind: str, value: str) -> int:
    """The integer key inside a public id; a malformed id is simply not found."""
    prefix = PREFIXES[kind] + "_"
    raw = value[len(prefix) :] if value.startswith(prefix) else None
    if raw is None or not DIGITS.fullmatch(raw) or int(raw) == 0:
        label = kind.replace("_", " ")
        raise NotFoundError(
            NOT_FOUND_CODES.get(kind, "NOT_FOUND"), f"No {label} with id '{value}'."
        )
    return int(raw)


def try_parse_id(kind: str, value: str) -> int | None:
    """Like parse_id, but None for anything that is not such an id."""
    try:
        return parse_id(kind, value)
    except NotFoundError:
        return None
