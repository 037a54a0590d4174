"""Performance and system snapshots: a metric history becomes one or two readable embeds.

Pure: the history, the window and the names in, embed dicts out (no clock, no I/O).
Each row of the table is ``metric  now  avg  max  history`` in a code block no wider
than ``limits.CODE_BLOCK_WIDTH``; bytes are scaled per row (the unit goes in the
label) so the columns stay narrow; the colour says the worst of CPU, memory, disk
space and gateway latency. With a chart attached (``chart=`` its filename) the
embed shows it as its image and the table gets shorter: the chart draws the
history, so the sparkline column goes, and the performance table keeps only the
rows the chart and the alerts are about.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from otel_discord.render import limits
from otel_discord.render.charts.build import Thresholds
from otel_discord.render.style import GREEN, RED, YELLOW, utc
from otel_discord.render.text import clip, code_block, human_count, sparkline
from otel_discord.render.types import Embed
from otel_discord.state import reading_keys as rk
from otel_discord.state.history import MetricHistory, Reading

PERFORMANCE_TITLE: Final = "⚡ Performance snapshot"
SYSTEM_TITLE: Final = "🖥️ System snapshot"
PROCESS_TITLE: Final = "⚙️ Process and bot"

PERCENT_WARN_MARGIN: Final = 15.0
"""A percentage this close under its alert threshold colours the snapshot yellow."""


MAX_CORE_ROWS: Final = 16
"""Above this many cores the system snapshot shows them as one compact line."""
MAX_SHARD_ROWS: Final = 10
"""Shards listed (slowest first) in the system snapshot; the rest are counted."""

_LABEL_WIDTH: Final = 18
_MIN_SPARK: Final = 4
_CORES: Final = "cores"
"""Row marker: the per-core CPU compact line."""
_CORES_LABEL: Final = "cores %"
_NOTE: Final = "… "
"""Row prefix: a line of text in the table, not a reading."""

_HOST_ROWS: Final = (
    rk.CPU,
    _CORES,
    rk.LOAD_1M,
    rk.MEMORY,
    rk.SWAP,
    rk.DISK,
    rk.DISK_READ,
    rk.DISK_WRITE,
    rk.NET_RX,
    rk.NET_TX,
)
_PROCESS_ROWS: Final = (rk.PROCESS_CPU, rk.RSS, rk.THREADS, rk.OPEN_FDS, rk.GC_PER_MIN)
_BOT_ROWS: Final = (rk.LATENCY, rk.LOOP_LAG, rk.EVENTS_PER_MIN)
_BOT_COUNTS: Final = (rk.GUILDS, rk.USERS_CACHED, rk.SHARDS, rk.CONNECTED)
_CHARTED_ROWS: Final = (rk.CPU, rk.MEMORY, rk.DISK, rk.PROCESS_CPU, rk.RSS, *_BOT_ROWS)
"""The performance table beside a chart: what the chart draws and what alerts watch."""

_BYTE_UNITS: Final = ("B", "KiB", "MiB", "GiB", "TiB")
_MINUTES_ONLY: Final = timedelta(minutes=5)
"""Windows this long show minutes only; shorter ones show seconds too."""


@dataclass(frozen=True)
class _Draft:
    """An embed before the window line, footer and shared size budget are added."""

    title: str
    table: list[str]
    fields: list[dict[str, object]]
    colour: int


@dataclass(frozen=True)
class _Row:
    label: str
    cells: tuple[str, str, str]
    history: tuple[float, ...]


def render_performance(
    history: MetricHistory,
    *,
    window: tuple[int, int],
    service: str,
    host: str | None,
    chart: str | None = None,
    thresholds: Thresholds | None = None,
) -> list[Embed]:
    """The periodic snapshot: host, process and bot in one table, bot counts as fields."""
    readings = history.readings()
    rows = _CHARTED_ROWS if chart else (*_HOST_ROWS, *_PROCESS_ROWS, *_BOT_ROWS)
    table = _table_lines(readings, rows, compact_cores=True, sparklines=not chart, window=window)
    fields = _bot_fields(readings)
    if not table and not fields:
        return []
    embeds = _fit(
        [_Draft(PERFORMANCE_TITLE, table, fields, severity_colour(readings, thresholds))],
        history,
        window=window,
        service=service,
        host=host,
    )
    return _with_image(embeds, chart)


def _with_image(embeds: list[Embed], chart: str | None) -> list[Embed]:
    """The first embed shows the attached chart (``attachment://<chart>``)."""
    if chart and embeds:
        embeds[0]["image"] = {"url": f"attachment://{chart}"}
    return embeds


def render_system(
    history: MetricHistory,
    *,
    window: tuple[int, int],
    service: str,
    host: str | None,
    chart: str | None = None,
    thresholds: Thresholds | None = None,
) -> list[Embed]:
    """The full snapshot: every core and shard, in a host embed and a process/bot embed."""
    readings = history.readings()
    cores = _core_keys(readings)
    host_rows = _HOST_ROWS if len(cores) > MAX_CORE_ROWS else _expand(_HOST_ROWS, _CORES, cores)
    shards = _shard_keys(readings)
    hidden = len(_shard_keys(readings, limit=None)) - len(shards)
    more = [f"{_NOTE}{hidden} more shards"] if hidden > 0 else []
    bot_rows = _expand(_BOT_ROWS, rk.LATENCY, [rk.LATENCY, *shards, *more])
    colour = severity_colour(readings, thresholds)
    drafts = [
        _Draft(title, table, [], colour)
        for title, table in (
            (
                SYSTEM_TITLE,
                _table_lines(
                    readings, host_rows, compact_cores=True, sparklines=not chart, window=window
                ),
            ),
            (
                PROCESS_TITLE,
                _table_lines(
                    readings,
                    (*_PROCESS_ROWS, *bot_rows, *_BOT_COUNTS),
                    compact_cores=False,
                    window=window,
                ),
            ),
        )
        if table
    ]
    return _with_image(_fit(drafts, history, window=window, service=service, host=host), chart)


def severity_colour(readings: dict[str, Reading], thresholds: Thresholds | None = None) -> int:
    """From the latest values: red past an alert threshold, yellow near one (15 points
    under a percentage's, half the latency's), else green."""
    t = thresholds or Thresholds()
    levels = [
        (readings[key].now, limit, limit - PERCENT_WARN_MARGIN)
        for key, limit in (
            (rk.CPU, t.cpu_percent),
            (rk.MEMORY, t.memory_percent),
            (rk.DISK, t.disk_percent),
        )
        if key in readings
    ]
    if rk.LATENCY in readings:
        levels.append((readings[rk.LATENCY].now, t.latency_ms, t.latency_ms / 2))
    if any(value > limit for value, limit, _ in levels):
        return RED
    if any(value > near for value, _, near in levels):
        return YELLOW
    return GREEN


def window_line(window: tuple[int, int], samples: Sequence[int]) -> str:
    """``14:01–14:06 UTC, 12 samples``: what the embed covers, in UTC."""
    start, end = (utc(ns) for ns in window)
    fmt = "%H:%M" if end - start >= _MINUTES_ONLY else "%H:%M:%S"
    if start.date() != end.date():
        fmt = "%Y-%m-%d " + fmt
    count = sum(1 for t in samples if window[0] <= t <= window[1])
    return f"{start:{fmt}}–{end:{fmt}} UTC, {count} sample{'s' if count != 1 else ''}"


def _fit(
    drafts: list[_Draft],
    history: MetricHistory,
    *,
    window: tuple[int, int],
    service: str,
    host: str | None,
) -> list[Embed]:
    """Add window, footer and timestamp; share the 6000-character budget between tables."""
    line = window_line(window, history.sample_times())
    names = (service.strip(), f"host {host.strip()}" if host and host.strip() else "")
    footer = clip(" · ".join(n for n in names if n), limits.EMBED_FOOTER_TEXT)
    fixed = sum(
        len(d.title)
        + len(footer)
        + sum(len(str(f["name"])) + len(str(f["value"])) for f in d.fields)
        for d in drafts
    )
    share = (limits.EMBED_TOTAL - fixed) // max(len(drafts), 1) - len(line) - 1
    room = min(share, limits.EMBED_DESCRIPTION - len(line) - 1)
    embeds: list[Embed] = []
    for draft in drafts:
        embed: Embed = {"title": draft.title, "color": draft.colour}
        if draft.fields:
            embed["fields"] = draft.fields
        embed["description"] = line
        if draft.table:
            block = code_block("\n".join(draft.table), room, width=limits.CODE_BLOCK_WIDTH)
            embed["description"] += "\n" + block
        if footer:
            embed["footer"] = {"text": footer}
        embed["timestamp"] = utc(window[1]).isoformat(timespec="milliseconds")
        embeds.append(embed)
    return embeds


def _bot_fields(readings: dict[str, Reading]) -> list[dict[str, object]]:
    """Shards connected, guilds and cached users as inline fields (counts, not series)."""
    fields: list[dict[str, object]] = []
    shards, connected = readings.get(rk.SHARDS), readings.get(rk.CONNECTED)
    if shards is not None and connected is not None:
        value = f"{human_count(connected.now)}/{human_count(shards.now)} connected"
        fields.append({"name": "Shards", "value": value, "inline": True})
    elif shards is not None:  # a connected reading always brings its shard count
        fields.append({"name": "Shards", "value": human_count(shards.now), "inline": True})
    for key, name in ((rk.GUILDS, "Guilds"), (rk.USERS_CACHED, "Users cached")):
        if key in readings:
            fields.append({"name": name, "value": human_count(readings[key].now), "inline": True})
    return fields


def _numeric_suffix(key: str, prefix: str) -> tuple[int, int, str]:
    """Sort key for ``prefix<id>.…``: numeric ids in numeric order, then the others."""
    ident = key[len(prefix) :].split(".", 1)[0]
    return (0, int(ident), "") if ident.isdigit() else (1, 0, ident)


def _core_keys(readings: dict[str, Reading]) -> list[str]:
    cores = [k for k in readings if k.startswith(rk.CORE_PREFIX)]
    return sorted(cores, key=lambda k: _numeric_suffix(k, rk.CORE_PREFIX))


def _shard_keys(readings: dict[str, Reading], *, limit: int | None = MAX_SHARD_ROWS) -> list[str]:
    """Per-shard latency keys, slowest first (the ones a reader must see), at most ``limit``."""
    keys = [
        k for k in readings if k.startswith(rk.SHARD_PREFIX) and k.endswith(rk.SHARD_LATENCY_SUFFIX)
    ]
    keys.sort(key=lambda k: (-readings[k].now, _numeric_suffix(k, rk.SHARD_PREFIX)))
    return keys if limit is None else keys[:limit]


def _expand(rows: Iterable[str], marker: str, replacement: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for row in rows:
        out.extend(replacement if row == marker else (row,))
    return tuple(out)


def _table_lines(
    readings: dict[str, Reading],
    keys: Iterable[str],
    *,
    compact_cores: bool,
    sparklines: bool = True,
    window: tuple[int, int] | None = None,
) -> list[str]:
    """Header and one line per reading present; the per-core line where ``_CORES`` stands."""
    rows: list[_Row | str] = []
    for key in keys:
        if key.startswith(_NOTE):
            rows.append(key)
        elif key == _CORES:
            if compact_cores:
                rows.append(_CORES)
        elif key in readings:
            rows.append(_row(readings[key], window))
    table_rows = [r for r in rows if isinstance(r, _Row)]
    if not table_rows:
        return []
    cores = [readings[k].now for k in _core_keys(readings)] if _CORES in rows else []
    labels = [r.label for r in table_rows] + ([_CORES_LABEL] if cores else [])
    label_w = min(max(len("metric"), *(len(label) for label in labels)), _LABEL_WIDTH)
    num_w = max(3, *(len(c) for r in table_rows for c in r.cells))
    spark_w = limits.CODE_BLOCK_WIDTH - label_w - 3 * (num_w + 2) - 2 if sparklines else 0
    header = f"{'metric':<{label_w}}" + "".join(f"  {h:>{num_w}}" for h in ("now", "avg", "max"))
    lines = [header + ("  history" if spark_w >= _MIN_SPARK else "")]
    for row in rows:
        if row == _CORES:
            lines.extend(_cores_lines(cores, label_w))
            continue
        if isinstance(row, str):
            lines.append(row)
            continue
        line = f"{row.label[:label_w]:<{label_w}}"
        line += "".join(f"  {c:>{num_w}}" for c in row.cells)
        if spark_w >= _MIN_SPARK:
            line += "  " + sparkline(row.history[-spark_w:])
        lines.append(line)
    return lines


def _cores_lines(cores: list[float], label_w: int) -> list[str]:
    """Per-core CPU on one line: whole percents if they fit, else one bar per core (0-100)."""
    if not cores:
        return []
    room = limits.CODE_BLOCK_WIDTH - label_w - 1
    text = " ".join(f"{c:>3.0f}" for c in cores)
    if len(text) > room:
        # 0 and 100 pin the scale, so a bar reads as an absolute level.
        text = sparkline([0.0, 100.0, *cores])[2:]
    chunks = [text[i : i + room] for i in range(0, len(text), room)]
    label = f"{_CORES_LABEL:<{label_w}} "
    return [label + chunks[0], *(" " * len(label) + c for c in chunks[1:])]


def _row(reading: Reading, window: tuple[int, int] | None) -> _Row:
    """``now`` and the average and peak of the window the embed covers (its line says it)."""
    inside = reading.within(*window) if window is not None else reading.history
    if inside:
        values = (reading.now, math.fsum(inside) / len(inside), max(inside))
    else:
        values = (reading.now, reading.mean, reading.peak)
    label, scale = reading.label, 1.0
    if reading.unit in ("By", "By/s"):
        # Scaled for the usual level, not the peak: one spike must not turn "now" into 0.0.
        unit, scale = _byte_scale(max(abs(values[0]), abs(values[1])))
        label = f"{label} {unit}{reading.unit[2:]}"
    elif reading.unit:
        label = f"{label} {reading.unit}"
    cells = tuple(_number(v / scale, plain=not reading.unit) for v in values)
    return _Row(label, (cells[0], cells[1], cells[2]), tuple(v / scale for v in reading.history))


def _byte_scale(top: float) -> tuple[str, float]:
    """The binary unit that keeps ``top`` under 1000, and its size."""
    index, scale = 0, 1.0
    while index < len(_BYTE_UNITS) - 1 and top / scale >= 1000:
        index, scale = index + 1, scale * 1024
    return _BYTE_UNITS[index], scale


def _number(value: float, *, plain: bool) -> str:
    """Five characters at most for the usual range: ``23.4``, ``452``, ``1,284``, ``12.3k``."""
    if abs(value) >= 10_000:
        return human_count(value, compact=True)
    if abs(value) >= 100 or (plain and value.is_integer()):
        return f"{value:,.0f}"
    return f"{value:.1f}"
