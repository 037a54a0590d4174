"""A webhook deleted while the app runs: that channel stops, says so, the others carry on."""

from __future__ import annotations

from collections.abc import Callable

from otel_discord import Channel
from otel_discord.testing import ViolationKind

from .stack import Stack, embed_text

MakeStack = Callable[..., Stack]


def activity(stack: Stack, round_: int) -> None:
    """Errors, spans and metrics, then every summary the channels get."""
    tracer = stack.telemetry.tracer_provider.get_tracer("reliabot.commands")
    for i in range(5):
        stack.app.error("round %d: shard %d lost its session", round_, i)
        with tracer.start_as_current_span("play"):
            pass
    stack.export()
    stack.telemetry.meter_provider.force_flush()
    for job in ("analytics", "performance"):
        stack.pipeline.scheduler.run_now(job)
    stack.pipeline.send_system()


def counts(stack: Stack) -> dict[Channel, int]:
    return {c: len(stack.server.messages(c.value)) for c in Channel}


class TestDeletedWebhook:
    """Exactly one request meets the 404; it is reported in diagnostics without the token."""

    def test_mid_run(self, make_stack: MakeStack) -> None:
        stack = make_stack(system_metrics=True)
        srv = stack.server
        activity(stack, 0)
        assert stack.flush(10.0)
        before = counts(stack)
        assert all(before.values()), before

        srv.delete_webhook(stack.urls[Channel.ANALYTICS])
        for round_ in range(1, 4):
            activity(stack, round_)
            assert stack.flush(10.0)

        after = counts(stack)
        assert before[Channel.ANALYTICS] == after[Channel.ANALYTICS]
        for channel in (Channel.LOGS, Channel.PERFORMANCE):
            assert after[channel] > before[channel], channel
        assert 1 == srv.stats().by_status[404]  # one request found out; none came back
        assert [] == [v for v in srv.violations if v.kind is ViolationKind.REUSE_AFTER_404]
        assert [] == srv.violations
        assert not stack.engine.enabled(Channel.ANALYTICS)
        assert "disabled" == stack.engine.stats()[Channel.ANALYTICS].state

        [notice] = [
            e
            for e in stack.embeds(Channel.DIAGNOSTICS)
            if e["title"] == "Delivery · analytics · disabled"
        ]
        text = embed_text(notice)
        assert "deleted" in text
        assert stack.urls[Channel.ANALYTICS].rsplit("/", 1)[-1] not in text
        assert [] == [t for t in stack.tokens() for e in srv.embeds() if t in embed_text(e)]
