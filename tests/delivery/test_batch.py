"""Packing queued entries into the fewest messages."""

from __future__ import annotations

from collections import Counter

from otel_discord.channels import Channel
from otel_discord.delivery.batch import build_batch, dropped_notice, split_payload
from otel_discord.delivery.item import Priority
from otel_discord.delivery.outbox import Entry

from .items import Broken, Note


def entries(*notes: Note | Broken) -> list[Entry]:
    return [Entry(note, seq, 0.0) for seq, note in enumerate(notes, 1)]


class TestBuildBatch:
    """A batch is one message's worth of entries; the rest go back."""

    def test_fills_one_message(self) -> None:
        queued = entries(*(Note(f"n{i}") for i in range(12)))
        batch, leftovers = build_batch(Channel.LOGS, queued, None, "otel")
        assert [e.seq for e in batch.entries] == list(range(1, 11))
        assert [e.seq for e in leftovers] == [11, 12]
        assert 1 == len(batch.payloads)
        assert 10 == len(batch.payloads[0]["embeds"])
        assert "otel" == batch.payloads[0]["username"]

    def test_every_payload_forbids_mentions(self) -> None:
        batch, _ = build_batch(Channel.LOGS, entries(Note("big", size=25)), None, None)
        assert 3 == len(batch.payloads)
        assert all(p["allowed_mentions"] == {"parse": []} for p in batch.payloads)

    def test_an_item_never_straddles_two_batches(self) -> None:
        queued = entries(Note("a", size=6), Note("b", size=6))
        batch, leftovers = build_batch(Channel.LOGS, queued, None, None)
        assert [1] == [e.seq for e in batch.entries]
        assert [2] == [e.seq for e in leftovers]

    def test_notice_leads_the_message(self) -> None:
        notice = dropped_notice(Counter({Priority.INFO: 3}))
        queued = entries(*(Note(f"n{i}") for i in range(10)))
        batch, leftovers = build_batch(Channel.LOGS, queued, notice, None)
        assert batch.payloads[0]["embeds"][0]["title"].endswith("3 items dropped")
        assert 9 == len(batch.entries)
        assert 1 == len(leftovers)

    def test_render_failure_is_set_aside(self) -> None:
        batch, leftovers = build_batch(Channel.LOGS, entries(Broken(), Note("ok")), None, None)
        assert 1 == len(batch.render_failures)
        assert [2] == [e.seq for e in batch.entries]
        assert [] == leftovers


class TestDroppedNotice:
    """The notice says how many items were lost, most important first."""

    def test_text(self) -> None:
        notice = dropped_notice(Counter({Priority.INFO: 4, Priority.ERROR: 1}))
        assert "5 items dropped" in notice["title"]
        assert "1 error, 4 info" in notice["description"]


class TestSplitPayload:
    """A message Discord found too large is halved once."""

    def test_halves_keep_order_and_mention_safety(self) -> None:
        payload = {"embeds": [{"title": str(i)} for i in range(5)], "content": "c"}
        first, second = split_payload(payload)
        assert ["0", "1"] == [e["title"] for e in first["embeds"]]
        assert ["2", "3", "4"] == [e["title"] for e in second["embeds"]]
        assert "content" not in second
        assert {"parse": []} == second["allowed_mentions"]

    def test_single_embed_cannot_split(self) -> None:
        assert [] == split_payload({"embeds": [{"title": "x"}]})
