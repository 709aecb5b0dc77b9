"""Helpers of the bad-input stories: send something odd, expect a 400 that names the field,
then prove every read still works (nothing unreadable was stored)."""

from __future__ import annotations

from typing import Any

CAMPAIGNS = "/api/v1/campaigns"
SUBSCRIBERS = "/api/v1/subscribers"
SEGMENTS = "/api/v1/segments"
SCHEDULES = "/api/v1/scheduled-campaigns"
TEMPLATES = "/api/v1/templates"
EVENTS = "/api/v1/events"
READS = (CAMPAIGNS, SUBSCRIBERS, SEGMENTS, SCHEDULES, TEMPLATES)


async def send(api, auth, method: str, path: str, body: Any = None) -> tuple[int, dict]:
    """One JSON request; (status, decoded body)."""
    response = await api.request(method, path, json=body, headers=auth)
    return response.status, await response.json()


async def refused(api, auth, method: str, path: str, body: Any, *fields: str) -> dict:
    """Expect a 400 naming exactly `fields` (when given); returns the error object."""
    status, answer = await send(api, auth, method, path, body)
    assert status == 400, (body, answer)
    error = answer["error"]
    assert answer["success"] is False and error["code"] and error["message"]
    if fields:
        assert {d["field"] for d in error["details"]} == set(fields), (body, error)
    return error


async def everything_still_reads(api, auth, *paths: str) -> None:
    """Every list (and the given items) answers 200: no poison data was stored."""
    for path in (*READS, *paths):
        status, answer = await send(api, auth, "GET", path)
        assert status == 200, (path, answer)


async def new_campaign(api, auth, **fields: Any) -> str:
    """A draft campaign's id."""
    body = {"name": "Spring sale", "messages": [{"content": "Hi {first_name}"}], **fields}
    status, answer = await send(api, auth, "POST", CAMPAIGNS, body)
    assert status == 201, answer
    return answer["data"]["id"]


async def new_subscriber(api, auth, telegram_id: int = 1001, **fields: Any) -> str:
    """A subscriber's id."""
    body = {"telegramId": telegram_id, "firstName": "Ada", **fields}
    status, answer = await send(api, auth, "POST", SUBSCRIBERS, body)
    assert status in (200, 201), answer
    return answer["data"]["id"]
