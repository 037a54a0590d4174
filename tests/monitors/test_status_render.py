"""The status message's embeds, by equality: pure rendering of a given view."""

from __future__ import annotations

import dataclasses

from otel_discord.monitors.health import HealthReport
from otel_discord.monitors.status_render import (
    LastAlert,
    StatusView,
    render_status,
    render_stopped,
)
from otel_discord.render import style

S = 1_000_000_000
START_NS = 1_764_338_400 * S
VIEW = StatusView(
    service="astrobot",
    host="prod-1",
    started_ns=START_NS,
    now_ns=START_NS + (3 * 3600 + 12 * 60) * S,
    health_interval_s=180.0,
    report=HealthReport(score=41, components=(), recommendations=(), change=-27),
    shards_connected=3.0,
    shards=4.0,
    latency_ms=1342.4,
    last_alert=LastAlert("Bot disconnected", START_NS + 3 * 3600 * S),
    errors_last_hour=1234,
)
FOOTER = {"text": "service astrobot · host prod-1 · status · edited in place"}


class TestRenderStatus:
    """Every part of the running status, and the stopped one, exactly."""

    def test_critical(self) -> None:
        assert {
            "title": "🟠 astrobot · Critical",
            "description": "Updated <t:1764349920:R> · next update in 3 min",
            "color": style.RED,
            "fields": [
                {"name": "Health", "value": "**41**/100 Critical · -27", "inline": True},
                {"name": "Uptime", "value": "3 h 12 min", "inline": True},
                {"name": "Shards", "value": "3/4 connected", "inline": True},
                {"name": "Gateway latency", "value": "1,342 ms", "inline": True},
                {
                    "name": "Last alert",
                    "value": "Bot disconnected · <t:1764349200:R>",
                    "inline": True,
                },
                {"name": "Errors, last hour", "value": "1,234", "inline": True},
            ],
            "footer": FOOTER,
            "timestamp": "2025-11-28T17:12:00+00:00",
        } == render_status(VIEW)

    def test_young_process_counts_errors_since_start(self) -> None:
        young = dataclasses.replace(VIEW, now_ns=START_NS + 59 * 60 * S, shards=None)
        fields = {f["name"]: f["value"] for f in render_status(young)["fields"]}  # type: ignore[attr-defined]
        assert ("1,234", "3 connected", "59 min") == (
            fields["Errors since start"],
            fields["Shards"],
            fields["Uptime"],
        )

    def test_stopped(self) -> None:
        assert {
            "title": "🔴 astrobot · Stopped",
            "description": "🔴 Stopped <t:1764349920:f> after 3 h 12 min of uptime.",
            "color": style.RED,
            "fields": [
                {"name": "Uptime", "value": "3 h 12 min", "inline": True},
                {
                    "name": "Last alert",
                    "value": "Bot disconnected · <t:1764349200:R>",
                    "inline": True,
                },
                {"name": "Errors, last hour", "value": "1,234", "inline": True},
            ],
            "footer": FOOTER,
            "timestamp": "2025-11-28T17:12:00+00:00",
        } == render_stopped(VIEW)

    def test_service_name_is_inert_in_the_title(self) -> None:
        odd = dataclasses.replace(VIEW, service="**bot** @everyone <@123> [x](http://evil.example)")
        for embed in (render_status(odd), render_stopped(odd)):
            title = str(embed["title"])
            assert "**bot**" not in title
            assert "@everyone" not in title
            assert "<@123>" not in title
            assert "](" not in title
