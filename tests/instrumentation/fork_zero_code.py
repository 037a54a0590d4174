"""``opentelemetry-instrument python -m <fork bot>`` with only webhook variables set.

Shared by the fork tests: the bot module runs in a subprocess of the fork's venv under
the wrapper, pointing at the strict local Discord; the instrumentor must be loaded by
the wrapper (the fork's distribution satisfies ``instruments-any``), so the bot's
command error reaches #logs and its activity reaches #analytics.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from otel_discord import Channel
from otel_discord.config import webhook_env

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = Path(sys.executable).with_name("opentelemetry-instrument")


def run_under_wrapper(server: Any, module: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    """Run ``module`` under ``opentelemetry-instrument``; return the process and webhooks."""
    webhooks = {webhook_env(c): server.create_webhook(c.value) for c in Channel}
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(webhooks)
    env["PYTHONPATH"] = str(ROOT)
    env["OTEL_LOG_LEVEL"] = "debug"  # a skipped instrumentor is only said at debug level
    result = subprocess.run(
        [str(WRAPPER), sys.executable, "-m", module],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return result, webhooks


def assert_zero_code(
    server: Any, module: str, error_type: str, commands: int
) -> subprocess.CompletedProcess[str]:
    """The wrapper loaded the instrumentor: every command counted, the command's error in #logs."""
    result, webhooks = run_under_wrapper(server, module)
    assert 0 == result.returncode, result.stderr[-3000:]
    assert "nothing can be instrumented" not in result.stderr
    titles = {c: [e.get("title", "") for e in server.embeds(c.value)] for c in Channel}
    assert any(error_type in title for title in titles[Channel.LOGS]), titles
    activity = [
        str(e.get("description", ""))
        for e in server.embeds(Channel.ANALYTICS.value)
        if str(e.get("title", "")).startswith("📊 Activity")
    ]
    assert [f"{commands} commands"] == [
        part for text in activity for part in text.split(" · ") if part.endswith(" commands")
    ], activity
    for url in webhooks.values():
        assert url.rsplit("/", 1)[-1] not in result.stdout + result.stderr
    assert [] == server.violations
    return result
