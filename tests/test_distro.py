"""The distro's environment defaults, and keeping Python's default error output."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


class TestExporterNames:
    """Names resolve as the SDK resolves them; blanks and "none" in a list mean nothing."""

    def test_otlp_is_the_configured_protocols(self) -> None:
        """opentelemetry-exporter-otlp-proto-http is installed here, grpc is not."""
        env = {
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK,
            "OTEL_TRACES_EXPORTER": "discord,otlp",
            "OTEL_METRICS_EXPORTER": "discord,otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "grpc",
        }
        changes = replace_unloadable(env)
        assert "discord,otlp" == env["OTEL_TRACES_EXPORTER"]  # http: kept
        assert "discord" == env["OTEL_METRICS_EXPORTER"]  # grpc for metrics: not installed
        assert ["OTEL_METRICS_EXPORTER: otlp not installed"] == changes

    def test_none_beside_other_names_is_dropped(self) -> None:
        env = {"OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK, "OTEL_LOGS_EXPORTER": "none,discord"}
        assert [] == replace_unloadable(env)
        assert "discord" == env["OTEL_LOGS_EXPORTER"]

    def test_blank_variables_are_unset(self) -> None:
        """docker-compose's ``OTEL_TRACES_EXPORTER=`` must not switch everything off."""
        env = {
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK,
            "OTEL_TRACES_EXPORTER": "",
            "OTEL_LOGS_EXPORTER": " ",
            "OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED": "",
        }
        apply_defaults(env)
        assert "discord" == env["OTEL_TRACES_EXPORTER"] == env["OTEL_LOGS_EXPORTER"]
        assert "true" == env["OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED"]


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


class TestAutoselect:
    """The .pth line picks our configurator whenever our distro is the one in use."""

    PTH = Path(__file__).parents[1] / "otel_discord_autoselect.pth"

    @pytest.mark.parametrize(
        ("distro", "configurator"),
        [(None, "discord"), ("discord", "discord"), ("distro", None)],
    )
    def test_configurator(self, distro: str | None, configurator: str | None) -> None:
        env = {
            "PYTHONPATH": "/x/opentelemetry/instrumentation/auto_instrumentation",
            "OTEL_EXPORTER_DISCORD_WEBHOOK_URL": HOOK,
        }
        if distro is not None:
            env["OTEL_PYTHON_DISTRO"] = distro
        line = self.PTH.read_text().strip()
        exec(line.removeprefix("import os; "), {"os": _FakeOs(env)})
        assert configurator == env.get("OTEL_PYTHON_CONFIGURATOR")


class _FakeOs:
    """What the .pth line reads: ``os.environ``, here a plain dict."""

    def __init__(self, environ: dict[str, str]) -> None:
        self.environ = environ


TWICE = """
import logging, otel_discord
def bridges():
    handlers = logging.getLogger().handlers
    return sum(type(h).__module__.startswith("opentelemetry.") for h in handlers)
options = dict(webhook_url="{hook}", system_metrics=False, instrument_discord=False)
t1 = otel_discord.configure(**options)
t2 = otel_discord.configure(**options)
print("same", t1 is t2, "bridges", bridges())
print("again", t1.shutdown() == t1.shutdown(), "bridges", bridges())
"""


def test_configure_twice_returns_the_running_setup(discord_server: Any) -> None:
    """No second bridge (every record would be sent twice), no SDK override warnings, and
    shutdown() twice is quiet."""
    hook = discord_server.create_webhook("all")
    result = subprocess.run(
        [sys.executable, "-c", TWICE.format(hook=hook)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ["same True bridges 1", "again True bridges 0"] == result.stdout.splitlines()
    assert 1 == result.stderr.count("configure() was already called")
    assert "Overriding" not in result.stderr
    assert "already uninstrumented" not in result.stderr
    assert "can only be called once" not in result.stderr
