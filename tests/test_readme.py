"""The README stays true: every setting is documented and the names table is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


@pytest.mark.slow
def test_every_python_block_runs(discord_server) -> None:
    """Each ```python block of the README, as written, in a fresh process with one webhook,
    then one error logged: every block bridges logging, so the error reaches Discord."""
    import os
    import subprocess
    import sys

    blocks = python_blocks()
    assert 3 == len(blocks)  # configure(), the own SDK setup, alert rules
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["OTEL_SERVICE_NAME"] = "readme"
    for number, block in enumerate(blocks):
        discord_server.clear()
        # A webhook per process: a new process cannot know the bucket the last one emptied.
        env["OTEL_EXPORTER_DISCORD_WEBHOOK_URL"] = discord_server.create_webhook(f"b{number}")
        app = "import logging\nlogging.getLogger('readme').error('a README error')\n"
        # The app runs where a block says "...", else after the block.
        script = block.replace("\n...\n", "\n" + app) if "\n...\n" in block else block + app
        result = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert 0 == result.returncode, (block, result.stderr)
        # configure() keeps Python's last-resort output; an app's own bridge on the root
        # logger replaces it, as the README says.
        printed = [] if "LoggingHandler(" in block else ["a README error"]
        assert printed == result.stderr.splitlines()
        titles = [e["title"] for e in discord_server.embeds(f"b{number}")]
        assert "❌ ERROR · readme" in titles, (block, titles)
        assert [] == discord_server.violations
