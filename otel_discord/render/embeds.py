"""Fit embeds to Discord's limits and pack them into as few messages as possible.

``fit_embed`` and ``pack_messages`` repair; ``payload_problems`` only reports, with
checks written separately so one can catch the other's mistakes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final

from otel_discord.render import limits
from otel_discord.render.json_safe import json_safe
from otel_discord.render.text import clip, clip_markdown
from otel_discord.render.types import Embed, Payload

PLACEHOLDER: Final = "—"
"""Stands in for a required text that came empty: Discord rejects blank ones."""

NO_MENTIONS: Final[Mapping[str, list[str]]] = {"parse": []}

_EMBED_KEYS: Final = frozenset(
    {
        "title",
        "description",
        "url",
        "timestamp",
        "color",
        "footer",
        "image",
        "thumbnail",
        "author",
        "fields",
    }
)
_PAYLOAD_KEYS: Final = frozenset(
    {
        "content",
        "username",
        "avatar_url",
        "tts",
        "embeds",
        "allowed_mentions",
        "components",
        "flags",
        "thread_name",
        "applied_tags",
        "attachments",
        "poll",
    }
)
_FORBIDDEN_IN_USERNAME: Final = re.compile("discord|clyde", re.IGNORECASE)
_LOOKALIKE: Final = str.maketrans({"o": "\u043e", "O": "\u041e", "e": "\u0435", "E": "\u0415"})
"""Cyrillic look-alikes: keep a forbidden word readable while Discord accepts it."""
_FORBIDDEN_USERNAMES: Final = frozenset({"everyone", "here"})


def _text(value: object) -> str:
    """Every text of an embed passes here: stripped and made encodable (see json_safe)."""
    return "" if value is None else json_safe(str(value).strip())


def _counted(embed: Mapping[str, Any]) -> Iterator[str]:
    """Every string Discord adds up toward ``limits.EMBED_TOTAL``."""
    for key in ("title", "description"):
        yield _text(embed.get(key))
    for parent in ("footer", "author"):
        section = embed.get(parent)
        if isinstance(section, Mapping):
            yield _text(section.get("text" if parent == "footer" else "name"))
    fields = embed.get("fields")
    if isinstance(fields, Sequence) and not isinstance(fields, str):
        for field in fields:
            if isinstance(field, Mapping):
                yield _text(field.get("name"))
                yield _text(field.get("value"))


def embed_length(embed: Embed) -> int:
    """Characters of ``embed`` that count toward the 6000 per message, after trimming."""
    return sum(len(part) for part in _counted(embed))


def _url(value: object) -> str | None:
    text = _text(value)
    return text if text.startswith(("https://", "http://", "attachment://")) else None


def _color(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value):
        return None
    return min(max(int(value), 0), limits.COLOR_MAX)


def _timestamp(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = _text(value)
    return text or None


def _section(value: object, text_key: str, text_limit: int, url_keys: Sequence[str]) -> Embed:
    """Footer or author: kept only when its required text is present."""
    if not isinstance(value, Mapping):
        return {}
    text = _text(value.get(text_key))
    if not text:
        return {}
    section: Embed = {text_key: clip(text, text_limit)}
    for key in url_keys:
        url = _url(value.get(key))
        if url:
            section[key] = url
    return section


def _fields(value: object) -> list[Embed]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    fields: list[Embed] = []
    for raw in value:
        if not isinstance(raw, Mapping):
            continue
        field: Embed = {
            "name": clip(_text(raw.get("name")) or PLACEHOLDER, limits.EMBED_FIELD_NAME),
            "value": clip_markdown(
                _text(raw.get("value")) or PLACEHOLDER, limits.EMBED_FIELD_VALUE
            ),
        }
        if "inline" in raw:
            field["inline"] = bool(raw["inline"])
        fields.append(field)
    if len(fields) > limits.EMBED_FIELDS:
        hidden = len(fields) - (limits.EMBED_FIELDS - 1)
        fields = fields[: limits.EMBED_FIELDS - 1]
        fields.append({"name": "…", "value": f"{hidden} more fields not shown", "inline": False})
    return fields


def _sanitised(embed: Mapping[str, Any]) -> Embed:
    """Known keys only, each within its own limit; the 6000 total is handled after."""
    out: Embed = {}
    title = _text(embed.get("title"))
    if title:
        out["title"] = clip(title, limits.EMBED_TITLE)
    description = _text(embed.get("description"))
    if description:
        out["description"] = clip_markdown(description, limits.EMBED_DESCRIPTION)
    url = _url(embed.get("url"))
    if url:
        out["url"] = url
    timestamp = _timestamp(embed.get("timestamp"))
    if timestamp:
        out["timestamp"] = timestamp
    color = _color(embed.get("color"))
    if color is not None:
        out["color"] = color
    footer = _section(embed.get("footer"), "text", limits.EMBED_FOOTER_TEXT, ("icon_url",))
    if footer:
        out["footer"] = footer
    for key in ("image", "thumbnail"):
        media = embed.get(key)
        media_url = _url(media.get("url")) if isinstance(media, Mapping) else None
        if media_url:
            out[key] = {"url": media_url}
    author = _section(embed.get("author"), "name", limits.EMBED_AUTHOR_NAME, ("url", "icon_url"))
    if author:
        out["author"] = author
    fields = _fields(embed.get("fields"))
    if fields:
        out["fields"] = fields
    if not ({"title", "description", "fields"} & out.keys()):
        out["description"] = PLACEHOLDER
    return out


_Part = tuple[str, Callable[[str], None]]


def _parts(embed: Embed) -> tuple[list[_Part], list[_Part]]:
    """The counted strings of a sanitised embed, with setters: (bodies, headings).

    Bodies (description, field values, footer) give way before headings (title,
    author, field names), which say what the embed is about.
    """
    bodies: list[_Part] = []
    headings: list[_Part] = []

    def setter(container: Embed, key: str) -> Callable[[str], None]:
        def put(text: str) -> None:
            container[key] = text

        return put

    if "title" in embed:
        headings.append((embed["title"], setter(embed, "title")))
    if "description" in embed:
        bodies.append((embed["description"], setter(embed, "description")))
    if "footer" in embed:
        bodies.append((embed["footer"]["text"], setter(embed["footer"], "text")))
    if "author" in embed:
        headings.append((embed["author"]["name"], setter(embed["author"], "name")))
    for field in embed.get("fields", []):
        headings.append((field["name"], setter(field, "name")))
        bodies.append((field["value"], setter(field, "value")))
    return bodies, headings


def _cap(lengths: Sequence[int], budget: int) -> int:
    """The largest per-part cap under which all parts together fit in ``budget``."""
    low, high = 1, max(lengths, default=1)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(min(n, mid) for n in lengths) <= budget:
            low = mid
        else:
            high = mid - 1
    return low


def _apply_cap(parts: Sequence[_Part], cap: int) -> None:
    for text, put in parts:
        if len(text) > cap:
            put(clip_markdown(text, cap))


_BODY_FLOOR: Final = 64
"""Bodies are cut to this before any heading is touched."""


def _shrink(embed: Embed, budget: int) -> None:
    """Cut the longest bodies first, then headings too, until the total fits ``budget``."""
    if embed_length(embed) <= budget:
        return
    bodies, headings = _parts(embed)
    room = budget - sum(len(text) for text, _ in headings)
    _apply_cap(bodies, max(_cap([len(text) for text, _ in bodies], room), _BODY_FLOOR))
    if embed_length(embed) > budget:
        bodies, headings = _parts(embed)
        everything = bodies + headings
        _apply_cap(everything, _cap([len(text) for text, _ in everything], budget))


def fit_embed(embed: Embed) -> Embed:
    """A new embed that Discord accepts: known keys, every limit met, never blank.

    Over the 6000 total, the longest parts (usually the description, then field
    values) are cut first; code blocks are cut inside their fences.
    """
    out = _sanitised(embed)
    _shrink(out, limits.EMBED_TOTAL)
    return out


def _username(value: str | None) -> str | None:
    name = _text(value)
    if not name:
        return None
    name = _FORBIDDEN_IN_USERNAME.sub(lambda m: m[0].translate(_LOOKALIKE), name)
    if name.lower() in _FORBIDDEN_USERNAMES:  # Discord refuses these names outright
        name = name.translate(_LOOKALIKE)
    return clip(name, limits.WEBHOOK_USERNAME)


def _message(embeds: list[Embed], extra: Mapping[str, Any]) -> Payload:
    payload: Payload = dict(extra)
    if embeds:
        payload["embeds"] = embeds
    payload["allowed_mentions"] = {"parse": []}
    return payload


def pack_messages(
    embeds: Sequence[Embed],
    *,
    content: str | None = None,
    username: str | None = None,
    avatar_url: str | None = None,
) -> list[Payload]:
    """Fit every embed and pack them in order into the fewest messages Discord accepts.

    Each message holds at most 10 embeds and 6000 counted characters; ``content`` goes
    on the first message only. Every payload forbids all mentions.
    """
    identity: Payload = {}
    name = _username(username)
    if name:
        identity["username"] = name
    avatar = _url(avatar_url)
    if avatar:
        identity["avatar_url"] = avatar
    first: Payload = dict(identity)
    text = _text(content)
    if text:
        first["content"] = clip(text, limits.MESSAGE_CONTENT)

    batches: list[list[Embed]] = []
    size = 0
    for embed in map(fit_embed, embeds):
        length = embed_length(embed)
        if (
            not batches
            or len(batches[-1]) >= limits.MESSAGE_EMBEDS
            or size + length > limits.EMBED_TOTAL
        ):
            batches.append([])
            size = 0
        batches[-1].append(embed)
        size += length
    if not batches:
        return [_message([], first)] if "content" in first else []
    return [_message(batch, first if i == 0 else identity) for i, batch in enumerate(batches)]


def _too_long(path: str, value: object, limit: int, *, required: bool) -> list[str]:
    if value is None:
        return [f"{path}: required"] if required else []
    if not isinstance(value, str):
        return [f"{path}: not a string ({type(value).__name__})"]
    length = len(value.strip())
    if required and length == 0:
        return [f"{path}: empty or whitespace only"]
    if length > limit:
        return [f"{path}: {length} characters, limit {limit}"]
    return []


def _section_problems(embed: Mapping[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    for parent, key, limit in (
        ("footer", "text", limits.EMBED_FOOTER_TEXT),
        ("author", "name", limits.EMBED_AUTHOR_NAME),
    ):
        if parent not in embed:
            continue
        section = embed[parent]
        if isinstance(section, Mapping):
            problems += _too_long(f"{path}.{parent}.{key}", section.get(key), limit, required=True)
        else:
            problems.append(f"{path}.{parent}: not an object")
    for key in ("image", "thumbnail"):
        if key in embed and not (isinstance(embed[key], Mapping) and embed[key].get("url")):
            problems.append(f"{path}.{key}.url: required")
    color = embed.get("color")
    if color is not None and (
        isinstance(color, bool) or not isinstance(color, int) or not 0 <= color <= limits.COLOR_MAX
    ):
        problems.append(f"{path}.color: {color!r} is not an int in 0..{limits.COLOR_MAX:#x}")
    return problems


def _field_problems(fields: object, path: str) -> list[str]:
    if not isinstance(fields, list):
        return [f"{path}: not a list"]
    problems: list[str] = []
    if len(fields) > limits.EMBED_FIELDS:
        problems.append(f"{path}: {len(fields)} fields, limit {limits.EMBED_FIELDS}")
    for i, field in enumerate(fields):
        where = f"{path}[{i}]"
        if not isinstance(field, Mapping):
            problems.append(f"{where}: not an object")
            continue
        for key, limit in (("name", limits.EMBED_FIELD_NAME), ("value", limits.EMBED_FIELD_VALUE)):
            problems += _too_long(f"{where}.{key}", field.get(key), limit, required=True)
    return problems


def _embed_problems(embed: object, path: str) -> list[str]:
    if not isinstance(embed, Mapping):
        return [f"{path}: not an object"]
    problems = [f"{path}.{key}: unknown key" for key in sorted(embed.keys() - _EMBED_KEYS)]
    for key, limit in (("title", limits.EMBED_TITLE), ("description", limits.EMBED_DESCRIPTION)):
        problems += _too_long(f"{path}.{key}", embed.get(key), limit, required=False)
    problems += _section_problems(embed, path)
    problems += _field_problems(embed.get("fields", []), f"{path}.fields")
    if not any(embed.get(key) for key in _EMBED_KEYS - {"url", "timestamp", "color"}):
        problems.append(f"{path}: empty embed")
    return problems


def payload_problems(payload: Payload) -> list[str]:
    """Everything in ``payload`` that Discord would reject or that could ping someone.

    An empty list means the message is safe to send.
    """
    if not isinstance(payload, Mapping):
        return ["payload: not an object"]
    problems = [f"{key}: unknown key" for key in sorted(payload.keys() - _PAYLOAD_KEYS)]
    if payload.get("allowed_mentions") != NO_MENTIONS:
        problems.append('allowed_mentions: must be {"parse": []} so nobody is pinged')
    problems += _too_long("content", payload.get("content"), limits.MESSAGE_CONTENT, required=False)
    if "username" in payload:
        problems += _too_long(
            "username", payload["username"], limits.WEBHOOK_USERNAME, required=True
        )
        if isinstance(payload["username"], str) and _FORBIDDEN_IN_USERNAME.search(
            payload["username"]
        ):
            problems.append('username: must not contain "discord" or "clyde"')
    embeds = payload.get("embeds", [])
    if not isinstance(embeds, list):
        return [*problems, "embeds: not a list"]
    if len(embeds) > limits.MESSAGE_EMBEDS:
        problems.append(f"embeds: {len(embeds)} embeds, limit {limits.MESSAGE_EMBEDS}")
    for i, embed in enumerate(embeds):
        problems += _embed_problems(embed, f"embeds[{i}]")
    total = sum(sum(len(part) for part in _counted(e)) for e in embeds if isinstance(e, Mapping))
    if total > limits.EMBED_TOTAL:
        problems.append(f"embeds: {total} characters in total, limit {limits.EMBED_TOTAL}")
    if not embeds and not _text(payload.get("content")):
        problems.append("payload: empty message (no content, no embeds)")
    return problems
