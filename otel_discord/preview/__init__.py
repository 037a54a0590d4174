"""A local preview of the four channels, as Discord would show them.

``otel-discord preview`` runs the strict local Discord (``otel_discord.localdiscord``) with
Discord's default limits, one webhook per channel, and a web page on the same port
that polls ``/_local/messages`` and draws every message like Discord's dark theme.
Nothing leaves the machine and nothing is written to disk.

Usage from code (the demo does this, then feeds the webhooks)::

    from otel_discord.preview import start_preview

    with start_preview(port=0) as preview:
        print(preview.page_url)
        url = preview.urls[Channel.LOGS]  # post embeds here
"""

from __future__ import annotations

from otel_discord.preview._assets import page_assets
from otel_discord.preview._serve import WEBHOOK_NAME, Preview, run_preview, start_preview

__all__ = ["WEBHOOK_NAME", "Preview", "page_assets", "run_preview", "start_preview"]
