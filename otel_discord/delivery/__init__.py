"""Delivery to Discord: outboxes, packing, rate limits and sender threads.

Public API: :class:`DeliveryEngine`, its :class:`DeliveryStats` snapshots and
:class:`StatusEvent` notices, the destinations and items it carries.
"""

from __future__ import annotations

from otel_discord.delivery.destination import ChannelDestination, Destination, WebhookDestination
from otel_discord.delivery.engine import DeliveryEngine
from otel_discord.delivery.item import Item, Priority, StaticItem
from otel_discord.delivery.policy import DeliveryPolicy
from otel_discord.delivery.stats import DeliveryStats, StatusEvent

__all__ = [
    "ChannelDestination",
    "DeliveryEngine",
    "DeliveryPolicy",
    "DeliveryStats",
    "Destination",
    "Item",
    "Priority",
    "StaticItem",
    "StatusEvent",
    "WebhookDestination",
]
