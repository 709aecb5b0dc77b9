"""Engagement settings, the policy's single send, and the draw: deterministic by seed, fair."""

from __future__ import annotations

from collections import Counter
from types import MappingProxyType

import pytest

from core.campaign_types.base import RunContext
from core.campaign_types.engagement import ContestButton, EngagementPolicy
from core.campaign_types.registry import policy_for
from core.campaign_types.settings import settings_for
from core.contest_draws import pick_winners
from core.errors import ValidationFailed

QUESTION = {"key": "q1", "question": "2 + 2?", "options": ["3", "4"], "correctOption": 1}


def fields(raw: dict) -> set[str]:
    """The `settings.<field>` names a bad engagement settings object is refused with."""
    with pytest.raises(ValidationFailed) as caught:
        settings_for("engagement", raw)
    return {detail["field"] for detail in caught.value.details}


def test_the_engagement_type_has_its_own_policy():
    assert isinstance(policy_for("engagement"), EngagementPolicy)


def test_no_settings_make_a_challenge():
    assert settings_for("engagement", None) == {"mode": "challenge"}


def test_a_quiz_and_a_challenge_are_stored_camel_case():
    quiz = settings_for("engagement", {"mode": "quiz", "questions": [QUESTION]})
    assert quiz == {"mode": "quiz", "questions": [QUESTION]}
    challenge = settings_for(
        "engagement",
        {
            "mode": "challenge",
            "entryButtonText": "Count me in",
            "entryDeadline": "2030-01-01T12:00:00+02:00",
        },
    )
    assert challenge == {
        "mode": "challenge",
        "entryButtonText": "Count me in",
        "entryDeadline": "2030-01-01T10:00:00Z",
    }


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"mode": "lottery"}, "settings.mode"),
        ({"mode": "quiz"}, "settings"),  # a quiz needs questions
        ({"mode": "challenge", "questions": [QUESTION]}, "settings"),
        ({"mode": "quiz", "questions": [QUESTION, QUESTION]}, "settings"),  # duplicate keys
        ({"mode": "quiz", "questions": [{**QUESTION, "correctOption": 2}]}, "settings.questions[0]"),
        ({"mode": "quiz", "questions": [{**QUESTION, "options": ["only"]}]}, "settings.questions[0].options"),
        ({"mode": "quiz", "questions": [{**QUESTION, "options": ["x"] * 11}]}, "settings.questions[0].options"),
        ({"mode": "quiz", "questions": [{**QUESTION, "key": "_entry"}]}, "settings.questions[0].key"),
        ({"mode": "quiz", "questions": [{**QUESTION, "key": f"k{i}"} for i in range(11)]}, "settings.questions"),
        ({"mode": "challenge", "entryDeadline": "2030-01-01T12:00:00"}, "settings.entryDeadline"),
        ({"mode": "challenge", "surprise": 1}, "settings.surprise"),
    ],
)  # fmt: skip
def test_bad_settings_name_their_field(raw, field):
    assert field in fields(raw)


def test_contest_buttons_carry_the_delivery_and_an_enum_action():
    packed = ContestButton(delivery_id=12345678901, action="e").pack()
    assert packed == "ct:12345678901:e" and len(packed.encode()) <= 64
    assert ContestButton.unpack(packed).action == "e"


async def test_a_quiz_without_a_message_is_its_first_poll(bot, emu):
    user = await emu.create_user(first_name="Ann")
    settings = settings_for("engagement", {"mode": "quiz", "questions": [QUESTION]})
    policy = EngagementPolicy()
    content = policy.prepare([], 0, RunContext(settings=MappingProxyType(settings or {})))
    sent = await policy.send(bot, user.id, content, delivery_id=7, recipient=None, paid=False)
    [message] = emu.messages(user.id)
    poll = message.message["poll"]
    assert sent.message_id == message.message_id and sent.ref == poll["id"]
    assert (poll["type"], poll["is_anonymous"], poll["correct_option_id"]) == ("quiz", False, 1)


# The draw -------------------------------------------------------------------------------


def test_a_seed_always_draws_the_same_winners_whatever_the_input_order():
    ids = list(range(101, 141))
    first = pick_winners(ids, 5, "audit-2026")
    assert pick_winners(list(reversed(ids)), 5, "audit-2026") == first
    assert pick_winners(ids + ids[:3], 5, "audit-2026") == first  # duplicates do not weigh
    assert pick_winners(ids, 5, "audit-2027") != first
    assert len(set(first)) == 5 and set(first) <= set(ids)


def test_the_algorithm_is_pinned_so_anyone_can_rerun_it():
    # Ranked by sha256(f"{seed}:{id}"), smallest first: documented in engagement.md; a
    # change here breaks every published draw's reproduction.
    assert pick_winners([30, 10, 20, 40, 50], 2, "audit") == [10, 40]
    assert pick_winners([30, 10, 20, 40, 50], 5, "audit") == [10, 40, 20, 30, 50]


def test_more_winners_than_participants_draws_everyone():
    assert sorted(pick_winners([3, 1, 2], 10, "s")) == [1, 2, 3]


def test_every_participant_has_the_same_chance():
    # 3 of 10 over 3,000 fixed seeds: each id expected 900 times. Chi-square with 9 degrees
    # of freedom stays under 27.88 with probability 0.999 for a fair draw; the seeds are
    # fixed, so the test is deterministic.
    ids, picks, draws = list(range(1, 11)), 3, 3000
    counts = Counter(w for seed in range(draws) for w in pick_winners(ids, picks, f"s{seed}"))
    expected = draws * picks / len(ids)
    chi_square = sum((counts[i] - expected) ** 2 / expected for i in ids)
    assert chi_square < 27.88, counts
    # and the first drawn is uniform too (order matters for "first prize")
    firsts = Counter(pick_winners(ids, picks, f"s{seed}")[0] for seed in range(draws))
    expected_first = draws / len(ids)
    assert sum((firsts[i] - expected_first) ** 2 / expected_first for i in ids) < 27.88
