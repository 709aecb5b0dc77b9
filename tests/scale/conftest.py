"""The slow multi-process scale tests: one shared cluster per module (start-up is the cost)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.scale.cluster import ROOT, Cluster, ClusterConfig, ClusterUnavailable
from tests.scale.scenario import seed_subscribers

RECIPIENTS = 600
# Above the engine's 5 s heartbeat with room for a loaded machine; short enough that a killed
# sender's rows are settled within the test.
WORKER_TIMEOUT = 10.0


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker (warnings are errors: an unknown marker would fail collection)."""
    config.addinivalue_line(
        "markers", "scale: slow multi-process tests (real PostgreSQL + Redis; -m 'not scale')"
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster() -> AsyncIterator[Cluster]:
    """Three service processes + emulator at 30 msg/s, RECIPIENTS subscribers seeded
    (their ids in `cluster.subscribers`)."""
    config = ClusterConfig(
        processes=3,
        users=RECIPIENTS,
        worker_timeout=WORKER_TIMEOUT,
        # SCALE_SERVICE_ROOT: run another tree's service code (a baseline) under these tests.
        service_root=Path(os.environ.get("SCALE_SERVICE_ROOT") or ROOT),
    )
    try:
        async with Cluster(config) as running:
            running.subscribers = await seed_subscribers(running, RECIPIENTS)
            yield running
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
