"""The README stays true: every setting is documented and the names table is current."""

from __future__ import annotations

import re
from pathlib import Path

from otel_discord.config import SETTINGS
from otel_discord.instrumentation import _options, names_table_markdown

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_documented() -> None:
    names = [s.env for s in SETTINGS]
    names += [v for k, v in vars(_options).items() if k.startswith("OTEL_PYTHON_DISCORD_")]
    names += ["OTEL_EXPORTER_DISCORD_WEBHOOK_URL", "OTEL_EXPORTER_DISCORD_BOT_TOKEN"]
    missing = [name for name in names if f"`{name}`" not in README]
    assert [] == missing


def test_names_table_is_current() -> None:
    match = re.search(r"<!-- names-table:start -->\n(.*?)\n<!-- names-table:end -->", README, re.S)
    assert match is not None
    assert names_table_markdown().strip() == match.group(1).strip()


def test_the_two_commands_come_first() -> None:
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert ["make demo", "make test"] == [
        line.split("#")[0].strip() for line in first_block.strip().splitlines()
    ]
