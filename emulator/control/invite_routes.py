"""Control API: bot rights in chats, invite links, polls, and users joining, voting, sharing."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator import invites, membership, polls_state
from emulator.contacts import user_shares_contact
from emulator.control.common import bool_arg, control_route, int_arg, path_int, required_int
from emulator.errors import ControlError
from emulator.rights import normalize_rights, set_bot_rights
from emulator.state import EmulatorState
from emulator.world import VirtualChat


def _chat(state: EmulatorState, request: web.Request) -> VirtualChat:
    """The group or channel named in the path."""
    chat_id = path_int(request, "chat_id")
    chat = state.world.chats.get(chat_id)
    if chat is None:
        raise ControlError(404, f"chat {chat_id} not found")
    return chat


@control_route
async def patch_bot(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """PATCH|POST /_emulator/chats/{chat_id}/bots/{bot_id} {admin?=true, rights?}."""
    chat = _chat(state, request)
    admin = bool_arg(body, "admin", True)
    rights = normalize_rights(body.get("rights", True)) if admin else None
    update = set_bot_rights(state, chat, path_int(request, "bot_id"), rights)
    return {"chat": chat.to_json(), "update": update}


@control_route
async def get_invite_links(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/chats/{chat_id}/invite_links: links and pending join requests."""
    chat = _chat(state, request)
    requests = [
        {"user_id": r.user_id, "invite_link": f"https://t.me/+{r.link_hash}", "date": r.date}
        for r in state.invites.requests.values()
        if r.chat_id == chat.id
    ]
    links = [link.to_json() for link in state.invites.for_chat(chat.id)]
    return {"chat_id": chat.id, "invite_links": links, "join_requests": requests}


@control_route
async def get_polls(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """GET /_emulator/polls[?chat_id=]: polls with their counts and every user's vote."""
    chat_id = int_arg(body, "chat_id")
    polls = [p for p in state.polls.polls.values() if chat_id is None or p.chat_id == chat_id]
    return {"polls": [poll.to_json() for poll in polls]}


@control_route
async def post_open_link(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/open_link {url, token?}: join or ask to join."""
    url = body.get("url")
    if not isinstance(url, str) or not url:
        raise ControlError(400, "url is required")
    return invites.open_link(state, path_int(request, "user_id"), url)


@control_route
async def post_leave(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/leave {chat_id}: the user leaves a group or channel."""
    user_id, chat_id = path_int(request, "user_id"), required_int(body, "chat_id")
    return {"updates": membership.leave_chat(state, user_id, chat_id)}


@control_route
async def post_vote(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/vote {token?, message_id, option_ids, chat_id?}."""
    bot = state.known_bot(body.get("token"))
    option_ids = body.get("option_ids")
    if not isinstance(option_ids, list) or not all(
        isinstance(option, int) and not isinstance(option, bool) for option in option_ids
    ):
        raise ControlError(400, "option_ids must be a list of integers")
    return polls_state.vote(
        state,
        bot,
        path_int(request, "user_id"),
        required_int(body, "message_id"),
        option_ids,
        int_arg(body, "chat_id"),
    )


@control_route
async def post_contact(request: web.Request, state: EmulatorState, body: dict[str, Any]) -> Any:
    """POST /_emulator/users/{user_id}/contact {token?, phone_number?, chat_id?, reply_to…?}."""
    bot = state.known_bot(body.get("token"))
    phone = body.get("phone_number")
    if phone is not None and not isinstance(phone, str):
        raise ControlError(400, "phone_number must be a string")
    update = user_shares_contact(
        state,
        bot,
        path_int(request, "user_id"),
        phone_number=phone,
        chat_id=int_arg(body, "chat_id"),
        reply_to_message_id=int_arg(body, "reply_to_message_id"),
    )
    return {"update": update}


def add_routes(app: web.Application, prefix: str) -> None:
    """Register the invite, poll and sharing routes."""
    router = app.router
    router.add_patch(f"{prefix}/chats/{{chat_id}}/bots/{{bot_id}}", patch_bot)
    router.add_post(f"{prefix}/chats/{{chat_id}}/bots/{{bot_id}}", patch_bot)
    router.add_get(f"{prefix}/chats/{{chat_id}}/invite_links", get_invite_links)
    router.add_get(f"{prefix}/polls", get_polls)
    user = f"{prefix}/users/{{user_id}}"
    router.add_post(f"{user}/open_link", post_open_link)
    router.add_post(f"{user}/leave", post_leave)
    router.add_post(f"{user}/vote", post_vote)
    router.add_post(f"{user}/contact", post_contact)
