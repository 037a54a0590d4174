"""What the local Discord shows: the message object it returns and the ``/_local`` read API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from otel_discord.localdiscord import _routes as r
from otel_discord.localdiscord._model import Message, Stats, Violation
from otel_discord.localdiscord._routes import Reply
from otel_discord.localdiscord._upload_route import attachment_urls


def _shown(embed: dict[str, Any], files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """An embed as Discord returns it: ``type`` set, ``attachment://`` images resolved."""
    out = {k: v for k, v in {**embed, "type": embed.get("type") or "rich"}.items() if v is not None}
    for key in ("image", "thumbnail"):
        media = out.get(key)
        url = media.get("url") if isinstance(media, dict) else None
        if isinstance(url, str) and url.startswith("attachment://"):
            file = files.get(url[len("attachment://") :])
            if file is not None:
                out[key] = {"url": file["url"], "proxy_url": file["proxy_url"]}
                for size in ("width", "height"):
                    if size in file:
                        out[key][size] = file[size]
    return out


def message_object(
    message: Message, author_id: str, webhook_id: str | None, *, base_url: str = ""
) -> dict[str, Any]:
    """The message object Discord answers a create with (``?wait=true`` or the bot route)."""
    payload = message.payload
    files = attachment_urls(message, base_url)
    stamp = datetime.fromtimestamp(message.received_at, tz=timezone.utc).isoformat()
    obj: dict[str, Any] = {
        "id": message.id,
        "type": 0,
        "content": payload.get("content") or "",
        "channel_id": message.channel_id,
        "author": {
            "id": author_id,
            "username": message.author,
            "avatar": None,
            "discriminator": "0000",
            "global_name": None,
            "bot": True,
        },
        "attachments": list(files.values()),
        "embeds": [_shown(e, files) for e in payload.get("embeds") or []],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": bool(payload.get("tts")),
        "timestamp": stamp,
        "edited_timestamp": None,
        "flags": payload.get("flags") or 0,
        "components": [],
    }
    if webhook_id is not None:
        obj["webhook_id"] = webhook_id
    return obj


def local_view(
    path: str,
    query: dict[str, list[str]],
    *,
    messages: list[Message],
    violations: list[Violation],
    deleted: list[tuple[int, Message]] | None = None,
    stats: Stats,
    channels: list[dict[str, Any]],
) -> Reply:
    """Answer ``GET /_local/...``; nothing here ever holds a token."""
    nocache = {"Cache-Control": "no-store"}
    views: dict[str, Callable[[], object]] = {
        "/_local/channels": lambda: {"channels": channels},
        "/_local/violations": lambda: {
            "violations": [
                {"kind": v.kind.value, "detail": v.detail, "route": v.route} for v in violations
            ]
        },
        "/_local/stats": stats.to_json,
    }
    if path == "/_local/messages":
        channel = query.get("channel", [None])[-1]
        after = query.get("after", ["0"])[-1]
        if not after.isdigit():
            return r.error(400, 0, "after must be a message id", nocache)
        found = [
            m.to_json() for m in messages if int(m.id) > int(after) and channel in (None, m.channel)
        ]
        return r.json_reply(200, {"messages": found}, nocache)
    if path == "/_local/changes":
        return changes_view(query, messages, deleted or [], nocache)
    if path in views:
        return r.json_reply(200, views[path](), nocache)
    return r.error(*r.NOT_FOUND)


def changes_view(
    query: dict[str, list[str]],
    messages: list[Message],
    deleted: list[tuple[int, Message]],
    headers: dict[str, str],
) -> Reply:
    """``GET /_local/changes?channel=NAME&since=REVISION``: edits and deletions since then.

    Answers ``{"revision": N, "edited": [...], "deleted": [ids]}`` so a viewer that
    polls new messages by id can also redraw edited ones in place.
    """
    channel = query.get("channel", [None])[-1]
    since = query.get("since", ["0"])[-1]
    if not since.isdigit():
        return r.error(400, 0, "since must be a revision number", headers)
    after = int(since)
    edited = [
        m.to_json()
        for m in messages
        if m.edited_at is not None and m.revision > after and channel in (None, m.channel)
    ]
    gone = [m.id for rev, m in deleted if rev > after and channel in (None, m.channel)]
    latest = max([m.revision for m in messages] + [rev for rev, _ in deleted] + [after])
    body = {"revision": latest, "edited": edited, "deleted": gone}
    return r.json_reply(200, body, headers)
