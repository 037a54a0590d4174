"""The bot-token channel route: authentication, permissions, validation and shared limits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from otel_discord.testing import DiscordServer, ViolationKind
from tests.support import BODY, UA, UNLIMITED

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.bot-token-for-tests_0123456789"
EMBED: dict[str, Any] = {"embeds": [{"title": "cpu"}], "allowed_mentions": {"parse": []}}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(headers={**UA, "Authorization": f"Bot {TOKEN}"}, timeout=5) as bot:
        yield bot


def messages_url(srv: DiscordServer, channel_id: str) -> str:
    return f"{srv.base_url}/api/v10/channels/{channel_id}/messages"


class TestBotPost:
    """A known bot with all permissions posts like a webhook and gets the message object."""

    def test_good_token(self, srv: DiscordServer, client: httpx.Client) -> None:
        srv.add_bot(TOKEN)
        channel_id = srv.create_channel("performance")
        response = client.post(messages_url(srv, channel_id), json=EMBED)
        assert 200 == response.status_code
        assert (channel_id, "otel-bot") == (
            response.json()["channel_id"],
            response.json()["author"]["username"],
        )
        (message,) = srv.messages("performance")
        assert (None, channel_id, EMBED) == (
            message.webhook_id,
            message.channel_id,
            message.payload,
        )
        assert "X-RateLimit-Remaining" in response.headers

    def test_channel_id_matches_create_channel(self, srv: DiscordServer) -> None:
        assert srv.create_channel("logs") == srv.channel_id("logs")
        assert srv.create_channel("logs") == srv.channel_id("logs")
        with pytest.raises(KeyError):
            srv.channel_id("nowhere")

    def test_same_validation_as_webhooks(self, srv: DiscordServer, client: httpx.Client) -> None:
        srv.add_bot(TOKEN)
        url = messages_url(srv, srv.create_channel("logs"))
        bad = {"embeds": [{"fields": [{"name": "n", "value": ""}]}], **BODY}
        refused = client.post(url, json=bad)
        assert (400, 50035) == (refused.status_code, refused.json()["code"])
        assert 200 == client.post(url, json={**BODY, "username": "x"}).status_code
        assert [ViolationKind.UNKNOWN_JSON_KEY] == [v.kind for v in srv.violations]

    def test_bucket_differs_from_webhook_bucket(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        srv.add_bot(TOKEN)
        bot = client.post(messages_url(srv, srv.create_channel("logs")), json=BODY)
        hook_url = srv.create_webhook("logs").replace("/api/", "/api/v10/")
        hook = httpx.post(hook_url, json=BODY, headers=UA)
        assert bot.headers["X-RateLimit-Bucket"] != hook.headers["X-RateLimit-Bucket"]

    def test_get_channel(self, srv: DiscordServer, client: httpx.Client) -> None:
        srv.add_bot(TOKEN)
        channel_id = srv.create_channel("logs")
        response = client.get(f"{srv.base_url}/api/v10/channels/{channel_id}")
        assert (200, "logs") == (response.status_code, response.json()["name"])


class TestBotRefusals:
    """Bad tokens, unknown channels and missing permissions get Discord's codes."""

    @pytest.mark.parametrize(
        "authorization",
        [f"Bot {TOKEN}x", f"Bearer {TOKEN}", TOKEN, ""],
        ids=["wrong token", "bearer", "no scheme", "empty"],
    )
    def test_bad_token_is_401(self, srv: DiscordServer, authorization: str) -> None:
        srv.add_bot(TOKEN)
        url = messages_url(srv, srv.create_channel("logs"))
        response = httpx.post(url, json=BODY, headers={**UA, "Authorization": authorization})
        assert (401, 0, "401: Unauthorized") == (
            response.status_code,
            response.json()["code"],
            response.json()["message"],
        )
        assert 1 == srv.invalid_requests

    def test_reusing_a_refused_token_is_a_violation(self, srv: DiscordServer) -> None:
        url = messages_url(srv, srv.create_channel("logs"))
        headers = {**UA, "Authorization": f"Bot {TOKEN}"}
        httpx.post(url, json=BODY, headers=headers)
        httpx.post(url, json=BODY, headers=headers)
        assert [ViolationKind.REUSE_AFTER_401] == [v.kind for v in srv.violations]

    def test_unknown_channel_is_404_10003(self, srv: DiscordServer, client: httpx.Client) -> None:
        srv.add_bot(TOKEN)
        response = client.post(messages_url(srv, "123456789012345678"), json=BODY)
        assert (404, 10003) == (response.status_code, response.json()["code"])

    @pytest.mark.parametrize(
        ("granted", "body", "code"),
        [
            ({"SEND_MESSAGES", "EMBED_LINKS"}, BODY, 50001),
            ({"VIEW_CHANNEL", "EMBED_LINKS"}, BODY, 50013),
            ({"VIEW_CHANNEL", "SEND_MESSAGES"}, EMBED, 50013),
        ],
        ids=["no view channel", "no send messages", "no embed links"],
    )
    def test_missing_permission_is_403(
        self,
        srv: DiscordServer,
        client: httpx.Client,
        granted: set[str],
        body: dict[str, Any],
        code: int,
    ) -> None:
        srv.add_bot(TOKEN, permissions=granted)
        response = client.post(messages_url(srv, srv.create_channel("logs")), json=body)
        assert (403, code) == (response.status_code, response.json()["code"])
        assert [] == srv.messages()

    def test_text_needs_no_embed_links(self, srv: DiscordServer, client: httpx.Client) -> None:
        srv.add_bot(TOKEN, permissions={"VIEW_CHANNEL", "SEND_MESSAGES"})
        response = client.post(messages_url(srv, srv.create_channel("logs")), json=BODY)
        assert 200 == response.status_code

    def test_unknown_permission_name_is_refused(self, srv: DiscordServer) -> None:
        with pytest.raises(ValueError, match="ADMINISTRATOR"):
            srv.add_bot(TOKEN, permissions={"ADMINISTRATOR"})


class TestSharedWithWebhooks:
    """A bot and a webhook posting to one channel share its limit."""

    def test_channel_limit_spans_bot_and_webhook(self, client: httpx.Client) -> None:
        with DiscordServer(webhook_limit=UNLIMITED, channel_limit=(2, 60.0)) as srv:
            srv.add_bot(TOKEN)
            hook = srv.create_webhook("logs").replace("/api/", "/api/v10/")
            assert 204 == httpx.post(hook, json=BODY, headers=UA).status_code
            url = messages_url(srv, srv.channel_id("logs"))
            assert 200 == client.post(url, json=BODY).status_code
            limited = client.post(url, json=BODY)
            assert (429, 20028) == (limited.status_code, limited.json()["code"])
            assert "shared" == limited.headers["X-RateLimit-Scope"]
