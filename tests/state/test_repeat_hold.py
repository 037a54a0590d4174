"""Storm control: first of a kind at once, repeats merged per hold period."""

from __future__ import annotations

from otel_discord import Channel
from otel_discord.delivery.grouped import ErrorGroup
from otel_discord.records import Occurrence
from otel_discord.state.repeat_hold import RepeatHold


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
