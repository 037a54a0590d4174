"""The analytics summary: one embed per interval instead of a message per event.

``render_activity`` turns a closed :class:`~otel_discord.state.activity.Activity`
window into an embed (pure).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from otel_discord.render import style
from otel_discord.render.text import (
    clip,
    code_block,
    counted,
    human_count,
    inline_code,
    neutralise,
    one_line,
    sparkline,
)
from otel_discord.render.types import Embed
from otel_discord.state.activity import COMMANDS, Activity, percentile

TOP_N: Final = 5
FAILURE_REASON: Final = "discord.command.failure_reason"


def render_activity(activity: Activity, *, service: str, host: str | None) -> list[Embed]:
    """The summary embed of one window; [] when nothing happened."""
    if activity.empty:
        return []
    events = activity.total("discord.gateway.events")
    messages = activity.total("discord.messages")
    ok = activity.total(COMMANDS, **{"discord.command.outcome": "success"})
    failed = activity.total(COMMANDS, **{"discord.command.outcome": "failure"})
    unknown = activity.total("discord.commands.unknown")
    headline = [f"**{human_count(events)} events**"] if events else []
    headline.append(f"{human_count(messages)} messages")
    headline.append(f"{human_count(ok + failed)} commands")
    if activity.active_users is not None:
        headline.append(counted(round(activity.active_users), "active user"))
    fields: list[dict[str, Any]] = [
        _field("Commands", _command_outcomes(activity, ok, failed), COMMANDS, activity),
        _field("Messages", human_count(messages), "discord.messages", activity),
    ]
    members = activity.by("discord.member.changes", "discord.change")
    guilds = activity.by("discord.guild.changes", "discord.change")
    if members or guilds or activity.member_changes:
        lines = []
        if members:
            lines.append(f"members +{_n(members, 'join')} / −{_n(members, 'leave')}")
        lines.extend(_member_lines(activity.member_changes))
        if guilds:
            lines.append(f"guilds +{_n(guilds, 'join')} / −{_n(guilds, 'leave')}")
        fields.append({"name": "Joins · leaves", "value": "\n".join(lines), "inline": True})
    voice = activity.by("discord.voice.changes", "discord.change")
    if voice:
        text = " · ".join(f"{neutralise(k)} {human_count(v)}" for k, v in sorted(voice.items()))
        fields.append({"name": "Voice", "value": text, "inline": True})
    reactions = activity.by("discord.reactions", "discord.change")
    if reactions:
        text = f"+{_n(reactions, 'add')} / −{_n(reactions, 'remove')}"
        fields.append({"name": "Reactions", "value": text, "inline": True})
    top = _top_commands(activity)
    if top:
        fields.append({"name": "Top commands", "value": top, "inline": False})
    if unknown:
        fields.append({"name": "Unknown commands", "value": human_count(unknown), "inline": True})
    if activity.spans:
        fields.append({"name": "Spans", "value": _span_table(activity), "inline": False})
    failure_rate = failed / (ok + failed) if ok + failed else 0.0
    colour = style.YELLOW if failure_rate > 0.1 else style.BLUE
    return [
        {
            "title": f"📊 Activity · {style.window_text(activity.start_ns, activity.end_ns)}",
            "description": " · ".join(headline),
            "color": colour,
            "fields": fields,
            "footer": style.footer(service, host),
            "timestamp": style.iso(activity.end_ns),
        }
    ]


def _command_outcomes(activity: Activity, ok: float, failed: float) -> str:
    """``7 ok · 5 failed (2 bad argument, 2 on cooldown, 1 error)``: failures by reason."""
    reasons = activity.by(COMMANDS, FAILURE_REASON, **{"discord.command.outcome": "failure"})
    ranked = sorted(
        ((reason, count) for reason, count in reasons.items() if reason != "?" and count),
        key=lambda item: (-item[1], item[0]),
    )
    text = f"{human_count(ok)} ok · {human_count(failed)} failed"
    if not ranked:
        return text
    why = ", ".join(f"{human_count(count)} {clip(neutralise(r), 40)}" for r, count in ranked)
    return f"{text} ({why})"


def _member_lines(changes: Mapping[str, tuple[int, int]]) -> list[str]:
    """The busiest guilds' joins and leaves, e.g. ``Lo-Fi Lounge +12 / −3``."""
    ranked = sorted(changes.items(), key=lambda item: (-sum(item[1]), item[0]))
    lines = [
        f"{clip(neutralise(one_line(guild)), 40)} +{joins} / −{leaves}"
        for guild, (joins, leaves) in ranked[:3]
    ]
    if len(ranked) > 3:
        lines.append(f"… {counted(len(ranked) - 3, 'more guild')}")
    return lines


def _n(counts: Mapping[str, float], key: str) -> str:
    return human_count(counts.get(key, 0))


def _field(name: str, value: str, metric: str, activity: Activity) -> dict[str, Any]:
    history = activity.history.get(metric, ())
    if len(history) > 1:
        value = f"{value}\n{sparkline(history)}"
    return {"name": name, "value": value, "inline": True}


def _top_commands(activity: Activity) -> str:
    totals = activity.by(COMMANDS, "discord.command.name")
    failures = activity.by(
        COMMANDS, "discord.command.name", **{"discord.command.outcome": "failure"}
    )
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:TOP_N]
    lines = []
    for rank, (name, count) in enumerate(ranked, 1):
        failed = failures.get(name, 0)
        suffix = f" ({human_count(failed)} failed)" if failed else ""
        lines.append(f"{rank}. {inline_code(name)} — {human_count(count)}{suffix}")
    return "\n".join(lines)


def _span_table(activity: Activity) -> str:
    ranked = sorted(activity.spans.items(), key=lambda item: (-item[1].count, item[0]))[:TOP_N]
    rows = [f"{'span':<20} {'n':>6} {'p50':>7} {'p95':>7} {'err':>4}"]
    for name, stats in ranked:
        durations = sorted(stats.durations)
        rows.append(
            f"{one_line(name)[:20]:<20} {stats.count:>6} {_ms(percentile(durations, 0.5)):>7}"
            f" {_ms(percentile(durations, 0.95)):>7} {stats.errors:>4}"
        )
    total = sum(s.count for s in activity.spans.values())
    errors = sum(s.errors for s in activity.spans.values())
    rate = f"{100 * errors / total:.1f} %" if total else "0 %"
    return f"{counted(total, 'span')} · error rate {rate}\n" + code_block("\n".join(rows), 900)


def _ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "-"
    millis = round(seconds * 1000)
    if millis < 1:
        return "<1ms" if seconds > 0 else "0ms"
    return f"{millis}ms" if millis < 10_000 else f"{seconds:.0f}s"
