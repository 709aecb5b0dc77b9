"""Invitation campaigns' rules around the send: what may change when, what a run is refused
for, join requests of a paused or cancelled campaign, and joins counted once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.types import (
    Chat,
    ChatInviteLink,
    ChatMemberLeft,
    ChatMemberMember,
    ChatMemberUpdated,
    User,
)
from sqlalchemy import select, update

from bot.routers.invitations import member_joined
from core import campaign_commands
from core.context import Actor
from core.invitations import LinkUse, record_join
from core.models import CampaignUpdate
from storage.models import Campaign, Execution, Interaction
from tests.campaign_types import test_invitation_e2e as e2e
from tests.campaign_types.test_invitation_e2e import (
    BOT_ID,
    conversions,
    create,
    deliver,
    launch,
    links_by_user,
    open_link,
    subscribe,
)

# The e2e module's fixtures: a REST API with a bot, a group the bot may invite into, and the
# service's dispatcher.
tg_api, club, dispatcher = e2e.tg_api, e2e.club, e2e.dispatcher


async def stored(core, campaign_id: str) -> Campaign:
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, int(campaign_id.split("_")[1]))
        assert campaign is not None
        return campaign


async def set_columns(core, campaign_id: str, **values: Any) -> None:
    async with core.uow() as uow:
        await uow.session.execute(
            update(Campaign).where(Campaign.id == int(campaign_id.split("_")[1])).values(**values)
        )
        await uow.commit()


# Changing ----------------------------------------------------------------------------------


async def test_only_a_draft_may_change_its_type(tg_api, auth, core, emu, club):
    await subscribe(tg_api, auth, [u.id for u in await emu.create_users(1)])
    _, body = await create(tg_api, auth, settings={"targetChat": club.id})
    cid = body["data"]["id"]
    executed = await tg_api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert executed.status == 200
    response = await tg_api.patch(
        f"/api/v1/campaigns/{cid}", json={"type": "message"}, headers=auth
    )
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "INVALID_STATUS_TRANSITION"
    campaign = await stored(core, cid)
    assert (campaign.type, campaign.settings["targetChat"]) == ("invitation", club.id)

    _, draft = await create(tg_api, auth, settings={"targetChat": club.id})
    did = draft["data"]["id"]
    response = await tg_api.patch(
        f"/api/v1/campaigns/{did}", json={"type": "message"}, headers=auth
    )
    assert response.status == 200, await response.text()
    assert (await stored(core, did)).settings is None


async def test_the_telegram_check_comes_before_a_status_move(core, tenant, club):
    seen: list[str] = []
    async with core.uow() as uow:
        campaign = Campaign(
            tenant_id=tenant.id, name="Club", status="draft", type="invitation",
            messages=[e2e.MESSAGE], settings={"targetChat": club.id}, created_by="test",
        )  # fmt: skip
        uow.session.add(campaign)
        await uow.flush()

        async def access(type_: str, settings: Any) -> None:
            seen.append(campaign.status)

        change = CampaignUpdate.model_validate(
            {"settings": {"targetChat": club.id, "buttonText": "Enter"}, "status": "active"}
        )
        await campaign_commands.update(
            uow, Actor(tenant.id, "api"), campaign, change, access=access
        )
        assert campaign.status == "active"
    assert seen == ["draft"]


async def test_a_refused_target_chat_with_a_status_starts_nothing(tg_api, auth, core, emu, club):
    await subscribe(tg_api, auth, [u.id for u in await emu.create_users(1)])
    _, body = await create(tg_api, auth, settings={"targetChat": club.id})
    cid = body["data"]["id"]
    other = await emu.create_chat(type="supergroup", title="Not ours")
    response = await tg_api.patch(
        f"/api/v1/campaigns/{cid}",
        json={"settings": {"targetChat": other.id}, "status": "active"},
        headers=auth,
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "BOT_NOT_CHAT_ADMIN"
    assert (await stored(core, cid)).status == "draft"
    async with core.uow() as uow:
        assert (await uow.session.scalars(select(Execution))).all() == []


async def test_bad_settings_name_the_field_without_pydantics_branch_names(tg_api, auth):
    for target in (-1.5, [1], True):
        status, body = await create(tg_api, auth, settings={"targetChat": target})
        assert status == 400, body
        fields = {detail["field"] for detail in body["error"]["details"]}
        assert fields == {"settings.targetChat"}, target


# Running -----------------------------------------------------------------------------------


async def test_settings_stored_before_their_checks_are_refused_at_execute(
    tg_api, auth, core, emu, club
):
    await subscribe(tg_api, auth, [u.id for u in await emu.create_users(1)])
    _, body = await create(tg_api, auth, settings={"targetChat": club.id})
    cid = body["data"]["id"]
    await set_columns(core, cid, settings=None)  # an invitation stored before migration 0018
    response = await tg_api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert response.status == 409
    error = (await response.json())["error"]
    assert error["code"] == "CAMPAIGN_SETTINGS_INVALID"
    assert error["details"][0]["field"] == "settings.targetChat"
    assert (await stored(core, cid)).status == "draft"


async def test_an_invitation_past_its_end_date_does_not_start(tg_api, auth, core, clock, emu, club):
    await subscribe(tg_api, auth, [u.id for u in await emu.create_users(1)])
    ends = datetime.now(UTC) + timedelta(hours=1)
    _, body = await create(tg_api, auth, settings={"targetChat": club.id}, endDate=ends.isoformat())
    cid = body["data"]["id"]
    clock.set(ends + timedelta(minutes=1))
    response = await tg_api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "CAMPAIGN_ENDED"
    assert (await stored(core, cid)).status == "draft"


# Joining -----------------------------------------------------------------------------------


async def test_join_requests_are_approved_while_paused_and_declined_once_cancelled(
    tg_api, auth, core, emu, bot, club, dispatcher, make_engine
):
    paused_user, cancelled_user = await emu.create_users(2)
    await subscribe(tg_api, auth, [paused_user.id])
    first = await launch(
        tg_api, auth, core, make_engine, settings={"targetChat": club.id, "approval": True}
    )
    links = await links_by_user(core)
    await set_columns(core, first, status="paused")  # the invite was sent before the pause
    await open_link(emu, paused_user.id, links[paused_user.id])
    await deliver(emu, bot, dispatcher)
    assert paused_user.id in club.members
    (converted,) = await conversions(core)
    assert converted.details["viaJoinRequest"] is True

    await subscribe(tg_api, auth, [cancelled_user.id])
    await set_columns(core, first, status="cancelled")
    second = await launch(
        tg_api, auth, core, make_engine, settings={"targetChat": club.id, "approval": True}
    )
    link = (await links_by_user(core))[cancelled_user.id]
    await set_columns(core, second, status="cancelled")
    await open_link(emu, cancelled_user.id, link)
    await deliver(emu, bot, dispatcher)
    assert cancelled_user.id not in club.members
    assert (club.id, cancelled_user.id) not in emu.state.invites.requests  # declined


async def test_two_joins_through_one_link_at_once_are_counted_once(
    tg_api, auth, core, emu, club, make_engine
):
    (user,) = await emu.create_users(1)
    await subscribe(tg_api, auth, [user.id])
    cid = await launch(
        tg_api, auth, core, make_engine, settings={"targetChat": club.id, "approval": True}
    )
    (url,) = (await links_by_user(core)).values()
    inside = asyncio.Event()

    async def join(user_id: int) -> bool:
        async with core.uow() as uow:
            use = LinkUse(url=url, name=None, creator_id=BOT_ID, bot_id=BOT_ID, user_id=user_id)
            counted = await record_join(uow, use)
            inside.set()
            await asyncio.sleep(0.05)  # hold the transaction open while the other one tries
            await uow.commit()
            return counted

    results = await asyncio.gather(join(user.id), join(777))
    assert sorted(results) == [False, True]
    async with core.uow() as uow:
        rows = (await uow.session.scalars(select(Interaction))).all()
    assert [r.type for r in rows] == ["CONVERTED"]
    assert (await stored(core, cid)).converted_count == 1


async def test_a_join_through_a_join_request_link_says_so(
    tg_api, auth, core, emu, bot, club, make_engine
):
    (user,) = await emu.create_users(1)
    await subscribe(tg_api, auth, [user.id])
    await launch(
        tg_api, auth, core, make_engine, settings={"targetChat": club.id, "approval": True}
    )
    (url,) = (await links_by_user(core)).values()
    person = User(id=user.id, is_bot=False, first_name="U")
    joined = ChatMemberUpdated(
        chat=Chat(id=club.id, type="supergroup", title="Club"),
        from_user=person,
        date=datetime.now(UTC),
        old_chat_member=ChatMemberLeft(user=person),
        new_chat_member=ChatMemberMember(user=person),
        invite_link=ChatInviteLink(
            invite_link=url,
            creator=User(id=BOT_ID, is_bot=True, first_name="Bot"),
            creates_join_request=True,
            is_primary=False,
            is_revoked=False,
        ),
        via_join_request=None,  # Telegram sets it only for a request approved without a link
    )
    async with core.uow() as uow:
        await member_joined(joined, uow, bot)
    (converted,) = await conversions(core)
    assert converted.details["viaJoinRequest"] is True
