"""Subscribers API: single and bulk upsert, validation, paging, filters, get and delete."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Iterable
from typing import Any

import orjson
import pytest

from api.query import validate_model
from core.context import Actor
from core.errors import ValidationFailed
from core.ids import parse_id
from core.subscribers import MAX_BATCH, SubscriberBatch, SubscriberInput, upsert_subscribers
from storage.repositories.subscribers import SubscriberRepository

BASE = "/api/v1/subscribers"
SLOW_IMPORT = (
    "; and even with the body read whole, storage/repositories/subscribers.py:57 builds one "
    "multi-VALUES INSERT per 500 rows with `insert().values(list_of_dicts)`, which SQLAlchemy "
    "compiles afresh every time (130,000 bind parameters for 10,000 rows): the upsert alone "
    "takes ~8 s per backend on this machine instead of a few seconds at most"
)
READ_BUG = (
    "BUG: api/parsing.py:68 read_json does `await request.content.read(limit + 1)`, which returns "
    "only the bytes buffered so far, not the whole body; any body that arrives in more than one "
    "piece (larger than ~160 KiB, or chunked) is cut short and refused as MALFORMED_JSON"
)


async def post(api, auth: dict[str, str], body: Any) -> tuple[int, dict[str, Any]]:
    response = await api.post(BASE, json=body, headers=auth)
    return response.status, await response.json()


async def get(api, auth: dict[str, str], url: str) -> tuple[int, dict[str, Any]]:
    response = await api.get(url, headers=auth)
    return response.status, await response.json()


def fields_of(body: dict[str, Any]) -> set[str]:
    assert body["success"] is False
    return {detail["field"] for detail in body["error"]["details"]}


async def set_status(core, public_ids: Iterable[str], status: str) -> None:
    """No API changes a subscriber's status: the bot does it through the repository."""
    async with core.uow() as uow:
        await SubscriberRepository(uow.session).set_status(
            [parse_id("subscriber", i) for i in public_ids], status, uow.clock()
        )


def realistic(count: int, first_id: int = 1) -> list[dict[str, Any]]:
    """Subscribers as an import from another system would carry them."""
    return [
        {
            "telegramId": first_id + n,
            "firstName": f"First{n}",
            "lastName": f"Last{n}",
            "username": f"user_{n}",
            "languageCode": ("en", "de", "fr")[n % 3],
            "tags": ["imported", f"cohort{n % 7}"],
            "attributes": {"city": ("Paris", "Rome")[n % 2], "age": 18 + n % 60},
            "timezone": "Europe/Paris",
            "source": "import",
        }
        for n in range(count)
    ]


FULL = {
    "telegramId": 424242,
    "firstName": "Ada",
    "lastName": "Lovelace",
    "username": "ada",
    "languageCode": "en",
    "tags": ["vip", "beta"],
    "attributes": {"city": "London", "age": 36, "premium": True},
    "timezone": "Europe/London",
    "source": "landing",
}


# --- create and update one ---------------------------------------------------------------


async def test_post_one_creates_with_201_and_camel_case_fields(api, auth):
    status, body = await post(api, auth, FULL)
    assert status == 201
    assert body["success"] is True
    data = body["data"]
    assert data["id"].startswith("sub_")
    for key in ("telegramId", "firstName", "lastName", "username", "languageCode"):
        assert data[key] == FULL[key]
    assert data["attributes"] == FULL["attributes"]
    assert data["timezone"] == "Europe/London"
    assert data["source"] == "landing"
    assert sorted(data["tags"]) == ["beta", "vip"]
    assert data["status"] == "active"
    assert data["createdAt"].endswith("Z") and data["updatedAt"].endswith("Z")
    assert not any("_" in key for key in data), "snake_case leaked into the API"

    status, fetched = await get(api, auth, f"{BASE}/{data['id']}")
    assert status == 200
    assert fetched["data"] == data


async def test_post_same_telegram_id_updates_with_200_and_keeps_absent_fields(api, auth):
    _, created = await post(api, auth, FULL)
    status, body = await post(api, auth, {"telegramId": FULL["telegramId"], "firstName": "Augusta"})
    assert status == 200
    data = body["data"]
    assert data["id"] == created["data"]["id"]
    assert data["firstName"] == "Augusta"
    # Absent fields are not overwritten.
    assert data["lastName"] == "Lovelace"
    assert data["username"] == "ada"
    assert data["attributes"] == FULL["attributes"]
    assert data["timezone"] == "Europe/London"
    assert sorted(data["tags"]) == ["beta", "vip"]
    assert data["createdAt"] == created["data"]["createdAt"]
    assert data["updatedAt"] >= created["data"]["updatedAt"]

    _, listed = await get(api, auth, BASE)
    assert listed["data"]["pagination"]["total"] == 1


async def test_explicit_null_clears_a_field(api, auth):
    await post(api, auth, FULL)
    status, body = await post(api, auth, {"telegramId": FULL["telegramId"], "username": None})
    assert status == 200
    assert body["data"]["username"] is None
    assert body["data"]["firstName"] == "Ada"


async def test_absent_chat_id_is_not_overwritten_on_update(api, auth):
    status, _ = await post(api, auth, {"telegramId": 5, "chatId": 777})
    assert status == 201
    status, body = await post(api, auth, {"telegramId": 5, "firstName": "Later"})
    assert status == 200
    assert body["data"]["chatId"] == 777


# --- bulk upsert ------------------------------------------------------------------------


async def test_bulk_upsert_counts_and_partial_updates(api, auth):
    first = [
        {"telegramId": 1, "firstName": "Ann", "lastName": "A", "tags": ["a", "b"]},
        {
            "telegramId": 2,
            "firstName": "Bob",
            "attributes": {"city": "Rome"},
            "timezone": "Europe/Rome",
            "tags": ["b"],
        },
        {"telegramId": 3, "firstName": "Cid", "tags": ["c"]},
    ]
    status, body = await post(api, auth, {"subscribers": first})
    assert status == 200
    assert body["data"]["created"] == 3
    assert body["data"]["updated"] == 0
    assert body["data"]["total"] == 3
    ids = body["data"]["ids"]
    assert len(set(ids)) == 3 and all(i.startswith("sub_") for i in ids)

    second = [
        {"telegramId": 1, "lastName": "Changed"},  # no tags: tags stay
        {"telegramId": 2, "tags": ["z"]},  # tags given: replaced
        {"telegramId": 3, "tags": []},  # empty list: all tags removed
        {"telegramId": 4, "firstName": "Dee"},
    ]
    status, body = await post(api, auth, {"subscribers": second})
    assert status == 200
    assert (body["data"]["created"], body["data"]["updated"], body["data"]["total"]) == (1, 3, 4)

    by_tg = {}
    _, listed = await get(api, auth, BASE)
    for sub in listed["data"]["subscribers"]:
        by_tg[sub["telegramId"]] = sub
    assert set(by_tg) == {1, 2, 3, 4}
    assert by_tg[1]["firstName"] == "Ann" and by_tg[1]["lastName"] == "Changed"
    assert by_tg[1]["tags"] == ["a", "b"]
    assert by_tg[2]["firstName"] == "Bob"
    assert by_tg[2]["attributes"] == {"city": "Rome"}
    assert by_tg[2]["timezone"] == "Europe/Rome"
    assert by_tg[2]["tags"] == ["z"]
    assert by_tg[3]["tags"] == []
    assert by_tg[4]["firstName"] == "Dee" and by_tg[4]["status"] == "active"


async def test_bulk_with_one_invalid_item_writes_nothing(api, auth):
    batch = [
        {"telegramId": 1, "firstName": "Ok"},
        {"telegramId": "x", "timezone": "Mars/Olympus"},
        {"telegramId": 3, "colour": "blue"},
    ]
    status, body = await post(api, auth, {"subscribers": batch})
    assert status == 400
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert fields_of(body) == {
        "subscribers[1].telegramId",
        "subscribers[1].timezone",
        "subscribers[2].colour",
    }
    _, listed = await get(api, auth, BASE)
    assert listed["data"]["pagination"]["total"] == 0


async def test_empty_bulk_is_refused(api, auth):
    status, body = await post(api, auth, {"subscribers": []})
    assert status == 400
    assert fields_of(body) == {"subscribers"}


async def test_core_upsert_of_10000_then_listed_through_the_api(api, auth, core, tenant):
    """The storage side of a maximal import: one transaction, then the API sees every row."""
    items = [SubscriberInput.model_validate(raw) for raw in realistic(MAX_BATCH)]
    actor = Actor(tenant_id=tenant.id, label="test")
    async with core.uow() as uow:
        result = await upsert_subscribers(uow, actor, items)
    assert (result.created, result.updated, len(set(result.ids))) == (10_000, 0, 10_000)

    status, body = await get(api, auth, f"{BASE}?limit=100")
    assert status == 200
    assert body["data"]["pagination"] == {"page": 1, "limit": 100, "total": 10_000, "pages": 100}
    status, body = await get(api, auth, f"{BASE}?limit=100&page=100")
    assert len(body["data"]["subscribers"]) == 100
    status, body = await get(api, auth, f"{BASE}?tag=cohort3")
    assert body["data"]["pagination"]["total"] == len(range(3, MAX_BATCH, 7))
    assert body["data"]["subscribers"][0]["tags"] == ["cohort3", "imported"]


def test_batch_model_takes_10000_and_names_the_field_past_that():
    ok = validate_model(
        SubscriberBatch, {"subscribers": [{"telegramId": n + 1} for n in range(MAX_BATCH)]}, "body"
    )
    assert len(ok.subscribers) == 10_000
    with pytest.raises(ValidationFailed) as caught:
        validate_model(
            SubscriberBatch,
            {"subscribers": [{"telegramId": n + 1} for n in range(MAX_BATCH + 1)]},
            "body",
        )
    assert [d["field"] for d in caught.value.details] == ["subscribers"]


async def test_bulk_import_of_exactly_10000_in_one_call(api, auth):
    await get(api, auth, BASE)  # a first call, as any client makes
    body = orjson.dumps({"subscribers": realistic(10_000)})
    response = await api.post(
        BASE, data=io.BytesIO(body), headers={**auth, "Content-Type": "application/json"}
    )
    result = await response.json()
    assert response.status == 200, result
    assert (result["data"]["created"], result["data"]["updated"]) == (10_000, 0)
    _, listed = await get(api, auth, BASE)
    assert listed["data"]["pagination"]["total"] == 10_000


async def test_bulk_import_of_10001_is_refused_naming_the_field(api, auth):
    await get(api, auth, BASE)
    body = orjson.dumps({"subscribers": realistic(10_001)})
    response = await api.post(
        BASE, data=io.BytesIO(body), headers={**auth, "Content-Type": "application/json"}
    )
    result = await response.json()
    assert response.status == 400
    assert result["error"]["code"] == "VALIDATION_ERROR"
    assert fields_of(result) == {"subscribers"}
    _, listed = await get(api, auth, BASE)
    assert listed["data"]["pagination"]["total"] == 0


async def test_a_body_sent_in_two_pieces_is_read_whole(api, auth):
    await get(api, auth, BASE)  # the key is now cached: nothing delays reading the body

    async def pieces() -> AsyncIterator[bytes]:
        yield b'{"telegramId": 9,'
        await asyncio.sleep(0.5)
        yield b' "firstName": "Chunky"}'

    response = await api.post(
        BASE, data=pieces(), headers={**auth, "Content-Type": "application/json"}
    )
    assert response.status == 201, await response.text()
    assert (await response.json())["data"]["firstName"] == "Chunky"


# --- validation ----------------------------------------------------------------------------


async def test_each_invalid_field_is_named(api, auth):
    status, body = await post(
        api, auth, {"telegramId": "not-a-number", "timezone": "Mars/Olympus", "favouriteColour": 1}
    )
    assert status == 400
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert fields_of(body) == {"telegramId", "timezone", "favouriteColour"}
    by_field = {d["field"]: d["message"] for d in body["error"]["details"]}
    assert "Mars/Olympus" in by_field["timezone"]
    assert by_field["favouriteColour"] == "is not a known field"


INVALID_ONE = [
    ({"firstName": "no id"}, "telegramId"),
    ({"telegramId": 0}, "telegramId"),
    ({"telegramId": -5}, "telegramId"),
    ({"telegramId": 2**53}, "telegramId"),
    ({"telegramId": 1.5}, "telegramId"),
    ({"telegramId": 1, "timezone": "Not/AZone"}, "timezone"),
    ({"telegramId": 1, "tags": ["ok", "  "]}, "tags"),
    ({"telegramId": 1, "tags": ["x" * 65]}, "tags"),
    ({"telegramId": 1, "tags": "vip"}, "tags"),
    ({"telegramId": 1, "username": "u" * 65}, "username"),
    ({"telegramId": 1, "attributes": ["a"]}, "attributes"),
    ({"telegramId": 1, "status": "blocked"}, "status"),
]


async def test_each_kind_of_invalid_field_is_named_alone(api, auth):
    for body, field in INVALID_ONE:
        status, result = await post(api, auth, body)
        assert status == 400, body
        assert result["error"]["code"] == "VALIDATION_ERROR", body
        assert fields_of(result) == {field}, body
    _, listed = await get(api, auth, BASE)
    assert listed["data"]["pagination"]["total"] == 0


async def test_malformed_json_is_400_malformed_json(api, auth):
    for raw in (b'{"telegramId": 1,', b"{'telegramId': 1}", b"nope", b'{"a": 1} x'):
        response = await api.post(
            BASE, data=raw, headers={**auth, "Content-Type": "application/json"}
        )
        assert response.status == 400, raw
        body = await response.json()
        assert body["success"] is False, raw
        assert body["error"]["code"] == "MALFORMED_JSON", raw
        assert fields_of(body) == {"body"}, raw


async def test_body_that_is_not_an_object_is_refused(api, auth):
    for body in ([{"telegramId": 1}], 42, "text", None):
        status, result = await post(api, auth, body)
        assert status == 400, body
        assert result["error"]["code"] == "VALIDATION_ERROR", body
        assert fields_of(result) == {"body"}, body


# --- listing -------------------------------------------------------------------------------


async def test_list_pages(api, auth):
    batch = [{"telegramId": 100 + n, "firstName": f"P{n}"} for n in range(25)]
    status, _ = await post(api, auth, {"subscribers": batch})
    assert status == 200

    seen: list[str] = []
    for page, expected in ((1, 10), (2, 10), (3, 5)):
        status, body = await get(api, auth, f"{BASE}?page={page}&limit=10")
        assert status == 200
        assert body["success"] is True
        assert set(body["data"]) == {"subscribers", "pagination"}
        assert body["data"]["pagination"] == {"page": page, "limit": 10, "total": 25, "pages": 3}
        assert len(body["data"]["subscribers"]) == expected
        seen += [s["id"] for s in body["data"]["subscribers"]]
    assert len(seen) == len(set(seen)) == 25

    status, body = await get(api, auth, f"{BASE}?page=4&limit=10")
    assert status == 200
    assert body["data"]["subscribers"] == []
    assert body["data"]["pagination"]["total"] == 25

    status, body = await get(api, auth, BASE)
    assert body["data"]["pagination"] == {"page": 1, "limit": 20, "total": 25, "pages": 2}
    assert len(body["data"]["subscribers"]) == 20

    status, body = await get(api, auth, f"{BASE}?limit=100")
    assert status == 200
    assert len(body["data"]["subscribers"]) == 25


async def test_bad_list_query_is_400_naming_the_parameter(api, auth):
    cases = [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("page=0", "page"),
        ("status=sleeping", "status"),
        ("search=" + "s" * 201, "search"),
    ]
    for query, field in cases:
        status, body = await get(api, auth, f"{BASE}?{query}")
        assert status == 400, query
        assert body["error"]["code"] == "VALIDATION_ERROR", query
        assert fields_of(body) == {field}, query


async def test_list_filters_by_status_and_tag(api, auth, core):
    _, body = await post(
        api,
        auth,
        {
            "subscribers": [
                {"telegramId": 1, "tags": ["vip"]},
                {"telegramId": 2, "tags": ["vip", "beta"]},
                {"telegramId": 3, "tags": ["beta"]},
                {"telegramId": 4},
            ]
        },
    )
    ids = body["data"]["ids"]
    await set_status(core, [ids[1]], "unsubscribed")
    await set_status(core, [ids[3]], "blocked")

    async def telegram_ids(query: str) -> list[int]:
        status, result = await get(api, auth, f"{BASE}?{query}")
        assert status == 200
        found = [s["telegramId"] for s in result["data"]["subscribers"]]
        assert result["data"]["pagination"]["total"] == len(found)
        return sorted(found)

    assert await telegram_ids("status=active") == [1, 3]
    assert await telegram_ids("status=unsubscribed") == [2]
    assert await telegram_ids("status=blocked") == [4]
    assert await telegram_ids("status=deactivated") == []
    assert await telegram_ids("tag=vip") == [1, 2]
    assert await telegram_ids("tag=beta&status=active") == [3]
    assert await telegram_ids("tag=nobody") == []
    _, one = await get(api, auth, f"{BASE}/{ids[1]}")
    assert one["data"]["status"] == "unsubscribed"


async def test_search_over_names_username_and_telegram_id(api, auth):
    await post(
        api,
        auth,
        {
            "subscribers": [
                {"telegramId": 111, "firstName": "Anna", "lastName": "Smith", "username": "anna_s"},
                {"telegramId": 222, "firstName": "Joanne", "lastName": "Doe"},
                {"telegramId": 333, "firstName": "Bob", "lastName": "Hannah"},
                {"telegramId": 444, "firstName": "Carl", "username": "mr_carl"},
                {"telegramId": 5555, "firstName": "Dan", "lastName": "100% Real"},
            ]
        },
    )

    async def found(term: str) -> list[int]:
        response = await api.get(BASE, params={"search": term}, headers=auth)
        assert response.status == 200
        return sorted(s["telegramId"] for s in (await response.json())["data"]["subscribers"])

    assert await found("ann") == [111, 222, 333]  # first and last names, case-insensitive
    assert await found("SMITH") == [111]
    assert await found("mr_carl") == [444]  # username
    assert await found("na_s") == [111]  # `_` is literal...
    assert await found("a_n") == []  # ...not a wildcard (that would match Anna, Joanne, Hannah)
    assert await found("444") == [444]  # telegramId
    assert await found("44") == []  # the id matches exactly, not as a substring
    assert await found("%") == [5555]  # `%` is literal too
    assert await found("zzz") == []


async def test_search_with_a_huge_number_finds_nothing(api, auth):
    await post(api, auth, {"telegramId": 1, "firstName": "Ann"})
    status, body = await get(api, auth, f"{BASE}?search=99999999999999999999999")
    assert status == 200
    assert body["data"]["pagination"]["total"] == 0


# --- get and delete ------------------------------------------------------------------------


async def test_delete_then_404(api, auth):
    _, created = await post(api, auth, FULL)
    _, other = await post(api, auth, {"telegramId": 7})
    sub_id = created["data"]["id"]

    response = await api.delete(f"{BASE}/{sub_id}", headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True and isinstance(body["data"]["message"], str)

    for method in ("get", "delete"):
        response = await getattr(api, method)(f"{BASE}/{sub_id}", headers=auth)
        assert response.status == 404
        body = await response.json()
        assert body["success"] is False
        assert body["error"]["code"] == "SUBSCRIBER_NOT_FOUND"

    _, listed = await get(api, auth, BASE)
    assert [s["id"] for s in listed["data"]["subscribers"]] == [other["data"]["id"]]

    # The same telegramId can come back as a new subscriber.
    status, again = await post(api, auth, FULL)
    assert status == 201
    assert again["data"]["id"] != sub_id
    assert again["data"]["tags"] == ["beta", "vip"]


async def test_malformed_or_unknown_id_is_404(api, auth):
    await post(api, auth, {"telegramId": 1})
    refs = ["abc", "sub_", "sub_x1", "seg_1", "sub_-1", "sub_1.5", "sub_" + "9" * 30, "sub_999"]
    for ref in refs:
        for method in ("get", "delete"):
            response = await getattr(api, method)(f"{BASE}/{ref}", headers=auth)
            assert response.status == 404, (method, ref)
            body = await response.json()
            assert body["error"]["code"] == "SUBSCRIBER_NOT_FOUND", (method, ref)
    _, listed = await get(api, auth, BASE)
    assert listed["data"]["pagination"]["total"] == 1
