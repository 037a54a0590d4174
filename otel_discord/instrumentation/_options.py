"""Instrumentation options: ``instrument()`` keyword > environment variable > default.

Under ``opentelemetry-instrument`` no keywords are passed, so every option also
has an environment variable. Bad explicit arguments raise; bad environment values
warn and fall back to the default.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from otel_discord.errors import ConfigError
from otel_discord.instrumentation._names import INTERNAL_LOGGER

_logger: Final = logging.getLogger(INTERNAL_LOGGER)

OTEL_PYTHON_DISCORD_CAPTURE_MESSAGE_CONTENT: Final = "OTEL_PYTHON_DISCORD_CAPTURE_MESSAGE_CONTENT"
"""``true`` puts message text on prefix-command spans. Off by default: it is user data."""

OTEL_PYTHON_DISCORD_INCLUDE_BOT_MESSAGES: Final = "OTEL_PYTHON_DISCORD_INCLUDE_BOT_MESSAGES"
"""``true`` counts messages written by bots (the bot itself included) in ``discord.messages``."""

OTEL_PYTHON_DISCORD_GUILD_IDS_AS_ATTRIBUTES: Final = "OTEL_PYTHON_DISCORD_GUILD_IDS_AS_ATTRIBUTES"
"""``true`` adds guild ids to command/message metrics and guild/channel ids to spans."""

OTEL_PYTHON_DISCORD_USER_IDS_AS_ATTRIBUTES: Final = "OTEL_PYTHON_DISCORD_USER_IDS_AS_ATTRIBUTES"
"""``true`` adds user ids to command spans and member join/leave log events (never metrics)."""

OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL: Final = "OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL"
"""Seconds between event-loop lag probes (default 1.0)."""

_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class Options:
    """What the instrumentation captures beyond the always-safe defaults."""

    capture_message_content: bool = False
    include_bot_messages: bool = False
    guild_ids_as_attributes: bool = False
    user_ids_as_attributes: bool = False
    event_loop_lag_interval: float = 1.0

    @classmethod
    def resolve(
        cls, kwargs: Mapping[str, Any], environ: Mapping[str, str] | None = None
    ) -> Options:
        """Build options from ``instrument()`` keywords, then the environment."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            capture_message_content=_flag(
                kwargs, env, "capture_message_content", OTEL_PYTHON_DISCORD_CAPTURE_MESSAGE_CONTENT
            ),
            include_bot_messages=_flag(
                kwargs, env, "include_bot_messages", OTEL_PYTHON_DISCORD_INCLUDE_BOT_MESSAGES
            ),
            guild_ids_as_attributes=_flag(
                kwargs, env, "guild_ids_as_attributes", OTEL_PYTHON_DISCORD_GUILD_IDS_AS_ATTRIBUTES
            ),
            user_ids_as_attributes=_flag(
                kwargs, env, "user_ids_as_attributes", OTEL_PYTHON_DISCORD_USER_IDS_AS_ATTRIBUTES
            ),
            event_loop_lag_interval=_interval(kwargs, env, defaults.event_loop_lag_interval),
        )


def _flag(kwargs: Mapping[str, Any], env: Mapping[str, str], key: str, var: str) -> bool:
    if kwargs.get(key) is not None:
        value = kwargs[key]
        if not isinstance(value, bool):
            msg = f"{key} must be a bool, got {type(value).__name__}"
            raise ConfigError(msg)
        return value
    raw = env.get(var, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        _logger.warning("Ignoring %s=%r: expected true or false", var, raw)
    return False


def _interval(kwargs: Mapping[str, Any], env: Mapping[str, str], default: float) -> float:
    key = "event_loop_lag_interval"
    if kwargs.get(key) is not None:
        value = kwargs[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not _positive(value):
            msg = f"{key} must be a positive number of seconds, got {value!r}"
            raise ConfigError(msg)
        return float(value)
    raw = env.get(OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL, "").strip()
    if not raw:
        return default
    try:
        parsed = float(raw)
    except ValueError:
        parsed = math.nan
    if _positive(parsed):
        return parsed
    _logger.warning(
        "Ignoring %s=%r: expected a positive number",
        OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL,
        raw,
    )
    return default


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0
