"""The preview page in a real headless Chromium: posted embeds are drawn as Discord would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from otel_discord.channels import Channel
from otel_discord.preview import start_preview
from otel_discord.render.charts.build import Thresholds, performance_chart
from otel_discord.render.charts.draw import render_png
from tests.charts.support import T0, timeline_of

from .support import Chromium, RenderedPage, post

HOSTILE_TITLE = "<script>document.title='pwned'</script>"
HOSTILE_DESCRIPTION = "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"

ANALYTICS = {
    "title": "📊 Activity · 14:00–14:05",
    "description": "**1,284 events** from 37 guilds",
    "color": 0x2ECC71,
    "fields": [
        {"name": "Commands", "value": "412 ok · 3 failed", "inline": True},
        {"name": "Messages", "value": "9,871", "inline": True},
        {"name": "Members", "value": "+14 joined", "inline": True},
    ],
    "footer": {"text": "service astrabot · host prod-1"},
    "timestamp": "2026-11-28T14:05:00+00:00",
}
LOGS = {
    "title": "❌ ValueError in /play",
    "description": '```py\nTraceback (most recent call last):\n  File "music.py", line 214\n```',
    "color": 0xE74C3C,
    "footer": {"text": "trace 4bf92f35"},
}
MARKDOWN = {
    "title": "Markdown sampler",
    "description": (
        "**bold** *italic* __under__ ~~gone~~ `inline` snake\\_case\\_name \\*literal\\*\n"
        "### Heading\n- first\n  - nested\n> quoted\n"
        "[docs](https://example.com/docs) [bad](javascript:alert(1)) @\u200beveryone"
    ),
    "color": 0x3498DB,
}
HOSTILE = {"title": HOSTILE_TITLE, "description": HOSTILE_DESCRIPTION, "color": 0xF1C40F}


@pytest.fixture(scope="module")
def page(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RenderedPage]:
    """One preview filled with a few embeds, rendered once by Chromium."""
    with start_preview(port=0) as preview:
        post(preview.urls[Channel.ANALYTICS], ANALYTICS, username="AstraBot Monitor")
        post(preview.urls[Channel.LOGS], LOGS)
        post(preview.urls[Channel.DIAGNOSTICS], MARKDOWN, HOSTILE)
        chromium = Chromium(chromium_path, tmp_path_factory.mktemp("chromium"))
        yield RenderedPage(chromium.dump_dom(preview.page_url))


class TestPreviewPageInChromium:
    """Chromium renders the page: every embed shows in its own channel, as text."""

    def test_embed_parts_are_visible_in_their_channel(self, page: RenderedPage) -> None:
        """Title, description, field names and values, footer and author appear."""
        text = page.text("analytics")
        for part in ("📊 Activity · 14:00–14:05", "1,284 events", "Commands", "412 ok · 3 failed"):
            assert part in text
        assert "service astrabot · host prod-1" in text
        assert "AstraBot Monitor" in text
        assert "1 message" in text
        assert "❌ ValueError in /play" in page.text("logs")
        assert "ValueError" not in page.text("analytics")

    def test_channels_without_messages_say_so(self, page: RenderedPage) -> None:
        """An empty channel shows a count of zero."""
        assert "0 messages" in page.text("performance")

    def test_inline_fields_share_a_row(self, page: RenderedPage) -> None:
        """Three inline fields are laid out side by side, a third of the row each."""
        assert 3 == sum(tag == ("div", "embed-field") for tag in page.columns["analytics"].tags)
        assert page.has("analytics", "div", "embed-fields")

    def test_code_blocks_become_pre(self, page: RenderedPage) -> None:
        """A fenced block is a <pre> holding the trace, without the fence or language tag."""
        assert page.has("logs", "pre")
        text = page.text("logs")
        assert 'File "music.py", line 214' in text
        assert "```" not in text

    def test_markdown_is_formatted(self, page: RenderedPage) -> None:
        """Bold, italic, underline, strike, code, heading, lists and quotes become elements."""
        for tag in ("strong", "em", "u", "s", "code", "h3", "ul", "li", "blockquote", "a"):
            assert page.has("diagnostics", tag), tag

    def test_escapes_and_invisible_characters_are_resolved(self, page: RenderedPage) -> None:
        """Backslash escapes show the plain character; zero-width spaces do not show."""
        text = page.text("diagnostics")
        assert "snake_case_name *literal*" in text
        assert "@everyone" in text
        assert "\u200b" not in text
        assert "\\" not in text

    def test_only_http_links_are_live(self, page: RenderedPage) -> None:
        """A masked link to a javascript: URL stays text; an https link opens safely."""
        text = page.text("diagnostics")
        assert "[bad](javascript:alert(1))" in text
        assert "docs" in text

    def test_hostile_markup_is_shown_not_run(self, page: RenderedPage) -> None:
        """A <script> title and an <img onerror> description are text; neither ran."""
        text = page.text("diagnostics")
        assert HOSTILE_TITLE in text
        assert HOSTILE_DESCRIPTION in text
        assert not page.has("diagnostics", "script")
        assert not page.has("diagnostics", "img")
        assert "otel-discord preview" == page.title
        assert not page.pwned

    def test_status_line_says_connected(self, page: RenderedPage) -> None:
        """After polling, the status line reports the connection and the message count."""
        assert page.status.startswith("connected · 3 messages")
        assert "0 protocol violations" in page.status


class TestScreenshot:
    """Chromium can also take a picture of the page (for eyes, not for asserts on pixels)."""

    def test_writes_a_png(self, chromium: Chromium, tmp_path: Path) -> None:
        """The screenshot is a PNG of a real size."""
        with start_preview(port=0) as preview:
            post(preview.urls[Channel.PERFORMANCE], LOGS)
            shot = tmp_path / "preview.png"
            chromium.screenshot(preview.page_url, shot)
        assert b"\x89PNG\r\n\x1a\n" == shot.read_bytes()[:8]
        assert shot.stat().st_size > 10_000


class TestChartInChromium:
    """A performance snapshot's chart, uploaded as a file, shows as an image in the page."""

    def test_the_chart_image_loads(self, chromium: Chromium) -> None:
        """The <img> is in #performance and Chromium decoded the 800 px PNG it links to."""
        chart = performance_chart(
            timeline_of({T0 + 15 * i: {"system.cpu.percent": 10.0 + i} for i in range(20)}),
            end_s=T0 + 300,
            thresholds=Thresholds(90.0, 90.0, 1000.0),
        )
        assert chart is not None
        data = render_png(chart)
        with start_preview(port=0) as preview:
            payload = {
                "embeds": [
                    {"title": "⚡ Performance snapshot", "image": {"url": "attachment://p.png"}}
                ],
                "attachments": [{"id": 0, "filename": "p.png", "description": chart.caption}],
                "allowed_mentions": {"parse": []},
            }
            posted = httpx.post(
                preview.urls[Channel.PERFORMANCE].replace("/api/webhooks/", "/api/v10/webhooks/"),
                data={"payload_json": json.dumps(payload)},
                files=[("files[0]", ("p.png", data, "image/png"))],
                headers={"User-Agent": "DiscordBot (https://example.invalid, 1.0)"},
                timeout=5.0,
            )
            assert 204 == posted.status_code, posted.text
            page = RenderedPage(chromium.dump_dom(preview.page_url))
        (image,) = page.images["performance"]
        assert "embed-image-picture" == image["class"]
        assert chart.caption == image["alt"]
        assert (image["src"] or "").startswith("/_local/attachments/")
        width, height = (int(n) for n in (image["data-loaded"] or "0x0").split("x"))
        assert 800 == width
        assert height > 200
        assert "image: p.png" not in page.text("performance")
