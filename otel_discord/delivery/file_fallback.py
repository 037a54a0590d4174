"""When Discord refuses a message's files: send its text alone, once, and say so.

A message that carries files and is answered 413 (or code 40005, "request entity
too large"), 400 code 30015 (too many attachments) or 403 code 50013 (the bot lacks
Attach Files) was refused for its upload, not its text: the same message goes again
without its files (embeds lose their ``attachment://`` images and keep everything
else), and a status event tells diagnostics. The second refusal of the same message
is handled like any other (halved after a 413, dropped after a 400, and a 403 for the
text too stops the destination).
"""

from __future__ import annotations

from typing import Final

from otel_discord.delivery.attachments import files_of, text_only
from otel_discord.delivery.batch import Batch
from otel_discord.delivery.stats import StatusEvent
from otel_discord.render.types import Payload

FILES_REFUSED_CODES: Final = frozenset({40005, 30015})
"""Discord's codes for an upload too large and for too many attachments."""
MISSING_PERMISSIONS: Final = 50013


def files_refused(status: int, code: object, payload: Payload) -> bool:
    """Whether this answer refused the files of ``payload`` rather than its text."""
    if not files_of(payload):
        return False
    if status == 403:
        return code == MISSING_PERMISSIONS
    return status == 413 or code in FILES_REFUSED_CODES


def fall_back_to_text(batch: Batch, detail: str, where: str, *, for_good: bool) -> StatusEvent:
    """Replace the batch's first message by its text-only version, and say why."""
    payload = batch.payloads[0]
    files = files_of(payload)
    batch.payloads[0] = text_only(payload)
    names = ", ".join(f.filename for f in files)
    size_kib = sum(len(f.data) for f in files) / 1024
    what = f"{names}, {size_kib:.0f} KiB"
    if for_good:
        message = (
            f"{where}: the bot may not attach files here ({detail}); the message went as text "
            f"only, and so will the next ones ({what}). Grant Attach Files to get charts back."
        )
    else:
        message = (
            f"{where}: Discord refused the files of a message ({what}: {detail}); "
            "it was sent again without them, as text only"
        )
    return StatusEvent(batch.channel, "files_refused", message, len(files))
