"""Text: NUL and other control characters in names and search terms are a 400 (PostgreSQL
refuses NUL in text, so nothing containing one is ever stored), and whatever a user types
into a search box (FTS5 syntax included) answers 200, never 500."""

from __future__ import annotations

import urllib.parse

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.bad_input import (
    CAMPAIGNS,
    SEGMENTS,
    SUBSCRIBERS,
    TEMPLATES,
    everything_still_reads,
    new_campaign,
    new_subscriber,
    refused,
    send,
)

FTS5_SYNTAX = ['"', '""', '"abc', "*", "abc*", "NEAR(abc def)", "a - b", "-abc", "^abc", "(((",
               "abc)", "AND OR NOT", "abc:def", "{abc}", "'; DROP TABLE campaigns; --", "%_\\",
               "日本語のテキスト", "😀😀😀", "\u200b\u200b\u200b", "İstanbul", "ǅǅǅ", "x" * 200]  # fmt: skip


async def test_nul_and_control_characters_in_names_are_refused(api, auth):
    cid = await new_campaign(api, auth)
    for bad in ("Sale\x00", "Sale\x07", "Line\nbreak", "\x1b[31mred"):
        await refused(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", {"name": bad}, "name")
        await refused(api, auth, "POST", SEGMENTS, {"name": bad, "members": []}, "name")
        await refused(api, auth, "POST", TEMPLATES, {"name": bad, "content": "Hi"}, "name")
        await refused(
            api, auth, "POST", SUBSCRIBERS, {"telegramId": 5, "firstName": bad}, "firstName"
        )
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}")


async def test_nul_anywhere_in_a_stored_string_is_refused_first(api, auth):
    cid = await new_campaign(api, auth)
    cases = [
        (f"{CAMPAIGNS}/{cid}", {"description": "a\x00b"}, "description"),
        (
            f"{CAMPAIGNS}/{cid}",
            {"targetAudience": {"filters": {"city": "Par\x00is"}}},
            "targetAudience.filters.city",
        ),
        (f"{CAMPAIGNS}/{cid}", {"messages": [{"content": "Hi\x00"}]}, "messages[0].content"),
        (SUBSCRIBERS, {"telegramId": 5, "attributes": {"k\x00": 1}}, "attributes.k\x00"),
    ]
    for path, body, field in cases:
        method = "POST" if path == SUBSCRIBERS else "PATCH"
        error = await refused(api, auth, method, path, body, field)
        assert "NUL" in error["details"][0]["message"]
    await everything_still_reads(api, auth, f"{CAMPAIGNS}/{cid}")


async def test_multi_line_text_keeps_newlines_and_tabs(api, auth):
    cid = await new_campaign(api, auth)
    body = {"description": "Line one\n\tLine two", "messages": [{"content": "Hi\nthere"}]}
    status, answer = await send(api, auth, "PATCH", f"{CAMPAIGNS}/{cid}", body)
    assert status == 200, answer
    assert answer["data"]["description"] == "Line one\n\tLine two"


async def test_control_characters_in_search_are_a_400(api, auth):
    for path in (CAMPAIGNS, SUBSCRIBERS):
        await refused(api, auth, "GET", f"{path}?search=abc%00", None, "search")
        await refused(api, auth, "GET", f"{path}?search=%07bell", None, "search")


async def test_fts5_syntax_in_search_is_searched_for_literally(api, auth):
    await new_campaign(api, auth, name='Say "NEAR(abc def)" -now*')
    await new_subscriber(api, auth, 42, firstName="日本語のテキスト")
    for term in FTS5_SYNTAX:
        quoted = urllib.parse.quote(term)
        for path in (CAMPAIGNS, SUBSCRIBERS):
            status, answer = await send(api, auth, "GET", f"{path}?search={quoted}")
            assert status == 200, (term, answer)
    status, found = await send(
        api, auth, "GET", f"{CAMPAIGNS}?search=" + urllib.parse.quote('"NEAR(abc')
    )
    assert [c["name"] for c in found["data"]["campaigns"]] == ['Say "NEAR(abc def)" -now*']


PRINTABLE = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(term=PRINTABLE)
async def test_any_printable_search_term_answers_200(api, auth, term):
    quoted = urllib.parse.quote(term)
    for path in (CAMPAIGNS, SUBSCRIBERS):
        response = await api.get(f"{path}?search={quoted}", headers=auth)
        assert response.status == 200, (term, await response.text())
