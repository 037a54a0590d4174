"""Files on the create routes: multipart/form-data with Discord's limits, kept in memory."""

from __future__ import annotations

import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image

from otel_discord.testing import DiscordServer, ViolationKind
from tests.support import UA

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.bot-token-for-uploads_0123456789"
NO_PINGS = {"parse": []}


def png(width: int = 8, height: int = 6) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (43, 45, 49)).save(out, format="PNG")
    return out.getvalue()


def chart_message(*names: str, title: str = "⚡ Performance snapshot") -> dict[str, Any]:
    """A message whose embed shows the first file and lists every file as an attachment."""
    embed: dict[str, Any] = {"title": title}
    if names:
        embed["image"] = {"url": f"attachment://{names[0]}"}
    return {
        "embeds": [embed],
        "allowed_mentions": NO_PINGS,
        "attachments": [{"id": i, "filename": n} for i, n in enumerate(names)],
    }


def upload(
    client: httpx.Client,
    url: str,
    payload: dict[str, Any],
    files: list[tuple[str, bytes]],
    **kwargs: Any,
) -> httpx.Response:
    parts = [(f"files[{i}]", (name, data, "image/png")) for i, (name, data) in enumerate(files)]
    return client.post(url, data={"payload_json": json.dumps(payload)}, files=parts, **kwargs)


def versioned(url: str) -> str:
    return url.replace("/api/webhooks/", "/api/v10/webhooks/")


class TestWebhookUploads:
    """Execute Webhook with files, as Discord takes them."""

    def test_a_chart_is_stored_and_returned_as_an_attachment(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """The file stays with its message; the answer resolves attachment:// to its URL."""
        url = versioned(srv.create_webhook("performance"))
        data = png(800, 600)
        reply = upload(
            client,
            url,
            chart_message("performance.png"),
            [("performance.png", data)],
            params={"wait": "true"},
        )
        assert 200 == reply.status_code, reply.text
        body = reply.json()
        (attachment,) = body["attachments"]
        assert ("performance.png", len(data), "image/png", 800, 600) == (
            attachment["filename"],
            attachment["size"],
            attachment["content_type"],
            attachment["width"],
            attachment["height"],
        )
        assert attachment["url"] == body["embeds"][0]["image"]["url"]
        (message,) = srv.messages("performance")
        assert data == message.file("performance.png").data
        assert "attachment://performance.png" == message.payload["embeds"][0]["image"]["url"]
        served = client.get(attachment["url"])
        assert (200, "image/png", data) == (
            served.status_code,
            served.headers["content-type"],
            served.content,
        )
        assert [] == srv.violations

    def test_ten_files_pass_and_eleven_are_refused_with_30015(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """At most 10 attachments per message; the 11th is code 30015."""
        url = versioned(srv.create_webhook("performance"))
        names = [f"c{i}.png" for i in range(11)]
        ten = upload(client, url, chart_message(*names[:10]), [(n, png()) for n in names[:10]])
        assert 204 == ten.status_code, ten.text
        eleven = upload(client, url, chart_message(*names), [(n, png()) for n in names])
        assert (400, 30015) == (eleven.status_code, eleven.json()["code"])
        assert 1 == len(srv.messages("performance"))

    def test_files_over_the_upload_limit_are_413_code_40005(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """Files larger than the upload limit in total: 413 code 40005, nothing recorded."""
        srv.max_upload_bytes = 1000
        url = versioned(srv.create_webhook("performance"))
        big = png(400, 400) + b"\0" * 2000
        refused = upload(client, url, chart_message("p.png"), [("p.png", big)])
        assert (413, 40005) == (refused.status_code, refused.json()["code"])
        assert [] == srv.messages()
        small = upload(client, url, chart_message("p.png"), [("p.png", png())])
        assert 204 == small.status_code

    @pytest.mark.parametrize(
        ("payload", "files", "path"),
        [
            (
                {**chart_message("missing.png"), "attachments": [{"id": 0}]},
                [("other.png", png())],
                ["embeds", "0", "image", "url"],
            ),
            (
                {**chart_message("a.png"), "attachments": [{"id": 1, "filename": "a.png"}]},
                [("a.png", png())],
                ["attachments", "0", "id"],
            ),
            (
                {**chart_message("notes.txt"), "attachments": [{"id": 0}]},
                [("notes.txt", b"plain text")],
                ["embeds", "0", "image", "url"],
            ),
            (
                {**chart_message("fake.png"), "attachments": [{"id": 0}]},
                [("fake.png", b"GIF89a not a png")],
                ["embeds", "0", "image", "url"],
            ),
        ],
        ids=["no-such-file", "attachment-without-file", "not-an-image", "wrong-magic"],
    )
    def test_attachment_references_must_name_an_uploaded_image(
        self,
        srv: DiscordServer,
        client: httpx.Client,
        payload: dict[str, Any],
        files: list[tuple[str, bytes]],
        path: list[str],
    ) -> None:
        """400 code 50035 with the error at the offending reference."""
        url = versioned(srv.create_webhook("performance"))
        refused = upload(client, url, payload, files)
        assert (400, 50035) == (refused.status_code, refused.json()["code"])
        node = refused.json()["errors"]
        for key in path:
            node = node[key]
        assert node["_errors"]

    def test_a_json_body_cannot_show_an_attachment(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """attachment:// without any upload is refused too."""
        url = versioned(srv.create_webhook("performance"))
        payload = chart_message("performance.png")
        del payload["attachments"]
        refused = client.post(url, json=payload)
        assert (400, 50035) == (refused.status_code, refused.json()["code"])

    @pytest.mark.parametrize(
        "body",
        [b"no boundary here", b"--other\r\ncontent\r\n--other--\r\n"],
        ids=["not-multipart", "wrong-boundary"],
    )
    def test_malformed_multipart_is_refused(
        self, srv: DiscordServer, client: httpx.Client, body: bytes
    ) -> None:
        """A body that is not the multipart it claims: 400 code 50035."""
        url = versioned(srv.create_webhook("performance"))
        refused = client.post(
            url, content=body, headers={"Content-Type": "multipart/form-data; boundary=xyz"}
        )
        assert (400, 50035) == (refused.status_code, refused.json()["code"])

    def test_unknown_form_fields_are_violations(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """A form field Discord does not read is recorded, the message still goes."""
        url = versioned(srv.create_webhook("performance"))
        payload = chart_message("p.png")
        reply = client.post(
            url,
            data={"payload_json": json.dumps(payload), "payload": "x"},
            files=[("files[0]", ("p.png", png(), "image/png"))],
        )
        assert 204 == reply.status_code
        assert [ViolationKind.UNKNOWN_JSON_KEY] == [v.kind for v in srv.violations]

    def test_the_read_api_lists_attachments_and_serves_them(
        self, srv: DiscordServer, client: httpx.Client
    ) -> None:
        """``/_local/messages`` links each file; an unknown id is 404."""
        url = versioned(srv.create_webhook("performance"))
        data = png()
        assert 204 == upload(client, url, chart_message("p.png"), [("p.png", data)]).status_code
        (listed,) = client.get(f"{srv.base_url}/_local/messages").json()["messages"]
        (attachment,) = listed["attachments"]
        assert attachment["url"].startswith("/_local/attachments/")
        assert data == client.get(srv.base_url + attachment["url"]).content
        missing = client.get(f"{srv.base_url}/_local/attachments/1/p.png")
        assert 404 == missing.status_code


class TestBotUploads:
    """The bot route takes files too, with the Attach Files permission."""

    def test_a_bot_uploads_a_chart(self, srv: DiscordServer) -> None:
        """With every permission: 200 and the message object lists the file."""
        srv.add_bot(TOKEN)
        channel_id = srv.create_channel("performance")
        url = f"{srv.base_url}/api/v10/channels/{channel_id}/messages"
        with httpx.Client(headers={**UA, "Authorization": f"Bot {TOKEN}"}, timeout=5) as bot:
            reply = upload(bot, url, chart_message("p.png"), [("p.png", png())])
        assert 200 == reply.status_code, reply.text
        assert ["p.png"] == [a["filename"] for a in reply.json()["attachments"]]
        assert ["p.png"] == [f.filename for f in srv.messages("performance")[0].files]

    def test_without_attach_files_the_upload_is_403(self, srv: DiscordServer) -> None:
        """Missing Attach Files: 403 code 50013 for a message with files, text still passes."""
        srv.add_bot(TOKEN, permissions={"VIEW_CHANNEL", "SEND_MESSAGES", "EMBED_LINKS"})
        channel_id = srv.create_channel("performance")
        url = f"{srv.base_url}/api/v10/channels/{channel_id}/messages"
        with httpx.Client(headers={**UA, "Authorization": f"Bot {TOKEN}"}, timeout=5) as bot:
            refused = upload(bot, url, chart_message("p.png"), [("p.png", png())])
            text = bot.post(url, json={"embeds": [{"title": "t"}], "allowed_mentions": NO_PINGS})
        assert (403, 50013) == (refused.status_code, refused.json()["code"])
        assert 200 == text.status_code
