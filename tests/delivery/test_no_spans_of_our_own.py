"""The sender threads post with instrumentation suppressed, as the SDK's exporters do.

With opentelemetry-instrumentation-httpx installed (opentelemetry-instrument loads it
whenever httpx is present), every POST to Discord would otherwise become a span,
be exported to Discord, and be posted again: a loop fed by its own output.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from otel_discord.channels import Channel
from otel_discord.delivery import WebhookDestination
from otel_discord.testing import DiscordServer

from .items import Note
from .support import MakeEngine


@pytest.fixture
def httpx_spans() -> Iterator[InMemorySpanExporter]:
    """httpx instrumented for real, its spans collected in memory; uninstrumented after."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield memory
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


class TestSuppressedInstrumentation:
    def test_discord_posts_make_no_spans(
        self,
        httpx_spans: InMemorySpanExporter,
        server: DiscordServer,
        make_engine: MakeEngine,
    ) -> None:
        """Messages are delivered, and the instrumented httpx records none of those POSTs."""
        url = server.create_webhook("logs")
        harness = make_engine({Channel.LOGS: WebhookDestination.parse(url)})
        for i in range(3):
            harness.engine.submit(Channel.LOGS, Note(f"note {i}"))
        assert harness.engine.flush(5.0)
        assert 3 == len(server.embeds("logs"))
        assert [] == list(httpx_spans.get_finished_spans())
        # The instrumentation is live: the same server, called from the test, makes a span.
        with httpx.Client() as client:
            client.get(f"{server.base_url}/_local/stats")
        [span] = httpx_spans.get_finished_spans()
        assert "GET" == span.name
