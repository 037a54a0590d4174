"""A shutdown that cannot send everything in time sends the newest first: an exit's cause."""

from __future__ import annotations

from otel_discord.channels import Channel
from otel_discord.delivery import DeliveryEngine, WebhookDestination
from otel_discord.delivery.item import Priority
from otel_discord.delivery.outbox import Outbox
from otel_discord.testing import DiscordServer

from .items import Note


def titles(entries: list) -> list[str]:  # type: ignore[type-arg]
    return [entry.item.title for entry in entries]


class TestNewestFirst:
    def test_take_newest_in_the_order_they_happened(self) -> None:
        outbox = Outbox(100)
        for i in range(5):
            outbox.put(Note(f"e{i}", Priority.ERROR if i % 2 else Priority.WARNING), 0.0)
        assert ["e2", "e3", "e4"] == titles(outbox.take(3, newest_first=True))
        assert ["e0", "e1"] == titles(outbox.take(3))

    def test_leftovers_are_the_next_taken(self) -> None:
        outbox = Outbox(100)
        for i in range(6):
            outbox.put(Note(f"e{i}"), 0.0)
        taken = outbox.take(3, newest_first=True)
        outbox.put_back(taken[1:], newest_first=True)  # e3 went; e4 and e5 did not fit
        assert ["e4", "e5"] == titles(outbox.take(2, newest_first=True))
        assert ["e0", "e1", "e2"] == titles(outbox.take(5))


def test_the_last_error_before_an_exit_is_sent() -> None:
    """300 errors queued behind Discord's real limits (5 posts per 2 s), then the one that
    ended the process: a 2 s shutdown sends 50 embeds at most, the last one among them."""
    with DiscordServer() as server:
        url = server.create_webhook("logs")
        engine = DeliveryEngine({Channel.LOGS: WebhookDestination.parse(url)})
        for i in range(300):
            assert engine.submit(Channel.LOGS, Note(f"worker error {i}", Priority.ERROR))
        assert engine.submit(Channel.LOGS, Note("SystemExit: database gone", Priority.ERROR))
        assert not engine.shutdown(2.0)  # not everything went
        titles = [e["title"] for e in server.embeds("logs")]
        assert "SystemExit: database gone" in titles
        assert 0 < len(titles) < 301
        assert [] == server.violations
