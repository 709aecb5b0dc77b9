"""A tiny JSON client for the /_emulator control API, shared by the emulator's tests."""

from __future__ import annotations

from typing import Any

import aiohttp


class Control:
    """Calls control routes and remembers the last HTTP status."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base = f"{base_url}/_emulator"
        self.status = 0

    async def __call__(self, verb: str, path: str, body: Any = None, **params: Any) -> Any:
        async with self.http.request(verb, self.base + path, json=body, params=params) as resp:
            self.status = resp.status
            return await resp.json()
