"""When Discord refuses a message's files: send its text alone, once, and say so.

A 413 (code 40005, "request entity too large") or a 400 code 30015 (too many
attachments) on a message that carries files means the upload, not the text, is
the problem: the same message goes again without its files (embeds lose their
``attachment://`` images and keep everything else), and a status event tells
diagnostics. The second refusal of the same message is handled as before (halved,
then dropped).
"""

from __future__ import annotations

from typing import Final

from otel_discord.delivery.attachments import files_of, text_only
from otel_discord.delivery.batch import Batch
from otel_discord.delivery.stats import StatusEvent

FILES_REFUSED_CODES: Final = frozenset({40005, 30015})
"""Discord's codes for an upload too large and for too many attachments."""


def fall_back_to_text(batch: Batch, detail: str, where: str) -> StatusEvent | None:
    """Replace the batch's first message by its text-only version; None if not applicable."""
    payload = batch.payloads[0]
    files = files_of(payload)
    if batch.text_only or not files:
        return None
    batch.payloads[0] = text_only(payload)
    batch.text_only = True
    names = ", ".join(f.filename for f in files)
    size_kib = sum(len(f.data) for f in files) / 1024
    message = (
        f"{where}: Discord refused the files of a message ({names}, {size_kib:.0f} KiB: {detail});"
        " it was sent again without them, as text only"
    )
    return StatusEvent(batch.channel, "files_refused", message, len(files))
