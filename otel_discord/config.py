"""Settings: constructor arguments > environment variables > defaults, resolved in one place.

Every environment variable is a constant here with a docstring. Durations are in
milliseconds, as in OpenTelemetry. Bad explicit arguments raise ``ConfigError``;
bad numeric environment values warn and fall back to the default; a malformed
webhook URL or channel ID is always an error that names its variable. No error,
warning or ``repr`` ever shows a token.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Final, TypeVar

from otel_discord.channels import Channel
from otel_discord.delivery.destination import (
    DEFAULT_API_BASE,
    ChannelDestination,
    Destination,
    WebhookDestination,
)
from otel_discord.errors import ConfigError

_logger = logging.getLogger("otel_discord.config")

PREFIX: Final = "OTEL_EXPORTER_DISCORD_"

OTEL_EXPORTER_DISCORD_WEBHOOK_URL: Final = PREFIX + "WEBHOOK_URL"
"""The default webhook for every channel without one of its own."""
OTEL_EXPORTER_DISCORD_BOT_TOKEN: Final = PREFIX + "BOT_TOKEN"
"""Bot token for channels given by ID (``..._<CHANNEL>_CHANNEL_ID``)."""
OTEL_EXPORTER_DISCORD_API_BASE_URL: Final = PREFIX + "API_BASE_URL"
"""Discord API base for channel-ID destinations (https Discord hosts or loopback)."""
OTEL_EXPORTER_DISCORD_TIMEOUT: Final = PREFIX + "TIMEOUT"
"""Per HTTP request, in ms."""
OTEL_EXPORTER_DISCORD_MAX_QUEUE_SIZE: Final = PREFIX + "MAX_QUEUE_SIZE"
"""Items per channel held in memory before the least important are dropped (and counted)."""
OTEL_EXPORTER_DISCORD_MAX_QUEUE_BYTES: Final = PREFIX + "MAX_QUEUE_BYTES"
"""Bytes per channel held in memory (approximate) before the least important are dropped."""
DEFAULT_MAX_QUEUE_BYTES: Final = 8 * 1024 * 1024
OTEL_EXPORTER_DISCORD_USERNAME: Final = PREFIX + "USERNAME"
"""Name shown as the webhook's author; defaults to the webhook's own name."""
OTEL_EXPORTER_DISCORD_LOG_LEVEL: Final = PREFIX + "LOG_LEVEL"
"""Lowest log severity sent to the logs channel (default WARNING)."""


def webhook_env(channel: Channel) -> str:
    """The per-channel webhook variable, e.g. ``OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL``."""
    return f"{PREFIX}{channel.env_prefix}_WEBHOOK_URL"


def channel_id_env(channel: Channel) -> str:
    """The per-channel channel-ID variable, e.g. ``OTEL_EXPORTER_DISCORD_LOGS_CHANNEL_ID``."""
    return f"{PREFIX}{channel.env_prefix}_CHANNEL_ID"


_LOG_LEVELS: Final = {
    "DEBUG": 10,
    "INFO": 20,
    "WARNING": 30,
    "WARN": 30,
    "ERROR": 40,
    "CRITICAL": 50,
}

T = TypeVar("T")


def _between(low: int, high: int, unit: str) -> Callable[[str], int]:
    """An integer parser for ``low..high`` (``unit`` names it in the error): a value off by
    a factor of 1000 (seconds for milliseconds) or past what a timer holds is refused."""

    def parse(raw: str) -> int:
        value = int(raw.strip())
        if not low <= value <= high:
            msg = f"must be between {low:,} and {high:,}{unit}"
            raise ValueError(msg)
        return value

    return parse


_WEEK_MS: Final = 7 * 24 * 3600 * 1000
_interval_ms: Final = _between(1_000, _WEEK_MS, " ms")


def _percent(raw: str) -> float:
    value = float(raw.strip())
    if not 0 < value <= 100:
        msg = "must be a percentage in (0, 100]"
        raise ValueError(msg)
    return value


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    msg = "must be true or false"
    raise ValueError(msg)


def _non_negative_int(raw: str) -> int:
    value = int(raw.strip())
    if value < 0:
        msg = "must be a whole number of milliseconds, 0 or more"
        raise ValueError(msg)
    return value


def _log_level(raw: str) -> int:
    """A level name (``ERROR``) or its number (``40``, as ``logging.ERROR`` passes)."""
    name = raw.strip().upper()
    if name in _LOG_LEVELS:
        return _LOG_LEVELS[name]
    if name.isascii() and name.isdigit() and int(name) in _LOG_LEVELS.values():
        return int(name)
    msg = f"must be one of {', '.join(sorted(_LOG_LEVELS))} (or its number)"
    raise ValueError(msg)


@dataclass(frozen=True)
class _Setting:
    """One tunable: its field, environment variable, parser and default."""

    attr: str
    env: str
    parse: Callable[[str], Any]
    default: Any
    doc: str


SETTINGS: Final[tuple[_Setting, ...]] = (
    _Setting(
        "timeout_ms",
        OTEL_EXPORTER_DISCORD_TIMEOUT,
        _between(100, 300_000, " ms"),
        10_000,
        "per HTTP request",
    ),
    _Setting(
        "max_queue_size",
        OTEL_EXPORTER_DISCORD_MAX_QUEUE_SIZE,
        _between(1, 1_000_000, " items"),
        1000,
        "items per channel",
    ),
    _Setting(
        "max_queue_bytes",
        OTEL_EXPORTER_DISCORD_MAX_QUEUE_BYTES,
        _between(1_024, 2**30, " bytes"),
        DEFAULT_MAX_QUEUE_BYTES,
        "bytes per channel",
    ),
    _Setting(
        "performance_interval_ms",
        PREFIX + "PERFORMANCE_INTERVAL",
        _interval_ms,
        60_000,
        "process and bot metrics table",
    ),
    _Setting(
        "system_interval_ms",
        PREFIX + "SYSTEM_INTERVAL",
        _interval_ms,
        120_000,
        "full system snapshot",
    ),
    _Setting(
        "analytics_interval_ms",
        PREFIX + "ANALYTICS_INTERVAL",
        _interval_ms,
        60_000,
        "analytics summary",
    ),
    _Setting(
        "flush_interval_ms",
        PREFIX + "FLUSH_INTERVAL",
        _interval_ms,
        30_000,
        "longest anything waits in memory",
    ),
    _Setting(
        "health_interval_ms",
        PREFIX + "HEALTH_INTERVAL",
        _interval_ms,
        180_000,
        "health snapshot to diagnostics",
    ),
    _Setting(
        "alert_interval_ms", PREFIX + "ALERT_INTERVAL", _interval_ms, 90_000, "anomaly checks"
    ),
    _Setting(
        "alert_repeat_interval_ms",
        PREFIX + "ALERT_REPEAT_INTERVAL",
        _interval_ms,
        1_800_000,
        "repeat a still-firing alert at most this often",
    ),
    _Setting(
        "alert_cpu_percent", PREFIX + "ALERT_CPU_PERCENT", _percent, 90.0, "CPU alert threshold"
    ),
    _Setting(
        "alert_memory_percent",
        PREFIX + "ALERT_MEMORY_PERCENT",
        _percent,
        90.0,
        "memory alert threshold",
    ),
    _Setting(
        "alert_disk_percent",
        PREFIX + "ALERT_DISK_PERCENT",
        _percent,
        90.0,
        "filesystem space alert threshold",
    ),
    _Setting(
        "alert_latency_ms",
        PREFIX + "ALERT_LATENCY_MS",
        _between(1, 600_000, " ms"),
        1000,
        "gateway latency alert threshold",
    ),
    _Setting(
        "alert_for_ms",
        PREFIX + "ALERT_FOR",
        _non_negative_int,
        None,
        "how long a threshold must be breached before its alert fires (every threshold rule)",
    ),
    _Setting(
        "status_message",
        PREFIX + "STATUS_MESSAGE",
        _boolean,
        True,
        "one status message in diagnostics, edited in place",
    ),
    _Setting(
        "log_level",
        OTEL_EXPORTER_DISCORD_LOG_LEVEL,
        _log_level,
        logging.WARNING,
        "lowest severity for the logs channel",
    ),
    _Setting("username", OTEL_EXPORTER_DISCORD_USERNAME, str.strip, None, "webhook display name"),
    _Setting(
        "flush_on_sigterm",
        PREFIX + "FLUSH_ON_SIGTERM",
        _boolean,
        False,
        "turn SIGTERM into a normal exit so queued telemetry is flushed",
    ),
    _Setting(
        "charts",
        PREFIX + "CHARTS",
        _boolean,
        True,
        "a PNG chart on the performance and system snapshots",
    ),
)


@dataclass(frozen=True)
class DiscordConfig:
    """Resolved settings. Build with :meth:`resolve`; direct construction skips the environment."""

    routes: Mapping[Channel, Destination] = field(default_factory=dict)
    timeout_ms: int = 10_000
    max_queue_size: int = 1000
    max_queue_bytes: int = DEFAULT_MAX_QUEUE_BYTES
    performance_interval_ms: int = 60_000
    system_interval_ms: int = 120_000
    analytics_interval_ms: int = 60_000
    flush_interval_ms: int = 30_000
    health_interval_ms: int = 180_000
    alert_interval_ms: int = 90_000
    alert_repeat_interval_ms: int = 1_800_000
    alert_cpu_percent: float = 90.0
    alert_memory_percent: float = 90.0
    alert_disk_percent: float = 90.0
    alert_latency_ms: int = 1000
    alert_for_ms: int | None = None
    """One ``for`` duration for every threshold rule; None keeps each rule's default."""
    status_message: bool = True
    log_level: int = logging.WARNING
    username: str | None = None
    flush_on_sigterm: bool = False
    charts: bool = True
    notes: tuple[str, ...] = ()
    """Things worth saying once in diagnostics (channels off, overridden settings)."""

    @classmethod
    def resolve(
        cls,
        *,
        webhook_url: str | None = None,
        webhooks: Mapping[Channel | str, str] | None = None,
        bot_token: str | None = None,
        channel_ids: Mapping[Channel | str, str | int] | None = None,
        api_base_url: str | None = None,
        env: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> DiscordConfig:
        """Resolve every setting: argument > environment > default.

        Args:
            webhook_url: default webhook for every channel.
            webhooks: per-channel webhooks, keyed by Channel or its name.
            bot_token: token for channels given by ID.
            channel_ids: per-channel channel IDs.
            api_base_url: API base for channel-ID destinations.
            env: the environment to read (defaults to ``os.environ``).
            overrides: any scalar field of DiscordConfig (``timeout_ms=5000`` ...).
        """
        environ = os.environ if env is None else env
        known = {s.attr: s for s in SETTINGS}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            msg = f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            raise ConfigError(msg)
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            values[setting.attr] = _resolve_one(setting, overrides.get(setting.attr), environ)
        _warn_unknown_variables(environ)
        routes, notes = _resolve_routes(
            webhook_url=webhook_url,
            webhooks=_by_channel(webhooks, "webhooks"),
            bot_token=bot_token,
            channel_ids=_by_channel(channel_ids, "channel_ids"),
            api_base_url=api_base_url,
            environ=environ,
        )
        if not routes:  # said in diagnostics too, but nothing reaches diagnostics now
            _warn_once(f"otel-discord: {notes[-1]}; nothing is sent to Discord")
        return cls(routes=routes, notes=notes, **values)

    def key(self) -> tuple[object, ...]:
        """A hashable identity: exporters with equal settings share one pipeline."""
        values = tuple(getattr(self, f.name) for f in fields(self) if f.name != "routes")
        return (tuple(sorted(self.routes.items(), key=lambda item: item[0].value)), values)

    def describe(self) -> dict[str, str]:
        """Every setting with secrets redacted: for start-up notices and ``check``."""
        out = {ch.value: str(self.routes[ch]) if ch in self.routes else "off" for ch in Channel}
        for f in fields(self):
            if f.name not in ("routes", "notes"):
                out[f.name] = str(getattr(self, f.name))
        return out

    def __repr__(self) -> str:
        routes = ", ".join(f"{ch.value}={dest}" for ch, dest in self.routes.items())
        return f"DiscordConfig(routes={{{routes}}}, timeout_ms={self.timeout_ms}, ...)"


_warned: set[str] = set()
_MAX_WARNED: Final = 256


def _warn_once(message: str) -> None:
    """Log a settings warning once per process: under ``opentelemetry-instrument`` each
    exporter and the configurator resolve the same environment."""
    if message in _warned:
        return
    if len(_warned) < _MAX_WARNED:
        _warned.add(message)
    _logger.warning("%s", message)


def known_variables() -> frozenset[str]:
    """Every ``OTEL_EXPORTER_DISCORD_*`` variable the package reads."""
    per_channel = {name(c) for c in Channel for name in (webhook_env, channel_id_env)}
    return frozenset(
        {
            *(s.env for s in SETTINGS),
            *per_channel,
            OTEL_EXPORTER_DISCORD_WEBHOOK_URL,
            OTEL_EXPORTER_DISCORD_BOT_TOKEN,
            OTEL_EXPORTER_DISCORD_API_BASE_URL,
        }
    )


def _warn_unknown_variables(environ: Mapping[str, str]) -> None:
    """A misspelt variable (``..._LOG_WEBHOOK_URL``) would otherwise do nothing, silently."""
    known = known_variables()
    for name in sorted(n for n in environ if n.startswith(PREFIX) and n not in known):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        hint = f"; did you mean {close[0]}?" if close else ""
        _warn_once(f"{name} is not an otel-discord setting{hint}")


def _resolve_one(setting: _Setting, argument: Any, environ: Mapping[str, str]) -> Any:
    if argument is not None:
        if isinstance(argument, str):
            try:
                return setting.parse(argument)
            except ValueError as exc:
                msg = f"{setting.attr}: {exc}"
                raise ConfigError(msg) from None
        if isinstance(argument, (int, float)) and not isinstance(argument, bool):
            try:
                return setting.parse(str(argument))
            except ValueError as exc:
                msg = f"{setting.attr}={argument!r}: {exc}"
                raise ConfigError(msg) from None
        return argument
    raw = environ.get(setting.env, "").strip()
    if not raw:
        return setting.default
    try:
        return setting.parse(raw)
    except ValueError as exc:
        _warn_once(f"{setting.env}={raw!r} {exc}; using the default {setting.default!r}")
        return setting.default


def _by_channel(mapping: Mapping[Channel | str, T] | None, name: str) -> dict[Channel, T]:
    out: dict[Channel, T] = {}
    for key, value in (mapping or {}).items():
        try:
            out[Channel(key.value if isinstance(key, Channel) else str(key).lower())] = value
        except ValueError:
            names = ", ".join(c.value for c in Channel)
            msg = f"{name}: unknown channel {key!r}; channels are {names}"
            raise ConfigError(msg) from None
    return out


def _resolve_routes(
    *,
    webhook_url: str | None,
    webhooks: Mapping[Channel, str],
    bot_token: str | None,
    channel_ids: Mapping[Channel, str | int],
    api_base_url: str | None,
    environ: Mapping[str, str],
) -> tuple[dict[Channel, Destination], tuple[str, ...]]:
    """Pick each channel's destination; the most specific setting wins.

    Order per channel: its webhook > its channel ID > the default webhook.
    A webhook and a channel ID both given for one channel: the webhook wins, with a warning.
    """
    notes: list[str] = []
    for name, value in (
        ("webhook_url", webhook_url),
        ("bot_token", bot_token),
        ("api_base_url", api_base_url),
        *((f"webhooks[{c.value!r}]", v) for c, v in webhooks.items()),
    ):
        if value is not None and not isinstance(value, str):
            msg = f"{name}: expected a string, got {type(value).__name__}"
            raise ConfigError(msg)
    token_setting = "bot_token" if bot_token is not None else OTEL_EXPORTER_DISCORD_BOT_TOKEN
    token = bot_token if bot_token is not None else environ.get(OTEL_EXPORTER_DISCORD_BOT_TOKEN, "")
    base_setting = (
        "api_base_url" if api_base_url is not None else OTEL_EXPORTER_DISCORD_API_BASE_URL
    )
    base = (
        api_base_url
        or environ.get(OTEL_EXPORTER_DISCORD_API_BASE_URL, "").strip()
        or DEFAULT_API_BASE
    )
    default_setting = (
        "webhook_url" if webhook_url is not None else OTEL_EXPORTER_DISCORD_WEBHOOK_URL
    )
    default_raw = webhook_url if webhook_url is not None else environ.get(default_setting, "")
    default = (
        WebhookDestination.parse(default_raw, setting=default_setting)
        if default_raw.strip()
        else None
    )
    routes: dict[Channel, Destination] = {}
    for channel in Channel:
        hook_setting = (
            f"webhooks[{channel.value!r}]" if channel in webhooks else webhook_env(channel)
        )
        hook_raw = webhooks.get(channel, environ.get(webhook_env(channel), ""))
        id_setting = (
            f"channel_ids[{channel.value!r}]" if channel in channel_ids else channel_id_env(channel)
        )
        id_raw = str(channel_ids.get(channel, environ.get(channel_id_env(channel), ""))).strip()
        if hook_raw.strip():
            routes[channel] = WebhookDestination.parse(hook_raw, setting=hook_setting)
            if id_raw:
                note = f"{channel.value}: {hook_setting} and {id_setting} both set: webhook wins"
                _warn_once(note)
                notes.append(note)
        elif id_raw:
            if not token.strip():
                notes.append(
                    f"{channel.value}: {id_setting} without {OTEL_EXPORTER_DISCORD_BOT_TOKEN}: "
                    "posting with the instrumented bot's own token once it connects"
                )
            routes[channel] = ChannelDestination.parse(
                id_raw,
                token,
                api_base=base,
                setting=id_setting,
                token_setting=token_setting,
                base_setting=base_setting,
            )
        elif default is not None:
            routes[channel] = default
        else:
            notes.append(f"{channel.value}: no destination configured; this channel is off")
    if not routes:
        notes.append(
            f"no channel has a destination: set {OTEL_EXPORTER_DISCORD_WEBHOOK_URL} "
            "or per-channel variables"
        )
    return routes, tuple(notes)
