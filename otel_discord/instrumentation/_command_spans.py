"""Command spans that are the SDK's own ``ReadableSpan``, without the SDK span's overhead.

The SDK's ``Span`` is ``class Span(trace_api.Span, ReadableSpan)``: a ReadableSpan
with a lock, a mutable bounded attribute copy, bounded event and link lists, the
tracer's self-metrics, and on ``end()`` one more ``ReadableSpan`` copy for the
processors. ``CommandSpan`` is the same kind of object with only what a command
needs: it sets the ReadableSpan fields directly (the attributes are one immutable
``BoundedAttributes`` per command shape, honouring the provider's span limits, copied
on the first write; events and links are bounded lists made on the first one), and
``end()`` hands the span itself to each processor's ``on_end`` on the calling
thread, as the SDK's ``Span.end`` does. A ``BatchSpanProcessor``'s ``on_end`` is a
sampled check and a deque append.

This path is taken only when every processor of the provider is a
``BatchSpanProcessor`` or a ``SimpleSpanProcessor`` whose ``on_start`` and
``_on_ending`` are the SDK's own no-ops (so no processor misses a call), the SDK's
span self-metrics are off, and the installed SDK's ``ReadableSpan`` has exactly the
fields set here and its ``SpanContext`` is the tuple built here (checked once per
provider by building one of each). Any other setup (a
custom processor, a proxy tracer not yet backed by the SDK, a changed SDK) gets the
SDK's ordinary ``start_span``. No span thread, no buffer: what a processor receives
and when is what the SDK's path gives.
"""

from __future__ import annotations

import random
import traceback
from collections.abc import Mapping
from time import time_ns
from types import TracebackType
from typing import Any, Final

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, Tracer
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import DEFAULT_ON, Decision
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import (
    DEFAULT_TRACE_STATE,
    Link,
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)
from opentelemetry.util import types

from otel_discord.instrumentation._active_span import _RUNTIME, _SPAN_KEY, _VAR
from otel_discord.instrumentation._safety import swallow

try:  # the SDK's span self-metrics (1.45): counted only on the SDK's own path
    from opentelemetry.sdk.trace._tracer_metrics import NoOpTracerMetrics
except ImportError:  # pragma: no cover - an SDK without them: take the SDK's path
    NoOpTracerMetrics = None  # type: ignore[assignment,misc]

FIELDS: Final = frozenset(
    {
        "_name",
        "_context",
        "_kind",
        "_instrumentation_info",
        "_instrumentation_scope",
        "_parent",
        "_start_time",
        "_end_time",
        "_attributes",
        "_events",
        "_links",
        "_resource",
        "_status",
    }
)
"""The ``ReadableSpan`` fields ``CommandSpan`` sets; the SDK's must be the same set."""
_OURS: Final = frozenset({"_adoption", "_shared", "context"})
"""``CommandSpan``'s fields beyond ``FIELDS``."""

_BOUNDED_CACHED: Final = 4096
"""Attribute mappings whose bounded copy is kept (the mapping is kept too, so its id
stays its own); the cache starts over when full."""
_UNSET: Final = Status(StatusCode.UNSET)
_SAMPLED: Final = TraceFlags(TraceFlags.SAMPLED)
_SAMPLED_RANDOM: Final = TraceFlags(TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID)
_MAX_TRACE_ID: Final = 2**128 - 1
_MAX_SPAN_ID: Final = 2**64 - 1
_new_tuple: Final = tuple.__new__
_new_object: Final = object.__new__
_CHEAP_PROCESSORS: Final = (BatchSpanProcessor, SimpleSpanProcessor)


class Adoption:
    """What every command span of one adopted provider shares: its processors and limits."""

    __slots__ = ("bounded", "info", "limits", "multi", "scope")

    def __init__(self, tracer: Tracer, limits: SpanLimits) -> None:
        self.multi: Any = tracer.span_processor
        """The provider's processors; ``end`` reads its tuple then, as ``Span.end`` does."""
        self.limits = limits
        self.scope = tracer._instrumentation_scope
        self.info = tracer.instrumentation_info
        self.bounded: dict[int, tuple[Mapping[str, Any], BoundedAttributes]] = {}

    def shared(self, attributes: Mapping[str, Any]) -> BoundedAttributes:
        """The span limits applied, once per (long-lived, per-command) mapping; immutable."""
        cached = self.bounded.get(id(attributes))
        if cached is not None and cached[0] is attributes:
            return cached[1]
        limits = self.limits
        bounded = BoundedAttributes(
            limits.max_span_attributes,
            attributes,
            immutable=True,
            max_value_len=limits.max_span_attribute_length,
        )
        if len(self.bounded) >= _BOUNDED_CACHED:
            self.bounded.clear()
        self.bounded[id(attributes)] = (attributes, bounded)
        return bounded

    def own(self, attributes: Mapping[str, Any] | None) -> BoundedAttributes:
        """A span's own mutable copy, as the SDK's ``Span`` makes one."""
        limits = self.limits
        return BoundedAttributes(
            limits.max_span_attributes,
            attributes,
            immutable=False,
            max_value_len=limits.max_span_attribute_length,
        )


class CommandSpan(Span, ReadableSpan):
    """A recording span that is its own ``ReadableSpan`` and ends straight into the processors."""

    context: SpanContext | None = None
    """``ReadableSpan.context`` (``_context``) as a plain attribute, set once: the SDK's
    processors read it twice in ``on_end``, a property call each."""

    def __init__(  # noqa: PLR0917  # positional: keywords cost 3k instructions a call
        self,
        adoption: Adoption,
        name: str,
        kind: SpanKind,
        context: SpanContext,
        parent: SpanContext | None,
        resource: Any,
        attributes: BoundedAttributes,
        shared: Mapping[str, types.AttributeValue] | None,
    ) -> None:
        # ReadableSpan's fields (FIELDS), set as ReadableSpan.__init__ would.
        self._name = name
        self._context = context
        self._kind = kind
        self._instrumentation_info = adoption.info
        self._instrumentation_scope = adoption.scope
        self._parent = parent
        self._start_time: int | None = time_ns()
        self._end_time: int | None = None
        self._attributes = attributes
        self._events: Any = ()
        self._links: Any = ()
        self._resource = resource
        self._status = _UNSET
        # Ours.
        self.context = context
        self._adoption = adoption
        self._shared = shared
        """The mapping ``_attributes`` is the shared bounded copy of, until the first write."""

    def __repr__(self) -> str:
        return f'{type(self).__name__}(name="{self._name}", context={self._context})'

    def get_span_context(self) -> SpanContext:
        return self._context  # type: ignore[return-value]  # set from a SpanContext

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_attributes(self, attributes: Mapping[str, types.AttributeValue]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_attribute(self, key: str, value: types.AttributeValue) -> None:
        if self._end_time is not None:
            return
        if self._shared is not None:  # copy on first write, from what the SDK copies
            self._attributes = self._adoption.own(self._shared)
            self._shared = None
        self._attributes[key] = value  # type: ignore[index]  # a mutable BoundedAttributes

    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        if self._end_time is not None:
            return
        limits = self._adoption.limits
        bounded = BoundedAttributes(
            limits.max_event_attributes,
            attributes,
            max_value_len=limits.max_attribute_length,
            immutable=True,
        )
        if not isinstance(self._events, BoundedList):
            self._events = BoundedList(limits.max_events)
        self._events.append(Event(name=name, attributes=bounded, timestamp=timestamp))

    def add_link(self, context: SpanContext, attributes: types.Attributes = None) -> None:
        if self._end_time is not None:
            return
        # The SDK's validity rule (_is_valid_link).
        if not (context and (context.is_valid or (attributes or context.trace_state))):
            return
        limits = self._adoption.limits
        bounded = BoundedAttributes(
            limits.max_link_attributes,
            attributes,
            max_value_len=limits.max_attribute_length,
            immutable=True,
        )
        if not isinstance(self._links, BoundedList):
            self._links = BoundedList(limits.max_links)
        self._links.append(Link(context, bounded))

    def update_name(self, name: str) -> None:
        if self._end_time is None:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        # The SDK's rules: UNSET is ignored, OK is final.
        if self._end_time is not None or self._status.status_code is StatusCode.OK:
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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        # As the SDK's Span used as a context manager: the exception and an error status.
        if exc_val is not None and self._end_time is None:
            self.record_exception(exc_val, escaped=True)
            self.set_status(Status(StatusCode.ERROR, f"{type(exc_val).__name__}: {exc_val}"))
        self.end()

    def end(self, end_time: int | None = None) -> None:
        if self._end_time is not None:
            return
        self._end_time = end_time if end_time is not None else time_ns()
        if self._shared is None:
            self._attributes._immutable = True  # type: ignore[union-attr]  # as Span.end
        for processor in self._adoption.multi._span_processors:
            try:  # one failing processor neither reaches the bot nor starves the others
                processor.on_end(self)
            except Exception as exc:
                swallow("command span end", exc)


def _cheap(processor: Any) -> bool:
    """A batching or simple processor whose start and ending hooks are the SDK's no-ops."""
    for base in _CHEAP_PROCESSORS:
        if isinstance(processor, base):
            kind = type(processor)
            return kind.on_start is base.on_start and getattr(kind, "_on_ending", None) is getattr(
                base, "_on_ending", None
            )
    return False


def same_shapes(resource: Any) -> bool:
    """Whether the installed SDK's objects are laid out as ``CommandSpan`` builds them.

    Its ``ReadableSpan`` has exactly the fields we set, and a ``SpanContext`` is the
    tuple we make without calling its ``__new__``.
    """
    try:
        probe = ReadableSpan(name="otel-discord probe", resource=resource)
        if set(vars(probe)) != FIELDS:
            return False
        flags = TraceFlags(TraceFlags.SAMPLED)
        made = SpanContext(1, 2, False, flags, None)
        ours = _new_tuple(SpanContext, (1, 2, False, flags, DEFAULT_TRACE_STATE, True))
        return tuple(made) == tuple(ours) and made[4] is ours[4] and made.is_valid
    except Exception:  # a changed constructor or slots: not ours to guess
        return False


class CommandSpans:
    """Starts command spans: ``CommandSpan`` when the provider allows it, else the SDK's."""

    def __init__(self) -> None:
        self._tracer: Tracer | None = None
        self._seen: object = None
        self._config: object = None
        self._adoption: Adoption | None = None

    def start(  # noqa: PLR0912, PLR0915 (flat on purpose: it runs once per command)
        self,
        tracer: trace.Tracer,
        name: str,
        kind: SpanKind,
        attributes: Mapping[str, types.AttributeValue],
    ) -> Span:
        """A span for one command run."""
        sdk = tracer if type(tracer) is Tracer else _sdk_tracer(tracer)
        if sdk is None:
            return tracer.start_span(name, kind=kind, attributes=attributes)
        adoption = self._adoption
        if (
            sdk is not self._tracer
            or getattr(sdk.span_processor, "_span_processors", None) is not self._seen
            or getattr(sdk, "_tracer_config", None) is not self._config
        ):
            adoption = self._adopt(sdk)
        if adoption is None:
            return tracer.start_span(name, kind=kind, attributes=attributes)
        # trace.get_current_span(), without its four calls under the default runtime.
        if _VAR is not None and _SPAN_KEY is not None and otel_context._RUNTIME_CONTEXT is _RUNTIME:
            current = _VAR.get().get(_SPAN_KEY)
        else:
            current = trace.get_current_span()
        parent: SpanContext | None = None
        if current is not None and isinstance(current, Span):  # None: no ABC check
            parent = current.get_span_context()
            if parent is not None and not parent.is_valid:
                parent = None
        ids = sdk.id_generator
        sampler = sdk.sampler
        shared: Mapping[str, types.AttributeValue] | None = attributes
        random_ids = type(ids) is RandomIdGenerator
        if parent is None and sampler is DEFAULT_ON:
            # The default sampler's answer for a root span, without asking it:
            # record and sample, the span's own attributes, no trace state.
            if random_ids:  # its generate_trace_id, without the call: nonzero random bits
                trace_id = random.getrandbits(128) or ids.generate_trace_id()
                flags = _SAMPLED_RANDOM
            else:
                trace_id = ids.generate_trace_id()
                flags = _SAMPLED_RANDOM if ids.is_trace_id_random() else _SAMPLED
            trace_state = DEFAULT_TRACE_STATE
        else:
            trace_id = parent.trace_id if parent is not None else ids.generate_trace_id()
            result = sampler.should_sample(None, trace_id, name, kind, attributes, ())
            decision = result.decision
            bits = TraceFlags.SAMPLED if decision is Decision.RECORD_AND_SAMPLE else 0
            if (
                parent.trace_flags.random_trace_id
                if parent is not None
                else ids.is_trace_id_random()
            ):
                bits |= TraceFlags.RANDOM_TRACE_ID
            flags = TraceFlags(bits)
            trace_state = DEFAULT_TRACE_STATE if result.trace_state is None else result.trace_state
            if decision is Decision.DROP:
                return NonRecordingSpan(
                    SpanContext(trace_id, ids.generate_span_id(), False, flags, trace_state)
                )
            if result.attributes != attributes:  # the sampler's own: a span-owned copy
                shared = None
                bounded = adoption.own(result.attributes)
        if shared is not None:
            cached = adoption.bounded.get(id(shared))
            bounded = (
                cached[1] if cached is not None and cached[0] is shared else adoption.shared(shared)
            )
        if random_ids:
            span_id = random.getrandbits(64) or ids.generate_span_id()
            # getrandbits(128) and (64) are in range and nonzero (a zero is drawn again):
            # the validity check below would always be true.
            valid = True
        else:
            span_id = ids.generate_span_id()
            valid = 0 < trace_id <= _MAX_TRACE_ID and 0 < span_id <= _MAX_SPAN_ID
        # SpanContext(trace_id, span_id, False, flags, trace_state) without its __new__
        # (the same tuple; checked at adoption by same_shapes).
        context = _new_tuple(SpanContext, (trace_id, span_id, False, flags, trace_state, valid))
        # CommandSpan.__init__'s statements, inline: a class call runs __init__ from C,
        # about 1k instructions more per command than these stores (same fields, same
        # order: test_command_spans' TestSdkDrift compares them).
        span = _new_object(CommandSpan)
        span._name = name
        span._context = context
        span._kind = kind
        span._instrumentation_info = adoption.info
        span._instrumentation_scope = adoption.scope
        span._parent = parent
        span._start_time = time_ns()
        span._end_time = None
        span._attributes = bounded
        span._events = ()
        span._links = ()
        span._resource = sdk.resource
        span._status = _UNSET
        span.context = context
        span._adoption = adoption
        span._shared = shared
        return span

    def _adopt(self, tracer: Tracer) -> Adoption | None:
        """Decide once per provider, processor set and tracer config; None: the SDK's path."""
        multi = tracer.span_processor
        processors = getattr(multi, "_span_processors", None)
        self._tracer = tracer
        self._seen = processors
        self._config = getattr(tracer, "_tracer_config", None)
        self._adoption = None
        limits = getattr(tracer, "_span_limits", None)
        enabled = getattr(tracer, "_is_enabled", None)
        if (
            not isinstance(processors, tuple)
            or not processors
            or not all(_cheap(p) for p in processors)
            or not isinstance(limits, SpanLimits)
            or not hasattr(tracer, "_instrumentation_scope")
            or enabled is None
            or not enabled()
            or NoOpTracerMetrics is None
            or not isinstance(getattr(tracer, "_tracer_metrics", None), NoOpTracerMetrics)
            or not same_shapes(tracer.resource)
        ):
            return None
        adoption = Adoption(tracer, limits)
        try:  # one of ours, unended: it must build (an API with new abstract methods would not)
            probe = CommandSpan(
                adoption,
                "otel-discord probe",
                SpanKind.INTERNAL,
                trace.INVALID_SPAN_CONTEXT,
                None,
                tracer.resource,
                adoption.own(None),
                None,
            )
        except Exception:
            return None
        if set(vars(probe)) - _OURS != FIELDS:
            return None
        self._adoption = adoption
        return adoption

    def close(self) -> None:
        """Forget the adopted provider (spans end straight into processors: nothing waits)."""
        self._tracer = None
        self._seen = None
        self._config = None
        self._adoption = None


def _sdk_tracer(tracer: trace.Tracer) -> Tracer | None:
    """The SDK tracer behind ``tracer`` (itself, or a resolved ProxyTracer's), else None."""
    if isinstance(tracer, Tracer):
        return tracer
    real = getattr(tracer, "_real_tracer", None)
    return real if isinstance(real, Tracer) else None
