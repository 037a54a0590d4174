"""Observable gauges read from real clients, and the event-loop lag probe."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from discord.ext import commands

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.instrumentation._loop_lag import LoopLag
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, make_bot, start

Instrument = Callable[..., DiscordInstrumentor]


@dataclass
class FakeGateway:
    """The gateway connection as the client reads it: heartbeat latency and open state."""

    latency: float
    open: bool = True


def gauges(otel: Otel) -> dict[str, list[tuple[dict[str, Any], Any]]]:
    names = (
        "discord.gateway.latency",
        "discord.connected",
        "discord.shards",
        "discord.guilds",
        "discord.users.cached",
        "discord.event_loop.lag",
    )
    metrics = otel.metrics()
    return {name: metrics.get(name, []) for name in names}


class TestClientGauges:
    """Latency, connection state and cache sizes of a running bot."""

    def test_connected_bot(self, otel: Otel, instrument: Instrument) -> None:
        """A ready bot with an open gateway reports its latency, state and caches."""
        instrument()
        seen: dict[str, Any] = {}

        async def main() -> None:
            bot = make_bot()
            await start(bot)
            bot.ws = FakeGateway(latency=0.042)  # type: ignore[assignment]
            seen.update(gauges(otel))
            bot.ws = None  # type: ignore[assignment]
            await bot.close()
            seen["after_close"] = gauges(otel)

        asyncio.run(main())
        assert [] == gauges(otel)["discord.event_loop.lag"]  # its loop has closed
        assert [({"discord.shard.id": 0}, 0.042)] == seen["discord.gateway.latency"]
        assert [({"discord.shard.id": 0}, 1)] == seen["discord.connected"]
        assert [({}, 1)] == seen["discord.shards"]
        assert [({}, 1)] == seen["discord.guilds"]
        assert [({}, 2)] == seen["discord.users.cached"]  # alice and the bot itself
        [(_, lag)] = seen["discord.event_loop.lag"]
        assert lag >= 0
        after = seen["after_close"]
        assert [] == after["discord.connected"]  # closed on purpose: stopped, not down
        assert [] == after["discord.gateway.latency"]
        assert [] == after["discord.guilds"]

    def test_no_gateway_means_no_latency_and_disconnected(
        self, otel: Otel, instrument: Instrument
    ) -> None:
        """Latency NaN (no websocket) is skipped; connected is 0."""
        instrument()
        seen: dict[str, Any] = {}

        async def main() -> None:
            bot = make_bot()
            await start(bot)
            assert math.isnan(bot.latency)
            seen.update(gauges(otel))
            await bot.close()

        asyncio.run(main())
        assert [] == seen["discord.gateway.latency"]
        assert [({"discord.shard.id": 0}, 0)] == seen["discord.connected"]

    def test_sharded_client_reports_each_shard(self, otel: Otel, instrument: Instrument) -> None:
        """AutoShardedBot: one latency point per shard, inf (no heartbeat yet) skipped."""
        instrument()
        seen: dict[str, Any] = {}

        async def main() -> None:
            bot = commands.AutoShardedBot(
                command_prefix="!", intents=make_bot().intents, shard_count=2
            )
            await bot._async_setup_hook()
            bot._AutoShardedClient__shards = {  # type: ignore[attr-defined]
                0: SimpleNamespace(id=0, ws=FakeGateway(0.01)),
                1: SimpleNamespace(id=1, ws=FakeGateway(math.inf, open=False)),
            }
            bot.dispatch("shard_connect", 0)
            seen.update(gauges(otel))
            bot._connection.call_handlers("ready")  # what the READY parser does
            seen["ready"] = gauges(otel)["discord.connected"]
            bot._AutoShardedClient__shards = {}  # type: ignore[attr-defined]
            await bot.close()

        asyncio.run(main())
        assert [({"discord.shard.id": 0}, 0.01)] == seen["discord.gateway.latency"]
        assert [({}, 2)] == seen["discord.shards"]
        # not ready yet (no READY fed), so neither shard counts as connected
        assert [({"discord.shard.id": 0}, 0), ({"discord.shard.id": 1}, 0)] == sorted(
            seen["discord.connected"], key=lambda point: point[0]["discord.shard.id"]
        )
        # ready: the shard with an open gateway is connected, the other is not
        assert [({"discord.shard.id": 0}, 1), ({"discord.shard.id": 1}, 0)] == sorted(
            seen["ready"], key=lambda point: point[0]["discord.shard.id"]
        )


class TestLoopLag:
    """The lag probe reports how late its timer fires."""

    def test_blocked_loop_shows_lag(self) -> None:
        """A callback that blocks the loop shows up as at least that much lag."""
        lag = LoopLag(interval=0.001)
        blocked_for = 0.05
        result: list[float | None] = []

        async def main() -> None:
            lag.ensure_running(asyncio.get_running_loop())
            await asyncio.sleep(0)
            time.sleep(blocked_for)  # the loop cannot run its timers meanwhile
            await asyncio.sleep(0.01)
            result.append(lag.observe())
            lag.stop()

        asyncio.run(main())
        [value] = result
        assert value is not None
        assert value >= blocked_for - 0.002  # the lower bound is guaranteed by the sleep

    def test_window_resets_after_each_observation(self) -> None:
        """A second observation only reports lag since the first."""
        lag = LoopLag(interval=0.001)
        result: list[float | None] = []

        async def main() -> None:
            lag.ensure_running(asyncio.get_running_loop())
            await asyncio.sleep(0)
            time.sleep(0.05)
            await asyncio.sleep(0.01)
            result.append(lag.observe())
            result.append(lag.observe())
            lag.stop()

        asyncio.run(main())
        first, second = result
        assert first is not None
        assert second is not None
        assert second < first

    def test_stop_leaves_nothing_scheduled(self) -> None:
        """After stop no probe timer is pending on the loop, and nothing is observed."""
        lag = LoopLag(interval=0.001)

        def probe_timers(loop: asyncio.AbstractEventLoop) -> list[Any]:
            scheduled = loop._scheduled  # type: ignore[attr-defined]
            return [h for h in scheduled if not h.cancelled() and h._callback.__name__ == "_tick"]

        async def main() -> tuple[int, int]:
            loop = asyncio.get_running_loop()
            lag.ensure_running(loop)
            await asyncio.sleep(0.01)
            running = len(probe_timers(loop))
            lag.stop()
            await asyncio.sleep(0.01)
            return running, len(probe_timers(loop))

        assert (1, 0) == asyncio.run(main())
        assert lag.observe() is None

    def test_one_probe_per_loop(self) -> None:
        """ensure_running twice on a loop starts one probe."""
        lag = LoopLag(interval=10)

        async def main() -> int:
            loop = asyncio.get_running_loop()
            lag.ensure_running(loop)
            lag.ensure_running(loop)
            count = len([h for h in loop._scheduled if not h.cancelled()])  # type: ignore[attr-defined]
            lag.stop()
            return count

        assert 1 == asyncio.run(main())

    def test_two_readers_each_see_a_spike(self) -> None:
        """Readers collecting on threads of their own (otlp and discord) both see the block."""
        lag = LoopLag(interval=0.001)
        seen: dict[str, list[float | None]] = {"otlp": [], "discord": []}

        # each reader collects on a long-lived thread of its own, as periodic readers do
        threads = {reader: ThreadPoolExecutor(max_workers=1) for reader in seen}

        def collect(reader: str) -> None:
            seen[reader].append(threads[reader].submit(lag.observe).result())

        async def main() -> None:
            lag.ensure_running(asyncio.get_running_loop())
            await asyncio.sleep(0.01)
            collect("otlp")
            collect("discord")  # both have a window of their own from now on
            await asyncio.sleep(0.01)
            time.sleep(0.05)
            await asyncio.sleep(0.01)
            collect("otlp")  # first after the block: takes it for itself only
            collect("discord")
            collect("discord")  # its window started again: the block is behind it
            lag.stop()

        asyncio.run(main())
        for pool in threads.values():
            pool.shutdown()
        [_, otlp], [_, discord, again] = seen["otlp"], seen["discord"]
        assert otlp is not None
        assert discord is not None
        assert again is not None
        assert min(otlp, discord) >= 0.045 > again


def test_gateway_module_settle_waits_for_handlers() -> None:
    """settle() returns only once scheduled tasks are done (the tests rely on it)."""
    done: list[bool] = []

    async def main() -> None:
        async def work() -> None:
            await asyncio.sleep(0.01)
            done.append(True)

        asyncio.get_running_loop().create_task(work())
        await g.settle()

    asyncio.run(main())
    assert [True] == done
