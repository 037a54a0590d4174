"""A strict reader of multipart/form-data bodies (RFC 7578), as Discord's upload routes take them.

Plain data in, parts out: no sockets, no state. Anything malformed is an error with
a short reason (the caller answers it like Discord: 400 code 50035 or 50109).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

_BOUNDARY: Final = re.compile(r'boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))', re.IGNORECASE)
_DISPOSITION: Final = re.compile(r'\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))')
MAX_PARTS: Final = 64
"""Parts read at most (10 files, payload_json and room for mistakes to be reported)."""


class MultipartError(ValueError):
    """The body is not well-formed multipart/form-data."""


@dataclass(frozen=True)
class Part:
    """One form field or file."""

    name: str
    data: bytes = field(repr=False)
    filename: str | None = None
    content_type: str | None = None


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a ``multipart/form-data`` Content-Type header."""
    match = _BOUNDARY.search(content_type)
    if match is None:
        msg = "multipart/form-data without a boundary"
        raise MultipartError(msg)
    return match.group(1) or match.group(2)


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Every part of ``body``, in order; raises :class:`MultipartError` when malformed."""
    delimiter = b"--" + boundary_of(content_type).encode("latin-1")
    if not body.startswith(delimiter):
        msg = "the body does not start with the boundary"
        raise MultipartError(msg)
    chunks = body.split(b"\r\n" + delimiter)
    first = chunks[0][len(delimiter) :]
    pieces = [first, *chunks[1:]]
    if not pieces[-1].startswith(b"--"):
        msg = "the body does not end with the closing boundary"
        raise MultipartError(msg)
    parts: list[Part] = []
    for piece in pieces[:-1]:
        if not piece.startswith(b"\r\n"):
            msg = "a boundary is not followed by a line break"
            raise MultipartError(msg)
        parts.append(_part(piece[2:]))
        if len(parts) > MAX_PARTS:
            msg = f"more than {MAX_PARTS} parts"
            raise MultipartError(msg)
    return parts


def _part(raw: bytes) -> Part:
    head, sep, data = raw.partition(b"\r\n\r\n")
    if not sep:
        if not raw.endswith(b"\r\n"):
            msg = "a part has no blank line after its headers"
            raise MultipartError(msg)
        head, data = raw[:-2], b""
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").split("\r\n"):
        name, colon, value = line.partition(":")
        if not colon:
            msg = f"a part header without a colon: {line[:40]!r}"
            raise MultipartError(msg)
        headers[name.strip().lower()] = value.strip()
    disposition = headers.get("content-disposition", "")
    kind, _, params = disposition.partition(";")
    if kind.strip().lower() != "form-data":
        msg = "a part without Content-Disposition: form-data"
        raise MultipartError(msg)
    values = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _DISPOSITION.finditer(params)
    }
    if not values.get("name"):
        msg = "a part without a name"
        raise MultipartError(msg)
    return Part(values["name"], data, values.get("filename"), headers.get("content-type"))
