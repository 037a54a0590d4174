"""Routing rules: user rules first, then the documented defaults."""

from __future__ import annotations

from otel_discord import Channel
from otel_discord.routing import Router, Rule
from otel_discord.severity import severity_from_level


class TestDefaults:
    """The default table sends problems to logs and the bot's events to analytics."""

    router = Router()

    def test_logs_by_severity(self) -> None:
        assert Channel.LOGS is self.router.route("logs", severity=13, scope="app")
        assert Channel.LOGS is self.router.route("logs", severity=17, scope="app")
        assert self.router.route("logs", severity=9, scope="app") is None

    def test_activity_events_to_analytics(self) -> None:
        route = self.router.route("logs", severity=9, name="discord.guild.join")
        assert Channel.ANALYTICS is route

    def test_diagnostics_scope(self) -> None:
        route = self.router.route("logs", severity=9, scope="otel_discord.diagnostics")
        assert Channel.DIAGNOSTICS is route

    def test_spans(self) -> None:
        assert Channel.LOGS is self.router.route("spans", name="play", is_error=True)
        assert self.router.route("spans", name="play") is None

    def test_level_mapping(self) -> None:
        assert [1, 5, 9, 13, 17, 21] == [severity_from_level(x) for x in (0, 10, 20, 30, 40, 50)]


class TestUserRules:
    """User rules match on scope, name and attributes, and can drop."""

    def test_attribute_rule_wins(self) -> None:
        router = Router([Rule(Channel.DIAGNOSTICS, signal="logs", attributes={"team": "ops*"})])
        route = router.route("logs", severity=17, attributes={"team": "ops-eu"})
        assert Channel.DIAGNOSTICS is route
        assert Channel.LOGS is router.route("logs", severity=17, attributes={"team": "dev"})

    def test_drop_noisy_scope(self) -> None:
        router = Router([Rule(None, scope="noisy.*")])
        assert router.route("logs", severity=40, scope="noisy.lib") is None
        assert router.has_user_rules("metrics")

    def test_min_level_setting(self) -> None:
        router = Router(min_log_severity=17)
        assert router.route("logs", severity=13) is None
