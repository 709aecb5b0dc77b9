"""Positional variables `{{1}}`, `{{2}}`…: counted at creation, filled per recipient."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core.templating import escape_for

POSITIONAL = re.compile(r"\{\{\s*([1-9][0-9]{0,2})\s*\}\}")


def variable_count(*texts: str | None) -> int:
    """How many params the texts need: the highest `{{n}}` used in any of them (0 if none)."""
    found = [int(m.group(1)) for text in texts if text for m in POSITIONAL.finditer(text)]
    return max(found, default=0)


def fill(text: str, params: Sequence[str], parse_mode: str | None = None) -> str:
    """`text` with `{{n}}` replaced by params[n-1] (escaped for the parse mode; missing: empty)."""

    def replace(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        value = params[index] if index < len(params) else ""
        return escape_for(value, parse_mode)

    return POSITIONAL.sub(replace, text)


def fill_values(value: Any, params: Sequence[str], parse_mode: str | None = None) -> Any:
    """Every string inside `value` (dicts and lists walked) filled with `params`."""
    if isinstance(value, str):
        return fill(value, params, parse_mode)
    if isinstance(value, dict):
        return {key: fill_values(item, params, parse_mode) for key, item in value.items()}
    if isinstance(value, list):
        return [fill_values(item, params, parse_mode) for item in value]
    return value
