"""Turn Discord's error answers into one readable, secret-free line.

A 400 carries a nested ``errors`` object whose leaves are ``_errors`` lists;
the field path (``embeds.0.fields.2.value``) is what a user needs to see.
"""

from __future__ import annotations

from typing import Any

from otel_discord.delivery.destination import ChannelDestination, Destination

BOT_PERMISSIONS = ("View Channel", "Send Messages", "Embed Links")
"""What a bot needs in a channel to post our messages."""

_MAX_FIELDS = 5
_MAX_TEXT = 300


def field_errors(errors: object, path: str = "") -> list[str]:
    """Flatten Discord's nested ``errors`` into ``path: CODE (message)`` lines."""
    if not isinstance(errors, dict):
        return []
    found: list[str] = []
    for key, value in errors.items():
        if key == "_errors" and isinstance(value, list):
            for leaf in value:
                if isinstance(leaf, dict):
                    where = path or "<body>"
                    found.append(f"{where}: {leaf.get('code', '?')} ({leaf.get('message', '')})")
        else:
            found.extend(field_errors(value, f"{path}.{key}" if path else str(key)))
    return found


def describe_response(status: int, body: Any, text: str) -> str:
    """``400 code 50035 Invalid Form Body: embeds.0.title: BASE_TYPE_MAX_LENGTH (...)``."""
    if isinstance(body, dict):
        code = body.get("code")
        message = str(body.get("message", "")).strip()
        line = f"{status}"
        if code is not None:
            line += f" code {code}"
        if message:
            line += f" {message}"
        fields = field_errors(body.get("errors"))
        if fields:
            more = f" (+{len(fields) - _MAX_FIELDS} more)" if len(fields) > _MAX_FIELDS else ""
            line += ": " + "; ".join(fields[:_MAX_FIELDS]) + more
        return line[: _MAX_TEXT * 2]
    snippet = " ".join(text.split())[:_MAX_TEXT]
    return f"{status} {snippet}".strip()


def unusable_reason(status: int, destination: Destination, detail: str) -> str:
    """Why Discord refuses a destination (401/403/404), with Discord's own ``detail``."""
    if isinstance(destination, ChannelDestination):
        reasons = {
            403: f"the bot lacks permission in this channel; it needs {', '.join(BOT_PERMISSIONS)}",
            404: "unknown channel (deleted, or the bot is not in its server)",
        }
        reason = reasons.get(status, "the bot token was refused")
    else:
        reason = "the webhook was deleted" if status == 404 else "the webhook token was refused"
    return f"{reason} ({detail})"


def why_unusable(status: int, destination: Destination, detail: str) -> str:
    """The sentence that tells a user why a destination was switched off."""
    reason = unusable_reason(status, destination, detail)
    return f"{destination.redacted}: {reason}. No more messages will be sent there."
