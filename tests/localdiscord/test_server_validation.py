"""The local Discord refuses exactly what Discord refuses, with Discord's codes and error paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from otel_discord.testing import DiscordServer, check_message
from tests.support import UA

SAFE: dict[str, Any] = {"allowed_mentions": {"parse": []}}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[DiscordServer]:
    big = (10_000, 60.0)
    with DiscordServer(webhook_limit=big, channel_limit=big, global_limit=big) as server:
        yield server


@pytest.fixture
def srv(shared_server: DiscordServer) -> DiscordServer:
    shared_server.clear()
    shared_server.max_body_bytes = 1024 * 1024
    return shared_server


@pytest.fixture
def post(srv: DiscordServer) -> Iterator[Callable[..., httpx.Response]]:
    url = srv.create_webhook("checks").replace("/api/webhooks/", "/api/v10/webhooks/")
    with httpx.Client(headers=UA, timeout=5) as client:

        def send(body: object = None, **kwargs: Any) -> httpx.Response:
            if body is not None:
                kwargs["json"] = body
            return client.post(url, **kwargs)

        yield send
    assert srv.internal_errors == []


def embed_msg(**embed: Any) -> dict[str, Any]:
    return {"embeds": [embed], **SAFE}


def fields(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"name": n, "value": v} for n, v in pairs]


def error_at(body: dict[str, Any], path: tuple[str, ...]) -> str:
    node = body["errors"]
    for part in path:
        node = node[part]
    return str(node["_errors"][0]["code"])


OK = [
    ("title at 256", embed_msg(title="t" * 256)),
    ("title 256 after strip", embed_msg(title="  " + "t" * 256 + "\n ")),
    ("description at 4096", embed_msg(description="d" * 4096)),
    ("25 fields", embed_msg(fields=fields(*[("n", "v")] * 25))),
    ("value at 1024 code points", embed_msg(fields=fields(("n", "\U0001f600" * 1024)))),
    ("footer at 2048", embed_msg(footer={"text": "f" * 2048})),
    ("author at 256", embed_msg(author={"name": "a" * 256})),
    ("10 embeds", {"embeds": [{"title": "t"}] * 10, **SAFE}),
    ("total exactly 6000", {"embeds": [{"description": "d" * 3000}] * 2, **SAFE}),
    ("content at 2000", {"content": "c" * 2000, **SAFE}),
    ("color max", embed_msg(title="t", color=0xFFFFFF)),
    ("timestamp with Z", embed_msg(title="t", timestamp="2024-05-01T12:00:00.123Z")),
    ("timestamp with offset", embed_msg(title="t", timestamp="2024-05-01T12:00:00+02:00")),
    ("username at 80", {"content": "c", "username": "u" * 80, **SAFE}),
]

INVALID = [
    ("title 257", embed_msg(title="t" * 257), ("embeds", "0", "title"), "BASE_TYPE_MAX_LENGTH"),
    (
        "description 4097",
        embed_msg(description="d" * 4097),
        ("embeds", "0", "description"),
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "26 fields",
        embed_msg(fields=fields(*[("n", "v")] * 26)),
        ("embeds", "0", "fields"),
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "field name 257",
        embed_msg(fields=fields(("n" * 257, "v"))),
        ("embeds", "0", "fields", "0", "name"),
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "empty field name",
        embed_msg(fields=fields(("", "v"))),
        ("embeds", "0", "fields", "0", "name"),
        "BASE_TYPE_REQUIRED",
    ),
    (
        "blank field value",
        embed_msg(fields=fields(("n", " \n "))),
        ("embeds", "0", "fields", "0", "value"),
        "BASE_TYPE_REQUIRED",
    ),
    (
        "fourth value 1025",
        embed_msg(fields=fields(*[("n", "v")] * 3, ("n", "v" * 1025))),
        ("embeds", "0", "fields", "3", "value"),
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "missing field value",
        embed_msg(fields=[{"name": "n"}]),
        ("embeds", "0", "fields", "0", "value"),
        "BASE_TYPE_REQUIRED",
    ),
    (
        "footer 2049",
        embed_msg(footer={"text": "f" * 2049}),
        ("embeds", "0", "footer", "text"),
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "author 257",
        embed_msg(author={"name": "a" * 257}),
        ("embeds", "0", "author", "name"),
        "BASE_TYPE_MAX_LENGTH",
    ),
    ("11 embeds", {"embeds": [{"title": "t"}] * 11, **SAFE}, ("embeds",), "BASE_TYPE_MAX_LENGTH"),
    (
        "total 6001 over two embeds",
        {"embeds": [{"description": "d" * 3000}, {"description": "d" * 3001}], **SAFE},
        ("embeds",),
        "MAX_EMBED_SIZE_EXCEEDED",
    ),
    (
        "total counts fields, footer and author",
        {
            "embeds": [
                {"title": "t" * 256, "description": "d" * 4096},
                {"fields": fields(*[("n" * 200, "v" * 1000)]), "footer": {"text": "f" * 300}},
                {"author": {"name": "a" * 149}},
            ],
            **SAFE,
        },
        ("embeds",),
        "MAX_EMBED_SIZE_EXCEEDED",
    ),
    ("content 2001", {"content": "c" * 2001, **SAFE}, ("content",), "BASE_TYPE_MAX_LENGTH"),
    (
        "color too big",
        embed_msg(title="t", color=0x1000000),
        ("embeds", "0", "color"),
        "NUMBER_TYPE_MAX",
    ),
    ("color negative", embed_msg(title="t", color=-1), ("embeds", "0", "color"), "NUMBER_TYPE_MIN"),
    (
        "color text",
        embed_msg(title="t", color="red"),
        ("embeds", "0", "color"),
        "NUMBER_TYPE_COERCE",
    ),
    (
        "color bool",
        embed_msg(title="t", color=True),
        ("embeds", "0", "color"),
        "NUMBER_TYPE_COERCE",
    ),
    (
        "timestamp not ISO",
        embed_msg(title="t", timestamp="yesterday"),
        ("embeds", "0", "timestamp"),
        "DATE_TIME_TYPE_PARSE",
    ),
    (
        "timestamp bad month",
        embed_msg(title="t", timestamp="2024-13-01T00:00:00Z"),
        ("embeds", "0", "timestamp"),
        "DATE_TIME_TYPE_PARSE",
    ),
    (
        "title not a string",
        embed_msg(title=["t"]),
        ("embeds", "0", "title"),
        "BASE_TYPE_STRING",
    ),
    ("embeds not a list", {"embeds": {"title": "t"}, **SAFE}, ("embeds",), "LIST_TYPE_CONVERT"),
    ("embed not an object", {"embeds": ["t"], **SAFE}, ("embeds", "0"), "MODEL_TYPE_CONVERT"),
    (
        "username 81",
        {"content": "c", "username": "u" * 81, **SAFE},
        ("username",),
        "BASE_TYPE_MAX_LENGTH",
    ),
    (
        "username with discord",
        {"content": "c", "username": "otel-Discord", **SAFE},
        ("username",),
        "USERNAME_INVALID_CONTAINS",
    ),
    ("body is a list", [{"content": "c"}], (), "DICT_TYPE_CONVERT"),
    (
        "mention type unknown",
        {"content": "c", "allowed_mentions": {"parse": ["channels"]}},
        ("allowed_mentions", "parse", "0"),
        "ENUM_TYPE_COERCE",
    ),
    (
        "image without url",
        embed_msg(title="t", image={}),
        ("embeds", "0", "image", "url"),
        "BASE_TYPE_REQUIRED",
    ),
    (
        "author url not a URL",
        embed_msg(author={"name": "a", "url": "nope"}),
        ("embeds", "0", "author", "url"),
        "URL_TYPE_INVALID_URL",
    ),
]


class TestLimits:
    """Every documented limit: at the limit passes, one past it fails at Discord's error path."""

    @pytest.mark.parametrize(("name", "body"), OK, ids=[case[0] for case in OK])
    def test_at_limit_accepted(
        self, post: Callable[..., httpx.Response], name: str, body: dict[str, Any]
    ) -> None:
        response = post(body)
        assert response.status_code == 204, response.text

    @pytest.mark.parametrize(
        ("name", "body", "path", "code"), INVALID, ids=[case[0] for case in INVALID]
    )
    def test_over_limit_refused(
        self,
        srv: DiscordServer,
        post: Callable[..., httpx.Response],
        name: str,
        body: object,
        path: tuple[str, ...],
        code: str,
    ) -> None:
        response = post(body)
        assert response.status_code == 400
        data = response.json()
        assert (data["code"], data["message"]) == (50035, "Invalid Form Body")
        assert code == error_at(data, path)
        assert srv.messages() == []

    def test_length_message_names_the_limit(self, post: Callable[..., httpx.Response]) -> None:
        """The nested error carries Discord's human-readable message too."""
        body = embed_msg(fields=fields(*[("n", "v")] * 3, ("n", "v" * 1025)))
        errors = post(body).json()["errors"]
        expected = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 1024 or fewer in length."}
        assert [expected] == errors["embeds"]["0"]["fields"]["3"]["value"]["_errors"]


class TestRefusedBodies:
    """Bodies that are not messages at all get Discord's other error codes."""

    @pytest.mark.parametrize(
        "body",
        [{**SAFE}, {"content": "  \n ", **SAFE}, {"embeds": [], **SAFE}, {"embeds": [{}], **SAFE}],
        ids=["nothing", "blank content", "no embeds", "empty embed"],
    )
    def test_empty_message_is_50006(
        self, post: Callable[..., httpx.Response], body: dict[str, Any]
    ) -> None:
        response = post(body)
        assert (response.status_code, response.json()["code"]) == (400, 50006)

    @pytest.mark.parametrize(
        "raw",
        [b"{not json", b'{"content": NaN}', b"\xff\xfe", b"[" * 50_000 + b"]" * 50_000],
        ids=["broken", "NaN", "not utf-8", "deeply nested"],
    )
    def test_invalid_json_is_50109(
        self, srv: DiscordServer, post: Callable[..., httpx.Response], raw: bytes
    ) -> None:
        response = post(content=raw, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()["code"]) == (400, 50109)

    def test_too_large_is_413(
        self, srv: DiscordServer, post: Callable[..., httpx.Response]
    ) -> None:
        srv.max_body_bytes = 1000
        response = post({"content": "c" * 1500, **SAFE})
        assert (response.status_code, response.json()["code"]) == (413, 40005)
        assert post({"content": "small", **SAFE}).status_code == 204

    def test_wait_true_returns_the_message_object(
        self, srv: DiscordServer, post: Callable[..., httpx.Response]
    ) -> None:
        response = post(embed_msg(title="hello"), params={"wait": "true"})
        assert response.status_code == 200
        message = response.json()
        recorded = srv.messages()[0]
        assert (recorded.id, recorded.channel_id) == (message["id"], message["channel_id"])
        assert recorded.webhook_id == message["webhook_id"]
        assert message["embeds"] == [{"title": "hello", "type": "rich"}]


class TestCheckMessage:
    """The validator is usable on its own, without HTTP."""

    def test_valid_body(self) -> None:
        verdict = check_message({"content": "hi", **SAFE}, webhook=True)
        assert (
            verdict.errors,
            verdict.empty,
            verdict.unknown_keys,
            verdict.mention_problem,
        ) == (None, False, [], None)

    def test_unknown_keys_are_reported_by_path(self) -> None:
        body = {"content": "hi", "wait": True, "embeds": [{"title": "t", "colour": 1}], **SAFE}
        verdict = check_message(body, webhook=True)
        assert verdict.unknown_keys == ["wait", "embeds[0].colour"]
        assert verdict.errors is None

    def test_username_is_unknown_on_the_channel_route(self) -> None:
        verdict = check_message({"content": "hi", "username": "x", **SAFE}, webhook=False)
        assert verdict.unknown_keys == ["username"]
