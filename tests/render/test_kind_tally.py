"""A repeat after its hold says how often the kind was seen, and since when."""

from __future__ import annotations

from otel_discord import Channel
from otel_discord.delivery.grouped import ErrorGroup
from otel_discord.fingerprint import error_kind
from otel_discord.records import Occurrence
from otel_discord.state.kind_tally import KindTally
from otel_discord.state.repeat_hold import RepeatHold

T0 = 1_700_000_000_000_000_000  # 22:13:20 UTC
S = 1_000_000_000


def group(at_s: int) -> ErrorGroup:
    return ErrorGroup(
        Occurrence(
            time_ns=T0 + at_s * S,
            severity_number=17,
            severity_text="ERROR",
            source="app",
            message="db down",
            service="svc",
        )
    )


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Hold:
    """The repeat hold with the running tally, wired as ``Pipeline.submit_error`` wires them."""

    def __init__(self, clock: Clock) -> None:
        self.hold: RepeatHold[ErrorGroup] = RepeatHold(10.0, clock=clock)
        self.tally = KindTally(100)

    def offer(self, channel: Channel, group: ErrorGroup) -> ErrorGroup | None:
        kind = error_kind(group.sample)
        self.tally.add((channel, kind), group)
        sent = self.hold.offer(channel, kind, group)
        if sent is not None:
            self.tally.annotate((channel, kind), sent)
        return sent

    def release(self) -> list[tuple[Channel, ErrorGroup]]:
        out = self.hold.release()
        for channel, group in out:
            self.tally.annotate((channel, group.key.removeprefix("error:")), group)
        return out


class TestSeenSince:
    """First sighting plain; the merged follow-up and a later lone repeat carry the tally."""

    def test_follow_ups_carry_the_running_count(self) -> None:
        clock = Clock()
        hold = Hold(clock)
        first = hold.offer(Channel.LOGS, group(0))
        assert first is not None
        assert "at 22:13:20 UTC" == first.embeds()[0]["description"].split("\n")[0]
        for at in (1, 2, 3):
            assert hold.offer(Channel.LOGS, group(at)) is None
        clock.now += 10.0
        [(_, merged)] = hold.release()
        assert (
            "**3 occurrences** · first 22:13:21 · last 22:13:23 UTC · seen 4× since 22:13:20 UTC"
        ) == merged.embeds()[0]["description"].split("\n")[0]
        clock.now += 100.0  # long quiet: the next one goes at once, but is no first sighting
        later = hold.offer(Channel.LOGS, group(200))
        assert later is not None
        assert (
            "at 22:16:40 UTC · seen 5× since 22:13:20 UTC"
            == (later.embeds()[0]["description"].split("\n")[0])
        )
