"""What takes the place of an item Discord refused, in the item's own channel.

Once a refused message has been halved down to the one embed Discord will not
take, a reader of that channel should still see that something is missing
there, not only in #diagnostics: a short notice names the lost embed (its title,
links defanged so the notice is not refused for the same link; the title is
shown as it was rendered, so already neutralised) and Discord's reason with its
field path, as inline code. The reason comes already scrubbed of secrets.
"""

from __future__ import annotations

import re
from typing import Final

from otel_discord.delivery.batch import NOTICE_COLOR
from otel_discord.render import limits
from otel_discord.render.text import clip
from otel_discord.render.types import Embed, Payload

TITLE: Final = "\u26a0\ufe0f An item was refused by Discord"
_LOST_CHARS: Final = 200
_REASON_CHARS: Final = 600
_SCHEME = re.compile(r"\b(h)tt(ps?)://", re.IGNORECASE)
_MESSAGE_KEYS: Final = ("username", "avatar_url", "allowed_mentions")
"""What the notice keeps of the refused message: who posts it, and no mentions."""


def defang(text: str) -> str:
    """``https://host`` → ``hxxps://host``: readable, but no longer a link."""
    return _SCHEME.sub(lambda m: f"{m.group(1)}xx{m.group(2)}://", text)


def _inline(text: str) -> str:
    """Text fit for inline code: one line, no backtick to end the span early."""
    return clip(" ".join(text.split()).replace("`", "\u02cb"), _REASON_CHARS)


def _what_was_lost(embed: object) -> str:
    if not isinstance(embed, dict):
        return "an embed"
    for text in (embed.get("title"), (embed.get("author") or {}).get("name")):
        if isinstance(text, str) and text.strip():
            return text.strip()
    return "an untitled embed"


def refusal_notice(refused: Payload, reason: str) -> Payload | None:
    """The message to send instead of ``refused`` (one embed); None if it had none."""
    embeds = refused.get("embeds") or []
    if len(embeds) != 1:
        return None
    lost = clip(defang(_what_was_lost(embeds[0])), _LOST_CHARS)
    notice: Embed = {
        "title": TITLE,
        "description": clip(
            f"**Lost:** {lost}\n"
            f"**Discord said:** `{_inline(defang(reason))}`\n"
            "The rest of its message was delivered; the loss is counted in diagnostics.",
            limits.EMBED_DESCRIPTION,
        ),
        "color": NOTICE_COLOR,
    }
    payload: Payload = {k: refused[k] for k in _MESSAGE_KEYS if k in refused}
    payload["embeds"] = [notice]
    payload["allowed_mentions"] = {"parse": []}
    return payload
