"""Retry schedule, rotation window and the settings that loosen URL checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from core.config import Settings
from core.webhooks.attempts import RETRY_DELAYS, retry_delay, signature
from storage.models_webhooks import WebhookEndpoint

NOW = datetime(2026, 12, 4, tzinfo=UTC)


def test_retries_back_off_over_about_a_day_then_stop():
    waits = [retry_delay(n, rand=lambda: 0.0) for n in range(1, 9)]
    assert waits[:7] == list(RETRY_DELAYS) and waits[7] is None
    assert [d.total_seconds() for d in RETRY_DELAYS] == [5, 60, 300, 1800, 7200, 21600, 43200]
    jittered = retry_delay(1, rand=lambda: 1.0)
    assert jittered is not None and timedelta(seconds=5) < jittered <= timedelta(seconds=5.5)


def test_the_previous_secret_signs_only_inside_its_window():
    endpoint = WebhookEndpoint(
        secret="whsec_" + "A" * 44,
        previous_secret="whsec_" + "B" * 44,
        previous_secret_until=NOW + timedelta(hours=24),
    )
    assert len(signature(endpoint, "msg_1", NOW, "{}").split(" ")) == 2
    assert len(signature(endpoint, "msg_1", NOW + timedelta(hours=25), "{}").split(" ")) == 1


def test_webhook_settings_default_to_strict_and_read_the_environment(monkeypatch):
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_URLS", "true")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2.5")
    loose = Settings(_env_file=None)
    assert loose.webhook_allow_private_urls is True and loose.webhook_timeout_seconds == 2.5
    assert loose.webhook_allow_http is False
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "0")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)
