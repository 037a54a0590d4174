"""One command in flight: its span, clock and the error it ended with.

The probe lives in a ContextVar for the duration of the command, so the hooks that
see the error (the ``command_error`` dispatch, the app-command invokers) can attach
it without touching the bot's objects or its error handlers.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token
from typing import Any, Final, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from otel_discord.exception_ids import ATTR_EXCEPTION_ID, exception_id
from otel_discord.exception_ids import innermost as unwrap
from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._errors import error_type
from otel_discord.instrumentation._outcomes import (
    REASON_ERROR,
    classify,
    mark_if_user_error,
    mark_user_failure,
    settle_name,
)
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._telemetry import Attrs, Recorder

T = TypeVar("T")

_STATUS_MESSAGE_LIMIT: Final = 200

CURRENT: ContextVar[CommandProbe | None] = ContextVar("otel_discord_command", default=None)


class CommandProbe:
    """State of one prefix or application command invocation."""

    __slots__ = (
        "error",
        "failure_hint",
        "guild_id",
        "kind",
        "name",
        "owner",
        "reason",
        "source",
        "span",
        "started",
    )

    def __init__(
        self,
        owner: Any,
        *,
        name: str,
        kind: str,
        source: str,
        span: Span,
        guild_id: int | None,
    ) -> None:
        self.owner = owner
        self.name = name
        self.kind = kind
        self.source = source
        self.span = span
        self.guild_id = guild_id
        self.error: BaseException | None = None
        self.failure_hint: str | None = None
        self.reason = REASON_ERROR
        self.started = time.perf_counter()


def note_error(owner: Any, exc: BaseException) -> None:
    """Attach ``exc`` to the command in flight if ``owner`` (ctx or interaction) is its."""
    telemetry = _state.current
    mark_if_user_error(exc, telemetry.error_kinds if telemetry is not None else None)
    probe = CURRENT.get()
    if probe is None:
        return
    if probe.owner is owner or probe.owner is getattr(owner, "interaction", None):
        probe.error = exc


async def observe_command(
    telemetry: Recorder,
    start: Callable[[], CommandProbe | None],
    run: Callable[[], Awaitable[T]],
    failed: Callable[[CommandProbe], bool],
    site: str,
) -> T:
    """Run ``run()`` inside the span ``start()`` opens; telemetry failures never escape."""
    probe: CommandProbe | None = None
    tokens: tuple[Token[CommandProbe | None], Token[Context]] | None = None
    try:
        probe = start()
        if probe is not None:
            tokens = (
                CURRENT.set(probe),
                otel_context.attach(trace.set_span_in_context(probe.span)),
            )
    except Exception as exc:
        swallow(f"{site} start", exc)
        if probe is not None:
            probe.span.end()
            probe = None
    if probe is None or tokens is None:
        return await run()
    try:
        return await run()
    except BaseException as exc:
        probe.error = exc
        raise
    finally:
        try:
            otel_context.detach(tokens[1])
            CURRENT.reset(tokens[0])
            finish(telemetry, probe, failed=failed(probe))
        except Exception as exc:
            swallow(f"{site} finish", exc)


def finish(telemetry: Recorder, probe: CommandProbe, *, failed: bool) -> None:
    """Close the span and record metrics (and an error log for a bug)."""
    elapsed = time.perf_counter() - probe.started
    span = probe.span
    raw = unwrap(probe.error) if probe.error is not None else None
    try:
        settle_name(probe)
        if raw is not None and telemetry.error_kinds.is_not_found(raw):
            telemetry.count_unknown_command(probe.kind)
            mark_user_failure(span, error_type(raw))
            return
        failed = failed or raw is not None
        if failed:
            kind = error_type(raw) if raw is not None else (probe.failure_hint or "_OTHER")
            probe.reason = classify(raw, telemetry.error_kinds)
            if probe.reason != REASON_ERROR:
                mark_user_failure(span, kind)
            else:
                _mark_failed(span, kind, raw)
            if raw is not None and probe.reason == REASON_ERROR:
                telemetry.report_error(
                    raw,
                    source=probe.source,
                    where=f"command {probe.name}",
                    attributes={n.ATTR_COMMAND_NAME: probe.name, n.ATTR_COMMAND_KIND: probe.kind},
                    context=trace.set_span_in_context(span),
                )
        attrs = _metric_attributes(telemetry, probe, failed)
        telemetry.commands.add(1, attrs)
        telemetry.command_duration.record(elapsed, attrs)
    finally:
        span.end()


def _mark_failed(span: Span, kind: str, exc: BaseException | None) -> None:
    span.set_attribute(n.ATTR_ERROR_TYPE, kind)
    if exc is None:
        span.set_status(Status(StatusCode.ERROR, kind))
        return
    span.record_exception(exc, attributes={ATTR_EXCEPTION_ID: exception_id(exc)})
    message = f"{kind}: {exc}"
    if len(message) > _STATUS_MESSAGE_LIMIT:
        message = message[: _STATUS_MESSAGE_LIMIT - 1] + "…"
    span.set_status(Status(StatusCode.ERROR, message))


_metric_cache: dict[tuple[str, str, str], Attrs] = {}
_METRIC_CACHE_LIMIT: Final = 4096


def _metric_attributes(telemetry: Recorder, probe: CommandProbe, failed: bool) -> Attrs:
    outcome = n.OUTCOME_FAILURE if failed else n.OUTCOME_SUCCESS
    if probe.guild_id is not None and telemetry.options.guild_ids_as_attributes:
        full: dict[str, AttributeValue] = {
            n.ATTR_COMMAND_NAME: probe.name,
            n.ATTR_COMMAND_KIND: probe.kind,
            n.ATTR_COMMAND_OUTCOME: outcome,
            n.ATTR_GUILD_ID: str(probe.guild_id),
        }
        if failed:
            full[n.ATTR_COMMAND_FAILURE_REASON] = probe.reason
        return full
    key = (probe.name, probe.kind, probe.reason if failed else "")
    attrs = _metric_cache.get(key)
    if attrs is None:
        attrs = {
            n.ATTR_COMMAND_NAME: probe.name,
            n.ATTR_COMMAND_KIND: probe.kind,
            n.ATTR_COMMAND_OUTCOME: outcome,
        }
        if failed:
            attrs[n.ATTR_COMMAND_FAILURE_REASON] = probe.reason
        if len(_metric_cache) < _METRIC_CACHE_LIMIT:
            _metric_cache[key] = attrs
    return attrs
