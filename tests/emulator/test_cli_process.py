"""`python -m emulator` starts a working server."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from emulator.ports import free_port
from emulator.testing import make_token


async def test_module_entry_point_serves_the_bot_api():
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "emulator",
        "--port",
        str(port),
        "--users",
        "3",
        "--blocked",
        "1",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{base}/_emulator/health") as response:
                        health = await response.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert health["users"] == 3
            async with http.post(f"{base}/bot{make_token(5)}/getMe") as response:
                assert (await response.json())["result"]["id"] == 5
            async with http.get(f"{base}/_emulator/users", params={"status": "blocked"}) as resp:
                assert (await resp.json())["count"] == 1
    finally:
        process.terminate()
        _, stderr = await process.communicate()
    assert b"Traceback" not in stderr
