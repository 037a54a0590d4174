"""Where a channel's messages go: a webhook URL, or a channel ID posted to with a bot token.

Parsing validates the shape and keeps the secret out of every ``str``/``repr``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from otel_discord.delivery.bot_token import current_bot_token
from otel_discord.errors import ConfigError

DISCORD_HOSTS = frozenset(
    {
        "discord.com",
        "discordapp.com",
        "ptb.discord.com",
        "canary.discord.com",
        "ptb.discordapp.com",
        "canary.discordapp.com",
    }
)
API_VERSION = "v10"
DEFAULT_API_BASE = f"https://discord.com/api/{API_VERSION}"

_WEBHOOK_PATH = re.compile(
    r"^/api(?:/v(?P<version>[0-9]+))?/webhooks/(?P<id>[0-9]{1,21})/(?P<token>[^/?#]+)/?$"
)
"""ASCII digits only: a digit class would take full-width and superscript digits Discord refuses."""
_SNOWFLAKE = re.compile(r"^[0-9]{15,21}$")
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_.\-]+$")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (local sinks and tests)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _host_of(url: str, setting: str) -> tuple[str, str, str]:
    """Split ``url`` into (scheme, netloc, host) or raise naming ``setting``."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        userinfo = parts.username is not None or parts.password is not None
        _ = parts.port  # raises for a port that is not a number in range
    except ValueError:
        msg = f"{setting}: not a valid URL (check the host and port)"
        raise ConfigError(msg) from None
    if userinfo:
        # Whatever sits before "@" is a secret someone pasted; it would be sent and shown.
        msg = f'{setting}: user information ("user:password@") is not allowed in the URL'
        raise ConfigError(msg)
    return parts.scheme.lower(), parts.netloc, host


def _check_origin(scheme: str, host: str, setting: str, what: str) -> None:
    if scheme == "https" and host in DISCORD_HOSTS:
        return
    if scheme in ("http", "https") and is_loopback(host):
        return
    msg = (
        f"{setting}: {what} must be https on a Discord host "
        f"({', '.join(sorted(DISCORD_HOSTS))}) or http(s) on a loopback address; got host {host!r}"
    )
    raise ConfigError(msg)


@dataclass(frozen=True)
class WebhookDestination:
    """A Discord webhook: ``POST {base}/webhooks/{id}/{token}``."""

    base: str
    """Scheme, host and ``/api/v10``, without a trailing slash."""
    webhook_id: str
    token: str = field(repr=False)
    thread_id: str | None = None
    """A thread (or forum post) of the webhook's channel: ``?thread_id=`` on every request."""

    @classmethod
    def parse(cls, url: str, *, setting: str = "webhook URL") -> WebhookDestination:
        """Validate ``url`` and rewrite an unversioned one to API v10."""
        scheme, netloc, host = _host_of(url, setting)
        _check_origin(scheme, host, setting, "a webhook URL")
        path = urlsplit(url.strip()).path
        match = _WEBHOOK_PATH.match(path)
        if match is None:
            msg = f"{setting}: expected a path /api/webhooks/<numeric id>/<token>"
            raise ConfigError(msg)
        token = match["token"]
        if not _TOKEN_SHAPE.match(token):
            msg = f"{setting}: the webhook token has characters a Discord token never has"
            raise ConfigError(msg)
        version = match["version"]
        if version is not None and version != API_VERSION[1:]:
            msg = f"{setting}: API version v{version} is not supported; use /api/{API_VERSION}/"
            raise ConfigError(msg)
        threads = parse_qs(urlsplit(url.strip()).query).get("thread_id")
        thread_id = threads[-1].strip() if threads else None
        if thread_id is not None and not _SNOWFLAKE.match(thread_id):
            msg = f"{setting}: thread_id is a Discord snowflake (15 to 21 digits)"
            raise ConfigError(msg)
        return cls(f"{scheme}://{netloc}/api/{API_VERSION}", match["id"], token, thread_id)

    @property
    def params(self) -> dict[str, str]:
        """Query parameters every request to this webhook carries."""
        return {"thread_id": self.thread_id} if self.thread_id else {}

    @property
    def url(self) -> str:
        """The URL to post to; contains the secret, never log it."""
        return f"{self.base}/webhooks/{self.webhook_id}/{self.token}"

    @property
    def redacted(self) -> str:
        """A form safe for logs: ``https://discord.com/api/v10/webhooks/1234.../***``."""
        thread = f"?thread_id={self.thread_id}" if self.thread_id else ""
        return f"{self.base}/webhooks/{_shorten(self.webhook_id)}/***{thread}"

    @property
    def bucket_hint(self) -> str:
        """A stable, secret-free key for this destination's rate-limit state."""
        return f"webhook:{self.webhook_id}"

    def __str__(self) -> str:
        return self.redacted

    def headers(self) -> dict[str, str]:
        """Per-request headers beyond the client's defaults."""
        return {}

    def ready(self) -> bool:
        """Whether a request can be made now (always, for a webhook)."""
        return True


@dataclass(frozen=True)
class ChannelDestination:
    """A text channel posted to as the bot: ``POST {base}/channels/{id}/messages``."""

    base: str
    channel_id: str
    token: str = field(repr=False)
    """Empty: borrow the running bot's token (``offer_bot_token``) once it connects."""

    @classmethod
    def parse(
        cls,
        channel_id: str,
        token: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        setting: str = "channel ID",
        token_setting: str = "bot token",  # noqa: S107 - a setting name, not a secret
        base_setting: str = "API base URL",
    ) -> ChannelDestination:
        """Validate the channel id, bot token and API base."""
        cid = channel_id.strip()
        if not _SNOWFLAKE.match(cid):
            msg = f"{setting}: a channel ID is a Discord snowflake (15 to 21 digits)"
            raise ConfigError(msg)
        tok = token.strip()
        if tok.lower().startswith("bot "):
            tok = tok[4:].strip()
        if tok and not _TOKEN_SHAPE.match(tok):
            msg = f"{token_setting}: not a Discord bot token"
            raise ConfigError(msg)
        scheme, netloc, host = _host_of(api_base, base_setting)
        _check_origin(scheme, host, base_setting, "the API base")
        path = urlsplit(api_base.strip()).path.rstrip("/") or f"/api/{API_VERSION}"
        if path == "/api":
            path = f"/api/{API_VERSION}"
        return cls(f"{scheme}://{netloc}{path}", cid, tok)

    @property
    def params(self) -> dict[str, str]:
        """Query parameters every request carries (none on the channel route)."""
        return {}

    @property
    def url(self) -> str:
        """The URL to post to (no secret in it; the token travels in a header)."""
        return f"{self.base}/channels/{self.channel_id}/messages"

    @property
    def redacted(self) -> str:
        """A form safe for logs."""
        source = "***" if self.token else "from the running bot"
        return f"{self.base}/channels/{self.channel_id}/messages (bot token {source})"

    @property
    def bucket_hint(self) -> str:
        """A stable, secret-free key for this destination's rate-limit state."""
        return f"channel:{self.channel_id}"

    def __str__(self) -> str:
        return self.redacted

    def headers(self) -> dict[str, str]:
        """The bot authorisation header; contains the secret."""
        return {"Authorization": f"Bot {self.token or current_bot_token() or ''}"}

    def ready(self) -> bool:
        """False while the token is to be borrowed from a bot that hasn't connected yet."""
        return bool(self.token or current_bot_token())


Destination = WebhookDestination | ChannelDestination


def _shorten(snowflake: str) -> str:
    return snowflake if len(snowflake) <= 6 else f"{snowflake[:6]}..."
