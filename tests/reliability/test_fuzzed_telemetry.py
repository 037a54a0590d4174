"""Fuzzed telemetry through the real exporters and pipeline to the strict local Discord.

Span names, scopes and attributes, log bodies and attributes, exception types and messages
of any type, size (up to ~20k characters) and unicode (markdown, mentions, fences,
zero-width and bidi characters, NaN, infinities, nested values): Discord must accept every
message, and no embed may carry a mention that could ping.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry._logs import SeverityNumber
from opentelemetry.trace import Status, StatusCode

from otel_discord import Channel
from otel_discord.testing import DiscordServer

from .stack import Delivery, Stack, embed_text

SNIPPETS = [
    "@everyone",
    "@here",
    "@",
    "everyone",
    "<@123>",
    "<@!123>",
    "<@&1>",
    "<#1>",
    "</ping:1>",
    "<",
    "```",
    "```py\n",
    "`",
    "**",
    "__",
    "~~",
    "||",
    "> ",
    "# ",
    "- ",
    "[click](https://example.com)",
    "https://example.com/a_b*c",
    "\\",
    "\u200b",
    "\u202e",
    "\u2067",
    "\ufeff",
    "\n",
    "\r\n",
    "\t",
    " ",
    "😀",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "ﷺ",
    "%s",
    "%(x)s",
]
EXAMPLES = 80
"""Enough to meet every snippet in many combinations; the file stays within a few seconds."""
MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d|<#\d|</[^<>\n]*:\d")

fragments = st.one_of(st.text(max_size=24), st.sampled_from(SNIPPETS))
big = st.builds(
    lambda piece, size: (piece * (size // max(1, len(piece)) + 1))[:size],
    st.sampled_from(SNIPPETS) | st.text(min_size=1, max_size=8),
    st.integers(1_000, 20_000),
)
texts = st.one_of(st.lists(fragments, max_size=10).map("".join), big)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
    st.binary(max_size=48),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=10,
)
attributes = st.dictionaries(
    st.one_of(st.text(max_size=20), st.sampled_from(SNIPPETS)), values, max_size=6
)
type_names = st.text(min_size=1, max_size=40).filter(lambda s: "\x00" not in s) | st.sampled_from(
    SNIPPETS[:12]
)


@st.composite
def exceptions(draw: st.DrawFn) -> BaseException:
    cls = type(draw(type_names), (Exception,), {})
    args = draw(st.lists(values, max_size=3))
    exc: BaseException = cls(*args)
    return exc


@dataclasses.dataclass
class Telemetry:
    """One example: a span, an OTel log record and a Python log record."""

    scope: str
    span_name: str
    span_attributes: dict[str, Any]
    status: str
    body: Any
    log_attributes: dict[str, Any]
    message: Any
    error: BaseException


telemetry = st.builds(
    Telemetry,
    scope=texts,
    span_name=texts,
    span_attributes=attributes,
    status=texts,
    body=values,
    log_attributes=attributes,
    message=values,
    error=exceptions(),
)


@pytest.fixture
def roomy(fast_delivery: Delivery) -> Iterator[DiscordServer]:
    """Generous rate limits: this is about content, not pacing."""
    fast_delivery.policy = dataclasses.replace(fast_delivery.policy, channel_rate=(300, 1.0))
    with DiscordServer(webhook_limit=(50, 1.0), channel_limit=(300, 1.0)) as srv:
        yield srv
        assert [] == srv.internal_errors


def emit(stack: Stack, t: Telemetry) -> None:
    tracer = stack.telemetry.tracer_provider.get_tracer(t.scope)
    with tracer.start_as_current_span(t.span_name, attributes=t.span_attributes) as span:
        span.record_exception(t.error)
        span.set_status(Status(StatusCode.ERROR, t.status))
    stack.telemetry.logger_provider.get_logger(t.scope).emit(
        body=t.body, severity_number=SeverityNumber.ERROR, attributes=t.log_attributes
    )
    stack.app.error(t.message, exc_info=t.error)
    stack.app.warning("%s", t.body)


@pytest.mark.filterwarnings("ignore:Log record attributes were dropped")
class TestFuzzedTelemetry:
    """Whatever the app records, Discord accepts every message and nobody is pinged."""

    def test_every_payload_accepted(
        self, roomy: DiscordServer, make_stack: Callable[..., Stack]
    ) -> None:
        stack = make_stack(server=roomy)
        seen = {"examples": 0, "messages": 0}

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(t=telemetry)
        def check(t: Telemetry) -> None:
            already = len(roomy.messages())
            emit(stack, t)
            assert stack.flush(10.0)
            stack.pipeline.scheduler.run_now("analytics")
            assert stack.flush(10.0)
            stats = roomy.stats()
            assert {} == {s: n for s, n in stats.by_status.items() if s >= 400 and s != 429}
            assert [] == roomy.violations
            new = roomy.messages()[already:]
            assert new  # the example did reach Discord
            for message in new:
                assert {"parse": []} == message.payload["allowed_mentions"]
                for embed in message.payload["embeds"]:
                    found = MENTION.search(embed_text(embed))
                    assert found is None, (found, embed_text(embed)[:500])
            seen["examples"] += 1
            seen["messages"] += len(new)

        check()
        assert seen["examples"] >= EXAMPLES // 2
        assert 0 == sum(s.failed for s in stack.engine.stats().values())
        assert {} == {c: s.dropped for c, s in stack.engine.stats().items() if s.dropped}
        assert stack.embeds(Channel.LOGS)
        assert stack.embeds(Channel.ANALYTICS)
