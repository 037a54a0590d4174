"""Small items for the delivery tests."""

from __future__ import annotations

from otel_discord.delivery.item import Item, Priority
from otel_discord.render.types import Embed


class Note(Item):
    """A one-embed item; items with the same ``key`` merge and count."""

    def __init__(
        self,
        title: str,
        priority: Priority = Priority.INFO,
        *,
        key: str | None = None,
        urgent: bool = False,
        size: int = 1,
        description: str = "part",
    ) -> None:
        self.title = title
        self.description = description
        self.priority = priority
        self.key = key
        self.urgent = urgent
        self.size = size
        self.count = 1

    def embeds(self) -> list[Embed]:
        suffix = f" x{self.count}" if self.count > 1 else ""
        return [
            {"title": f"{self.title}{suffix}", "description": f"{self.description} {i}"}
            for i in range(self.size)
        ]

    def absorb(self, other: Item) -> bool:
        if not isinstance(other, Note) or other.key != self.key:
            return False
        self.count += other.count
        return True


class Broken(Item):
    """An item whose rendering raises."""

    def embeds(self) -> list[Embed]:
        msg = "render bug"
        raise RuntimeError(msg)
