"""Child processes of a cluster: the emulator and `python -m webhook_server` instances."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
# Variables the service reads: a child starts from none of the caller's (then gets its own).
SERVICE_VARIABLES = (
    "DATABASE_URL", "BOT_TOKEN", "TELEGRAM_API_URL", "API_TOKEN", "ADMIN_IDS", "HTTP_HOST",
    "HTTP_PORT", "HTTP_WORKERS", "REDIS_URL", "SEND_RATE", "LOG_LEVEL", "WEBHOOK_URL",
    "WEBHOOK_SECRET", "SCHEDULE_GRACE_SECONDS", "EMULATOR_USERS", "EMULATOR_PORT",
    "WORKER_TIMEOUT_SECONDS", "ROLE",
)  # fmt: skip


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_env(root: Path = ROOT, **values: str) -> dict[str, str]:
    """The caller's environment minus the service's variables, plus `values`; code from `root`."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SERVICE_VARIABLES}
    return {**env, "PYTHONPATH": str(root), **values}


async def get_json(url: str, within: float = 5.0) -> Any:
    """GET a JSON document (at most `within` seconds)."""
    client_timeout = aiohttp.ClientTimeout(total=within)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.get(url) as response,
    ):
        return await response.json()


class Child:
    """One child process with its output in a log file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name, self.command, self.env, self.log_path = name, command, env, log_path
        self.process: asyncio.subprocess.Process | None = None

    @property
    def alive(self) -> bool:
        """Started and not exited."""
        return self.process is not None and self.process.returncode is None

    async def start(self, cwd: Path) -> None:
        """Spawn the process, its stdout and stderr appended to the log file."""
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command, cwd=cwd, env=self.env, stdout=log, stderr=log
            )

    async def wait_ready(self, url: str, within: float) -> None:
        """Poll `url` until it answers 200, or raise with the log's tail."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
            try:
                client_timeout = aiohttp.ClientTimeout(total=2)
                async with (
                    aiohttp.ClientSession(timeout=client_timeout) as session,
                    session.get(url) as response,
                ):
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            if loop.time() > deadline:
                raise RuntimeError(f"{self.name} not ready within {within} s:\n{self.tail()}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind (a crash)."""
        if self.alive:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)

    async def stop(self, grace: float = 10.0) -> int | None:
        """SIGTERM, wait up to `grace` seconds, then SIGKILL; returns the exit code."""
        if self.process is None:
            return None
        if self.alive:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), grace)
            except TimeoutError:
                self.process.kill()
        return await self.process.wait()

    def tail(self, lines: int = 40) -> str:
        """The last lines of the log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def emulator_child(users: int, rate: int, paid_rate: int, log_dir: Path) -> tuple[Child, str]:
    """The emulator (tests/scale/emulator_child.py) and its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "tests.scale.emulator_child", "--port", str(port),
        "--users", str(users), "--rate", str(rate), "--paid-rate", str(paid_rate),
    ]  # fmt: skip
    child = Child("emulator", command, child_env(), log_dir / "emulator.log")
    return child, f"http://127.0.0.1:{port}"


def service_child(
    index: int, env: dict[str, str], args: list[str], log_dir: Path, root: Path = ROOT
) -> tuple[Child, str]:
    """`python -m webhook_server ARGS` (the code under `root`) on a free port, and its URL."""
    port = free_port()
    values = {**env, "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port)}
    command = [sys.executable, "-m", "webhook_server", *args]
    environment = child_env(root, **values)
    child = Child(f"service {index}", command, environment, log_dir / f"svc{index}.log")
    return child, f"http://127.0.0.1:{port}"
