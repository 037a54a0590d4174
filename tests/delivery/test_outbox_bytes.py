"""The outbox is bounded in bytes as well as items; overflow goes least important first."""

from __future__ import annotations

from otel_discord.config import DEFAULT_MAX_QUEUE_BYTES, DiscordConfig
from otel_discord.delivery.grouped import ErrorGroup
from otel_discord.delivery.item import Priority, StaticItem
from otel_discord.delivery.outbox import Outbox
from otel_discord.records import Occurrence


def _error(n: int, size: int = 1_000_000) -> ErrorGroup:
    return ErrorGroup(
        Occurrence(
            time_ns=n,
            severity_number=17,
            severity_text="ERROR",
            source=f"worker{n}",
            message=f"kind {n} " + "m" * size,
            service="bot",
            stacktrace="Traceback (most recent call last):\n" + "  frame\n" * (size // 8),
        )
    )


class TestByteBudget:
    """Fifty 1 MB errors in a 100 kB budget: a few kept, the rest dropped and counted."""

    def test_bytes_bound_the_queue(self) -> None:
        """Bytes held stay under the budget; every drop is in the unreported tally."""
        outbox = Outbox(1000, max_bytes=100_000)
        for n in range(50):
            outbox.put(_error(n), float(n))
        kept = len(outbox)
        assert 0 < kept < 10
        assert outbox.queued_bytes <= 100_000
        assert {Priority.ERROR: 50 - kept} == dict(outbox.unreported)

    def test_least_important_go_first(self) -> None:
        """Info items are dropped to make room for an error, not the other way round."""
        outbox = Outbox(1000, max_bytes=40_000)
        for n in range(10):
            outbox.put(StaticItem([{"description": "i" * 3000}], key=f"info{n}"), 0.0)
        outbox.put(_error(1, size=20_000), 1.0)
        priorities = sorted(e.item.priority for e in outbox.peek())
        assert Priority.ERROR == priorities[-1]
        assert outbox.queued_bytes <= 40_000
        assert outbox.unreported[Priority.INFO] > 0
        assert 0 == outbox.unreported[Priority.ERROR]

    def test_taking_and_putting_back_keeps_the_count(self) -> None:
        """Bytes follow the entries through take and put_back."""
        outbox = Outbox(1000, max_bytes=1_000_000)
        for n in range(3):
            outbox.put(_error(n, size=10_000), float(n))
        held = outbox.queued_bytes
        taken = outbox.take(2)
        assert held - sum(e.nbytes for e in taken) == outbox.queued_bytes
        outbox.put_back(taken)
        assert held == outbox.queued_bytes


class TestSetting:
    """``OTEL_EXPORTER_DISCORD_MAX_QUEUE_BYTES`` sets the budget; 8 MiB by default."""

    def test_default_and_env(self) -> None:
        assert (
            8 * 1024 * 1024
            == DEFAULT_MAX_QUEUE_BYTES
            == DiscordConfig.resolve(env={}).max_queue_bytes
        )
        env = {"OTEL_EXPORTER_DISCORD_MAX_QUEUE_BYTES": "1048576"}
        assert 1_048_576 == DiscordConfig.resolve(env=env).max_queue_bytes
