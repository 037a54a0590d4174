"""Message validation as Discord does it, written apart from the package's renderer.

The limits are restated here on purpose instead of imported from
``otel_discord.render.limits``: an independent check is what catches a wrong
number or an off-by-one in our own rendering. Lengths are counted in code points
after stripping surrounding whitespace, and errors come back in Discord's nested
``{"embeds": {"0": {"fields": {"3": {"value": {"_errors": [...]}}}}}}`` shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

TITLE: Final = 256
DESCRIPTION: Final = 4096
FIELDS: Final = 25
FIELD_NAME: Final = 256
FIELD_VALUE: Final = 1024
FOOTER_TEXT: Final = 2048
AUTHOR_NAME: Final = 256
EMBEDS: Final = 10
EMBED_TOTAL: Final = 6000
CONTENT: Final = 2000
USERNAME: Final = 80
COLOR_MAX: Final = 0xFFFFFF
MENTION_IDS: Final = 100

_WEBHOOK_KEYS: Final = frozenset(
    {
        "content",
        "username",
        "avatar_url",
        "tts",
        "embeds",
        "allowed_mentions",
        "components",
        "files",
        "payload_json",
        "attachments",
        "flags",
        "thread_name",
        "applied_tags",
        "poll",
    }
)
_CHANNEL_KEYS: Final = frozenset(
    {
        "content",
        "nonce",
        "tts",
        "embeds",
        "allowed_mentions",
        "message_reference",
        "components",
        "sticker_ids",
        "files",
        "payload_json",
        "attachments",
        "flags",
        "enforce_nonce",
        "poll",
    }
)
_EMBED_KEYS: Final = frozenset(
    {
        "title",
        "type",
        "description",
        "url",
        "timestamp",
        "color",
        "footer",
        "image",
        "thumbnail",
        "video",
        "provider",
        "author",
        "fields",
    }
)
_FIELD_KEYS: Final = frozenset({"name", "value", "inline"})
_FOOTER_KEYS: Final = frozenset({"text", "icon_url", "proxy_icon_url"})
_AUTHOR_KEYS: Final = frozenset({"name", "url", "icon_url", "proxy_icon_url"})
_MEDIA_KEYS: Final = frozenset({"url", "proxy_url", "height", "width"})
_PROVIDER_KEYS: Final = frozenset({"name", "url"})
_TEXT_PARTS: Final = {
    "footer": (_FOOTER_KEYS, "text", FOOTER_TEXT, ("icon_url",)),
    "author": (_AUTHOR_KEYS, "name", AUTHOR_NAME, ("icon_url", "url")),
}
"""Embed parts with one counted text: known keys, text key, its limit, URL keys."""
_MENTION_KEYS: Final = frozenset({"parse", "users", "roles", "replied_user"})
_MENTION_TYPES: Final = frozenset({"users", "roles", "everyone"})

_ISO_8601 = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?$"
)
_SNOWFLAKE = re.compile(r"^\d{1,20}$")

Path = tuple[str, ...]


@dataclass
class Verdict:
    """What Discord would say about one message body."""

    errors: dict[str, Any] | None = None
    """Discord's nested ``errors`` object for a 400 code 50035, or None when valid."""
    empty: bool = False
    """True when the body is well formed but has neither content nor an embed (code 50006)."""
    unknown_keys: list[str] = field(default_factory=list)
    """Dotted paths of keys Discord silently ignores (a client bug, not an error)."""
    mention_problem: str | None = None
    """Why the body could ping someone, or None when mentions are fully disabled."""


class _Errors:
    """Collects errors into Discord's nested shape."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= 40 else f"{text[:40]}..."


class _Checker:
    """Walks one message body, recording errors, unknown keys and the embed total."""

    def __init__(self) -> None:
        self.errors = _Errors()
        self.unknown: list[str] = []
        self.total = 0

    def unknown_keys(self, obj: dict[str, Any], known: frozenset[str], where: str) -> None:
        for key in obj:
            if key not in known:
                self.unknown.append(f"{where}{key}" if where else key)

    def string(
        self, obj: dict[str, Any], key: str, path: Path, limit: int, *, required: bool = False
    ) -> int:
        """Check a string member; return its counted length (0 when absent or invalid)."""
        value = obj.get(key)
        if value is None:
            if required:
                self.errors.add((*path, key), "BASE_TYPE_REQUIRED", "This field is required")
            return 0
        if not isinstance(value, str):
            self.errors.add(
                (*path, key),
                "BASE_TYPE_STRING",
                f'Could not interpret "{_short(value)}" as string.',
            )
            return 0
        length = len(value.strip())
        if required and length == 0:
            self.errors.add((*path, key), "BASE_TYPE_REQUIRED", "This field is required")
        elif length > limit:
            self.errors.add(
                (*path, key), "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
            )
        return length

    def boolean(self, obj: dict[str, Any], key: str, path: Path) -> None:
        value = obj.get(key)
        if value is not None and not isinstance(value, bool):
            self.errors.add((*path, key), "BASE_TYPE_BOOLEAN", "Must be either true or false.")

    def url(self, obj: dict[str, Any], key: str, path: Path, *, required: bool = False) -> None:
        value = obj.get(key)
        if value is None:
            if required:
                self.errors.add((*path, key), "BASE_TYPE_REQUIRED", "This field is required")
            return
        ok = isinstance(value, str) and re.match(r"^(https?|attachment)://\S+$", value.strip())
        if not ok:
            self.errors.add((*path, key), "URL_TYPE_INVALID_URL", "Not a well formed URL.")

    def integer(self, obj: dict[str, Any], key: str, path: Path, low: int, high: int) -> None:
        value = obj.get(key)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors.add(
                (*path, key), "NUMBER_TYPE_COERCE", f'Value "{_short(value)}" is not int.'
            )
        elif value < low:
            self.errors.add(
                (*path, key),
                "NUMBER_TYPE_MIN",
                f"int value should be greater than or equal to {low}.",
            )
        elif value > high:
            self.errors.add(
                (*path, key),
                "NUMBER_TYPE_MAX",
                f"int value should be less than or equal to {high}.",
            )

    def timestamp(self, obj: dict[str, Any], key: str, path: Path) -> None:
        value = obj.get(key)
        if value is None:
            return
        if not isinstance(value, str) or not _parses_as_iso_8601(value):
            self.errors.add(
                (*path, key),
                "DATE_TIME_TYPE_PARSE",
                f"Could not parse {_short(value)}. Should be ISO8601.",
            )

    def model(self, obj: dict[str, Any], key: str, path: Path) -> dict[str, Any] | None:
        """Return a nested object member, or None (recording an error if it is not an object)."""
        value = obj.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.errors.add(
                (*path, key), "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
            )
            return None
        return value

    def listing(self, obj: dict[str, Any], key: str, path: Path, limit: int) -> list[Any]:
        value = obj.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.add(
                (*path, key), "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"
            )
            return []
        if len(value) > limit:
            self.errors.add(
                (*path, key), "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
            )
        return value

    def embed(self, embed: object, index: int) -> bool:
        """Check one embed; return whether it shows anything."""
        path: Path = ("embeds", str(index))
        if not isinstance(embed, dict):
            self.errors.add(
                path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
            )
            return False
        where = f"embeds[{index}]."
        self.unknown_keys(embed, _EMBED_KEYS, where)
        shown = self.string(embed, "title", path, TITLE)
        shown += self.string(embed, "description", path, DESCRIPTION)
        self.total += shown
        self.url(embed, "url", path)
        self.timestamp(embed, "timestamp", path)
        self.integer(embed, "color", path, 0, COLOR_MAX)
        if embed.get("type") is not None and embed.get("type") != "rich":
            self.string(embed, "type", path, 64)
        shown += self._fields(embed, path, where)
        shown += sum(self._sub(embed, key, path, where) for key in _TEXT_PARTS)
        for media in ("image", "thumbnail", "video"):
            sub = self.model(embed, media, path)
            if sub is not None:
                self.unknown_keys(sub, _MEDIA_KEYS, f"{where}{media}.")
                self.url(sub, "url", (*path, media), required=media != "video")
                shown += 1
        provider = self.model(embed, "provider", path)
        if provider is not None:
            self.unknown_keys(provider, _PROVIDER_KEYS, f"{where}provider.")
        return shown > 0 or "url" in embed or "timestamp" in embed

    def _fields(self, embed: dict[str, Any], path: Path, where: str) -> int:
        shown = 0
        for i, item in enumerate(self.listing(embed, "fields", path, FIELDS)):
            fpath: Path = (*path, "fields", str(i))
            if not isinstance(item, dict):
                self.errors.add(
                    fpath, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"
                )
                continue
            self.unknown_keys(item, _FIELD_KEYS, f"{where}fields[{i}].")
            counted = self.string(item, "name", fpath, FIELD_NAME, required=True)
            counted += self.string(item, "value", fpath, FIELD_VALUE, required=True)
            self.boolean(item, "inline", fpath)
            self.total += counted
            shown += counted
        return shown

    def _sub(self, embed: dict[str, Any], key: str, path: Path, where: str) -> int:
        """Check a footer or author; return its counted text length."""
        sub = self.model(embed, key, path)
        if sub is None:
            return 0
        known, text, limit, urls = _TEXT_PARTS[key]
        self.unknown_keys(sub, known, f"{where}{key}.")
        counted = self.string(sub, text, (*path, key), limit, required=True)
        for name in urls:
            self.url(sub, name, (*path, key))
        self.total += counted
        return counted

    def mentions(self, body: dict[str, Any]) -> str | None:
        """Validate ``allowed_mentions``; return why it could ping, or None if it cannot."""
        if "allowed_mentions" not in body:
            return "missing allowed_mentions"
        mentions = self.model(body, "allowed_mentions", ())
        if mentions is None:
            return "allowed_mentions is not an object"
        path: Path = ("allowed_mentions",)
        self.unknown_keys(mentions, _MENTION_KEYS, "allowed_mentions.")
        parse = self.listing(mentions, "parse", path, 3)
        for i, kind in enumerate(parse):
            if kind not in _MENTION_TYPES:
                self.errors.add(
                    (*path, "parse", str(i)),
                    "ENUM_TYPE_COERCE",
                    f'Value "{_short(kind)}" is not a valid enum value.',
                )
        ids: dict[str, list[Any]] = {}
        for kind in ("users", "roles"):
            ids[kind] = self.listing(mentions, kind, path, MENTION_IDS)
            for i, snowflake in enumerate(ids[kind]):
                if not (isinstance(snowflake, str | int) and _SNOWFLAKE.match(str(snowflake))):
                    self.errors.add(
                        (*path, kind, str(i)),
                        "NUMBER_TYPE_COERCE",
                        f'Value "{_short(snowflake)}" is not snowflake.',
                    )
            if kind in parse and ids[kind]:
                self.errors.add(
                    path,
                    "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
        self.boolean(mentions, "replied_user", path)
        if mentions.get("parse") != [] or ids["users"] or ids["roles"]:
            return f"allowed_mentions would allow pings: {_short(mentions)}"
        return None


def check_message(body: object, *, webhook: bool) -> Verdict:
    """Judge a JSON-decoded message body as Discord's execute-webhook or create-message would."""
    checker = _Checker()
    if not isinstance(body, dict):
        checker.errors.add((), "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return Verdict(errors=checker.errors.tree)
    checker.unknown_keys(body, _WEBHOOK_KEYS if webhook else _CHANNEL_KEYS, "")
    content = checker.string(body, "content", (), CONTENT)
    if webhook and body.get("username") is not None:
        _check_username(checker, body["username"])
    if webhook:
        checker.url(body, "avatar_url", ())
    checker.boolean(body, "tts", ())
    checker.integer(body, "flags", (), 0, 2**31 - 1)
    embeds = checker.listing(body, "embeds", (), EMBEDS)
    shown = [checker.embed(embed, i) for i, embed in enumerate(embeds)]
    if checker.total > EMBED_TOTAL:
        checker.errors.add(
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL}",
        )
    problem = checker.mentions(body)
    tree = checker.errors.tree or None
    empty = tree is None and content == 0 and not any(shown) and not _has_other_content(body)
    return Verdict(errors=tree, empty=empty, unknown_keys=checker.unknown, mention_problem=problem)


def _check_username(checker: _Checker, name: object) -> None:
    length = checker.string({"username": name}, "username", (), USERNAME, required=True)
    if not isinstance(name, str) or length == 0:
        return
    lowered = name.lower()
    for word in ("discord", "clyde"):
        if word in lowered:
            checker.errors.add(
                ("username",), "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"'
            )
    if lowered.strip() in ("everyone", "here"):
        checker.errors.add(
            ("username",), "USERNAME_INVALID", f'Username cannot be "{lowered.strip()}"'
        )


def _has_other_content(body: dict[str, Any]) -> bool:
    """Stickers, components, polls and files also make a message non-empty."""
    return any(
        body.get(key) for key in ("sticker_ids", "components", "poll", "attachments", "files")
    )


def _parses_as_iso_8601(text: str) -> bool:
    match = _ISO_8601.match(text.strip())
    if match is None:
        return False
    try:
        datetime.strptime(match["date"], "%Y-%m-%d")
    except ValueError:
        return False
    if match["h"] is not None:
        hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
        if hour > 23 or minute > 59 or second > 60:
            return False
    tz = (match["tz"] or "Z").replace(":", "")
    return tz == "Z" or (int(tz[1:3]) <= 23 and int(tz[3:5]) <= 59)
