"""The local Discord's ``pages`` extension and the preview page it serves."""

from __future__ import annotations

import re

import httpx
import pytest

from otel_discord.preview import Preview, page_assets
from otel_discord.testing import DiscordServer


class TestServerPages:
    """``DiscordServer(pages=...)`` serves static files beside the API without changing it."""

    def test_page_is_served_with_its_content_type(self) -> None:
        """A GET of a page path answers 200 with the given type and body."""
        pages = {"/": ("text/plain; charset=utf-8", b"hello")}
        with DiscordServer(pages=pages) as server:
            response = httpx.get(f"{server.base_url}/?x=1", timeout=5.0)
        assert 200 == response.status_code
        assert "text/plain; charset=utf-8" == response.headers["content-type"]
        assert "no-store" == response.headers["cache-control"]
        assert b"hello" == response.content

    def test_without_pages_the_root_is_discords_404(self) -> None:
        """The default server still answers ``GET /`` like Discord: JSON 404."""
        with DiscordServer() as server:
            response = httpx.get(f"{server.base_url}/", timeout=5.0)
        assert 404 == response.status_code
        assert {"message": "404: Not Found", "code": 0} == response.json()

    def test_only_get_serves_a_page(self) -> None:
        """A POST to a page path is not a page; Discord's 404 answers it."""
        with DiscordServer(pages={"/": ("text/html", b"<p>")}) as server:
            response = httpx.post(f"{server.base_url}/", content=b"{}", timeout=5.0)
        assert 404 == response.status_code

    def test_pages_are_not_api_requests(self) -> None:
        """Loading a page leaves the request statistics untouched."""
        with DiscordServer(pages={"/": ("text/html", b"<p>")}) as server:
            httpx.get(f"{server.base_url}/", timeout=5.0)
            assert 0 == server.stats().requests

    @pytest.mark.parametrize("path", ["/api/v10/webhooks/1/x", "/_local/messages", "page.js"])
    def test_api_paths_cannot_be_shadowed(self, path: str) -> None:
        """Paths under /api or /_local, or without a leading slash, are refused."""
        with pytest.raises(ValueError, match="page path"):
            DiscordServer(pages={path: ("text/html", b"")})


class TestPreviewAssets:
    """The page, its script and its style come from package data, with the right types."""

    @pytest.mark.parametrize(
        ("path", "content_type"),
        [
            ("/", "text/html; charset=utf-8"),
            ("/page.js", "text/javascript; charset=utf-8"),
            ("/page.css", "text/css; charset=utf-8"),
        ],
    )
    def test_served_with_content_type(self, preview: Preview, path: str, content_type: str) -> None:
        """Each asset answers 200 with its content type on the preview's own port."""
        response = httpx.get(preview.page_url.rstrip("/") + path, timeout=5.0)
        assert 200 == response.status_code
        assert content_type == response.headers["content-type"]
        assert page_assets()[path][1] == response.content

    def test_page_loads_only_its_own_assets(self) -> None:
        """No CDN, web font or other origin: every src/href is same-origin or data:."""
        html = page_assets()["/"][1].decode()
        css = page_assets()["/page.css"][1].decode()
        references = re.findall(r'(?:src|href)="([^"]*)"', html)
        assert ["/page.css", "/page.js", "data:,"] == sorted(references)
        assert "url(" not in css
        assert "@import" not in css

    def test_page_forbids_inline_script(self) -> None:
        """A Content-Security-Policy allows scripts from the page's own origin only."""
        html = page_assets()["/"][1].decode()
        assert "script-src 'self'" in html
        assert "default-src 'none'" in html

    def test_script_never_parses_html(self) -> None:
        """Untrusted text never reaches an HTML parser: the script only builds DOM nodes."""
        script = page_assets()["/page.js"][1].decode()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in script
