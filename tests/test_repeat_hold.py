"""Storm control: first of a kind at once, repeats merged per hold period."""

from __future__ import annotations

from otel_discord import Channel
from otel_discord.render.errors import ErrorGroup, Occurrence
from otel_discord.repeat_hold import RepeatHold


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
        assert hold.offer(Channel.LOGS, group("db down")) is not None
        assert hold.offer(Channel.LOGS, group("db down")) is None
        assert hold.offer(Channel.LOGS, group("db down")) is None
        assert hold.offer(Channel.LOGS, group("cache cold")) is not None
        assert [] == hold.release()
        clock.now += 10.0
        [(channel, merged)] = hold.release()
        assert (Channel.LOGS, 2) == (channel, merged.count)

    def test_quiet_kind_goes_at_once_again(self) -> None:
        clock = Clock()
        hold = RepeatHold(10.0, clock=clock)
        hold.offer(Channel.LOGS, group("db down"))
        clock.now += 25.0
        assert hold.offer(Channel.LOGS, group("db down")) is not None

    def test_release_everything_on_flush(self) -> None:
        clock = Clock()
        hold = RepeatHold(10.0, clock=clock)
        hold.offer(Channel.LOGS, group("x"))
        hold.offer(Channel.LOGS, group("x"))
        assert 1 == len(hold.release(everything=True))

    def test_channels_are_separate(self) -> None:
        hold = RepeatHold(10.0, clock=Clock())
        hold.offer(Channel.LOGS, group("x"))
        assert hold.offer(Channel.DIAGNOSTICS, group("x")) is not None
