"""The analytics summary, from real SDK counters and spans."""

from __future__ import annotations

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from otel_discord.render.analytics import render_activity
from otel_discord.state.activity import COMMANDS, Activity, ActivityWindow, SpanStats, percentile
from tests.conftest import FourChannels

T0 = 1_700_000_000_000_000_000
MIN = 60_000_000_000


def commands(meter_provider: MeterProvider) -> None:
    meter = meter_provider.get_meter("otel_discord.instrumentation.discord")
    counter = meter.create_counter("discord.commands")
    for name, outcome, n in (
        ("play", "success", 5),
        ("play", "failure", 2),
        ("skip", "success", 3),
    ):
        counter.add(
            n,
            {
                "discord.command.name": name,
                "discord.command.kind": "prefix",
                "discord.command.outcome": outcome,
            },
        )
    meter.create_counter("discord.messages").add(40, {"discord.channel.type": "text"})
    meter.create_counter("discord.member.changes").add(4, {"discord.change": "join"})
    meter.create_counter("discord.member.changes").add(1, {"discord.change": "leave"})


class TestWindow:
    """Cumulative counters become per-window increments."""

    def test_deltas_between_windows(self) -> None:
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        window = ActivityWindow(T0)
        commands(provider)
        window.add_metrics(reader.get_metrics_data())
        first = window.close(T0 + MIN)
        assert 10 == first.total("discord.commands")
        assert {"play": 7, "skip": 3} == first.by("discord.commands", "discord.command.name")
        commands(provider)  # the same again: cumulative totals double
        window.add_metrics(reader.get_metrics_data())
        window.add_metrics(reader.get_metrics_data())  # a repeated export adds nothing
        second = window.close(T0 + 2 * MIN)
        assert 10 == second.total("discord.commands")
        assert (40.0, 40.0) == second.history["discord.messages"]

    def test_spans_counted(self) -> None:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("t")
        for i in range(4):
            with tracer.start_as_current_span("play") as span:
                if i == 0:
                    span.set_status(Status(StatusCode.ERROR))
        window = ActivityWindow(T0)
        window.add_spans(exporter.get_finished_spans())
        activity = window.close(T0 + MIN)
        assert (4, 1) == (activity.spans["play"].count, activity.spans["play"].errors)

    def test_durations_are_a_sample_of_the_whole_window(self) -> None:
        """2,000 spans of 2 s, then 600 of 100 ms: p50 and p95 are 2 s, not the last 512's."""
        window = ActivityWindow(T0)
        window.add_spans(_spans("play", [2.0] * 2000 + [0.1] * 600))
        stats = window.close(T0 + MIN).spans["play"]
        assert 2600 == stats.count
        durations = sorted(stats.durations)
        assert 512 == len(durations)
        assert 2.0 == percentile(durations, 0.5) == percentile(durations, 0.95)

    def test_one_counter_never_crowds_out_another(self) -> None:
        """3,000 guilds' messages (the SDK's overflow series included) and the commands."""
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        meter = provider.get_meter("otel_discord.instrumentation")
        messages = meter.create_counter("discord.messages")
        for guild in range(3000):
            messages.add(1, {"discord.guild.id": str(guild)})
        meter.create_counter("discord.commands").add(5, {"discord.command.name": "play"})
        window = ActivityWindow(T0)
        window.add_metrics(reader.get_metrics_data())
        activity = window.close(T0 + MIN)
        assert 3000 == activity.total("discord.messages")
        assert 5 == activity.total("discord.commands")


def _spans(name: str, durations: list[float]) -> list[ReadableSpan]:
    return [
        ReadableSpan(name=name, start_time=T0, end_time=T0 + round(seconds * 1e9))
        for seconds in durations
    ]


class TestRender:
    """One embed with commands, messages, joins and top commands."""

    def test_summary(self) -> None:
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        commands(provider)
        window = ActivityWindow(T0)
        window.add_metrics(reader.get_metrics_data())
        [embed] = render_activity(window.close(T0 + MIN), service="astrobot", host="h1")
        assert "📊 Activity · 22:13:20–22:14:20 UTC" == embed["title"]
        assert "40 messages · 10 commands" == embed["description"]
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert "8 ok · 2 failed" == fields["Commands"]
        assert "members +4 / −1" == fields["Joins · leaves"]
        assert "1. `play` — 7 (2 failed)\n2. `skip` — 3" == fields["Top commands"]
        assert {"text": "service astrobot · host h1"} == embed["footer"]

    def test_empty_window_sends_nothing(self) -> None:
        assert [] == render_activity(ActivityWindow(T0).close(T0 + MIN), service="s", host=None)

    def test_percentile(self) -> None:
        assert (2.0, 10.0) == (
            percentile([1.0, 2.0, 3.0, 10.0], 0.5),
            percentile([1.0, 10.0], 0.95),
        )


class TestUntrustedNames:
    """Names from metric attributes are shown literally in code spans and inert elsewhere."""

    def test_command_names_and_voice_changes(self) -> None:
        name = "set_prefix`**x**"
        counters = {
            (
                COMMANDS,
                (("discord.command.name", name), ("discord.command.outcome", "success")),
            ): 5.0,
            (
                "discord.voice.changes",
                (("discord.change", "[x](http://evil.example) @everyone"),),
            ): 2.0,
        }
        activity = Activity(T0, T0 + MIN, counters, {}, {})
        [embed] = render_activity(activity, service="s", host=None)
        shown = {f["name"]: f["value"] for f in embed["fields"]}
        assert "1. `set_prefix\u02cb**x**` — 5" == shown["Top commands"]  # no backslash shows
        assert "@everyone" not in shown["Voice"]
        assert "](" not in shown["Voice"]


class TestFigures:
    """Durations in the span table and the guild list read right at their edges."""

    @pytest.mark.parametrize(
        ("seconds", "shown"),
        [(9.9996, "10s"), (9.9994, "9999ms"), (0.0004, "<1ms"), (0.0, "0ms"), (12.4, "12s")],
    )
    def test_span_durations(self, seconds: float, shown: str) -> None:
        spans = {"play": SpanStats(count=1, errors=0, durations=[seconds])}
        activity = Activity(T0, T0 + MIN, {}, spans, {})
        [embed] = render_activity(activity, service="s", host=None)
        [table] = [f["value"] for f in embed["fields"] if f["name"] == "Spans"]
        row = next(line for line in table.split("\n") if line.startswith("play"))
        assert row.split()[2:4] == [shown, shown]

    def test_one_more_guild(self) -> None:
        changes = {f"guild {i}": (1, 0) for i in range(4)}
        activity = Activity(T0, T0 + MIN, {}, {}, {}, changes)
        [embed] = render_activity(activity, service="s", host=None)
        assert any(f["value"].endswith("… 1 more guild") for f in embed["fields"])


class TestGuildsByID:
    """Member joins are counted per guild id: two guilds called "General" stay apart."""

    def test_same_name_two_guilds(self, four_channels: FourChannels) -> None:
        from otel_discord import Channel, configure

        telemetry = configure(
            config=four_channels.config(),
            system_metrics=False,
            instrument_discord=False,
            set_global=False,
            bridge_logging=False,
        )
        logger = telemetry.logger_provider.get_logger("otel_discord.instrumentation")
        joins = [("111", "join"), ("111", "join"), ("222", "join"), ("222", "leave")]
        for guild_id, change in joins:
            logger.emit(
                severity_number=SeverityNumber.INFO,
                body="A member joined General",
                attributes={
                    "event.name": f"discord.member.{change}",
                    "discord.guild.name": "General",
                    "discord.guild.id": guild_id,
                },
                event_name=f"discord.member.{change}",
            )
        assert telemetry.shutdown()
        [summary] = [
            e
            for e in four_channels.embeds(Channel.ANALYTICS)
            if e.get("title", "").startswith("📊 Activity")
        ]
        fields = {f["name"]: f["value"] for f in summary["fields"]}
        assert "General (111) +2 / −0\nGeneral (222) +1 / −1" == fields["Joins · leaves"]

    def test_a_lone_name_reads_as_it_is(self) -> None:
        window = ActivityWindow(T0)
        window.add_member_change("Lo-Fi Lounge", True, "111")
        window.add_member_change("General", False, "222")
        window.add_member_change("General", True)  # no id: keyed by its name
        assert {"Lo-Fi Lounge": (1, 0), "General (222)": (0, 1), "General": (1, 0)} == dict(
            window.close(T0 + MIN).member_changes
        )
