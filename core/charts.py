"""Statistics charts as PNG (matplotlib, Agg backend): call from a worker thread, not the loop."""

from __future__ import annotations

import io

from core.statistics_figures import CampaignStatistics, TimelinePoint, TimeUnit

SERIES = (
    ("sent", "#2b7bb9"),
    ("delivered", "#3aa655"),
    ("failed", "#d9534f"),
    ("clicked", "#f0ad4e"),
)


def _label(unit: TimeUnit, point: TimelinePoint) -> str:
    return point.start.strftime("%Y-%m-%dT%H:00:00Z" if unit == TimeUnit.HOUR else "%Y-%m-%d")


def campaign_chart(title: str, statistics: CampaignStatistics) -> bytes:
    """Sent, delivered, failed and clicked over time; per-variation bars when there are variants."""
    timeline = statistics.timeline
    points = timeline.points if timeline else ()
    labels = [_label(timeline.unit, p) for p in points] if timeline else []
    variations = statistics.variations or ()
    with_variants = len(variations) > 1
    # Imported here: matplotlib costs every process a second at start-up, and only a chart
    # needs it. A bare Figure (no pyplot) keeps no global state between threads.
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 6 if with_variants else 4), dpi=100)
    axes = figure.add_subplot(2 if with_variants else 1, 1, 1)
    for key, colour in SERIES:
        axes.plot(labels, [getattr(p, key) for p in points], marker="o", label=key, color=colour)
    axes.set_title(title)
    axes.set_ylabel("messages")
    axes.legend(loc="upper left")
    axes.tick_params(axis="x", labelrotation=30, labelsize=8)
    if not points:
        axes.text(0.5, 0.5, "nothing sent yet", ha="center", va="center", transform=axes.transAxes)
    if with_variants:
        bars = figure.add_subplot(2, 1, 2)
        names = [v.variation for v in variations]
        width = 0.25
        for offset, key, colour in ((-width, "sent", "#2b7bb9"), (0, "failed", "#d9534f"),
                                    (width, "clicked", "#f0ad4e")):  # fmt: skip
            positions = [i + offset for i in range(len(names))]
            bars.bar(
                positions, [getattr(v, key) for v in variations], width, label=key, color=colour
            )
        bars.set_xticks(range(len(names)), names)
        bars.set_title("per variation")
        bars.legend(loc="upper right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
