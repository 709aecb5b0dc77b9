"""Bot API method handlers, keyed by lower-cased method name."""

from __future__ import annotations

from emulator.methods import (
    bot_info,
    callback_answers,
    chats,
    editing,
    extra_sends,
    invites,
    polls,
    sending,
)
from emulator.methods.context import Call, Handler
from emulator.methods.media_group import send_media_group
from emulator.methods.updates_api import get_updates, make_webhook_methods
from emulator.webhook import MethodRunner

__all__ = ["Call", "Handler", "build_registry"]


def build_registry(run_method: MethodRunner) -> dict[str, Handler]:
    """Every supported method; webhook methods need the dispatcher to run reply methods."""
    registry: dict[str, Handler] = {
        "getme": bot_info.get_me,
        "setmycommands": bot_info.set_my_commands,
        "getmycommands": bot_info.get_my_commands,
        "deletemycommands": bot_info.delete_my_commands,
        "sendmessage": sending.send_message,
        "sendphoto": sending.send_photo,
        "senddocument": sending.send_document,
        "sendvideo": sending.send_video,
        "sendanimation": sending.send_animation,
        "sendaudio": sending.send_audio,
        "sendmediagroup": send_media_group,
        "sendpoll": polls.send_poll,
        "stoppoll": polls.stop_poll,
        "senddice": extra_sends.send_dice,
        "sendlocation": extra_sends.send_location,
        "sendvenue": extra_sends.send_venue,
        "sendcontact": extra_sends.send_contact,
        "copymessage": sending.copy_message,
        "editmessagetext": editing.edit_message_text,
        "editmessagecaption": editing.edit_message_caption,
        "editmessagereplymarkup": editing.edit_message_reply_markup,
        "deletemessage": editing.delete_message,
        "answercallbackquery": callback_answers.answer_callback_query,
        "getchat": chats.get_chat,
        "getchatmember": chats.get_chat_member,
        "getchatadministrators": chats.get_chat_administrators,
        "getchatmembercount": chats.get_chat_member_count,
        "createchatinvitelink": invites.create_chat_invite_link,
        "editchatinvitelink": invites.edit_chat_invite_link,
        "revokechatinvitelink": invites.revoke_chat_invite_link,
        "exportchatinvitelink": invites.export_chat_invite_link,
        "approvechatjoinrequest": invites.approve_chat_join_request,
        "declinechatjoinrequest": invites.decline_chat_join_request,
        "getupdates": get_updates,
    }
    registry.update(make_webhook_methods(run_method))
    return registry
