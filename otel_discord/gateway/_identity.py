"""Who sent a record: one process of the fleet, named from its resource.

Counters are cumulative per process, so everything the gateway merges is keyed by
sender first. A sender is one resource: service, instance id, host and pid (a
Collector in between keeps each process's resource, so this holds through it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from opentelemetry.sdk.resources import Resource

IDENTITY_KEYS: Final = (
    "service.name",
    "service.namespace",
    "service.instance.id",
    "host.name",
    "host.id",
    "process.pid",
    "discord.shard.ids",
    "discord.cluster.id",
)
"""Resource attributes that tell processes apart (any subset may be present)."""
LABEL_WIDTH: Final = 32


@dataclass(frozen=True)
class Sender:
    """One process of the fleet."""

    key: tuple[tuple[str, str], ...]
    service: str
    host: str | None
    label: str
    """Short, human name for embeds: ``host-a · pid 4242`` or the instance id."""


def sender_of(resource: Resource) -> Sender:
    """The sender a resource stands for; resources without identity keys are told apart by hash."""
    attrs = resource.attributes
    key = tuple((name, str(attrs[name])) for name in IDENTITY_KEYS if name in attrs)
    if not any(name not in ("service.name", "service.namespace") for name, _ in key):
        digest = hashlib.blake2s(
            repr(sorted((k, repr(v)) for k, v in attrs.items())).encode(), digest_size=4
        ).hexdigest()
        key = (*key, ("resource", digest))
    service = str(attrs.get("service.name") or "unknown_service")
    host = str(attrs["host.name"]) if attrs.get("host.name") else None
    return Sender(key, service, host, _label(dict(key), host))


def _label(key: dict[str, str], host: str | None) -> str:
    parts = []
    if "discord.cluster.id" in key:
        parts.append(f"cluster {key['discord.cluster.id']}")
    if host:
        parts.append(host)
    if "process.pid" in key:
        parts.append(f"pid {key['process.pid']}")
    elif "service.instance.id" in key:
        parts.append(key["service.instance.id"][:12])
    elif "resource" in key:
        parts.append(f"#{key['resource']}")
    label = " · ".join(parts) or key.get("service.name", "unknown")
    return label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"
