"""Tests for otel_discord.render.embeds: fitting, packing and validating payloads."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_discord.render.embeds import embed_length, fit_embed, pack_messages, payload_problems
from otel_discord.render.text import code_block, neutralise

ZWSP = "\u200b"
FENCE = "```"

# Discord's limits, written out again on purpose: the checks below must not share
# a mistake with the code under test.
TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE = 256, 4096, 25, 256, 1024
FOOTER, AUTHOR, TOTAL, EMBEDS, CONTENT, USERNAME = 2048, 256, 6000, 10, 2000, 80
KNOWN_EMBED_KEYS = {
    "title",
    "description",
    "url",
    "timestamp",
    "color",
    "footer",
    "image",
    "thumbnail",
    "author",
    "fields",
}
MENTION = re.compile(r"@everyone|@here|<@|<#\d|</[^<>\n]*:\d", re.IGNORECASE)
"""Every mention shape Discord renders: @everyone, @here, <@1>, <@!1>, <@&1>, <#1>, </c:1>."""

TRICKY_PIECES = [
    "@everyone",
    "@here",
    "<@123>",
    "<@!123>",
    "<@&123>",
    "<#123>",
    "</cmd:123>",
    FENCE,
    "**",
    "# ",
    "> ",
    "||",
    "[x](https://evil.example)",
    "\n",
    " ",
    ZWSP,
    "\u202e",
    "👨\u200d👩\u200d👧",
    "e\u0301",
]
unicode_text = st.text(st.characters(codec="utf-8"), max_size=40)
tricky_text = st.lists(st.one_of(unicode_text, st.sampled_from(TRICKY_PIECES)), max_size=12).map(
    "".join
)
huge_text = st.tuples(tricky_text, st.integers(1, 20_000)).map(
    lambda pair: (pair[0] or "y") * (pair[1] // max(len(pair[0]), 1) + 1)
)
safe_text = st.one_of(tricky_text, huge_text).map(neutralise)
"""What renderers pass in: untrusted text after neutralise."""
block_text = st.tuples(st.one_of(tricky_text, huge_text), st.integers(9, 4096)).map(
    lambda pair: code_block(*pair)
)
body_text = st.one_of(
    safe_text,
    block_text,
    st.tuples(safe_text, block_text).map("\n".join),
)
"""Descriptions and field values: text, code blocks, or text followed by a block."""


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def embeds(draw: st.DrawFn, max_fields: int = 40) -> dict[str, Any]:
    """Embeds with any subset of parts, too long and too many fields, plus junk keys."""
    embed: dict[str, Any] = {}
    candidates = {
        "title": _optional(safe_text),
        "description": _optional(body_text),
        "color": _optional(st.integers(-(2**40), 2**40) | st.floats(allow_nan=True)),
        "footer": _optional(st.fixed_dictionaries({"text": safe_text})),
        "author": _optional(st.fixed_dictionaries({"name": safe_text})),
        "url": _optional(st.just("https://example.com/x")),
        "provider": _optional(st.just({"name": "junk"})),
        "fields": _optional(
            st.lists(
                st.fixed_dictionaries(
                    {"name": safe_text, "value": body_text},
                    optional={"inline": st.booleans()},
                ),
                max_size=max_fields,
            )
        ),
    }
    for key, strategy in candidates.items():
        value = draw(strategy)
        if value is not None:
            embed[key] = value
    return embed


def _length(text: object) -> int:
    assert isinstance(text, str)
    return len(text.strip())


def _required(text: object, limit: int) -> int:
    length = _length(text)
    assert 1 <= length <= limit
    return length


def _check_embed(embed: dict[str, Any]) -> int:
    """Assert one embed is within Discord's limits; return its counted length."""
    assert set(embed) <= KNOWN_EMBED_KEYS
    assert embed.get("title") or embed.get("description") or embed.get("fields")
    total = 0
    if "title" in embed:
        total += _length(embed["title"])
        assert total <= TITLE
    if "description" in embed:
        length = _length(embed["description"])
        assert length <= DESCRIPTION
        total += length
    if "footer" in embed:
        total += _required(embed["footer"]["text"], FOOTER)
    if "author" in embed:
        total += _required(embed["author"]["name"], AUTHOR)
    if "color" in embed:
        assert type(embed["color"]) is int
        assert 0 <= embed["color"] <= 0xFFFFFF
    fields = embed.get("fields", [])
    assert len(fields) <= FIELDS
    for field in fields:
        assert set(field) <= {"name", "value", "inline"}
        total += _required(field["name"], FIELD_NAME) + _required(field["value"], FIELD_VALUE)
    assert total <= TOTAL
    return total


def _check_payload(payload: dict[str, Any]) -> None:
    """Assert a whole message is one Discord would accept and that pings nobody."""
    assert payload["allowed_mentions"] == {"parse": []}
    embeds_ = payload.get("embeds", [])
    assert embeds_ or payload.get("content", "").strip()
    assert len(embeds_) <= EMBEDS
    assert sum(_check_embed(e) for e in embeds_) <= TOTAL
    if "content" in payload:
        assert _length(payload["content"]) <= CONTENT
    if "username" in payload:
        assert 1 <= _length(payload["username"]) <= USERNAME
        assert "discord" not in payload["username"].lower()


def _strings(embed: dict[str, Any]) -> list[str]:
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [embed.get("footer", {}).get("text", ""), embed.get("author", {}).get("name", "")]
    for field in embed.get("fields", []):
        parts += [field["name"], field["value"]]
    return parts


class TestEmbedLength:
    """embed_length counts what Discord counts toward 6000."""

    def test_counts_text_parts_after_trimming(self) -> None:
        """Title, description, field names and values, footer and author; not URLs."""
        embed = {
            "title": " ab ",
            "description": "cde\n",
            "url": "https://example.com/long/url",
            "fields": [{"name": "f", "value": "gh"}, {"name": "i", "value": "j"}],
            "footer": {"text": "kl", "icon_url": "https://example.com/i.png"},
            "author": {"name": "m"},
            "color": 5,
        }
        assert embed_length(embed) == 2 + 3 + 1 + 2 + 1 + 1 + 2 + 1


class TestFitEmbed:
    """fit_embed returns a new embed that Discord accepts."""

    def test_keeps_a_valid_embed(self) -> None:
        """A valid embed comes back equal, as a new object."""
        embed = {
            "title": "t",
            "description": "d",
            "url": "https://example.com",
            "timestamp": "2024-01-01T00:00:00+00:00",
            "color": 0x00FF00,
            "footer": {"text": "f", "icon_url": "https://example.com/f.png"},
            "image": {"url": "https://example.com/i.png"},
            "thumbnail": {"url": "https://example.com/t.png"},
            "author": {"name": "a", "url": "https://example.com/a", "icon_url": "https://e.com/a"},
            "fields": [{"name": "n", "value": "v", "inline": True}],
        }
        fitted = fit_embed(embed)
        assert embed == fitted
        assert fitted is not embed
        assert fitted["fields"] is not embed["fields"]

    def test_drops_unknown_keys_and_clamps_color(self) -> None:
        """Keys Discord does not know go; color is clamped into 0..0xFFFFFF."""
        fitted = fit_embed({"title": "t", "type": "rich", "provider": {}, "color": 2**30})
        assert fitted == {"title": "t", "color": 0xFFFFFF}
        assert fit_embed({"title": "t", "color": -1}) == {"title": "t", "color": 0}

    def test_never_leaves_a_required_field_blank(self) -> None:
        """Blank field names and values become a dash; blank footers are dropped."""
        fitted = fit_embed(
            {"fields": [{"name": " ", "value": ""}, {"value": "x"}], "footer": {"text": "  "}}
        )
        assert fitted == {"fields": [{"name": "—", "value": "—"}, {"name": "—", "value": "x"}]}

    def test_empty_embed_gets_a_description(self) -> None:
        """An embed with no title, description or fields gets a dash description."""
        assert fit_embed({"title": " \n"}) == {"description": "—"}

    def test_26_fields_become_25_with_a_note(self) -> None:
        """Extra fields are dropped and the last field says how many."""
        fields = [{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]
        fitted = fit_embed({"fields": fields})
        assert fields[:24] == fitted["fields"][:24]
        assert (fitted["fields"][24]) == {
            "name": "…",
            "value": "2 more fields not shown",
            "inline": False,
        }

    def test_each_part_clipped_to_its_limit(self) -> None:
        """Title, field name and value, footer and author are cut to their own limits."""
        fitted = fit_embed(
            {
                "title": "t" * 300,
                "fields": [{"name": "n" * 300, "value": "v" * 2000}],
                "author": {"name": "a" * 300},
            }
        )
        assert fitted["title"] == "t" * 255 + "…"
        assert fitted["fields"][0]["name"] == "n" * 255 + "…"
        assert fitted["fields"][0]["value"] == "v" * 1023 + "…"
        assert fitted["author"]["name"] == "a" * 255 + "…"

    def test_huge_embed_shrinks_bodies_before_headings(self) -> None:
        """Over 6000, description and field values give way while titles survive."""
        huge = {
            "title": "t" * 300,
            "description": "d" * 5000,
            "fields": [{"name": "n" * 30, "value": "v" * 2000} for _ in range(25)],
        }
        fitted = fit_embed(huge)
        assert embed_length(fitted) <= 6000
        assert fitted["title"] == "t" * 255 + "…"
        assert [f["name"] for f in fitted["fields"]] == ["n" * 30] * 25
        assert len(fitted["description"]) == 192
        assert fitted["description"] == "d" * 191 + "…"

    def test_code_block_is_cut_inside_its_fences(self) -> None:
        """A fenced description cut for space keeps both fences."""
        block = code_block("\n".join(f"line {i}" for i in range(2000)), 4096)
        fitted = fit_embed(
            {"description": block, "fields": [{"name": "n", "value": "v" * 1024}] * 5}
        )
        description = fitted["description"]
        assert description.startswith("```\nline 0\n")
        assert description.endswith(" lines cut\n```")
        assert description.count(FENCE) == 2
        assert embed_length(fitted) <= 6000

    def test_timestamp_from_datetime(self) -> None:
        """A datetime timestamp becomes ISO 8601 text."""
        import datetime as dt

        when = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)
        assert (
            fit_embed({"title": "t", "timestamp": when})["timestamp"] == "2024-05-01T12:00:00+00:00"
        )

    @settings(max_examples=200, deadline=None)
    @given(embed=embeds())
    def test_property_always_valid(self, embed: dict[str, Any]) -> None:
        """Any embed, however large or odd, fits every limit and keeps fences paired."""
        fitted = fit_embed(embed)
        _check_embed(fitted)
        for text in _strings(fitted):
            assert text.count(FENCE) % 2 == 0


class TestPackMessages:
    """pack_messages fills as few messages as Discord allows, in order."""

    def test_eleven_embeds_make_two_messages(self) -> None:
        """Ten embeds per message at most."""
        payloads = pack_messages([{"title": str(i)} for i in range(11)])
        assert [len(p["embeds"]) for p in payloads] == [10, 1]
        assert [e["title"] for e in payloads[1]["embeds"]] == ["10"]

    def test_three_large_embeds_make_two_messages(self) -> None:
        """Two embeds of 2500 fit 6000 together; a third does not."""
        payloads = pack_messages([{"description": "x" * 2500}] * 3)
        assert [len(p["embeds"]) for p in payloads] == [2, 1]

    def test_huge_single_embed_is_shrunk_not_dropped(self) -> None:
        """An embed over 6000 alone is shrunk into one message."""
        huge = {"description": "d" * 4096, "fields": [{"name": "n", "value": "v" * 1024}] * 25}
        payloads = pack_messages([huge])
        assert len(payloads) == 1
        assert embed_length(payloads[0]["embeds"][0]) <= 6000

    def test_every_payload_forbids_mentions_and_content_goes_first(self) -> None:
        """allowed_mentions on all; content only on the first; identity on all."""
        payloads = pack_messages(
            [{"title": str(i)} for i in range(12)],
            content="hello",
            username="bot",
            avatar_url="https://example.com/a.png",
        )
        assert [
            {
                "content": "hello",
                "username": "bot",
                "avatar_url": "https://example.com/a.png",
                "allowed_mentions": {"parse": []},
                "embeds": payloads[0]["embeds"],
            },
            {
                "username": "bot",
                "avatar_url": "https://example.com/a.png",
                "allowed_mentions": {"parse": []},
                "embeds": payloads[1]["embeds"],
            },
        ] == payloads

    def test_nothing_to_send_is_no_message(self) -> None:
        """No embeds and no content: no payload at all; content alone: one."""
        assert pack_messages([]) == []
        assert pack_messages([], content="  ") == []
        assert pack_messages([], content="x") == [
            {"content": "x", "allowed_mentions": {"parse": []}}
        ]

    def test_username_with_a_forbidden_word_is_made_acceptable(self) -> None:
        """Discord rejects webhook names containing 'discord'; a look-alike letter fixes it."""
        payload = pack_messages([{"title": "t"}], username="otel-discord")[0]
        assert payload["username"] == "otel-disc\u043erd"
        assert payload_problems(payload) == []

    @pytest.mark.parametrize("name", ["everyone", "Here"])
    def test_username_discord_refuses_outright_is_made_acceptable(self, name: str) -> None:
        """Discord refuses a webhook named "everyone" or "here" (400 USERNAME_INVALID)."""
        payload = pack_messages([{"title": "t"}], username=name)[0]
        assert payload["username"].lower() not in ("everyone", "here")
        assert len(name) == len(payload["username"])  # the same letters, some Cyrillic
        assert [] == payload_problems(payload)

    def test_content_is_clipped(self) -> None:
        """Content over 2000 characters is cut."""
        payload = pack_messages([], content="c" * 2500)[0]
        assert payload["content"] == "c" * 1999 + "…"

    # 100 examples of up to 14 embeds each: generating them is what takes the time.
    @settings(max_examples=100, deadline=None)
    @given(
        items=st.lists(embeds(max_fields=8), max_size=14),
        content=_optional(safe_text),
        username=_optional(tricky_text),
    )
    def test_property_payloads_are_valid_minimal_and_safe(
        self, items: list[dict[str, Any]], content: str | None, username: str | None
    ) -> None:
        """Any embeds: every message valid, nothing dropped, order kept, no mention left."""
        payloads = pack_messages(items, content=content, username=username)
        for payload in payloads:
            _check_payload(payload)
            assert payload_problems(payload) == []
        sent = [e for p in payloads for e in p.get("embeds", [])]
        assert [fit_embed(e) for e in items] == sent
        for before, after in itertools.pairwise(payloads):
            # Greedy in order is minimal: the next embed could not have joined.
            size = sum(embed_length(e) for e in before["embeds"])
            assert len(before["embeds"]) == 10 or size + embed_length(after["embeds"][0]) > 6000
        # The username came from raw text; everything else went through neutralise.
        text = json.dumps(
            [{k: v for k, v in p.items() if k != "username"} for p in payloads],
            ensure_ascii=False,
        )
        assert MENTION.search(text) is None


class TestPayloadProblems:
    """payload_problems names every violation, with its path."""

    def test_valid_payload_has_no_problems(self) -> None:
        """A small, correct message passes."""
        payload = {"embeds": [{"title": "t"}], "allowed_mentions": {"parse": []}}
        assert payload_problems(payload) == []

    def test_reports_each_violation(self) -> None:
        """Each broken limit is named once, with a readable path."""
        payload = {
            "content": "c" * 2001,
            "username": "Discord bot",
            "webhook": "x",
            "embeds": [
                {
                    "title": "t" * 257,
                    "color": True,
                    "kind": "rich",
                    "footer": {"text": " "},
                    "fields": [{"name": "", "value": "v" * 1025}, {"name": "n"}],
                },
                {},
            ],
        }
        assert payload_problems(payload) == [
            "webhook: unknown key",
            'allowed_mentions: must be {"parse": []} so nobody is pinged',
            "content: 2001 characters, limit 2000",
            'username: must not contain "discord" or "clyde"',
            "embeds[0].kind: unknown key",
            "embeds[0].title: 257 characters, limit 256",
            "embeds[0].footer.text: empty or whitespace only",
            "embeds[0].color: True is not an int in 0..0xffffff",
            "embeds[0].fields[0].name: empty or whitespace only",
            "embeds[0].fields[0].value: 1025 characters, limit 1024",
            "embeds[0].fields[1].value: required",
            "embeds[1]: empty embed",
        ]

    def test_counts_the_total_over_all_embeds(self) -> None:
        """Three embeds of 2500 in one message break the 6000 total."""
        payload = {
            "embeds": [{"description": "x" * 2500}] * 3,
            "allowed_mentions": {"parse": []},
        }
        assert payload_problems(payload) == ["embeds: 7500 characters in total, limit 6000"]

    @pytest.mark.parametrize(
        ("problem", "payload"),
        [
            ("payload: empty message (no content, no embeds)", {"allowed_mentions": {"parse": []}}),
            (
                "embeds: 11 embeds, limit 10",
                {"embeds": [{"title": "t"}] * 11, "allowed_mentions": {"parse": []}},
            ),
            (
                "embeds[0].fields: 26 fields, limit 25",
                {
                    "embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}],
                    "allowed_mentions": {"parse": []},
                },
            ),
            (
                'allowed_mentions: must be {"parse": []} so nobody is pinged',
                {"content": "x", "allowed_mentions": {"parse": ["everyone"]}},
            ),
        ],
    )
    def test_single_violations(self, problem: str, payload: dict[str, Any]) -> None:
        """One broken rule gives exactly one message."""
        assert [problem] == payload_problems(payload)
