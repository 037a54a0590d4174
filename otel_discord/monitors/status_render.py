"""The live status message: the state of the bot at a glance, edited in place.

Pure: every value, the time included, is passed in. Times the reader should see
age on their own screen are Discord timestamps (``<t:UNIX:R>`` renders as
"3 minutes ago" in each reader's client), so a process that died visibly goes
stale without anyone posting anything. Titles do not render timestamps, so they
live in the description and fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from otel_discord.monitors.health import HealthReport
from otel_discord.monitors.render import score_colour, score_label
from otel_discord.render import limits, style
from otel_discord.render.text import clip, human_duration, neutralise
from otel_discord.render.types import Embed

NS_PER_S = 1_000_000_000
ICONS = {"Good": "🟢", "Degraded": "🟡", "Critical": "🟠"}


@dataclass(frozen=True)
class LastAlert:
    """The newest alert that fired: what, and when."""

    title: str
    at_ns: int


@dataclass(frozen=True)
class StatusView:
    """Everything one status message shows."""

    service: str
    host: str | None
    started_ns: int
    now_ns: int
    health_interval_s: float
    report: HealthReport | None = None
    """The latest health check (None before the first one)."""
    shards_connected: float | None = None
    shards: float | None = None
    latency_ms: float | None = None
    last_alert: LastAlert | None = None
    errors_last_hour: int | None = None
    """Error-level problems in the last hour (since start when younger than an hour)."""


def stamp(time_ns: int, style_letter: str) -> str:
    """A Discord timestamp: ``<t:1764338400:R>``."""
    return f"<t:{time_ns // NS_PER_S}:{style_letter}>"


def uptime(started_ns: int, now_ns: int) -> str:
    return human_duration(max(0, now_ns - started_ns) / NS_PER_S)


def _health(report: HealthReport | None, interval_s: float) -> str:
    if report is None:
        return f"first check in {human_duration(interval_s)}"
    trend = ""
    if report.change is not None:
        trend = " · steady" if report.change == 0 else f" · {report.change:+d}"
    return f"**{report.score}**/100 {score_label(report.score)}{trend}"


def _shards(connected: float | None, shards: float | None) -> str:
    if connected is None:
        return "—"
    if shards is None:
        return f"{connected:.0f} connected"
    return f"{connected:.0f}/{shards:.0f} connected"


def _latency(latency_ms: float | None) -> str:
    if latency_ms is None or not math.isfinite(latency_ms):
        return "—"
    return f"{latency_ms:,.0f} ms" if latency_ms >= 10 else f"{latency_ms:.1f} ms"


def _last_alert(alert: LastAlert | None) -> str:
    if alert is None:
        return "none"
    return clip(f"{neutralise(alert.title)} · {stamp(alert.at_ns, 'R')}", limits.EMBED_FIELD_VALUE)


def _errors(view: StatusView) -> tuple[str, str]:
    young = view.now_ns - view.started_ns < 3600 * NS_PER_S
    name = "Errors since start" if young else "Errors, last hour"
    return name, "—" if view.errors_last_hour is None else f"{view.errors_last_hour:,}"


def render_status(view: StatusView) -> Embed:
    """The running status: health, uptime, shards, latency, last alert, errors, updated."""
    report = view.report
    label = score_label(report.score) if report is not None else None
    icon = ICONS.get(label or "", "🔵")
    state = label or "Starting"
    errors_name, errors_value = _errors(view)
    fields = [
        {"name": "Health", "value": _health(report, view.health_interval_s), "inline": True},
        {"name": "Uptime", "value": uptime(view.started_ns, view.now_ns), "inline": True},
        {"name": "Shards", "value": _shards(view.shards_connected, view.shards), "inline": True},
        {"name": "Gateway latency", "value": _latency(view.latency_ms), "inline": True},
        {"name": "Last alert", "value": _last_alert(view.last_alert), "inline": True},
        {"name": errors_name, "value": errors_value, "inline": True},
    ]
    return {
        "title": clip(f"{icon} {neutralise(view.service)} · {state}", limits.EMBED_TITLE),
        "description": (
            f"Updated {stamp(view.now_ns, 'R')} · next update in "
            f"{human_duration(view.health_interval_s)}"
        ),
        "color": score_colour(report.score) if report is not None else style.BLUE,
        "fields": fields,
        "footer": style.footer(view.service, view.host, "status · edited in place"),
        "timestamp": style.iso(view.now_ns),
    }


def render_stopped(view: StatusView) -> Embed:
    """The last state of the message after a clean shutdown."""
    lasted = uptime(view.started_ns, view.now_ns)
    errors_name, errors_value = _errors(view)
    return {
        "title": clip(f"🔴 {neutralise(view.service)} · Stopped", limits.EMBED_TITLE),
        "description": f"🔴 Stopped {stamp(view.now_ns, 'f')} after {lasted} of uptime.",
        "color": style.RED,
        "fields": [
            {"name": "Uptime", "value": lasted, "inline": True},
            {"name": "Last alert", "value": _last_alert(view.last_alert), "inline": True},
            {"name": errors_name, "value": errors_value, "inline": True},
        ],
        "footer": style.footer(view.service, view.host, "status · edited in place"),
        "timestamp": style.iso(view.now_ns),
    }
