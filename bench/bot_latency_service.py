"""`python -m webhook_server`, instrumented for bench/bot_latency.py (experiments only).

    python bench/bot_latency_service.py [--margin M] [--gc-freeze] [--diagnose]

--margin M    TokenPacer's default margin (the real default otherwise).
--gc-freeze   gc.freeze() once Service.start() returns: the start-up heap (~330k objects)
              leaves the collector's view, so a full collection no longer walks it.
--diagnose    log event-loop stalls (a 10 ms ticker woken late by more than 50 ms) and
              garbage collections over 20 ms, as `bench-diag stall|gc <ms> ...` lines on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TICK = 0.01
STALL_MS = 50.0
GC_MS = 20.0


def report(kind: str, ms: float, detail: str = "") -> None:
    """One diagnostic line on stderr (the service's log)."""
    print(f"bench-diag {kind} {ms:.1f} {detail}".rstrip(), file=sys.stderr, flush=True)


async def watch_loop() -> None:
    """Report every tick that came back much later than asked."""
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(TICK)
        late = (loop.time() - before - TICK) * 1000
        if late > STALL_MS:
            report("stall", late)


def watch_gc() -> None:
    """Report collections that held the interpreter long."""
    started: dict[str, float] = {}

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started["t"] = time.perf_counter()
        elif "t" in started:
            ms = (time.perf_counter() - started.pop("t")) * 1000
            if ms > GC_MS:
                report("gc", ms, f"gen={info['generation']} collected={info['collected']}")

    gc.callbacks.append(callback)


def instrumented(serve: Callable[[Any], Awaitable[None]]) -> Callable[[Any], Awaitable[None]]:
    """`serve` with the loop watcher running beside it."""

    async def run(settings: Any) -> None:
        watcher = asyncio.create_task(watch_loop())
        try:
            await serve(settings)
        finally:
            watcher.cancel()

    return run


def freeze_after_start() -> None:
    """Patch runtime.Service.start to end with gc.freeze()."""
    import runtime

    start = runtime.Service.start

    async def started(self: runtime.Service) -> None:
        await start(self)
        gc.freeze()

    runtime.Service.start = started  # type: ignore[method-assign]


def main() -> None:
    """Apply the options, then run the service's own entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--margin", type=float)
    parser.add_argument("--gc-freeze", action="store_true")
    parser.add_argument("--diagnose", action="store_true")
    args = parser.parse_args()
    import webhook_server
    from core.delivery.pacing import TokenPacer

    if args.margin is not None:
        TokenPacer.__init__.__kwdefaults__["margin"] = args.margin
    if args.gc_freeze:
        freeze_after_start()
    if args.diagnose:
        watch_gc()
        webhook_server.serve = instrumented(webhook_server.serve)  # type: ignore[assignment]
    webhook_server.main([])


if __name__ == "__main__":
    main()
