"""Tests for otel_discord.render.text: clipping, mention safety, code blocks, humanisers."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_discord.render import limits
from otel_discord.render.text import (
    clip,
    clip_markdown,
    code_block,
    defuse_fences,
    defuse_mentions,
    human_bytes,
    human_count,
    human_duration,
    human_rate,
    inline_code,
    neutralise,
    sparkline,
)

ZWSP = "\u200b"
FENCE = "```"

TRICKY_PIECES = [
    "@everyone",
    "@here",
    "@EveryOne",
    "<@123>",
    "<@!123>",
    "<@&123>",
    "<#123>",
    "</cmd:123>",
    FENCE,
    "``",
    "`",
    "**",
    "__",
    "~~",
    "||",
    "\\",
    "# ",
    "-# ",
    "> ",
    ">>> ",
    "[x](https://evil.example/a_b)",
    "https://example.com/a_b?c=d",
    "\n",
    " ",
    "\t",
    ZWSP,
    "\u202e",  # right-to-left override
    "مرحبا",
    "👨\u200d👩\u200d👧",
    "e\u0301",
    "\r\n",
]
"""Fragments that stress mentions, markdown, fences and unicode handling."""

unicode_text = st.text(st.characters(codec="utf-8"), max_size=200)
tricky_text = st.lists(st.one_of(unicode_text, st.sampled_from(TRICKY_PIECES)), max_size=30).map(
    "".join
)
huge_text = st.tuples(tricky_text, st.integers(1, 20_000)).map(
    lambda pair: (pair[0] or "x") * (pair[1] // max(len(pair[0]), 1) + 1)
)
any_text = st.one_of(tricky_text, huge_text)
MENTION = re.compile(r"@everyone|@here|<@|<#\d|</[^<>\n]*:\d", re.IGNORECASE)
"""Every mention shape Discord renders: @everyone, @here, <@1>, <@!1>, <@&1>, <#1>, </c:1>."""


class TestClip:
    """clip trims, cuts at a boundary and keeps the result within the limit."""

    @pytest.mark.parametrize(
        ("expected", "text", "limit"),
        [
            ("short", "  short \n", 10),
            ("exactly10!", "exactly10!", 10),
            ("hello world…", "hello world this is a test", 15),
            ("abcdefghi…", "abcdefghijklmnop", 10),
            ("first line…", "first line\nsecond line", 13),
            ("first line\nseco…", "first line\nsecond line", 16),
            ("a", "abcdef", 1),
            ("a…", "abcdef", 2),
            ("a…", "a bcdef", 3),
        ],
    )
    def test_cases(self, expected: str, text: str, limit: int) -> None:
        """Concrete cuts: short text untouched, word and line boundaries preferred."""
        assert expected == clip(text, limit)

    def test_hard_cut_when_no_boundary_near_the_end(self) -> None:
        """A space far before the cut is ignored so little text is lost."""
        assert clip("a " + "b" * 200, 100) == "a " + "b" * 97 + "…"

    def test_custom_ellipsis(self) -> None:
        """The ellipsis is configurable and counted in the limit."""
        assert clip("abcdefghijkl", 8, ellipsis="[...]") == "abc[...]"

    def test_rejects_a_limit_below_one(self) -> None:
        """A zero limit cannot hold a non-empty result, so it is an error."""
        with pytest.raises(ValueError, match="limit"):
            clip("x", 0)

    @settings(max_examples=200, deadline=None)
    @given(text=any_text, limit=st.integers(1, 5000))
    def test_property_within_limit_and_never_empty(self, text: str, limit: int) -> None:
        """Any text, any limit: within the limit, non-empty if the input was."""
        result = clip(text, limit)
        assert len(result.strip()) <= limit
        assert bool(result.strip()) == bool(text.strip())
        if len(text.strip()) <= limit:
            assert text.strip() == result

    @pytest.mark.parametrize(
        ("text", "limit", "clipped"),
        [
            ("x" * 8 + "\U0001f468\u200d\U0001f469\u200d\U0001f467", 12, "x" * 8 + "…"),
            (
                "a" * 9 + "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea",
                12,
                "a" * 9 + "\U0001f1eb\U0001f1f7…",
            ),
            ("a" * 10 + "e\u0301e\u0301", 12, "a" * 10 + "…"),
            ("ab" + "\U0001f44d\U0001f3fd" * 5, 5, "ab\U0001f44d\U0001f3fd…"),
        ],
    )
    def test_never_splits_what_reads_as_one_character(
        self, text: str, limit: int, clipped: str
    ) -> None:
        """A ZWJ family, a flag, an accented letter, a skin tone: whole or not at all."""
        assert clipped == clip(text, limit)


class TestNeutralise:
    """neutralise keeps text readable while no mention or layout markdown survives."""

    @pytest.mark.parametrize(
        ("expected", "text"),
        [
            (f"@{ZWSP}everyone and @{ZWSP}here", "@everyone and @here"),
            (f"hi <{ZWSP}@123> <{ZWSP}@!123> <{ZWSP}@&123>", "hi <@123> <@!123> <@&123>"),
            (f"<{ZWSP}#123> <{ZWSP}/cmd:123>", "<#123> </cmd:123>"),
            (
                "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\|\\|spoiler\\|\\|",
                "**bold** _it_ ~~s~~ ||spoiler||",
            ),
            ("\\`code\\`", "`code`"),
            (
                "\\# Heading\n  \\## h2\n-\\# small\nnot # a heading",
                "# Heading\n  ## h2\n-# small\nnot # a heading",
            ),
            ("\\> quote\n\\>>> block\na > b", "> quote\n>>> block\na > b"),
            (f"[click]{ZWSP}(https://evil.example)", "[click](https://evil.example)"),
            ("see https://example.com/a_b*c_d now", "see https://example.com/a_b*c_d now"),
            ("C:\\Users\\me \\\\\\*", "C:\\Users\\me \\*"),
            ("user@example.com 3 < 4", "user@example.com 3 < 4"),
            ("svc\\\\", "svc\\"),  # a trailing backslash escapes nothing the caller adds
            ("abcdefg\tok\nline", "abc\u202edef\x00g\x1b\tok\nline"),  # no override, no control
            (
                f"<{ZWSP}t:1764349200:R> <{ZWSP}:pepe:123> <{ZWSP}a:dance:456> "
                f"<{ZWSP}id:customize>",
                "<t:1764349200:R> <:pepe:123> <a:dance:456> <id:customize>",
            ),
        ],
    )
    def test_cases(self, expected: str, text: str) -> None:
        """Mentions get a zero-width space, markdown a backslash, URLs stay intact."""
        assert expected == neutralise(text)

    @settings(max_examples=200, deadline=None)
    @given(text=tricky_text)
    def test_property_no_mention_survives(self, text: str) -> None:
        """No @everyone, @here or <@/<#/</ sequence is left in any text."""
        assert MENTION.search(neutralise(text)) is None

    @settings(max_examples=200, deadline=None)
    @given(text=tricky_text)
    def test_property_no_fence(self, text: str) -> None:
        """Backticks are escaped (URLs cannot hold them), so no code block can open."""
        assert FENCE not in neutralise(text)


class TestInlineCode:
    """inline_code shows a name literally: nothing escaped, nothing able to end the span."""

    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("set_prefix", "`set_prefix`"),
            ("a`b\nc", "`a\u02cbb c`"),
            ("", "` `"),
            ("x" * 70, "`" + "x" * 59 + "…`"),
        ],
    )
    def test_cases(self, text: str, shown: str) -> None:
        assert shown == inline_code(text)


class TestCodeBlock:
    """code_block fences text within a limit without ever breaking its fences."""

    def test_fits_unchanged(self) -> None:
        """Short text is fenced as is, with the language on the opening fence."""
        assert code_block("x = 1\n", 100, lang="py") == "```py\nx = 1\n```"

    def test_defuses_fences_inside(self) -> None:
        """A fence in the text gets zero-width spaces so it cannot close the block."""
        assert f"```\na\n`{ZWSP}`{ZWSP}`\nb\n```" == code_block("a\n```\nb", 100)

    def test_keeps_the_head_with_a_marker(self) -> None:
        """keep='head' drops lines from the bottom and says how many."""
        text = "\n".join(f"line {i}" for i in range(100))
        expected = "```\n" + "\n".join(f"line {i}" for i in range(8)) + "\n… 92 lines cut\n```"
        assert expected == code_block(text, 80)

    def test_keeps_the_tail_with_a_marker(self) -> None:
        """keep='tail' drops lines from the top, where a traceback is least useful."""
        text = "\n".join(f"line {i}" for i in range(100))
        expected = (
            "```\n… 93 lines cut\n" + "\n".join(f"line {i}" for i in range(93, 100)) + "\n```"
        )
        assert expected == code_block(text, 80, keep="tail")

    def test_one_huge_line_is_clipped(self) -> None:
        """A single line longer than the block is cut with an ellipsis."""
        assert code_block("x" * 200, 30) == "```\n" + "x" * 21 + "…\n```"

    def test_singular_marker(self) -> None:
        """One dropped line reads '1 line cut'."""
        assert code_block("x" * 200 + "\nabc", 40) == "```\n" + "x" * 18 + "…\n… 1 line cut\n```"

    @pytest.mark.parametrize(
        ("expected", "overflow"),
        [
            ("```\n1234…\nab\n```", "truncate"),
            ("```\n12345\n6789\nab\n```", "wrap"),
        ],
    )
    def test_width(self, expected: str, overflow: str) -> None:
        """Long lines are truncated or wrapped to the given width."""
        assert expected == code_block("123456789\nab", 100, width=5, overflow=overflow)  # type: ignore[arg-type]

    def test_default_width_constant(self) -> None:
        """Renderers' usual width cuts a long line to 55 characters."""
        expected = "```\n" + "x" * 54 + "…\n```"
        assert expected == code_block("x" * 80, 200, width=limits.CODE_BLOCK_WIDTH)

    def test_defuses_mentions_but_not_html(self) -> None:
        """Mentions inside code cannot ping or render; closing tags stay untouched."""
        expected = f"```\n@{ZWSP}here <{ZWSP}@1> <{ZWSP}#2> <{ZWSP}/c d:3> </div>\n```"
        assert expected == code_block("@here <@1> <#2> </c d:3> </div>", 100)

    def test_unsafe_language_is_dropped(self) -> None:
        """A language with backticks or newlines cannot break the opening fence."""
        assert code_block("x", 100, lang="py`\nevil") == "```pyevil\nx\n```"

    def test_tiny_limit_falls_back_to_plain_text(self) -> None:
        """Without room for fences the text comes back plain, backticks made harmless."""
        assert code_block("a`b", 5) == "a\u02cbb"

    @settings(max_examples=200, deadline=None)
    @given(
        text=any_text,
        limit=st.integers(9, 4096),
        keep=st.sampled_from(["head", "tail"]),
        width=st.none() | st.integers(2, 80),
    )
    def test_property_fences_hold(
        self, text: str, limit: int, keep: str, width: int | None
    ) -> None:
        """Any text: one opening and one closing fence, nothing else, within the limit."""
        result = code_block(text, limit, keep=keep, width=width)  # type: ignore[arg-type]
        assert len(result) <= limit
        assert result.startswith("```\n")
        assert result.endswith("\n```")
        assert result.count(FENCE) == 2
        assert MENTION.search(result) is None


class TestClipMarkdown:
    """clip_markdown cuts text that holds code blocks without breaking them."""

    def test_cuts_inside_a_block(self) -> None:
        """A block that does not fit is cut inside its fences, which stay whole."""
        block = "```py\n" + "\n".join(f"x = {i}" for i in range(300)) + "\n```"
        result = clip_markdown("intro text\n" + block + "\nafter", 200)
        assert result.startswith("intro text\n```py\nx = 0\n")
        assert result.endswith(" lines cut\n```")
        assert len(result) <= 200

    def test_cuts_text_after_a_block(self) -> None:
        """Text after a complete block is clipped like plain text."""
        text = "```\nab\n```\n" + "word " * 50
        assert clip_markdown(text, 30) == "```\nab\n```\nword word word…"

    def test_marks_a_dropped_block_when_little_room_is_left(self) -> None:
        """A block that would keep almost nothing is dropped with an ellipsis."""
        text = "x" * 50 + "\n```\n" + "y" * 100 + "\n```"
        assert clip_markdown(text, 60) == "x" * 50 + " …"

    @settings(max_examples=200, deadline=None)
    @given(
        pieces=st.lists(
            st.one_of(
                tricky_text.map(neutralise),
                st.tuples(any_text, st.integers(9, 2000)).map(lambda p: code_block(*p)),
            ),
            min_size=1,
            max_size=6,
        ),
        limit=st.integers(1, 4096),
    )
    def test_property_fences_stay_paired(self, pieces: list[str], limit: int) -> None:
        """Neutralised text and code blocks, cut anywhere: fences come in pairs."""
        text = "\n".join(pieces)
        result = clip_markdown(text, limit)
        assert len(result.strip()) <= limit
        assert result.count(FENCE) % 2 == 0
        assert bool(result.strip()) == bool(text.strip())


class TestDefuseFences:
    """defuse_fences separates adjacent backticks only."""

    def test_separates_runs(self) -> None:
        """Single backticks stay, runs are split."""
        assert f"`a` `{ZWSP}`{ZWSP}`{ZWSP}`" == defuse_fences("`a` ````")


class TestDefuseMentions:
    """defuse_mentions touches mention shapes only."""

    def test_only_mentions_change(self) -> None:
        """Markdown and ordinary angle brackets are left alone."""
        assert f"**@{ZWSP}everyone** <{ZWSP}@&5> a<b </p>" == defuse_mentions(
            "**@everyone** <@&5> a<b </p>"
        )


class TestSparkline:
    """sparkline draws one bar per value, safely."""

    @pytest.mark.parametrize(
        ("expected", "values"),
        [
            ("", []),
            ("▁▁▁", [3, 3, 3]),
            ("▁▂▃▄▅▆▇█", [1, 2, 3, 4, 5, 6, 7, 8]),
            ("▁ █ ", [0, math.nan, 10, math.inf]),
            ("   ", [math.nan, -math.inf, math.inf]),
            ("▁█", [-1.7e308, 1.7e308]),
        ],
    )
    def test_cases(self, expected: str, values: list[float]) -> None:
        """Scaled between min and max; gaps for non-finite; flat is low."""
        assert expected == sparkline(values)


class TestHumanisers:
    """Numbers read the way people say them."""

    @pytest.mark.parametrize(
        ("expected", "n"),
        [
            ("0 B", 0),
            ("512 B", 512),
            ("1023 B", 1023),
            ("1.0 KiB", 1024),
            ("1.5 KiB", 1536),
            ("1.0 MiB", 1024**2 - 1),
            ("4.7 GiB", 5e9),
            ("123 MiB", 123 * 1024**2),
            ("-2.0 KiB", -2048),
            ("—", math.nan),
        ],
    )
    def test_bytes(self, expected: str, n: float) -> None:
        """Binary units with one decimal below 100."""
        assert expected == human_bytes(n)

    def test_rate(self) -> None:
        """A rate is bytes per second."""
        assert human_rate(2048) == "2.0 KiB/s"

    @pytest.mark.parametrize(
        ("expected", "seconds"),
        [
            ("0 s", 0),
            ("50 ns", 5e-8),
            ("25 µs", 2.5e-5),
            ("4.2 ms", 0.0042),
            ("350 ms", 0.35),
            ("1.0 s", 0.9996),
            ("4.2 s", 4.2),
            ("42 s", 42),
            ("1 min", 59.6),
            ("3 min 12 s", 192),
            ("1 h", 3599.6),
            ("2 h 5 min", 7500),
            ("3 d 4 h", 3 * 86400 + 4 * 3600),
            ("-3.0 s", -3),
            ("—", math.inf),
        ],
    )
    def test_duration(self, expected: str, seconds: float) -> None:
        """Two units at most, rounded at the smaller one."""
        assert expected == human_duration(seconds)

    @pytest.mark.parametrize(
        ("expected", "n", "compact"),
        [
            ("1,284", 1284, False),
            ("1,284", 1284, True),
            ("12,345", 12345, False),
            ("12.3k", 12345, True),
            ("100k", 99_960, True),
            ("1.0M", 999_600, True),
            ("1.5", 1.5, False),
            ("1,234,567.25", 1234567.25, False),
            ("—", math.nan, False),
        ],
    )
    def test_count(self, expected: str, n: float, compact: bool) -> None:
        """Thousands separators, or a short suffix when compact."""
        assert expected == human_count(n, compact=compact)


def test_code_block_drops_overrides_and_controls() -> None:
    """A right-to-left override in a traceback would reverse the block's text after it."""
    assert "```\nabc def\n```" == code_block("abc\u202e def\x00", 100)
