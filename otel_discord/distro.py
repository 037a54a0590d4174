"""``opentelemetry-instrument`` integration: a distro and a configurator named ``discord``.

With only Discord variables set (a webhook URL or channel IDs), running
``opentelemetry-instrument python bot.py`` must stream to Discord. The distro
makes ``discord`` the default exporter for every signal and turns on the logging
bridge; explicit ``OTEL_*`` settings always stay in charge (``setdefault``).

The partial-exporter pitfall (DESIGN.md): another distro (opentelemetry-distro)
defaults unset exporters to ``otlp``; if the OTLP exporter isn't installed the
whole setup fails and nothing is instrumented. Two defences:

- ``otel_discord_autoselect.pth`` (installed with the wheel) selects this distro and
  configurator by name before ``opentelemetry-instrument`` picks "the first found";
- this configurator replaces an ``otlp`` exporter name that cannot be loaded with
  ``discord`` (with a warning) instead of letting the setup fail.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import os
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from importlib.metadata import entry_points
from typing import Any, Final

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _initialize_components, _OTelSDKConfigurator

from otel_discord.config import DiscordConfig
from otel_discord.errors import ConfigError
from otel_discord.exception_ids import tag_bridges
from otel_discord.exporters.log_processor import log_processor_for
from otel_discord.exporters.span_processor import span_processor_for
from otel_discord.setup import DEFAULT_METRIC_INTERVAL_MS, flush_on_sigterm, keep_default_output

_logger = logging.getLogger("otel_discord.distro")

EXPORTER_VARIABLES: Final = {
    "OTEL_TRACES_EXPORTER": "opentelemetry_traces_exporter",
    "OTEL_METRICS_EXPORTER": "opentelemetry_metrics_exporter",
    "OTEL_LOGS_EXPORTER": "opentelemetry_logs_exporter",
}
LOGGING_BRIDGE: Final = "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"


def discord_configured(environ: MutableMapping[str, str]) -> bool:
    """Any Discord destination variable set?"""
    return any(
        key.startswith("OTEL_EXPORTER_DISCORD_")
        and key.endswith(("_WEBHOOK_URL", "_CHANNEL_ID"))
        and value.strip()
        for key, value in environ.items()
    )


def _has_logging_instrumentation() -> bool:
    """Is opentelemetry-instrumentation-logging (with its own log bridge) installed?"""
    try:
        return importlib.util.find_spec("opentelemetry.instrumentation.logging.handler") is not None
    except ImportError:  # the parent package is missing
        return False


def apply_defaults(environ: MutableMapping[str, str]) -> None:
    """Make ``discord`` the default exporter of every signal; never override the user."""
    if not discord_configured(environ):
        return
    # A variable set to nothing is unset (the OpenTelemetry spec; docker-compose's blanks).
    for variable in EXPORTER_VARIABLES:
        _default(environ, variable, "discord")
    if not _has_logging_instrumentation():
        # That package brings its own bridge (auto-enabled); two bridges would double every log.
        _default(environ, LOGGING_BRIDGE, "true")
    _default(environ, "OTEL_METRIC_EXPORT_INTERVAL", str(DEFAULT_METRIC_INTERVAL_MS))


def _default(environ: MutableMapping[str, str], variable: str, value: str) -> None:
    if not environ.get(variable, "").strip():
        environ[variable] = value


_OTLP_BY_PROTOCOL: Final = {"grpc": "otlp_proto_grpc", "http/protobuf": "otlp_proto_http"}


def _entry_point_name(name: str, variable: str, environ: Mapping[str, str]) -> str:
    """The entry point the SDK loads for ``name``: ``otlp`` is the one of the configured
    protocol (grpc unless ``OTEL_EXPORTER_OTLP[_<SIGNAL>]_PROTOCOL`` says otherwise)."""
    if name != "otlp":
        return name
    signal = variable.removeprefix("OTEL_").removesuffix("_EXPORTER")
    protocol = (
        environ.get(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL")
        or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "grpc"
    ).strip()
    return _OTLP_BY_PROTOCOL.get(protocol, name)


def replace_unloadable(environ: MutableMapping[str, str]) -> list[str]:
    """Swap exporter names with no installed entry point for ``discord``; return what changed."""
    if not discord_configured(environ):
        return []
    changed = []
    for variable, group in EXPORTER_VARIABLES.items():
        names = [n.strip() for n in environ.get(variable, "").split(",") if n.strip()]
        if not names or names == ["none"]:
            continue
        available = {ep.name for ep in entry_points(group=group)}
        # "none" beside other names means nothing: the SDK would try to load it, and fail.
        kept = [
            n for n in names if n != "none" and _entry_point_name(n, variable, environ) in available
        ]
        if kept != names:
            missing = sorted(set(names) - set(kept) - {"none"})
            if missing:
                changed.append(f"{variable}: {', '.join(missing)} not installed")
            environ[variable] = ",".join(dict.fromkeys([*kept, "discord"] if missing else kept))
    return changed


EXPORT_PROCESSORS: Final[dict[str, Callable[..., object]]] = {
    "export_span_processor": span_processor_for,
    "export_log_record_processor": log_processor_for,
}
"""The processor factory for each exporter the SDK's configurator makes, by its keyword."""


def with_export_processors(
    initialize: Callable[..., object], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """``kwargs`` naming our processor factories, for each ``initialize`` takes.

    The Discord traces exporter gets :class:`DiscordSpanProcessor` (no worker thread
    contending with the bot's loop for the GIL), the Discord logs exporter
    :class:`ClippingLogRecordProcessor` (records cut as they are emitted and a longer
    queue, so a burst of errors is neither held whole nor dropped past 2,048); other
    exporters keep the SDK's batch processors. A keyword the SDK lacks, or one the caller
    chose, is left as it is.
    """
    try:
        parameters = inspect.signature(initialize).parameters
    except (TypeError, ValueError):  # no signature to read: leave the SDK's defaults
        return kwargs
    chosen = {
        keyword: factory
        for keyword, factory in EXPORT_PROCESSORS.items()
        if keyword in parameters and kwargs.get(keyword) is None
    }
    return {**kwargs, **chosen}


def _settings_usable(environ: MutableMapping[str, str]) -> bool:
    """Whether the Discord settings resolve; if not, say why in one line and take the
    ``discord`` exporters out, so the rest of the setup (other exporters, the
    instrumentations) still runs instead of failing with a traceback per exporter."""
    try:
        DiscordConfig.resolve()
    except ConfigError as exc:  # names the variable, never the token
        _logger.error("otel-discord: %s; nothing is sent to Discord", exc)
        for variable in EXPORTER_VARIABLES:
            names = [n.strip() for n in environ.get(variable, "").split(",") if n.strip()]
            if "discord" in names:
                environ[variable] = ",".join(n for n in names if n != "discord") or "none"
        if environ.get("OTEL_LOGS_EXPORTER") == "none":
            environ[LOGGING_BRIDGE] = "false"  # a bridge to nowhere would take the console's place
        return False
    return True


class DiscordDistro(BaseDistro):  # type: ignore[misc]
    """Sets the environment defaults for the Discord path."""

    def _configure(self, **kwargs: Any) -> None:
        apply_defaults(os.environ)


class DiscordConfigurator(_OTelSDKConfigurator):
    """The SDK configurator, made robust to exporters that were named but aren't installed."""

    def _configure(self, **kwargs: Any) -> None:
        apply_defaults(os.environ)
        for change in replace_unloadable(os.environ):
            _logger.warning("otel-discord: %s; using the discord exporter instead", change)
        usable = discord_configured(os.environ) and _settings_usable(os.environ)
        with warnings.catch_warnings():
            # The SDK's logging bridge warns that it is deprecated in favour of a package we
            # don't require; it is still the bridge opentelemetry-instrument uses.
            warnings.simplefilter("ignore", DeprecationWarning)
            _initialize_components(**with_export_processors(_initialize_components, kwargs))
        if usable:
            # Disk-full alerts need filesystem space, which system metrics don't report.
            from otel_discord.monitors import register_filesystem_gauges

            register_filesystem_gauges()
            keep_default_output()
            tag_bridges()
            if DiscordConfig.resolve().flush_on_sigterm:
                flush_on_sigterm()
