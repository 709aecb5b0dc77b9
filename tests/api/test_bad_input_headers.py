"""Headers: undecodable bytes in the API key headers are a plain 401, and a body that is not
JSON (by its Content-Type) is a 415 in the envelope."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from core.auth import hash_key
from tests.api.bad_input import CAMPAIGNS, new_campaign


async def raw_request(api, head: bytes) -> tuple[int, dict]:
    """Send hand-written request bytes (clients refuse to send such headers)."""
    reader, writer = await asyncio.open_connection(api.server.host, api.server.port)
    writer.write(head)
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    status_line, _, rest = data.partition(b"\r\n")
    body = rest.split(b"\r\n\r\n", 1)[1]
    return int(status_line.split()[1]), orjson.loads(body)


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer \xff\xfe\xfd",
        b"Authorization: Bearer tgc_\xc3\xa9t\xc3\xa9",  # UTF-8, not latin-1-only
        b"Authorization: Bearer \xed\xa0\x80",  # an encoded surrogate
        b"X-API-Key: \x80\x81\x82",
    ],
)
async def test_undecodable_key_bytes_are_a_401(api, auth, header):
    head = (
        b"GET /api/v1/campaigns HTTP/1.1\r\nHost: x\r\n" + header + b"\r\nConnection: close\r\n\r\n"
    )
    status, body = await raw_request(api, head)
    assert status == 401
    assert body["error"]["code"] == "UNAUTHORIZED"


def test_hashing_never_raises_on_surrogates():
    assert len(hash_key("\udcff\ud800")) == 64


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
async def test_a_body_that_is_not_json_is_a_415(api, auth, content_type):
    headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
    response = await api.post(CAMPAIGNS, data=b'{"name": "x"}', headers=headers)
    if content_type is None:  # aiohttp's client labels bytes application/octet-stream
        assert response.request_info.headers.get("Content-Type") in (
            None,
            "application/octet-stream",
        )
    assert response.status == 415
    body = await response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    listed = await (await api.get(CAMPAIGNS, headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ],
)
async def test_json_content_types_are_accepted(api, auth, content_type):
    response = await api.post(
        CAMPAIGNS, data=b'{"name": "x"}', headers={**auth, "Content-Type": content_type}
    )
    assert response.status == 201, await response.text()


async def test_an_empty_optional_body_needs_no_content_type(api, auth):
    cid = await new_campaign(api, auth)
    response = await api.post(f"{CAMPAIGNS}/{cid}/clone", headers=auth)
    assert response.status == 201, await response.text()
