"""``discord.users.active``: distinct users of the last five minutes, bounded in bytes."""

from __future__ import annotations

import random
import tracemalloc
from collections.abc import Callable
from typing import Any

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._active_users import BUCKET_S, CAP, WINDOW_S, ActiveUsers
from tests.instrumentation.harness import Otel, World

Instrument = Callable[..., DiscordInstrumentor]

SNOWFLAKE_2026 = 1_450_000_000_000_000_000


def snowflakes(count: int, seed: int = 7) -> list[int]:
    """Ids shaped like Discord's: a millisecond timestamp over worker, process and counter."""
    rng = random.Random(seed)
    return [
        SNOWFLAKE_2026 + (rng.randrange(1 << 40) << 22) + rng.randrange(1 << 22)
        for _ in range(count)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def feed(users: ActiveUsers, ids: list[int]) -> None:
    """What the dispatch hook does per message."""
    for user in ids:
        users.ids.add(user)
        if len(users.ids) > CAP:
            users.thin()


class TestCounts:
    def test_exact_below_the_cap(self) -> None:
        users = ActiveUsers(Clock())
        ids = snowflakes(3000)
        feed(users, ids + ids[:1000])  # repeats count once
        assert 3000 == users.observe()
        assert 3000 == users.observe()  # a second reader reads the same

    def test_an_estimate_past_the_cap(self) -> None:
        for count in (20_000, 250_000):
            users = ActiveUsers(Clock())
            feed(users, snowflakes(count, seed=count))
            estimate = users.observe()
            assert abs(estimate - count) / count < 0.06, (count, estimate)
            assert len(users.ids) <= CAP

    def test_sequential_ids_too(self) -> None:
        """Ids minted in one millisecond differ only in their low counter bits."""
        users = ActiveUsers(Clock())
        feed(users, [SNOWFLAKE_2026 + i for i in range(50_000)])
        assert abs(users.observe() - 50_000) / 50_000 < 0.06


class TestWindow:
    def test_minutes_are_unioned_and_expire(self) -> None:
        """Read every 15 s, as a reader does: a user counts for five minutes (to the minute)."""
        clock = Clock()
        users = ActiveUsers(clock)
        alice, bob, carol = snowflakes(3)
        counts = []
        for quarter in range(32):  # eight minutes
            if quarter == 0:
                feed(users, [alice, bob])
            if quarter == 5:
                feed(users, [bob, carol])  # bob once across both minutes
            counts.append(users.observe())
            clock.now += BUCKET_S / 4
        assert [2] * 5 + [3] * 20 + [2] * 4 + [0] * 3 == counts

    def test_a_burst_thins_only_its_own_minutes(self) -> None:
        clock = Clock()
        users = ActiveUsers(clock)
        feed(users, snowflakes(30_000))
        clock.now += BUCKET_S
        users.observe()
        for _ in range(int(WINDOW_S // BUCKET_S) + 1):
            clock.now += BUCKET_S
            users.observe()
        feed(users, snowflakes(10, seed=1))
        assert 10 == users.observe()  # exact again


class TestMemory:
    def test_bounded_in_bytes(self) -> None:
        """A million distinct users in one minute hold at most CAP ids (about 250 KB)."""
        ids = snowflakes(1_000_000)
        users = ActiveUsers(Clock())
        tracemalloc.start()
        try:
            feed(users, ids)
            users.observe()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 1_000_000, peak


class TestOnABot:
    """A real bot: message authors and slash-command users, once each, bots left out."""

    def test_messages_and_interactions(self, otel: Otel, instrument: Instrument) -> None:
        from otel_discord.offline import payloads as g
        from tests.instrumentation.harness import run_bot

        def setup(bot: Any) -> None:
            @bot.tree.command()
            async def hello(interaction: Any) -> None:
                return None

        def scenario(world: World) -> None:
            bob, carol = g.user(name="bob"), g.user(name="carol")
            helper = g.user(name="helper", bot=True)
            for author in (None, bob, bob, helper):
                world.say("hi", author=author)
            world.slash("hello")  # alice again
            world.feed(
                "INTERACTION_CREATE",
                g.interaction_create(
                    world.application_id,
                    "hello",
                    guild_id=world.guild_id,
                    channel_id=world.text_id,
                    invoker=carol,
                ),
            )

        instrument()
        run_bot(scenario, setup)
        assert [({}, 3)] == otel.metrics()["discord.users.active"]
