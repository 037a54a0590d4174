"""The intake: OpenTelemetry records in, routed and handed to a pipeline.

One path for the three exporters and the gateway: :mod:`~otel_discord.intake.convert`
turns SDK records into the plain values rendering needs, and
:mod:`~otel_discord.intake.route` routes spans and log records to channels.
"""
