"""Get, Edit and Delete Message on the webhook and bot routes, as strict as creates."""

from __future__ import annotations

from typing import Any

import httpx

from otel_discord.testing import DiscordServer, ViolationKind
from tests.support import BODY, UA, UNLIMITED, v10

EMBED: dict[str, Any] = {
    "embeds": [{"title": "status", "description": "all good"}],
    "allowed_mentions": {"parse": []},
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def create(client: httpx.Client, hook: str, body: dict[str, Any] | None = None) -> str:
    response = client.post(hook, params={"wait": "true"}, json=body or EMBED)
    assert 200 == response.status_code
    message_id: str = response.json()["id"]
    return message_id


class TestWebhookMessage:
    """``/webhooks/{id}/{token}/messages/{message_id}``."""

    def test_edit_replaces_embeds_and_marks_the_message_edited(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """A PATCH answers the edited message object; the stored message changes in place."""
        hook = v10(srv.create_webhook("diagnostics"))
        message_id = create(client, hook)
        patch = {"embeds": [{"title": "status", "description": "degraded"}]}
        response = client.patch(
            f"{hook}/messages/{message_id}", json={**patch, "allowed_mentions": {"parse": []}}
        )
        assert 200 == response.status_code
        body = response.json()
        assert message_id == body["id"]
        assert "degraded" == body["embeds"][0]["description"]
        assert body["edited_timestamp"] is not None
        (stored,) = srv.messages("diagnostics")
        assert "degraded" == stored.payload["embeds"][0]["description"]
        assert stored.edited_at is not None
        got = client.get(f"{hook}/messages/{message_id}")
        assert 200 == got.status_code
        assert "degraded" == got.json()["embeds"][0]["description"]
        assert [] == srv.violations

    def test_unknown_and_deleted_messages_answer_10008(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """Deleted (by the route or by a moderator) and never-existing ids: 404 code 10008."""
        hook = v10(srv.create_webhook("diagnostics"))
        first, second = create(client, hook), create(client, hook)
        assert 204 == client.delete(f"{hook}/messages/{first}").status_code
        srv.delete_message(second)
        for message_id in (first, second, "123456789012345678"):
            response = client.patch(f"{hook}/messages/{message_id}", json=EMBED)
            assert (404, 10008) == (response.status_code, response.json()["code"])
        assert [] == srv.messages("diagnostics")
        assert {10008: 3} == srv.stats().by_code

    def test_editing_a_deleted_message_twice_is_a_violation(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """A client that keeps editing a message it was told is gone is noted."""
        hook = v10(srv.create_webhook("diagnostics"))
        message_id = create(client, hook)
        srv.delete_message(message_id)
        for _ in range(2):
            client.patch(f"{hook}/messages/{message_id}", json=EMBED)
        assert [ViolationKind.REUSE_AFTER_404] == [v.kind for v in srv.violations]

    def test_another_webhooks_message_is_unknown(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """A webhook sees only its own messages, even in the same channel."""
        mine = v10(srv.create_webhook("diagnostics"))
        other = v10(srv.create_webhook("diagnostics"))
        message_id = create(client, mine)
        response = client.patch(f"{other}/messages/{message_id}", json=EMBED)
        assert (404, 10008) == (response.status_code, response.json()["code"])

    def test_edits_are_validated_like_creates(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """Limits give 50035 with the field path; username is not an edit key; empty is 50006."""
        hook = v10(srv.create_webhook("diagnostics"))
        message_id = create(client, hook)
        url = f"{hook}/messages/{message_id}"
        long_title = {"embeds": [{"title": "x" * 257}], "allowed_mentions": {"parse": []}}
        response = client.patch(url, json=long_title)
        assert (400, 50035) == (response.status_code, response.json()["code"])
        assert "title" in response.json()["errors"]["embeds"]["0"]
        empty = client.patch(url, json={"embeds": [], "allowed_mentions": {"parse": []}})
        assert (400, 50006) == (empty.status_code, empty.json()["code"])
        renamed = client.patch(url, json={**EMBED, "username": "bot"})
        assert 200 == renamed.status_code
        client.patch(url, json={"embeds": EMBED["embeds"]})
        assert [
            ViolationKind.UNKNOWN_JSON_KEY,
            ViolationKind.MISSING_ALLOWED_MENTIONS,
        ] == [v.kind for v in srv.violations]

    def test_edits_have_their_own_bucket(self, client: httpx.Client) -> None:
        """Creates and edits count in separate buckets; an empty edit bucket answers 429."""
        clock = FakeClock()
        with DiscordServer(
            webhook_limit=(2, 2.0), channel_limit=UNLIMITED, global_limit=UNLIMITED, clock=clock
        ) as srv:
            hook = v10(srv.create_webhook("diagnostics"))
            created = client.post(hook, params={"wait": "true"}, json=EMBED)
            message_id = created.json()["id"]
            assert 204 == client.post(hook, json=BODY).status_code
            edits = [client.patch(f"{hook}/messages/{message_id}", json=EMBED) for _ in range(3)]
            assert [200, 200, 429] == [r.status_code for r in edits]
            assert ["1", "0"] == [r.headers["X-RateLimit-Remaining"] for r in edits[:2]]
            bucket = edits[0].headers["X-RateLimit-Bucket"]
            assert bucket != created.headers["X-RateLimit-Bucket"]
            assert [ViolationKind.SENT_WHILE_EXHAUSTED] == [v.kind for v in srv.violations]
            clock.now += 2.1
            assert 200 == client.patch(f"{hook}/messages/{message_id}", json=EMBED).status_code

    def test_changes_view_lists_edits_and_deletions(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """``/_local/changes?since=REVISION`` tells a viewer what to redraw."""
        hook = v10(srv.create_webhook("diagnostics"))
        kept, gone = create(client, hook), create(client, hook)
        start = client.get(f"{srv.base_url}/_local/changes", params={"since": "0"}).json()
        assert ([], []) == (start["edited"], start["deleted"])
        client.patch(f"{hook}/messages/{kept}", json=EMBED)
        client.delete(f"{hook}/messages/{gone}")
        changes = client.get(
            f"{srv.base_url}/_local/changes",
            params={"since": str(start["revision"]), "channel": "diagnostics"},
        ).json()
        assert [kept] == [m["id"] for m in changes["edited"]]
        assert [gone] == changes["deleted"]
        assert start["revision"] + 2 == changes["revision"]


class TestBotMessage:
    """``/channels/{id}/messages/{message_id}`` with a bot token."""

    def test_the_bot_edits_its_own_message_only(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """Its own: 200. Another bot's or a webhook's: 403 code 50005."""
        channel = srv.create_channel("diagnostics")
        srv.add_bot("tok-a", name="bot-a")
        srv.add_bot("tok-b", name="bot-b")
        hook = v10(srv.create_webhook("diagnostics"))
        messages = f"{srv.base_url}/api/v10/channels/{channel}/messages"
        as_a = {**UA, "Authorization": "Bot tok-a"}
        as_b = {**UA, "Authorization": "Bot tok-b"}
        own = client.post(messages, json=EMBED, headers=as_a).json()["id"]
        webhook_message = create(client, hook)
        assert 200 == client.patch(f"{messages}/{own}", json=EMBED, headers=as_a).status_code
        for message_id, headers in ((own, as_b), (webhook_message, as_a)):
            refused = client.patch(f"{messages}/{message_id}", json=EMBED, headers=headers)
            assert (403, 50005) == (refused.status_code, refused.json()["code"])
        unknown = client.patch(f"{messages}/123456789012345678", json=EMBED, headers=as_a)
        assert (404, 10008) == (unknown.status_code, unknown.json()["code"])
        assert [] == srv.violations
