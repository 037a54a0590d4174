"""``otel-discord check``: validate the settings and post one test embed to each channel.

The answer per channel is "ok", Discord's exact error, or "unreachable": enough to
fix a webhook or a bot permission without guessing. Secrets never appear.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from otel_discord.channels import Channel
from otel_discord.config import OTEL_EXPORTER_DISCORD_BOT_TOKEN, DiscordConfig
from otel_discord.delivery.discord_errors import describe_response, unusable_reason
from otel_discord.delivery.redaction import REDACTOR, guard_loggers
from otel_discord.delivery.transport import Transport, package_version
from otel_discord.render import pack_messages, style
from otel_discord.render.types import Embed

OK = "ok"


@dataclass(frozen=True)
class CheckResult:
    """How one channel answered the test message."""

    channel: Channel
    destination: str
    """Redacted."""
    outcome: str
    """``ok``, ``off``, ``unreachable`` or ``error``."""
    detail: str

    @property
    def failed(self) -> bool:
        return self.outcome not in (OK, "off")


def test_embed(channel: Channel, time_ns: int) -> Embed:
    """The message ``check`` sends: says what it is, so nobody wonders in the channel."""
    return {
        "title": f"✅ otel-discord check · {channel.value}",
        "description": "This channel is set up: telemetry will appear here.",
        "color": style.GREEN,
        "footer": {"text": f"otel-discord {package_version()}"},
        "timestamp": style.iso(time_ns),
    }


def run_check(
    config: DiscordConfig,
    *,
    time_ns: int,
    transport: httpx.BaseTransport | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Post one test embed per configured channel (a shared destination gets one per channel)."""
    # httpx logs every request URL at INFO, and a webhook URL holds its token: the same
    # redaction as the delivery engine's, even when no engine was ever built.
    guard_loggers()
    for route in config.routes.values():
        REDACTOR.add(route.token)
    client = Transport(config.timeout_ms / 1000, transport)
    results = []
    try:
        for channel in Channel:
            destination = config.routes.get(channel)
            if destination is None:
                result = CheckResult(channel, "-", "off", "no destination configured")
            else:
                result = _post(client, channel, destination, config, time_ns)
            results.append(result)
            if on_result is not None:
                on_result(result)
    finally:
        client.close()
    return results


def _post(
    client: Transport, channel: Channel, destination: object, config: DiscordConfig, time_ns: int
) -> CheckResult:
    from otel_discord.delivery.destination import ChannelDestination, WebhookDestination

    assert isinstance(destination, (WebhookDestination, ChannelDestination))
    [payload] = pack_messages([test_embed(channel, time_ns)], username=config.username)
    redacted = destination.redacted
    if not destination.ready():  # a channel ID whose token would come from the running bot
        detail = (
            f"needs {OTEL_EXPORTER_DISCORD_BOT_TOKEN} here; inside the instrumented bot it "
            "borrows the bot's own token"
        )
        return CheckResult(channel, redacted, "error", detail)
    try:
        response = client.post(destination, payload, config.timeout_ms / 1000)
    except httpx.HTTPError as exc:
        return CheckResult(channel, redacted, "unreachable", type(exc).__name__)
    if response.status_code < 300:
        return CheckResult(channel, redacted, OK, f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = describe_response(response.status_code, body, response.text)
    if response.status_code in (401, 403, 404):
        # The destination has its own column, and a check switches nothing off.
        detail = unusable_reason(response.status_code, destination, detail)
    return CheckResult(channel, redacted, "error", detail)


def format_table(results: list[CheckResult]) -> str:
    """A plain table for the terminal."""
    width = max(len(r.destination) for r in results)
    lines = [f"{'channel':<12} {'result':<12} {'destination':<{width}}  detail"]
    lines += [
        f"{r.channel.value:<12} {r.outcome:<12} {r.destination:<{width}}  {r.detail}"
        for r in results
    ]
    return "\n".join(lines)
