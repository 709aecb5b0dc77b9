"""A sender process for the crash test: runs the engine until it is killed.

Usage: python -m tests.delivery.crash_worker DATABASE_URL API_BASE TOKEN RATE [PG_SCHEMA]
"""

from __future__ import annotations

import asyncio
import sys

from core.context import CoreContext
from core.delivery.engine import DeliveryEngine, EngineSettings
from core.delivery.pacing import TokenLimiter
from core.telegram_session import make_bot
from storage.db import create_engine, create_session_factory


async def main(database_url: str, api_base: str, token: str, rate: float, schema: str) -> None:
    """Send until killed."""
    settings = {"server_settings": {"search_path": schema}} if schema else None
    engine = create_engine(database_url, connect_args=settings)
    core = CoreContext(session_factory=create_session_factory(engine))
    bot = make_bot(token, api_base, timeout=5)
    single = database_url.startswith("sqlite")
    sender = DeliveryEngine(
        core,
        bot,
        TokenLimiter(rate),
        EngineSettings(
            flush_interval=0.1,
            poll_interval=0.1,
            heartbeat_interval=0.5,
            worker_timeout=2.0,
            single_process=single,
        ),
    )
    await sender.start()
    print("started", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    schema_arg = sys.argv[5] if len(sys.argv) > 5 else ""
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), schema_arg))
