"""Embeds for alerts, resolved notices, the health check and the start-up notice.

Pure: everything they show is passed in, including the time. Alerts say what,
how much, since when and what to check; the health embed shows each component's
value and points in a table narrow enough for a phone (code blocks wrap at ~55
characters in embeds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Final

from otel_discord.channels import Channel
from otel_discord.delivery.stats import DeliveryStats
from otel_discord.monitors.health import HealthReport, number
from otel_discord.monitors.rules import AlertEvent, AlertRule
from otel_discord.render import limits, style
from otel_discord.render.text import (
    clip,
    clip_markdown,
    code_block,
    human_duration,
    neutralise,
    sparkline,
)
from otel_discord.render.types import Embed

GOOD_SCORE: Final = 80
FAIR_SCORE: Final = 50
BAR_WIDTH: Final = 10


def format_value(value: float, unit: str) -> str:
    """A reading with its unit: ``93 %``, ``1,342 ms``, ``12/min``, ``1 shard``."""
    if not math.isfinite(value):
        return "—"
    if unit == "shards":
        return f"{value:.0f} shard" + ("" if round(value) == 1 else "s")
    if unit == "ms" and abs(value) >= 1000:
        return f"{value:,.0f} ms"
    return number(value, unit) if unit else (f"{value:.1f}" if abs(value) < 10 else f"{value:.0f}")


def format_beside(value: float, threshold: float, unit: str) -> str:
    """``format_value``, with the decimals it takes not to read as the threshold it crossed.

    90.04 % over a 90 % threshold reads ``90.04 %``, not ``90 %``.
    """
    text = format_value(value, unit)
    if value == threshold or unit == "shards" or text != format_value(threshold, unit):
        return text
    digits = next((d for d in (1, 2, 3) if round(value, d) != round(threshold, d)), 3)
    shown = f"{value:,.{digits}f}"
    if not unit:
        return shown
    return f"{shown}/min" if unit == "/min" else f"{shown} {unit}"


def _condition(rule: AlertRule, threshold: float) -> str:
    """``CPU usage above 90 %``; rules on a zero threshold read as their title alone."""
    if threshold == 0:
        return rule.title
    word = "above" if rule.direction == "above" else "below"
    return f"{rule.title} {word} {format_value(threshold, rule.unit)}"


def _relative(time_ns: int) -> str:
    """A Discord timestamp each reader sees in their own time zone (``2 minutes ago``)."""
    return f"<t:{time_ns // 1_000_000_000}:R>"


def _rule_footer(rule: AlertRule, service: str, host: str | None) -> dict[str, str]:
    extra = (
        f"alert {rule.name} · fires after {human_duration(rule.for_s)} · "
        f"resolves after {human_duration(rule.clear_for_s)} clear"
    )
    return style.footer(service, host, extra)


def render_alert(event: AlertEvent, *, service: str, host: str | None) -> Embed:
    """A firing, repeated or resolved alert, as one embed for the logs channel."""
    if event.kind == "resolved":
        return _render_resolved(event, service=service, host=host)
    rule = event.rule
    icon, prefix = ("🔴", "") if event.kind == "firing" else ("🔁", "Still firing: ")
    lasted = f" · for {human_duration(event.duration_s)}" if event.duration_s >= 1 else ""
    lines = [
        f"**{format_beside(event.value, event.threshold, rule.unit)}** now · threshold "
        f"{format_value(event.threshold, rule.unit)}{lasted}"
    ]
    if len(event.recent) > 1:
        lines.append(f"`{sparkline(event.recent)}` last {len(event.recent)} samples")
    if rule.hint:
        lines.append(rule.hint)
    return {
        "title": clip(f"{icon} {prefix}{_condition(rule, event.threshold)}", limits.EMBED_TITLE),
        "description": clip_markdown("\n".join(lines), limits.EMBED_DESCRIPTION),
        "color": style.RED,
        "fields": [
            {"name": "Since", "value": _relative(event.started_ns), "inline": True},
            {
                "name": "Peak",
                "value": format_beside(event.peak, event.threshold, rule.unit),
                "inline": True,
            },
        ],
        "footer": _rule_footer(rule, service, host),
        "timestamp": style.iso(event.at_ns),
    }


def _render_resolved(event: AlertEvent, *, service: str, host: str | None) -> Embed:
    rule = event.rule
    lasted = human_duration(event.duration_s)
    peak = format_value(event.peak, rule.unit)
    if event.reason is not None:
        text = f"{event.reason.capitalize()} after {lasted}. Peak {peak}."
    else:
        text = f"Back to **{format_value(event.value, rule.unit)}** after {lasted}. Peak {peak}."
    return {
        "title": clip(f"✅ Resolved: {rule.title}", limits.EMBED_TITLE),
        "description": clip_markdown(text, limits.EMBED_DESCRIPTION),
        "color": style.GREEN,
        "footer": _rule_footer(rule, service, host),
        "timestamp": style.iso(event.at_ns),
    }


def score_colour(score: int) -> int:
    if score >= GOOD_SCORE:
        return style.GREEN
    return style.YELLOW if score >= FAIR_SCORE else style.RED


def score_label(score: int) -> str:
    return "Good" if score >= GOOD_SCORE else "Degraded" if score >= FAIR_SCORE else "Critical"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    """``██████░░░░`` for 0.6."""
    filled = round(min(max(fraction, 0.0), 1.0) * width)
    return "█" * filled + "░" * (width - filled)


def _change(delta: float | None) -> str:
    if delta is None or round(delta) == 0:
        return ""
    return f"▲{round(delta)}" if delta > 0 else f"▼{-round(delta)}"


def breakdown_table(report: HealthReport) -> str:
    """``latency   87 ms    15/15 ██████████`` rows (at most ~45 characters wide)."""
    rows = []
    for c in report.components:
        points = f"{round(c.points)}/{round(c.max_points)}"
        row = f"{c.name:<8} {c.value:>11} {points:>5} {bar(c.score)} {_change(c.change)}"
        rows.append(row.rstrip())
    return "\n".join(rows)


def delivery_table(stats: Mapping[str, DeliveryStats]) -> str:
    """Counters since start per routed channel, and the state when it is not ok."""
    rows = [f"{'channel':<11} {'sent':>5} {'retry':>5} {'429':>4} {'drop':>4} {'queue':>5}"]
    for channel, s in stats.items():
        row = (
            f"{channel:<11} {s.sent_messages:>5} {s.retries:>5} "
            f"{sum(s.rate_limited.values()):>4} {sum(s.dropped.values()):>4} "
            f"{s.queue_depth:>5} {'' if s.state == 'ok' else s.state}"
        )
        rows.append(row.rstrip())
    return "\n".join(rows)


def _summary(report: HealthReport) -> str:
    trend = ""
    if report.change is not None:
        trend = (
            " (no change since last check)"
            if report.change == 0
            else f" ({_change(report.change)} since last check)"
        )
    held = f", held down by {report.held_by}" if report.held_by else ""
    lines = [f"`{bar(report.score / 100)}` **{report.score}**/100{held}{trend}"]
    if report.firing:
        lines.append(f"Firing: {', '.join(report.firing)} (see logs).")
    count = len(report.recommendations)
    if count == 0:
        lines.append("Everything looks healthy; nothing needs attention.")
    else:
        lines.append(
            f"{count} thing{'s' if count != 1 else ''} need{'' if count != 1 else 's'} attention."
        )
    return "\n".join(lines)


def render_health(
    report: HealthReport,
    *,
    service: str,
    host: str | None,
    time_ns: int,
    interval_s: float,
    cadence: str | None = None,
) -> Embed:
    """The health check for the diagnostics channel (``cadence`` overrides "health every")."""
    fields: list[dict[str, object]] = []
    if report.components:
        fields.append(
            {
                "name": "Score breakdown",
                "value": code_block(
                    breakdown_table(report),
                    limits.EMBED_FIELD_VALUE,
                    width=limits.CODE_BLOCK_WIDTH,
                ),
                "inline": False,
            }
        )
    if report.recommendations:
        numbered = "\n".join(f"{i}. {r}" for i, r in enumerate(report.recommendations, 1))
        fields.append(
            {
                "name": "Recommendations",
                "value": clip(numbered, limits.EMBED_FIELD_VALUE),
                "inline": False,
            }
        )
    if report.delivery:
        fields.append(
            {
                "name": "Automation · delivery since start",
                "value": code_block(
                    delivery_table(report.delivery),
                    limits.EMBED_FIELD_VALUE,
                    width=limits.CODE_BLOCK_WIDTH,
                ),
                "inline": False,
            }
        )
    return {
        "title": f"🩺 Health {report.score}/100 — {score_label(report.score)}",
        "description": _summary(report),
        "color": score_colour(report.score),
        "fields": fields,
        "footer": style.footer(
            service, host, cadence or f"health every {human_duration(interval_s)}"
        ),
        "timestamp": style.iso(time_ns),
    }


def render_startup(
    described: Mapping[str, str],
    *,
    version: str,
    service: str,
    host: str | None,
    rules: Sequence[AlertRule],
    instrumentations: Sequence[str],
    notes: Sequence[str],
    time_ns: int,
) -> Embed:
    """What is on, how often, and when alerts fire: the first message in diagnostics.

    ``described`` is ``DiscordConfig.describe()`` (destinations already redacted).
    """
    channels = "\n".join(
        f"`{ch.value}` "
        + ("off" if described.get(ch.value, "off") == "off" else f"on · `{described[ch.value]}`")
        for ch in Channel
    )
    intervals = " · ".join(
        f"{label} {human_duration(int(described[key]) / 1000)}"
        for label, key in (
            ("performance", "performance_interval_ms"),
            ("system", "system_interval_ms"),
            ("analytics", "analytics_interval_ms"),
            ("health", "health_interval_ms"),
            ("alert checks", "alert_interval_ms"),
            ("alert repeat", "alert_repeat_interval_ms"),
        )
        if key in described
    )
    thresholds = "\n".join(
        f"{_condition(rule, rule.threshold)}"
        + (f" (×{rule.spike_factor:g} baseline)" if rule.spike_factor else "")
        + (f" for {human_duration(rule.for_s)}" if rule.for_s else "")
        for rule in rules
    )
    fields = [
        {"name": "Channels", "value": clip(channels, limits.EMBED_FIELD_VALUE), "inline": False},
        {"name": "Intervals", "value": clip(intervals or "—", limits.EMBED_FIELD_VALUE)},
        {
            "name": "Alerts",
            "value": clip(thresholds or "no rules", limits.EMBED_FIELD_VALUE),
            "inline": False,
        },
        {
            "name": "Instrumentations",
            "value": clip(", ".join(instrumentations) or "none detected", limits.EMBED_FIELD_VALUE),
            "inline": False,
        },
    ]
    if notes:
        fields.append(
            {
                "name": "Notes",
                "value": clip("\n".join(f"• {n}" for n in notes), limits.EMBED_FIELD_VALUE),
                "inline": False,
            }
        )
    where = f" on **{neutralise(host)}**" if host else ""
    return {
        "title": clip(f"🟢 Monitoring started · otel-discord {version}", limits.EMBED_TITLE),
        "description": clip(f"Service **{neutralise(service)}**{where}.", limits.EMBED_DESCRIPTION),
        "color": style.GREEN,
        "fields": fields,
        "footer": style.footer(service, host),
        "timestamp": style.iso(time_ns),
    }
