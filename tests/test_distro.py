"""The distro's environment defaults, and keeping Python's default error output."""

from __future__ import annotations

import logging
import subprocess
import sys

from otel_discord.distro import apply_defaults, replace_unloadable

HOOK = "http://127.0.0.1:9/api/webhooks/1/token"


class TestDefaults:
    """``discord`` becomes the default exporter only when Discord is configured."""

    def test_sets_defaults(self) -> None:
        env = {"OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL": HOOK}
        apply_defaults(env)
        assert "discord" == env["OTEL_TRACES_EXPORTER"] == env["OTEL_LOGS_EXPORTER"]
        assert "15000" == env["OTEL_METRIC_EXPORT_INTERVAL"]
        assert "true" == env["OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"]

    def test_user_settings_stay(self) -> None:
        env = {"OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK, "OTEL_TRACES_EXPORTER": "console"}
        apply_defaults(env)
        assert "console" == env["OTEL_TRACES_EXPORTER"]

    def test_untouched_without_discord(self) -> None:
        env: dict[str, str] = {}
        apply_defaults(env)
        assert {} == env

    def test_unloadable_exporter_replaced(self) -> None:
        env = {
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK,
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_METRICS_EXPORTER": "console",
            "OTEL_LOGS_EXPORTER": "none",
        }
        changes = replace_unloadable(env)
        assert ["OTEL_TRACES_EXPORTER: otlp not installed"] == changes
        assert ("discord", "console", "none") == (
            env["OTEL_TRACES_EXPORTER"],
            env["OTEL_METRICS_EXPORTER"],
            env["OTEL_LOGS_EXPORTER"],
        )


SCRIPT = """
import logging
import otel_discord
t = otel_discord.configure(webhook_url="{hook}", system_metrics=False, instrument_discord=False)
logging.getLogger("bot").error("the bot's own error line")
t.shutdown()
"""


class TestDefaultOutput:
    """Bridging logging must not silence what Python printed to stderr before."""

    def test_error_still_printed(self) -> None:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(hook=HOOK)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "the bot's own error line" in result.stderr

    def test_configured_logging_left_alone(self) -> None:
        from otel_discord.console import release_console
        from otel_discord.setup import keep_default_output

        root = logging.getLogger()
        handler = logging.StreamHandler()
        root.addHandler(handler)
        stand_in = keep_default_output()
        try:
            assert stand_in is not None
            assert logging.lastResort not in root.handlers
            record = logging.makeLogRecord({"name": "app", "levelno": logging.ERROR})
            assert stand_in.handle(record) is False  # the bot's own handler prints it
        finally:
            release_console(stand_in)
            root.removeHandler(handler)
