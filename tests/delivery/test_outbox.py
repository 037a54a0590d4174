"""The bounded per-channel queue: order, merging and overflow."""

from __future__ import annotations

from collections import Counter

from otel_discord.delivery.item import Priority
from otel_discord.delivery.outbox import Outbox

from .items import Note


def titles(outbox: Outbox) -> list[str]:
    return [e.item.title for e in outbox.take(len(outbox))]  # type: ignore[attr-defined]


class TestOrder:
    """Entries come out in the order they went in, whatever their priority."""

    def test_fifo_across_priorities(self) -> None:
        outbox = Outbox(10)
        for title, priority in [("a", Priority.INFO), ("b", Priority.ERROR), ("c", Priority.LOW)]:
            outbox.put(Note(title, priority), 0.0)
        assert ["a", "b", "c"] == titles(outbox)

    def test_put_back_restores_the_front(self) -> None:
        outbox = Outbox(10)
        for title in "abcd":
            outbox.put(Note(title), 0.0)
        taken = outbox.take(3)
        outbox.put(Note("e"), 0.0)
        outbox.put_back(taken[1:])
        assert ["b", "c", "d", "e"] == titles(outbox)

    def test_lowest_seq_and_last_seq(self) -> None:
        outbox = Outbox(10)
        outbox.put(Note("a"), 0.0)
        outbox.put(Note("b"), 0.0)
        outbox.take(1)
        assert 2 == outbox.lowest_seq()
        assert 2 == outbox.last_seq


class TestMerge:
    """Identical items merge into the queued one instead of piling up."""

    def test_same_key_merges(self) -> None:
        outbox = Outbox(10)
        first = Note("boom", key="k")
        outbox.put(first, 0.0)
        assert [] == outbox.put(Note("boom", key="k"), 0.0)
        assert 1 == len(outbox)
        assert 2 == first.count
        assert 2 == outbox.take(1)[0].weight

    def test_taken_items_absorb_nothing(self) -> None:
        outbox = Outbox(10)
        outbox.put(Note("boom", key="k"), 0.0)
        outbox.take(1)
        outbox.put(Note("boom", key="k"), 0.0)
        assert 1 == len(outbox)

    def test_merge_even_when_full(self) -> None:
        outbox = Outbox(1)
        outbox.put(Note("boom", key="k"), 0.0)
        assert [] == outbox.put(Note("boom", key="k"), 0.0)
        assert not outbox.unreported


class TestOverflow:
    """A full queue drops the oldest of the lowest priority and remembers it."""

    def test_drops_lowest_priority_oldest(self) -> None:
        outbox = Outbox(3)
        outbox.put(Note("err", Priority.ERROR), 0.0)
        outbox.put(Note("info1"), 0.0)
        outbox.put(Note("info2"), 0.0)
        dropped = outbox.put(Note("warn", Priority.WARNING), 0.0)
        assert ["info1"] == [e.item.title for e in dropped]  # type: ignore[attr-defined]
        assert ["err", "info2", "warn"] == titles(outbox)

    def test_new_item_below_everything_is_dropped_itself(self) -> None:
        outbox = Outbox(1)
        outbox.put(Note("err", Priority.ERROR), 0.0)
        dropped = outbox.put(Note("low", Priority.LOW), 0.0)
        assert ["low"] == [e.item.title for e in dropped]  # type: ignore[attr-defined]
        assert ["err"] == titles(outbox)

    def test_unreported_tally_is_taken_once(self) -> None:
        outbox = Outbox(1)
        outbox.put(Note("a"), 0.0)
        outbox.put(Note("b"), 0.0)
        outbox.put(Note("c", Priority.LOW), 0.0)
        assert Counter({Priority.INFO: 1, Priority.LOW: 1}) == outbox.take_unreported()
        assert not outbox.take_unreported()

    def test_dropped_keyed_item_no_longer_merges(self) -> None:
        outbox = Outbox(1)
        outbox.put(Note("a", key="k"), 0.0)
        outbox.put(Note("b", Priority.ERROR), 0.0)
        outbox.put(Note("a", Priority.ERROR, key="k"), 0.0)
        assert 1 == len(outbox)


class TestFairOverflow:
    """Items from several sources (the gateway's processes): a flood drops its own first."""

    @staticmethod
    def from_(source: str, title: str, priority: Priority = Priority.ERROR) -> Note:
        note = Note(title, priority)
        note.source = source
        return note

    def test_one_error_outlives_another_sources_flood(self) -> None:
        outbox = Outbox(10)
        outbox.put(self.from_("flood", "f0"), 0.0)
        outbox.put(self.from_("db", "DbDown"), 0.0)
        for i in range(1, 30):
            outbox.put(self.from_("flood", f"f{i}"), 0.0)
        assert Counter({Priority.ERROR: 21}) == outbox.take_unreported()
        assert ["DbDown", *(f"f{i}" for i in range(21, 30))] == titles(outbox)

    def test_two_floods_share_the_room(self) -> None:
        outbox = Outbox(10)
        for i in range(40):
            outbox.put(self.from_("a" if i % 4 else "b", f"{i}"), 0.0)
        sources = Counter(e.item.source for e in outbox.peek())
        assert 10 == sum(sources.values())
        assert min(sources.values()) >= 4  # a quarter of the items, near half the room

    def test_lower_priority_still_goes_first(self) -> None:
        outbox = Outbox(2)
        outbox.put(self.from_("quiet", "warn", Priority.WARNING), 0.0)
        outbox.put(self.from_("flood", "e1"), 0.0)
        outbox.put(self.from_("flood", "e2"), 0.0)
        assert ["e1", "e2"] == titles(outbox)

    def test_one_source_is_plain_oldest_first(self) -> None:
        outbox = Outbox(2)
        for title in ("a", "b", "c"):
            outbox.put(self.from_("one", title), 0.0)
        assert ["b", "c"] == titles(outbox)


class TestUrgent:
    """The outbox knows whether an urgent item waits."""

    def test_tracks_urgent_items(self) -> None:
        outbox = Outbox(5)
        outbox.put(Note("a"), 0.0)
        assert not outbox.has_urgent()
        outbox.put(Note("b", urgent=True), 0.0)
        assert outbox.has_urgent()
        taken = outbox.take(2)
        assert not outbox.has_urgent()
        outbox.put_back(taken)
        assert outbox.has_urgent()


class TestDropsCountOccurrences:
    """A dropped group of repeats is reported as every occurrence it held, not as one."""

    def test_groups_merged_then_dropped(self) -> None:
        from otel_discord.delivery.grouped import ErrorGroup
        from otel_discord.records import Occurrence

        def group(kind: str, count: int) -> ErrorGroup:
            occurrence = Occurrence(
                time_ns=0,
                severity_number=17,
                severity_text="ERROR",
                source="app",
                message=f"backend {kind} refused",
                service="s",
            )
            made = ErrorGroup(occurrence, kind=kind)
            made.count = count  # a group released by the repeat hold: count repeats in it
            return made

        outbox = Outbox(1)
        outbox.put(group("a", 40), 0.0)
        outbox.put(group("a", 55), 0.0)  # merges: one entry, 95 errors
        outbox.put(group("b", 1), 0.0)  # the newest error pushes the oldest out
        assert Counter({Priority.ERROR: 95}) == outbox.take_unreported()
