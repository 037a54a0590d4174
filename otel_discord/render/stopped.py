"""The "monitoring stopped" notice of a clean shutdown: uptime and what the run did.

Without it the last thing in Discord after a deploy or restart is a snapshot of a
bot whose gateway just closed, which reads like an outage. Pure: the pipeline
keeps :class:`RunTotals` and calls :func:`render_stopped` once, at shutdown.
"""

from __future__ import annotations

from dataclasses import dataclass

from otel_discord.render import style
from otel_discord.render.events import render_notice
from otel_discord.render.text import counted, human_count, human_duration
from otel_discord.render.types import Embed
from otel_discord.state.activity import COMMANDS, Activity

TITLE = "⏹️ Monitoring stopped"


@dataclass
class RunTotals:
    """What the whole run did, summed over the closed analytics windows."""

    commands_ok: float = 0.0
    commands_failed: float = 0.0
    messages: float = 0.0
    events: float = 0.0
    errors: int = 0
    """Error-level problems shown or counted in #logs."""

    def add(self, activity: Activity) -> None:
        self.commands_ok += activity.total(COMMANDS, **{"discord.command.outcome": "success"})
        self.commands_failed += activity.total(COMMANDS, **{"discord.command.outcome": "failure"})
        self.messages += activity.total("discord.messages")
        self.events += activity.total("discord.gateway.events")


def render_stopped(
    totals: RunTotals, *, started_ns: int, stopped_ns: int, service: str, host: str | None
) -> Embed:
    """The notice: ``Stopped after 2 h 5 min`` and the run's totals."""
    uptime = human_duration(max(0, stopped_ns - started_ns) / 1e9)
    lines = [f"Stopped after {uptime} (monitoring since {style.clock(started_ns)} UTC)."]
    commands = totals.commands_ok + totals.commands_failed
    if commands or totals.messages or totals.events:
        lines.append(
            f"{counted(commands, 'command')} ({human_count(totals.commands_ok)} ok · "
            f"{human_count(totals.commands_failed)} failed) · "
            f"{counted(totals.messages, 'message')} · {counted(totals.events, 'event')}"
        )
    lines.append(counted(totals.errors, "error"))
    return render_notice(
        TITLE, lines, service=service, host=host, time_ns=stopped_ns, colour=style.GREY
    )
