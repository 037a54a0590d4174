"""Fixtures: in-memory OTel per test, an instrumentor that is always undone, and a
guard that fails the test if the instrumentation swallowed an internal error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from otel_discord.instrumentation import DiscordInstrumentor, _safety
from tests.instrumentation.harness import Otel


@pytest.fixture
def otel() -> Otel:
    """Fresh SDK providers with in-memory exporters."""
    return Otel()


@pytest.fixture
def instrument(otel: Otel) -> Iterator[Callable[..., DiscordInstrumentor]]:
    """``instrument(**options)`` with the test's providers; undone after the test."""
    instrumentor = DiscordInstrumentor()

    def do(**options: Any) -> DiscordInstrumentor:
        instrumentor.instrument(**otel.providers(), **options)
        return instrumentor

    yield do
    if instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.uninstrument()


@pytest.fixture(autouse=True)
def _no_swallowed_failures() -> Iterator[None]:
    """Telemetry failures are swallowed in production; in tests they must not happen."""
    _safety.RECENT_FAILURES.clear()
    _safety._reported_sites.clear()
    yield
    failures = list(_safety.RECENT_FAILURES)
    _safety.RECENT_FAILURES.clear()
    if failures:
        raise failures[0]
