"""#diagnostics over one simulated day: the live status message against a health embed per check.

A real pipeline posts to the strict local Discord. The pipeline's clock is
simulated: 480 health checks (every 3 minutes for 24 hours), with an error burst
from 06:30 to 07:10 that takes the score to Degraded and back. Discord's limits
are per real second, so both sides get limits wide enough for a simulated day to
pass in seconds (rate-limit compliance is what the tests check, not this). For
each mode it prints the messages a reader scrolls past, the full health embeds,
the edits, the requests made, and the client's CPU per health check.

Usage::

    python benchmarks/bench_status_message.py
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from otel_discord import Channel, DiscordConfig
from otel_discord.delivery import DeliveryEngine, DeliveryPolicy
from otel_discord.pipeline import Pipeline
from otel_discord.testing import DiscordServer

S = 1_000_000_000
START_NS = 1_764_288_000 * S  # a midnight, UTC
CHECK_S = 180
CHECKS = 24 * 3600 // CHECK_S


@dataclass
class Clock:
    now_ns: int = START_NS

    def __call__(self) -> int:
        return self.now_ns


def errors_per_min(hour: float) -> float:
    """Quiet, except a burst between 06:00 and 07:00 (the score dips and recovers)."""
    return 40.0 if 6.5 <= hour < 7 + 1 / 6 else 0.5


def run(status_message: bool) -> dict[str, float]:
    wide = (100_000, 1.0)
    with DiscordServer(webhook_limit=wide, channel_limit=wide, global_limit=wide) as server:
        urls = {channel: server.create_webhook(channel.value) for channel in Channel}
        config = DiscordConfig.resolve(
            webhooks=urls,
            env={},
            status_message=status_message,
            health_interval_ms=CHECK_S * 1000,
            performance_interval_ms=3_600_000,
            analytics_interval_ms=3_600_000,
            alert_interval_ms=3_600_000,
        )
        clock = Clock()
        policy = DeliveryPolicy(webhook_floor=wide, channel_rate=wide, linger_s=0.0)
        engine = DeliveryEngine(config.routes, policy=policy)
        pipeline = Pipeline(config, engine=engine, clock_ns=clock)
        pipeline.start()
        assert pipeline.flush(10)
        before = len(server.messages(Channel.DIAGNOSTICS.value))
        requests_before = server.stats().requests
        errors = 0.0
        cpu = 0.0
        for i in range(CHECKS):
            clock.now_ns += CHECK_S * S
            errors += errors_per_min(i * CHECK_S / 3600) * CHECK_S / 60
            pipeline.errors_seen = int(errors)
            started = time.thread_time()
            pipeline.monitors.check_health()
            cpu += time.thread_time() - started
            assert pipeline.flush(10)
        edited = pipeline.monitors.status.live.edited if pipeline.monitors.status else 0
        pipeline.shutdown(5)
        stats = server.stats()
        return {
            "messages": len(server.messages(Channel.DIAGNOSTICS.value)) - before,
            "requests": stats.requests - requests_before,
            "edits": edited,
            "health_embeds": sum(
                e.get("title", "").startswith("🩺") for e in server.embeds("diagnostics")
            ),
            "cpu_us_per_check": cpu / CHECKS * 1e6,
            "violations": len(server.violations),
            "rate_limited": sum(stats.rate_limited.values()),
        }


def main() -> None:
    print(f"{CHECKS} health checks (every {CHECK_S} s for 24 h), error burst 06:30-07:10")
    header = (
        f"{'mode':<22} {'new msgs':>8} {'health':>6} {'edits':>5} {'requests':>8} "
        f"{'429s':>4} {'violations':>10} {'CPU µs/check':>12}"
    )
    print(header)
    for label, on in (("status message on", True), ("status message off", False)):
        r = run(on)
        print(
            f"{label:<22} {r['messages']:>8} {r['health_embeds']:>6} {r['edits']:>5} "
            f"{r['requests']:>8} {r['rate_limited']:>4} {r['violations']:>10} "
            f"{r['cpu_us_per_check']:>12.0f}"
        )


if __name__ == "__main__":
    main()
