"""Discord unreachable, then answering 503, while the app keeps logging errors.

Full stack: bridged Python logging -> SDK -> our log exporter -> pipeline -> delivery ->
the strict local Discord, which is first down (connection refused) and then sick (503).
"""

from __future__ import annotations

from collections.abc import Callable

from otel_discord import Channel
from otel_discord.testing import Fault
from tests.support import KINDS, occurrences

from .stack import Stack, announced_drops, embed_text, wait_until

MakeStack = Callable[..., Stack]


def log_errors(stack: Stack, kinds: list[str], repeats: int) -> int:
    """Log ``repeats`` errors of each kind through Python logging; return how many."""
    for i in range(repeats):
        for kind in kinds:
            stack.app.error("job %d failed: %s backend unreachable", i, kind)
    stack.export()
    return len(kinds) * repeats


def failing(stack: Stack, channel: Channel) -> bool:
    return any(e.kind == "failing" and e.channel is channel for e in stack.events)


def diagnostics_titles(stack: Stack) -> list[str]:
    return [str(e.get("title", "")) for e in stack.embeds(Channel.DIAGNOSTICS)]


class TestOutage:
    """Everything queued within bounds during an outage is delivered after it, counted exactly."""

    def test_down_then_503_then_recovered(self, make_stack: MakeStack) -> None:
        stack = make_stack(max_queue_size=200)
        srv = stack.server
        logged = log_errors(stack, ["warmup"], 1)
        assert stack.flush(10.0)

        srv.down()
        for _ in range(5):  # the app keeps logging through the outage, batch after batch
            logged += log_errors(stack, KINDS, 40)
        assert wait_until(lambda: failing(stack, Channel.LOGS))
        assert "retrying" == stack.engine.stats()[Channel.LOGS].state

        srv.inject(Fault.SERVICE_UNAVAILABLE, count=4)
        srv.up()
        logged += log_errors(stack, KINDS, 10)  # and while Discord is still sick
        assert stack.flush(15.0)

        assert 4 == srv.stats().by_status[503]
        assert logged == sum(occurrences(e) for e in stack.errors())
        shown = "\n".join(embed_text(e) for e in stack.errors())
        assert [] == [k for k in KINDS if f"{k} backend unreachable" not in shown]
        stats = stack.engine.stats()[Channel.LOGS]
        assert ({}, "ok", 0) == (stats.dropped, stats.state, stats.queue_depth)
        assert stats.retries >= 3
        titles = diagnostics_titles(stack)
        assert "Delivery · logs · failing" in titles
        assert "Delivery · logs · recovered" in titles
        assert [] == srv.violations

    def test_overflow_is_counted_and_announced(self, make_stack: MakeStack) -> None:
        stack = make_stack(max_queue_size=5)
        srv = stack.server
        logged = log_errors(stack, ["warmup"], 1)
        assert stack.flush(10.0)  # the startup notice is out before the outage
        srv.down()
        kinds = [f"{a}-{b}" for a in KINDS[:8] for b in KINDS[8:13]]  # 40 kinds, one error each
        logged += log_errors(stack, kinds, 1)
        assert wait_until(lambda: failing(stack, Channel.LOGS))
        srv.up()
        assert stack.flush(15.0)

        stats = stack.engine.stats()[Channel.LOGS]
        lost = stats.dropped.get("error", 0)
        assert set(stats.dropped) == {"error"}
        assert lost > 0
        delivered = sum(occurrences(e) for e in stack.errors())
        assert logged == delivered + lost
        assert lost == announced_drops(stack.embeds(Channel.LOGS))
        reported = [e for e in stack.events if e.kind == "dropped" and e.channel is Channel.LOGS]
        assert lost == sum(e.count for e in reported)
        assert "Delivery · logs · dropped" in diagnostics_titles(stack)
        assert [] == srv.violations
