"""``DiscordSpanProcessor``: the Discord span exporter's processor, with no worker thread.

Why not the SDK's ``BatchSpanProcessor``: its worker thread, woken every 512 spans,
then waits for the GIL, and a busy asyncio loop drops and retakes the GIL at every
``epoll_wait``: each drop wakes the waiter for nothing (a futex wake and a context
switch on both threads), so the worker starves while the loop pays kernel time every
iteration (a GIL convoy; ``benchmarks/bench_span_worker_wakeups.py``). The Discord
exporter's intake needs no thread of its own: it counts spans into the analytics
window and queues error spans; HTTP happens on the pipeline's sender threads.

So ``on_end`` (on the thread ending the span) appends the span to a small deque
(GIL-atomic, no lock), and every :data:`BATCH_SIZE` spans that thread hands the
buffered spans to the intake in one call. The pipeline's lock can be held for a
while (metric history, chart drawing), so that hand-over never waits for it: while
it is held the spans stay buffered, up to :data:`MAX_BUFFERED`, past which the
hand-over waits rather than lose counts. Error spans wait in a deque of their own
for :data:`ERROR_GRACE_S` and go from the pipeline's scheduler thread (which runs
anyway) within 3 s, after the log record of the same exception (the batch
processor's delay was 5 s). That thread also hands over what is left every second,
and everything before each analytics window closes; ``force_flush`` and ``shutdown``
hand over everything.

It is a ``SimpleSpanProcessor`` with the SDK's no-op ``on_start``/``_on_ending``, so the
instrumentation's cheap command spans (``_command_spans._cheap``) still apply.
"""

from __future__ import annotations

import contextlib
import weakref
from collections import deque
from time import monotonic
from typing import Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import SpanContext, StatusCode, TraceFlags

from otel_discord.exporters.traces import DiscordSpanExporter
from otel_discord.fork_safety import reset_after_fork
from otel_discord.intake.convert import EXCEPTION_EVENT
from otel_discord.state.span_fields import PLAIN_STATUS, FieldReader

BATCH_SIZE: Final = 64
"""Spans handed to the intake per call. Under cachegrind (``profile_hot_path.py
--variants ours-discord``, ``BENCH_SPAN_BATCH``), a hand-over per span costs ~20k more
instructions per command than batches; 8 about 3k more; 32 to 512 are level (within
the ±3k noise): 64 amortises the intake's lock and calls and keeps the buffer small."""
MAX_BUFFERED: Final = 2048
"""Spans kept while the pipeline is busy; past this the hand-over waits for the lock."""
ERROR_GRACE_S: Final = 2.0
"""How long an error span waits before the scheduler hands it over (so 2 to 3 s after it
ended; the batch processor took up to 5 s). The library's log record of the same
exception (the logs processor exports within 1 s by default) then arrives first and is
the one shown, as before: the span's record of that exception is skipped as a repeat."""


_SAMPLED_BIT: Final = int(TraceFlags.SAMPLED)
_ERROR: Final = StatusCode.ERROR
_STATUS: Final = FieldReader("status")
"""A span's status without a property call (``on_end`` classifies every span)."""


class DiscordSpanProcessor(SimpleSpanProcessor):
    """Hands ended spans to a :class:`DiscordSpanExporter` on the ending thread, in batches.

    Args:
        span_exporter: the Discord span exporter whose intake receives the spans.
        batch_size: spans per hand-over (error spans go within seconds, on the scheduler).
    """

    def __init__(self, span_exporter: DiscordSpanExporter, *, batch_size: int = BATCH_SIZE):
        super().__init__(span_exporter)
        self._exporter = span_exporter
        self._buffer: deque[ReadableSpan] = deque()
        self._errors: deque[tuple[float, ReadableSpan]] = deque()
        """Error spans with when they ended (monotonic), oldest first."""
        self._batch_size = max(1, batch_size)
        self._closed = False
        pipeline = span_exporter.pipeline
        ref = weakref.WeakMethod(self._hand_over_all)
        tick_ref = weakref.WeakMethod(self._tick)

        def drain() -> None:  # weak: the pipeline may outlive this processor
            hand_over = ref()
            if hand_over is not None:
                hand_over()

        def tick() -> None:
            run = tick_ref()
            if run is not None:
                run()

        self._drain = drain
        self._each_second = tick
        pipeline.drains.append(drain)  # before an analytics window closes
        pipeline.each_second.append(tick)  # no wake-up of the scheduler of its own
        reset_after_fork(self)

    def after_fork_in_child(self) -> None:
        """The buffered spans are the parent's (it counts them): the child starts empty."""
        self._buffer.clear()
        self._errors.clear()

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        # The API's SpanContext is a tuple whose [3] is trace_flags: read it without the
        # two property calls (trace_flags, sampled) the SDK's processors make per span.
        if type(context) is SpanContext:
            if not context[3] & _SAMPLED_BIT or self._closed:
                return
        elif not (context and context.trace_flags.sampled) or self._closed:
            return
        # span_is_error(span), inline (a frame less per span): an error status or an
        # exception event; the SDK's ``events`` copies its list, so an empty own list is
        # taken at its word.
        read = _STATUS.by_type.get(type(span)) or _STATUS.learn(type(span))
        status = read(span)
        code = status._status_code if type(status) is PLAIN_STATUS else status.status_code
        own = getattr(span, "_events", None)
        if code is _ERROR or (
            (own is None or own) and any(event.name == EXCEPTION_EVENT for event in span.events)
        ):
            errors = self._errors
            errors.append((monotonic(), span))
            pipeline = self._exporter.pipeline
            pipeline.learn_resource(span.resource)  # the start-up notice names the service
            pipeline.start()  # the scheduler that hands errors over
            held = len(errors)
            if held >= MAX_BUFFERED:  # an error storm: no more grace; past the cap, wait
                self._hand_over(wait=held > MAX_BUFFERED, errors_until=float("inf"))
            return
        buffer = self._buffer
        buffer.append(span)
        held = len(buffer)
        # Every batch_size-th span (not every span past it: while the pipeline is busy the
        # buffer is only retried once per batch), and waiting for the lock at the cap.
        if held % self._batch_size == 0 or held >= MAX_BUFFERED:
            self._hand_over(wait=held >= MAX_BUFFERED)

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        self._hand_over_all()
        return True

    def shutdown(self) -> None:
        if self._closed:
            return
        self._hand_over_all()
        self._closed = True
        self._shutdown = True
        with contextlib.suppress(ValueError):  # removed already
            self._exporter.pipeline.drains.remove(self._drain)
        with contextlib.suppress(ValueError):
            self._exporter.pipeline.each_second.remove(self._each_second)
        self._exporter.shutdown()

    def _hand_over_all(self) -> None:
        self._hand_over(wait=True, errors_until=float("inf"))

    def _tick(self) -> None:
        """The scheduler's: everything buffered, and the error spans past their grace."""
        self._hand_over(wait=True, errors_until=monotonic() - ERROR_GRACE_S)

    def _hand_over(self, *, wait: bool, errors_until: float | None = None) -> None:
        """Give the buffered spans (and the error spans that ended by ``errors_until``)
        to the intake in one call; keep them if it is busy.

        The buffer holds only spans ``on_end`` found not errors: they go as ``ok_spans``,
        so the intake neither classifies them again nor routes them (default rules).
        Safe on several threads at once: each takes the spans it pops (popleft is atomic).
        """
        ok: list[ReadableSpan] = []
        pop = self._buffer.popleft
        try:
            while True:
                ok.append(pop())
        except IndexError:
            pass
        due: list[tuple[float, ReadableSpan]] = []
        if errors_until is not None:
            errors = self._errors
            try:
                while errors[0][0] <= errors_until:
                    due.append(errors.popleft())
            except IndexError:
                pass
        if not (ok or due):
            return
        if not self._exporter.take([span for _, span in due], wait=wait, ok_spans=ok):
            # The pipeline is busy: next time (the errors, past their grace, at the next tick).
            self._buffer.extendleft(reversed(ok))
            self._errors.extendleft(reversed(due))


def span_processor_for(exporter: SpanExporter) -> SimpleSpanProcessor | BatchSpanProcessor:
    """The processor ``opentelemetry-instrument`` gives each traces exporter.

    Ours for the Discord exporter; the SDK's ``BatchSpanProcessor`` for any other
    (``OTEL_TRACES_EXPORTER=discord,console``): their exports do I/O.
    """
    if isinstance(exporter, DiscordSpanExporter):
        return DiscordSpanProcessor(exporter)
    return BatchSpanProcessor(exporter)
