"""A real headless Chromium for the preview page, installed from Debian's packages if missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_discord.preview import Preview, start_preview

from .support import Chromium

_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
_INSTALL_TIMEOUT_S = 900.0


def _find_chromium() -> str | None:
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _install_chromium() -> None:
    """``apt-get install chromium`` (Debian's package), or skip with the reason it cannot run."""
    if shutil.which("apt-get") is None:
        pytest.skip("Chromium is not installed and there is no apt-get to install it")
    if os.geteuid() != 0:
        pytest.skip(
            "Chromium is not installed; installing it needs root (apt-get install chromium)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]):
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT_S,
            check=False,
            env=env,
        )
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed: {done.stderr[-1000:]}")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium executable, installed once per session if the machine has none."""
    found = _find_chromium()
    if found is None:
        _install_chromium()
        found = _find_chromium()
    if found is None:
        pytest.fail("apt-get installed chromium but no chromium executable is on PATH")
    return found


@pytest.fixture
def chromium(chromium_path: str, tmp_path: Path) -> Chromium:
    """A Chromium with a fresh throwaway profile (a test temp dir)."""
    return Chromium(chromium_path, tmp_path / "profile")


@pytest.fixture
def preview() -> Iterator[Preview]:
    """A running preview on a free port, stopped after the test."""
    with start_preview(port=0) as running:
        yield running
