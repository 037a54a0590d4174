"""The records the local Discord keeps: messages, protocol violations, faults, stats."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from otel_discord.localdiscord._uploads import StoredFile


class Fault(str, enum.Enum):
    """A failure the server injects instead of (or before) answering normally."""

    SERVER_ERROR = "server_error"
    """500 with a JSON body."""
    BAD_GATEWAY_HTML = "bad_gateway_html"
    """502 with Cloudflare's HTML page and no rate-limit headers."""
    SERVICE_UNAVAILABLE = "service_unavailable"
    """503 with a JSON body."""
    SLOW = "slow"
    """Sleep ``slow_seconds`` before handling the request normally."""
    RESET = "reset"
    """Close the connection without any response."""
    CLOUDFLARE_BAN = "cloudflare_ban"
    """429 with no rate-limit headers and the text body ``error code: 1015``."""
    RATE_LIMIT_USER = "rate_limit_user"
    """429 scope user; the route bucket stays empty for ``forced_retry_after``."""
    RATE_LIMIT_GLOBAL = "rate_limit_global"
    """429 global; every route waits ``forced_retry_after``."""
    RATE_LIMIT_SHARED = "rate_limit_shared"
    """429 scope shared, code 20028; the channel stays full for ``forced_retry_after``."""


class ViolationKind(str, enum.Enum):
    """A way a client broke Discord's rules; compares equal to its text."""

    SENT_WHILE_EXHAUSTED = "sent while Remaining was 0"
    IGNORED_RETRY_AFTER = "ignored retry_after"
    MISSING_ALLOWED_MENTIONS = "missing allowed_mentions"
    PERMISSIVE_ALLOWED_MENTIONS = "allowed_mentions permits pings"
    UNKNOWN_JSON_KEY = "unknown JSON key"
    REUSE_AFTER_404 = "reuse after 404"
    REUSE_AFTER_401 = "reuse after 401"
    REUSE_AFTER_403 = "reuse after 403"
    NO_DISCORDBOT_USER_AGENT = "no User-Agent DiscordBot"
    UNVERSIONED_API = "unversioned API"
    WRONG_CONTENT_TYPE = "wrong content type"


@dataclass(frozen=True)
class Violation:
    """One protocol violation; ``route`` never contains a token."""

    kind: ViolationKind
    detail: str
    route: str


@dataclass(frozen=True)
class Message:
    """A message the server accepted, with the body exactly as received."""

    id: str
    channel: str
    channel_id: str
    webhook_id: str | None
    author: str
    payload: dict[str, Any]
    received_at: float
    """Wall-clock time (``time.time()``) of receipt."""
    author_id: str = ""
    """The webhook's or bot's user id (who may edit it)."""
    edited_at: float | None = None
    """Wall-clock time of the last accepted edit (None: never edited)."""
    revision: int = 0
    """The server's change counter when this message was last created or edited."""
    thread_id: str | None = None
    """The thread a webhook posted into (``?thread_id=``), else None."""
    files: tuple[StoredFile, ...] = ()
    """Files uploaded with the message (multipart ``files[n]``), in memory."""

    def file(self, filename: str) -> StoredFile:
        """The uploaded file named ``filename``; KeyError if the message has none."""
        for stored in self.files:
            if stored.filename == filename:
                return stored
        msg = f"message {self.id} has no file {filename!r}"
        raise KeyError(msg)

    def to_json(self) -> dict[str, Any]:
        """The form ``GET /_local/messages`` serves (files as links to the read API)."""
        return {
            "id": self.id,
            "channel": self.channel,
            "channel_id": self.channel_id,
            "webhook_id": self.webhook_id,
            "author": self.author,
            "payload": self.payload,
            "received_at": self.received_at,
            "edited_at": self.edited_at,
            "revision": self.revision,
            "attachments": [f.to_json(f.path) for f in self.files],
        }


@dataclass(frozen=True)
class Stats:
    """Counts of API requests and their outcomes since start or ``clear()``."""

    requests: int = 0
    ok: int = 0
    """2xx responses."""
    by_status: dict[int, int] = field(default_factory=dict)
    """Every non-2xx HTTP status (including injected 5xx) and how often it was sent."""
    by_code: dict[int, int] = field(default_factory=dict)
    """Discord JSON error codes (50035, 10015, 20028, ...) and how often."""
    rate_limited: dict[str, int] = field(default_factory=dict)
    """429s by scope: ``user``, ``global``, ``shared`` and ``cloudflare``."""
    resets: int = 0
    """Connections closed without a response."""
    invalid_requests: int = 0
    """401, 403 and 429 (other than scope shared): what Cloudflare counts towards a ban."""

    def to_json(self) -> dict[str, Any]:
        """The form ``GET /_local/stats`` serves (JSON keys are strings)."""
        return {
            "requests": self.requests,
            "ok": self.ok,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_code": {str(k): v for k, v in sorted(self.by_code.items())},
            "rate_limited": dict(sorted(self.rate_limited.items())),
            "resets": self.resets,
            "invalid_requests": self.invalid_requests,
        }
