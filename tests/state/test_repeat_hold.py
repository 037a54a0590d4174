"""Storm control: first of a kind at once, repeats merged per hold period."""

from __future__ import annotations

import re

from otel_discord import Channel
from otel_discord.delivery.grouped import ErrorGroup
from otel_discord.pipeline import Pipeline
from otel_discord.records import Occurrence
from otel_discord.state.repeat_hold import HELD_OVERHEAD_BYTES, RepeatHold
from tests.conftest import FourChannels


def kind_of(group: ErrorGroup) -> str:
    return group.key or ""


def offer(hold: RepeatHold[ErrorGroup], channel: Channel, group: ErrorGroup) -> ErrorGroup | None:
    return hold.offer(channel, kind_of(group), group)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def group(message: str) -> ErrorGroup:
    return ErrorGroup(
        Occurrence(
            time_ns=1,
            severity_number=17,
            severity_text="ERROR",
            source="app",
            message=message,
            service="svc",
        )
    )


class TestRepeatHold:
    """Each kind yields one immediate embed and one merged follow-up per hold period."""

    def test_first_goes_repeats_wait(self) -> None:
        clock = Clock()
        hold = RepeatHold(10.0, clock=clock)
        assert offer(hold, Channel.LOGS, group("db down")) is not None
        assert offer(hold, Channel.LOGS, group("db down")) is None
        assert offer(hold, Channel.LOGS, group("db down")) is None
        assert offer(hold, Channel.LOGS, group("cache cold")) is not None
        assert [] == hold.release()
        clock.now += 10.0
        [(channel, merged)] = hold.release()
        assert (Channel.LOGS, 2) == (channel, merged.count)

    def test_quiet_kind_goes_at_once_again(self) -> None:
        clock = Clock()
        hold = RepeatHold(10.0, clock=clock)
        offer(hold, Channel.LOGS, group("db down"))
        clock.now += 25.0
        assert offer(hold, Channel.LOGS, group("db down")) is not None

    def test_release_everything_on_flush(self) -> None:
        clock = Clock()
        hold = RepeatHold(10.0, clock=clock)
        offer(hold, Channel.LOGS, group("x"))
        offer(hold, Channel.LOGS, group("x"))
        assert 1 == len(hold.release(everything=True))

    def test_channels_are_separate(self) -> None:
        hold = RepeatHold(10.0, clock=Clock())
        offer(hold, Channel.LOGS, group("x"))
        assert offer(hold, Channel.DIAGNOSTICS, group("x")) is not None


class TestBackoff:
    """A kind that keeps recurring is held longer each time, up to the cap; quiet resets it."""

    def test_doubles_up_to_cap_and_resets(self) -> None:
        clock = Clock()
        hold = RepeatHold(10.0, 30.0, clock=clock)
        sent_at = []
        offer(hold, Channel.LOGS, group("db down"))
        for _ in range(130):  # one occurrence a second for over two minutes
            clock.now += 1.0
            offer(hold, Channel.LOGS, group("db down"))
            if hold.release():
                sent_at.append(clock.now - 100.0)
        assert [10.0, 30.0, 60.0, 90.0, 120.0] == sent_at  # holds of 10, 20, 30, 30, 30 s
        assert 30.0 == hold.hold_for(Channel.LOGS, kind_of(group("db down")))
        hold.release(everything=True)  # what was still held goes out
        clock.now += 200.0  # then quiet for a long time
        hold.release()
        assert offer(hold, Channel.LOGS, group("db down")) is not None
        assert 10.0 == hold.hold_for(Channel.LOGS, kind_of(group("db down")))


def sized(message: str, chars: int, severity: int = 17) -> ErrorGroup:
    """A group whose sample holds ``chars`` characters of text (message plus a trace)."""
    occurrence = Occurrence(
        time_ns=1,
        severity_number=severity,
        severity_text="ERROR" if severity >= 17 else "WARN",
        source="app",
        message=message,
        service="svc",
        stacktrace="t" * (chars - len(message)),
    )
    return ErrorGroup(occurrence)


class TestBytes:
    """What is held is bounded in bytes: warnings go first, then the oldest, and are counted."""

    def test_held_bytes_follow_holds_and_releases(self) -> None:
        """held_bytes is each held sample's text plus the per-group overhead."""
        hold = RepeatHold(10.0, clock=Clock())
        for name in ("a", "b"):
            offer(hold, Channel.LOGS, sized(name, 1000))
            offer(hold, Channel.LOGS, sized(name, 1000))
        assert 2 * (1000 + HELD_OVERHEAD_BYTES) == hold.held_bytes
        hold.release(everything=True)
        assert 0 == hold.held_bytes

    def test_least_important_then_oldest_dropped_and_counted(self) -> None:
        """Over the budget: the warning goes first, then the oldest error; counts per channel."""
        size = 10_000 + HELD_OVERHEAD_BYTES
        hold = RepeatHold(10.0, clock=Clock(), max_bytes=3 * size)
        kinds = [("old error", 17), ("a warning", 13), ("mid error", 17), ("new error", 17)]
        for message, severity in kinds:
            offer(hold, Channel.LOGS, sized(message, 10_000, severity))  # first: sent
        for message, severity in kinds[:3]:
            for _ in range(2):  # two repeats each, merged into one held group
                offer(hold, Channel.LOGS, sized(message, 10_000, severity))
        assert {} == hold.take_dropped()
        assert 3 * size == hold.held_bytes
        offer(hold, Channel.LOGS, sized("new error", 10_000))  # a fourth held group
        assert {Channel.LOGS: 2} == hold.take_dropped()  # the warning, merged twice
        offer(hold, Channel.DIAGNOSTICS, sized("new error", 10_000))  # sent (first there)
        offer(hold, Channel.DIAGNOSTICS, sized("new error", 10_000))  # held: the oldest goes
        assert {Channel.LOGS: 2} == hold.take_dropped()
        assert {} == hold.take_dropped()
        assert 3 * size == hold.held_bytes
        held = sorted(g.sample.message for _, g in hold.release(everything=True))
        assert ["mid error", "new error", "new error"] == held

    def test_growing_sample_counted(self) -> None:
        """A repeat whose sample is larger replaces the held one's size, not adds to it."""
        hold = RepeatHold(10.0, clock=Clock())
        offer(hold, Channel.LOGS, sized("x", 100))
        offer(hold, Channel.LOGS, sized("x", 100))
        bigger = sized("x", 5000)
        bigger.last_ns = bigger.sample.time_ns = 2
        offer(hold, Channel.LOGS, bigger)
        assert 5000 + HELD_OVERHEAD_BYTES == hold.held_bytes


class TestHeldBytesInThePipeline:
    """Through a real pipeline: the hold's drop is reported in #diagnostics with its count."""

    def test_dropped_repeats_reported(self, four_channels: FourChannels) -> None:
        """Five kinds repeating, room for three held: two held groups dropped and reported."""
        pipeline = Pipeline(four_channels.config())
        pipeline.start()
        try:
            sample = sized("alpha", 20_000).sample
            room = 3 * (sample.text_chars() + HELD_OVERHEAD_BYTES) + 100  # words differ a little
            pipeline.repeats.max_bytes = room
            for word in ("alpha", "bravo", "charlie", "delta", "echo"):
                for _ in range(3):  # sent, then two repeats merged while held
                    occurrence = sized(word, 20_000).sample
                    pipeline.submit_error(Channel.LOGS, occurrence)
            assert pipeline.flush(10.0)
        finally:
            pipeline.shutdown(5.0)
        counts: dict[str, int] = {}
        for embed in four_channels.embeds(Channel.LOGS):
            head, word, *_ = embed["description"].split("\n")
            many = re.match(r"\*\*(\d+) occurrences\*\*", head)
            counts[word] = counts.get(word, 0) + (int(many[1]) if many else 1)
        # The two oldest held groups (alpha's, bravo's: 2 repeats each) made room for
        # delta's and echo's; the rest arrive whole, merged or not with their first sighting.
        assert {"alpha": 1, "bravo": 1, "charlie": 3, "delta": 3, "echo": 3} == counts
        notices = [
            e
            for e in four_channels.embeds(Channel.DIAGNOSTICS)
            if "repeats held for merging" in e.get("description", "")
        ]
        assert 2 == len(notices)  # one per drop: alpha's two repeats, then bravo's
        for notice in notices:
            assert "Delivery · logs · dropped" in notice["title"]
            assert "count: 2" in notice["description"]
