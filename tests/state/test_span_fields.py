"""A span's fields in one read (``span_fields``) and the analytics window's span intake.

Real SDK spans and the instrumentation's ``CommandSpan``: the window must count the
same names, durations and error statuses whether a span's class is read through its
fields or its properties, and whether or not the caller says none of them failed.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

from otel_discord.intake.convert import span_is_error
from otel_discord.state.activity import MAX_DURATIONS, SAMPLER, ActivityWindow, SpanStats
from otel_discord.state.span_fields import FieldReader

T0 = 1_700_000_000_000_000_000
MS = 1_000_000


def ended_spans() -> list[ReadableSpan]:
    """Spans as the SDK hands them to processors: ok, error status, exception event only,
    an explicit OK, and one ending before it started."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({}), shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("astrobot")
    for index in range(MAX_DURATIONS + 40):  # past the sample's size: the round-robin too
        span = tracer.start_span("play", start_time=T0)
        span.end(end_time=T0 + (index % 97 + 1) * MS)
    failed = tracer.start_span("fail", start_time=T0)
    failed.set_status(Status(StatusCode.ERROR, "boom"))
    failed.end(end_time=T0 + 5 * MS)
    caught = tracer.start_span("caught", start_time=T0)
    caught.record_exception(ValueError("handled"))  # an error span, but not an error status
    caught.end(end_time=T0 + 7 * MS)
    fine = tracer.start_span("fine", start_time=T0)
    fine.set_status(Status(StatusCode.OK))
    fine.end(end_time=T0 + 2_500 * MS)
    backwards = tracer.start_span("backwards", start_time=T0)
    backwards.end(end_time=T0 - MS)
    provider.shutdown()
    return list(exporter.get_finished_spans())


SEED = 20261203


def stats(window: ActivityWindow) -> dict[str, tuple[int, int, list[float]]]:
    closed = window.close(T0)
    return {name: (s.count, s.errors, list(s.durations)) for name, s in closed.spans.items()}


def reference(spans: list[ReadableSpan]) -> dict[str, tuple[int, int, list[float]]]:
    """SpanStats.add over the public properties: what the window counted before.

    The reservoir past ``MAX_DURATIONS`` draws from ``SAMPLER``: both intakes start from
    the same seed, so they keep the same durations.
    """
    SAMPLER.seed(SEED)
    out: dict[str, SpanStats] = {}
    for span in spans:
        duration = ((span.end_time or 0) - (span.start_time or 0)) / 1e9
        error = span.status.status_code is StatusCode.ERROR
        out.setdefault(span.name, SpanStats()).add(max(0.0, duration), error)
    return {name: (s.count, s.errors, list(s.durations)) for name, s in out.items()}


class Renamed(ReadableSpan):
    """A ReadableSpan whose ``name`` property is its own: read through the property."""

    @property
    def name(self) -> str:
        return f"renamed {self._name}"


class TestFieldReader:
    def test_sdk_spans_read_from_fields(self) -> None:
        span = ended_spans()[0]
        reader = FieldReader("name", "start_time", "end_time", "status")
        read = reader.learn(type(span))
        assert (span.name, span.start_time, span.end_time, span.status) == read(span)
        assert read is reader.by_type[type(span)]
        assert read is reader._from_fields

    def test_an_overridden_property_is_called(self) -> None:
        span = Renamed(name="deploy", start_time=T0, end_time=T0 + MS)
        reader = FieldReader("name", "start_time", "end_time")
        assert ("renamed deploy", T0, T0 + MS) == reader.learn(Renamed)(span)
        assert reader.by_type[Renamed] is reader._from_properties

    def test_not_a_readable_span(self) -> None:
        reader = FieldReader("name")
        assert reader.learn(int) is reader._from_properties


class TestWindowIntake:
    def test_same_counts_as_span_stats_add(self) -> None:
        spans = ended_spans()
        window = ActivityWindow(0)
        SAMPLER.seed(SEED)
        window.add_spans(spans)
        got = stats(window)
        assert reference(spans) == got
        assert (1, 1) == got["fail"][:2]
        assert (1, 0) == got["caught"][:2]  # an exception event is no error status
        assert [2.5] == got["fine"][2]
        assert [0.0] == got["backwards"][2]
        assert MAX_DURATIONS + 40 == got["play"][0]

    def test_none_failed_counts_exactly_the_same(self) -> None:
        """The hand-over of spans known not to be errors: same counts and durations."""
        spans = ended_spans()
        ok = [span for span in spans if not span_is_error(span)]
        assert 2 == len(spans) - len(ok)
        window = ActivityWindow(0)
        SAMPLER.seed(SEED)
        window.add_spans(ok, none_failed=True)
        assert reference(ok) == stats(window)

    def test_overridden_property_counted_under_its_value(self) -> None:
        spans: list[Any] = [
            Renamed(name="deploy", start_time=T0, end_time=T0 + 3 * MS),
            Renamed(
                name="deploy", start_time=T0, end_time=T0 + 3 * MS, status=Status(StatusCode.ERROR)
            ),
        ]
        window = ActivityWindow(0)
        window.add_spans(spans[:1], none_failed=True)
        window.add_spans(spans[1:])
        assert {"renamed deploy": (2, 1, [0.003, 0.003])} == stats(window)


class AlwaysFailing(Status):
    """A Status subclass with its own ``status_code``: read through the property."""

    @property
    def status_code(self) -> StatusCode:
        return StatusCode.ERROR


class TestSpanIsError:
    def test_sdk_spans(self) -> None:
        by_name = {span.name: span_is_error(span) for span in ended_spans()}
        assert {"play": False, "fail": True, "caught": True, "fine": False} == {
            name: by_name[name] for name in ("play", "fail", "caught", "fine")
        }

    def test_status_subclass_is_asked(self) -> None:
        assert span_is_error(ReadableSpan(name="x", status=AlwaysFailing(StatusCode.UNSET)))
        assert not span_is_error(ReadableSpan(name="x", status=Status(StatusCode.UNSET)))
