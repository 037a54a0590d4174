"""Discord's routes as the local server knows them, and the replies it builds.

Everything here is plain data: no sockets, no locks, no clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

_VERSION = r"^/api(?:/v(?P<version>\d+))?"
_PATTERNS: Final = (
    (
        "webhook",
        re.compile(_VERSION + r"/webhooks/(?P<major>\d+)/(?P<token>[^/]+)/?$"),
        {"POST", "GET"},
    ),
    (
        "webhook_message",
        re.compile(
            _VERSION + r"/webhooks/(?P<major>\d+)/(?P<token>[^/]+)/messages/(?P<message>\d+)/?$"
        ),
        {"GET", "PATCH", "DELETE"},
    ),
    ("channel_messages", re.compile(_VERSION + r"/channels/(?P<major>\d+)/messages/?$"), {"POST"}),
    (
        "channel_message",
        re.compile(_VERSION + r"/channels/(?P<major>\d+)/messages/(?P<message>\d+)/?$"),
        {"GET", "PATCH", "DELETE"},
    ),
    ("channel", re.compile(_VERSION + r"/channels/(?P<major>\d+)/?$"), {"GET"}),
)

API_VERSION: Final = "10"


@dataclass(frozen=True)
class Route:
    """A matched API route; ``token`` is a webhook token and never shown."""

    kind: str
    """``webhook``, ``webhook_message``, ``channel_messages``, ``channel_message``, ``channel``."""
    version: str | None
    major: str
    """The webhook id or channel id: the major parameter of the bucket."""
    methods: frozenset[str]
    token: str = field(default="", repr=False)
    message_id: str | None = None
    """The message a ``webhook_message`` or ``channel_message`` route names."""

    @property
    def redacted(self) -> str:
        """The path with the token replaced, safe to record."""
        prefix = "/api" if self.version is None else f"/api/v{self.version}"
        if self.kind == "webhook":
            return f"{prefix}/webhooks/{self.major}/***"
        if self.kind == "webhook_message":
            return f"{prefix}/webhooks/{self.major}/***/messages/{self.message_id}"
        if self.kind == "channel_message":
            return f"{prefix}/channels/{self.major}/messages/{self.message_id}"
        if self.kind == "channel_messages":
            return f"{prefix}/channels/{self.major}/messages"
        return f"{prefix}/channels/{self.major}"

    @property
    def template(self) -> str:
        """The route without its parameters, which Discord's bucket hash is derived from."""
        return {
            "webhook": "/webhooks/{webhook.id}/{webhook.token}",
            "webhook_message": "/webhooks/{webhook.id}/{webhook.token}/messages/{message.id}",
            "channel_message": "/channels/{channel.id}/messages/{message.id}",
            "channel_messages": "/channels/{channel.id}/messages",
            "channel": "/channels/{channel.id}",
        }[self.kind]


def match_route(path: str) -> Route | None:
    """The API route ``path`` names, or None for anything Discord would 404."""
    for kind, pattern, methods in _PATTERNS:
        match = pattern.match(path)
        if match is not None:
            groups = match.groupdict()
            token = groups.get("token") or ""
            return Route(
                kind,
                match["version"],
                match["major"],
                frozenset(methods),
                token,
                groups.get("message"),
            )
    return None


@dataclass
class Reply:
    """An HTTP answer, plus what the statistics need to know about it."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    code: int | None = None
    """Discord's JSON error code, if any."""
    scope: str | None = None
    """For a 429: ``user``, ``global``, ``shared`` or ``cloudflare``."""
    reset: bool = False
    """Close the connection without answering."""
    close: bool = False
    """Close the connection after answering (the body was not read)."""


def json_reply(
    status: int, obj: object, headers: dict[str, str] | None = None, *, code: int | None = None
) -> Reply:
    """A JSON reply; ``code`` defaults to the body's ``code`` member."""
    if code is None and isinstance(obj, dict) and isinstance(obj.get("code"), int):
        code = obj["code"]
    body = json.dumps(obj, ensure_ascii=False).encode()
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return Reply(status, body, all_headers, code=code or None)


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    """A Discord error body ``{"message": ..., "code": ...}``."""
    return json_reply(status, {"message": message, "code": code}, headers, code=code)


NOT_FOUND: Final = (404, 0, "404: Not Found")
METHOD_NOT_ALLOWED: Final = (405, 0, "405: Method Not Allowed")
UNAUTHORIZED: Final = (401, 0, "401: Unauthorized")
INVALID_WEBHOOK_TOKEN: Final = (401, 50027, "Invalid Webhook Token")
UNKNOWN_WEBHOOK: Final = (404, 10015, "Unknown Webhook")
UNKNOWN_CHANNEL: Final = (404, 10003, "Unknown Channel")
UNKNOWN_MESSAGE: Final = (404, 10008, "Unknown Message")
NOT_AUTHOR: Final = (403, 50005, "Cannot edit a message authored by another user")
MISSING_ACCESS: Final = (403, 50001, "Missing Access")
MISSING_PERMISSIONS: Final = (403, 50013, "Missing Permissions")
EMPTY_MESSAGE: Final = (400, 50006, "Cannot send an empty message")
INVALID_JSON: Final = (400, 50109, "The request body contains invalid JSON.")
TOO_LARGE: Final = (413, 40005, "Request entity too large")
LENGTH_REQUIRED: Final = (411, 0, "411: Length Required")
SERVER_ERROR: Final = (500, 0, "500: Internal Server Error")
SERVICE_UNAVAILABLE: Final = (503, 0, "503: Service Unavailable")

BAD_GATEWAY_HTML: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
CLOUDFLARE_BAN_TEXT: Final = b"error code: 1015"


def invalid_form_body(errors: dict[str, Any], headers: dict[str, str]) -> Reply:
    """400 code 50035 with Discord's nested ``errors``."""
    body = {"code": 50035, "errors": errors, "message": "Invalid Form Body"}
    return json_reply(400, body, headers, code=50035)
