"""Alert, resolved, health and start-up embeds: exact content, narrow tables, Discord limits."""

from __future__ import annotations

from typing import Any

import pytest

from otel_discord import DiscordConfig
from otel_discord.delivery.stats import DeliveryStats
from otel_discord.monitors import default_rules
from otel_discord.monitors.health import Component, HealthReport
from otel_discord.monitors.render import (
    breakdown_table,
    delivery_table,
    format_value,
    render_alert,
    render_health,
    render_startup,
)
from otel_discord.monitors.rules import AlertEvent, AlertRule
from otel_discord.render import limits, style
from otel_discord.render.embeds import NO_MENTIONS, payload_problems

S = 1_000_000_000
T0 = 1_764_338_400 * S
LATENCY = AlertRule(
    "latency",
    "Gateway latency",
    "discord.latency_ms",
    1000.0,
    unit="ms",
    hysteresis=200.0,
    hint="Heartbeat ACKs are slow.",
)


def sendable(embed: dict[str, Any]) -> list[str]:
    return payload_problems({"embeds": [embed], "allowed_mentions": NO_MENTIONS})


def code_lines(value: str) -> list[str]:
    return value.strip("`").strip("\n").split("\n")


class TestAlert:
    """An alert says what, how much, since when and what to check; resolved says how long."""

    def test_firing(self) -> None:
        event = AlertEvent(
            rule=LATENCY,
            kind="firing",
            value=1342.0,
            peak=1400.0,
            threshold=1000.0,
            started_ns=T0,
            at_ns=T0 + 120 * S,
            recent=(80.0, 1200.0, 1400.0, 1342.0),
        )
        embed = render_alert(event, service="astrabot", host="astra-prod-1")
        assert {
            "title": "🔴 Gateway latency above 1,000 ms",
            "description": "**1,342 ms** now · threshold 1,000 ms · for 2 min\n"
            "`▁▇██` last 4 samples\nHeartbeat ACKs are slow.",
            "color": style.RED,
            "fields": [
                {"name": "Since", "value": "<t:1764338400:R>", "inline": True},
                {"name": "Peak", "value": "1,400 ms", "inline": True},
            ],
            "footer": {
                "text": "service astrabot · host astra-prod-1 · alert latency · fires after "
                "2 min · resolves after 2 min clear"
            },
            "timestamp": "2025-11-28T14:02:00+00:00",
        } == embed
        assert [] == sendable(embed)

    def test_repeat_title(self) -> None:
        event = AlertEvent(LATENCY, "repeat", 1100.0, 1400.0, 1000.0, T0, T0 + 1800 * S)
        embed = render_alert(event, service="s", host=None)
        assert "🔁 Still firing: Gateway latency above 1,000 ms" == embed["title"]

    def test_resolved(self) -> None:
        event = AlertEvent(
            LATENCY, "resolved", 92.0, 1342.0, 1000.0, T0, T0 + 400 * S, ended_ns=T0 + 246 * S
        )
        embed = render_alert(event, service="s", host=None)
        assert (
            "✅ Resolved: Gateway latency",
            "Back to **92 ms** after 4 min 6 s. Peak 1,342 ms.",
            style.GREEN,
        ) == (embed["title"], embed["description"], embed["color"])

    def test_resolved_without_data(self) -> None:
        event = AlertEvent(
            LATENCY,
            "resolved",
            float("nan"),
            1342.0,
            1000.0,
            T0,
            T0 + 900 * S,
            ended_ns=T0 + 300 * S,
            reason="no longer reported",
        )
        embed = render_alert(event, service="s", host=None)
        assert "No longer reported after 5 min. Peak 1,342 ms." == embed["description"]

    @pytest.mark.parametrize(
        ("value", "unit", "text"),
        [
            (93.4, "%", "93 %"),
            (1.84, "ms", "1.8 ms"),
            (12.0, "/min", "12/min"),
            (1.0, "shards", "1 shard"),
            (2.0, "shards", "2 shards"),
            (float("inf"), "ms", "—"),
        ],
    )
    def test_format_value(self, value: float, unit: str, text: str) -> None:
        assert text == format_value(value, unit)


REPORT = HealthReport(
    score=57,
    components=(
        Component("cpu", "93 %", 1 / 15, 15.0, change=-14.0),
        Component("memory", "40 %", 1.0, 15.0),
        Component("latency", "offline", 0.0, 15.0),
        Component("errors", "12/min", 0.4, 15.0, change=2.0),
        Component("delivery", "1 retrying", 0.875, 15.0),
    ),
    recommendations=("First thing.", "Second thing."),
    change=-20,
    firing=("CPU usage",),
    held_by="latency",
    delivery={
        "diagnostics": DeliveryStats(sent_messages=12),
        "logs": DeliveryStats(
            sent_messages=1234,
            retries=5,
            rate_limited={"user": 2},
            queue_depth=37,
            state="retrying",
        ),
    },
)


class TestJustOverTheThreshold:
    """A value past its threshold never reads as the threshold itself."""

    @pytest.mark.parametrize(
        ("value", "threshold", "unit", "shown"),
        [
            (90.04, 90.0, "%", "90.04 %"),
            (90.3, 90.0, "%", "90.3 %"),
            (1000.4, 1000.0, "ms", "1,000.4 ms"),
            (250.2, 250.0, "ms", "250.2 ms"),
            (95.0, 90.0, "%", "95 %"),  # apart already: as format_value shows it
        ],
    )
    def test_value_and_peak(self, value: float, threshold: float, unit: str, shown: str) -> None:
        rule = AlertRule("x", "Usage", "k", threshold, unit=unit)
        event = AlertEvent(
            rule=rule,
            kind="firing",
            value=value,
            peak=value,
            threshold=threshold,
            started_ns=T0,
            at_ns=T0,
            recent=(value,),
        )
        embed = render_alert(event, service="s", host=None)
        assert embed["description"].startswith(f"**{shown}** now · threshold ")
        assert {"name": "Peak", "value": shown, "inline": True} == embed["fields"][1]


class TestHealth:
    """The health embed: score, breakdown table, recommendations, delivery counters."""

    def test_embed(self) -> None:
        embed = render_health(REPORT, service="astrabot", host=None, time_ns=T0, interval_s=180)
        assert "🩺 Health 57/100 — Degraded" == embed["title"]
        assert style.YELLOW == embed["color"]
        assert (
            "`██████░░░░` **57**/100, held down by latency (▼20 since last check)\n"
            "Firing: CPU usage (see logs).\n2 things need attention."
        ) == embed["description"]
        assert ["Score breakdown", "Recommendations", "Automation · delivery since start"] == [
            f["name"] for f in embed["fields"]
        ]
        assert "1. First thing.\n2. Second thing." == embed["fields"][1]["value"]
        assert "service astrabot · health every 3 min" == embed["footer"]["text"]
        assert [] == sendable(embed)

    def test_breakdown_table(self) -> None:
        assert [
            "cpu             93 %  1/15 █░░░░░░░░░ ▼14",
            "memory          40 % 15/15 ██████████",
            "latency      offline  0/15 ░░░░░░░░░░",
            "errors        12/min  6/15 ████░░░░░░ ▲2",
            "delivery  1 retrying 13/15 █████████░",
        ] == breakdown_table(REPORT).split("\n")

    def test_delivery_table(self) -> None:
        assert [
            "channel      sent retry  429 drop queue",
            "diagnostics    12     0    0    0     0",
            "logs         1234     5    2    0    37 retrying",
        ] == delivery_table(REPORT.delivery).split("\n")

    def test_tables_fit_a_code_block_line(self) -> None:
        embed = render_health(REPORT, service="s", host=None, time_ns=T0, interval_s=180)
        for field in (embed["fields"][0], embed["fields"][2]):
            assert max(len(line) for line in code_lines(field["value"])) <= limits.CODE_BLOCK_WIDTH

    @pytest.mark.parametrize(
        ("score", "colour"), [(80, style.GREEN), (50, style.YELLOW), (49, style.RED)]
    )
    def test_colour_by_score(self, score: int, colour: int) -> None:
        report = HealthReport(score=score, components=(), recommendations=())
        embed = render_health(report, service="s", host=None, time_ns=T0, interval_s=180)
        assert colour == embed["color"]


class TestStartup:
    """The start-up notice lists channels with redacted destinations, intervals and thresholds."""

    def test_content(self) -> None:
        token = "tok-" + "x" * 60
        config = DiscordConfig.resolve(
            webhooks={"logs": f"https://discord.com/api/webhooks/123456789012345678/{token}"},
            env={"OTEL_EXPORTER_DISCORD_ALERT_CPU_PERCENT": "75"},
        )
        embed = render_startup(
            config.describe(),
            version="1.2.3",
            service="astrabot",
            host="@everyone",
            rules=default_rules(config),
            instrumentations=["discord", "system_metrics"],
            notes=config.notes,
            time_ns=T0,
        )
        text = str(embed)
        assert token not in text
        assert "🟢 Monitoring started · otel-discord 1.2.3" == embed["title"]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Channels"].startswith("`analytics` off\n`diagnostics` off\n`logs` on · `")
        assert "CPU usage above 75 % for 3 min" == fields["Alerts"].split("\n")[0]
        assert "discord, system_metrics" == fields["Instrumentations"]
        assert "health 3 min" in fields["Intervals"]
        assert "analytics: no destination configured; this channel is off" in fields["Notes"]
        assert "@everyone" not in embed["description"]  # a host name never pings
        assert [] == sendable(embed)
