"""What the disnake listener hook (``_disnake_listeners``) costs each scheduled listener.

disnake runs every event listener through ``Client._schedule_event``, which the
instrumentation wraps to find component listeners. Compared side by side, per call:
the original, the wrapper on an ordinary event (``on_message``: one set lookup more),
and the wrapper on a low-level button click (a span opened and the context attached).
Each call creates the listener's task, as disnake does; tasks run between batches.

Needs disnake (not in ``run_all``)::

    .venv-disnake/bin/python benchmarks/bench_disnake_listeners.py
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import disnake
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from otel_discord.instrumentation import DiscordInstrumentor
from otel_discord.offline import payloads as g

BATCH = 2_000
ROUNDS = 5


async def listener(*_: Any) -> None:
    return None


async def per_call(schedule: Any, client: Any, event: str, make_arg: Any) -> float:
    """Best of ``ROUNDS``: seconds per ``schedule(client, listener, event, arg)`` call."""
    best = float("inf")
    for _ in range(ROUNDS):
        args = [make_arg() for _ in range(BATCH)]
        started = time.perf_counter()
        tasks = [schedule(client, listener, event, arg) for arg in args]
        best = min(best, (time.perf_counter() - started) / BATCH)
        await asyncio.gather(*tasks)
    return best


def click(client: Any, user: dict[str, Any]) -> Any:
    payload = g.interaction_create(
        user["id"], "", guild_id=g.snowflake(), channel_id=g.snowflake(), invoker=user
    )
    message = g.message_create(payload["channel_id"], user, "menu")
    button = {"type": 2, "style": 1, "label": "Go", "custom_id": "help:yes"}
    message["components"] = [{"type": 1, "components": [button]}]
    payload.update(type=3, data={"custom_id": "help:yes", "component_type": 2}, message=message)
    return disnake.MessageInteraction(data=payload, state=client._connection)


async def main() -> None:
    client = disnake.Client()
    user = g.user(name="bench", bot=True)
    original = disnake.Client._schedule_event
    plain = await per_call(original, client, "on_message", object)
    instrumentor = DiscordInstrumentor()
    instrumentor.instrument(tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    try:
        wrapped = disnake.Client._schedule_event
        ordinary = await per_call(wrapped, client, "on_message", object)
        clicks = await per_call(wrapped, client, "on_button_click", lambda: click(client, user))
        unwrapped_clicks = await per_call(
            original, client, "on_button_click", lambda: click(client, user)
        )
    finally:
        instrumentor.uninstrument()
    print(f"{'Client._schedule_event':<44} {'µs per call':>12}")
    print(f"{'original, on_message':<44} {plain * 1e6:>12.2f}")
    print(f"{'wrapped, on_message':<44} {ordinary * 1e6:>12.2f}")
    print(f"{'original, on_button_click':<44} {unwrapped_clicks * 1e6:>12.2f}")
    print(f"{'wrapped, on_button_click (span per click)':<44} {clicks * 1e6:>12.2f}")


if __name__ == "__main__":
    asyncio.run(main())
