"""``otel-discord gateway`` keeps one status message for the whole fleet."""

from __future__ import annotations

from typing import Any

from otel_discord import Channel
from otel_discord.gateway import FleetPipeline, GatewaySettings
from tests.conftest import FourChannels

from .test_fleet import _export, _gauge, _resource


def fields(message: Any) -> dict[str, str]:
    (embed,) = message.payload["embeds"]
    return {f["name"]: f["value"] for f in embed["fields"]}


class TestFleetStatusMessage:
    """Many processes, one message: shards of every process, edited at each check."""

    def test_one_message_for_two_processes(self, four_channels: FourChannels) -> None:
        pipeline = FleetPipeline(four_channels.config(status_message=True), GatewaySettings())
        try:
            pipeline.start()
            assert pipeline.flush(5.0)
            for pid, shards, up in ((1, (0, 1), (1, 1)), (2, (2, 3), (1, 0))):
                state = pipeline.fleet.sender(_resource(pid, f"host{pid}"))
                assert state is not None
                points = [({"discord.shard.id": s}, u) for s, u in zip(shards, up, strict=True)]
                latency = [({"discord.shard.id": s}, 0.05) for s in shards]
                metrics = [
                    _gauge("discord.connected", points),
                    _gauge("discord.shards", [({}, 4)]),
                    _gauge("discord.gateway.latency", latency),
                ]
                pipeline.ingest_metrics(state, metrics, _export(state.resource, metrics))
            pipeline.merge_metrics()
            for _ in range(2):
                pipeline.monitors.check_health()
                assert pipeline.flush(5.0)
            status = pipeline.monitors.status
            assert status is not None
            assert (1, 2) == (status.live.created, status.live.edited)
            (message,) = [
                m
                for m in four_channels.server.messages(Channel.DIAGNOSTICS.value)
                if m.id == status.live.message_id
            ]
            (embed,) = message.payload["embeds"]
            assert "🟡 bot · 2 processes on 2 hosts · Degraded" == embed["title"]  # a shard is down
            assert "3/4 connected" == fields(message)["Shards"]
            assert "50 ms" == fields(message)["Gateway latency"]
        finally:
            pipeline.shutdown(5.0)
        assert [] == four_channels.server.violations
        stopped = four_channels.server.messages(Channel.DIAGNOSTICS.value)
        titles = [e["title"] for m in stopped for e in m.payload["embeds"]]
        assert 1 == sum("· Stopped" in t for t in titles)
