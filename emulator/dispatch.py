"""The Bot API endpoint: `/bot<token>/<method>` → fault injection → handler → JSON answer."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from typing import Any

import orjson
from aiohttp import web

from emulator.bots import BotState
from emulator.errors import ApiError, RateLimited, not_found
from emulator.faults import FaultPlan, server_error_body
from emulator.methods import Call, build_registry
from emulator.params import Params, read_params
from emulator.state import STATE_KEY, EmulatorState

log = logging.getLogger(__name__)

_INTERNAL_ERROR = b'{"ok":false,"error_code":500,"description":"Internal Server Error"}'


async def run_method(state: EmulatorState, bot: BotState, method: str, params: Params) -> Any:
    """Execute one Bot API method and return its result (raises ApiError on failure)."""
    handler = _REGISTRY.get(method.lower())
    if handler is None:
        raise not_found()
    result = handler(Call(state, bot, method, params))
    if inspect.isawaitable(result):
        result = await result
    return result


async def run_method_quietly(
    state: EmulatorState, bot: BotState, method: str, params: Params
) -> tuple[int, Any]:
    """Execute a method for a webhook reply; errors are counted, not raised."""
    try:
        bot.stats.requests[method] += 1
        return 200, await run_method(state, bot, method, params)
    except ApiError as error:
        _count_error(bot, error)
        return error.code, error.payload()


_REGISTRY = build_registry(run_method_quietly)


def _count_error(bot: BotState, error: ApiError) -> None:
    """Tally an error answer in the bot's stats."""
    scope = error.scope if isinstance(error, RateLimited) else None
    bot.stats.record_error(error.code, error.description, scope)


async def _hang(state: EmulatorState, seconds: float) -> None:
    """Stall a request, but let a shutting-down server finish promptly."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(state.closing.wait(), seconds)


async def _apply_faults_before(
    state: EmulatorState, bot: BotState, plan: FaultPlan
) -> web.Response | None:
    """Latency, hangs and injected 5xx that happen before the method runs."""
    if plan.delay:
        await asyncio.sleep(plan.delay)
    if plan.hang and not plan.hang_after:
        bot.stats.injected["hang"] += 1
        await _hang(state, plan.hang)
    if plan.error_code is not None:
        bot.stats.injected[str(plan.error_code)] += 1
        body, content_type = server_error_body(plan.error_code, state.faults.settings.html_502)
        return web.Response(body=body, status=plan.error_code, content_type=content_type)
    return None


async def _execute(
    state: EmulatorState, bot: BotState, method: str, request: web.Request
) -> tuple[int, bytes]:
    """Decode parameters, run the method and serialize the Telegram-shaped answer."""
    bot.stats.requests[method] += 1
    try:
        params = await read_params(request.headers, request.content, request.query)
        result = await run_method(state, bot, method, params)
        return 200, orjson.dumps({"ok": True, "result": result})
    except ApiError as error:
        _count_error(bot, error)
        return error.code, orjson.dumps(error.payload())
    except ConnectionResetError:
        # The client gave up (its timeout) while its body was still arriving: nobody to answer.
        log.debug("client went away during %s", method)
        return 499, b""
    except Exception:
        log.exception("emulator failed on %s", method)
        return 500, _INTERNAL_ERROR


async def handle_bot_request(request: web.Request) -> web.Response:
    """aiohttp handler for every Bot API call."""
    state = request.app[STATE_KEY]
    method = request.match_info["method"]
    try:
        bot = state.bot(request.match_info["token"])
    except ApiError as error:
        return _json_response(error.code, orjson.dumps(error.payload()))
    plan = state.faults.plan(method.lower()) if state.faults.active else None
    if plan is not None:
        injected = await _apply_faults_before(state, bot, plan)
        if injected is not None:
            return injected
    status, body = await _execute(state, bot, method, request)
    if plan is not None and plan.hang and plan.hang_after:
        bot.stats.injected["hang"] += 1
        await _hang(state, plan.hang)
    return _json_response(status, body)


def _json_response(status: int, body: bytes) -> web.Response:
    """A JSON answer with the HTTP status equal to error_code, as Telegram does."""
    return web.Response(body=body, status=status, content_type="application/json")
