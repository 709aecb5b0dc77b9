"""What the webhook durability tests run in, or learn about, child processes.

As a program (`python -m tests.webhooks.processes DATABASE_URL`) it creates a campaign through
the core and dies by SIGKILL the moment the transaction has committed, before anything could
dispatch its webhook. Imports stay light: the child pays for them on every start.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from core.auth import default_tenant
from core.bootstrap import build_core
from core.campaigns import create_campaign
from core.config import Settings
from core.context import Actor, CoreContext
from core.events import DomainEvent
from core.models import CampaignCreate

CAMPAIGN_NAME = "Committed, then killed"


def open_core(database_url: str) -> CoreContext:
    """The core as the service builds it, allowed to post to loopback over http."""
    settings = Settings(
        _env_file=None,
        database_url=database_url,
        webhook_allow_private_urls=True,
        webhook_allow_http=True,
    )
    core, _ = build_core(settings)
    return core


async def dispose(core: CoreContext) -> None:
    """Close the core's database engine."""
    await core.session_factory.kw["bind"].dispose()


def socket_ports(pid: int) -> set[int]:
    """The local TCP ports of the sockets process `pid` has open (Linux /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed while we looked
        if target.startswith("socket:["):
            inodes.add(target.removeprefix("socket:[").removesuffix("]"))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


async def commit_then_die(database_url: str) -> None:
    """Create a campaign; SIGKILL this process as soon as the commit is done."""
    core = open_core(database_url)

    async def die(_: DomainEvent) -> None:
        # Published after commit, where a dispatcher of this process would be woken.
        os.kill(os.getpid(), signal.SIGKILL)

    core.bus.subscribe("campaign.created", die)
    body = CampaignCreate.model_validate({"name": CAMPAIGN_NAME, "messages": [{"content": "Hi"}]})
    async with core.uow() as uow:
        tenant = await default_tenant(uow)
        await create_campaign(uow, Actor(tenant.id, "test:doomed"), body)
    raise SystemExit("still alive after the commit")


if __name__ == "__main__":
    asyncio.run(commit_then_die(sys.argv[1]))
