"""In-process cost split of GET /api/v1/campaigns (bench/api_list.py --breakdown N).

Every request kind of the mix runs N times, one request after the other, through the stages of
the route without HTTP or middlewares; each stage's median goes to stderr (milliseconds) and
into the result line as "breakdown_ms":

  uow_open      open the read-only unit of work the transaction middleware gives a GET
  parse_query   validate the query as api.query.parse_query does (CampaignListQuery)
  list          the route's list_page (core.campaigns.list_campaigns, the repository), of which
    list_sql      its compiled storage.direct statements through the borrowed connection's
                  driver (aiosqlite: a hop to its thread and back; asyncpg: a round trip)
    list_convert  CompiledRead.convert of their rows (SQLite datetimes, JSON, booleans)
    list_rest     the rest: read_connection's checkout and return, CampaignRow, checks
  raw_sql       the same statements with the same arguments on a plain sqlite3 / asyncpg
                connection, fetching all rows: what the database itself costs
  render        the route's list_data: campaign_json of every row, and the pagination
  ok_json       api.envelope.ok: orjson encoding into a web.Response
  uow_close     leave the unit of work
  total         uow_open through uow_close
  route         the real route handler (on a stand-in request) in its own unit of work: a
                check that total covers what the route does

Statements are timed by wrapping DirectReads.fetch and CompiledRead.convert meanwhile
(bench/api_list_sql.py). Each kind's requests first go through the route once unmeasured, as
the load's warmup does: search pages then reuse their cached count, as under steady load. The
first measured request of a kind also logs its query plans. Auth is timed apart: a cache miss
(a SELECT of the key) and a hit.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from typing import Any

from bench.api_list_load import kinds_of
from bench.api_list_measure import median, ms
from bench.api_list_seed import log
from bench.api_list_sql import RawDriver, StatementTimer

COLUMNS = (
    "total",
    "route",
    "uow_open",
    "parse_query",
    "list",
    "list_sql",
    "list_convert",
    "list_rest",
    "raw_sql",
    "render",
    "ok_json",
    "uow_close",
)


async def breakdown(
    args: argparse.Namespace, url: str, schema: str | None, core: Any, engine: Any, key: str
) -> dict[str, Any]:
    """Per kind: the median cost of each stage of the route (and auth), run in-process."""
    auth, actor = await time_auth(core, key, args.breakdown)
    report: dict[str, Any] = {"auth": auth}
    raw = await RawDriver.open(url, schema)
    timer = StatementTimer()
    try:
        with timer.installed():
            rng = random.Random(args.seed)
            for kind, _, make in kinds_of(args):
                samples = [{k: str(v) for k, v in make(rng).items()} for _ in range(args.breakdown)]
                report[kind] = await break_down_kind(core, actor, samples, timer, raw)
                log(f"--- breakdown {kind}: " + json.dumps(report[kind]))
    finally:
        await raw.close()
    print_breakdown(report)
    return report


async def time_auth(core: Any, key: str, runs: int) -> tuple[dict[str, float], Any]:
    """Median authentication cost on a cache miss and on a hit; and the actor of the key."""
    from core.auth import Authenticator

    authenticator = Authenticator(core)
    miss, hit = [], []
    for _ in range(runs):
        # A miss selects the key; its last_used_at UPDATE happens once a minute at most.
        authenticator.forget()
        t0 = time.perf_counter()
        actor = await authenticator.authenticate(key)
        miss.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        await authenticator.authenticate(key)
        hit.append(time.perf_counter() - t0)
    if actor is None:
        raise SystemExit("the minted API key does not authenticate")
    return {"miss_ms": ms(median(miss)), "hit_us": round(median(hit) * 1e6, 1)}, actor


async def break_down_kind(
    core: Any, actor: Any, samples: list[dict[str, str]], timer: StatementTimer, raw: RawDriver
) -> dict[str, Any]:
    """Median stage costs of the sample requests of one kind (ms), and what the first returned."""
    stages: dict[str, list[float]] = defaultdict(list)
    first: dict[str, Any] = {}
    for params in samples:
        await route_request(core, actor, params)  # warm, as the load's warmup does
    for params in samples:
        timer.statements.clear()
        costs, page, body = await staged_request(core, actor, params)
        statements = list(timer.statements)
        costs["list_sql"] = sum(s.fetch_s - s.convert_s for s in statements)
        costs["list_convert"] = sum(s.convert_s for s in statements)
        costs["list_rest"] = costs["list"] - sum(s.fetch_s for s in statements)
        costs["raw_sql"] = sum([await raw.run_timed(s) for s in statements])
        costs["route"] = await route_request(core, actor, params)
        for name, seconds in costs.items():
            stages[name].append(seconds)
        stages["statements"].append(len(statements))
        if not first:
            first = {"rows": len(page.items), "body_kb": round(len(body) / 1024, 1)}
            first["total_matching"] = page.total
            for statement in statements:
                log("    plan: " + (await raw.plan(statement)).replace("\n", "\n          "))
    row: dict[str, Any] = {name: ms(median(stages[name])) for name in COLUMNS}
    row["statements"] = int(median(stages["statements"]))
    return {**row, **first}


async def staged_request(
    core: Any, actor: Any, params: dict[str, str]
) -> tuple[dict[str, float], Any, bytes]:
    """One request through the route's stages: their seconds, the page and the body."""
    from api.campaign_schemas import CampaignListQuery
    from api.envelope import ok
    from api.query import validate_model
    from api.routes.campaigns import list_data, list_page

    t0 = time.perf_counter()
    async with core.uow(read_only=True) as uow:
        t1 = time.perf_counter()
        query = validate_model(CampaignListQuery, params, "query parameters")
        t2 = time.perf_counter()
        page = await list_page(uow, actor, query)
        t3 = time.perf_counter()
        data = list_data(query, page)
        t4 = time.perf_counter()
        response = ok(data)
        t5 = time.perf_counter()
    t6 = time.perf_counter()
    costs = {
        "uow_open": t1 - t0,
        "parse_query": t2 - t1,
        "list": t3 - t2,
        "render": t4 - t3,
        "ok_json": t5 - t4,
        "uow_close": t6 - t5,
        "total": t6 - t0,
    }
    return costs, page, response.body


class ListRequest(dict[Any, Any]):
    """What the list route reads of its request: the query and what the middlewares set.

    (aiohttp's make_mocked_request is built of Mocks that slow down whatever runs after.)
    """

    def __init__(self, query: dict[str, str]) -> None:
        super().__init__()
        self.query = query


async def route_request(core: Any, actor: Any, params: dict[str, str]) -> float:
    """Seconds of the real route handler, unit of work included, on a stand-in request."""
    from api.keys import ACTOR, UOW
    from api.routes.campaigns import list_campaigns

    request: Any = ListRequest(params)
    request[ACTOR] = actor
    t0 = time.perf_counter()
    async with core.uow(read_only=True) as uow:
        request[UOW] = uow
        response = await list_campaigns(request)
    elapsed = time.perf_counter() - t0
    if response.status != 200:
        raise SystemExit(f"route answered {response.status} to {params}: {response.body!r}")
    return elapsed


def print_breakdown(report: dict[str, Any]) -> None:
    """The breakdown as a table on stderr."""
    log(f"auth: {report.get('auth')}")
    log("median ms per stage (in-process, no HTTP, sequential):")
    header = "".join(f"{c:>13}" for c in COLUMNS)
    log(f"{'kind':<14}{header}{'sql':>5}{'rows':>6}{'KB':>6}")
    for kind, row in report.items():
        if kind == "auth":
            continue
        cells = "".join(f"{row[c]:>13.3f}" for c in COLUMNS)
        log(f"{kind:<14}{cells}{row['statements']:>5}{row['rows']:>6}{row['body_kb']:>6}")
