"""The shared HTTP client's identity and the log redaction guarding it."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import subprocess
import sys
import textwrap

from otel_discord.delivery.redaction import SecretRedactor
from otel_discord.delivery.transport import PROJECT_URL, user_agent
from otel_discord.testing import DiscordServer


class TestUserAgent:
    """Discord asks for ``DiscordBot (url, version)``."""

    def test_format(self) -> None:
        version = importlib.metadata.version("otel-discord")
        assert f"DiscordBot ({PROJECT_URL}, {version})" == user_agent()


class TestPreparedClient:
    """The client's one-time set-up runs where the engine is built, not on a sender thread.

    A delivery thread that imports httpx's modules and builds a TLS context while the
    bot's loop is busy fights the loop for the GIL (benchmarks/bench_span_worker_wakeups.py).
    """

    def test_first_send_imports_nothing(self, server: DiscordServer) -> None:
        url = server.create_webhook("logs")
        script = textwrap.dedent(
            f"""
            import json, sys
            from otel_discord.channels import Channel
            from otel_discord.delivery import DeliveryEngine, StaticItem, WebhookDestination
            engine = DeliveryEngine({{Channel.LOGS: WebhookDestination.parse({url!r})}})
            before = set(sys.modules)
            engine.submit(Channel.LOGS, StaticItem([{{"title": "first"}}]))
            assert engine.shutdown(10.0)
            print(json.dumps(sorted(set(sys.modules) - before)))
            """
        )
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
        )
        assert [] == json.loads(done.stdout)
        assert ["first"] == [e["title"] for e in server.embeds("logs")]


class TestSecretRedactor:
    """Registered secrets never reach a handler."""

    def record(self, msg: str, args: tuple[object, ...], exc: bool = False) -> logging.LogRecord:
        exc_info = None
        if exc:
            try:
                raise ValueError("token s3cret in an exception")
            except ValueError:
                exc_info = sys.exc_info()
        return logging.LogRecord("httpx", logging.INFO, __file__, 1, msg, args, exc_info)

    def test_scrubs_formatted_message(self) -> None:
        redactor = SecretRedactor()
        redactor.add("s3cret")
        record = self.record("HTTP Request: POST %s", ("http://h/webhooks/1/s3cret",))
        assert redactor.filter(record)
        assert "HTTP Request: POST http://h/webhooks/1/***" == record.getMessage()

    def test_scrubs_exception_text(self) -> None:
        redactor = SecretRedactor()
        redactor.add("s3cret")
        record = self.record("failed", (), exc=True)
        redactor.filter(record)
        assert record.exc_text is not None
        assert "s3cret" not in logging.Formatter().format(record)

    def test_leaves_other_records_alone(self) -> None:
        redactor = SecretRedactor()
        redactor.add("s3cret")
        record = self.record("value %d", (3,))
        redactor.filter(record)
        assert ("value %d", (3,)) == (record.msg, record.args)


class TestScrubRendered:
    """Secrets quoted in an embed, escaped by the renderers, or never registered."""

    TOKEN = "ab_cd-" + "x" * 60

    def test_registered_secret_through_escapes_and_wraps(self) -> None:
        redactor = SecretRedactor()
        redactor.add(self.TOKEN)
        escaped = "failed: ab\\_cd-" + "x" * 30 + "\n" + "x" * 30 + "\u200b!"
        assert "failed: ***\u200b!" == redactor.scrub_rendered(escaped)

    def test_unregistered_webhook_and_bot_tokens_by_shape(self) -> None:
        redactor = SecretRedactor()
        url = "see https://discord.com/api/webhooks/123456789012345678/" + "Tk\\_" * 20 + "…"
        assert "see https://discord.com/api/webhooks/123456789012345678/***…" == (
            redactor.scrub_rendered(url)
        )
        bot = "MTA4NjYwNzY5NjU0MzI4MTIzNA.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
        assert "token *** leaked" == redactor.scrub_rendered(f"token {bot} leaked")

    def test_ordinary_text_is_untouched(self) -> None:
        redactor = SecretRedactor()
        redactor.add(self.TOKEN)
        text = "play\\_song failed in module.sub.function after 3 tries \u200b@everyone"
        assert text == redactor.scrub_rendered(text)

    def test_payload_keeps_its_shape_and_files(self) -> None:
        from otel_discord.delivery.attachments import Attachment, FilePayload, files_of

        redactor = SecretRedactor()
        redactor.add(self.TOKEN)
        chart = Attachment("chart.png", b"\x89PNG", "image/png")
        payload = FilePayload(
            {"embeds": [{"title": f"x {self.TOKEN}", "color": 3, "fields": [{"name": "a"}]}]},
            [chart],
        )
        clean = redactor.scrub_payload(payload)
        assert {"embeds": [{"title": "x ***", "color": 3, "fields": [{"name": "a"}]}]} == clean
        assert (chart,) == files_of(clean)
        assert self.TOKEN in payload["embeds"][0]["title"]  # the original is left as it was
