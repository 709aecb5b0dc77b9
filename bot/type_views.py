"""How each campaign type's settings and own figures read in the bot (HTML)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from html import escape
from typing import Any

from pydantic import BaseModel

from core.models import CampaignType

BAR = "▇"
BAR_WIDTH = 10  # the longest bar, in characters
MAX_QUESTION_LINES = 10  # a card is one message: at most 4096 characters
MAX_OPTION_LINES = 5  # options shown per question, the rest as "…"
MAX_LABEL = 32  # characters of an option's label shown
MAX_SECTION = 2000  # characters of the type's section, leaving the rest of the card room
ELLIPSIS = "…"
MAX_CHARTS = 6  # questions charted in one picture


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def settings_line(type_: CampaignType, settings: Mapping[str, Any]) -> str:
    """One sentence on what the type's settings make it do ("" for none)."""
    if type_ is CampaignType.INVITATION and "targetChat" in settings:
        how = "join requests the bot approves" if settings.get("approval") else "single-use links"
        return f"Invites to <code>{escape(str(settings['targetChat']))}</code> ({how})."
    if type_ is CampaignType.DATA_COLLECTION:
        return f"Survey of {_count(len(settings.get('questions') or []), 'question')}."
    if type_ is CampaignType.ENGAGEMENT and settings.get("mode") == "quiz":
        return f"Quiz of {_count(len(settings.get('questions') or []), 'question')}."
    if type_ is CampaignType.ENGAGEMENT and settings.get("mode") == "challenge":
        label = settings.get("entryButtonText") or "Enter"
        return f"Challenge: recipients press «{escape(str(label))}» to enter."
    if type_ is CampaignType.CUSTOM and settings.get("method"):
        return f"Each recipient gets a {escape(str(settings['method']))} call."
    return ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _bars(counts: Mapping[str, int]) -> list[str]:
    """Counts per option as text bars, as given; at most MAX_OPTION_LINES, labels clipped."""
    top = max(counts.values(), default=0)
    lines = []
    for option, count in list(counts.items())[:MAX_OPTION_LINES]:
        width = round(BAR_WIDTH * count / top) if top else 0
        lines.append(f"   {escape(_clip(option, MAX_LABEL))}: {BAR * width} {count}")
    if len(counts) > MAX_OPTION_LINES:
        lines.append(f"   {ELLIPSIS} {len(counts) - MAX_OPTION_LINES} more")
    return lines


def _fit(lines: list[str], limit: int) -> str:
    """The lines joined, whole lines only, ending in "…" when they exceed `limit`."""
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > limit - len(ELLIPSIS) - 1:
            kept.append(ELLIPSIS)
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


def _invitation(figures: dict[str, Any]) -> list[str]:
    return [
        f"🔗 Invited {figures.get('invited', 0)} · Joined {figures.get('joined', 0)} · "
        f"Join rate {figures.get('join_rate', 0):g}%"
    ]


def _survey(figures: dict[str, Any]) -> list[str]:
    lines = [
        f"📋 Started {figures.get('started', 0)} · Completed {figures.get('completed', 0)} "
        f"({figures.get('completion_rate', 0):g}%)"
    ]
    for question in (figures.get("questions") or [])[:MAX_QUESTION_LINES]:
        mean = f", mean {question['mean']:g}" if question.get("mean") is not None else ""
        lines.append(
            f"• {escape(str(question.get('key')))}: {question.get('answered', 0)} answered, "
            f"{question.get('skipped', 0)} skipped{mean}"
        )
        lines.extend(_bars(question.get("options") or {}))
    return lines


def _contest(figures: dict[str, Any]) -> list[str]:
    draws = f"Winners {figures.get('winners', 0)} ({_count(figures.get('draws', 0), 'draw')})"
    if figures.get("mode") == "challenge":
        return [f"🏁 Entries {figures.get('entries', 0)} · {draws}"]
    lines = [
        f"❓ Participants {figures.get('participants', 0)} · Completed "
        f"{figures.get('completed', 0)} · All correct {figures.get('all_correct', 0)} · {draws}"
    ]
    for question in (figures.get("questions") or [])[:MAX_QUESTION_LINES]:
        lines.append(
            f"• {escape(str(question.get('key')))}: {question.get('correct', 0)}/"
            f"{question.get('answers', 0)} correct ({question.get('correct_rate', 0):g}%)"
        )
    return lines


def _plain(figures: dict[str, Any]) -> list[str]:
    scalars = {k: v for k, v in figures.items() if isinstance(v, int | float | str)}
    return [" · ".join(f"{escape(k)} {escape(str(v))}" for k, v in scalars.items())]


def figures_text(type_: CampaignType | str, figures: BaseModel | None) -> str:
    """The type's own figures as card lines ("" when it has none)."""
    if figures is None:
        return ""
    data = figures.model_dump(mode="json")
    kind = CampaignType(type_)  # checked by type_section
    if kind is CampaignType.INVITATION:
        lines = _invitation(data)
    elif kind is CampaignType.DATA_COLLECTION:
        lines = _survey(data)
    elif kind is CampaignType.ENGAGEMENT:
        lines = _contest(data)
    else:
        lines = _plain(data)
    return "\n".join(line for line in lines if line)


def type_section(type_: CampaignType | str, settings: Mapping[str, Any] | None,
                 figures: BaseModel | None) -> str:  # fmt: skip
    """The card's lines about the type: what it does, then its own figures."""
    try:
        kind = CampaignType(type_)
    except ValueError:  # a type this version does not know
        return ""
    parts = [settings_line(kind, settings or {}), figures_text(kind, figures)]
    return _fit("\n".join(part for part in parts if part).split("\n"), MAX_SECTION)


def answers_chart(title: str, figures: BaseModel | None) -> bytes | None:
    """A survey's counts per option as bar charts (PNG), one per question with options; None
    when there are none. Draws with matplotlib: call from a worker thread, not the loop."""
    if figures is None:
        return None
    counted = [
        q for q in figures.model_dump(mode="json").get("questions") or [] if q.get("options")
    ]
    if not counted:
        return None
    # Imported here, as core/charts.py does: matplotlib costs a second at start-up.
    from matplotlib.figure import Figure

    shown = counted[:MAX_CHARTS]
    figure = Figure(figsize=(8, 2.2 * len(shown) + 0.6), dpi=100)
    figure.suptitle(title)
    for index, question in enumerate(shown, start=1):
        axes = figure.add_subplot(len(shown), 1, index)
        options = question["options"]
        axes.barh(list(options), list(options.values()), color="#2b7bb9")
        axes.invert_yaxis()  # the first option on top, as the survey asks them
        axes.set_title(str(question.get("key")), fontsize=10, loc="left")
        axes.tick_params(axis="y", labelsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
