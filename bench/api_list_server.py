"""The server side of bench/api_list.py: the service's REST app in its own process(es).

Run by the bench, not by hand: `bench/api_list_server.py --database-url URL [--schema S]
[--loop uvloop] [--port P --reuse-port] [--server-cprofile PATH]` prints `READY <port>` once it
listens on 127.0.0.1 and serves until SIGTERM (or until its parent dies).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.api_list_seed import log, make_engine  # noqa: E402
from core.event_loop import new_event_loop, run  # noqa: E402


def loop_name(choice: str) -> str:
    """The event loop a --loop choice runs on ("service" resolves to the service's own)."""
    if choice != "service":
        return choice
    loop = new_event_loop()
    loop.close()
    return "uvloop" if type(loop).__module__.startswith("uvloop") else "asyncio"


def serve_main(args: argparse.Namespace) -> None:
    """The service's REST app on 127.0.0.1 until SIGTERM, on the --loop event loop."""
    import logging

    _die_with_parent()
    logging.basicConfig(level=logging.WARNING, format="server %(levelname)s %(name)s: %(message)s")
    if args.loop == "asyncio":
        asyncio.run(serve(args))
    elif args.loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve(args))
    else:
        run(serve(args))


def _die_with_parent() -> None:
    # A bench killed hard must not leave its servers running.
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:
            os._exit(1)


async def serve(args: argparse.Namespace) -> None:
    """Serve create_api_app on an AppRunner, as webhook_server.serve does; READY <port> once up."""
    from aiohttp import web

    from api.app import create_api_app
    from core.context import CoreContext
    from storage.db import create_session_factory

    engine = make_engine(args.database_url, args.schema)
    app = create_api_app(CoreContext(session_factory=create_session_factory(engine)))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, reuse_port=args.reuse_port or None)
    await site.start()
    port = runner.addresses[0][1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    profiler = None
    if args.server_cprofile:
        import cProfile

        profiler = cProfile.Profile()
        loop.add_signal_handler(signal.SIGUSR1, profiler.enable)
        loop.add_signal_handler(signal.SIGUSR2, profiler.disable)
    gc.freeze()  # as the service does once started (runtime.py)
    print(f"READY {port}", flush=True)
    try:
        await stop.wait()
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.server_cprofile)
        await runner.cleanup()
        await engine.dispose()


class Server:
    """The server processes: `workers` of them share one port (SO_REUSEPORT), like HTTP_WORKERS."""

    def __init__(self, args: argparse.Namespace, url: str, schema: str | None, workers: int):
        self.procs = [_ServerProcess(args, url, schema, 0, workers > 1)]
        self.port, self.pid = self.procs[0].port, self.procs[0].pid
        self.procs += [
            _ServerProcess(args, url, schema, self.port, True) for _ in range(workers - 1)
        ]

    def cpu_seconds(self) -> float:
        """user+system CPU of every server process so far."""
        return sum(proc.cpu_seconds() for proc in self.procs)

    def signal(self, sig: int) -> None:
        """Send `sig` to every server process."""
        for proc in self.procs:
            proc.signal(sig)

    def stop(self) -> None:
        """Stop every server process."""
        for proc in self.procs:
            proc.stop()


class _ServerProcess:
    """One server subprocess."""

    def __init__(
        self, args: argparse.Namespace, url: str, schema: str | None, port: int, reuse: bool
    ) -> None:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--database-url",
            url,
            "--loop",
            args.loop,
            "--port",
            str(port),
        ]
        if reuse:
            cmd.append("--reuse-port")
        if schema:
            cmd += ["--schema", schema]
        if args.server_cprofile:
            cmd += ["--server-cprofile", str(Path(args.server_cprofile).resolve())]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line.startswith("READY "):
            self.stop()
            raise SystemExit(f"server did not start (got {line!r})")
        self.port = int(line.split()[1])
        self.pid = self.proc.pid

    def cpu_seconds(self) -> float:
        """user+system CPU of the server process (all threads) so far."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def signal(self, sig: int) -> None:
        """Send `sig` unless the process is gone."""
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(sig)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 20 s."""
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("server ignored SIGTERM; killing it")
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The server's command line (what _ServerProcess passes)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", required=True)
    p.add_argument("--schema", help="PostgreSQL schema to put first on the search_path")
    p.add_argument("--loop", choices=("service", "asyncio", "uvloop"), default="service")
    p.add_argument("--port", type=int, default=0, help="0: a free port")
    p.add_argument("--reuse-port", action="store_true", help="share the port (SO_REUSEPORT)")
    p.add_argument("--server-cprofile", metavar="PATH", help="cProfile between SIGUSR1 and 2")
    return p.parse_args(argv)


if __name__ == "__main__":
    serve_main(parse_args())
