"""Messages with files: packed by count and bytes, sent as multipart, text alone when refused."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image

from otel_discord.channels import Channel
from otel_discord.delivery.attachments import (
    Attachment,
    FileBudget,
    FilePayload,
    attach,
    files_of,
    request_content,
    text_only,
)
from otel_discord.delivery.batch import build_batch
from otel_discord.delivery.destination import ChannelDestination, WebhookDestination
from otel_discord.delivery.item import Item
from otel_discord.delivery.outbox import Entry
from otel_discord.render import limits
from otel_discord.render.types import Embed
from otel_discord.testing import DiscordServer

from .support import MakeEngine, wait_until

BOT_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GabcDE.bot-token-for-files_0123456789"


def png(width: int = 8, height: int = 6) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (43, 45, 49)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Chart(Item):
    """An item whose embed shows one file (like the performance snapshot)."""

    name: str
    data: bytes

    def embeds(self) -> list[Embed]:
        return [{"title": self.name, "image": {"url": f"attachment://{self.name}"}}]

    def files(self) -> Sequence[Attachment]:
        return (Attachment(self.name, self.data),)


class Broken(Chart):
    """A chart whose drawing fails: its text must still go."""

    def files(self) -> Sequence[Attachment]:
        raise RuntimeError("drawing failed")


def entries(*items: Item) -> list[Entry]:
    return [Entry(item, seq, 0.0) for seq, item in enumerate(items)]


class TestPacking:
    """The packer counts attachments (10 per message) and bytes (well under the limit)."""

    def test_eleven_charts_make_two_messages_of_ten_and_one(self) -> None:
        """Ten files fill a message; the eleventh item waits for the next one."""
        items = [Chart(f"c{i}.png", png()) for i in range(11)]
        batch, leftovers = build_batch(Channel.PERFORMANCE, entries(*items), None, None)
        (payload,) = batch.payloads
        assert 10 == len(files_of(payload))
        assert [f"c{i}.png" for i in range(10)] == [a["filename"] for a in payload["attachments"]]
        assert list(range(10)) == [a["id"] for a in payload["attachments"]]
        assert [items[10]] == [e.item for e in leftovers]

    def test_bytes_are_counted(self) -> None:
        """Files over the per-message byte budget go to the next message."""
        half = b"\x89PNG\r\n\x1a\n" + b"\0" * (limits.PACKED_FILE_BYTES // 2)
        items = [Chart(f"c{i}.png", half) for i in range(3)]
        batch, leftovers = build_batch(Channel.PERFORMANCE, entries(*items), None, None)
        assert 1 == len(files_of(batch.payloads[0]))
        assert 2 == len(leftovers)
        assert limits.PACKED_FILE_BYTES <= limits.UPLOAD_BYTES // 2

    def test_one_name_once_per_message(self) -> None:
        """Two files of the same name never share a message (attachment:// would be ambiguous)."""
        batch, leftovers = build_batch(
            Channel.PERFORMANCE,
            entries(Chart("performance.png", png()), Chart("performance.png", png())),
            None,
            None,
        )
        assert 1 == len(files_of(batch.payloads[0]))
        assert 1 == len(leftovers)

    def test_a_chart_that_fails_to_draw_goes_as_text(self) -> None:
        """No file, and the embed no longer points at one (Discord would refuse it)."""
        batch, _ = build_batch(Channel.PERFORMANCE, entries(Broken("p.png", b"")), None, None)
        (payload,) = batch.payloads
        assert () == files_of(payload)
        assert [{"title": "p.png"}] == payload["embeds"]
        assert "attachments" not in payload

    def test_without_files_the_images_are_dropped(self) -> None:
        """``with_files=False`` (a bot without Attach Files): text only."""
        batch, _ = build_batch(
            Channel.PERFORMANCE, entries(Chart("p.png", png())), None, None, with_files=False
        )
        assert () == files_of(batch.payloads[0])
        assert [{"title": "p.png"}] == batch.payloads[0]["embeds"]


class TestPayloads:
    """A payload with files and its multipart form."""

    def test_attach_names_files_and_drops_dangling_references(self) -> None:
        """Referenced files are attached in order; a reference to nothing is removed."""
        payload = {
            "embeds": [
                {"title": "a", "image": {"url": "attachment://a.png"}},
                {"title": "b", "thumbnail": {"url": "attachment://gone.png"}},
            ],
            "allowed_mentions": {"parse": []},
        }
        file = Attachment("a.png", png(), description="last 60 min")
        out = attach(payload, {"a.png": file})
        assert isinstance(out, FilePayload)
        assert (file,) == out.files
        assert [{"id": 0, "filename": "a.png", "description": "last 60 min"}] == out["attachments"]
        assert {"title": "b"} == out["embeds"][1]
        plain = text_only(out)
        assert () == files_of(plain)
        assert [{"title": "a"}, {"title": "b"}] == plain["embeds"]

    def test_multipart_form(self) -> None:
        """payload_json plus files[n]; a payload without files stays JSON."""
        file = Attachment("a.png", b"\x89PNG")
        content = request_content(FilePayload({"embeds": []}, [file]))
        assert {"payload_json": '{"embeds":[]}'} == content["data"]
        assert [("files[0]", ("a.png", b"\x89PNG", "image/png"))] == content["files"]
        assert {"json": {"embeds": []}} == request_content({"embeds": []})

    def test_budget(self) -> None:
        """Ten files, then no more; a repeated name never fits."""
        budget = FileBudget()
        budget.add([Attachment(f"{i}.png", b"x") for i in range(9)])
        assert budget.fits([Attachment("9.png", b"x")])
        assert not budget.fits([Attachment("9.png", b"x"), Attachment("10.png", b"x")])
        assert not budget.fits([Attachment("0.png", b"x")])


class TestThroughTheLocalDiscord:
    """Real multipart over loopback to the strict local Discord."""

    def test_a_chart_arrives_with_its_file(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        """The message holds the PNG; its embed shows it; no protocol violation."""
        url = server.create_webhook("performance")
        harness = make_engine({Channel.PERFORMANCE: WebhookDestination.parse(url)})
        data = png(800, 600)
        harness.engine.submit(Channel.PERFORMANCE, Chart("performance.png", data))
        assert harness.engine.flush(5.0)
        (message,) = server.messages("performance")
        assert data == message.file("performance.png").data
        assert "attachment://performance.png" == message.payload["embeds"][0]["image"]["url"]
        assert [] == server.violations

    def test_413_sends_the_text_alone_once_and_says_so(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        """Files over the upload limit: one 413, then the same embed without its image."""
        server.max_upload_bytes = 100
        url = server.create_webhook("performance")
        harness = make_engine({Channel.PERFORMANCE: WebhookDestination.parse(url)})
        harness.engine.submit(Channel.PERFORMANCE, Chart("performance.png", png(200, 200)))
        assert harness.engine.flush(5.0)
        (message,) = server.messages("performance")
        assert () == message.files
        assert [{"title": "performance.png"}] == message.payload["embeds"]
        assert {413: 1} == server.stats().by_status
        assert {40005: 1} == server.stats().by_code
        assert ["files_refused"] == harness.kinds(Channel.PERFORMANCE)
        (event,) = harness.events
        assert "performance.png" in event.detail
        assert "413" in event.detail
        assert "text only" in event.detail
        assert 1 == event.count
        assert [] == server.violations

    def test_each_message_falls_back_by_itself(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        """Two charts too large: two fallbacks, two text messages, no message lost."""
        server.max_upload_bytes = 100
        url = server.create_webhook("performance")
        harness = make_engine({Channel.PERFORMANCE: WebhookDestination.parse(url)})
        for name in ("a.png", "b.png"):
            harness.engine.submit(Channel.PERFORMANCE, Chart(name, png(200, 200)))
            assert harness.engine.flush(5.0)
        assert 2 == len(server.messages("performance"))
        assert ["files_refused"] * 2 == harness.kinds(Channel.PERFORMANCE)

    def test_a_bot_without_attach_files_goes_on_as_text(
        self, server: DiscordServer, make_engine: MakeEngine
    ) -> None:
        """403 for the files: the text goes, later messages skip files, the channel stays on."""
        server.add_bot(BOT_TOKEN, permissions={"VIEW_CHANNEL", "SEND_MESSAGES", "EMBED_LINKS"})
        channel_id = server.create_channel("performance")
        destination = ChannelDestination.parse(
            channel_id, BOT_TOKEN, api_base=f"{server.base_url}/api"
        )
        harness = make_engine({Channel.PERFORMANCE: destination})
        harness.engine.submit(Channel.PERFORMANCE, Chart("a.png", png()))
        assert harness.engine.flush(5.0)
        harness.engine.submit(Channel.PERFORMANCE, Chart("b.png", png()))
        assert harness.engine.flush(5.0)
        assert wait_until(lambda: len(server.messages("performance")) == 2)
        assert [(), ()] == [m.files for m in server.messages("performance")]
        assert {403: 1} == server.stats().by_status
        (event,) = harness.events
        assert "files_refused" == event.kind
        assert "Attach Files" in event.detail
        assert "ok" == harness.engine.stats()[Channel.PERFORMANCE].state
        assert [] == server.violations
