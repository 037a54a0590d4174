"""Make ``docs/preview.png``: the preview page after a real demo run.

Run from the repository root: ``.venv/bin/python docs/make_screenshot.py``. It needs
Chromium (Debian: ``apt-get install chromium``; ``fonts-noto-color-emoji`` for emoji).
Nothing is hand-made: the simulated bot of ``otel-discord demo`` runs under full
instrumentation against the local preview, and the page is photographed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from otel_discord.demo import simulate
from otel_discord.preview import start_preview

OUTPUT = Path(__file__).with_name("preview.png")


def screenshot(url: str, output: Path, size: str) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("make_screenshot: Chromium not found (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-proxy-server",
            "--no-first-run",
            "--hide-scrollbars",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",
            f"--window-size={size}",
            f"--screenshot={output}",
            url,
        ]
        # A fixed argv: the local Chromium and our own loopback URL, no shell.
        subprocess.run(command, check=True, capture_output=True, timeout=60)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--size", default="3000,1300", help="window size, e.g. 1600,900")
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of demo traffic")
    args = parser.parse_args()
    with start_preview(port=0) as preview:
        simulate(preview, args.duration)
        if preview.server.violations:
            sys.exit(f"make_screenshot: protocol violations: {preview.server.violations}")
        screenshot(preview.page_url, args.output.resolve(), args.size)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
