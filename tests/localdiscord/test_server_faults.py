"""Injected faults, deleted webhooks and an unreachable server look like Discord's failures."""

from __future__ import annotations

import httpx
import pytest

from otel_discord.testing import DiscordServer, Fault, ViolationKind
from tests.support import BODY, UA, v10


def rate_limit_headers(response: httpx.Response) -> list[str]:
    return [name for name in response.headers if name.lower().startswith("x-ratelimit")]


class TestStatusFaults:
    """5xx and Cloudflare faults answer once, then the server behaves again."""

    @pytest.mark.parametrize(
        ("fault", "status"),
        [(Fault.SERVER_ERROR, 500), (Fault.SERVICE_UNAVAILABLE, 503)],
    )
    def test_json_5xx(
        self, srv: DiscordServer, client: httpx.Client, fault: Fault, status: int
    ) -> None:
        url = v10(srv.create_webhook())
        srv.inject(fault)
        failed = client.post(url, json=BODY)
        assert (status, 0) == (failed.status_code, failed.json()["code"])
        assert 204 == client.post(url, json=BODY).status_code
        assert 1 == len(srv.messages())

    def test_bad_gateway_is_html_without_headers(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        url = v10(srv.create_webhook())
        srv.inject(Fault.BAD_GATEWAY_HTML)
        failed = client.post(url, json=BODY)
        assert 502 == failed.status_code
        assert failed.headers["Content-Type"].startswith("text/html")
        assert failed.text.startswith("<html>")
        assert [] == rate_limit_headers(failed)

    def test_cloudflare_ban_has_no_rate_limit_headers(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        url = v10(srv.create_webhook())
        srv.inject(Fault.CLOUDFLARE_BAN)
        banned = client.post(url, json=BODY)
        assert (429, "error code: 1015") == (banned.status_code, banned.text)
        assert [] == rate_limit_headers(banned)
        assert "Retry-After" not in banned.headers
        assert 1 == srv.invalid_requests
        assert {"cloudflare": 1} == srv.stats().rate_limited

    def test_count_and_target(self, srv: DiscordServer, client: httpx.Client) -> None:
        """count= answers that many requests; webhook_url= leaves other webhooks alone."""
        target, other = srv.create_webhook(), v10(srv.create_webhook())
        srv.inject(Fault.SERVER_ERROR, count=2, webhook_url=target)
        assert 204 == client.post(other, json=BODY).status_code
        statuses = [client.post(v10(target), json=BODY).status_code for _ in range(3)]
        assert [500, 500, 204] == statuses


class TestConnectionFaults:
    """Resets and slow answers fail at the transport level, as a flaky network does."""

    def test_reset_closes_without_answer(self, srv: DiscordServer, client: httpx.Client) -> None:
        url = v10(srv.create_webhook())
        srv.inject(Fault.RESET)
        with pytest.raises(httpx.TransportError):
            client.post(url, json=BODY)
        assert [] == srv.messages()
        assert 1 == srv.stats().resets
        assert 204 == client.post(url, json=BODY).status_code

    def test_slow_answer_times_a_client_out(self, srv: DiscordServer) -> None:
        url = v10(srv.create_webhook())
        srv.slow_seconds = 5.0
        srv.inject(Fault.SLOW)
        with (
            httpx.Client(headers=UA, timeout=0.2) as impatient,
            pytest.raises(httpx.ReadTimeout),
        ):
            impatient.post(url, json=BODY)

    def test_slow_answer_still_answers(self, srv: DiscordServer, client: httpx.Client) -> None:
        url = v10(srv.create_webhook())
        srv.slow_seconds = 0.05
        srv.inject(Fault.SLOW)
        assert 204 == client.post(url, json=BODY).status_code
        assert 1 == len(srv.messages())


class TestDeletedWebhook:
    """A deleted webhook answers 404 10015, and coming back after that is a violation."""

    def test_delete_then_reuse(self, srv: DiscordServer, client: httpx.Client) -> None:
        doomed, survivor = srv.create_webhook("logs"), v10(srv.create_webhook("logs"))
        srv.delete_webhook(doomed)
        first = client.post(v10(doomed), json=BODY)
        assert (404, 10015, "Unknown Webhook") == (
            first.status_code,
            first.json()["code"],
            first.json()["message"],
        )
        assert [] == srv.violations
        assert 404 == client.post(v10(doomed), json=BODY).status_code
        assert [ViolationKind.REUSE_AFTER_404] == [v.kind for v in srv.violations]
        assert 204 == client.post(survivor, json=BODY).status_code

    def test_wrong_token_is_401_50027(self, srv: DiscordServer, client: httpx.Client) -> None:
        url = v10(srv.create_webhook())
        wrong = url.rsplit("/", 1)[0] + "/not-the-token"
        refused = client.post(wrong, json=BODY)
        assert (401, 50027) == (refused.status_code, refused.json()["code"])
        client.post(wrong, json=BODY)
        assert [ViolationKind.REUSE_AFTER_401] == [v.kind for v in srv.violations]
        assert 2 == srv.invalid_requests


class TestDownAndUp:
    """down() refuses connections on the port; up() serves the same URLs again."""

    def test_connection_refused_then_back(self, srv: DiscordServer, client: httpx.Client) -> None:
        url = v10(srv.create_webhook())
        assert 204 == client.post(url, json=BODY).status_code
        srv.down()
        assert not srv.running
        with pytest.raises(httpx.ConnectError):
            client.post(url, json=BODY)
        srv.up()
        assert 204 == client.post(url, json=BODY).status_code
        assert 2 == len(srv.messages())

    def test_stop_and_down_are_idempotent(self) -> None:
        server = DiscordServer().start()
        server.down()
        server.down()
        server.stop()
        server.stop()
        assert not server.running


class TestHarmfulLinks:
    """``block_links`` refuses a message linking a blocked host, whole, as Discord does."""

    def test_blocked_host_refused_without_field_path(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """400 code 240000 for the host or a subdomain, anywhere in the embeds; others pass."""
        url = v10(srv.create_webhook())
        srv.block_links("phish.example")

        def embed(text: str) -> dict[str, object]:
            return {**BODY, "embeds": [{"title": "ok"}, {"fields": [{"name": "n", "value": text}]}]}

        for text in ("see https://phish.example/a", "HTTP://login.Phish.example"):
            refused = client.post(url, json=embed(text))
            assert 400 == refused.status_code
            assert {"code": 240000, "message": "Message blocked by harmful links filter"} == (
                refused.json()
            )
        for text in ("https://notphish.example/", "phish.example without a scheme"):
            assert 204 == client.post(url, json=embed(text)).status_code
        srv.block_links()
        assert 204 == client.post(url, json=embed("https://phish.example/a")).status_code
        assert 3 == len(srv.messages())
