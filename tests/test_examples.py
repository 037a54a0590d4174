"""The examples run as written, against the strict local Discord."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class TestLoggingService:
    """``configure()`` in a plain service: grouped errors and a warning in the logs channel."""

    def test_runs(self, discord_server) -> None:
        url = discord_server.create_webhook("logs")
        env = {**os.environ, "OTEL_EXPORTER_DISCORD_LOGS_WEBHOOK_URL": url}
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "logging_service.py")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert 0 == result.returncode, result.stderr
        embeds = discord_server.embeds("logs")
        titles = [e["title"] for e in embeds]
        # The first sight goes out alone, unless a slow machine batched all four records
        # into one export: then they merge in the queue and the title is the newest one's.
        assert any(t.startswith("❌ RuntimeError: card declined for order ") for t in titles)
        warning = next(e for e in embeds if e["title"].startswith("⚠️"))
        assert "queue is backing up: 1200 jobs waiting" in warning["description"]
        total = sum(
            int(e["description"].split("**")[1].split()[0])
            if "occurrences" in e["description"]
            else 1
            for e in embeds
            if "RuntimeError" in e["title"]
        )
        assert 4 == total
        assert url.rsplit("/", 1)[-1] not in result.stderr + result.stdout
        assert [] == discord_server.violations
