"""``HistogramTally`` gives exporters the very points the SDK's ``Histogram.record`` gives.

Every test builds two identical real SDK providers, feeds the same records to the
SDK's histogram on one and to the tally on the other, and compares what the readers
collect: attributes, count, sum (bit for bit), bucket counts, bounds, min, max,
exemplars, and the start/end time relations.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest
from opentelemetry import metrics
from opentelemetry.sdk.metrics import (
    AlwaysOnExemplarFilter,
    Histogram,
    MeterProvider,
    TraceBasedExemplarFilter,
)
from opentelemetry.sdk.metrics._internal import _MeterConfig
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    HistogramDataPoint,
    InMemoryMetricReader,
    MetricExporter,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import (
    ExplicitBucketHistogramAggregation,
    ExponentialBucketHistogramAggregation,
    View,
)
from opentelemetry.sdk.trace import TracerProvider

from otel_discord.instrumentation import _histogram_tally as ht
from otel_discord.instrumentation._telemetry import DURATION_BUCKETS

NAME = "discord.command.duration"
PING = {"discord.command.name": "ping", "discord.command.kind": "prefix"}
FAIL = {"discord.command.name": "oops", "discord.command.kind": "slash", "x": "failure"}
VALUES = (
    0.0,
    *DURATION_BUCKETS,  # exactly on every bound: bisect_left puts them in the lower bucket
    *(math.nextafter(b, math.inf) for b in DURATION_BUCKETS),
    0.0123456789,
    0.1 + 0.2,
    1e-9,
    5e-324,
    10.000001,
    1e300,
    3600.0,
)
DELTA = {Histogram: AggregationTemporality.DELTA}


class Side:
    """One provider, its readers and either the SDK's histogram or a tally of it."""

    def __init__(
        self,
        tally: bool,
        temporalities: Sequence[Mapping[type, AggregationTemporality] | None] = (None,),
        views: Sequence[View] = (),
        exemplar_filter: Any = None,
    ) -> None:
        self.readers = [InMemoryMetricReader(preferred_temporality=t) for t in temporalities]
        self.provider = MeterProvider(
            metric_readers=self.readers,
            views=views,
            exemplar_filter=exemplar_filter or TraceBasedExemplarFilter(),
            shutdown_on_exit=False,
        )
        self.meter = self.provider.get_meter("test.scope", "1")
        self.histogram: Any = self.meter.create_histogram(
            NAME, unit="s", description="d", explicit_bucket_boundaries_advisory=DURATION_BUCKETS
        )
        self.sink: ht.Records = (
            ht.fast_histogram(self.meter, self.histogram) if tally else self.histogram
        )
        self.first_record: dict[str, tuple[int, int]] = {}

    def record(self, value: Any, attributes: Any = PING) -> None:
        key = tuple(sorted(dict(attributes or {}).items(), key=repr))
        before = time.time_ns()
        self.sink.record(value, attributes)
        self.first_record.setdefault(repr(key), (before, time.time_ns()))

    def collect(self, index: int = 0) -> list[HistogramDataPoint]:
        data = self.readers[index].get_metrics_data()
        points: list[HistogramDataPoint] = []
        for resource_metrics in data.resource_metrics if data else ():
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    if metric.name == NAME:
                        assert "s" == metric.unit
                        points += metric.data.data_points  # type: ignore[arg-type]
        return sorted(points, key=lambda p: repr(sorted((p.attributes or {}).items())))


def content(points: Sequence[HistogramDataPoint]) -> list[tuple[Any, ...]]:
    """Everything of the points but the timestamps (compared by relation elsewhere)."""
    return [
        (
            sorted((p.attributes or {}).items()),
            p.count,
            p.sum,
            tuple(p.bucket_counts),
            tuple(p.explicit_bounds),
            p.min,
            p.max,
            [(e.value, e.span_id, e.trace_id, e.filtered_attributes) for e in p.exemplars],
        )
        for p in points
    ]


def pair(**kwargs: Any) -> tuple[Side, Side]:
    sdk, ours = Side(False, **kwargs), Side(True, **kwargs)
    assert isinstance(ours.sink, ht.HistogramTally)
    return sdk, ours


def both(sides: tuple[Side, Side], action: Callable[[Side], Any]) -> tuple[Any, Any]:
    return action(sides[0]), action(sides[1])


def assert_same(sides: tuple[Side, Side], index: int = 0) -> list[HistogramDataPoint]:
    sdk_points, our_points = both(sides, lambda side: side.collect(index))
    assert content(sdk_points) == content(our_points)
    return our_points  # type: ignore[no-any-return]


def fast(side: Side) -> bool:
    assert isinstance(side.sink, ht.HistogramTally)
    return side.sink.fast


class KeepExports(MetricExporter):
    """An exporter that keeps what a PeriodicExportingMetricReader hands it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exported: list[Any] = []

    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **_: Any) -> Any:
        self.exported.append(metrics_data)
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **_: Any) -> None:
        return None


class TestSamePoints:
    def test_self_check_passes_on_this_sdk(self) -> None:
        """The adoption check compares both paths; on the installed SDK they agree."""
        assert ht._SDK is not None
        assert ht.self_check(ht._SDK)

    @pytest.mark.parametrize("temporality", [None, DELTA], ids=["cumulative", "delta"])
    def test_known_values_three_collections(self, temporality: Any) -> None:
        """Bounds, 0, tiny and huge values, two sets, three collections: identical points."""
        sides = pair(temporalities=[temporality])
        for round_ in range(3):
            for index, value in enumerate(VALUES):
                attrs = PING if (index + round_) % 3 else FAIL
                both(sides, lambda side, v=value, a=attrs: side.record(v, a))
            points = assert_same(sides)
            assert 2 == len(points)
            rounds_counted = 1 if temporality else round_ + 1
            assert rounds_counted * len(VALUES) == sum(p.count for p in points)
        assert fast(sides[1])

    def test_bucket_of_a_value_on_a_bound(self) -> None:
        """0.025 s exactly lands in (0.01, 0.025]; 0 in the first bucket; 1e300 in the last."""
        sides = pair()
        for value in (0.025, 0.0, 1e300):
            both(sides, lambda side, v=value: side.record(v))
        [point] = assert_same(sides)
        bucket = DURATION_BUCKETS.index(0.025)
        assert (1, 1, 1) == (
            point.bucket_counts[bucket],
            point.bucket_counts[0],
            point.bucket_counts[-1],
        )
        assert (0.0, 1e300, 3) == (point.min, point.max, point.count)

    def test_order_of_attribute_keys_is_one_set(self) -> None:
        """Two orders of one set are one point, summed in record order (bit-exact)."""
        sides = pair()
        reordered = dict(reversed(list(PING.items())))
        for index, value in enumerate(VALUES * 3):
            both(sides, lambda side, v=value, i=index: side.record(v, PING if i % 2 else reordered))
        [point] = assert_same(sides)
        assert 3 * len(VALUES) == point.count

    def test_two_readers_collect_at_different_times(self) -> None:
        """A cumulative and a delta reader, collected at different moments: both exact."""
        sides = pair(temporalities=[None, DELTA])
        for step in range(6):
            for value in VALUES[step::3]:
                attrs = PING if step % 2 else FAIL
                both(sides, lambda side, v=value, a=attrs: side.record(v, a))
            if step % 2:
                assert_same(sides, 0)
            if step % 3 == 2:
                assert_same(sides, 1)
        recorded = sum(len(VALUES[step::3]) for step in range(6))
        assert recorded == sum(p.count for p in assert_same(sides, 0))
        assert fast(sides[1])

    @pytest.mark.parametrize("temporalities", [[None], [None, DELTA]], ids=["one", "two"])
    def test_many_sets_interleaved(self, temporalities: Any) -> None:
        """300 sets, values interleaved (each replay groups by set): exact, with 1 or 2 readers."""
        sides = pair(temporalities=temporalities)
        sets = [{"discord.command.name": f"c{index}"} for index in range(300)]
        for round_ in range(3):
            for index, value in enumerate(VALUES * 40):
                attrs = sets[(index * 7 + round_) % len(sets)]
                both(sides, lambda side, v=value, a=attrs: side.record(v, a))
            for reader in range(len(temporalities)):
                points = assert_same(sides, reader)
                assert len(sets) == len(points)
        assert 3 * len(VALUES) * 40 == sum(p.count for p in assert_same(sides, 0))
        assert fast(sides[1])

    def test_reader_added_after_records(self) -> None:
        """A reader added later sees only what was recorded after, as with the SDK."""
        sides = pair(temporalities=[None])
        both(sides, lambda side: side.record(0.5))
        for side in sides:
            late = InMemoryMetricReader()
            side.provider.add_metric_reader(late)
            side.readers.append(late)
        before = time.time_ns()
        both(sides, lambda side: side.record(0.25))
        after = time.time_ns()
        time.sleep(0.002)
        [point] = assert_same(sides, 1)
        assert (1, 0.25) == (point.count, point.sum)
        assert before <= point.start_time_unix_nano <= after  # created by the record
        [first] = assert_same(sides, 0)
        assert 2 == first.count
        assert fast(sides[1])


class TestTimes:
    def test_cumulative_start_is_the_first_record(self) -> None:
        """Start time: when the set was first recorded; it stays across collections."""
        _, ours = pair()
        ours.record(0.1)
        time.sleep(0.002)
        ours.record(0.2)
        first = ours.collect()[0]
        ours.record(0.3)
        second = ours.collect()[0]
        before, after = ours.first_record[repr(tuple(sorted(PING.items(), key=repr)))]
        assert before <= first.start_time_unix_nano <= after
        assert first.start_time_unix_nano == second.start_time_unix_nano
        assert first.time_unix_nano < second.time_unix_nano

    def test_delta_starts_where_the_last_collection_ended(self) -> None:
        """Delta: a set idle for one collection has no point, then starts at the last end."""
        sides = pair(temporalities=[DELTA])
        _, ours = sides
        both(sides, lambda side: side.record(0.1))
        before, after = ours.first_record[repr(tuple(sorted(PING.items(), key=repr)))]
        [first] = assert_same(sides)
        assert before <= first.start_time_unix_nano <= after
        assert [] == assert_same(sides)  # nothing recorded: no point
        idle_end = time.time_ns()
        both(sides, lambda side: side.record(0.2))
        [third] = assert_same(sides)
        assert first.time_unix_nano < third.start_time_unix_nano <= idle_end


class TestConcurrency:
    def test_records_racing_collections_lose_nothing(self) -> None:
        """A thread records 20,000 values while another collects: totals and sum exact."""
        sides = pair(temporalities=[None, DELTA])
        sdk, ours = sides
        values = [((i * 7919) % 1000) / 997.0 for i in range(20_000)]
        delta_counts: list[int] = []
        done = threading.Event()

        def collect() -> None:
            while not done.is_set():
                delta_counts.extend(p.count for p in ours.collect(1))
                ours.collect(0)

        collector = threading.Thread(target=collect)
        collector.start()
        try:
            for value in values:
                ours.sink.record(value, PING)
        finally:
            done.set()
            collector.join()
        for value in values:
            sdk.sink.record(value, PING)
        delta_counts.extend(p.count for p in ours.collect(1))
        assert len(values) == sum(delta_counts)
        # The SDK's cumulative sum adds per-collection chunks, so its last bits depend
        # on when collections ran; counts, buckets, min and max do not.
        [expected], [point] = both(sides, lambda side: side.collect(0))
        assert content([expected])[0][:2] == content([point])[0][:2]
        assert content([expected])[0][3:] == content([point])[0][3:]
        assert math.fsum(values) == pytest.approx(point.sum, rel=1e-12)
        assert len(values) == point.count

    def test_periodic_reader_thread(self) -> None:
        """The SDK's own export thread collects while records arrive: every value exported."""
        _, ours = pair(temporalities=[None])
        exporter = KeepExports(preferred_temporality=DELTA)
        periodic = PeriodicExportingMetricReader(exporter, export_interval_millis=2)
        ours.provider.add_metric_reader(periodic)
        values = [((i * 31) % 100) / 250.0 for i in range(20_000)]
        for index, value in enumerate(values):
            ours.sink.record(value, PING)
            if index % 1000 == 0:
                time.sleep(0.003)  # let the export thread in
        # A last collection and export (the provider's own flush skips added readers).
        periodic.force_flush()
        periodic.shutdown()
        exported = [
            point
            for data in exporter.exported
            for resource_metrics in data.resource_metrics
            for scope_metrics in resource_metrics.scope_metrics
            for metric in scope_metrics.metrics
            if metric.name == NAME
            for point in metric.data.data_points
        ]
        assert 2 <= len(exported)  # collections ran during the records, and a last one
        assert len(values) == sum(p.count for p in exported)
        assert math.fsum(values) == pytest.approx(sum(p.sum for p in exported), rel=1e-12)

    def test_removed_reader(self) -> None:
        """After a reader is removed the others carry on, exactly as with the SDK."""
        sides = pair(temporalities=[None, DELTA])
        both(sides, lambda side: side.record(0.5))
        both(sides, lambda side: side.provider.remove_metric_reader(side.readers[1]))
        both(sides, lambda side: side.record(0.25))
        [point] = assert_same(sides, 0)
        assert (2, 0.75) == (point.count, point.sum)
        assert fast(sides[1])


class TestLimits:
    @pytest.mark.parametrize("temporality", [None, DELTA], ids=["cumulative", "delta"])
    def test_cardinality_overflow_is_the_sdks(self, temporality: Any) -> None:
        """2,050 sets: 2,000 points plus the SDK's overflow point, equal on both sides."""
        sides = pair(temporalities=[temporality])
        for round_ in range(2):
            for index in range(2050):
                attrs = {"discord.command.name": f"c{index}"}
                value = index / 1000 + round_
                both(sides, lambda side, a=attrs, v=value: side.record(v, a))
            points = assert_same(sides)
            assert 2001 == len(points)
            overflow = [p for p in points if (p.attributes or {}).get("otel.metric.overflow")]
            assert 1 == len(overflow)
        tally = sides[1].sink
        assert isinstance(tally, ht.HistogramTally)
        assert tally.limit == len(tally._sets)

    def test_overflow_sum_keeps_record_order(self) -> None:
        """Sets past the limit share the overflow point: their values land in record order."""
        view = View(instrument_name=NAME, aggregation_cardinality_limit=2)
        sides = pair(views=[view])
        for index in range(4):  # two sets get points; two more overflow
            attrs = {"discord.command.name": f"c{index}"}
            both(sides, lambda side, a=attrs: side.record(0.001, a))
        assert_same(sides)
        for index in range(400):  # interleaved overflow sets, rounding-sensitive values
            attrs = {"discord.command.name": f"c{2 + index % 2}"}
            value = 0.1 * (index % 7) + 1e-9 * index
            both(sides, lambda side, a=attrs, v=value: side.record(v, a))
        points = assert_same(sides)
        assert [1, 1, 402] == sorted(p.count for p in points)
        assert fast(sides[1])

    def test_queue_is_bounded(self) -> None:
        """Without a collection the queue never holds more than QUEUE_LIMIT values."""
        sides = pair()
        tally = sides[1].sink
        assert isinstance(tally, ht.HistogramTally)
        longest = 0
        for index in range(3 * ht.QUEUE_LIMIT + 7):
            both(sides, lambda side, i=index: side.record(i / 100))
            longest = max(longest, len(tally._queue))
        assert ht.QUEUE_LIMIT - 1 == longest
        [point] = assert_same(sides)
        assert 3 * ht.QUEUE_LIMIT + 7 == point.count


class TestFallbacks:
    @pytest.mark.parametrize(
        ("view", "stays_fast"),
        [
            (
                View(
                    instrument_name=NAME,
                    aggregation=ExplicitBucketHistogramAggregation(boundaries=(0.0, 1.0, 100.0)),
                ),
                True,
            ),
            (
                View(
                    instrument_name=NAME,
                    aggregation=ExplicitBucketHistogramAggregation(record_min_max=False),
                ),
                True,
            ),
            (View(instrument_name=NAME, name="renamed.duration"), True),
            (View(instrument_name=NAME, attribute_keys={"discord.command.name"}), False),
            (
                View(instrument_name=NAME, aggregation=ExponentialBucketHistogramAggregation()),
                False,
            ),
        ],
        ids=["other-bounds", "no-min-max", "renamed", "attribute-keys", "exponential"],
    )
    def test_views(self, view: View, stays_fast: bool) -> None:
        """Views the replay mirrors stay fast; the others take the SDK's record; same points."""
        sides = pair(views=[view])
        for index, value in enumerate(VALUES):
            both(sides, lambda side, v=value, i=index: side.record(v, PING if i % 2 else FAIL))
        sdk_data, our_data = both(sides, lambda side: side.readers[0].get_metrics_data())
        stripped = _strip_times(sdk_data)
        assert 2 == len(stripped) or view._attribute_keys
        assert stripped == _strip_times(our_data)
        assert stays_fast == fast(sides[1])

    def test_always_on_exemplars_use_the_sdk(self) -> None:
        """An always-on exemplar filter: the SDK's record, exemplars included."""
        sides = pair(exemplar_filter=AlwaysOnExemplarFilter())
        for value in VALUES:
            both(sides, lambda side, v=value: side.record(v))
        [point] = assert_same(sides)
        assert point.exemplars
        assert not fast(sides[1])

    def test_sampled_span_gets_its_exemplar(self) -> None:
        """Trace-based filter: inside a sampled span the SDK records (and keeps an exemplar)."""
        tracer = TracerProvider().get_tracer("t")
        sides = pair()
        both(sides, lambda side: side.record(0.05))
        with tracer.start_as_current_span("outer") as span:
            both(sides, lambda side: side.record(0.3))
        both(sides, lambda side: side.record(0.07))
        [point] = assert_same(sides)
        assert [span.get_span_context().span_id] == [e.span_id for e in point.exemplars]
        assert [0.3] == [e.value for e in point.exemplars]
        assert fast(sides[1])

    @pytest.mark.parametrize(
        ("value", "attributes"),
        [
            (3, PING),
            (-0.5, PING),
            (math.nan, PING),
            (math.inf, PING),
            (0.5, None),
            (0.5, {"list": ["a", "b"]}),
            (0.5, {"": "empty key"}),
        ],
        ids=["int", "negative", "nan", "inf", "no-attributes", "list", "empty-key"],
    )
    def test_unusual_input_same_as_sdk(self, value: Any, attributes: Any) -> None:
        """Ints, invalid values, odd attributes: what the SDK does, between queued records."""
        sides = pair()
        both(sides, lambda side: side.record(0.25))
        both(sides, lambda side: side.record(value, attributes))
        both(sides, lambda side: side.record(0.125))
        assert_same(sides)

    def test_disabled_meter_records_nothing(self) -> None:
        """A meter disabled by the provider's configurator drops records on both sides."""
        sides = pair()
        both(sides, lambda side: side.record(0.25))
        for side in sides:
            side.provider._set_meter_configurator(
                meter_configurator=lambda scope: _MeterConfig(is_enabled=False)
            )
        both(sides, lambda side: side.record(0.5))
        for side in sides:
            side.provider._set_meter_configurator(meter_configurator=lambda scope: _MeterConfig())
        both(sides, lambda side: side.record(0.125))
        [point] = assert_same(sides)
        assert (2, 0.375) == (point.count, point.sum)

    def test_no_sdk_provider_is_left_alone(self) -> None:
        """A no-op (or proxy) provider's histogram is returned as it is."""
        meter = metrics.NoOpMeterProvider().get_meter("x")
        histogram = meter.create_histogram(NAME)
        assert histogram is ht.fast_histogram(meter, histogram)

    def test_same_instrument_same_tally(self) -> None:
        """Instrumenting a provider again reuses the tally: values flushed once."""
        _, ours = pair()
        again = ht.fast_histogram(ours.meter, ours.histogram)
        assert again is ours.sink
        ours.record(0.5)
        again.record(0.25, PING)
        [point] = ours.collect()
        assert (2, 0.75) == (point.count, point.sum)


def _strip_times(data: Any) -> list[Any]:
    out = []
    for resource_metrics in data.resource_metrics if data else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                if metric.name not in (NAME, "renamed.duration"):
                    continue
                for p in metric.data.data_points:
                    row = {
                        k: v
                        for k, v in vars(p).items()
                        if k not in ("start_time_unix_nano", "time_unix_nano", "exemplars")
                    }
                    row["attributes"] = sorted((p.attributes or {}).items())
                    row["buckets"] = repr(getattr(p, "positive", None))
                    out.append(repr(sorted(row.items())))
    return sorted(out)


class TestInTheBot:
    def test_commands_take_the_fast_path(self, otel: Any, instrument: Any) -> None:
        """A real bot's commands go through the tally, and the points are the commands'."""
        from otel_discord.instrumentation import _state
        from tests.instrumentation.test_command_numbers import histogram, point, run

        instrument()
        recorder = _state.current
        assert recorder is not None
        tally = recorder.command_duration
        assert isinstance(tally, ht.HistogramTally)
        run(lambda world: [world.say("!nap") for _ in range(2)])
        assert tally.fast
        _, points = histogram(otel)
        assert 2 == point(points, name="nap").count


def record_row(side: Side, value: Any, attributes: Any = PING) -> None:
    """``record_row`` with the row key the command path keeps (the SDK side: ``record``)."""
    if isinstance(side.sink, ht.HistogramTally):
        key = tuple(attributes.items()) if attributes else ()
        side.sink.record_row(value, key, attributes)
    else:
        side.sink.record(value, attributes)


class TestRecordRow:
    """``record_row``, the command path's record with its tally row's key: the same points."""

    def test_known_values_are_the_sdks(self) -> None:
        sides = pair()
        for index, value in enumerate(VALUES):
            both(sides, lambda side, v=value, i=index: record_row(side, v, PING if i % 2 else FAIL))
        assert 2 == len(assert_same(sides))
        assert fast(sides[1])

    def test_the_callers_key_is_kept(self) -> None:
        """The first record keeps the caller's key object: later lookups match by identity."""
        _, ours = pair()
        tally = ours.sink
        assert isinstance(tally, ht.HistogramTally)
        key = tuple(PING.items())
        tally.record_row(0.5, key, PING)
        tally.record_row(0.25, key, PING)
        assert [key] == [k for k in tally._sets if k is key]
        [point] = ours.collect()
        assert (2, 0.75) == (point.count, point.sum)

    def test_sampled_span_gets_its_exemplar(self) -> None:
        tracer = TracerProvider().get_tracer("t")
        sides = pair()
        both(sides, lambda side: record_row(side, 0.05))
        with tracer.start_as_current_span("outer") as span:
            both(sides, lambda side: record_row(side, 0.3))
        both(sides, lambda side: record_row(side, 0.07))
        [point] = assert_same(sides)
        assert [span.get_span_context().span_id] == [e.span_id for e in point.exemplars]

    @pytest.mark.parametrize(
        ("value", "attributes"),
        [(3, PING), (-0.5, PING), (math.inf, PING), (0.5, None), (0.5, {"list": ["a", "b"]})],
        ids=["int", "negative", "inf", "no-attributes", "list"],
    )
    def test_unusual_input_same_as_sdk(self, value: Any, attributes: Any) -> None:
        sides = pair()
        both(sides, lambda side: record_row(side, 0.25))
        both(sides, lambda side: record_row(side, value, attributes))
        both(sides, lambda side: record_row(side, 0.125))
        assert_same(sides)

    def test_no_key_takes_the_sdks_record(self) -> None:
        sides = pair()
        both(sides, lambda side: record_row(side, 0.25))
        sdk, ours = sides
        for attributes in (PING, FAIL):
            sdk.sink.record(0.5, attributes)
            ours.sink.record_row(0.5, None, attributes)  # type: ignore[attr-defined]
        points = assert_same(sides)
        assert [(1, 0.5), (2, 0.75)] == sorted((p.count, p.sum) for p in points)


class TestFinishRecords:
    def test_an_sdk_histogram_gets_record(self, otel: Any, instrument: Any) -> None:
        """Without a tally (the SDK's histogram), the command path calls its ``record``."""
        from otel_discord.instrumentation import _state
        from tests.instrumentation.test_command_numbers import histogram, point, run

        instrument()
        recorder = _state.current
        assert recorder is not None
        tally = recorder.command_duration
        assert isinstance(tally, ht.HistogramTally)
        recorder.command_duration = tally._histogram
        run(lambda world: [world.say("!nap") for _ in range(2)])
        _, points = histogram(otel)
        nap = point(points, name="nap")
        assert 2 == nap.count
        assert 0 < nap.sum < 1.0  # seconds: two short naps


@pytest.mark.skipif(not hasattr(os, "fork"), reason="POSIX fork")
def test_forked_child_records_while_parent_thread_held_the_lock() -> None:
    """A lock another thread held at the fork would stay held in the child for ever."""
    side = Side(tally=True)
    tally = side.sink
    assert isinstance(tally, ht.HistogramTally)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with tally._lock:
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    pid = os.fork()
    if pid == 0:  # the child: record and collect under the renewed lock, then leave
        code = 1
        try:
            if tally._lock.acquire(timeout=2):
                tally._lock.release()
                side.record(0.25)
                code = 0 if [p.count for p in side.collect()] == [1] else 2
        finally:
            os._exit(code)
    release.set()
    holder.join(5)
    _, status = os.waitpid(pid, 0)
    assert 0 == os.waitstatus_to_exitcode(status)
