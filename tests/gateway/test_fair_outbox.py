"""One process's flood of errors cannot push another process's one error out of #logs."""

from __future__ import annotations

import time
from typing import Any

import httpx

from otel_discord.channels import Channel
from tests.conftest import FourChannels


def _logs(pid: int, records: list[dict[str, Any]]) -> dict[str, Any]:
    resource = [
        {"key": "service.name", "value": {"stringValue": "bot"}},
        {"key": "process.pid", "value": {"intValue": str(pid)}},
    ]
    return {
        "resourceLogs": [
            {"resource": {"attributes": resource}, "scopeLogs": [{"logRecords": records}]}
        ]
    }


def _error(kind: str, text: str) -> dict[str, Any]:
    return {
        "severityNumber": 17,
        "body": {"stringValue": text},
        "attributes": [{"key": "exception.type", "value": {"stringValue": kind}}],
    }


def test_a_flood_drops_its_own_first(four_channels: FourChannels, make_gateway: Any) -> None:
    gateway = make_gateway(four_channels.config(max_queue_size=40))
    url = f"http://127.0.0.1:{gateway.port}/v1/logs"
    with httpx.Client(timeout=30) as client:
        for batch in range(4):
            if batch == 1:  # the flood goes on after it
                legit = [_error("DbDown", "database down")]
                assert 200 == client.post(url, json=_logs(2, legit)).status_code
            flood = [_error(f"Err{batch}x{n}", f"flood {batch}-{n}") for n in range(250)]
            assert 200 == client.post(url, json=_logs(1, flood)).status_code
    deadline = time.monotonic() + 30
    titles: list[str] = []
    while time.monotonic() < deadline and not any("DbDown" in t for t in titles):
        time.sleep(0.2)
        titles = [e.get("title", "") for e in four_channels.embeds(Channel.LOGS)]
    assert any("DbDown" in t for t in titles), titles[-5:]
