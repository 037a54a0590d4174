"""The gateway's own settings (listening address, limits, auth); Discord settings stay in config."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from otel_discord.errors import ConfigError

TOKEN_ENV: Final = "OTEL_DISCORD_GATEWAY_TOKEN"  # noqa: S105 - a variable name, not a secret
"""Bearer token senders must present (``Authorization: Bearer <token>``)."""

DEFAULT_PORT: Final = 4318
"""The OTLP/HTTP port every exporter and Collector uses by default."""
DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""Request body limit, compressed and decompressed: larger bodies get 413."""
DEFAULT_QUEUE_ITEMS: Final = 200_000
"""Spans, log records and data points waiting for the pipeline before senders get 429."""
DEFAULT_QUEUE_BYTES: Final = 128 * 1024 * 1024
"""Requests (as received) waiting for the pipeline before senders get 429."""
DEFAULT_REQUEST_TIMEOUT_S: Final = 10.0
DEFAULT_MERGE_INTERVAL_S: Final = 15.0
DEFAULT_SILENCE_AFTER_S: Final = 90.0
DEFAULT_MAX_CONNECTIONS: Final = 512
DEFAULT_MAX_CONNECTIONS_PER_CLIENT: Final = 32
"""Enough for a Collector's parallel exporters; one address cannot take every slot."""
DEFAULT_MAX_INFLIGHT_BYTES: Final = 64 * 1024 * 1024
"""Request bodies held at once across all requests (as read, once inflated, and what they
decode to, estimated before decoding); one request that cannot fit alone is refused (413)."""
MIN_TOKEN_CHARS: Final = 16
"""A shorter bearer token is guessable; ``secrets.token_urlsafe(24)`` gives 32 characters."""
DEFAULT_MAX_SENDERS: Final = 1024


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class GatewaySettings:
    """How the receiver listens and what it accepts.

    Args:
        host: Interface to bind. Anything but loopback requires a token.
        port: TCP port; 0 picks a free one (the CLI prints it).
        token: Bearer token senders must present; None means no authentication.
        max_body_bytes: Body limit before and after decompression (413 above it).
        queue_items: Items waiting for the pipeline before senders are told to back off (429).
        queue_bytes: Bytes of requests waiting for the pipeline before the same 429.
        request_timeout_s: Deadline for a request's headers (from the connection's opening
            or its previous answer), and again for its whole body.
        merge_interval_s: How often the merged fleet metrics feed snapshots and monitors.
        silence_after_s: A sender quiet this long (or three of its export intervals) is silent.
        max_connections: Concurrent connections; more are answered 503 at once.
        max_connections_per_client: Concurrent connections from one address (503 above).
        max_inflight_bytes: Bodies held at once across all requests, with what they decode
            to (503 + Retry-After above; 413 for a request over it alone).
        max_senders: Distinct processes tracked; a new one beyond evicts the longest quiet.
    """

    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    token: str | None = field(default=None, repr=False)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    queue_items: int = DEFAULT_QUEUE_ITEMS
    queue_bytes: int = DEFAULT_QUEUE_BYTES
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    merge_interval_s: float = DEFAULT_MERGE_INTERVAL_S
    silence_after_s: float = DEFAULT_SILENCE_AFTER_S
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_connections_per_client: int = DEFAULT_MAX_CONNECTIONS_PER_CLIENT
    max_inflight_bytes: int = DEFAULT_MAX_INFLIGHT_BYTES
    max_senders: int = DEFAULT_MAX_SENDERS

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            msg = f"gateway port must be 0..65535, got {self.port}"
            raise ConfigError(msg)
        for name in (
            "max_body_bytes",
            "queue_items",
            "queue_bytes",
            "max_connections",
            "max_connections_per_client",
            "max_inflight_bytes",
            "max_senders",
        ):
            if getattr(self, name) < 1:
                msg = f"gateway {name} must be at least 1, got {getattr(self, name)}"
                raise ConfigError(msg)
        for name in ("request_timeout_s", "merge_interval_s", "silence_after_s"):
            if not getattr(self, name) > 0:
                msg = f"gateway {name} must be positive, got {getattr(self, name)}"
                raise ConfigError(msg)
        if self.max_inflight_bytes < self.max_body_bytes:
            msg = (
                f"gateway max_inflight_bytes ({self.max_inflight_bytes}) must be at least "
                f"max_body_bytes ({self.max_body_bytes})"
            )
            raise ConfigError(msg)
        if self.token is not None and (
            len(self.token) < MIN_TOKEN_CHARS or any(c.isspace() for c in self.token)
        ):
            msg = (
                f"gateway token ({TOKEN_ENV} or --token) must be at least {MIN_TOKEN_CHARS} "
                "characters without whitespace"
            )
            raise ConfigError(msg)
        if self.token is None and not is_loopback(self.host):
            msg = (
                f"binding the gateway to {self.host!r} (not loopback) requires a token: "
                f"pass --token or set {TOKEN_ENV}"
            )
            raise ConfigError(msg)

    @classmethod
    def resolve(
        cls,
        *,
        token: str | None = None,
        env: Mapping[str, str] | None = None,
        **settings: object,
    ) -> GatewaySettings:
        """Settings from arguments; the token falls back to ``OTEL_DISCORD_GATEWAY_TOKEN``."""
        environ = os.environ if env is None else env
        if token is None:
            token = environ.get(TOKEN_ENV, "").strip() or None
        return cls(token=token, **settings)  # type: ignore[arg-type]
