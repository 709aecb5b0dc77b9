"""`python -m webhook_server` as real child processes: start, wait for /healthz, stop."""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.running import free_port
from tests.test_settings import ROOT, clean_env

READY_WITHIN = 90.0  # each child imports the whole service first; the machine is shared


@dataclass
class Child:
    """One running `python -m webhook_server` and where its output goes."""

    process: asyncio.subprocess.Process
    log: Path
    base_url: str

    def output(self) -> str:
        """Everything it printed (stdout and stderr together)."""
        return self.log.read_text(errors="replace")


async def spawn(log: Path, *args: str, **env: str) -> Child:
    """Start `python -m webhook_server ARGS` with only `env` (plus a free HTTP port)."""
    port = free_port()
    values = {"HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port), "LOG_LEVEL": "INFO", **env}
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "webhook_server", *args,
            cwd=ROOT, env=clean_env(**values), stdin=asyncio.subprocess.DEVNULL,
            stdout=sink, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    return Child(process, log, f"http://127.0.0.1:{port}")


async def wait_healthy(child: Child, within: float = READY_WITHIN) -> None:
    """Return once /healthz answers 200; fail with the child's output if it exits first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    async with aiohttp.ClientSession() as http:
        while True:
            if child.process.returncode is not None:
                raise AssertionError(f"exited {child.process.returncode}:\n{child.output()}")
            try:
                async with http.get(f"{child.base_url}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if loop.time() > deadline:
                raise AssertionError(f"not healthy within {within} s:\n{child.output()}")
            await asyncio.sleep(0.2)


async def terminate(child: Child, within: float = 30.0) -> int:
    """SIGTERM, then its exit code (killed, and failing, if it does not stop in time)."""
    if child.process.returncode is None:
        child.process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(child.process.wait(), within)
    except TimeoutError:
        child.process.kill()
        await child.process.wait()
        raise AssertionError(f"did not stop within {within} s:\n{child.output()}") from None
