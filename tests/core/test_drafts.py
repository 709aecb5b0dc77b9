"""The wizard's answers are checked by core, with the rules the REST API applies to the same fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import drafts
from core.drafts import Draft

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def test_a_name_is_trimmed_and_must_fit_200_characters():
    assert drafts.check_name("  Summer sale  ") == "Summer sale"
    for bad in ("   ", "x" * 201):
        with pytest.raises(ValueError, match="1 to 200"):
            drafts.check_name(bad)


def test_a_tag_is_trimmed_and_refused_when_longer_than_the_subscribers_api_allows():
    assert drafts.check_tag("  vip ") == "vip"
    assert drafts.check_tag("t" * 64) == "t" * 64
    with pytest.raises(ValueError, match="1 to 64"):
        drafts.check_tag("t" * 65)  # was silently cut to 64 before, targeting another tag


def test_buttons_are_one_link_per_line_or_none_at_all():
    assert drafts.parse_buttons("Shop | https://shop.example\nHelp | tg://resolve?domain=x") == [
        [{"text": "Shop", "url": "https://shop.example"}],
        [{"text": "Help", "url": "tg://resolve?domain=x"}],
    ]
    assert drafts.parse_buttons("skip") == [] == drafts.parse_buttons(" - ")
    with pytest.raises(ValueError, match="Line 2"):
        drafts.parse_buttons("Shop | https://shop.example\nHelp | ftp://files.example")
    with pytest.raises(ValueError, match="At most 10"):
        drafts.parse_buttons("\n".join(f"B{i} | https://e.example/{i}" for i in range(11)))


@pytest.mark.parametrize(("text", "share"), [("1", 1), ("50", 50), (" 99 ", 99)])
def test_a_variant_share_is_a_whole_percentage_below_100(text, share):
    assert drafts.check_weight(text) == share


@pytest.mark.parametrize("text", ["0", "100", "5.5", "-3", "", "٣"])
def test_any_other_share_is_refused(text):
    with pytest.raises(ValueError, match="1 to 99"):
        drafts.check_weight(text)


def test_a_local_time_becomes_a_utc_instant_in_the_future():
    at = drafts.parse_local("2026-06-02 09:30", "Europe/Berlin", NOW)
    assert at.astimezone(UTC) == datetime(2026, 6, 2, 7, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="has passed"):
        drafts.parse_local("2026-06-01 13:00", "Europe/Berlin", NOW)  # 11:00 UTC
    with pytest.raises(ValueError, match="not a valid date"):
        drafts.parse_local("2026-02-30 09:00", "UTC", NOW)
    with pytest.raises(ValueError, match="YYYY-MM-DD HH:MM"):
        drafts.parse_local("tomorrow at nine", "UTC", NOW)


def test_a_time_of_day_is_daily_or_names_its_weekday():
    assert drafts.parse_time_of_day("9:05") == ("09:05", None)
    assert drafts.parse_time_of_day("Mon 18:00") == ("18:00", 1)
    assert drafts.parse_time_of_day("sunday 07:00") == ("07:00", 0)
    for bad in ("24:00", "mon", "funday 09:00", "09:60"):
        with pytest.raises(ValueError, match="09:30"):
            drafts.parse_time_of_day(bad)


def test_the_chosen_audience_becomes_the_campaigns_target():
    assert drafts.target_of(Draft()) is None
    assert drafts.target_of(Draft(audience_kind="segment", audience_value="seg_3")) == {
        "segments": ["seg_3"]
    }
    assert drafts.target_of(Draft(audience_kind="tag", audience_value="vip")) == {
        "filters": {"all": [{"field": "tags", "op": "contains", "value": "vip"}]}
    }


def test_only_the_offered_timings_are_accepted():
    assert [drafts.check_when(w) for w in ("now", "at", "daily", "weekly", "draft")] == [
        "now", "at", "daily", "weekly", "draft",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="buttons"):
        drafts.check_when("yesterday")  # a forged button value
