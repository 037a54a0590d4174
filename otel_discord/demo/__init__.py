"""``otel-discord demo``: a simulated bot streaming to the local preview. No Discord account.

A real discord.py ``commands.Bot`` (fed synthetic gateway traffic offline) runs under
full instrumentation (``configure()``: exporters, logging bridge, system metrics,
discord.py instrumentation) and the four channels of the preview fill with realistic
data: messages, commands that succeed and fail, joins, reactions, voice, an error
storm, a blocking handler and a CPU spike. Schedules are shortened so that a
two-minute run shows every kind of message.
"""

from __future__ import annotations

from otel_discord.demo._run import DEMO_SETTINGS, run_demo, simulate

__all__ = ["DEMO_SETTINGS", "run_demo", "simulate"]
