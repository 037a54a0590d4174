"""One command in flight: its span, clock and the error it ended with.

The probe is current for the duration of the command (in the OpenTelemetry
``Context``, beside its span: ``_active_span``), so the hooks that see the error (the
``command_error`` dispatch, the app-command invokers) can attach it without touching
the bot's objects or its error handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter
from types import CodeType
from typing import Any, Final, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from otel_discord.exception_ids import ATTR_EXCEPTION_ID, exception_id
from otel_discord.exception_ids import innermost as unwrap
from otel_discord.instrumentation import _names as n
from otel_discord.instrumentation import _state
from otel_discord.instrumentation._active_span import (
    _RUNTIME,
    _SPAN_KEY,
    _VAR,
    PROBE_KEY,
    current_probe,
    enter_span,
    leave_span,
)
from otel_discord.instrumentation._errors import error_type
from otel_discord.instrumentation._histogram_tally import HistogramTally
from otel_discord.instrumentation._outcomes import (
    REASON_ERROR,
    classify,
    mark_if_user_error,
    mark_user_failure,
    settle_name,
)
from otel_discord.instrumentation._safety import swallow
from otel_discord.instrumentation._shapes import MetricRow, metric_row
from otel_discord.instrumentation._telemetry import Recorder

T = TypeVar("T")

_STATUS_MESSAGE_LIMIT: Final = 200


class CommandProbe:
    """State of one prefix or application command invocation."""

    __slots__ = (
        "command",
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
        "success",
    )

    def __init__(  # noqa: PLR0917 (positional on the hot path: keywords cost more)
        self,
        owner: Any,
        name: str,
        kind: str,
        source: str,
        span: Span,
        guild_id: int | None,
        command: Any = None,
        success: MetricRow | None = None,
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
        self.command = command
        """The prefix command it started as; a group's subcommand replaces it on the context."""
        self.success = success
        """The metric row of a success (its shape's), if it holds for this run: none per guild."""
        self.started = perf_counter()


new_probe: Final = object.__new__
"""``new_probe(CommandProbe)``: a probe whose slots the caller sets, every one of them, as
``__init__`` does (the prefix command path: a class call runs ``__init__`` from C)."""


def note_error(owner: Any, exc: BaseException) -> None:
    """Attach ``exc`` to the command in flight if ``owner`` (ctx or interaction) is its."""
    telemetry = _state.current
    mark_if_user_error(exc, telemetry.error_kinds if telemetry is not None else None)
    probe = current_probe()
    if probe is None:
        return
    if probe.owner is owner or probe.owner is getattr(owner, "interaction", None):
        probe.error = exc


def start_probe(
    start: Callable[[Recorder, Any], CommandProbe | None],
    telemetry: Recorder,
    owner: Any,
    site: str,
) -> CommandProbe | None:
    """``start(telemetry, owner)``, or None when it fails (reported, never raised)."""
    try:
        return start(telemetry, owner)
    except Exception as exc:
        swallow(f"{site} start", exc)
        return None


def observe_command(
    telemetry: Recorder,
    start: Callable[[], CommandProbe | None],
    run: Callable[[], Awaitable[T]],
    failed: Callable[[CommandProbe], bool],
    site: str,
) -> Awaitable[T]:
    """Start the probe now; ``run()``'s awaitable, observed when there is a probe."""
    try:
        probe = start()
    except Exception as exc:
        swallow(f"{site} start", exc)
        probe = None
    if probe is None:
        return run()
    return run_observed(telemetry, probe, run(), failed, site)


async def run_observed(  # noqa: PLR0912, PLR0915 (flat on purpose: once per command)
    telemetry: Recorder,
    probe: CommandProbe,
    run: Awaitable[T],
    failed: Callable[[CommandProbe], bool] | None,
    site: str,
) -> T:
    """Await ``run`` inside the probe's span; telemetry failures never escape.

    ``failed`` tells a failed run (a check said no) from a success; None reads the
    owner's ``command_failed`` (the prefix and app command contexts' flag) without a call.
    The span and the probe are made current and restored here rather than through
    ``enter_span`` and ``leave_span`` (two calls per command): same statements, for the
    default runtime.
    """
    span = probe.span
    try:
        var = _VAR
        if var is not None and _SPAN_KEY is not None and otel_context._RUNTIME_CONTEXT is _RUNTIME:
            span_token = var.set(Context({**var.get(), _SPAN_KEY: span, PROBE_KEY: probe}))
        else:
            span_token = enter_span(span, probe)
    except Exception as exc:
        swallow(f"{site} start", exc)
        span.end()
        return await run
    try:
        return await run
    except BaseException as exc:
        probe.error = exc
        drop_own_frame(exc, _RUN_OBSERVED)
        raise
    finally:
        try:
            if span_token.var is _VAR:
                try:
                    span_token.var.reset(span_token)
                except Exception as exc:  # the run ended in another context than it began
                    swallow("command context", exc)
            else:
                leave_span(span_token)
            if failed is None:
                try:
                    ended_failed = probe.owner.command_failed
                except AttributeError:
                    ended_failed = False
            else:
                ended_failed = failed(probe)
            row = probe.success
            if (
                row is None
                or ended_failed
                or probe.error is not None
                or (probe.command is not None and probe.owner.command is not probe.command)
            ):
                finish(telemetry, probe, ended_failed)  # positional: keywords cost a call's worth
            else:  # finish()'s success path, inline (a call less per command): the same records
                elapsed = perf_counter() - probe.started
                try:
                    attrs, key = row
                    counts = telemetry.commands.counts
                    if key in counts:
                        counts[key] += 1
                    else:
                        telemetry.commands.add_row(key, attrs)
                    duration = telemetry.command_duration
                    if type(duration) is HistogramTally:
                        duration.record_row(elapsed, key, attrs)
                    else:
                        duration.record(elapsed, attrs)
                finally:
                    span.end()
        except Exception as exc:
            swallow(f"{site} finish", exc)


_RUN_OBSERVED: Final = run_observed.__code__


def drop_own_frame(exc: BaseException, code: CodeType) -> None:
    """Take the handling frame (running ``code``) off ``exc``'s traceback before a bare ``raise``.

    A bug the bot's own handler re-raises (``@cmd.error`` ending in ``raise error``)
    escapes through our wrapper, and every traceback the bot then prints would show a
    frame of ours. CPython 3.11+ re-raises the exception with ``__traceback__`` as it
    is at the bare ``raise``, so the frame is gone; 3.10 re-raises what it caught.
    """
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_code is code:
        exc.__traceback__ = tb.tb_next


def finish(telemetry: Recorder, probe: CommandProbe, failed: bool) -> None:
    """Close the span and record metrics (and an error log for a bug)."""
    elapsed = perf_counter() - probe.started
    span = probe.span
    try:
        if probe.command is not None and probe.owner.command is not probe.command:
            settle_name(probe)
            probe.success = None  # a subcommand's name: its own row
        if probe.error is None and not failed:  # the common case: a success
            row = probe.success
            if row is None:
                row = _metric_row(telemetry, probe, n.OUTCOME_SUCCESS, "")
            attrs, key = row
        else:
            if _settle_failure(telemetry, probe, span) is None:
                return
            attrs, key = _metric_row(telemetry, probe, n.OUTCOME_FAILURE, probe.reason)
        counts = telemetry.commands.counts  # CounterTally.add_row's count, without the call
        if key in counts:
            counts[key] += 1
        else:
            telemetry.commands.add_row(key, attrs)
        duration = telemetry.command_duration
        if type(duration) is HistogramTally:  # the tally row's key, not one rebuilt per run
            duration.record_row(elapsed, key, attrs)
        else:
            duration.record(elapsed, attrs)
    finally:
        span.end()


def _settle_failure(telemetry: Recorder, probe: CommandProbe, span: Span) -> str | None:
    """Mark a failed run on its span (and report a bug); None if it was no command at all."""
    raw = unwrap(probe.error) if probe.error is not None else None
    if raw is not None and telemetry.error_kinds.is_not_found(raw):
        telemetry.count_unknown_command(probe.kind)
        mark_user_failure(span, error_type(raw))
        return None
    kind = error_type(raw) if raw is not None else (probe.failure_hint or "_OTHER")
    probe.reason = classify(raw, telemetry.error_kinds)
    if probe.reason != REASON_ERROR:
        mark_user_failure(span, kind)
        return probe.reason
    _mark_failed(span, kind, raw)
    if raw is not None:
        telemetry.report_error(
            raw,
            source=probe.source,
            where=f"command {probe.name}",
            attributes={n.ATTR_COMMAND_NAME: probe.name, n.ATTR_COMMAND_KIND: probe.kind},
            context=trace.set_span_in_context(span),
        )
    return probe.reason


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


_metric_rows: dict[tuple[str, str, str], MetricRow] = {}
_METRIC_CACHE_LIMIT: Final = 4096


def _metric_row(telemetry: Recorder, probe: CommandProbe, outcome: str, reason: str) -> MetricRow:
    """The attributes of this run's metrics, built once per (name, kind, reason)."""
    if probe.guild_id is not None and telemetry.options.guild_ids_as_attributes:
        return metric_row(probe.name, probe.kind, outcome, reason, probe.guild_id)
    key = (probe.name, probe.kind, reason)
    row = _metric_rows.get(key)
    if row is None:
        row = metric_row(probe.name, probe.kind, outcome, reason)
        if len(_metric_rows) < _METRIC_CACHE_LIMIT:
            _metric_rows[key] = row
    return row
