"""Every Discord limit the package relies on, named once (API v10).

Lengths are counted in code points after trimming surrounding whitespace,
as Discord counts them.
"""

from __future__ import annotations

from typing import Final

EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25
EMBED_FIELD_NAME: Final = 256
EMBED_FIELD_VALUE: Final = 1024
EMBED_FOOTER_TEXT: Final = 2048
EMBED_AUTHOR_NAME: Final = 256
EMBED_TOTAL: Final = 6000
"""Sum of title, description, field names and values, footer and author over ALL embeds."""

MESSAGE_EMBEDS: Final = 10
MESSAGE_CONTENT: Final = 2000
WEBHOOK_USERNAME: Final = 80
COLOR_MAX: Final = 0xFFFFFF

REQUEST_BODY_BYTES: Final = 25 * 1024 * 1024
"""Discord's upload ceiling; JSON bodies far below it are normal."""

CODE_BLOCK_WIDTH: Final = 55
"""Characters a code block line shows before wrapping in an embed on desktop."""

DEFAULT_WEBHOOK_RATE: Final = (5, 2.0)
"""Requests per seconds per webhook when no header has been seen yet (a floor)."""

CHANNEL_MESSAGES_PER_MINUTE: Final = 30
"""Messages a channel accepts per minute across all its webhooks."""

GLOBAL_REQUESTS_PER_SECOND: Final = 50

INVALID_REQUEST_BAN_THRESHOLD: Final = 10_000
"""401/403/429 responses in 10 minutes that get an IP banned by Cloudflare."""

INVALID_REQUEST_WINDOW_S: Final = 600.0

MESSAGE_ATTACHMENTS: Final = 10
"""Files one message may carry (more: 400 code 30015)."""
UPLOAD_BYTES: Final = 10 * 1024 * 1024
"""Discord's default upload limit per request (more: 413 code 40005)."""
PACKED_FILE_BYTES: Final = UPLOAD_BYTES // 2
"""What the packer puts in one message at most: well under the upload limit, so the
JSON part and the multipart framing never tip a message over it."""
IMAGE_EXTENSIONS: Final = (".png", ".jpg", ".jpeg", ".webp", ".gif")
"""File types an embed can show through ``attachment://``."""
