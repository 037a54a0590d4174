"""Protocol violations are recorded, malformed input never breaks the server, secrets stay in."""

from __future__ import annotations

import json
import socket
import threading
from typing import Any

import httpx
import pytest

from otel_discord.testing import DiscordServer, Fault, ViolationKind
from otel_discord.testing.pytest_plugin import discord_server  # noqa: F401 - the fixture under test
from tests.support import BODY, UA, v10

SAFE: dict[str, Any] = {"allowed_mentions": {"parse": []}}
BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.secret-bot-token-xyz"


def kinds(srv: DiscordServer) -> list[ViolationKind]:
    return [v.kind for v in srv.violations]


MENTIONS = [
    ({"content": "hi"}, [ViolationKind.MISSING_ALLOWED_MENTIONS]),
    ({"content": "hi", "allowed_mentions": {}}, [ViolationKind.PERMISSIVE_ALLOWED_MENTIONS]),
    (
        {"content": "hi", "allowed_mentions": {"parse": ["everyone"]}},
        [ViolationKind.PERMISSIVE_ALLOWED_MENTIONS],
    ),
    (
        {"content": "hi", "allowed_mentions": {"parse": [], "users": ["80351110224678912"]}},
        [ViolationKind.PERMISSIVE_ALLOWED_MENTIONS],
    ),
    ({"content": "hi", "allowed_mentions": {"parse": [], "users": []}}, []),
    (BODY, []),
]


class TestViolations:
    """Discord accepts these requests, but each marks a client that could get banned or ping."""

    @pytest.mark.parametrize(("body", "expected"), MENTIONS)
    def test_allowed_mentions(
        self,
        srv: DiscordServer,
        client: httpx.Client,
        body: dict[str, Any],
        expected: list[ViolationKind],
    ) -> None:
        assert 204 == client.post(v10(srv.create_webhook()), json=body).status_code
        assert expected == kinds(srv)

    def test_unknown_keys(self, srv: DiscordServer, client: httpx.Client) -> None:
        body = {
            **BODY,
            "wait": True,
            "embeds": [{"title": "t", "colour": 3, "footer": {"txt": "x"}}],
        }
        response = client.post(v10(srv.create_webhook()), json=body)
        assert 400 == response.status_code  # the footer has no text
        details = [v.detail for v in srv.violations if v.kind is ViolationKind.UNKNOWN_JSON_KEY]
        assert ["'wait' is not a Discord key", "'embeds[0].colour' is not a Discord key"] == [
            d for d in details if "footer" not in d
        ]
        assert 3 == len(details)

    def test_user_agent(self, srv: DiscordServer) -> None:
        url = v10(srv.create_webhook())
        httpx.post(url, json=BODY, headers={"User-Agent": "python-httpx/0.28"})
        httpx.post(url, json=BODY, headers={"User-Agent": "DiscordBot (https://x, 1)"})
        assert [ViolationKind.NO_DISCORDBOT_USER_AGENT] == kinds(srv)

    def test_unversioned_path_works_but_is_recorded(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        url = srv.create_webhook()
        assert 204 == client.post(url, json=BODY).status_code
        assert [ViolationKind.UNVERSIONED_API] == kinds(srv)
        assert 1 == len(srv.messages())

    def test_wrong_content_type(self, srv: DiscordServer, client: httpx.Client) -> None:
        url = v10(srv.create_webhook())
        response = client.post(
            url, content=json.dumps(BODY), headers={"Content-Type": "text/plain"}
        )
        assert (400, 50006) == (response.status_code, response.json()["code"])
        assert [ViolationKind.WRONG_CONTENT_TYPE] == kinds(srv)

    def test_violation_kind_compares_to_its_text(self, srv: DiscordServer) -> None:
        httpx.post(v10(srv.create_webhook()), json={"content": "hi"}, headers=UA)
        assert ["missing allowed_mentions"] == [v.kind for v in srv.violations]


class TestMalformedInput:
    """Nothing a client sends makes the server crash or answer outside Discord's shapes."""

    @pytest.mark.parametrize(
        "path",
        ["/", "/api/v10/webhooks/abc/token", "/api/v10/webhooks/1", "/api/v10/users/@me", "/%ff"],
    )
    def test_unknown_route_is_404(
        self, srv: DiscordServer, client: httpx.Client, path: str
    ) -> None:
        response = client.post(srv.base_url + path, json=BODY)
        assert (404, {"message": "404: Not Found", "code": 0}) == (
            response.status_code,
            response.json(),
        )

    def test_wrong_method_is_405(self, srv: DiscordServer, client: httpx.Client) -> None:
        response = client.delete(v10(srv.create_webhook()))
        assert (405, 0) == (response.status_code, response.json()["code"])

    def test_garbage_on_the_socket(self, srv: DiscordServer, client: httpx.Client) -> None:
        host, port = srv.base_url.removeprefix("http://").split(":")
        for garbage in (
            b"\x00\xff garbage\r\n\r\n",
            b"POST /api HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        ):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                raw.sendall(garbage)
                raw.recv(4096)
        assert 204 == client.post(v10(srv.create_webhook()), json=BODY).status_code

    def test_concurrent_posts_are_all_recorded(self, srv: DiscordServer) -> None:
        url = v10(srv.create_webhook())

        def burst() -> None:
            with httpx.Client(headers=UA, timeout=5) as own:
                for _ in range(20):
                    own.post(url, json=BODY)

        threads = [threading.Thread(target=burst) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        ids = [int(m.id) for m in srv.messages()]
        assert 120 == len(ids)
        assert sorted(ids) == ids
        assert len(set(ids)) == 120


class TestReadApi:
    """The JSON read API serves what was recorded, for the preview page."""

    def test_messages_after_and_channel(self, srv: DiscordServer, client: httpx.Client) -> None:
        logs, perf = v10(srv.create_webhook("logs")), v10(srv.create_webhook("performance"))
        for url, text in ((logs, "a"), (perf, "b"), (logs, "c")):
            client.post(url, json={**BODY, "content": text})
        first = srv.messages()[0].id
        local = f"{srv.base_url}/_local/messages"
        everything = client.get(local).json()["messages"]
        assert ["a", "b", "c"] == [m["payload"]["content"] for m in everything]
        only_logs = client.get(local, params={"channel": "logs", "after": first}).json()
        assert ["c"] == [m["payload"]["content"] for m in only_logs["messages"]]
        assert 400 == client.get(local, params={"after": "x"}).status_code
        assert 405 == client.post(local).status_code

    def test_channels_violations_stats(self, srv: DiscordServer, client: httpx.Client) -> None:
        client.post(srv.create_webhook("logs"), json=BODY)
        channels = client.get(f"{srv.base_url}/_local/channels").json()["channels"]
        assert [("logs", 1, 1)] == [(c["name"], c["webhooks"], c["messages"]) for c in channels]
        violations = client.get(f"{srv.base_url}/_local/violations").json()["violations"]
        assert ["unversioned API"] == [v["kind"] for v in violations]
        stats = client.get(f"{srv.base_url}/_local/stats").json()
        assert (1, 1) == (stats["requests"], stats["ok"])

    def test_embeds_flattened_and_clear(self, srv: DiscordServer, client: httpx.Client) -> None:
        url = v10(srv.create_webhook("logs"))
        client.post(url, json={"embeds": [{"title": "1"}, {"title": "2"}], **SAFE})
        client.post(url, json={"embeds": [{"title": "3"}], **SAFE})
        assert ["1", "2", "3"] == [e["title"] for e in srv.embeds("logs")]
        assert [] == srv.embeds("performance")
        srv.clear()
        assert ([], [], 0) == (srv.messages(), srv.violations, srv.stats().requests)
        assert 204 == client.post(url, json=BODY).status_code

    def test_webhook_author_is_username_or_name(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        url = v10(srv.create_webhook("logs", name="Telemetry"))
        client.post(url, json=BODY)
        client.post(url, json={**BODY, "username": "Alerts"})
        assert ["Telemetry", "Alerts"] == [m.author for m in srv.messages()]


class TestSecrets:
    """Webhook and bot tokens never show up in anything the server reports."""

    def test_tokens_never_leak(
        self, srv: DiscordServer, client: httpx.Client, capfd: pytest.CaptureFixture[str]
    ) -> None:
        url = srv.create_webhook("logs")
        token = url.rsplit("/", 1)[1]
        srv.add_bot(BOT_TOKEN)
        channel = srv.create_channel("logs")
        bot_url = f"{srv.base_url}/api/v10/channels/{channel}/messages"
        client.post(url, json={"content": "hi"})  # unversioned, no allowed_mentions
        client.post(url + "x", json=BODY)  # wrong token, twice
        client.post(url + "x", json=BODY)
        client.post(
            bot_url, json={**BODY, "username": "x"}, headers={"Authorization": f"Bot {BOT_TOKEN}"}
        )
        client.post(bot_url, json=BODY, headers={"Authorization": f"Bot {BOT_TOKEN}x"})
        srv.inject(Fault.RESET)
        with pytest.raises(httpx.TransportError):
            client.post(url, json=BODY)
        srv.delete_webhook(url)
        client.post(url, json=BODY)
        client.post(url, json=BODY)
        reports = [
            repr(srv),
            repr(srv.violations),
            repr(srv.stats()),
            repr(srv.messages()),
            *(
                client.get(f"{srv.base_url}/_local/{p}").text
                for p in ("messages", "channels", "violations", "stats")
            ),
            *capfd.readouterr(),
        ]
        assert len(srv.violations) >= 5
        for secret in (token, BOT_TOKEN):
            assert [] == [text for text in reports if secret in text]


class TestPytestPlugin:
    """The public fixture hands out a running server and stops it afterwards."""

    def test_fixture(self, discord_server: DiscordServer) -> None:  # noqa: F811 - the fixture
        url = v10(discord_server.create_webhook("alerts"))
        assert discord_server.running
        assert 204 == httpx.post(url, json=BODY, headers=UA).status_code
        assert 1 == len(discord_server.messages("alerts"))
