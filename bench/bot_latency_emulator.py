"""The emulator process of bench/bot_latency.py: EmulatorServer plus an admin who probes the bot.

Timestamps are taken inside the emulator when it stores the admin's message and when it
stores the bot's reply, so they measure exactly what a person would see, on one clock.

Extra control routes (besides the emulator's own):
  POST /_bench/probe      {"samples", "interval", "command", "reply"}  -> {"samples": [...]}
  POST /_bench/broadcast  {"interval", "command", "reply", "expected", "timeout"}
       probes until `expected` broadcast messages were stored -> samples, broadcast figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import signal
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from emulator.config import EmulatorConfig  # noqa: E402
from emulator.records import INCOMING, MessageRecord  # noqa: E402
from emulator.testing import EmulatorServer  # noqa: E402

REPLY_TIMEOUT = 10.0


class Recorder:
    """Wraps the emulator's message store: times the admin's chat and every broadcast send."""

    def __init__(self, emu: EmulatorServer, admin_id: int, token: str) -> None:
        self.admin_id = admin_id
        self.reply_marker = ""
        self.injected: deque[dict[str, float]] = deque()
        self.handed_out: dict[int, float] = {}
        self.samples: list[dict[str, float]] = []
        self.broadcast_times: list[float] = []
        self.token_times: list[float] = []
        store = emu.state.messages
        add = store.add

        def timed_add(record: MessageRecord) -> None:
            add(record)
            self._seen(record, time.perf_counter())

        store.add = timed_add  # type: ignore[method-assign]
        queue = emu.state.bot(token).updates
        peek = queue.peek

        def timed_peek(limit: int) -> list[dict[str, Any]]:
            updates = peek(limit)
            now = time.perf_counter()
            for update in updates:
                self.handed_out.setdefault(update["update_id"], now)
            return updates

        queue.peek = timed_peek  # type: ignore[method-assign]

    def _seen(self, record: MessageRecord, now: float) -> None:
        if record.direction == INCOMING:
            if record.chat_id == self.admin_id:
                self.injected.append({"at": now})
            return
        self.token_times.append(now)
        if record.chat_id != self.admin_id:
            self.broadcast_times.append(now)
        elif self.injected and self.reply_marker in (record.text or ""):
            # Replies come back in the order the commands went in (one chat, one handler).
            sent = self.injected.popleft()
            handed = self.handed_out.get(int(sent.get("update_id", 0)), now)
            self.samples.append(
                {"at": sent["at"], "ms": (now - sent["at"]) * 1000,
                 "poll_ms": (handed - sent["at"]) * 1000}
            )  # fmt: skip


class Prober:
    """The admin: sends a command every `interval` seconds, open loop (no coordinated omission)."""

    def __init__(self, emu: EmulatorServer, recorder: Recorder, token: str) -> None:
        self.emu, self.recorder, self.token = emu, recorder, token

    async def run(self, command: str, interval: float, until: Callable[[], bool]) -> None:
        """Probe until `until()` is true."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        sent = 0
        while not until():
            update = await self.emu.user_sends(self.recorder.admin_id, command, token=self.token)
            if update and self.recorder.injected:
                self.recorder.injected[-1]["update_id"] = update["update_id"]
            sent += 1
            await asyncio.sleep(max(0.0, start + sent * interval - loop.time()))

    async def settle(self) -> int:
        """Wait for the outstanding replies; returns how many never came."""
        with contextlib.suppress(TimeoutError):
            await self.emu.wait_until(lambda: not self.recorder.injected, within=REPLY_TIMEOUT)
        missing = len(self.recorder.injected)
        self.recorder.injected.clear()
        return missing


def routes(emu: EmulatorServer, recorder: Recorder, prober: Prober) -> web.RouteTableDef:
    """The /_bench control routes."""
    table = web.RouteTableDef()

    @table.post("/_bench/probe")
    async def probe(request: web.Request) -> web.Response:
        body = await request.json()
        recorder.reply_marker = body["reply"]
        recorder.samples = []
        count = int(body["samples"])
        await prober.run(
            body["command"], float(body["interval"]), lambda: len(recorder.samples) >= count
        )
        missing = await prober.settle()
        return web.json_response({"samples": recorder.samples, "missing": missing})

    @table.post("/_bench/broadcast")
    async def broadcast(request: web.Request) -> web.Response:
        body = await request.json()
        expected, timeout = int(body["expected"]), float(body["timeout"])
        recorder.reply_marker = body["reply"]
        recorder.broadcast_times, recorder.token_times = [], []
        # Probing starts with the broadcast, so every sample overlaps it.
        await emu.wait_until(lambda: recorder.broadcast_times, within=timeout, interval=0.002)
        recorder.samples = []
        deadline = time.perf_counter() + timeout
        await prober.run(
            body["command"],
            float(body["interval"]),
            lambda: len(recorder.broadcast_times) >= expected or time.perf_counter() > deadline,
        )
        end = recorder.broadcast_times[-1]
        missing = await prober.settle()
        first = recorder.broadcast_times[0]
        samples = [s for s in recorder.samples if first <= s["at"] <= end]
        token = [t for t in recorder.token_times if first <= t <= end]
        return web.json_response(
            {
                "samples": samples,
                "missing": missing,
                "broadcast_sent": len(recorder.broadcast_times),
                "broadcast_span_s": end - first,
                "broadcast_rate": rate(recorder.broadcast_times),
                "token_rate": rate(token),
                "gap_ms": gaps(token),
            }
        )

    return table


def rate(times: list[float]) -> float | None:
    """Messages per second between the first and the last."""
    return (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else None


def gaps(times: list[float]) -> dict[str, float]:
    """Spacing of consecutive accepted sends as the emulator saw them (arrival jitter)."""
    ordered = sorted((b - a) * 1000 for a, b in itertools.pairwise(times))
    if not ordered:
        return {}
    pick = {"min": 0.0, "p1": 0.01, "p50": 0.5, "p99": 0.99}
    return {name: round(ordered[int(q * (len(ordered) - 1))], 2) for name, q in pick.items()}


async def serve(args: argparse.Namespace) -> None:
    """Run the emulator and the prober until SIGTERM."""
    emu = EmulatorServer(EmulatorConfig(users=args.users), port=args.port)
    await emu.create_user(id=args.admin, first_name="Admin")
    recorder = Recorder(emu, args.admin, args.token)
    emu.app.router.add_routes(routes(emu, recorder, Prober(emu, recorder, args.token)))
    await emu.start()
    print(f"ready {emu.base_url}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await emu.stop()


def main() -> None:
    """Command line: --port --users --admin --token."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--admin", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="uvloop")
    args = parser.parse_args()
    factory = None
    if args.loop == "uvloop":
        import uvloop

        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(serve(args))


if __name__ == "__main__":
    main()
