"""Registering endpoints: the secret is shown once, bad URLs and events are clear 400s."""

from __future__ import annotations

import pytest

from core.errors import ValidationFailed
from core.webhooks.urls import UrlPolicy, validate_url
from tests.webhooks.conftest import WEBHOOKS, register


async def test_the_secret_is_shown_at_creation_and_never_again(api, auth, receiver):
    hook = await register(api, auth, receiver.url, description="CRM")
    assert hook["id"].startswith("wh_") and hook["secret"].startswith("whsec_")
    assert hook["events"] == "*" and hook["enabled"] is True

    shown = await (await api.get(f"{WEBHOOKS}/{hook['id']}", headers=auth)).json()
    listed = await (await api.get(WEBHOOKS, headers=auth)).json()
    patched = await api.patch(f"{WEBHOOKS}/{hook['id']}", json={"enabled": False}, headers=auth)

    assert "secret" not in shown["data"] and shown["data"]["health"]["successRate"] is None
    assert [w["id"] for w in listed["data"]["webhooks"]] == [hook["id"]]
    assert "secret" not in listed["data"]["webhooks"][0]
    body = (await patched.json())["data"]
    assert body["enabled"] is False and "secret" not in body


async def test_patch_changes_only_what_is_given_and_delete_removes(api, auth, receiver):
    hook = await register(api, auth, receiver.url, description="CRM")
    patched = await api.patch(
        f"{WEBHOOKS}/{hook['id']}", json={"events": ["campaign.completed"]}, headers=auth
    )
    data = (await patched.json())["data"]
    assert data["events"] == ["campaign.completed"] and data["description"] == "CRM"

    assert (await api.delete(f"{WEBHOOKS}/{hook['id']}", headers=auth)).status == 200
    gone = await api.get(f"{WEBHOOKS}/{hook['id']}", headers=auth)
    assert gone.status == 404 and (await gone.json())["error"]["code"] == "WEBHOOK_NOT_FOUND"


async def test_another_tenants_endpoint_is_not_found(api, auth, other_auth, receiver):
    hook = await register(api, auth, receiver.url)
    response = await api.get(f"{WEBHOOKS}/{hook['id']}", headers=other_auth)
    assert response.status == 404


async def test_unknown_event_names_are_a_400_naming_them(api, auth, receiver):
    response = await api.post(
        WEBHOOKS, json={"url": receiver.url, "events": ["campaign.exploded"]}, headers=auth
    )
    body = await response.json()
    assert response.status == 400 and body["error"]["code"] == "UNKNOWN_WEBHOOK_EVENT"
    assert "campaign.exploded" in body["error"]["message"]


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://localhost/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fe80::1]:8443/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
        "https://192.0.2.10/hook",  # documentation range
    ],
)
async def test_private_addresses_are_refused_by_default(api, auth, strict_urls, url):
    response = await api.post(WEBHOOKS, json={"url": url}, headers=auth)
    body = await response.json()
    assert response.status == 400, body
    assert body["error"]["code"] == "WEBHOOK_URL_NOT_PUBLIC"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "ftp://example.com/hook",
        "/relative/hook",
        "https://user:pw@example.com/hook",
        "https://example.com:99999/hook",
        "https://[fe80::1%25eth0]/hook",
        "https://[127.0.0.1]/hook",
        "https://example.com/a b",
    ],
)
async def test_malformed_urls_are_refused_by_default(api, auth, strict_urls, url):
    response = await api.post(WEBHOOKS, json={"url": url}, headers=auth)
    body = await response.json()
    assert response.status == 400, body
    assert body["error"]["code"] == "INVALID_WEBHOOK_URL"


async def test_a_public_ip_literal_passes_the_strict_policy():
    await validate_url("https://93.184.216.34/hook", UrlPolicy())


async def test_a_public_ipv6_literal_can_be_registered(api, auth, strict_urls):
    url = "https://[2606:4700:4700::1111]:8443/hook"
    response = await api.post(WEBHOOKS, json={"url": url}, headers=auth)
    body = await response.json()
    assert response.status == 201, body
    assert body["data"]["url"] == url


async def test_the_send_time_check_refuses_what_the_policy_no_longer_allows():
    with pytest.raises(ValidationFailed) as refused:
        await validate_url("http://127.0.0.1:9/hook", UrlPolicy(allow_http=True))
    assert refused.value.code == "WEBHOOK_URL_NOT_PUBLIC"
