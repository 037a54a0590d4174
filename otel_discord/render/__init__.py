"""Rendering: pure functions from telemetry to Discord embeds, within Discord's limits."""

from __future__ import annotations

from otel_discord.render.embeds import embed_length, fit_embed, pack_messages, payload_problems
from otel_discord.render.text import (
    clip,
    clip_markdown,
    code_block,
    defuse_fences,
    defuse_mentions,
    human_bytes,
    human_count,
    human_duration,
    human_rate,
    neutralise,
    sparkline,
)

__all__ = [
    "clip",
    "clip_markdown",
    "code_block",
    "defuse_fences",
    "defuse_mentions",
    "embed_length",
    "fit_embed",
    "human_bytes",
    "human_count",
    "human_duration",
    "human_rate",
    "neutralise",
    "pack_messages",
    "payload_problems",
    "sparkline",
]
