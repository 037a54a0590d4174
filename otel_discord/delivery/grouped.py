"""Queue items that merge while they wait: a kind of problem, a run of member events.

They render late (on the sender thread, at packing time) so that everything of one
kind queued while Discord is slow goes out as one embed with an exact count.
"""

from __future__ import annotations

from otel_discord.delivery.item import Item, Priority
from otel_discord.fingerprint import error_kind
from otel_discord.records import EventNotice, Occurrence
from otel_discord.render.errors import render_error
from otel_discord.render.events import MERGED_EVENTS, guild_of, render_event
from otel_discord.render.types import Embed
from otel_discord.severity import is_error


class ErrorGroup(Item):
    """Occurrences of one kind of problem merged while queued (``kind``: ``error_kind``)."""

    def __init__(self, occurrence: Occurrence, kind: str | None = None) -> None:
        self.sample = occurrence
        self.key = "error:" + (error_kind(occurrence) if kind is None else kind)
        self.approx_bytes = occurrence.text_chars()
        self.count = 1
        self.first_ns = occurrence.time_ns
        self.last_ns = occurrence.time_ns
        error = is_error(occurrence.severity_number)
        self.priority = Priority.ERROR if error else Priority.WARNING
        self.urgent = error
        self.source = f"{occurrence.service}\x00{occurrence.host or ''}"
        self.seen_total = 0
        """Occurrences of this kind so far, when it was seen before this group (else 0)."""
        self.seen_since_ns = 0

    @property
    def weight(self) -> int:
        return self.count

    def absorb(self, other: Item) -> bool:
        if not isinstance(other, ErrorGroup) or other.key != self.key:
            return False
        self.count += other.count
        self.first_ns = min(self.first_ns, other.first_ns)
        if other.seen_total > self.seen_total:
            self.seen_total, self.seen_since_ns = other.seen_total, other.seen_since_ns
        if other.last_ns >= self.last_ns:
            self.last_ns = other.last_ns
            self.sample = other.sample
            self.approx_bytes = other.approx_bytes  # the size of the sample it keeps
        return True

    def embeds(self) -> list[Embed]:
        # a group that absorbed every earlier occurrence already says how many there were
        shown = self.seen_total > self.count
        seen = (self.seen_total, self.seen_since_ns) if shown else None
        return [render_error(self.sample, self.count, self.first_ns, self.last_ns, seen=seen)]


class EventItem(Item):
    """One activity event, or a run of identical member events merged with a count."""

    def __init__(self, notice: EventNotice) -> None:
        self.notice = notice
        self.count = 1
        self.first_ns = notice.time_ns
        self.priority = Priority.INFO
        if notice.name in MERGED_EVENTS:
            self.key = f"event:{notice.name}:{guild_of(notice.attributes)}"

    @property
    def weight(self) -> int:
        return self.count

    def absorb(self, other: Item) -> bool:
        if not isinstance(other, EventItem) or self.key is None or other.key != self.key:
            return False
        self.count += other.count
        self.notice = other.notice
        return True

    def embeds(self) -> list[Embed]:
        return [render_event(self.notice, self.count, self.first_ns)]
