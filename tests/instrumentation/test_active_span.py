"""The command span made current by one ContextVar set, or through the API otherwise."""

from __future__ import annotations

import contextvars

import pytest
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
from opentelemetry.sdk.trace import TracerProvider

from otel_discord.instrumentation import _active_span, _safety
from otel_discord.instrumentation._active_span import current_probe, enter_span, leave_span


@pytest.fixture
def span() -> trace.Span:
    return TracerProvider().get_tracer("t").start_span("command")


def test_the_default_runtime_takes_the_short_path() -> None:
    assert _active_span._VAR is not None  # otherwise every test below tests the API path only


def test_enter_makes_the_span_current_and_keeps_other_values(span: trace.Span) -> None:
    outer = otel_context.attach(otel_context.set_value("kept", 7))
    try:
        token = enter_span(span)
        assert trace.get_current_span() is span
        assert otel_context.get_value("kept") == 7
        child = TracerProvider().get_tracer("t").start_span("child")
        assert child.parent is not None
        assert child.parent.span_id == span.get_span_context().span_id
        leave_span(token)
        assert trace.get_current_span() is trace.INVALID_SPAN
        assert otel_context.get_value("kept") == 7
    finally:
        otel_context.detach(outer)


def test_another_runtime_context_goes_through_the_api(
    span: trace.Span, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = ContextVarsRuntimeContext()  # what OTEL_PYTHON_CONTEXT would load
    monkeypatch.setattr(otel_context, "_RUNTIME_CONTEXT", other)
    token = enter_span(span)
    assert token.var is other._current_context
    assert trace.get_current_span() is span
    leave_span(token)
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_leaving_in_another_context_never_raises(span: trace.Span) -> None:
    token = contextvars.copy_context().run(enter_span, span)
    leave_span(token)  # ValueError from ContextVar.reset: reported, not raised
    assert trace.get_current_span() is trace.INVALID_SPAN
    failures = list(_safety.RECENT_FAILURES)
    _safety.RECENT_FAILURES.clear()  # expected here; the autouse check fails on any other
    assert [type(f) for f in failures] == [ValueError]


@pytest.mark.parametrize("runtime", ["default", "another"])
def test_the_probe_is_current_with_its_span_and_survives_a_child_span(
    span: trace.Span, monkeypatch: pytest.MonkeyPatch, runtime: str
) -> None:
    """One set carries both; a span the bot opens inside the command keeps the probe
    reachable (the error hooks find it), and leaving clears both."""
    if runtime == "another":
        monkeypatch.setattr(otel_context, "_RUNTIME_CONTEXT", ContextVarsRuntimeContext())
    probe = object()
    assert current_probe() is None
    token = enter_span(span, probe)
    assert current_probe() is probe
    assert trace.get_current_span() is span
    with TracerProvider().get_tracer("bot").start_as_current_span("bot's own"):
        assert current_probe() is probe
    leave_span(token)
    assert current_probe() is None
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_a_span_alone_makes_no_probe_current(span: trace.Span) -> None:
    token = enter_span(span)
    assert current_probe() is None
    leave_span(token)
