"""The preview page redraws an edited message in place, as Discord does: the status message."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest

from otel_discord.channels import Channel
from otel_discord.monitors.status_render import StatusView, render_status, render_stopped
from otel_discord.preview import Preview

from .support import Chromium, RenderedPage, post

START_NS = 1_764_338_400 * 1_000_000_000
VIEW = StatusView(
    service="astrobot",
    host="prod-1",
    started_ns=START_NS,
    now_ns=START_NS,
    health_interval_s=180.0,
)
UA = {"User-Agent": "DiscordBot (https://example.invalid, 1.0)"}


def after_first_look(preview: Preview, channel: str, action: Callable[[], None]) -> threading.Event:
    """Run ``action`` once the page has asked for ``channel``'s changes a first time.

    It runs while the page's first ``/_local/changes`` answer is on its way, so the
    page has drawn the message as it was and only a later poll can bring the change.
    """
    api = preview.server._api  # the local Discord behind the server: a test-only hook
    original = api.handle
    done = threading.Event()

    def handle(method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> Any:
        reply = original(method, target, headers, body)
        if target.startswith(f"/_local/changes?channel={channel}") and not done.is_set():
            done.set()
            action()
        return reply

    api.handle = handle  # type: ignore[method-assign]
    return done


@pytest.mark.slow
class TestChangesWhileOpen:
    """Messages that change while the page is open (one Chromium run for both)."""

    def test_status_message_change_and_a_deletion(
        self, preview: Preview, chromium: Chromium
    ) -> None:
        """The edited message shows once, newest version, "(edited)"; the deleted one goes."""
        hook = preview.urls[Channel.DIAGNOSTICS]
        message = post(hook, render_status(VIEW))
        later = dataclasses.replace(VIEW, now_ns=START_NS + 7200 * 10**9)
        url = hook.replace("/api/webhooks/", "/api/v10/webhooks/") + f"/messages/{message['id']}"

        def edit() -> None:
            body = {"embeds": [render_stopped(later)], "allowed_mentions": {"parse": []}}
            assert 200 == httpx.patch(url, json=body, headers=UA, timeout=5.0).status_code

        logs = preview.urls[Channel.LOGS]
        post(logs, {"title": "kept"})
        gone = post(logs, {"title": "gone soon"})
        edited = after_first_look(preview, "diagnostics", edit)
        deleted = after_first_look(
            preview, "logs", lambda: preview.server.delete_message(gone["id"])
        )
        page = RenderedPage(chromium.dump_dom(preview.page_url, budget_ms=8000))
        assert edited.is_set()
        assert deleted.is_set()
        text = page.text("diagnostics")
        assert "🔴 astrobot · Stopped" in text
        assert "after 2 h of uptime" in text
        assert "(edited)" in text
        assert "Starting" not in text
        assert "1 message" in text
        assert page.has("diagnostics", "span", "edited")
        assert "kept" in page.text("logs")
        assert "gone soon" not in page.text("logs")
        assert [] == preview.server.violations
