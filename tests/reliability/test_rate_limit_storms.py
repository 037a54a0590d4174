"""429s of every scope and a Cloudflare ban, in the middle of a log storm, through the full stack.

The local Discord's per-channel limit is stricter than the engine assumes (as Discord's
hidden limits can be), so shared 429s happen by themselves on top of the injected ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from otel_discord import Channel
from otel_discord.render import limits
from otel_discord.testing import DiscordServer, Fault
from tests.support import occurrences

from .stack import WEBHOOK_LIMIT, RequestLog, Stack

KINDS = [f"{a}{b}" for a in ("red", "green", "blue", "cyan", "gold", "grey") for b in "abcdefghij"]
"""60 kinds of error."""
WAVES = 3
REPEATS = 20
MakeStack = Callable[..., Stack]


@pytest.fixture
def stingy_server() -> Iterator[DiscordServer]:
    """Channels take 10 messages a second, a third of what the engine's policy assumes."""
    with DiscordServer(webhook_limit=WEBHOOK_LIMIT, channel_limit=(5, 0.5)) as srv:
        srv.forced_retry_after = 0.2
        yield srv
        assert [] == srv.internal_errors


def storm(stack: Stack, fault: Fault, count: int) -> int:
    """Waves of errors and spans, a fault armed before each wave; returns errors logged."""
    tracer = stack.telemetry.tracer_provider.get_tracer("reliabot.commands")
    logged = 0
    for wave in range(WAVES):
        stack.server.inject(fault, count=count)
        for i in range(REPEATS):
            for kind in KINDS:
                stack.app.error("request %d to %s timed out", wave * REPEATS + i, kind)
                logged += 1
            with tracer.start_as_current_span(f"command-{i % 5}"):
                pass
        stack.export()
        stack.pipeline.scheduler.run_now("analytics")
    return logged


@pytest.mark.parametrize(
    ("fault", "scope", "count"),
    [
        (Fault.RATE_LIMIT_USER, "user", 4),
        (Fault.RATE_LIMIT_GLOBAL, "global", 3),
        (Fault.RATE_LIMIT_SHARED, "shared", 4),
        (Fault.CLOUDFLARE_BAN, "cloudflare", 1),
    ],
)
class TestStorm:
    """Never sends into an empty bucket, stays far from a ban, and loses nothing silently."""

    def test_storm(
        self,
        fault: Fault,
        scope: str,
        count: int,
        make_stack: MakeStack,
        stingy_server: DiscordServer,
        request_log: RequestLog,
    ) -> None:
        stack = make_stack(server=stingy_server)
        logged = storm(stack, fault, count)
        assert stack.flush(20.0)

        srv = stingy_server
        assert [] == request_log.sent_during_known_global_limit()
        # No send while Remaining was 0 and no retry_after ignored. The one exception the
        # server cannot tell apart: requests of other destinations already in flight when
        # one of them drew a global 429 (checked on the client side just above).
        in_flight = "sent during a global rate limit"
        assert [] == [v for v in srv.violations if v.detail != in_flight]
        server_429s = srv.stats().rate_limited
        assert server_429s.get(scope, 0) >= WAVES * count
        assert server_429s.get("shared", 0) > 0  # the stricter channel limit did bite
        injected_invalid = 0 if scope == "shared" else WAVES * count
        # Far below Cloudflare's 10,000: what was forced on us, plus at most a few strays.
        assert srv.invalid_requests <= injected_invalid + 5
        assert srv.invalid_requests < limits.INVALID_REQUEST_BAN_THRESHOLD // 100

        stats = stack.engine.stats()
        seen = {s: sum(st.rate_limited.get(s, 0) for st in stats.values()) for s in server_429s}
        assert server_429s == seen  # every 429 was noticed and counted by scope
        assert {} == {c: st.dropped for c, st in stats.items() if st.dropped}
        assert logged == sum(occurrences(e) for e in stack.errors())
        assert stack.embeds(Channel.ANALYTICS)
