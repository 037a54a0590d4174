"""Helpers for the preview tests: a Chromium driver, a poster, and a reader of the page's DOM."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

_RUN_TIMEOUT_S = 25.0
_ATTEMPTS = 2
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-proxy-server",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


@dataclass(frozen=True)
class Chromium:
    """Headless Chromium driven from its command line: load a page, return what it rendered."""

    executable: str
    profile: Path

    def _run(self, url: str, *extra: str, budget_ms: int) -> str:
        command = [
            self.executable,
            *_FLAGS,
            f"--user-data-dir={self.profile}",
            f"--virtual-time-budget={budget_ms}",
            *extra,
            url,
        ]
        env = {**os.environ, "HOME": str(self.profile)}
        for attempt in range(_ATTEMPTS):
            try:
                done = subprocess.run(
                    command,
                    capture_output=True,
                    text=True,
                    timeout=_RUN_TIMEOUT_S,
                    check=False,
                    env=env,
                )
                break
            except subprocess.TimeoutExpired:
                # A headless start that hangs now and then (seen once in ~30 CI runs): the
                # page under test answers at once, so a second start tells a hang apart.
                if attempt == _ATTEMPTS - 1:
                    raise
        if done.returncode != 0:
            msg = f"chromium exited {done.returncode}: {done.stderr[-2000:]}"
            raise AssertionError(msg)
        return done.stdout

    def dump_dom(self, url: str, *, budget_ms: int = 5000) -> str:
        """The page's DOM, serialised after ``budget_ms`` of virtual time (scripts have run)."""
        return self._run(url, "--dump-dom", budget_ms=budget_ms)

    def screenshot(self, url: str, path: Path, *, size: str = "1600,900") -> None:
        """A PNG of the page as a 1600x900 window shows it."""
        self._run(url, f"--screenshot={path}", f"--window-size={size}", budget_ms=5000)


def post(url: str, *embeds: dict[str, Any], username: str | None = None) -> dict[str, Any]:
    """Post embeds the way the package does (versioned path, bot User-Agent, no pings)."""
    payload: dict[str, Any] = {"embeds": list(embeds), "allowed_mentions": {"parse": []}}
    if username is not None:
        payload["username"] = username
    versioned = url.replace("/api/webhooks/", "/api/v10/webhooks/")
    response = httpx.post(
        versioned,
        params={"wait": "true"},
        json=payload,
        headers={"User-Agent": "DiscordBot (https://example.invalid, 1.0)"},
        timeout=5.0,
    )
    response.raise_for_status()
    message: dict[str, Any] = response.json()
    return message


@dataclass
class _Column:
    text: list[str] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    """(tag, class attribute) of every element inside the column, in order."""

    @property
    def joined(self) -> str:
        return "".join(self.text)


class RenderedPage(HTMLParser):
    """The text and elements of each channel column of a dumped preview page."""

    def __init__(self, dom: str) -> None:
        super().__init__(convert_charrefs=True)
        self.columns: dict[str, _Column] = {}
        self.status = ""
        self.title = ""
        self.pwned = False
        self.images: dict[str, list[dict[str, str | None]]] = {}
        """Attributes of every <img> per channel column."""
        """Whether the body carries ``data-pwned``, which only hostile text could set."""
        self._in_title = False
        self._channel: str | None = None
        self._depth = 0
        self._in_status = False
        self.feed(dom)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self._in_title = tag == "title"
        if tag == "body" and "data-pwned" in attributes:
            self.pwned = True
        if tag == "section" and attributes.get("data-channel"):
            self._channel = attributes["data-channel"]
            self.columns[self._channel or ""] = _Column()
            self._depth = 0
        if attributes.get("id") == "status":
            self._in_status = True
        if self._channel is not None:
            if tag == "img":  # a void element: no end tag will close it
                self.images.setdefault(self._channel, []).append(attributes)
            else:
                self._depth += 1
            self.columns[self._channel].tags.append((tag, attributes.get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False
        if tag == "header":
            self._in_status = False
        if self._channel is not None:
            self._depth -= 1
            if self._depth == 0:
                self._channel = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._channel is not None:
            self.columns[self._channel].tags.append((tag, dict(attrs).get("class") or ""))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._in_status:
            self.status += data
        if self._channel is not None:
            self.columns[self._channel].text.append(data)

    def text(self, channel: str) -> str:
        """All text shown in one channel's column."""
        return self.columns[channel].joined

    def has(self, channel: str, tag: str, cls: str = "") -> bool:
        """Whether an element ``tag`` (with ``cls`` among its classes) is in the column."""
        return any(t == tag and cls in [*c.split(), ""] for t, c in self.columns[channel].tags)
