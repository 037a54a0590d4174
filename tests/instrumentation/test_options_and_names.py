"""Options precedence, the names table, and the entry point."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import pytest

import otel_discord.instrumentation as instrumentation
from otel_discord.errors import ConfigError
from otel_discord.instrumentation import DiscordInstrumentor, _names, names_table_markdown
from otel_discord.instrumentation._options import Options
from otel_discord.offline import payloads as g
from tests.instrumentation.harness import Otel, make_bot, start

Instrument = Callable[..., DiscordInstrumentor]
VAR = "OTEL_PYTHON_DISCORD_INCLUDE_BOT_MESSAGES"


class TestOptions:
    """instrument() keyword > environment variable > default."""

    @pytest.mark.parametrize(
        ("kwargs", "environ", "expected"),
        [
            ({}, {}, False),
            ({}, {VAR: "true"}, True),
            ({}, {VAR: " YES "}, True),
            ({}, {VAR: "0"}, False),
            ({"include_bot_messages": False}, {VAR: "true"}, False),
            ({"include_bot_messages": True}, {VAR: "false"}, True),
            ({"include_bot_messages": None}, {VAR: "1"}, True),
        ],
    )
    def test_flag_precedence(
        self, kwargs: dict[str, Any], environ: dict[str, str], expected: bool
    ) -> None:
        """The keyword wins, then the variable, then the default."""
        assert expected == Options.resolve(kwargs, environ).include_bot_messages

    def test_interval_from_environment(self) -> None:
        """The lag interval reads a positive float from the environment."""
        environ = {"OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL": "2.5"}
        assert 2.5 == Options.resolve({}, environ).event_loop_lag_interval

    @pytest.mark.parametrize("raw", ["soon", "-1", "0", "nan", "inf"])
    def test_bad_environment_warns_and_falls_back(
        self, raw: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A bad variable does not stop the bot: a warning and the default."""
        logger = logging.getLogger("otel_discord.internal")
        logger.addHandler(caplog.handler)
        try:
            options = Options.resolve({}, {"OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL": raw})
        finally:
            logger.removeHandler(caplog.handler)
        assert 1.0 == options.event_loop_lag_interval
        assert "OTEL_PYTHON_DISCORD_EVENT_LOOP_LAG_INTERVAL" in caplog.text

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"include_bot_messages": "yes"},
            {"capture_message_content": 1},
            {"event_loop_lag_interval": 0},
            {"event_loop_lag_interval": True},
        ],
    )
    def test_bad_keyword_raises(self, kwargs: dict[str, Any]) -> None:
        """A bad explicit argument is a programming error: ConfigError."""
        with pytest.raises(ConfigError):
            Options.resolve(kwargs, {})


class TestNames:
    """Every emitted name is documented."""

    def test_every_emitted_metric_is_in_the_table(self, otel: Otel, instrument: Instrument) -> None:
        """Metrics a running bot produces are all rows of NAMES and of the module docstring."""
        instrument()

        async def main() -> None:
            bot = make_bot()
            world = await start(bot)
            world.say("hi")
            await g.settle()
            await bot.close()

        asyncio.run(main())
        emitted = set(otel.metrics())
        documented = {row.name for row in _names.NAMES}
        assert emitted <= documented
        assert {"discord.gateway.events", "discord.messages", "discord.guild.changes"} <= emitted

    def test_docstring_names_every_metric_and_event(self) -> None:
        """The module docstring (the user manual) lists every metric and log event."""
        doc = instrumentation.__doc__ or ""

        def listed(name: str) -> bool:
            if name in doc:
                return True
            # the docstring pairs them: "discord.guild.join / .leave"
            return name.endswith(".leave") and name.removesuffix(".leave") + ".join / .leave" in doc

        missing = [
            row.name
            for row in _names.NAMES
            if row.name.startswith("discord.") and not listed(row.name)
        ]
        assert [] == missing

    def test_markdown_table_has_one_row_per_name(self) -> None:
        """names_table_markdown renders a header, a rule and one row per name."""
        lines = names_table_markdown().splitlines()
        assert len(_names.NAMES) + 2 == len(lines)
        assert all(line.count(" | ") == 4 for line in lines)

    def test_all_metric_names_start_with_discord(self) -> None:
        """Metric names share the discord. prefix the exporter routes on."""
        metrics = [row for row in _names.NAMES if row.signal in {"counter", "histogram", "gauge"}]
        assert all(row.name.startswith("discord.") for row in metrics)


class TestEntryPoint:
    """opentelemetry-instrument finds the instrumentor."""

    def test_entry_point_loads_the_instrumentor(self) -> None:
        """The ``discord`` entry point in opentelemetry_instrumentor is DiscordInstrumentor."""
        [entry] = [
            ep for ep in entry_points(group="opentelemetry_instrumentor") if ep.name == "discord"
        ]
        assert DiscordInstrumentor is entry.load()

    def test_dependencies(self) -> None:
        """The instrumentor declares discord.py and its forks, any one of them."""
        assert (
            "discord.py >= 2.0",
            "py-cord >= 2.0",
            "nextcord >= 2.0",
            "disnake >= 2.2",
        ) == tuple(DiscordInstrumentor().instrumentation_dependencies())

    def test_any_one_library_satisfies_the_check(self) -> None:
        """With discord.py alone installed there is no conflict (the base class wants all four)."""
        assert DiscordInstrumentor()._check_dependency_conflicts() is None

    def test_extra_mirrors_package_py(self) -> None:
        """The wheel's ``instruments-any`` extra (what the wrapper reads) equals package.py."""
        from importlib.metadata import distribution

        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name

        from otel_discord.instrumentation import package

        def key(text: str) -> tuple[str, str]:
            req = Requirement(text)
            return canonicalize_name(req.name), str(req.specifier)

        requires = distribution("otel-discord").requires or []
        declared = sorted(key(req) for req in requires if "instruments-any" in req)
        assert sorted(key(req) for req in package._instruments_any) == declared
