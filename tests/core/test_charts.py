"""The statistics chart is a PNG drawn from the typed figures; only drawing one loads matplotlib."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

from core.charts import campaign_chart
from core.statistics_figures import (
    CampaignStatistics,
    Timeline,
    TimelinePoint,
    TimeUnit,
    VariationFigures,
)

PNG = b"\x89PNG\r\n\x1a\n"


def figures(points: int, variations: int) -> CampaignStatistics:
    timeline = Timeline(TimeUnit.DAY, tuple(
        TimelinePoint(datetime(2026, 6, day, tzinfo=UTC), 10 * day, 9 * day, day, day, 0)
        for day in range(1, points + 1)
    ))  # fmt: skip
    variants = tuple(VariationFigures(f"v{i}", 50, 2, 5 + i, 10.0) for i in range(variations))
    return CampaignStatistics("7d", None, None, timeline, None, variants or None)


def test_a_chart_of_a_few_days_and_two_variants_is_a_png():
    assert campaign_chart("Summer sale", figures(points=3, variations=2)).startswith(PNG)


def test_a_campaign_that_sent_nothing_still_gets_a_picture():
    assert campaign_chart("Quiet", figures(points=0, variations=0)).startswith(PNG)


def test_no_module_loads_matplotlib_when_imported():
    # Read statically: every process would pay for it at start-up, and only a chart needs it.
    root = Path(__file__).resolve().parents[2]
    for path in [*root.glob("*.py"), *(root / "core").rglob("*.py"), *(root / "bot").rglob("*.py")]:
        for node in ast.parse(path.read_text()).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] == "matplotlib" for n in names), path
