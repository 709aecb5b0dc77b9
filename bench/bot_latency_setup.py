"""The two processes of bench/bot_latency.py: the probing emulator and the service under test."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from bench.send_setup import Database, child_env, free_port, log

ROOT = Path(__file__).resolve().parent.parent
# Variables of the service that must come from us, not from whoever runs the benchmark.
SERVICE_VARIABLES = (
    "DATABASE_URL", "BOT_TOKEN", "TELEGRAM_API_URL", "API_TOKEN", "ADMIN_IDS", "HTTP_HOST",
    "HTTP_PORT", "REDIS_URL", "SEND_RATE", "LOG_LEVEL", "WEBHOOK_URL", "WEBHOOK_SECRET",
)  # fmt: skip


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL after 15 s."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 15)
    except TimeoutError:
        process.kill()
        await process.wait()


class Emulator:
    """bench/bot_latency_emulator.py in its own process."""

    def __init__(self, users: int, admin_id: int, token: str) -> None:
        self.users, self.admin_id, self.token = users, admin_id, token
        self.base_url = ""
        self.process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Emulator:
        port = free_port()
        script = ROOT / "bench" / "bot_latency_emulator.py"
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(script), "--port", str(port), "--users", str(self.users),
            "--admin", str(self.admin_id), "--token", self.token,
            cwd=ROOT, env=child_env(), stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = (await asyncio.wait_for(self.process.stdout.readline(), 60)).decode()
        if not line.startswith("ready "):
            raise SystemExit(f"emulator did not start: {line!r}")
        self.base_url = line.split()[1]
        log(f"emulator pid {self.process.pid} on {self.base_url}")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            await stop_process(self.process)

    async def post(self, path: str, **body: Any) -> dict[str, Any]:
        """POST a /_bench route (they run as long as the probing does)."""
        timeout = aiohttp.ClientTimeout(total=None)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(self.base_url + path, json=body) as response,
        ):
            if response.status != 200:
                raise SystemExit(f"{path}: {response.status} {await response.text()}")
            return dict(await response.json())

    async def stats(self, token: str) -> dict[str, Any]:
        """The emulator's counters for the token."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.base_url}/_emulator/stats", params={"token": token}) as response,
        ):
            report = await response.json()
        return dict(report["bots"].get(token) or {})


class Service:
    """`python -m webhook_server` with a real-looking BOT_TOKEN aimed at the emulator."""

    def __init__(
        self,
        db: Database,
        telegram_url: str,
        token: str,
        admin_id: int,
        send_rate: float,
        log_path: Path,
        experiment: list[str],
    ) -> None:
        self.experiment = experiment
        self.api_key = f"tgc_bench_{secrets.token_hex(12)}"
        self.port = free_port()
        self.log_path = log_path
        env = {k: v for k, v in child_env().items() if k not in SERVICE_VARIABLES}
        self.env = {
            **env,
            "DATABASE_URL": db.url,
            "BOT_TOKEN": token,
            "TELEGRAM_API_URL": telegram_url,
            "API_TOKEN": self.api_key,
            "ADMIN_IDS": str(admin_id),
            "HTTP_PORT": str(self.port),
            "SEND_RATE": str(send_rate),
        }
        self.cwd = db.tmp or str(ROOT)  # no stray .env file
        self.process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        """The REST API."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Service:
        with self.log_path.open("wb") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, *self.entry(), cwd=self.cwd, env=self.env,
                stdout=log_file, stderr=log_file,
            )  # fmt: skip
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                if self.process.returncode is not None:
                    raise SystemExit(f"service exited:\n{self.tail()}")
                try:
                    async with session.get(f"{self.base_url}/healthz") as response:
                        if response.status == 200:
                            log(f"service pid {self.process.pid} on {self.base_url}, "
                                f"log {self.log_path}")  # fmt: skip
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise SystemExit(f"service did not come up in 30 s:\n{self.tail()}")

    def entry(self) -> list[str]:
        """`-m webhook_server`, or bench/bot_latency_service.py with experiment flags."""
        if not self.experiment:
            return ["-m", "webhook_server"]
        return [str(ROOT / "bench" / "bot_latency_service.py"), *self.experiment]

    def diagnostics(self) -> dict[str, list[float]]:
        """Event-loop stalls and long collections the instrumented service logged, in ms."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        found: dict[str, list[float]] = {"stall": [], "gc": []}
        for kind, ms in re.findall(r"^bench-diag (stall|gc) ([0-9.]+)", text, re.MULTILINE):
            found[kind].append(float(ms))
        return found

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None:
            await stop_process(self.process)
        if exc[0] is not None:
            log(self.tail())

    async def execute(self, campaign_id: int) -> None:
        """Start the campaign through the REST API, as an integration would."""
        url = f"{self.base_url}/api/v1/campaigns/camp_{campaign_id}/execute"
        headers = {"Authorization": f"Bearer {self.api_key}"}
        async with aiohttp.ClientSession() as session, session.post(url, headers=headers) as resp:
            if resp.status >= 300:
                raise SystemExit(f"execute: {resp.status} {await resp.text()}")

    async def profile(self, path: str) -> asyncio.subprocess.Process:
        """py-spy attached to the service (stopped by the caller)."""
        assert self.process is not None
        fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(Path(path).suffix, "raw")
        spy = ROOT / ".venv" / "bin" / "py-spy"
        command = [str(spy), "record", "-p", str(self.process.pid), "-o", path, "-f", fmt]
        return await asyncio.create_subprocess_exec(
            *command, "-r", "250", "--nonblocking", stdout=sys.stderr, stderr=sys.stderr
        )

    def cpu_seconds(self) -> float:
        """User plus system CPU the service has used so far (Linux /proc)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def handler_ms(self) -> list[float]:
        """aiogram's own "Update id=… is handled. Duration N ms" figures, in order."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return [float(m) for m in re.findall(r"is handled\. Duration (\d+) ms", text)]

    def log_counts(self) -> dict[str, int]:
        """WARNING and ERROR lines the service logged."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return {level: text.count(f" {level} ") for level in ("WARNING", "ERROR")}

    def tail(self, lines: int = 30) -> str:
        """The end of the service's log."""
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
