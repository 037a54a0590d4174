"""Discord's error answers become one readable, secret-free line."""

from __future__ import annotations

from otel_discord.delivery.destination import ChannelDestination, WebhookDestination
from otel_discord.delivery.discord_errors import describe_response, field_errors, why_unusable

TOKEN = "s3cretT0ken-abcdefghijklmnop"
INVALID_FORM = {
    "code": 50035,
    "message": "Invalid Form Body",
    "errors": {
        "embeds": {
            "0": {"title": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Too long."}]}}
        }
    },
}


class TestFieldErrors:
    """Nested ``errors`` flatten to dotted field paths."""

    def test_path_and_code(self) -> None:
        assert ["embeds.0.title: BASE_TYPE_MAX_LENGTH (Too long.)"] == field_errors(
            INVALID_FORM["errors"]
        )

    def test_not_a_dict(self) -> None:
        assert [] == field_errors(["x"])


class TestDescribeResponse:
    """JSON errors name their code and fields; HTML bodies are shortened."""

    def test_json(self) -> None:
        line = describe_response(400, INVALID_FORM, "")
        assert line.startswith("400 code 50035 Invalid Form Body: embeds.0.title")

    def test_html(self) -> None:
        line = describe_response(502, None, "<html>\n<b>Bad   Gateway</b>" + "x" * 1000)
        assert line.startswith("502 <html> <b>Bad Gateway</b>")
        assert len(line) < 400


class TestWhyUnusable:
    """The sentence says what is wrong and what a bot needs, never the token."""

    def test_bot_permissions_named(self) -> None:
        destination = ChannelDestination.parse("123456789012345678", TOKEN)
        text = why_unusable(403, destination, "403 code 50013 Missing Permissions")
        assert "View Channel, Send Messages, Embed Links" in text
        assert TOKEN not in text

    def test_deleted_webhook(self) -> None:
        destination = WebhookDestination.parse(
            f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}"
        )
        text = why_unusable(404, destination, "404 code 10015 Unknown Webhook")
        assert "deleted" in text
        assert TOKEN not in text
