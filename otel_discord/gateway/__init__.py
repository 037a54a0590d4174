"""An OTLP/HTTP gateway: one Discord view for a bot that runs as many processes.

Every process of the bot (and any service in any language) exports with the
standard OTLP/HTTP exporter, directly or through an OpenTelemetry Collector; the
gateway receives it all, merges it, and runs the package's routing, rendering,
monitors and delivery once, owning the Discord rate limits for the channels.

Usage::

    OTEL_EXPORTER_DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/... \\
    OTEL_DISCORD_GATEWAY_TOKEN=s3cret otel-discord gateway --host 0.0.0.0 --port 4318

    # in each bot process (standard OpenTelemetry settings)
    OTEL_EXPORTER_OTLP_ENDPOINT=http://gateway:4318
    OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer s3cret"
    OTEL_TRACES_EXPORTER=otlp OTEL_METRICS_EXPORTER=otlp OTEL_LOGS_EXPORTER=otlp

From code::

    from otel_discord import DiscordConfig
    from otel_discord.gateway import Gateway, GatewaySettings

    with Gateway(DiscordConfig.resolve(), GatewaySettings(port=4318)) as gateway:
        ...  # gateway.url, gateway.flush(), gateway.stats

Receiver: ``POST /v1/traces``, ``/v1/metrics``, ``/v1/logs``; ``application/x-protobuf``
or ``application/json``; ``Content-Encoding`` gzip, deflate or none. Answers as
OTLP/HTTP says: 200 with ``partial_success`` when items were rejected, 400 for
undecodable payloads, 401 without the bearer token, 413 over the body limit, 415
for other media types or encodings, 429 (queue full) or 503 (stopping) with
``Retry-After``. A token is required unless the gateway listens on loopback.

Fleet: records are keyed by sender (the resource: service, instance id, host,
pid). Counters become per-sender deltas before they are merged, so summaries
carry exact totals "across N processes" with a line per process; snapshots show
every shard's latency; alerts name the process; a process that stops exporting
is reported silent by name; the health check and a roster cover the fleet.

Configuration: Discord destinations and intervals from the usual
``OTEL_EXPORTER_DISCORD_*`` variables; the token from ``--token`` or
``OTEL_DISCORD_GATEWAY_TOKEN``; the rest from :class:`GatewaySettings`.
"""

from __future__ import annotations

from otel_discord.gateway._fleet import INSTANCE_ATTR, Fleet, SenderState, SenderView
from otel_discord.gateway._fleet_pipeline import FleetPipeline
from otel_discord.gateway._gateway import Gateway
from otel_discord.gateway._identity import Sender, sender_of
from otel_discord.gateway._run import run_gateway
from otel_discord.gateway._settings import TOKEN_ENV, GatewaySettings, is_loopback

__all__ = [
    "INSTANCE_ATTR",
    "TOKEN_ENV",
    "Fleet",
    "FleetPipeline",
    "Gateway",
    "GatewaySettings",
    "Sender",
    "SenderState",
    "SenderView",
    "is_loopback",
    "run_gateway",
    "sender_of",
]
