"""Logging-only use in a service that is not a bot: warnings and errors go to Discord.

    export OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL=https://discord.com/api/webhooks/<id>/<token>
    python examples/logging_service.py

Only the logs channel is configured, so the others are simply off. Identical
errors are grouped into one embed with a count; the call to ``log.exception`` costs
the application thread microseconds, never a network round trip.
"""

from __future__ import annotations

import logging
import time

import otel_discord

telemetry = otel_discord.configure(
    service_name="billing-worker", system_metrics=False, instrument_discord=False
)
log = logging.getLogger("billing")


def charge(order: int) -> None:
    if order % 3 == 0:
        msg = f"card declined for order {order}"
        raise RuntimeError(msg)


if __name__ == "__main__":
    for order in range(10):
        try:
            charge(order)
        except RuntimeError:
            log.exception("charging failed")
        time.sleep(0.1)
    log.warning("queue is backing up: %d jobs waiting", 1200)
    telemetry.shutdown()
