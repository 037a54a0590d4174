"""``DiscordLogExporter``: grouped warnings and errors to logs; the bot's events to analytics."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

from otel_discord.exporters._base import DiscordExporterBase
from otel_discord.intake.route import take_logs


class DiscordLogExporter(DiscordExporterBase, LogRecordExporter):
    """A log record exporter for Discord. Arguments as for ``DiscordSpanExporter``."""

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        if self._core.is_shutdown:
            return LogRecordExportResult.FAILURE
        return self._core.guard(
            "log export", lambda: self._export(batch), LogRecordExportResult.FAILURE
        )

    def _export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        pipeline = self._core.pipeline
        if batch:
            pipeline.learn_resource(batch[0].resource)
        pipeline.start()
        take_logs(pipeline, self._core.router, batch, pipeline.origin)
        return LogRecordExportResult.SUCCESS
