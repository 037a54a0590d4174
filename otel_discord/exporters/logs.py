"""``DiscordLogExporter``: grouped warnings and errors to logs; the bot's events to analytics."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

from otel_discord.channels import Channel
from otel_discord.exception_ids import ATTR_USER_ERROR
from otel_discord.exporters._base import DiscordExporterBase
from otel_discord.exporters._convert import (
    event_from_log,
    log_name,
    log_scope,
    log_severity,
    occurrence_from_log,
)
from otel_discord.render.events import SUMMARISED_EVENTS

OWN_SCOPES: Final = ("otel_discord.", "httpx", "httpcore")
"""Loggers whose records never reach Discord: our own and our HTTP client's.

With logging bridged to OTel, anything we log while exporting would come back as
a record to export, and so on without end (DESIGN.md). The instrumentation's
and diagnostics' scopes are data, not our chatter, and pass.
"""
PASSING_SCOPES: Final = ("otel_discord.instrumentation", "otel_discord.diagnostics")


def is_user_mistake(record: ReadableLogRecord) -> bool:
    """The library's default print of a user's mistake (counted as a failure reason instead)."""
    return bool((record.log_record.attributes or {}).get(ATTR_USER_ERROR))


def is_own_chatter(scope: str) -> bool:
    """True for log records the package itself (or httpx under it) produced."""
    return scope.startswith(OWN_SCOPES) and not scope.startswith(PASSING_SCOPES)


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
        for record in batch:
            scope = log_scope(record)
            if is_own_chatter(scope) or is_user_mistake(record):
                continue
            pipeline.learn_resource(record.resource)
            channel = self._core.router.route(
                "logs",
                severity=log_severity(record),
                scope=scope,
                name=log_name(record),
                attributes=record.log_record.attributes,
            )
            if channel is None:
                continue
            if channel is Channel.ANALYTICS or (log_name(record) and log_severity(record) < 13):
                notice = event_from_log(record, pipeline.service, pipeline.host)
                if channel is Channel.ANALYTICS and notice.name in SUMMARISED_EVENTS:
                    pipeline.add_member_event(notice)  # one line in the summary, not an embed each
                else:
                    pipeline.submit_event(channel, notice)
            else:
                occurrence = occurrence_from_log(record, pipeline.service, pipeline.host)
                pipeline.submit_error(channel, occurrence, from_span=False)
        return LogRecordExportResult.SUCCESS
