"""Command spans whose SDK object is built off the event loop.

On the bot's loop a command span is only what its children and logs need: ids from
the provider's id generator, the provider's sampler decision and a ``SpanContext``,
plus the few fields a command sets (name, kind, times, attributes, status, the
exception event). When it ends it goes into a bounded buffer; a daemon thread turns
each entry into the SDK's ``ReadableSpan`` (the provider's resource, our
instrumentation scope, its span limits) and hands it to the provider's processors'
``on_end``, as ``Span.end`` would have.

This is done only when every processor of the provider is a ``BatchSpanProcessor``:
those export from their own thread anyway, so nothing a user can see arrives later.
Any other setup (``SimpleSpanProcessor``, a custom processor, a proxy tracer that is
not yet backed by the SDK) gets the SDK's ordinary ``start_span``.

What changes for processors: ``on_start`` is not called for these spans (the span
object ``on_start`` would receive is never built), and ``on_end`` runs on the
buffer's thread, up to ``_INTERVAL`` seconds after the command ended. A flush or
shutdown of the provider drains the buffer first (a processor put first in the
provider's list). The SDK's own span self-metrics do not count these spans.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanProcessor, Tracer
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import DEFAULT_ON, Decision
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.util import types

from otel_discord.instrumentation._safety import swallow

_LIMIT: Final = 8192
"""Ended spans waiting for the thread; past that a span is dropped and counted."""
_INTERVAL: Final = 0.2
"""Seconds between drains (a BatchSpanProcessor waits 5 s before exporting anyway)."""
_WAKE_EVERY: Final = 512
"""Wake the thread early once this many spans wait."""
_BOUNDED_CACHED: Final = 4096
"""Attribute mappings whose bounded copy is kept (the mapping is kept too, so its id
stays its own); the cache starts over when full."""
_UNSET: Final = Status(StatusCode.UNSET)


class DeferredSpan(Span):
    """A recording span that keeps its fields and is built by the sink when it ends."""

    __slots__ = (
        "_attributes",
        "_context",
        "_end",
        "_events",
        "_kind",
        "_name",
        "_owned",
        "_parent",
        "_sink",
        "_start",
        "_status",
    )

    def __init__(
        self,
        sink: SpanSink,
        *,
        name: str,
        kind: SpanKind,
        context: SpanContext,
        parent: SpanContext | None,
        attributes: Mapping[str, types.AttributeValue],
    ) -> None:
        self._sink = sink
        self._name = name
        self._kind = kind
        self._context = context
        self._parent = parent
        self._attributes: Mapping[str, types.AttributeValue] = attributes
        self._owned = False
        self._events: list[Event] | None = None
        self._status = _UNSET
        self._end: int | None = None
        self._start = time.time_ns()

    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return self._end is None

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if self._end is not None:
            return
        if not self._owned:  # the shape's mapping is shared: copy on first write
            self._attributes = dict(self._attributes)
            self._owned = True
        self._attributes[key] = value  # type: ignore[index]

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        if self._end is not None:
            return
        limits = self._sink.limits
        bounded = BoundedAttributes(
            limits.max_event_attributes,
            attributes,
            max_value_len=limits.max_attribute_length,
            immutable=True,
        )
        if self._events is None:
            self._events = []
        self._events.append(Event(name=name, attributes=bounded, timestamp=timestamp))

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        return None  # command spans carry no links

    def update_name(self, name: str) -> None:
        if self._end is None:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        # The SDK's rules: UNSET is ignored, OK is final.
        if self._end is not None or self._status.status_code is StatusCode.OK:
            return
        if isinstance(status, StatusCode):
            status = Status(status, description)
        if status.status_code is not StatusCode.UNSET:
            self._status = status

    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        # The same event the SDK's Span.record_exception builds.
        module = type(exception).__module__
        qualname = type(exception).__qualname__
        event: dict[str, types.AttributeValue] = {
            "exception.type": f"{module}.{qualname}"
            if module and module != "builtins"
            else qualname,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        if attributes:
            event.update(attributes)
        self.add_event("exception", event, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._end is None:
            self._end = end_time if end_time is not None else time.time_ns()
            self._sink.push(self)


class _DrainFirst(SpanProcessor):
    """Put first among the provider's processors: a flush or shutdown drains the buffer."""

    def __init__(self, sink: SpanSink) -> None:
        self.sink = sink

    def shutdown(self) -> None:
        self.sink.drain()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        self.sink.drain()
        return True


class SpanSink:
    """Starts command spans; builds and delivers the deferred ones from a thread."""

    def __init__(self, limit: int = _LIMIT, interval: float = _INTERVAL) -> None:
        self.limit = limit
        self.interval = interval
        self.dropped = 0
        """Spans dropped because the buffer was full."""
        self.limits: Any = None
        self._pending: deque[DeferredSpan] = deque()
        self._tracer: Tracer | None = None
        self._seen: object = None
        self._processors: Sequence[SpanProcessor] = ()
        self._drain_lock = threading.Lock()
        self._bounded_cache: dict[int, tuple[Mapping[str, Any], BoundedAttributes]] = {}
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._multi: Any = None
        method = weakref.WeakMethod(self._after_fork)
        os.register_at_fork(after_in_child=lambda: (call := method()) and call())

    def _after_fork(self) -> None:
        """In a forked child the thread is gone: start a new one with the next span."""
        self._thread = None
        self._drain_lock = threading.Lock()
        self._wake = threading.Event()

    def start(
        self,
        tracer: trace.Tracer,
        name: str,
        kind: SpanKind,
        attributes: Mapping[str, types.AttributeValue],
    ) -> Span:
        """A span for one command run, deferred when the provider allows it."""
        sdk = self._deferrable(tracer)
        if sdk is None:
            return tracer.start_span(name, kind=kind, attributes=attributes)
        parent: SpanContext | None = trace.get_current_span().get_span_context()
        if parent is not None and not parent.is_valid:
            parent = None
        ids = sdk.id_generator
        sampler = sdk.sampler
        if parent is None and sampler is DEFAULT_ON:
            # The default sampler's answer for a root span, without asking it:
            # record and sample, the span's own attributes, no trace state.
            trace_id = ids.generate_trace_id()
            flags = TraceFlags.SAMPLED
            trace_state = None
        else:
            trace_id = parent.trace_id if parent is not None else ids.generate_trace_id()
            result = sampler.should_sample(None, trace_id, name, kind, attributes, ())
            decision = result.decision
            sampled = decision is Decision.RECORD_AND_SAMPLE
            flags = TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT
            trace_state = result.trace_state
            if decision is Decision.DROP:
                return NonRecordingSpan(self._context(ids, trace_id, flags, parent, trace_state))
            attributes = result.attributes
        return DeferredSpan(
            self,
            name=name,
            kind=kind,
            context=self._context(ids, trace_id, flags, parent, trace_state),
            parent=parent,
            attributes=attributes,
        )

    @staticmethod
    def _context(
        ids: Any,
        trace_id: int,
        flags: int,
        parent: SpanContext | None,
        trace_state: Any,
    ) -> SpanContext:
        if parent.trace_flags.random_trace_id if parent is not None else ids.is_trace_id_random():
            flags |= TraceFlags.RANDOM_TRACE_ID
        return SpanContext(
            trace_id,
            ids.generate_span_id(),
            is_remote=False,
            trace_flags=TraceFlags(flags),
            trace_state=trace_state,
        )

    def _deferrable(self, tracer: trace.Tracer) -> Tracer | None:
        """The SDK tracer behind ``tracer`` if all its processors batch; else None."""
        if not isinstance(tracer, Tracer):
            real = getattr(tracer, "_real_tracer", None)  # a ProxyTracer once resolved
            if not isinstance(real, Tracer):
                return None
            tracer = real
        multi = tracer.span_processor
        processors = getattr(multi, "_span_processors", None)
        if processors is self._seen and tracer is self._tracer:
            return tracer if self._processors else None
        return self._adopt(tracer, multi, processors)

    def _adopt(self, tracer: Tracer, multi: Any, processors: Any) -> Tracer | None:
        self._tracer = tracer
        self._seen = processors
        self._processors = ()
        # The SDK internals read here (1.45): anything missing means the SDK's own path.
        limits = getattr(tracer, "_span_limits", None)
        enabled = getattr(tracer, "_is_enabled", None)
        if (
            not isinstance(processors, tuple)
            or limits is None
            or not hasattr(tracer, "_instrumentation_scope")
            or not hasattr(multi, "_lock")
            or enabled is None
            or not enabled()
        ):
            return None
        batching = [p for p in processors if not isinstance(p, _DrainFirst)]
        if not batching or not all(isinstance(p, BatchSpanProcessor) for p in batching):
            return None
        if not any(isinstance(p, _DrainFirst) and p.sink is self for p in processors):
            with multi._lock:  # put the drain first, once per provider
                multi._span_processors = (_DrainFirst(self), *multi._span_processors)
            self._seen = processors = multi._span_processors
        self._multi = multi
        self._processors = tuple(batching)
        self.limits = limits
        return tracer

    def push(self, span: DeferredSpan) -> None:
        """Queue an ended span (the hot path: one append, a wake-up now and then)."""
        pending = self._pending
        if len(pending) >= self.limit:
            self.dropped += 1
            return
        pending.append(span)
        if self._thread is None:
            self._start_thread()
        elif len(pending) % _WAKE_EVERY == 0:
            self._wake.set()

    def _start_thread(self) -> None:
        thread = threading.Thread(target=self._run, name="otel-discord-spans", daemon=True)
        self._thread = thread
        thread.start()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(self.interval)
            self._wake.clear()
            self.drain()

    def close(self) -> None:
        """Deliver what waits and stop the thread."""
        self._stop = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.drain()
        multi = self._multi
        if multi is not None:  # take our drain out of the provider's processors
            with multi._lock:
                multi._span_processors = tuple(
                    p
                    for p in multi._span_processors
                    if not (isinstance(p, _DrainFirst) and p.sink is self)
                )
            self._multi = None

    def drain(self) -> None:
        """Build every waiting span and hand it to the processors' ``on_end``."""
        with self._drain_lock:
            pending = self._pending
            tracer = self._tracer
            while pending:
                span = pending.popleft()
                try:
                    self._deliver(tracer, span)
                except Exception as exc:
                    swallow("command span delivery", exc)

    def _bounded(self, attributes: Mapping[str, Any], owned: bool) -> BoundedAttributes:
        """The span limits applied; one immutable result per shared (per-command) mapping."""
        cached = self._bounded_cache.get(id(attributes)) if not owned else None
        if cached is not None and cached[0] is attributes:
            return cached[1]
        limits = self.limits
        bounded = BoundedAttributes(
            limits.max_span_attributes,
            attributes,
            immutable=True,
            max_value_len=limits.max_span_attribute_length,
        )
        if not owned:
            if len(self._bounded_cache) >= _BOUNDED_CACHED:
                self._bounded_cache.clear()
            self._bounded_cache[id(attributes)] = (attributes, bounded)
        return bounded

    def _deliver(self, tracer: Tracer | None, span: DeferredSpan) -> None:
        if tracer is None:
            return
        readable = ReadableSpan(
            name=span._name,
            context=span._context,
            parent=span._parent,
            resource=tracer.resource,
            attributes=self._bounded(span._attributes, span._owned),
            events=tuple(span._events or ()),
            kind=span._kind,
            instrumentation_info=tracer.instrumentation_info,
            status=span._status,
            start_time=span._start,
            end_time=span._end,
            instrumentation_scope=tracer._instrumentation_scope,
        )
        for processor in self._processors:
            processor.on_end(readable)
