"""A multi-process deployment for scale tests and bench/scale.py.

One emulator process, a private PostgreSQL schema, Redis (keys told apart by the cluster's
own random bot token, deleted at the end) and N `python -m webhook_server` processes sharing
that token:

    async with Cluster(ClusterConfig(processes=3, users=600)) as cluster:
        await seed_subscribers(cluster, 600)
        ...

The schema is migrated first (`python -m webhook_server migrate`, unless migrate_first is
off), then every process starts at once; `await cluster.leaders()` tells which of them hold
the scheduler lock. Logs are in `cluster.log_dir` (svc<i>.log, migrate.log, emulator.log).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from emulator.testing import make_token
from tests.infra import (
    PG_URL,
    REDIS_URL,
    ScratchSchema,
    forget_redis_keys,
    postgres_problem,
    redis_problem,
)
from tests.scale.leadership import local_ports, lock_holder_ports
from tests.scale.measure import Record
from tests.scale.processes import (
    ROOT,
    Child,
    child_env,
    emulator_child,
    get_json,
    service_child,
)


class ClusterUnavailable(RuntimeError):
    """PostgreSQL or Redis is not there (tests skip with this reason)."""


@dataclass
class ClusterConfig:
    """Shape of one cluster."""

    processes: int = 3
    users: int = 600  # emulator users 100000001..; subscribers are seeded separately
    rate: int = 30  # the emulator's per-bot limit (msg/s)
    paid_rate: int = 1000  # its allow_paid_broadcast limit
    send_rate: float = 30.0  # SEND_RATE of every process
    worker_timeout: float = 20.0  # WORKER_TIMEOUT_SECONDS
    roles: list[str] | None = None  # ROLE per process (None: every process runs everything)
    env: dict[str, str] = field(default_factory=dict)  # more variables for every process
    args: list[str] = field(default_factory=list)  # arguments after `python -m webhook_server`
    log_level: str = "INFO"
    # Migrate before starting the processes (else they all migrate the empty schema at once).
    migrate_first: bool = True
    # The service's code: this checkout, or another tree (e.g. `git archive HEAD` unpacked) to
    # measure a baseline with the same harness.
    service_root: Path = ROOT
    pg_url: str = PG_URL
    redis_url: str = REDIS_URL
    ready_within: float = 120.0  # seconds per process start (imports take 10-40 s under load)


class Cluster:
    """Start everything on enter; stop processes, drop the database, forget keys on exit."""

    def __init__(self, config: ClusterConfig) -> None:
        self.config = config
        self.bot_id = 5_000_000_000 + secrets.randbelow(10**9)
        self.token = make_token(self.bot_id)
        self.api_key = f"scale-{secrets.token_urlsafe(24)}"
        self.database = ScratchSchema(config.pg_url)
        self.log_dir = Path(tempfile.mkdtemp(prefix="tgc_scale_"))
        self.emulator: Child | None = None
        self.emulator_url = ""
        self.services: list[Child] = []
        self.urls: list[str] = []
        self.subscribers: list[str] = []  # sub_ ids, once a scenario seeded them
        self._http: aiohttp.ClientSession | None = None
        self._database_created = False

    async def __aenter__(self) -> Cluster:
        for problem in (
            await postgres_problem(self.config.pg_url),
            await redis_problem(self.config.redis_url),
        ):
            if problem:
                shutil.rmtree(self.log_dir, ignore_errors=True)
                raise ClusterUnavailable(problem)
        try:
            await self._start()
        except BaseException:
            await self.close(keep_logs=True)
            raise
        return self

    async def __aexit__(self, exc_type: object, *_: object) -> None:
        await self.close(keep_logs=exc_type is not None)

    async def _start(self) -> None:
        config = self.config
        await self.database.create()
        self._database_created = True
        self.emulator, self.emulator_url = emulator_child(
            config.users, config.rate, config.paid_rate, self.log_dir
        )
        await self.emulator.start(self.log_dir)
        await self.emulator.wait_ready(f"{self.emulator_url}/_emulator/health", 30)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        for index in range(config.processes):
            env = self.service_env(index)
            child, url = service_child(index, env, config.args, self.log_dir, config.service_root)
            self.services.append(child)
            self.urls.append(url)
        if config.migrate_first:
            await self._migrate()
        await asyncio.gather(*(self._start_service(i) for i in range(config.processes)))

    async def _migrate(self) -> None:
        command = [sys.executable, "-m", "webhook_server", "migrate"]
        env = child_env(self.config.service_root, **self.service_env(0))
        migrate = Child("migrate", command, env, self.log_dir / "migrate.log")
        await migrate.start(self.log_dir)
        assert migrate.process is not None
        if await migrate.process.wait() != 0:
            raise RuntimeError(f"migrate failed:\n{migrate.tail()}")

    async def _start_service(self, index: int) -> None:
        await self.services[index].start(self.log_dir)
        await self.services[index].wait_ready(
            f"{self.urls[index]}/healthz", self.config.ready_within
        )

    def service_env(self, index: int) -> dict[str, str]:
        """The environment of service process `index`."""
        config = self.config
        env = {
            "DATABASE_URL": self.database.url,
            "REDIS_URL": config.redis_url,
            "BOT_TOKEN": self.token,
            "TELEGRAM_API_URL": self.emulator_url,
            "API_TOKEN": self.api_key,
            "ADMIN_IDS": "",
            "SEND_RATE": str(config.send_rate),
            "WORKER_TIMEOUT_SECONDS": str(config.worker_timeout),
            "LOG_LEVEL": config.log_level,
            **config.env,
        }
        if config.roles is not None:
            env["ROLE"] = config.roles[index]
        return env

    async def close(self, *, keep_logs: bool = False) -> None:
        """Stop every process and release the database, Redis keys and (unless kept) logs."""
        await asyncio.gather(*(child.stop() for child in self.services))
        if self.emulator is not None:
            await self.emulator.stop()
        if self._http is not None:
            await self._http.close()
        if self._database_created:
            await self.database.drop()
        # FSM keys name the bot id; the shared limiter's name a SHA-256 prefix of the token.
        digest = hashlib.sha256(self.token.encode()).hexdigest()[:20]
        await forget_redis_keys(self.config.redis_url, str(self.bot_id), digest)
        if not keep_logs:
            shutil.rmtree(self.log_dir, ignore_errors=True)

    # Talking to it --------------------------------------------------------------------------

    async def call(self, index: int, method: str, path: str, body: Any = None) -> Any:
        """A REST call on process `index`; returns `data` or raises with the error envelope."""
        assert self._http is not None
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with self._http.request(
            method, self.urls[index] + path, json=body, headers=headers
        ) as response:
            payload = await response.json()
        if not payload.get("success"):
            raise RuntimeError(f"{method} {path} on process {index}: {response.status} {payload}")
        return payload["data"]

    async def record(self, marker: str, since: float = 0.0) -> Record:
        """What the emulator recorded for this bot and `marker` (sends since a monotonic time)."""
        query = f"token={self.token}&marker={marker}&since={since!r}"
        return Record.from_json(await get_json(f"{self.emulator_url}/_scale/record?{query}", 60))

    async def bot_stats(self) -> dict[str, Any]:
        """The emulator's cumulative counters for this cluster's bot (accepted, rate_limited)."""
        report = await get_json(f"{self.emulator_url}/_emulator/stats?token={self.token}")
        stats = dict(report["bots"].get(self.token, {}))
        stats.pop("per_second", None)
        return stats

    async def accepted(self) -> int:
        """Sends the emulator accepted from this cluster's bot so far."""
        return int((await self.bot_stats()).get("accepted", 0))

    async def leaders(self) -> set[int]:
        """Indices of the live processes holding an advisory lock (the scheduler leader)."""
        ports = await lock_holder_ports(self.config.pg_url, self.database.name)
        return {
            index
            for index, child in enumerate(self.services)
            if child.alive and child.process is not None and local_ports(child.process.pid) & ports
        }

    def kill(self, index: int) -> None:
        """SIGKILL process `index` (a crash: no clean-up of any kind)."""
        self.services[index].kill()

    def logs(self, index: int, lines: int = 40) -> str:
        """The tail of process `index`'s log (for failure messages)."""
        return self.services[index].tail(lines)


__all__ = ["ROOT", "Cluster", "ClusterConfig", "ClusterUnavailable"]
