"""Which service processes hold a PostgreSQL advisory lock (the scheduler leader), from outside.

The server knows each lock holder's client port; /proc knows each process's sockets. Nothing
here depends on the service's log lines or on which lock key it uses.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

HOLDER_PORTS = (
    "SELECT DISTINCT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND a.usename = :role"
)


async def lock_holder_ports(admin_url: str, role: str) -> set[int]:
    """Client ports of the sessions of `role` holding an advisory lock."""
    engine = create_async_engine(admin_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(HOLDER_PORTS), {"role": role})
            return {int(port) for (port,) in rows if port is not None}
    finally:
        await engine.dispose()


def local_ports(pid: int) -> set[int]:
    """Local TCP ports of the sockets process `pid` has open (Linux /proc)."""
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
