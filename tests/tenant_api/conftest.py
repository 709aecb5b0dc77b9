"""Helpers of the tenant Campaigns API's tests: the tenant's public id, subscribers, a segment."""

from __future__ import annotations

from typing import Any

import pytest

from storage.models import Tenant

BASE = "/campaigns"


@pytest.fixture
def tenant_id(tenant: Tenant) -> str:
    """The default tenant's id in that API."""
    return f"tenant_{tenant.id}"


async def subscribe(api: Any, auth: dict[str, str], telegram_ids: list[int]) -> list[str]:
    """Register subscribers through /api/v1; their public ids."""
    people = [
        {"telegramId": t, "firstName": f"User{t}", "lastName": "Tester"} for t in telegram_ids
    ]
    response = await api.post("/api/v1/subscribers", json={"subscribers": people}, headers=auth)
    assert response.status == 200, await response.text()
    return list((await response.json())["data"]["ids"])


async def segment(api: Any, auth: dict[str, str], name: str, members: list[str]) -> str:
    """A static segment of these subscribers; its id."""
    body = {"name": name, "members": members}
    response = await api.post("/api/v1/segments", json=body, headers=auth)
    assert response.status == 201, await response.text()
    return str((await response.json())["data"]["id"])


async def created(api: Any, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """POST /campaigns that must succeed; the campaign."""
    response = await api.post(BASE, json=body, headers=auth)
    payload = await response.json()
    assert response.status == 201, payload
    return dict(payload)
