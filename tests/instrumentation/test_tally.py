"""``CounterTally``: the hot path's stand-in for ``Counter.add``, read by an observable counter."""

from __future__ import annotations

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from otel_discord.instrumentation._tally import CellTally, CounterTally


def collect(tally: CellTally | CounterTally) -> dict[frozenset[tuple[str, object]], int]:
    """Register ``tally`` on a real SDK meter and collect it once: attributes -> value."""
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    provider.get_meter("t").create_observable_counter(tally.name, callbacks=[tally.observe])
    data = reader.get_metrics_data()
    assert data is not None
    [metric] = data.resource_metrics[0].scope_metrics[0].metrics
    out = {frozenset((p.attributes or {}).items()): p.value for p in metric.data.data_points}
    provider.shutdown()
    return out  # type: ignore[return-value]


class TestCounterTally:
    """Exact sums per attribute set, bounded like the SDK's own counters."""

    def test_sums_per_attribute_set(self) -> None:
        """Equal sets add up, whatever dict object carries them."""
        tally = CounterTally("discord.commands")
        for _ in range(3):
            tally.add(1, {"name": "ping", "outcome": "success"})
        tally.add(2, {"name": "ping", "outcome": "failure"})
        assert {
            frozenset({("name", "ping"), ("outcome", "success")}): 3,
            frozenset({("name", "ping"), ("outcome", "failure")}): 2,
        } == collect(tally)

    def test_key_order_does_not_split_a_set(self) -> None:
        """The same set given in another key order is reported once, summed."""
        tally = CounterTally("discord.commands")
        tally.add(1, {"a": "x", "b": "y"})
        tally.add(4, {"b": "y", "a": "x"})
        assert {frozenset({("a", "x"), ("b", "y")}): 5} == collect(tally)

    def test_cumulative_across_collections(self) -> None:
        """A second collection reports the running total, not the increment."""
        tally = CounterTally("discord.commands")
        reader = InMemoryMetricReader()
        provider = MeterProvider(metric_readers=[reader])
        provider.get_meter("t").create_observable_counter(tally.name, callbacks=[tally.observe])
        values = []
        for _ in range(2):
            for _ in range(3):
                tally.add(1, {"name": "ping"})
            data = reader.get_metrics_data()
            assert data is not None
            [point] = data.resource_metrics[0].scope_metrics[0].metrics[0].data.data_points
            values.append(point.value)  # type: ignore[union-attr]
        provider.shutdown()
        assert [3, 6] == values

    def test_overflow_past_the_limit(self) -> None:
        """Sets past the limit count under otel.metric.overflow; nothing is lost."""
        tally = CounterTally("discord.commands", limit=3)
        for index in range(5):
            tally.add(1, {"name": f"c{index}"})
        tally.add(1, {"name": "c4"})
        values = collect(tally)
        assert 3 == values[frozenset({("otel.metric.overflow", True)})]
        assert 6 == sum(values.values())
        assert 4 == len(values)


class TestCellTally:
    """``CellTally``: counts in cells the hot path holds, reported per attribute set."""

    def test_cells_counted_shared_and_hidden(self) -> None:
        """Keys sharing a cell add up; unreported and never-counted cells stay out."""
        tally = CellTally("discord.gateway.events")
        message = tally.cell("message", {"discord.event": "message"}, 2)
        other = tally.cell("_OTHER", {"discord.event": "_OTHER"})
        assert other is tally.cell("_OTHER", {"discord.event": "_OTHER"})
        meta = tally.cell("socket_event_type", None, 1)
        tally.cell("ready", {"discord.event": "ready"})  # made, never counted
        assert [0, 2] == message
        for cell in (message, message, other, other, other, meta):
            cell[0] += 1
        assert {
            frozenset({("discord.event", "message")}): 2,
            frozenset({("discord.event", "_OTHER")}): 3,
        } == collect(tally)
        assert 4 == len(tally)
        assert 3 == tally.reported
        assert "socket_event_type" in tally
