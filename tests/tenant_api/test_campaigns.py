"""The tenant Campaigns API as an integrator written against tenant-campaigns-api.md sees it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.tenant_api.conftest import BASE, created, segment, subscribe

LATER = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
LATER_TEXT = LATER.isoformat().replace("+00:00", "Z")


async def test_the_documents_create_example_is_refused_plainly_for_email_and_sms(
    api, auth, tenant_id
):
    body = {
        "tenantId": tenant_id,
        "clubId": "club_456",
        "name": "December Newsletter",
        "description": "Monthly member newsletter",
        "type": "ONE_TIME",
        "segmentId": "segment_123",
        "channels": ["EMAIL", "SMS"],
        "emailTemplateId": "template_email_123",
        "smsTemplateId": "template_sms_456",
        "timezone": "Africa/Johannesburg",
    }
    response = await api.post(BASE, json=body, headers=auth)
    error = await response.json()
    assert response.status == 400
    assert error["statusCode"] == 400 and error["error"] == "Bad Request"
    assert any("EMAIL is not available" in line for line in error["message"])


async def test_a_telegram_campaign_is_created_read_and_listed_in_the_documents_shape(
    api, auth, tenant_id
):
    members = await subscribe(api, auth, [1001, 1002])
    golfers = await segment(api, auth, "Active Golfers", members)
    body = {
        "tenantId": tenant_id, "clubId": "club_456", "name": "Summer Tournament Promo",
        "description": "Promotion for upcoming summer tournament", "type": "ONE_TIME",
        "segmentId": golfers, "content": "Tee off at nine!", "timezone": "Africa/Johannesburg",
    }  # fmt: skip
    campaign = await created(api, auth, body)

    assert campaign["id"].startswith("camp_") and campaign["tenantId"] == tenant_id
    assert campaign["status"] == "DRAFT" and campaign["type"] == "ONE_TIME"
    assert campaign["channels"] == ["TELEGRAM"] and campaign["clubId"] == "club_456"
    assert campaign["segmentId"] == golfers and campaign["segmentName"] == "Active Golfers"
    assert campaign["targetCount"] == 2 and campaign["sentCount"] == 0
    assert campaign["openedCount"] is None and campaign["openRate"] is None
    assert campaign["timezone"] == "Africa/Johannesburg"
    fetched = await (await api.get(f"{BASE}/{campaign['id']}", headers=auth)).json()
    assert fetched == campaign

    listed = await api.get(BASE, params={"tenantId": tenant_id, "clubId": "club_456"}, headers=auth)
    data = (await listed.json())["data"]
    assert [c["id"] for c in data] == [campaign["id"]]
    assert set(data[0]) >= {"id", "name", "type", "status", "channels", "segmentId",
                            "scheduledAt", "targetCount", "sentCount", "openRate", "createdAt"}  # fmt: skip
    other_club = await api.get(BASE, params={"tenantId": tenant_id, "clubId": "x"}, headers=auth)
    assert (await other_club.json())["data"] == []
    drafts = await api.get(BASE, params={"tenantId": tenant_id, "status": "DRAFT"}, headers=auth)
    assert len((await drafts.json())["data"]) == 1


async def test_tenant_id_is_required_and_must_be_the_keys_own(api, auth, other_auth, tenant_id):
    missing = await api.get(BASE, headers=auth)
    assert missing.status == 400
    assert any("tenantId" in line for line in (await missing.json())["message"])
    for foreign in ("tenant_999999", "no-such-tenant"):
        refused = await api.get(BASE, params={"tenantId": foreign}, headers=auth)
        body = await refused.json()
        assert refused.status == 403 and body["error"] == "Forbidden"
        assert body["message"] == f"This API key belongs to {tenant_id}, not to {foreign}."
    # The other tenant's key naming this tenant is refused the same way.
    crossed = await api.get(BASE, params={"tenantId": tenant_id}, headers=other_auth)
    assert crossed.status == 403


async def test_patch_changes_a_draft_and_refuses_a_new_segment_once_scheduled(api, auth, tenant_id):
    members = await subscribe(api, auth, [2001])
    first = await segment(api, auth, "A", members)
    target = await segment(api, auth, "B", members)
    campaign = await created(
        api, auth, {"tenantId": tenant_id, "name": "Old", "content": "Hi", "segmentId": first}
    )
    url = f"{BASE}/{campaign['id']}"
    example = {"name": "Updated Campaign Name", "description": "Updated description",
               "segmentId": target}  # fmt: skip
    patched = await api.patch(url, json=example, headers=auth)
    shown = await patched.json()
    assert patched.status == 200, shown
    assert (shown["name"], shown["description"], shown["segmentId"]) == (
        "Updated Campaign Name", "Updated description", target
    )  # fmt: skip

    scheduled = await api.post(f"{url}/schedule", json={"scheduledAt": LATER_TEXT}, headers=auth)
    answer = await scheduled.json()
    assert scheduled.status == 200, answer
    assert answer == {"id": campaign["id"], "status": "SCHEDULED", "scheduledAt": LATER_TEXT,
                      "targetCount": 1}  # fmt: skip
    refused = await api.patch(url, json={"segmentId": target}, headers=auth)
    assert refused.status == 409
    error = await refused.json()
    assert error["message"] == "Only DRAFT campaigns can have their segment or templates changed."
    renamed = await api.patch(url, json={"name": "Still fine"}, headers=auth)
    assert renamed.status == 200 and (await renamed.json())["status"] == "SCHEDULED"


async def test_the_transition_table_holds_with_409s_outside_it(api, auth, tenant_id):
    await subscribe(api, auth, [3001])
    campaign = await created(api, auth, {"tenantId": tenant_id, "name": "T", "content": "Hi"})
    url = f"{BASE}/{campaign['id']}"
    for move in ("pause", "resume", "cancel"):  # none of them from DRAFT
        response = await api.post(f"{url}/{move}", headers=auth)
        error = await response.json()
        assert response.status == 409, move
        assert error["statusCode"] == 409 and error["error"] == "Conflict"
        assert "DRAFT" in error["message"]
    await api.post(f"{url}/schedule", json={"scheduledAt": LATER_TEXT}, headers=auth)
    again = await api.post(f"{url}/execute", headers=auth)
    assert again.status == 409  # SCHEDULED -> ACTIVE is automatic at the time, not a request
    cancelled = await api.post(f"{url}/cancel", headers=auth)
    answer = await cancelled.json()
    assert cancelled.status == 200, answer
    assert answer["status"] == "CANCELLED" and answer["sentCount"] == 0
    assert answer["cancelledAt"].endswith("Z")


async def test_recurring_and_triggered_campaigns_are_real_schedules(api, auth, tenant_id):
    recurring = await created(
        api, auth,
        {"tenantId": tenant_id, "name": "Weekly", "type": "RECURRING", "content": "Hi",
         "schedule": {"frequency": "weekly", "dayOfWeek": 1, "time": "09:00",
                      "timezone": "Africa/Johannesburg"}},
    )  # fmt: skip
    triggered = await created(
        api, auth,
        {"tenantId": tenant_id, "name": "Upgrade", "type": "TRIGGERED", "content": "Congrats",
         "triggerEvent": "scl.member.tier.changed", "triggerConditions": {"reason": "upgrade"}},
    )  # fmt: skip
    assert recurring["type"] == "RECURRING"
    assert recurring["schedule"] == {"frequency": "weekly", "dayOfWeek": 1, "time": "09:00",
                                     "timezone": "Africa/Johannesburg"}  # fmt: skip
    assert triggered["type"] == "TRIGGERED"
    assert triggered["triggerEvent"] == "scl.member.tier.changed"
    assert triggered["triggerConditions"] == {"reason": "upgrade"}

    schedules = await (await api.get("/api/v1/scheduled-campaigns", headers=auth)).json()
    kinds = {s["campaignId"]: s["type"] for s in schedules["data"]}
    assert kinds == {recurring["id"]: "recurring", triggered["id"]: "trigger-based"}
    by_type = {}
    for kind in ("ONE_TIME", "RECURRING", "TRIGGERED", "JOURNEY"):
        query = {"tenantId": tenant_id, "type": kind}
        listed = await (await api.get(BASE, params=query, headers=auth)).json()
        by_type[kind] = [c["id"] for c in listed["data"]]
    assert by_type == {"ONE_TIME": [], "RECURRING": [recurring["id"]],
                       "TRIGGERED": [triggered["id"]], "JOURNEY": []}  # fmt: skip


async def test_journeys_and_unknown_ids_get_nestjs_errors(api, auth, tenant_id):
    journey = await api.post(
        BASE, json={"tenantId": tenant_id, "name": "J", "type": "JOURNEY"}, headers=auth
    )
    assert journey.status == 400
    assert any("Journeys API" in line for line in (await journey.json())["message"])
    unknown = await api.get(f"{BASE}/camp_987654", headers=auth)
    assert unknown.status == 404
    assert (await unknown.json())["error"] == "Not Found"
    anonymous = await api.get(BASE, params={"tenantId": tenant_id})
    body = await anonymous.json()
    assert anonymous.status == 401
    assert body["statusCode"] == 401 and body["error"] == "Unauthorized"
