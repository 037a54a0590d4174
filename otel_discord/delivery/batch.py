"""Turn queued entries into the fewest messages, rendering items late.

A batch is what one sender has in hand: the entries it took from an outbox
and the payloads they packed into. It stays in hand until every payload is
delivered or definitively refused, so a retry re-sends the same payloads.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from otel_discord.channels import Channel
from otel_discord.delivery.attachments import Attachment, FileBudget, attach, referenced
from otel_discord.delivery.item import Priority
from otel_discord.delivery.outbox import Entry
from otel_discord.render.embeds import pack_messages
from otel_discord.render.types import Embed, Payload

_logger = logging.getLogger("otel_discord.delivery")

NOTICE_COLOR = 0xF0B232


@dataclass
class Batch:
    """Entries of one channel and the messages they became."""

    channel: Channel
    entries: list[Entry]
    payloads: list[Payload]
    split: bool = False
    """Payloads were already halved once after a 413."""
    attempt: int = 0
    """Consecutive failed attempts at the first payload."""
    render_failures: list[Entry] = field(default_factory=list)
    refusal_notices: list[Payload] = field(default_factory=list)
    """Notices standing in for refused embeds: one refused in turn is dropped, not replaced."""


def dropped_notice(tally: Counter[Priority]) -> Embed:
    """A short embed saying how many items were lost, so no loss is silent."""
    total = sum(tally.values())
    parts = ", ".join(f"{n} {p.name.lower()}" for p, n in sorted(tally.items(), reverse=True) if n)
    return {
        "title": f"\u26a0\ufe0f {total} item{'s' if total != 1 else ''} dropped",
        "description": (
            f"Telemetry arrived faster than Discord accepts it, so the queue overflowed ({parts}). "
            "Identical items were merged first and the least important were dropped."
        ),
        "color": NOTICE_COLOR,
    }


def _safe(payload: Payload) -> Payload:
    payload["allowed_mentions"] = {"parse": []}
    return payload


def _render(entries: list[Entry]) -> tuple[list[tuple[Entry, list[Embed]]], list[Entry]]:
    rendered: list[tuple[Entry, list[Embed]]] = []
    failed: list[Entry] = []
    for entry in entries:
        try:
            rendered.append((entry, list(entry.item.embeds())))
        except Exception:
            _logger.exception("an item of type %s failed to render", type(entry.item).__name__)
            failed.append(entry)
    return rendered, failed


def _files(entry: Entry) -> list[Attachment]:
    """An item's files; one that fails to draw goes without (its text still goes)."""
    try:
        return list(entry.item.files())
    except Exception:
        _logger.exception("the files of a %s failed to render", type(entry.item).__name__)
        return []


def build_batch(
    channel: Channel,
    entries: list[Entry],
    notice: Embed | None,
    username: str | None,
    pack: Callable[..., list[Payload]] = pack_messages,
    *,
    with_files: bool = True,
) -> tuple[Batch, list[Entry]]:
    """Pack a prefix of ``entries`` into one message (or one big item into several).

    Returns the batch and the entries that did not fit, to be put back. Files (charts)
    count toward the message too: at most 10, within ``limits.PACKED_FILE_BYTES``;
    without ``with_files`` the embeds go without their images.
    """
    rendered, failed = _render(entries)
    lead = [notice] if notice is not None else []
    all_embeds = lead + [e for _, embeds in rendered for e in embeds]
    first = pack(all_embeds, username=username)
    room = len(first[0].get("embeds", [])) if first else 0
    chosen: list[tuple[Entry, list[Embed]]] = []
    used = len(lead)
    budget = FileBudget()
    for entry, embeds in rendered:
        if used + len(embeds) > room and chosen:
            break
        files = _files(entry) if with_files and referenced(embeds) else []
        if not budget.fits(files):
            if chosen:
                break  # 10 files or the byte budget per message: the rest go next
            files = []
        budget.add(files)
        chosen.append((entry, embeds))
        used += len(embeds)
        if used > room:
            break  # one item larger than a message: it goes alone, over several
    leftovers = [entry for entry, _ in rendered[len(chosen) :]]
    embeds = lead + [e for _, item_embeds in chosen for e in item_embeds]
    packed = pack(embeds, username=username) if embeds else []
    payloads = [_safe(attach(p, budget.files)) for p in packed]
    batch = Batch(channel, [entry for entry, _ in chosen], payloads, render_failures=failed)
    return batch, leftovers


def split_payload(payload: Payload) -> list[Payload]:
    """Halve a message Discord found too large (413); [] when it cannot be split."""
    embeds = list(payload.get("embeds") or [])
    if len(embeds) < 2:
        return []
    middle = len(embeds) // 2
    rest = {k: v for k, v in payload.items() if k != "content"}
    return [
        _safe({**payload, "embeds": embeds[:middle]}),
        _safe({**rest, "embeds": embeds[middle:]}),
    ]
