"""``DiscordSpanExporter``: error spans to the logs channel at once, every span into analytics."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_discord.exporters._base import DiscordExporterBase
from otel_discord.intake.convert import occurrence_from_span, span_is_error


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
        pipeline.add_spans(spans)
        for span in spans:
            error = span_is_error(span)
            scope = span.instrumentation_scope.name if span.instrumentation_scope else ""
            channel = self._core.router.route(
                "spans", scope=scope, name=span.name, attributes=span.attributes, is_error=error
            )
            if channel is not None:
                pipeline.submit_error(
                    channel,
                    occurrence_from_span(span, pipeline.service, pipeline.host),
                    from_span=True,
                )
        return SpanExportResult.SUCCESS
