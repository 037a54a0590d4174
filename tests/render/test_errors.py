"""Grouped error embeds: templates, locations, trimmed traces, merging."""

from __future__ import annotations

from otel_discord.delivery.grouped import ErrorGroup
from otel_discord.delivery.item import Priority
from otel_discord.fingerprint import crash_location, message_template
from otel_discord.records import Occurrence
from otel_discord.render import style
from otel_discord.render.errors import render_error, trim_stacktrace

TRACE = """Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/discord/ext/commands/core.py", line 235, in wrapped
    ret = await coro(*args, **kwargs)
  File "/usr/lib/python3.11/site-packages/discord/ext/commands/core.py", line 1000, in invoke
    await injected(*ctx.args, **ctx.kwargs)
  File "/app/astrobot/cogs/music.py", line 214, in play
    track = await self.resolver.resolve(query, timeout=parse_timeout(opts))
  File "/app/astrobot/util/time.py", line 41, in parse_timeout
    return int(value) * 1000
ValueError: invalid literal for int() with base 10: '30s'"""


def occurrence(**overrides: object) -> Occurrence:
    base: dict[str, object] = {
        "time_ns": 1_700_000_000_000_000_000,
        "severity_number": 17,
        "severity_text": "ERROR",
        "source": "astrobot.cogs.music",
        "message": "Command raised",
        "service": "astrobot",
        "host": "prod-1",
        "exc_type": "ValueError",
        "exc_message": "invalid literal for int() with base 10: '30s'",
        "stacktrace": TRACE,
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
    }
    base.update(overrides)
    return Occurrence(**base)  # type: ignore[arg-type]


class TestTemplate:
    """Variable parts of messages are blanked so the same error groups together."""

    def test_numbers_and_quotes(self) -> None:
        assert message_template("invalid literal for int() with base 10: '30s'") == (
            "invalid literal for int() with base #: '…'"
        )

    def test_hex_and_ids(self) -> None:
        assert message_template("object at 0x7f3a1c not found (id 123456)") == (
            "object at # not found (id #)"
        )


class TestStack:
    """Traces keep the user's frames and the innermost one, folding library frames."""

    def test_location_is_innermost_user_frame(self) -> None:
        assert crash_location(TRACE) == "parse_timeout (time.py:41)"

    def test_library_frames_fold(self) -> None:
        trimmed = trim_stacktrace(TRACE)
        assert "… 2 library frames" in trimmed
        assert "discord/ext/commands/core.py" not in trimmed
        assert trimmed.endswith("ValueError: invalid literal for int() with base 10: '30s'")
        assert 'File "/app/astrobot/cogs/music.py", line 214, in play' in trimmed

    def test_innermost_library_frame_kept(self) -> None:
        trace = (
            "Traceback (most recent call last):\n"
            '  File "/app/bot.py", line 3, in main\n'
            "    json.loads(x)\n"
            '  File "/usr/lib/python3.11/json/__init__.py", line 346, in loads\n'
            "    return _default_decoder.decode(s)\n"
            "json.decoder.JSONDecodeError: Expecting value"
        )
        shown = trace.replace("/usr/lib/python3.11/json/", "json/")  # library-relative
        assert shown == trim_stacktrace(trace)


class TestGroup:
    """Identical problems merge into one embed with an exact count."""

    def test_same_kind_merges(self) -> None:
        first = ErrorGroup(occurrence())
        later = ErrorGroup(occurrence(time_ns=1_700_000_060_000_000_000, exc_message="... '45s'"))
        assert first.key != later.key  # different literal text before the quoted part
        same = ErrorGroup(
            occurrence(
                time_ns=1_700_000_060_000_000_000,
                exc_message="invalid literal for int() with base 10: '45s'",
            )
        )
        assert first.absorb(same)
        assert (2, 1_700_000_000_000_000_000, 1_700_000_060_000_000_000) == (
            first.count,
            first.first_ns,
            first.last_ns,
        )
        assert first.priority is Priority.ERROR
        assert first.urgent

    def test_warning_is_not_urgent(self) -> None:
        group = ErrorGroup(occurrence(severity_number=13, severity_text="WARNING"))
        assert (Priority.WARNING, False) == (group.priority, group.urgent)


class TestRender:
    """The embed says what, how often, where and from which service."""

    def test_embed(self) -> None:
        embed = render_error(
            occurrence(context={"discord.command.name": "play"}),
            3,
            1_700_000_000_000_000_000,
            1_700_000_120_000_000_000,
        )
        assert embed["title"] == "❌ ValueError: invalid literal for int() with base 10: '30s'"
        assert embed["color"] == style.RED
        assert embed["description"].startswith(
            "**3 occurrences** · first 22:13:20 · last 22:15:20 UTC\nCommand raised\n```py\n"
        )
        assert {"name": "Command", "value": "play", "inline": True} in embed["fields"]
        assert {
            "name": "Trace",
            "value": "`4bf92f3577b34da6a3ce929d0e0e4736`",
            "inline": True,
        } in embed["fields"]
        assert embed["footer"] == {"text": "service astrobot · host prod-1"}
        assert embed["timestamp"] == "2023-11-14T22:15:20+00:00"

    def test_mentions_neutralised(self) -> None:
        embed = render_error(occurrence(exc_type=None, message="@everyone look <@123>"), 1, 0, 0)
        assert "@everyone" not in embed["description"]
        assert "<@123>" not in embed["description"]


class TestAbsurdTimes:
    """A record dated year 14,645 (or before 1970) renders, clamped: its group is not lost."""

    def test_group_with_an_absurd_last_time(self) -> None:
        occ = occurrence(time_ns=400_000_000_000 * 10**9)
        embed = render_error(occ, 5, 1_700_000_000 * 10**9, 400_000_000_000 * 10**9)
        assert "9999-12-31T23:59:59+00:00" == embed["timestamp"]
        assert "last 23:59:59 UTC" in embed["description"]

    def test_iso_and_clock_clamp(self) -> None:
        assert "1970-01-01T00:00:00+00:00" == style.iso(-5 * 10**18)
        assert "23:59:59" == style.clock(10**30)


def test_a_long_service_name_takes_no_room_from_the_content() -> None:
    """A 2,100-character service name is cut in the footer; the description keeps its room."""
    embed = render_error(occurrence(service="s" * 2100, host="h\nost"), 1, 0, 0)
    assert embed["footer"]["text"] == f"service {'s' * 99}… · host h ost"
