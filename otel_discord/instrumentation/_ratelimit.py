"""The bot's own HTTP 429s, counted where discord.py reads every response.

``discord.http.HTTPClient.request`` passes each response to the module function
``json_or_text`` (looked up at call time), including 429s it then sleeps on and
Cloudflare bans it raises for. Wrapping that one function sees them all without
depending on log messages or log levels.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final

from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._safety import swallow

_TOO_MANY_REQUESTS: Final = 429
_SCOPES: Final = {
    scope: {n.ATTR_RATELIMIT_SCOPE: scope}
    for scope in ("user", "global", "shared", "cloudflare", "unknown")
}

JsonOrText = Callable[..., Coroutine[Any, Any, Any]]


def ratelimit_scope(headers: Any) -> str:
    """``user``/``global``/``shared`` from Discord's header; ``cloudflare`` for a bare 429."""
    scope = str(headers.get("X-RateLimit-Scope") or "").lower()
    if scope in _SCOPES:
        return scope
    if not headers.get("Via"):
        return "cloudflare"  # discord.py's own test for a Cloudflare ban
    return "unknown"


def make_json_or_text(original: JsonOrText) -> JsonOrText:
    """Wrap ``discord.http.json_or_text``."""

    async def json_or_text(response: Any, /, *args: Any, **kwargs: Any) -> Any:
        if getattr(response, "status", None) == _TOO_MANY_REQUESTS:
            telemetry = _state.current
            if telemetry is not None:
                try:
                    scope = ratelimit_scope(response.headers)
                    telemetry.ratelimit_hits.add(1, _SCOPES[scope])
                except Exception as exc:
                    swallow("ratelimit", exc)
        return await original(response, *args, **kwargs)

    return json_or_text
