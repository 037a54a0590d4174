"""Fleet embeds: the per-process lines of the analytics summary, the roster, silence notices.

Pure: states and numbers in, embed dicts out (times are passed in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from otel_discord.gateway._fleet import INSTANCE_ATTR, SenderView
from otel_discord.render import limits, style
from otel_discord.render.text import clip, code_block, human_count, inline_code, neutralise
from otel_discord.render.types import Embed
from otel_discord.state.activity import COMMANDS, Activity

MAX_PROCESS_LINES: Final = 8
ROSTER_TITLE: Final = "🛰️ Fleet"
_LABEL_W: Final = 20


@dataclass(frozen=True)
class IngestFigures:
    """The receiver's counters, for the roster's footer line."""

    requests: int = 0
    items: int = 0
    rejected: int = 0
    throttled: int = 0
    refused: int = 0


def annotate_activity(
    embed: Embed, activity: Activity, per_process: Mapping[str, Mapping[str, int]], live: int
) -> Embed:
    """Say how many processes the totals cover and add a line per process (busiest first)."""
    out = dict(embed)
    processes = f"across {live} process{'es' if live != 1 else ''}"
    out["description"] = clip(
        f"{out.get('description', '')} · {processes}", limits.EMBED_DESCRIPTION
    )
    events = activity.by("discord.gateway.events", INSTANCE_ATTR)
    messages = activity.by("discord.messages", INSTANCE_ATTR)
    commands = activity.by(COMMANDS, INSTANCE_ATTR)
    labels = set(events) | set(messages) | set(commands) | set(per_process)
    labels.discard("?")
    if len(labels) < 2:
        return out

    def weight(label: str) -> tuple[float, str]:
        counts = per_process.get(label, {})
        return (-(events.get(label, 0) + commands.get(label, 0) + counts.get("spans", 0)), label)

    lines = []
    for label in sorted(labels, key=weight)[:MAX_PROCESS_LINES]:
        counts = per_process.get(label, {})
        parts = [
            f"{human_count(value, compact=True)} {name}"
            for name, value in (
                ("events", events.get(label, 0)),
                ("msgs", messages.get(label, 0)),
                ("cmds", commands.get(label, 0)),
                ("spans", counts.get("spans", 0)),
                ("errors", counts.get("errors", 0)),
            )
            if value
        ]
        lines.append(f"{inline_code(label, 40)} " + (" · ".join(parts) or "idle"))
    if len(labels) > MAX_PROCESS_LINES:
        lines.append(f"… {len(labels) - MAX_PROCESS_LINES} more processes")
    fields = list(out.get("fields") or [])
    if len(fields) < limits.EMBED_FIELDS:
        value = clip("\n".join(lines), limits.EMBED_FIELD_VALUE)
        fields.append({"name": "Per process", "value": value, "inline": False})
        out["fields"] = fields
    return out


def render_roster(
    states: Sequence[SenderView],
    *,
    description: str,
    now_s: float,
    time_ns: int,
    figures: IngestFigures,
) -> Embed:
    """The fleet at a glance: each process, its shards, when it was last heard from."""
    rows = [f"{'process':<{_LABEL_W}} {'shards':>8} {'seen':>6} {'spans':>6} {'logs':>6}"]
    problems = []
    for state in states:
        shards, down = state.shards, state.down
        seen = "silent" if state.silent else _ago(now_s - state.last_seen_s)
        spans, logs = (human_count(n, compact=True) for n in (state.spans, state.logs))
        rows.append(
            f"{state.label[:_LABEL_W]:<{_LABEL_W}} {_span(shards):>8} {seen:>6}"
            f" {spans:>6} {logs:>6}"
        )
        if state.silent:
            problems.append(f"🔕 {inline_code(state.label)} silent")
        if down and not state.silent:
            problems.append(f"🔌 {inline_code(state.label)} shards {', '.join(down)} disconnected")
    lines = [clip("\n".join(problems), 1000)] if problems else []
    budget = limits.EMBED_DESCRIPTION - sum(len(line) + 1 for line in lines)
    lines.append(code_block("\n".join(rows), min(budget, 3000), width=limits.CODE_BLOCK_WIDTH))
    gateway = (
        f"{human_count(figures.requests)} requests · {human_count(figures.items)} items"
        f" · {human_count(figures.rejected)} rejected · {human_count(figures.throttled)} throttled"
        f" · {human_count(figures.refused)} refused"
    )
    return {
        "title": clip(f"{ROSTER_TITLE} · {neutralise(description)}", limits.EMBED_TITLE),
        "description": "\n".join(lines),
        "color": style.RED if problems else style.GREEN,
        "fields": [{"name": "Gateway", "value": gateway, "inline": False}],
        "footer": style.footer("otel-discord gateway", None),
        "timestamp": style.iso(time_ns),
    }


def render_silence(kind: str, state: SenderView, seconds: float, *, time_ns: int) -> Embed:
    """A process went silent (or came back): named, with its shards and export rhythm."""
    shards = state.shards
    if kind == "silent":
        title = f"🔕 Process silent · {state.label}"
        lines = [f"No metrics for {_duration(seconds)}."]
        limit = state.silence_limit_s
        if state.gap_s:
            lines.append(f"It exported every ~{_duration(state.gap_s)}; limit {_duration(limit)}.")
        lines.append("Crashed, stopped, or cut off from the gateway (or the Collector).")
        colour = style.RED
    else:
        title = f"✅ Process back · {state.label}"
        lines = [f"Metrics again after {_duration(seconds)} of silence."]
        colour = style.GREEN
    if shards:
        lines.append(f"Shards: {_span(shards)}")
    return {
        "title": clip(neutralise(title), limits.EMBED_TITLE),
        "description": clip("\n".join(lines), limits.EMBED_DESCRIPTION),
        "color": colour,
        "footer": style.footer(state.service, state.label),
        "timestamp": style.iso(time_ns),
    }


def _span(shards: Sequence[str]) -> str:
    """``0–3`` for a contiguous run of numeric ids, else a short list."""
    if not shards:
        return "-"
    if all(s.isdigit() for s in shards):
        numbers = [int(s) for s in shards]
        if len(numbers) > 1 and numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"{numbers[0]}–{numbers[-1]}"
    text = ",".join(shards)
    return text if len(text) <= 8 else f"{len(shards)} ids"


def _ago(seconds: float) -> str:
    return f"{_duration(max(0.0, seconds))}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"
