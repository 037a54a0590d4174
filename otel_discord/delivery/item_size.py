"""How many bytes a queued item holds, roughly: what the outbox's byte budget counts.

Counting items alone let 50 queued errors of 1 MB each hold hundreds of MB. Items
that know their size say so (``approx_bytes``, set once when built); already
rendered ones are measured by their text; anything else counts as a typical embed.
"""

from __future__ import annotations

from typing import Final

from otel_discord.delivery.item import Item, StaticItem

TYPICAL_ITEM_BYTES: Final = 2048
"""An item that does not say: about one full embed."""
ITEM_OVERHEAD_BYTES: Final = 512
"""Python objects around the text (entry, item, dicts)."""


def item_bytes(item: Item) -> int:
    """The item's approximate size in memory, in bytes (never less than the overhead)."""
    known = getattr(item, "approx_bytes", None)
    if isinstance(known, int) and known > 0:
        return known + ITEM_OVERHEAD_BYTES
    if isinstance(item, StaticItem):
        return len(repr(item.rendered)) + ITEM_OVERHEAD_BYTES
    return TYPICAL_ITEM_BYTES + ITEM_OVERHEAD_BYTES
