"""``otel-discord demo``: every channel fills, with no protocol violation, and it exits."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_fills_all_channels() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-m", "otel_discord.cli", "demo", "--duration", "24", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert 0 == result.returncode, result.stderr[-2000:]
    match = re.search(r"messages per channel: (\{.*?\}); protocol violations: (\d+)", result.stdout)
    assert match, result.stdout
    counts = ast.literal_eval(match.group(1))
    assert {"analytics", "diagnostics", "logs", "performance"} == set(counts)
    assert all(n > 0 for n in counts.values()), counts
    assert "0" == match.group(2)
    assert "Traceback" not in result.stderr
