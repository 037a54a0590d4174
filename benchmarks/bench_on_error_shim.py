"""What the per-client ``on_error`` shim costs on the dispatch hot path, side by side.

Event-handler errors used to be observed by wrapping every handler coroutine in
``Client._run_event`` (one extra coroutine frame per handler run, and a frame of
ours in the bot's tracebacks). Now ``dispatch`` calls ``hook_on_error(client)``
once per event (a weak-reference identity check on the fast path) and handlers
run unwrapped. Printed: nanoseconds per call of each piece, on a real
``discord.Client``, median of rounds.

Usage::

    python benchmarks/bench_on_error_shim.py
"""

from __future__ import annotations

import asyncio
import statistics
import timeit
from typing import Any

import discord

from otel_discord.instrumentation._event_errors import hook_on_error

ROUNDS = 7
CALLS = 200_000


async def handler() -> None:
    return None


async def wrapped_handler() -> None:
    """The old observation: one more coroutine around the handler."""
    try:
        return await handler()
    except Exception:
        raise


def per_call_ns(statement: Any, number: int) -> float:
    times = [timeit.timeit(statement, number=number) for _ in range(ROUNDS)]
    return statistics.median(times) / number * 1e9


def run_coroutines(factory: Any, count: int) -> None:
    async def main() -> None:
        for _ in range(count):
            await factory()

    asyncio.run(main())


def main() -> None:
    client = discord.Client(intents=discord.Intents.none())
    hook_on_error(client)
    rows = [
        ("hook_on_error(client), fast path", per_call_ns(lambda: hook_on_error(client), CALLS)),
        ("empty function call (reference)", per_call_ns(lambda: None, CALLS)),
        (
            "handler run, unwrapped",
            per_call_ns(lambda: run_coroutines(handler, 1000), 20) / 1000,
        ),
        (
            "handler run, wrapped (before)",
            per_call_ns(lambda: run_coroutines(wrapped_handler, 1000), 20) / 1000,
        ),
    ]
    width = max(len(name) for name, _ in rows)
    for name, ns in rows:
        print(f"{name:<{width}}  {ns:8.0f} ns")


if __name__ == "__main__":
    main()
