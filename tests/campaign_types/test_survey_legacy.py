"""A data_collection campaign without a valid survey (e.g. NULL settings stored before
migration 0018): statistics, responses and the bot's chart answer without a 500."""

from __future__ import annotations

from sqlalchemy import update

from core.bot_chats import type_figures
from core.ids import parse_id
from storage.models import Campaign


async def a_survey_without_settings(api, auth, core) -> str:
    body = {
        "name": "Old survey",
        "type": "data_collection",
        "messages": [{"content": "Hi"}],
        "settings": {"questions": [{"key": "why", "text": "Why?", "type": "text"}]},
    }
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status in (200, 201), await response.text()
    public_id = (await response.json())["data"]["id"]
    async with core.uow() as uow:  # as a campaign created before the settings column
        await uow.session.execute(
            update(Campaign)
            .where(Campaign.id == parse_id("campaign", public_id))
            .values(settings=None)
        )
    return public_id


async def test_statistics_omit_the_figures_of_a_survey_without_questions(api, auth, core):
    cid = await a_survey_without_settings(api, auth, core)
    response = await api.get(
        f"/api/v1/campaigns/{cid}/statistics?metrics=type,overview", headers=auth
    )
    assert response.status == 200, await response.text()
    data = (await response.json())["data"]
    assert data.get("typeStatistics") is None and "overview" in data


async def test_responses_of_a_survey_without_questions_are_not_a_survey(api, auth, core):
    cid = await a_survey_without_settings(api, auth, core)
    for query in ("", "?format=csv"):
        response = await api.get(f"/api/v1/campaigns/{cid}/responses{query}", headers=auth)
        assert response.status == 409, await response.text()
        assert (await response.json())["error"]["code"] == "NOT_A_SURVEY"


async def test_the_bot_chart_of_a_survey_without_questions_has_no_answers(api, auth, core):
    cid = await a_survey_without_settings(api, auth, core)
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, parse_id("campaign", cid))
        assert campaign is not None
        assert await type_figures(uow, campaign) is None
