"""Segments API: dynamic rules counted by the database, static members, validation, CRUD,
and campaigns that target segments."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.ids import parse_id
from core.rules import MAX_DEPTH
from storage.repositories.subscribers import SubscriberRepository

BASE = "/api/v1/segments"
SUBSCRIBERS = "/api/v1/subscribers"
CAMPAIGNS = "/api/v1/campaigns"


@dataclass(frozen=True)
class Person:
    tg: int
    name: str
    lang: str
    tags: tuple[str, ...]
    attrs: dict[str, Any]
    status: str = "active"


PEOPLE = [
    Person(1, "Ann", "en", ("vip",), {"city": "Paris", "age": 30}),
    Person(2, "Bob", "en", ("vip", "beta"), {"city": "Rome", "age": 45}),
    Person(3, "Cid", "en", (), {"city": "Paris", "age": 17}),
    Person(4, "Dee", "de", ("vip",), {"city": "Paris", "age": 52}),
    Person(5, "Eve", "en", ("vip",), {"city": "Berlin"}),
    Person(6, "Fay", "en", ("vip",), {"city": "Paris", "age": 33}, "unsubscribed"),
    Person(7, "Gus", "en", ("vip", "beta"), {"city": "Rome", "age": 40}, "blocked"),
    Person(8, "Hal", "ru", ("beta",), {"city": "Rome", "age": 25}),
]


async def set_status(core, public_ids: Iterable[str], status: str) -> None:
    """No API changes a subscriber's status: the bot does it through the repository."""
    async with core.uow() as uow:
        await SubscriberRepository(uow.session).set_status(
            [parse_id("subscriber", i) for i in public_ids], status, uow.clock()
        )


@pytest.fixture
async def people(api, auth, core) -> dict[int, str]:
    """The PEOPLE above, stored; returns telegramId -> public subscriber id."""
    batch = [
        {
            "telegramId": p.tg,
            "firstName": p.name,
            "languageCode": p.lang,
            "tags": list(p.tags),
            "attributes": p.attrs,
        }
        for p in PEOPLE
    ]
    response = await api.post(SUBSCRIBERS, json={"subscribers": batch}, headers=auth)
    assert response.status == 200
    ids = dict(zip((p.tg for p in PEOPLE), (await response.json())["data"]["ids"], strict=True))
    for status in ("unsubscribed", "blocked"):
        await set_status(core, [ids[p.tg] for p in PEOPLE if p.status == status], status)
    return ids


def expected(predicate: Callable[[Person], bool]) -> int:
    """How many active PEOPLE satisfy `predicate`."""
    return sum(1 for p in PEOPLE if p.status == "active" and predicate(p))


async def create(api, auth, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(BASE, json=body, headers=auth)
    payload = await response.json()
    assert response.status == 201, payload
    return payload["data"]


async def count(api, auth, segment_id: str) -> int:
    response = await api.get(f"{BASE}/{segment_id}/count", headers=auth)
    payload = await response.json()
    assert response.status == 200, payload
    assert payload["data"]["segmentId"] == segment_id
    return int(payload["data"]["count"])


async def count_of_rules(api, auth, rules: dict[str, Any]) -> int:
    segment = await create(api, auth, {"name": "probe", "rules": rules})
    return await count(api, auth, segment["id"])


def rule(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


# --- dynamic segments ----------------------------------------------------------------------


async def test_dynamic_segment_is_created_and_counted(api, auth, people):
    rules = {"all": [rule("languageCode", "in", ["en"]), rule("tags", "contains", "vip")]}
    segment = await create(api, auth, {"name": "English VIPs", "description": "d", "rules": rules})
    assert segment["id"].startswith("seg_")
    assert segment["type"] == "dynamic"
    assert segment["name"] == "English VIPs" and segment["description"] == "d"
    assert segment["rules"] == rules
    # 1, 2, 5 match; 6 (unsubscribed) and 7 (blocked) match the rules but are not active.
    assert await count(api, auth, segment["id"]) == 3
    assert expected(lambda p: p.lang == "en" and "vip" in p.tags) == 3

    response = await api.get(f"{BASE}/{segment['id']}", headers=auth)
    assert response.status == 200
    assert (await response.json())["data"] == segment


def age(p: Person) -> int | None:
    return p.attrs.get("age")


# (rules, the same condition in Python, the count worked out by hand)
RULE_CASES: list[tuple[dict[str, Any], Callable[[Person], bool], int]] = [
    ({"all": [rule("attributes.city", "eq", "Paris")]}, lambda p: p.attrs["city"] == "Paris", 3),
    ({"all": [rule("attributes.city", "ne", "Paris")]}, lambda p: p.attrs["city"] != "Paris", 3),
    ({"all": [rule("attributes.age", "gt", 30)]}, lambda p: (age(p) or 0) > 30, 2),
    ({"all": [rule("attributes.age", "gte", 45)]}, lambda p: (age(p) or 0) >= 45, 2),
    ({"all": [rule("attributes.age", "lt", 30)]}, lambda p: age(p) is not None and age(p) < 30, 2),
    (
        {"all": [rule("attributes.age", "between", [25, 45])]},
        lambda p: age(p) is not None and 25 <= age(p) <= 45,
        3,
    ),
    (
        {"all": [rule("attributes.age", "between", [18, 45])]},
        lambda p: age(p) is not None and 18 <= age(p) <= 45,
        3,
    ),
    ({"all": [rule("attributes.age", "exists", True)]}, lambda p: age(p) is not None, 5),
    ({"all": [rule("attributes.age", "exists", False)]}, lambda p: age(p) is None, 1),
    ({"all": [rule("tags", "contains", "vip")]}, lambda p: "vip" in p.tags, 4),
    ({"all": [rule("tags", "notContains", "vip")]}, lambda p: "vip" not in p.tags, 2),
    ({"all": [rule("tags", "in", ["beta", "nobody"])]}, lambda p: "beta" in p.tags, 2),
    ({"all": [rule("tags", "exists", False)]}, lambda p: not p.tags, 1),
    ({"all": [rule("firstName", "startsWith", "A")]}, lambda p: p.name.startswith("A"), 1),
    ({"all": [rule("languageCode", "nin", ["en"])]}, lambda p: p.lang != "en", 2),
    ({"all": [rule("telegramId", "between", [2, 4])]}, lambda p: 2 <= p.tg <= 4, 3),
    ({"all": [rule("telegramId", "in", [1, 6, 8])]}, lambda p: p.tg in (1, 6, 8), 2),
    (
        {
            "any": [
                {"all": [rule("languageCode", "in", ["en"]), rule("tags", "contains", "vip")]},
                rule("attributes.city", "eq", "Rome"),
            ]
        },
        lambda p: (p.lang == "en" and "vip" in p.tags) or p.attrs["city"] == "Rome",
        4,
    ),
    (
        {
            "all": [
                {"any": [rule("languageCode", "eq", "de"), rule("languageCode", "eq", "ru")]},
                {"any": [rule("tags", "contains", "beta"), rule("attributes.age", "gt", 50)]},
            ]
        },
        lambda p: p.lang in ("de", "ru") and ("beta" in p.tags or (age(p) or 0) > 50),
        2,
    ),
    # Rules never bring back subscribers who are not active.
    ({"any": [rule("status", "eq", "unsubscribed")]}, lambda p: p.status == "unsubscribed", 0),
]


async def test_rule_counts_match_the_data(api, auth, people):
    for rules, predicate, by_hand in RULE_CASES:
        assert expected(predicate) == by_hand, rules  # the table itself is consistent
        assert await count_of_rules(api, auth, rules) == by_hand, rules


async def test_count_follows_status_changes_and_deletions(api, auth, core, people):
    segment = await create(
        api, auth, {"name": "vip", "rules": {"all": [rule("tags", "contains", "vip")]}}
    )
    assert await count(api, auth, segment["id"]) == 4  # 1, 2, 4, 5
    await set_status(core, [people[1]], "unsubscribed")
    assert await count(api, auth, segment["id"]) == 3
    await set_status(core, [people[6]], "active")
    assert await count(api, auth, segment["id"]) == 4
    response = await api.delete(f"{SUBSCRIBERS}/{people[2]}", headers=auth)
    assert response.status == 200
    assert await count(api, auth, segment["id"]) == 3


async def test_created_at_within_and_older_than(api, auth, clock):
    now = datetime.now(UTC)
    clock.set(now - timedelta(hours=48))
    old = [{"telegramId": n, "firstName": "Old"} for n in (1, 2)]
    response = await api.post(SUBSCRIBERS, json={"subscribers": old}, headers=auth)
    assert response.status == 200
    clock.set(now - timedelta(hours=1))
    new = [{"telegramId": n, "firstName": "New"} for n in (3, 4, 5)]
    response = await api.post(SUBSCRIBERS, json={"subscribers": new}, headers=auth)
    assert response.status == 200
    clock.set(now)

    within = await create(
        api, auth, {"name": "recent", "rules": {"all": [rule("createdAt", "within", "24h")]}}
    )
    assert await count(api, auth, within["id"]) == 3
    assert await count_of_rules(api, auth, {"all": [rule("createdAt", "olderThan", "24h")]}) == 2
    assert await count_of_rules(api, auth, {"all": [rule("createdAt", "within", "3d")]}) == 5
    assert await count_of_rules(api, auth, {"all": [rule("createdAt", "within", "30m")]}) == 0
    since = (now - timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert await count_of_rules(api, auth, {"all": [rule("createdAt", "gte", since)]}) == 3

    # `within` is relative to the time of counting, not of saving the segment.
    clock.set(now + timedelta(hours=30))
    assert await count(api, auth, within["id"]) == 0


# --- static segments -----------------------------------------------------------------------


async def test_static_segment_counts_its_active_members(api, auth, people):
    members = [people[1], people[4], people[6], people[7]]  # 6 unsubscribed, 7 blocked
    segment = await create(api, auth, {"name": "hand-picked", "members": members})
    assert segment["type"] == "static"
    assert segment["rules"] is None
    assert await count(api, auth, segment["id"]) == 2

    response = await api.delete(f"{SUBSCRIBERS}/{people[1]}", headers=auth)
    assert response.status == 200
    assert await count(api, auth, segment["id"]) == 1


async def test_static_segment_refuses_unknown_subscribers(api, auth, people):
    response = await api.post(
        BASE, json={"name": "s", "members": [people[2], "sub_987654"]}, headers=auth
    )
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "SUBSCRIBER_NOT_FOUND"
    assert [d["field"] for d in error["details"]] == ["members[1]"]


async def test_static_members_must_be_subscriber_ids(api, auth, people):
    response = await api.post(
        BASE, json={"name": "s", "members": [people[1], "camp_1", "bob"]}, headers=auth
    )
    assert response.status == 400
    body = await response.json()
    assert {d["field"] for d in body["error"]["details"]} == {"members[1]", "members[2]"}
    listed = await (await api.get(BASE, headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 0


async def test_inconsistent_segment_bodies_are_refused(api, auth):
    active = {"all": [rule("status", "eq", "active")]}
    bodies: list[tuple[dict[str, Any], set[str]]] = [
        ({"name": "dynamic without rules"}, {"body"}),
        ({"name": "s", "type": "static", "rules": active}, {"body"}),
        ({"name": "", "rules": active}, {"name"}),
        ({"name": "s", "type": "smart", "rules": active}, {"type"}),
        ({"name": "s", "rules": active, "colour": "red"}, {"colour"}),
        ({"name": "s", "rules": "status is active"}, {"rules"}),
    ]
    for body, fields in bodies:
        response = await api.post(BASE, json=body, headers=auth)
        assert response.status == 400, body
        payload = await response.json()
        assert payload["success"] is False
        assert payload["error"]["code"] == "VALIDATION_ERROR", body
        assert {d["field"] for d in payload["error"]["details"]} == fields, body
    listed = await (await api.get(BASE, headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 0


# --- invalid rules -------------------------------------------------------------------------

INVALID_RULES: list[tuple[dict[str, Any], set[str]]] = [
    ({"all": [rule("shoeSize", "eq", 42)]}, {"rules.all[0].field"}),
    ({"all": [rule("attributes.9lives", "eq", 1)]}, {"rules.all[0].field"}),
    ({"all": [rule("languageCode", "gt", "en")]}, {"rules.all[0].op"}),
    ({"all": [rule("tags", "eq", "vip")]}, {"rules.all[0].op"}),
    ({"all": [rule("createdAt", "eq", "2024-01-01T00:00:00Z")]}, {"rules.all[0].op"}),
    ({"all": [rule("telegramId", "startsWith", "1")]}, {"rules.all[0].op"}),
    ({"all": [rule("languageCode", "eq", 5)]}, {"rules.all[0].value"}),
    ({"all": [rule("telegramId", "eq", "abc")]}, {"rules.all[0].value"}),
    ({"all": [rule("telegramId", "eq", True)]}, {"rules.all[0].value"}),
    ({"all": [rule("languageCode", "in", "en")]}, {"rules.all[0].value"}),
    ({"all": [rule("tags", "contains", 7)]}, {"rules.all[0].value"}),
    ({"all": [rule("createdAt", "within", "yesterday")]}, {"rules.all[0].value"}),
    ({"all": [rule("createdAt", "gt", "2024-01-01T00:00:00")]}, {"rules.all[0].value"}),
    ({"all": [rule("attributes.age", "between", [1])]}, {"rules.all[0].value"}),
    ({"all": []}, {"rules.all"}),
    ({"all": [{"field": "firstName"}]}, {"rules.all[0]"}),
    ({"all": [rule("firstName", "eq", "A")], "any": [rule("firstName", "eq", "B")]}, {"rules"}),
    (
        {
            "any": [
                rule("languageCode", "eq", "en"),
                {"all": [rule("nope", "eq", 1), rule("languageCode", "gt", 1)]},
            ]
        },
        {"rules.any[1].all[0].field", "rules.any[1].all[1].op"},
    ),
]


async def test_invalid_rules_are_400_naming_each_path(api, auth):
    for rules, fields in INVALID_RULES:
        response = await api.post(BASE, json={"name": "bad", "rules": rules}, headers=auth)
        assert response.status == 400, rules
        body = await response.json()
        assert body["success"] is False
        assert body["error"]["code"] == "VALIDATION_ERROR", rules
        assert {d["field"] for d in body["error"]["details"]} == fields, rules
    listed = await (await api.get(BASE, headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 0


@pytest.mark.parametrize(
    "bad_rule",
    [
        rule("telegramId", "between", ["a", "b"]),
        rule("attributes.age", "contains", 5),
        rule("attributes.score", "between", [{"a": 1}, 2]),
    ],
)
async def test_wrong_value_types_the_database_cannot_compare_are_refused(api, auth, bad_rule):
    response = await api.post(
        BASE, json={"name": "bad", "rules": {"all": [bad_rule]}}, headers=auth
    )
    assert response.status == 400
    body = await response.json()
    fields = {d["field"] for d in body["error"]["details"]}
    assert fields <= {"rules.all[0].op", "rules.all[0].value"} and fields


async def test_nesting_depth_limit(api, auth):
    def nest(groups: int) -> dict[str, Any]:
        node: dict[str, Any] = rule("languageCode", "eq", "en")
        for _ in range(groups):
            node = {"all": [node]}
        return node

    response = await api.post(BASE, json={"name": "deep", "rules": nest(MAX_DEPTH)}, headers=auth)
    assert response.status == 201

    response = await api.post(
        BASE, json={"name": "too deep", "rules": nest(MAX_DEPTH + 1)}, headers=auth
    )
    assert response.status == 400
    body = await response.json()
    [detail] = body["error"]["details"]
    assert detail["field"] == "rules" + ".all[0]" * (MAX_DEPTH + 1)
    assert "deeper" in detail["message"]

    response = await api.post(BASE, json={"name": "abyss", "rules": nest(200)}, headers=auth)
    assert response.status == 400


async def test_numeric_attribute_rule_survives_non_numeric_data(api, auth, backend, request):
    batch = [
        {"telegramId": 1, "attributes": {"age": 30}},
        {"telegramId": 2, "attributes": {"age": 50}},
        {"telegramId": 3, "attributes": {"age": "unknown"}},
        {"telegramId": 4, "attributes": {}},
    ]
    response = await api.post(SUBSCRIBERS, json={"subscribers": batch}, headers=auth)
    assert response.status == 200
    assert await count_of_rules(api, auth, {"all": [rule("attributes.age", "gt", 40)]}) == 1


async def test_mixed_type_in_list_is_refused_or_counted(api, auth, backend, request):
    batch = [
        {"telegramId": 1, "attributes": {"city": "Paris"}},
        {"telegramId": 2, "attributes": {"city": "Rome"}},
    ]
    response = await api.post(SUBSCRIBERS, json={"subscribers": batch}, headers=auth)
    assert response.status == 200
    rules = {"all": [rule("attributes.city", "in", ["Paris", 5])]}
    response = await api.post(BASE, json={"name": "mixed", "rules": rules}, headers=auth)
    if response.status == 400:  # refusing mixed lists is an acceptable fix
        body = await response.json()
        assert {d["field"] for d in body["error"]["details"]} == {"rules.all[0].value"}
        return
    assert response.status == 201
    assert await count(api, auth, (await response.json())["data"]["id"]) == 1


# --- PUT, DELETE, list ---------------------------------------------------------------------


async def test_put_replaces_the_definition(api, auth, people):
    segment = await create(
        api,
        auth,
        {
            "name": "en",
            "description": "English",
            "rules": {"all": [rule("languageCode", "eq", "en")]},
        },
    )
    assert await count(api, auth, segment["id"]) == 4  # 1, 2, 3, 5

    new_rules = {"all": [rule("attributes.city", "eq", "Rome")]}
    response = await api.put(
        f"{BASE}/{segment['id']}", json={"name": "rome", "rules": new_rules}, headers=auth
    )
    assert response.status == 200
    data = (await response.json())["data"]
    assert data["id"] == segment["id"]
    assert (data["name"], data["description"], data["rules"]) == ("rome", None, new_rules)
    assert data["createdAt"] == segment["createdAt"]
    assert await count(api, auth, segment["id"]) == 2  # 2, 8

    # Dynamic -> static.
    response = await api.put(
        f"{BASE}/{segment['id']}", json={"name": "picked", "members": [people[3]]}, headers=auth
    )
    assert response.status == 200
    data = (await response.json())["data"]
    assert (data["type"], data["rules"]) == ("static", None)
    assert await count(api, auth, segment["id"]) == 1

    # Static members are replaced, not added to.
    response = await api.put(
        f"{BASE}/{segment['id']}",
        json={"name": "picked", "members": [people[4], people[5]]},
        headers=auth,
    )
    assert response.status == 200
    assert await count(api, auth, segment["id"]) == 2

    # An invalid replacement changes nothing.
    response = await api.put(
        f"{BASE}/{segment['id']}",
        json={"name": "broken", "rules": {"all": [rule("shoeSize", "eq", 1)]}},
        headers=auth,
    )
    assert response.status == 400
    body = await response.json()
    assert {d["field"] for d in body["error"]["details"]} == {"rules.all[0].field"}
    current = await (await api.get(f"{BASE}/{segment['id']}", headers=auth)).json()
    assert (current["data"]["name"], current["data"]["type"]) == ("picked", "static")
    assert await count(api, auth, segment["id"]) == 2

    response = await api.put(
        f"{BASE}/seg_987654", json={"name": "x", "rules": new_rules}, headers=auth
    )
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "SEGMENT_NOT_FOUND"


async def test_delete_segment(api, auth):
    keep = await create(
        api, auth, {"name": "keep", "rules": {"all": [rule("status", "eq", "active")]}}
    )
    gone = await create(api, auth, {"name": "gone", "members": []})
    response = await api.delete(f"{BASE}/{gone['id']}", headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True and isinstance(body["data"]["message"], str)

    for method, url in (
        ("get", f"{BASE}/{gone['id']}"),
        ("get", f"{BASE}/{gone['id']}/count"),
        ("delete", f"{BASE}/{gone['id']}"),
        ("get", f"{BASE}/not-an-id"),
        ("get", f"{BASE}/seg_"),
        ("get", f"{BASE}/sub_1"),
    ):
        response = await getattr(api, method)(url, headers=auth)
        assert response.status == 404, url
        assert (await response.json())["error"]["code"] == "SEGMENT_NOT_FOUND", url

    listed = await (await api.get(BASE, headers=auth)).json()
    assert [s["id"] for s in listed["data"]["segments"]] == [keep["id"]]


async def test_list_shape_and_paging(api, auth):
    made = []
    for n in range(5):
        made.append(
            await create(
                api, auth, {"name": f"seg {n}", "rules": {"all": [rule("status", "eq", "active")]}}
            )
        )
    response = await api.get(f"{BASE}?limit=2", headers=auth)
    assert response.status == 200
    body = await response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"segments", "pagination"}
    assert body["data"]["pagination"] == {"page": 1, "limit": 2, "total": 5, "pages": 3}
    first = body["data"]["segments"]
    assert [s["name"] for s in first] == ["seg 4", "seg 3"]  # newest first
    assert set(first[0]) >= {"id", "name", "description", "type", "rules", "createdAt"}

    seen = [s["id"] for s in first]
    for page in (2, 3):
        body = await (await api.get(f"{BASE}?limit=2&page={page}", headers=auth)).json()
        seen += [s["id"] for s in body["data"]["segments"]]
    assert sorted(seen) == sorted(s["id"] for s in made)

    body = await (await api.get(BASE, headers=auth)).json()
    assert body["data"]["pagination"] == {"page": 1, "limit": 20, "total": 5, "pages": 1}

    for query in ("limit=101", "page=0", "limit=x"):
        response = await api.get(f"{BASE}?{query}", headers=auth)
        assert response.status == 400, query
        assert (await response.json())["error"]["code"] == "VALIDATION_ERROR"


# --- campaigns that target segments --------------------------------------------------------


async def campaign_total(api, auth, campaign_id: str) -> int:
    response = await api.get(f"{CAMPAIGNS}/{campaign_id}", headers=auth)
    body = await response.json()
    assert response.status == 200, body
    return int(body["data"]["targetAudience"]["totalCount"])


async def new_campaign(api, auth, segments: list[str]) -> dict[str, Any]:
    response = await api.post(
        CAMPAIGNS,
        json={"name": "Targeted", "type": "message", "targetAudience": {"segments": segments}},
        headers=auth,
    )
    body = await response.json()
    assert response.status == 201, body
    return body["data"]


async def test_campaign_total_count_equals_segment_count(api, auth, core, people):
    rules = {"all": [rule("languageCode", "in", ["en"]), rule("tags", "contains", "vip")]}
    segment = await create(api, auth, {"name": "en vip", "rules": rules})
    campaign = await new_campaign(api, auth, [segment["id"]])
    seg_count = await count(api, auth, segment["id"])
    assert seg_count == 3

    response = await api.get(f"{CAMPAIGNS}/{campaign['id']}", headers=auth)
    data = (await response.json())["data"]
    assert data["targetAudience"]["segments"] == [segment["id"]]
    assert data["targetAudience"]["totalCount"] == seg_count

    # The count is live.
    await set_status(core, [people[2]], "blocked")
    assert await count(api, auth, segment["id"]) == 2
    assert await campaign_total(api, auth, campaign["id"]) == 2


async def test_campaign_over_several_segments_counts_each_subscriber_once(api, auth, people):
    vip = await create(
        api,
        auth,
        {
            "name": "en vip",
            "rules": {"all": [rule("languageCode", "eq", "en"), rule("tags", "contains", "vip")]},
        },
    )
    picked = await create(
        api, auth, {"name": "picked", "members": [people[1], people[3], people[6]]}
    )
    campaign = await new_campaign(api, auth, [vip["id"], picked["id"]])
    # {1, 2, 5} ∪ {1, 3} (6 is unsubscribed)
    assert await campaign_total(api, auth, campaign["id"]) == 4


async def test_campaign_without_segments_targets_every_active_subscriber(api, auth, people):
    campaign = await new_campaign(api, auth, [])
    assert await campaign_total(api, auth, campaign["id"]) == 6


async def test_campaign_with_unknown_segment_is_400(api, auth):
    real = await create(api, auth, {"name": "real", "members": []})
    for segments, field in (
        (["seg_987654"], "targetAudience.segments[0]"),
        (["bogus"], "targetAudience.segments[0]"),
        ([real["id"], "seg_987654"], "targetAudience.segments[1]"),
    ):
        response = await api.post(
            CAMPAIGNS,
            json={"name": "c", "targetAudience": {"segments": segments}},
            headers=auth,
        )
        assert response.status == 400, segments
        body = await response.json()
        assert body["success"] is False
        assert {d["field"] for d in body["error"]["details"]} == {field}, segments
    listed = await (await api.get(CAMPAIGNS, headers=auth)).json()
    assert listed["data"]["pagination"]["total"] == 0


async def test_campaign_stays_readable_after_its_segment_is_deleted(api, auth, people):
    segment = await create(api, auth, {"name": "picked", "members": [people[1]]})
    campaign = await new_campaign(api, auth, [segment["id"]])
    response = await api.delete(f"{BASE}/{segment['id']}", headers=auth)
    assert response.status == 200
    response = await api.get(f"{CAMPAIGNS}/{campaign['id']}", headers=auth)
    assert response.status == 200
