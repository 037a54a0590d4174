"""Settings precedence, validation and redaction."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from otel_discord import Channel, ConfigError, DiscordConfig
from otel_discord.delivery.destination import ChannelDestination, WebhookDestination

TOKEN = "sEcReT-T0ken_abcdefghijklmnopqrstuvwxyz"
HOOK = f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}"
LOCAL = f"http://127.0.0.1:8080/api/webhooks/42/{TOKEN}"
BOT = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.secretbotpart_xyz"


class TestPrecedence:
    """Constructor argument > environment > default, for every scalar setting."""

    @pytest.mark.parametrize(
        ("argument", "env", "expected"),
        [
            (None, {}, 10_000),
            (None, {"OTEL_EXPORTER_DISCORD_TIMEOUT": "2500"}, 2500),
            (700, {"OTEL_EXPORTER_DISCORD_TIMEOUT": "2500"}, 700),
            ("900", {}, 900),
        ],
    )
    def test_timeout(self, argument: object, env: dict[str, str], expected: int) -> None:
        config = DiscordConfig.resolve(env=env, timeout_ms=argument)
        assert expected == config.timeout_ms

    def test_bad_env_warns_and_falls_back(self, caplog: pytest.LogCaptureFixture) -> None:
        with caplog.at_level(logging.WARNING):
            config = DiscordConfig.resolve(env={"OTEL_EXPORTER_DISCORD_MAX_QUEUE_SIZE": "-3"})
        assert 1000 == config.max_queue_size
        assert "OTEL_EXPORTER_DISCORD_MAX_QUEUE_SIZE" in caplog.text

    def test_bad_argument_raises_naming_it(self) -> None:
        with pytest.raises(ConfigError, match="alert_cpu_percent"):
            DiscordConfig.resolve(env={}, alert_cpu_percent=150)

    def test_unknown_setting(self) -> None:
        with pytest.raises(ConfigError, match="unknown setting"):
            DiscordConfig.resolve(env={}, timeout=3)

    @pytest.mark.parametrize(
        ("argument", "env", "expected"),
        [
            (None, {}, True),
            (None, {"OTEL_EXPORTER_DISCORD_CHARTS": "false"}, False),
            (None, {"OTEL_EXPORTER_DISCORD_CHARTS": "0"}, False),
            (None, {"OTEL_EXPORTER_DISCORD_CHARTS": "maybe"}, True),
            (True, {"OTEL_EXPORTER_DISCORD_CHARTS": "false"}, True),
            ("off", {}, False),
        ],
    )
    def test_charts(self, argument: object, env: dict[str, str], expected: bool) -> None:
        """Charts are on by default; the variable or the argument turns them off."""
        assert expected is DiscordConfig.resolve(env=env, charts=argument).charts

    def test_log_level_names(self) -> None:
        config = DiscordConfig.resolve(env={"OTEL_EXPORTER_DISCORD_LOG_LEVEL": "error"})
        assert logging.ERROR == config.log_level


class TestRoutes:
    """Each channel takes its most specific destination; a channel with none is off."""

    def test_default_webhook_for_all(self) -> None:
        config = DiscordConfig.resolve(env={"OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK})
        assert set(Channel) == set(config.routes)
        dest = config.routes[Channel.LOGS]
        assert isinstance(dest, WebhookDestination)
        assert "https://discord.com/api/v10/webhooks/123456789012345678/" + TOKEN == dest.url

    def test_per_channel_overrides_and_off(self) -> None:
        env = {"OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL": LOCAL}
        config = DiscordConfig.resolve(env=env)
        assert [Channel.LOGS] == list(config.routes)
        assert any("analytics: no destination" in note for note in config.notes)

    def test_argument_beats_env(self) -> None:
        config = DiscordConfig.resolve(
            webhooks={"logs": HOOK}, env={"OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL": LOCAL}
        )
        assert "discord.com" in str(config.routes[Channel.LOGS])

    def test_channel_ids_with_bot_token(self) -> None:
        env = {
            "OTEL_EXPORTER_DISCORD_BOT_TOKEN": f"Bot {BOT}",
            "OTEL_EXPORTER_DISCORD_PERFORMANCE_CHANNEL_ID": "123456789012345678",
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK,
        }
        config = DiscordConfig.resolve(env=env)
        dest = config.routes[Channel.PERFORMANCE]
        assert isinstance(dest, ChannelDestination)
        assert "https://discord.com/api/v10/channels/123456789012345678/messages" == dest.url
        assert {"Authorization": f"Bot {BOT}"} == dest.headers()
        assert isinstance(config.routes[Channel.LOGS], WebhookDestination)

    def test_webhook_wins_over_channel_id_with_warning(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        env = {
            "OTEL_EXPORTER_DISCORD_BOT_TOKEN": BOT,
            "OTEL_EXPORTER_DISCORD_LOGS_CHANNEL_ID": "123456789012345678",
            "OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL": HOOK,
        }
        with caplog.at_level(logging.WARNING):
            config = DiscordConfig.resolve(env=env)
        assert isinstance(config.routes[Channel.LOGS], WebhookDestination)
        assert "webhook wins" in caplog.text
        assert BOT not in caplog.text

    def test_channel_id_without_token_borrows_the_bots(self) -> None:
        config = DiscordConfig.resolve(
            env={"OTEL_EXPORTER_DISCORD_LOGS_CHANNEL_ID": "123456789012345678"}
        )
        dest = config.routes[Channel.LOGS]
        assert isinstance(dest, ChannelDestination)
        assert "" == dest.token
        assert "(bot token from the running bot)" in str(dest)
        assert any("instrumented bot's own token" in note for note in config.notes)

    def test_bad_token_shape(self) -> None:
        with pytest.raises(ConfigError, match="OTEL_EXPORTER_DISCORD_BOT_TOKEN"):
            DiscordConfig.resolve(
                env={
                    "OTEL_EXPORTER_DISCORD_BOT_TOKEN": "not a token!",
                    "OTEL_EXPORTER_DISCORD_LOGS_CHANNEL_ID": "123456789012345678",
                }
            )


class TestValidation:
    """Bad destinations are clear errors naming the variable and never showing the token."""

    @pytest.mark.parametrize(
        ("url", "fragment"),
        [
            (f"http://discord.com/api/webhooks/1/{TOKEN}", "https on a Discord host"),
            (f"https://evil.example/api/webhooks/1/{TOKEN}", "https on a Discord host"),
            (f"https://discord.com/api/webhooks/abc/{TOKEN}", "numeric id"),
            ("https://discord.com/api/webhooks/123", "numeric id"),
            (f"https://discord.com/api/v9/webhooks/1/{TOKEN}", "v9 is not supported"),
            (f"https://10.0.0.1/api/webhooks/1/{TOKEN}", "loopback"),
        ],
    )
    def test_bad_webhook(self, url: str, fragment: str) -> None:
        env = {"OTEL_EXPORTER_DISCORD_ANALYTICS_WEBHOOK_URL": url}
        with pytest.raises(ConfigError) as info:
            DiscordConfig.resolve(env=env)
        message = str(info.value)
        assert message.startswith("OTEL_EXPORTER_DISCORD_ANALYTICS_WEBHOOK_URL:")
        assert fragment in message
        assert TOKEN not in message

    @pytest.mark.parametrize(
        "url",
        [
            f"https://ptb.discord.com/api/webhooks/1/{TOKEN}",
            f"https://canary.discordapp.com/api/v10/webhooks/1/{TOKEN}",
            f"http://localhost:9/api/webhooks/1/{TOKEN}",
            f"http://[::1]:9/api/webhooks/1/{TOKEN}",
        ],
    )
    def test_good_webhook(self, url: str) -> None:
        dest = WebhookDestination.parse(url)
        assert dest.url.endswith(f"/api/v10/webhooks/1/{TOKEN}")

    def test_bad_api_base(self) -> None:
        with pytest.raises(ConfigError, match="OTEL_EXPORTER_DISCORD_API_BASE_URL"):
            DiscordConfig.resolve(
                env={
                    "OTEL_EXPORTER_DISCORD_BOT_TOKEN": BOT,
                    "OTEL_EXPORTER_DISCORD_API_BASE_URL": "https://example.org/api",
                    "OTEL_EXPORTER_DISCORD_LOGS_CHANNEL_ID": "123456789012345678",
                }
            )


class TestRedaction:
    """Tokens never appear in reprs, strings or descriptions."""

    def test_everywhere(self) -> None:
        env = {
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK,
            "OTEL_EXPORTER_DISCORD_BOT_TOKEN": BOT,
            "OTEL_EXPORTER_DISCORD_DIAGNOSTICS_CHANNEL_ID": "123456789012345678",
        }
        config = DiscordConfig.resolve(env=env)
        texts = [repr(config), str(config), str(config.describe())]
        texts += [repr(d) for d in config.routes.values()] + [
            str(d) for d in config.routes.values()
        ]
        for text in texts:
            assert TOKEN not in text
            assert BOT not in text
        assert "https://discord.com/api/v10/webhooks/123456.../***" == str(
            config.routes[Channel.LOGS]
        )


def test_a_bad_value_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    """Each exporter (and the configurator) resolves the environment: one warning, not four."""
    env = {"OTEL_EXPORTER_DISCORD_TIMEOUT": "abc"}
    with caplog.at_level(logging.WARNING, logger="otel_discord"):
        for _ in range(4):
            DiscordConfig.resolve(env=env)
    assert 1 == sum("OTEL_EXPORTER_DISCORD_TIMEOUT='abc'" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("variable", "raw", "attribute", "default"),
    [
        ("OTEL_EXPORTER_DISCORD_PERFORMANCE_INTERVAL", "60", "performance_interval_ms", 60_000),
        ("OTEL_EXPORTER_DISCORD_TIMEOUT", "9" * 23, "timeout_ms", 10_000),
        ("OTEL_EXPORTER_DISCORD_MAX_QUEUE_SIZE", "10000000000", "max_queue_size", 1000),
    ],
)
def test_values_off_by_orders_of_magnitude_are_refused(
    variable: str, raw: str, attribute: str, default: int, caplog: pytest.LogCaptureFixture
) -> None:
    """60 (seconds, meant as 60,000 ms) or a timeout no timer holds: warned, the default kept."""
    with caplog.at_level(logging.WARNING, logger="otel_discord"):
        config = DiscordConfig.resolve(env={variable: raw})
    assert default == getattr(config, attribute)
    assert f"{variable}={raw!r} must be between" in caplog.text
    with pytest.raises(ConfigError, match=f"^{attribute}=.*must be between"):
        DiscordConfig.resolve(env={}, **{attribute: int(raw)})


class TestWebhookShapes:
    """A thread's webhook URL, and values Discord would refuse, as a user pastes them."""

    def test_thread_id_is_kept(self) -> None:
        dest = WebhookDestination.parse(f"{HOOK}?thread_id=987654321098765432")
        assert {"thread_id": "987654321098765432"} == dest.params
        assert dest.redacted.endswith("/***?thread_id=987654321098765432")
        assert TOKEN not in repr(dest)
        assert {} == WebhookDestination.parse(f"{HOOK}?wait=true").params

    @pytest.mark.parametrize(
        ("url", "problem"),
        [
            (f"{HOOK}?thread_id=abc", "thread_id is a Discord snowflake"),
            (f"https://discord.com/api/webhooks/１２３/{TOKEN}", "expected a path"),
            (f"https://discord.com:abc/api/webhooks/1/{TOKEN}", "not a valid URL"),
        ],
    )
    def test_refused_naming_the_setting(self, url: str, problem: str) -> None:
        with pytest.raises(ConfigError, match=f"^OTEL_EXPORTER_DISCORD_WEBHOOK_URL: {problem}"):
            DiscordConfig.resolve(env={"OTEL_EXPORTER_DISCORD_WEBHOOK_URL": url})
        with pytest.raises(ConfigError) as raised:
            DiscordConfig.resolve(env={"OTEL_EXPORTER_DISCORD_WEBHOOK_URL": url})
        assert TOKEN not in str(raised.value)

    def test_channel_id_in_ascii_digits(self) -> None:
        with pytest.raises(ConfigError, match="snowflake"):
            ChannelDestination.parse("１２３４５６７８９０１２３４５６７８", BOT)


def test_posts_go_into_the_thread(discord_server: Any) -> None:
    """Every message of a thread's webhook carries ``thread_id``, as Discord requires."""
    from otel_discord.pipeline import Pipeline
    from tests.support import QUIET_INTERVALS

    hook = discord_server.create_webhook("logs")
    settings = {**QUIET_INTERVALS, "status_message": True}  # a live message, created with ?wait
    config = DiscordConfig.resolve(
        webhook_url=f"{hook}?thread_id=123456789012345678", env={}, **settings
    )
    pipeline = Pipeline(config)
    try:
        pipeline.start()
        assert pipeline.flush(5)
    finally:
        pipeline.shutdown(5)
    messages = discord_server.messages()
    assert 2 == len(messages)  # the start-up notice and the status message
    assert {"123456789012345678"} == {m.thread_id for m in messages}
    assert any(m.edited_at is not None for m in messages)  # edited to Stopped at shutdown


def test_a_misspelt_variable_is_named_with_its_likely_meaning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LOG for LOGS: nothing would be sent, and nothing would say so."""
    env = {"OTEL_EXPORTER_DISCORD_LOG_WEBHOOK_URL": HOOK}
    with caplog.at_level(logging.WARNING, logger="otel_discord"):
        config = DiscordConfig.resolve(env=env)
    assert {} == config.routes
    messages = [r.getMessage() for r in caplog.records]
    assert (
        "OTEL_EXPORTER_DISCORD_LOG_WEBHOOK_URL is not an otel-discord setting; "
        "did you mean OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL?"
    ) in messages
    assert any(m.startswith("otel-discord: no channel has a destination") for m in messages)
    assert TOKEN not in caplog.text


def test_arguments_of_the_wrong_type_name_their_setting() -> None:
    """``configure(log_level=logging.ERROR)`` works; a non-string URL is a ConfigError."""
    assert logging.ERROR == DiscordConfig.resolve(env={}, log_level=logging.ERROR).log_level
    with pytest.raises(ConfigError, match=r"^webhook_url: expected a string, got int$"):
        DiscordConfig.resolve(env={}, webhook_url=123)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="log_level"):
        DiscordConfig.resolve(env={}, log_level=41)
