"""No secret leaks: webhook tokens and the bot token never show, whatever goes wrong.

Settings come from the environment as a user sets them (webhooks, and a channel ID posted
to with ``OTEL_EXPORTER_DISCORD_BOT_TOKEN``). ``otel-discord check`` runs first, before any
delivery engine has seen the tokens; then the full stack runs through 401, 403, 404, 5xx,
resets and bans with every logger captured at DEBUG. Logs, exceptions, reprs, status
events, stats, Discord messages and CLI output are all searched for every secret.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from otel_discord import (
    Channel,
    ConfigError,
    DiscordConfig,
    DiscordLogExporter,
    DiscordMetricExporter,
    DiscordSpanExporter,
)
from otel_discord.cli import main
from otel_discord.config import channel_id_env, webhook_env
from otel_discord.testing import DiscordServer, Fault

from .stack import QUIET, Delivery, Stack, embed_text

MakeStack = Callable[..., Stack]


@dataclass
class World:
    """The environment a user set up, and every secret in it."""

    secrets: list[str]
    logs_url: str
    faults: list[tuple[Fault, int]]


def set_up(variant: str, srv: DiscordServer, monkeypatch: pytest.MonkeyPatch) -> World:
    """Logs and diagnostics on webhooks; analytics by channel ID; performance broken."""
    bot = f"MTA.{secrets.token_urlsafe(30)}"
    logs = srv.create_webhook("logs")
    diagnostics = srv.create_webhook("diagnostics")
    performance = srv.create_webhook("performance")
    found: list[str] = [bot]
    if variant == "forbidden-deleted":
        srv.add_bot(bot, permissions={"VIEW_CHANNEL", "SEND_MESSAGES"})  # no Embed Links: 403
        srv.delete_webhook(performance)  # 404
        faults = [
            (Fault.SERVER_ERROR, 2),
            (Fault.BAD_GATEWAY_HTML, 1),
            (Fault.CLOUDFLARE_BAN, 1),
            (Fault.RESET, 1),
        ]
    else:  # unauthorized: the bot token is unknown, the webhook token wrong (401s)
        wrong = f"{secrets.token_urlsafe(51)}"
        found.append(wrong)
        performance = f"{performance.rsplit('/', 1)[0]}/{wrong}"
        faults = [(Fault.SERVICE_UNAVAILABLE, 3), (Fault.RATE_LIMIT_GLOBAL, 1)]
    for channel, url in (
        (Channel.LOGS, logs),
        (Channel.DIAGNOSTICS, diagnostics),
        (Channel.PERFORMANCE, performance),
    ):
        monkeypatch.setenv(webhook_env(channel), url)
        found.append(url.rsplit("/", 1)[-1])
    monkeypatch.setenv("OTEL_EXPORTER_DISCORD_BOT_TOKEN", bot)
    monkeypatch.setenv("OTEL_EXPORTER_DISCORD_API_BASE_URL", f"{srv.base_url}/api/v10")
    monkeypatch.setenv(channel_id_env(Channel.ANALYTICS), srv.create_channel("analytics"))
    return World(found, logs, faults)


def run(stack: Stack, world: World) -> None:
    """Some of everything, through every channel; the app quotes every secret too."""
    tracer = stack.telemetry.tracer_provider.get_tracer("reliabot.commands")
    for i in range(3):
        with tracer.start_as_current_span("play"):
            stack.app.error("round %d: voice node unreachable", i)
        try:
            raise ConnectionError(f"node {i} reset")
        except ConnectionError:
            stack.app.exception("playback failed")
    # An app's own messages and exceptions may carry a secret: a URL it was given, a token
    # in a KeyError, a span attribute. The renderers escape "_" and wrap code blocks.
    for secret in world.secrets:
        stack.app.warning("posting to %s/%s failed", world.logs_url, secret)
        with tracer.start_as_current_span("deploy") as span:
            span.set_attribute("discord.guild.name", secret)
            try:
                raise KeyError(f"lookup in {'_' * 30} {secret}")
            except KeyError:
                stack.app.exception("token lookup failed")
    stack.export()
    stack.telemetry.meter_provider.force_flush()
    for job in ("analytics", "performance", "health"):
        stack.pipeline.scheduler.run_now(job)
    stack.pipeline.send_system()


class TestNoSecretLeaks:
    """Every secret stays out of everything a person or a log collector could read."""

    @pytest.mark.parametrize("variant", ["forbidden-deleted", "unauthorized"])
    def test_tokens_never_shown(
        self,
        variant: str,
        strict_server: DiscordServer,
        fast_delivery: Delivery,
        make_stack: MakeStack,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        caplog.set_level(logging.DEBUG)
        srv = strict_server
        world = set_up(variant, srv, monkeypatch)

        assert 1 == main(["check"])  # one channel at least is broken
        check = capsys.readouterr()
        assert "HTTP Request: POST" not in caplog.text  # our posts stay off the app's logs

        for fault, count in world.faults:
            srv.inject(fault, count=count, webhook_url=world.logs_url)
        config = DiscordConfig.resolve(**QUIET)
        stack = make_stack(config=config)
        run(stack, world)
        assert stack.flush(15.0)
        kinds = {e.kind for e in fast_delivery.events}
        assert {"disabled", "failing", "recovered"} <= kinds

        problems = []
        for bad in (
            f"https://discord.com/api/webhooks/notanid/{world.secrets[-1]}",
            f"ftp://discord.com/api/webhooks/1/{world.secrets[-1]}",
        ):
            with pytest.raises(ConfigError) as raised:
                DiscordConfig.resolve(webhook_url=bad, env={})
            problems.append(f"{raised.value} {raised.value!r}")
        exporters: list[Any] = [DiscordSpanExporter(config), DiscordLogExporter(config)]
        exporters.append(DiscordMetricExporter(config))
        records = [r for r in caplog.records if r.name != stack.app.name]
        exposed = {
            "check output": check.out + check.err,
            # the app's own records quote secrets on purpose (run): everyone else's
            "logs": "\n".join(caplog.handler.format(r) for r in records),
            "log records": "\n".join(
                f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in records
            ),
            "output": "".join(capsys.readouterr()),
            "config": f"{config!r} {config} {config.describe()} {list(config.routes.values())}",
            "objects": f"{stack.telemetry!r} {stack.pipeline!r} {stack.engine!r} {exporters!r}",
            "stats": repr(stack.engine.stats()),
            "status events": repr(fast_delivery.events),
            "errors": " ".join(problems),
            # as a person reads it: markdown escapes, zero-width spaces and wraps removed
            "discord": re.sub(r"[\\\u200b\n]", "", "".join(embed_text(e) for e in srv.embeds())),
            "server records": f"{srv!r} {srv.violations!r} {srv.stats()!r}",
        }
        for exporter in exporters:
            exporter.shutdown()
        leaks = [
            (where, token[:6] + "...")
            for where, text in exposed.items()
            for token in world.secrets
            if token in text
        ]
        assert [] == leaks
        assert "***" in exposed["logs"]  # redacted, not merely absent
