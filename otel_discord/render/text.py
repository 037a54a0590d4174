"""Text helpers for embeds: clipping, mention safety, code blocks, humanised numbers.

Everything here is pure. Lengths are code points after trimming surrounding
whitespace, which is how Discord counts them (see ``limits``).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Final, Literal

ELLIPSIS: Final = "…"
ZWSP: Final = "\u200b"
"""Zero-width space: invisible, but breaks a mention or a fence Discord would parse."""

_BOUNDARY_WINDOW: Final = 0.2
"""Look for a newline or space only in the last 20% of the budget, or cut hard."""

_FENCE: Final = "```"
_MIN_FENCED: Final = len(_FENCE) * 2 + 3
"""Shortest fenced block: fences, two newlines and one character."""
_MIN_USEFUL_BLOCK: Final = _MIN_FENCED + 12
"""Below this a cut code block says too little: end with an ellipsis instead."""

_BARS: Final = "▁▂▃▄▅▆▇█"


_ZWJ: Final = "\u200d"
_REGIONAL: Final = range(0x1F1E6, 0x1F200)


def _extends(char: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a variation
    selector, a skin tone, an emoji tag, or the character after a zero-width joiner."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or unicodedata.category(char) in ("Mn", "Me", "Mc")
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or char == _ZWJ
    )


def cluster_end(s: str, end: int) -> int:
    """``end`` moved back so that ``s[:end]`` splits no character a person sees as one
    (an accented letter, a ZWJ emoji family, a flag); ``end`` itself if none fits."""
    cut = end
    while 0 < cut < len(s) and (_extends(s[cut]) or s[cut - 1] == _ZWJ):
        cut -= 1
    if 0 < cut < len(s) and ord(s[cut]) in _REGIONAL:
        run = cut
        while run > 0 and ord(s[run - 1]) in _REGIONAL:
            run -= 1
        if (cut - run) % 2:  # the cut would leave half a flag
            cut -= 1
    return cut if cut > 0 else end


def clip(text: str, limit: int, *, ellipsis: str = ELLIPSIS) -> str:
    """Trim ``text`` and cut it to ``limit`` code points at a word or line boundary.

    The result is never longer than ``limit`` (after stripping) and never empty when
    the stripped input was not, so it can fill a required embed field.
    """
    if limit < 1:
        msg = f"limit must be at least 1, got {limit}"
        raise ValueError(msg)
    s = text.strip()
    if len(s) <= limit:
        return s
    if limit <= len(ellipsis):
        return s[: cluster_end(s, limit)].rstrip() or s[:limit]
    budget = limit - len(ellipsis)
    head = s[: cluster_end(s, budget)]
    floor = int(budget * (1 - _BOUNDARY_WINDOW))
    cut = head.rfind("\n", floor)
    if cut <= 0:
        cut = max((head.rfind(c, floor) for c in " \t"), default=-1)
    kept = head[:cut].rstrip() if cut > 0 else ""
    return (kept or head.rstrip()) + ellipsis


_EVERYONE_HERE = re.compile(r"@(?=everyone|here)", re.IGNORECASE)
_ANGLE_MENTION = re.compile(r"<(?=[@#/:]|a:|t:\d|id:)")
"""Mentions, custom emoji (``<:name:id>``, ``<a:name:id>``), timestamps (``<t:…>``) and
guide links (``<id:customize>``): each would render."""
_EXACT_ANGLE_MENTION = re.compile(r"<(?=@|#\d|/[^<>\n]*:\d)")
"""User, role, channel and command mentions only, so ``</div>`` in code stays as is."""
_URL = r"https?://[^\s<>`|]*[^\s<>`|*_~.,:;\"')\]]"
_MARKDOWN = re.compile(
    rf"(?P<url>{_URL})"
    r"|(?P<md>[*_~|`])"
    r"|(?P<backslash>\\)(?=[^\w\s]|\Z)"
    r"|(?P<line>^[ \t]*-?)(?P<line_md>#|>)",
    re.MULTILINE,
)
_MASKED_LINK = re.compile(r"\](?=\()")
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
"""C0 controls but tab and line breaks, DEL, and the bidirectional embeddings,
overrides and isolates."""


def _escape(match: re.Match[str]) -> str:
    if match["url"] is not None:
        return match["url"]
    if match["line_md"] is not None:
        return match["line"] + "\\" + match["line_md"]
    return "\\" + match[0]


def defuse_mentions(text: str) -> str:
    """Insert a zero-width space into every mention so it neither pings nor renders.

    Only mention shapes are touched; used inside code blocks where markdown is inert.
    """
    return _EXACT_ANGLE_MENTION.sub("<" + ZWSP, _EVERYONE_HERE.sub("@" + ZWSP, text))


def neutralise(text: str) -> str:
    """Make untrusted text inert in an embed: no mention renders, no markdown breaks layout.

    Mentions get a zero-width space after ``@`` / ``<``; markdown characters are
    backslash-escaped; masked links are split. URLs are left intact so they still link.
    Bidirectional overrides and control characters are dropped: a right-to-left
    override would reverse the text that follows it, ours included.
    """
    text = _INVISIBLE.sub("", text)
    text = _EVERYONE_HERE.sub("@" + ZWSP, text)
    text = _ANGLE_MENTION.sub("<" + ZWSP, text)
    text = _MARKDOWN.sub(_escape, text)
    return _MASKED_LINK.sub("]" + ZWSP, text)


_BACKTICK_RUN = re.compile(r"(?<=`)(?=`)")
_LANG_ALLOWED = re.compile(r"[^A-Za-z0-9_+#.-]")


def defuse_fences(text: str) -> str:
    """Separate adjacent backticks so no fence inside ``text`` can close a code block."""
    return _BACKTICK_RUN.sub(ZWSP, text)


def _cut_marker(count: int) -> str:
    return f"{ELLIPSIS} {count} line{'s' if count != 1 else ''} cut"


def _fit_width(lines: list[str], width: int, overflow: Literal["wrap", "truncate"]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
        elif overflow == "truncate":
            out.append(line[: width - 1] + ELLIPSIS)
        else:
            out.extend(line[i : i + width] for i in range(0, len(line), width))
    return out


def _clip_line(line: str, room: int) -> str:
    return line if len(line) <= room else line[: room - 1] + ELLIPSIS


def _fit_lines(lines: list[str], room: int) -> list[str]:
    """Keep the first lines that fit in ``room`` characters, with a marker for the rest."""
    if len("\n".join(lines)) <= room:
        return lines
    count = len(lines)
    best = 0
    length = -1  # len("\n".join(lines[:kept])), without a newline before the first line
    for kept in range(1, count):
        length += 1 + len(lines[kept - 1])
        # Each step adds at least one character and the marker loses at most one,
        # so once a prefix is too long every longer one is too.
        if length + 1 + len(_cut_marker(count - kept)) > room:
            break
        best = kept
    if best:
        return [*lines[:best], _cut_marker(count - best)]
    marker = _cut_marker(count - 1)
    partial_room = room - 1 - len(marker)
    if count > 1 and partial_room >= 2:
        return [_clip_line(lines[0], partial_room), marker]
    return [_clip_line(lines[0], room)]


def code_block(
    text: str,
    limit: int,
    *,
    lang: str = "",
    width: int | None = None,
    keep: Literal["head", "tail"] = "head",
    overflow: Literal["wrap", "truncate"] = "truncate",
) -> str:
    """Wrap ``text`` in a fenced block of at most ``limit`` characters whose fences hold.

    Backtick runs and mentions inside are defused, control characters and bidirectional
    overrides dropped. Lines past the budget are cut from the bottom
    (``keep="head"``) or the top (``keep="tail"``) with a ``… N lines cut`` marker.
    ``width`` truncates (or wraps) long lines, e.g. to ``limits.CODE_BLOCK_WIDTH``.
    """
    lang = _LANG_ALLOWED.sub("", lang)
    plain = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    body = defuse_fences(defuse_mentions(plain))
    body = body.rstrip()
    lines = body.split("\n")
    while len(lines) > 1 and not lines[0].strip():
        del lines[0]
    if width is not None and width >= 2:
        lines = _fit_width(lines, width, overflow)
    if limit < _MIN_FENCED + len(lang):
        lang = ""
    if limit < _MIN_FENCED:
        # No room for fences: plain text with every backtick made harmless.
        return clip("\n".join(lines).replace("`", "\u02cb"), max(limit, 1))[: max(limit, 0)]
    room = limit - (len(_FENCE) + len(lang) + 1) - (1 + len(_FENCE))
    lines = _fit_lines(lines[::-1], room)[::-1] if keep == "tail" else _fit_lines(lines, room)
    return f"{_FENCE}{lang}\n" + "\n".join(lines) + f"\n{_FENCE}"


_FENCED_BLOCK = re.compile(r"```(?P<lang>[A-Za-z0-9_+#.-]*)\n(?P<body>.*?)\n?```", re.DOTALL)


def clip_markdown(text: str, limit: int) -> str:
    """Like ``clip``, but a complete code block is cut inside its fences, never through them."""
    s = text.strip()
    if len(s) <= limit:
        return s
    # A block with nothing inside, cut to a few characters, may leave nothing at all.
    return _clip_blocks(s, limit).strip() or ELLIPSIS


def _clip_blocks(s: str, limit: int) -> str:
    out = ""
    pos = 0
    for match in _FENCED_BLOCK.finditer(s):
        before = s[pos : match.start()]
        if len(out) + len(before) > limit:
            return _clip_after(out, before, limit)
        out += before
        room = limit - len(out)
        if len(match[0]) <= room:
            out += match[0]
            pos = match.end()
            continue
        if room >= _MIN_USEFUL_BLOCK or not out.strip():
            return out + code_block(match["body"], room, lang=match["lang"])
        return _mark_cut(out, limit)
    return _clip_after(out, s[pos:], limit)


def _clip_after(kept: str, rest: str, limit: int) -> str:
    """Append as much of the plain text ``rest`` as fits after ``kept``."""
    lead = rest[: len(rest) - len(rest.lstrip())]
    room = limit - len(kept) - len(lead)
    if room >= 2 or (room >= 1 and not kept.strip()):
        return (kept + lead + clip(rest, room)).strip()
    return _mark_cut(kept, limit)


def _mark_cut(kept: str, limit: int) -> str:
    """Show that something after ``kept`` was dropped, if one more character fits."""
    kept = kept.rstrip()
    sep = "\n" if kept.endswith(_FENCE) else " "
    return kept + sep + ELLIPSIS if len(kept) + 2 <= limit else kept


def sparkline(values: Sequence[float]) -> str:
    """One bar per value from ▁ to █, scaled between the series' min and max.

    Non-finite values show as a gap; a flat series shows all low bars.
    """
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return " " * len(values)
    low, high = min(finite), max(finite)
    # Halving first keeps the span finite for values near the float limits.
    span = high / 2 - low / 2
    bars = []
    for v in values:
        if not math.isfinite(v):
            bars.append(" ")
        elif span <= 0:
            bars.append(_BARS[0])
        else:
            index = round((v / 2 - low / 2) / span * (len(_BARS) - 1))
            bars.append(_BARS[min(max(index, 0), len(_BARS) - 1)])
    return "".join(bars)


_BYTE_UNITS: Final = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
_NOT_A_NUMBER: Final = "—"


def human_bytes(n: float) -> str:
    """``1536`` -> ``"1.5 KiB"``: binary units, one decimal below 100, whole above."""
    if not math.isfinite(n):
        return _NOT_A_NUMBER
    sign = "-" if n < 0 else ""
    value = abs(float(n))
    unit = 0
    while unit < len(_BYTE_UNITS) - 1 and round(value, 1) >= 1024:
        value /= 1024
        unit += 1
    if unit == 0:
        return f"{sign}{round(value)} B"
    text = f"{value:.1f}" if round(value, 1) < 100 else f"{round(value)}"
    return f"{sign}{text} {_BYTE_UNITS[unit]}"


def human_rate(bytes_per_s: float) -> str:
    """``2048`` -> ``"2.0 KiB/s"``."""
    text = human_bytes(bytes_per_s)
    return text if text == _NOT_A_NUMBER else text + "/s"


def _short(value: float, unit: str) -> str | None:
    """One decimal below 10, whole numbers up to 999; ``None`` when the next unit should show."""
    if round(value, 1) < 10:
        return f"{value:.1f} {unit}"
    if round(value) < 1000:
        return f"{round(value)} {unit}"
    return None


def _under_a_second(seconds: float) -> str | None:
    if seconds == 0:
        return "0 s"
    if seconds < 1e-6:
        return f"{round(seconds * 1e9)} ns"
    for scale, unit in ((1e6, "\u00b5s"), (1e3, "ms")):
        if seconds * scale < 1000:
            short = _short(seconds * scale, unit)
            if short is not None:
                return short
    return None


def human_duration(seconds: float) -> str:
    """Durations as people read them: ``350 ms``, ``4.2 s``, ``3 min 12 s``, ``2 h 5 min``."""
    if not math.isfinite(seconds):
        return _NOT_A_NUMBER
    if seconds < 0:
        return "-" + human_duration(-seconds)
    if round(seconds, 1) < 10:
        return _under_a_second(seconds) or f"{seconds:.1f} s"
    whole = round(seconds)
    return f"{whole} s" if whole < 60 else _over_a_minute(seconds)


def _over_a_minute(seconds: float) -> str:
    """Two units, each rounded at the smaller one: ``3 min 12 s``, ``2 h 5 min``, ``3 d 4 h``."""
    whole = round(seconds)
    if whole < 3600:
        return _pair(*divmod(whole, 60), "min", "s")
    minutes = round(seconds / 60)
    if minutes < 24 * 60:
        return _pair(*divmod(minutes, 60), "h", "min")
    return _pair(*divmod(round(seconds / 3600), 24), "d", "h")


def _pair(big: int, small: int, big_unit: str, small_unit: str) -> str:
    return f"{big} {big_unit}" if small == 0 else f"{big} {big_unit} {small} {small_unit}"


_COUNT_UNITS: Final = ((1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


def inline_code(text: str, limit: int = 60) -> str:
    """``text`` as an inline code span, clipped to ``limit``: shown literally.

    Inside a code span Discord renders no markdown, no mention and no escape (a
    backslash would show), so the text is not neutralised; a backtick would end the
    span and becomes a look-alike (U+02CB), a line break a space.
    """
    inner = clip(one_line(text).replace("`", "\u02cb"), limit)
    return f"`{inner.strip() or ' '}`"


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (line breaks included) as one space: a name
    that goes in a list item or a table row."""
    return " ".join(text.split())


def counted(n: float, noun: str) -> str:
    """``1 error``, ``2 errors``, ``1,284 messages``: a count and its noun, plural unless one."""
    return f"{human_count(n)} {noun}{'' if n == 1 else 's'}"


def human_count(n: float, *, compact: bool = False) -> str:
    """``1284`` -> ``"1,284"``; with ``compact``, ``12345`` -> ``"12.3k"`` (from 10,000 up)."""
    if not math.isfinite(n):
        return _NOT_A_NUMBER
    if compact and abs(n) >= 10_000:
        value, suffix = float(n), ""
        for scale, unit in _COUNT_UNITS:
            value, suffix = n / scale, unit
            if abs(value) < 999.5:
                break
        return f"{value:.1f}{suffix}" if abs(value) < 99.95 else f"{value:,.0f}{suffix}"
    if isinstance(n, int) or float(n).is_integer():
        return f"{int(n):,}"
    return f"{n:,.2f}".rstrip("0").rstrip(".")
