"""Aggregation state: what the pipeline remembers between exports.

Metric history (:mod:`~otel_discord.state.history`), the analytics window
(:mod:`~otel_discord.state.activity`), the storm window
(:mod:`~otel_discord.state.storm`) and the repeat hold
(:mod:`~otel_discord.state.repeat_hold`). State knows nothing of embeds or
queues: rendering reads the values it hands out, delivery never calls back here.
"""
