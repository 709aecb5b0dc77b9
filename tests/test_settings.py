"""The command line reads settings once: bad values exit 2, one line each; good ones work."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from api.app import create_api_app
from core.context import CoreContext
from storage.db import create_engine, create_session_factory

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60


def clean_env(**values: str) -> dict[str, str]:
    """Only what a Python process needs, plus `values`: nothing (BOT_TOKEN, API_TOKEN,
    DATABASE_URL...) leaks in from the environment of the test run."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    env.update(values)
    return env


def start(*args: str, **values: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "webhook_server", *args],
        cwd=ROOT,
        env=clean_env(**values),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(*args: str, **values: str) -> subprocess.CompletedProcess[str]:
    process = start(*args, **values)
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


BAD = {
    "HTTP_PORT": "abc",
    "DATABASE_URL": "mysql://x",
    "ADMIN_IDS": "1,x",
    "LOG_LEVEL": "LOUD",
    "SEND_RATE": "0",
    "TELEGRAM_API_URL": "ftp://api.telegram.org",
}
# Each of the four alone, and all six together (each run pays ~1-2 s of imports).
CASES: dict[str, dict[str, str]] = {name: {name: BAD[name]} for name in list(BAD)[:4]}
CASES["ALL"] = dict(BAD)


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every bad configuration, started at once (each start pays Python's import time)."""
    database = tmp_path_factory.mktemp("bad") / "never.db"
    processes = {
        case: start("migrate", **{"DATABASE_URL": f"sqlite+aiosqlite:///{database}", **values})
        for case, values in CASES.items()
    }
    results = {}
    try:
        for case, process in processes.items():
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            results[case] = subprocess.CompletedProcess(
                process.args, process.returncode, stdout, stderr
            )
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.communicate()
    # A refused configuration must not have created or migrated the database.
    assert not database.exists()
    return results


@pytest.mark.parametrize("case", list(CASES))
def test_bad_value_exits_2_with_one_line_per_variable(bad_runs, case):
    result = bad_runs[case]
    expected = set(CASES[case])
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(expected), lines
    named = set()
    for line in lines:
        assert line.startswith("configuration error: "), line
        name = line.removeprefix("configuration error: ").split(":", 1)[0]
        assert name in expected, line
        named.add(name)
        assert len(line.split(":", 2)[2].strip()) > 5, "the line should say what is wrong"
    assert named == expected
    assert result.stdout == ""


def test_good_sqlite_database_migrates_and_a_minted_key_authenticates(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'campaigns.db'}"
    # BOT_TOKEN/API_TOKEN deliberately absent; lower-case LOG_LEVEL is accepted.
    migrated = run("migrate", DATABASE_URL=url, LOG_LEVEL="warning")
    assert migrated.returncode == 0, migrated.stderr
    assert "Traceback" not in migrated.stderr
    assert (tmp_path / "campaigns.db").exists()

    # create-api-key migrates again first: that must be a no-op on a migrated database.
    minted = run("create-api-key", "--name", "ci", DATABASE_URL=url, LOG_LEVEL="warning")
    assert minted.returncode == 0, minted.stderr
    lines = minted.stdout.strip().splitlines()
    key = lines[-1].strip()
    assert key.startswith("tgc_") and len(key) > 30, minted.stdout
    assert "'ci'" in minted.stdout
    assert key not in minted.stderr

    async def check() -> None:
        engine = create_engine(url)
        core = CoreContext(session_factory=create_session_factory(engine))
        client = TestClient(TestServer(create_api_app(core)))
        await client.start_server()
        try:
            for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}):
                response = await client.get("/api/v1/campaigns", headers=headers)
                assert response.status == 200, headers
                assert (await response.json())["success"] is True
            forged = key[:-2] + ("xy" if not key.endswith("xy") else "zz")
            response = await client.get("/api/v1/campaigns", headers={"X-API-Key": forged})
            assert response.status == 401
        finally:
            await client.close()
            await engine.dispose()

    asyncio.run(check())
