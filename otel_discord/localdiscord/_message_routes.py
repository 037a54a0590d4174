"""Get, Edit and Delete Message on the webhook and bot routes of the local Discord.

Edits are judged like creates (limits, unknown keys, ``allowed_mentions``), run
in rate-limit buckets of their own, and fail like Discord's: 404 code 10008 for
a message that is unknown, deleted or posted by another webhook, 403 code 50005
for a bot editing someone else's message. Called with the server's lock held.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Final, Protocol

from otel_discord.localdiscord import _routes as r
from otel_discord.localdiscord._model import Message, ViolationKind
from otel_discord.localdiscord._routes import Reply, Route
from otel_discord.localdiscord._validate import check_message
from otel_discord.localdiscord._views import message_object


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


class _Bot(_Identified, Protocol):
    @property
    def permissions(self) -> frozenset[str]: ...


class Request(Protocol):
    """The request on its way through the checks (``_api._Call``)."""

    @property
    def route(self) -> Route: ...
    @property
    def method(self) -> str: ...


class Caller(Protocol):
    """Who asks, once authenticated (``_api._Target``)."""

    @property
    def channel(self) -> _Identified: ...
    @property
    def webhook(self) -> _Identified | None: ...
    @property
    def bot(self) -> _Bot | None: ...


class Server(Protocol):
    """The parts of ``_api.LocalDiscord`` these routes use (typed here: no import back)."""

    messages: list[Message]
    revision: int
    deleted: list[tuple[int, Message]]

    def _refuse(self, key: str, which: tuple[int, int, str], call: Any) -> Reply: ...
    def _parse(self, call: Any, rl: dict[str, str]) -> object: ...
    def _violate(self, kind: ViolationKind, detail: str, call: Any) -> None: ...


EDIT_KEYS: Final = frozenset(
    {
        "content",
        "embeds",
        "flags",
        "allowed_mentions",
        "components",
        "files",
        "payload_json",
        "attachments",
        "poll",
    }
)
"""What Edit Message and Edit Webhook Message accept (no username, avatar or tts)."""
MISSING_PERMISSIONS_TO_DELETE: Final = (403, 50013, "Missing Permissions")


def answer_message_route(api: Server, call: Request, target: Caller, rl: dict[str, str]) -> Reply:
    """GET, PATCH or DELETE one message, once the caller is authenticated and within limits."""
    index = _find(api, call, target)
    if index is None:
        key = f"404:message:{call.route.message_id}"
        return api._refuse(key, r.UNKNOWN_MESSAGE, call)
    message = api.messages[index]
    if call.method == "GET":
        return r.json_reply(200, _object(message), rl)
    if target.bot is not None and message.author_id != target.bot.id:
        which = r.NOT_AUTHOR if call.method == "PATCH" else MISSING_PERMISSIONS_TO_DELETE
        return r.error(*which, headers=rl)
    if call.method == "DELETE":
        del api.messages[index]
        api.revision += 1
        api.deleted.append((api.revision, message))
        return r.Reply(204, headers=rl)
    return _edit(api, call, target, index, rl)


def _find(api: Server, call: Request, target: Caller) -> int | None:
    for i, message in enumerate(api.messages):
        if message.id != call.route.message_id or message.channel_id != target.channel.id:
            continue
        if target.webhook is not None and message.webhook_id != target.webhook.id:
            return None  # a webhook sees only its own messages
        return i
    return None


def _edit(api: Server, call: Request, target: Caller, index: int, rl: dict[str, str]) -> Reply:
    patch = api._parse(call, rl)
    if isinstance(patch, Reply):
        return patch
    if not isinstance(patch, dict):
        verdict = check_message(patch, webhook=False)
        return r.invalid_form_body(verdict.errors or {}, rl)
    for key in sorted(set(patch) - EDIT_KEYS):
        api._violate(ViolationKind.UNKNOWN_JSON_KEY, f"{key[:80]!r} is not an edit key", call)
    accepted = {k: v for k, v in patch.items() if k in EDIT_KEYS}
    verdict = check_message(accepted, webhook=False)
    for path in verdict.unknown_keys:
        api._violate(ViolationKind.UNKNOWN_JSON_KEY, f"{path[:80]!r} is not a Discord key", call)
    problem = verdict.mention_problem
    if problem == "missing allowed_mentions":
        api._violate(ViolationKind.MISSING_ALLOWED_MENTIONS, problem, call)
    elif problem is not None:
        api._violate(ViolationKind.PERMISSIVE_ALLOWED_MENTIONS, problem, call)
    if verdict.errors is not None:
        return r.invalid_form_body(verdict.errors, rl)
    bot = target.bot
    if bot is not None and accepted.get("embeds") and "EMBED_LINKS" not in bot.permissions:
        return api._refuse(f"403:{bot.id}:{target.channel.id}", r.MISSING_PERMISSIONS, call)
    old = api.messages[index]
    merged: dict[str, Any] = {**old.payload, **accepted}
    if check_message(merged, webhook=target.webhook is not None).empty:
        return r.error(*r.EMPTY_MESSAGE, headers=rl)
    api.revision += 1
    edited = dataclasses.replace(old, payload=merged, edited_at=time.time(), revision=api.revision)
    api.messages[index] = edited
    return r.json_reply(200, _object(edited), rl)


def _object(message: Message) -> dict[str, Any]:
    obj = message_object(message, message.author_id, message.webhook_id)
    if message.edited_at is not None:
        stamp = dataclasses.replace(message, received_at=message.edited_at)
        obj["edited_timestamp"] = message_object(stamp, "", None)["timestamp"]
    return obj
