"""Plain data shapes shared by rendering and delivery."""

from __future__ import annotations

from typing import Any, TypeAlias

Embed: TypeAlias = dict[str, Any]
"""A Discord embed object as JSON-ready dict (title, description, fields, ...)."""

Payload: TypeAlias = dict[str, Any]
"""A Discord message body as JSON-ready dict (embeds, allowed_mentions, ...)."""
