"""The local Discord's multipart reader: what httpx encodes, it reads back exactly."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otel_discord.localdiscord._multipart import MultipartError, Part, boundary_of, parse_multipart

NAMES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E, blacklist_characters='"\\'),
    min_size=1,
    max_size=30,
)


def encoded(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST",
        "http://127.0.0.1/",
        data=fields,
        files=[(field, (name, data, "image/png")) for field, name, data in files],
    )
    return request.read(), request.headers["content-type"]


class TestParseMultipart:
    """Round trips through httpx's encoder, and refusals of broken bodies."""

    @settings(max_examples=60, deadline=None)
    @given(
        payload=st.text(max_size=200),
        files=st.lists(st.tuples(NAMES, st.binary(max_size=300)), min_size=1, max_size=4),
    )
    def test_round_trip(self, payload: str, files: list[tuple[str, bytes]]) -> None:
        """payload_json and every files[n] come back with their names and exact bytes."""
        body, content_type = encoded(
            {"payload_json": payload},
            [(f"files[{i}]", name, data) for i, (name, data) in enumerate(files)],
        )
        parts = parse_multipart(body, content_type)
        assert Part("payload_json", payload.encode()) == parts[0]
        assert [(f"files[{i}]", n, d) for i, (n, d) in enumerate(files)] == [
            (p.name, p.filename, p.data) for p in parts[1:]
        ]
        assert all("image/png" == p.content_type for p in parts[1:])

    @pytest.mark.parametrize(
        ("body", "reason"),
        [
            (b"garbage", "does not start"),
            (b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\nv\r\n", "closing boundary"),
            (b"--b\r\nno colon here\r\n\r\nv\r\n--b--\r\n", "without a colon"),
            (b"--b\r\nContent-Disposition: attachment\r\n\r\nv\r\n--b--\r\n", "form-data"),
            (b"--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--\r\n", "without a name"),
        ],
    )
    def test_broken_bodies_are_refused(self, body: bytes, reason: str) -> None:
        """Each malformation has its own reason."""
        with pytest.raises(MultipartError, match=reason):
            parse_multipart(body, "multipart/form-data; boundary=b")

    def test_boundary(self) -> None:
        """Quoted or bare; missing is an error."""
        assert "a b" == boundary_of('multipart/form-data; boundary="a b"')
        assert "xyz" == boundary_of("multipart/form-data; charset=utf-8; boundary=xyz")
        with pytest.raises(MultipartError, match="boundary"):
            boundary_of("multipart/form-data")
