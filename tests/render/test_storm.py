"""The storm summary: a window of errors ranked by kind, only when it is a storm."""

from __future__ import annotations

from otel_discord.records import Occurrence
from otel_discord.render import style
from otel_discord.render.storm import STORM_THRESHOLD, render_storm
from otel_discord.state.storm import MAX_KINDS, StormWindow

T0 = 1_700_000_000_000_000_000
MINUTE = 60_000_000_000


def occurrence(exc_type: str, message: str, source: str = "astrobot.voice") -> Occurrence:
    return Occurrence(
        time_ns=T0,
        severity_number=17,
        severity_text="ERROR",
        source=source,
        message="failed",
        service="astrobot",
        exc_type=exc_type,
        exc_message=message,
    )


class TestStormWindow:
    """Occurrences are tallied per kind, most frequent first; the window then restarts."""

    def test_tally_and_close(self) -> None:
        window = StormWindow(T0)
        for _ in range(3):
            window.add(occurrence("KeyError", "'guild_id'"))
        window.add(occurrence("TimeoutError", "voice.connect timed out"))
        storm = window.close(T0 + MINUTE)
        assert 4 == storm.total
        assert [("KeyError: 'guild_id'", 3), ("TimeoutError: voice.connect timed out", 1)] == [
            (kind.label, kind.count) for kind in storm.kinds
        ]
        assert 0 == window.close(T0 + 2 * MINUTE).total

    def test_kinds_are_bounded(self) -> None:
        window = StormWindow(T0)
        for i in range(MAX_KINDS + 5):
            window.add(occurrence(f"Error{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}", "x"))
        storm = window.close(T0 + MINUTE)
        assert (MAX_KINDS, 5) == (len(storm.kinds), storm.other)


class TestRenderStorm:
    """One red embed with the kinds ranked, the total and the window."""

    def test_below_threshold_is_quiet(self) -> None:
        window = StormWindow(T0)
        window.add(occurrence("KeyError", "x"))
        assert [] == render_storm(window.close(T0 + MINUTE), service="s", host=None)

    def test_storm(self) -> None:
        window = StormWindow(T0)
        for i in range(STORM_THRESHOLD + 195):
            kind = ("TimeoutError", "voice.connect timed out") if i % 5 else ("KeyError", "@here")
            window.add(occurrence(*kind))
        [embed] = render_storm(window.close(T0 + MINUTE), service="astrobot", host="h1")
        assert "🌪️ Error storm · 295 errors in 1 min" == embed["title"]
        assert style.RED == embed["color"]
        lines = embed["description"].splitlines()
        assert lines[0] == "• `236×` TimeoutError: voice.connect timed out — astrobot.voice"
        assert lines[1].startswith("• `59×` KeyError: ")
        assert "@here" not in embed["description"]
        assert "_2 kinds · each with exact counts in its own embed_" == lines[-1]
        assert embed["footer"]["text"].endswith("22:13:20–22:14:20 UTC")

    def test_a_multi_line_kind_stays_on_its_line(self) -> None:
        """A message with line breaks (and a source with one) is one list item."""
        window = StormWindow(T0)
        for _ in range(STORM_THRESHOLD + 1):
            window.add(occurrence("ValueError", "bad row:\n  id=3\n  name=x", source="app\njob"))
        [embed] = render_storm(window.close(T0 + MINUTE), service="astrobot", host="h1")
        first = embed["description"].splitlines()[0]
        assert first.startswith("• `101×` ValueError: bad row: id=3 name=x — app job")
