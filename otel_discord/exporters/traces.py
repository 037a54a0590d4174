"""``DiscordSpanExporter``: error spans to the logs channel at once, every span into analytics."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_discord.exporters._base import DiscordExporterBase
from otel_discord.intake.route import take_spans, try_take_spans


class DiscordSpanExporter(DiscordExporterBase, SpanExporter):
    """A span exporter for Discord.

    Args:
        config: resolved settings; if omitted, ``settings`` and the environment are used.
        rules: routing rules tried before the defaults.
        settings: keyword settings for :meth:`DiscordConfig.resolve` (``webhook_url=...``).
    """

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._core.is_shutdown:
            return SpanExportResult.FAILURE
        return self._core.guard(
            "span export", lambda: self._export(spans), SpanExportResult.FAILURE
        )

    def _export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        pipeline = self._core.pipeline
        if spans:
            pipeline.learn_resource(spans[0].resource)
        pipeline.start()
        take_spans(pipeline, self._core.router, spans, pipeline.origin)
        return SpanExportResult.SUCCESS

    def take(
        self,
        spans: Sequence[ReadableSpan],
        *,
        wait: bool = True,
        ok_spans: Sequence[ReadableSpan] = (),
    ) -> bool:
        """``export`` for :class:`~otel_discord.exporters.span_processor.DiscordSpanProcessor`.

        ``ok_spans`` are spans the processor found not errors (``span_is_error``): the
        intake counts them without classifying them again. Without ``wait``, returns False
        (nothing taken) while the pipeline's lock is held, so the bot's loop never waits
        for it. A failure is reported (``guard``) and the spans count as taken: retrying
        them could fail forever.
        """
        if self._core.is_shutdown or not (spans or ok_spans):
            return True
        return self._core.guard("span export", lambda: self._take(spans, ok_spans, wait), True)

    def _take(
        self, spans: Sequence[ReadableSpan], ok_spans: Sequence[ReadableSpan], wait: bool
    ) -> bool:
        pipeline = self._core.pipeline
        pipeline.learn_resource((ok_spans or spans)[0].resource)
        pipeline.start()
        router = self._core.router
        if wait:
            take_spans(pipeline, router, spans, pipeline.origin, ok_spans)
            return True
        taken = try_take_spans(pipeline, router, spans, pipeline.origin, ok_spans)
        return taken is not None
